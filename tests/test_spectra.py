"""Power and cross spectra, lags, coherence (vs Stingray), Timmer & König, the stochastic
oscillator's spectrum, and the bad-input table of the spectral layer."""

from __future__ import annotations

import warnings

import diffrax
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxdyn
from jaxdyn.analysis import spectra as sp
from jaxdyn.analysis.lightcurves import power_law, timmer_koenig
from jaxdyn.analysis.lorentzians import MultiLorentzian, lorentzian
from jaxdyn.systems import StochasticOscillator

DT = 1 / 64
SEG = 8.0


@pytest.fixture(scope="module")
def two_bands():
    """Two Poisson light curves with coherent, lagged variability (64 segments)."""
    model = MultiLorentzian(
        freq=[0.0, 4.0], width=[2.0, 1.0], rms1=[0.2, 0.08], rms2=[0.25, 0.1], lag=[0.1, 1.2]
    )
    n = int(64 * SEG / DT)
    c = np.asarray(model.simulate(jax.random.PRNGKey(3), n, DT, 400.0, 150.0))
    return c[0], c[1]


@pytest.fixture(scope="module")
def stingray_cs(two_bands):
    stingray = pytest.importorskip("stingray")
    c1, c2 = two_bands
    t = np.arange(c1.size) * DT
    lc1 = stingray.Lightcurve(t, c1, dt=DT, skip_checks=True)
    lc2 = stingray.Lightcurve(t, c2, dt=DT, skip_checks=True)
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for norm in ("frac", "leahy", "abs"):
            cs = stingray.AveragedCrossspectrum(lc1, lc2, segment_size=SEG, norm=norm, silent=True)
            ps = stingray.AveragedPowerspectrum(lc1, segment_size=SEG, norm=norm, silent=True)
            out[norm] = (cs, ps)
    return out


@pytest.mark.parametrize("norm", ["frac", "leahy", "abs"])
def test_spectra_equal_stingray(two_bands, stingray_cs, norm):
    from stingray.fourier import poisson_level

    c1, c2 = two_bands
    cs_ref, ps_ref = stingray_cs[norm]
    cs = sp.cross_spectrum(c1, c2, DT, segment_size=SEG, norm=norm)
    ps = sp.power_spectrum(c1, DT, segment_size=SEG, norm=norm)
    assert int(cs.m[0]) == cs_ref.m == 64
    np.testing.assert_allclose(cs.freq, cs_ref.freq, rtol=1e-13)
    np.testing.assert_allclose(cs.cross, cs_ref.power, rtol=1e-11)
    np.testing.assert_allclose(cs.power1, cs_ref.pds1.power, rtol=1e-11)
    np.testing.assert_allclose(cs.power2, cs_ref.pds2.power, rtol=1e-11)
    np.testing.assert_allclose(ps.power, ps_ref.power, rtol=1e-11)
    np.testing.assert_allclose(ps.power_err, ps_ref.power_err, rtol=1e-11)
    ref_noise = poisson_level(norm, meanrate=c1.sum() / (c1.size * DT))
    np.testing.assert_allclose(ps.noise, ref_noise, rtol=1e-12)


def test_lags_and_coherence_equal_stingray(two_bands, stingray_cs):
    c1, c2 = two_bands
    cs_ref, _ = stingray_cs["frac"]
    cs = sp.cross_spectrum(c1, c2, DT, segment_size=SEG)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lag_ref, lag_err_ref = cs_ref.phase_lag()
        tlag_ref, tlag_err_ref = cs_ref.time_lag()
        raw_ref, raw_err_ref = cs_ref.raw_coherence()
        int_ref, int_err_ref = cs_ref.intrinsic_coherence()
    lag, lag_err = sp.phase_lag(cs)
    tlag, tlag_err = sp.time_lag(cs)
    ok = np.isfinite(lag_err_ref)
    np.testing.assert_allclose(lag, lag_ref, atol=1e-12)
    np.testing.assert_allclose(np.asarray(lag_err)[ok], lag_err_ref[ok], rtol=1e-10)
    np.testing.assert_allclose(tlag, tlag_ref, atol=1e-12)
    np.testing.assert_allclose(np.asarray(tlag_err)[ok], tlag_err_ref[ok], rtol=1e-10)
    raw, raw_err = sp.coherence(cs)
    np.testing.assert_allclose(raw, raw_ref, atol=1e-12)
    np.testing.assert_allclose(raw_err, raw_err_ref, rtol=1e-10)
    coh, coh_err = sp.coherence(cs, intrinsic=True)
    defined = np.isfinite(int_ref)  # Stingray leaves powers near the noise undefined
    assert defined.sum() > 20
    np.testing.assert_allclose(np.asarray(coh)[defined], int_ref[defined], atol=1e-12)
    # The VN97 eq. (8) error: Stingray 2.3 writes two of its terms differently (see
    # jaxdyn.analysis.spectra.coherence); where the coherence is high they agree closely.
    high = defined & (int_ref > 0.8)
    assert high.sum() > 10
    np.testing.assert_allclose(np.asarray(coh_err)[high], int_err_ref[high], rtol=0.1)


def test_rebinning_equals_stingray(two_bands, stingray_cs):
    c1, c2 = two_bands
    cs_ref, _ = stingray_cs["frac"]
    cs = sp.cross_spectrum(c1, c2, DT, segment_size=SEG)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        log_ref = cs_ref.rebin_log(0.1)
        lin_ref = cs_ref.rebin(f=4)
    log = sp.rebin_log(cs, 0.1)
    np.testing.assert_allclose(log.freq, log_ref.freq, rtol=1e-12)
    np.testing.assert_allclose(log.m, log_ref.m)
    np.testing.assert_allclose(log.cross, log_ref.power, rtol=1e-10)
    lin = sp.rebin(cs, 4)
    np.testing.assert_allclose(lin.cross, lin_ref.power, rtol=1e-10)
    np.testing.assert_allclose(lin.m, lin_ref.m)
    # averaging m raw powers: the errors shrink as 1/sqrt(m)
    assert float(lin.m[0]) == 4 * 64


def test_batched_spectra_equal_single_ones(two_bands):
    c1, c2 = two_bands
    n = c1.size // 2
    b1, b2 = c1[: 2 * n].reshape(2, n), c2[: 2 * n].reshape(2, n)
    batched = jax.jit(lambda a, b: sp.cross_spectrum(a, b, DT, segment_size=SEG))(b1, b2)
    for i in range(2):
        single = sp.cross_spectrum(b1[i], b2[i], DT, segment_size=SEG)
        np.testing.assert_allclose(batched.cross[i], single.cross, rtol=1e-12)
        np.testing.assert_allclose(batched.noise1[i], single.noise1, rtol=1e-12)


def test_timmer_koenig_reproduces_the_target_spectrum():
    """Mean periodogram of 64 TK series equals S(f) within its χ² errors, and the
    variance equals Σ S df (periodic series: no leakage)."""
    n, dt, reps = 1024, 0.5, 64
    psd = lambda f: power_law(f, 0.02, 1.5, 0.5)
    xs = jax.vmap(lambda k: timmer_koenig(k, psd, n, dt, mean=3.0))(
        jax.random.split(jax.random.PRNGKey(0), reps)
    )
    ps = sp.periodogram(xs, dt, norm="psd")
    mean_p = np.asarray(ps.power).mean(axis=0)
    target = np.asarray(psd(ps.freq))
    z = (mean_p - target) / (target / np.sqrt(reps))
    assert abs(z.mean()) < 4 / np.sqrt(z.size)
    assert 0.85 < np.mean(z**2) < 1.15
    np.testing.assert_allclose(np.asarray(xs).mean(), 3.0, atol=0.05)
    var_theory = (np.sum(target) + 0.5 * psd(jnp.asarray(1 / (2 * dt)))) / (n * dt)
    np.testing.assert_allclose(np.asarray(xs).var(axis=1).mean(), var_theory, rtol=0.05)


def test_expected_periodogram_of_white_noise_is_flat():
    r = np.zeros(256)
    r[0] = 2.0
    e = sp.expected_periodogram(r, 0.1)
    np.testing.assert_allclose(e, 2 * 2.0 * 0.1, rtol=1e-12)


def test_stochastic_oscillator_has_its_lorentzian_spectrum():
    """simulate the SDE System; its averaged periodogram equals the exact expectation from
    the autocovariance (Fejér leakage and aliasing included) below 5 f0, and the variance
    is rms². The solver step is 1/5 of the sampling step (Heun, additive noise)."""
    osc = StochasticOscillator(frequency=1.0, quality=5.0, rms=2.0)
    h, n, seg = 0.05, 4096, 512
    ts = np.arange(1, n + 1) * h

    def one(k):
        traj = jaxdyn.simulate(
            osc,
            ts[-1],
            ts=ts,
            key=k,
            dt=0.01,
            solver=diffrax.Heun(),
            observable=lambda t, y: y[0],
        )
        return traj.ys

    xs = jax.jit(jax.vmap(one))(jax.random.split(jax.random.PRNGKey(0), 8))
    ps = sp.power_spectrum(xs, h, segment_size=seg * h, norm="psd")
    mean_p = np.asarray(ps.power).mean(axis=0)
    expected = np.asarray(sp.expected_periodogram(osc.autocovariance(np.arange(seg) * h), h))
    band = np.asarray(ps.freq) <= 5.0
    z = ((mean_p - expected) / (expected / np.sqrt(8 * ps.m)))[band]
    assert np.mean(z**2) < 1.3 and abs(z.mean()) < 4 / np.sqrt(z.size)
    np.testing.assert_allclose(np.asarray(xs).var(), 4.0, rtol=0.06)
    # the continuous spectrum integrates to rms² and peaks at f0 with FWHM ~ f0/Q
    f = np.linspace(1e-4, 50, 400001)
    s = np.asarray(osc.psd(f))
    np.testing.assert_allclose(np.trapezoid(s, f), 4.0, rtol=2e-3)
    half = f[s >= s.max() / 2]
    np.testing.assert_allclose(half[-1] - half[0], 1.0 / 5.0, rtol=0.02)


def test_multi_lorentzian_cross_spectrum_matches_its_simulation(two_bands):
    """The two-band simulation's measured spectra follow the model within their errors."""
    c1, c2 = two_bands
    cs = sp.cross_spectrum(c1, c2, DT, segment_size=SEG)
    model = MultiLorentzian(
        freq=[0.0, 4.0],
        width=[2.0, 1.0],
        rms1=[0.2, 0.08],
        rms2=[0.25, 0.1],
        lag=[0.1, 1.2],
        noise1=cs.noise1,
        noise2=cs.noise2,
    )
    s1, s2, g = model.spectra(cs.freq)
    d_re, d_im = cs.cross_err()
    for data, mdl, err in [
        (cs.power1, s1, s1 / np.sqrt(cs.m)),
        (cs.power2, s2, s2 / np.sqrt(cs.m)),
        (jnp.real(cs.cross), jnp.real(g), d_re),
        (jnp.imag(cs.cross), jnp.imag(g), d_im),
    ]:
        chi2 = float(np.mean(((data - mdl) / err) ** 2))
        assert 0.8 < chi2 < 1.25, chi2
    f = np.linspace(0, 200, 2_000_001)
    np.testing.assert_allclose(np.trapezoid(lorentzian(f, 4.0, 1.0, 0.1), f), 0.01, rtol=2e-3)


@pytest.mark.slow
def test_lag_and_coherence_errors_match_their_scatter():
    """Monte Carlo: the scatter of the phase lag and raw coherence over 200 independent
    observations equals the mean predicted 1σ error (within 15 %)."""
    model = MultiLorentzian(freq=[0.0], width=[4.0], rms1=[0.2], rms2=[0.2], lag=[0.5])
    n = int(64 * SEG / DT)

    def one(k):
        c = model.simulate(k, n, DT, 3000.0, 3000.0)
        cs = sp.cross_spectrum(c[0], c[1], DT, segment_size=SEG)
        return (*sp.phase_lag(cs), *sp.coherence(cs))

    lag, lag_err, coh, coh_err = jax.jit(jax.vmap(one))(
        jax.random.split(jax.random.PRNGKey(5), 200)
    )
    sel = slice(4, 24)  # 0.5-3 Hz: coherent signal well above the counting noise
    for value, err in ((lag, lag_err), (coh, coh_err)):
        value, err = np.asarray(value)[:, sel], np.asarray(err)[:, sel]
        assert np.all(np.isfinite(err))
        np.testing.assert_allclose(np.std(value, axis=0), np.median(err, axis=0), rtol=0.3)
        np.testing.assert_allclose(
            np.std(value, axis=0).mean(), np.median(err, axis=0).mean(), rtol=0.1
        )


# ------------------------------------------------------------------------ bad input
RATE = np.full(1024, 5.0)
BAD = [
    ("negative rates", lambda: sp.power_spectrum(RATE - 6.0, 0.1), ValueError, "x must be non"),
    (
        "NaN in x",
        lambda: sp.power_spectrum(np.r_[np.nan, RATE[1:]], 0.1),
        ValueError,
        "x must be finite",
    ),
    (
        "inf in x2",
        lambda: sp.cross_spectrum(RATE, np.r_[np.inf, RATE[1:]], 0.1),
        ValueError,
        "x2 must be finite",
    ),
    (
        "segment longer than the series",
        lambda: sp.power_spectrum(RATE, 0.1, segment_size=200.0),
        ValueError,
        "segment_size",
    ),
    (
        "segment not whole bins",
        lambda: sp.power_spectrum(RATE, 0.1, segment_size=1.05),
        ValueError,
        "segment_size",
    ),
    (
        "uneven times",
        lambda: sp.power_spectrum(RATE, times=np.cumsum(np.r_[1.0, np.full(1023, 0.1)]) ** 1.01),
        ValueError,
        "times must be evenly sampled",
    ),
    (
        "times and x disagree",
        lambda: sp.power_spectrum(RATE, times=np.arange(10.0)),
        ValueError,
        "times must have one entry",
    ),
    ("no dt", lambda: sp.power_spectrum(RATE), ValueError, "dt"),
    ("dt <= 0", lambda: sp.power_spectrum(RATE, -0.1), ValueError, "dt must be finite and > 0"),
    (
        "unknown norm",
        lambda: sp.power_spectrum(RATE, 0.1, norm="rms"),
        ValueError,
        "norm must be one of",
    ),
    (
        "x2 shape",
        lambda: sp.cross_spectrum(RATE, RATE[:10], 0.1),
        ValueError,
        "x2 must have the shape",
    ),
    ("too short", lambda: sp.power_spectrum(RATE[:1], 0.1), ValueError, "x must have at least 2"),
    ("complex input", lambda: sp.power_spectrum(RATE + 0j, 0.1), TypeError, "x must hold real"),
    ("rebin factor", lambda: sp.rebin(sp.power_spectrum(RATE, 0.1), 0), ValueError, "factor"),
    (
        "rebin_log f",
        lambda: sp.rebin_log(sp.power_spectrum(RATE, 0.1), -1.0),
        ValueError,
        "f must be",
    ),
    (
        "TK n",
        lambda: timmer_koenig(jax.random.PRNGKey(0), lambda f: f, 1, 0.1),
        ValueError,
        "n must lie",
    ),
    (
        "TK psd length",
        lambda: timmer_koenig(jax.random.PRNGKey(0), np.ones(3), 16, 0.1),
        ValueError,
        "psd must have",
    ),
    (
        "model shapes",
        lambda: MultiLorentzian([1.0, 2.0], [1.0], [0.1], [0.1], [0.0]),
        ValueError,
        "one entry per component",
    ),
    (
        "model negative width",
        lambda: MultiLorentzian([1.0], [-1.0], [0.1], [0.1], [0.0]),
        ValueError,
        "width must be",
    ),
    ("oscillator quality", lambda: StochasticOscillator(quality=-1.0), ValueError, "quality"),
]


@pytest.mark.parametrize("case,call,exc,match", BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_named(case, call, exc, match):
    with pytest.raises(exc, match=match):
        call()
