"""Paper 2: the time-varying power-law-plus-white background of local wavelet power."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxdyn.analysis.bayes import maximize
from jaxdyn.analysis.lightcurves import power_law, timmer_koenig
from jaxdyn.analysis.wavelet_background import (
    PowerLawBackground,
    background_data,
    initial_background,
    legendre,
    log_posterior,
)
from jaxdyn.analysis.wavelets import cwt, power_law_background
from jaxdyn.experiments.wavelet_mcmc import PRESETS
from jaxdyn.experiments.wavelet_mcmc.run import Template, analyse, make_noise


def test_legendre_basis_is_orthogonal():
    tau = np.linspace(-1, 1, 20001)
    p = np.asarray(legendre(jnp.asarray(tau), 4))
    gram = np.trapezoid(p[:, None] * p[None], tau, axis=-1)
    np.testing.assert_allclose(gram, np.diag(2 / (2 * np.arange(4) + 1)), atol=1e-6)


def test_background_fit_recovers_a_stationary_power_law_plus_white():
    """TK noise S = A f^-2 + C: the fitted wavelet background has index 2 and white level
    C/(2δt) (T&C's mapping), and no time variation (degree 2 terms ~ 0)."""
    amp, index, white, n = 2e-3, 2.0, 0.5, 2048
    x = timmer_koenig(jax.random.PRNGKey(0), lambda f: power_law(f, amp, index, white), n, 1.0)
    w = cwt(x - jnp.mean(x), 1.0, dj=0.25)
    data = background_data(w, stride=4, period_range=(2.5, n / 2))
    r = maximize(lambda b: log_posterior(b, data), initial_background(w, 2),
                 ("log_amp", "index", "log_white"), steps=800, learning_rate=0.05)  # fmt: skip
    bg = r.model
    assert abs(float(bg.index[0]) - index) < 4 * float(r.stderr["index"][0]) + 0.1
    np.testing.assert_allclose(np.exp(float(bg.log_white[0])), white / 2, rtol=0.15)
    ref = float(power_law_background(bg.period_ref, 1.0, amp, index)[0])
    np.testing.assert_allclose(np.exp(float(bg.log_amp[0])), ref, rtol=0.3)
    for f in ("log_amp", "index", "log_white"):  # no time variation beyond the errors
        assert abs(float(getattr(bg, f)[1])) < 4 * float(r.stderr[f][1]), f


@pytest.mark.slow
def test_false_detections_in_pure_noise_are_near_nominal():
    """Pure non-stationary noise (quick preset): the MCMC background's global test fires
    at about the nominal 5 % rate, and its pointwise false positives in both halves too."""
    cfg = PRESETS["quick"].replace(nuts_warmup=150, nuts_samples=150, pvalue_draws=30)
    tpl = Template(cfg)

    def one(key):
        k1, k2 = jax.random.split(key)
        return analyse(cfg, tpl, make_noise(cfg, k1), 16.0, k2)

    r = jax.jit(jax.vmap(one))(jax.random.split(jax.random.PRNGKey(0), 48))
    assert float(np.mean(r["det_mcmc"])) < 0.15
    for half in ("early", "late"):
        assert 0.02 < float(np.mean(r[f"fp_mcmc_{half}"])) < 0.09
    assert PowerLawBackground is not None
