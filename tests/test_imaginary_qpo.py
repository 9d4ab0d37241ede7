"""Paper 15: the multi-Lorentzian cross spectrum and the imaginary-QPO effect."""

from __future__ import annotations

import jax
import numpy as np
import pytest

from jaxdyn.analysis.lorentzians import MultiLorentzian, lorentzian
from jaxdyn.experiments.imaginary_qpo import PRESETS
from jaxdyn.experiments.imaginary_qpo.run import fit_observation, lrt_sigma, observe, truth_model


def test_an_imaginary_component_adds_to_im_g_and_drops_the_coherence():
    """Closed form at the QPO centroid: Re G = √(L1 L2) cos 0 of the broad component,
    Im G = √(q1 q2) (φ = π/2), so γ² = (B² + q1 q2)/((B1 + q1)(B2 + q2)) with B = √(B1 B2),
    below 1; away from the QPO γ² -> 1 and arg G -> the broad lag."""
    m = MultiLorentzian(freq=[0.0, 4.0], width=[4.0, 0.5], rms1=[0.2, 0.03], rms2=[0.2, 0.04],
                        lag=[0.0, np.pi / 2])  # fmt: skip
    b1, b2 = (float(lorentzian(4.0, 0.0, 4.0, r)) for r in (0.2, 0.2))
    q1, q2 = float(lorentzian(4.0, 4.0, 0.5, 0.03)), float(lorentzian(4.0, 4.0, 0.5, 0.04))
    s1, s2, g = (np.asarray(a) for a in m.spectra(np.array([4.0])))
    np.testing.assert_allclose(g.real, np.sqrt(b1 * b2), rtol=1e-12)
    np.testing.assert_allclose(g.imag, np.sqrt(q1 * q2), rtol=1e-10)
    expect = (b1 * b2 + q1 * q2) / ((b1 + q1) * (b2 + q2))
    np.testing.assert_allclose(m.coherence(np.array([4.0])), expect, rtol=1e-12)
    assert expect < 0.97
    np.testing.assert_allclose(m.coherence(np.array([0.5, 12.0])), 1.0, atol=0.015)
    np.testing.assert_allclose(
        m.phase_lag(np.array([4.0])), np.arctan2(np.sqrt(q1 * q2), np.sqrt(b1 * b2))
    )


@pytest.mark.slow
def test_imaginary_qpo_hides_in_the_power_spectra_and_the_joint_fit_recovers_it():
    """The quick preset's fiducial observation: < 3σ in each power spectrum alone, > 5σ
    jointly; the joint fit recovers centroid, width, rms and lag within 3σ (Laplace)."""
    cfg = PRESETS["quick"]
    truth = truth_model(cfg, cfg.qpo_freq)
    cs = observe(cfg, truth, jax.random.PRNGKey(11))
    r = jax.jit(lambda cs: fit_observation(cfg, cs))(cs)
    assert lrt_sigma(r["ps1_dlnl"], 3) < 3 and lrt_sigma(r["ps2_dlnl"], 3) < 3
    assert lrt_sigma(r["joint_dlnl"], 5) > 5
    for f in ("freq", "width", "rms1", "rms2", "lag"):
        est, err = float(r["joint_params"][f][-1]), float(r["joint_stderr"][f][-1])
        assert abs(est - float(getattr(truth, f)[-1])) < 3 * err, (f, est, err)
