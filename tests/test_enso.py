"""ENSO oscillators (paper 11): closed-form onsets matched by simulation; the index,
its spectrum; gamelan sonification (pitches on the scale, valid WAV/MIDI of the right size)."""

from __future__ import annotations

import io
import struct
import wave

import diffrax as dfx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxdyn
from jaxdyn.analysis import sonification as son
from jaxdyn.analysis.enso import envelope_growth_rate, nino34_index, spectral_peak
from jaxdyn.analysis.stability import linear_dde_rightmost_root
from jaxdyn.systems import DelayedActionOscillator, RechargeOscillator


def test_recharge_oscillator_closed_form_onset_at_jins_values():
    s = RechargeOscillator()
    assert float(s.onset_coupling()) == pytest.approx(2 / 3, rel=1e-14)
    assert float(s.onset_frequency()) == pytest.approx(np.sqrt(0.09375), rel=1e-14)
    # 2 pi / omega_c = 20.52 units of 2 months = 3.42 years: "about 3-4 years"
    assert 3.0 < float(s.onset_period_years()) < 4.0
    at = RechargeOscillator(mu=float(s.onset_coupling()))
    lam = np.linalg.eigvals(np.asarray(at.jacobian()))
    np.testing.assert_allclose(np.real(lam), 0.0, atol=1e-14)
    np.testing.assert_allclose(np.abs(np.imag(lam)), float(s.onset_frequency()), rtol=1e-12)


@pytest.mark.parametrize("factor", [0.95, 1.05])
def test_recharge_oscillator_simulated_growth_rate_matches_the_linearisation(factor):
    s = RechargeOscillator(mu=factor * 2 / 3, sigma_T=0.0)
    ts = np.arange(0.0, 300.0, 0.5)
    tr = jaxdyn.simulate(
        s,
        300.0,
        ts=ts,
        key=jax.random.PRNGKey(0),
        y0=jnp.array([1e-5, 0.0]),
        dt=0.05,
        solver=dfx.Heun(),
    )
    rate = envelope_growth_rate(ts[60:], np.asarray(tr.ys[60:, 0]))
    assert rate == pytest.approx(float(s.growth_rate()), abs=2e-3)
    assert np.sign(rate) == np.sign(factor - 1)


def test_noise_makes_the_damped_oscillator_irregular_with_a_3_to_4_year_peak():
    s = RechargeOscillator(mu=0.9 * 2 / 3, sigma_T=0.05)
    months = np.arange(0, 12 * 200) * 0.5
    tr = jaxdyn.simulate(s, months[-1], ts=months, key=jax.random.PRNGKey(2), solver=dfx.Heun())
    idx = nino34_index(np.asarray(tr.ys[:, 0]), 7.5)
    assert 0.3 < idx.std() < 2.0  # kelvin, a Niño-3.4-like size
    _, _, peak = spectral_peak(idx)
    assert 2.5 < peak < 5.0
    # irregular: the heights of successive warm peaks vary (a limit cycle's would not)
    from scipy.signal import argrelmax

    peaks = idx[argrelmax(idx, order=9)[0]]
    peaks = peaks[peaks > 0]
    assert peaks.size > 20 and peaks.std() / peaks.mean() > 0.3


def test_delayed_action_oscillator_onset_is_where_the_rightmost_root_crosses():
    s = DelayedActionOscillator()
    tau_c = s.critical_delay()
    assert tau_c == pytest.approx(np.arccos(1 / 3) / np.sqrt(0.5), rel=1e-12)
    al, be = (float(v) for v in s.linear_coefficients())
    assert abs(np.real(linear_dde_rightmost_root(al, be, tau_c))) < 1e-10
    assert s.onset_period() == pytest.approx(2 * np.pi / np.sqrt(0.5), rel=1e-12)


@pytest.mark.parametrize("factor", [0.9, 1.1])
def test_delayed_action_oscillator_perturbations_decay_below_and_grow_above(factor):
    base = DelayedActionOscillator()
    tau_c = base.critical_delay()
    s = DelayedActionOscillator(tau=factor * tau_c)
    x0 = float(s.equilibrium()) + 1e-5
    ts = np.linspace(0, 60 * tau_c, 3001)
    tr = jaxdyn.simulate(s, ts[-1], ts=ts, dt=tau_c / 30, y0=x0, history=lambda t: x0)
    rate = envelope_growth_rate(ts[300:], np.asarray(tr.ys)[300:], float(s.equilibrium()))
    al, be = (float(v) for v in s.linear_coefficients())
    theory = float(np.real(linear_dde_rightmost_root(al, be, factor * tau_c)))
    assert rate == pytest.approx(theory, abs=3e-3)
    assert np.sign(rate) == np.sign(factor - 1)


def test_pitches_lie_on_the_chosen_scale_and_audio_is_valid():
    rng = np.random.default_rng(0)
    x = np.cumsum(rng.normal(size=50))
    v = rng.normal(size=50)
    for scale in ("slendro", "pelog"):
        out = son.sonify(x, v, scale, octaves=2, note_duration=0.1, sample_rate=8000)
        pitch_classes = np.mod(out["cents"], 1200.0)
        allowed = np.asarray(son.SCALES[scale])
        assert np.all(np.min(np.abs(pitch_classes[:, None] - allowed[None]), axis=1) < 1e-9)
        assert out["cents"].min() >= 0 and out["cents"].max() <= 2400
        # the lowest and highest values hit the scale's ends
        assert out["cents"][np.argmin(x)] == 0 and out["cents"][np.argmax(x)] == 2400
        np.testing.assert_allclose(out["freqs"], 220 * 2 ** (out["cents"] / 1200))
        assert np.all((out["amps"] >= 0.25) & (out["amps"] <= 1.0))
        with wave.open(io.BytesIO(out["wav"])) as w:
            assert w.getnchannels() == 1 and w.getsampwidth() == 2 and w.getframerate() == 8000
            assert w.getnframes() == 50 * 800  # 50 notes of 0.1 s at 8 kHz
            frames = np.frombuffer(w.readframes(w.getnframes()), "<i2")
        assert np.abs(frames).max() > 10000  # not silent
        midi = out["midi"]
        assert midi[:4] == b"MThd" and struct.unpack(">IHHH", midi[4:14]) == (6, 0, 1, 480)
        assert midi[14:18] == b"MTrk"
        assert struct.unpack(">I", midi[18:22])[0] == len(midi) - 22
        assert midi.count(b"\x90") >= 50 and midi.endswith(b"\xff\x2f\x00")


def test_scale_tunings_are_documented_values():
    np.testing.assert_allclose(son.SCALES["slendro"], [0, 240, 480, 720, 960])
    steps = np.diff(list(son.SCALES["pelog"]) + [1200.0]) / (1200 / 9)
    np.testing.assert_allclose(steps, [1, 1, 2, 1, 1, 1, 2])
    assert set(son.SCALE_SOURCES) == set(son.SCALES)


BAD = [
    (lambda: son.map_to_scale([1.0, 2.0], "bhairavi"), "scale"),
    (lambda: son.map_to_scale([1.0, 2.0], (0.0, 1300.0)), "scale"),
    (lambda: son.map_to_scale([], "slendro"), "x must"),
    (lambda: son.map_to_scale([1.0, np.nan], "slendro"), "x must"),
    (lambda: son.map_to_scale([1.0, 1.0], "slendro"), "high"),
    (lambda: son.scale_cents("pelog", octaves=0), "octaves"),
    (lambda: son.sonify([1.0, 2.0], [1.0, 2.0, 3.0]), "loudness"),
    (lambda: son.synthesize([220.0], [1.0], note_duration=0.0), "note_duration"),
    (lambda: nino34_index(np.zeros(10), smooth_months=2), "smooth_months"),
    (lambda: RechargeOscillator(mu=-1.0), "mu"),
    (lambda: DelayedActionOscillator(tau=-1.0), "tau"),
]


@pytest.mark.parametrize("call,match", BAD)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()
