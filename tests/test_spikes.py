"""Spiking metrics (NLB bits per spike, R²), the smoothing baseline and the Lorenz data."""

import math

import jax
import numpy as np
import pytest
from scipy.stats import poisson

from jaxdyn.analysis import spikes as sp
from jaxdyn.analysis.bootstrap import bootstrap_interval
from jaxdyn.analysis.latents import affine_alignment


@pytest.fixture
def poisson_data():
    rng = np.random.default_rng(0)
    rates = np.exp(rng.normal(-1.0, 0.8, size=(400, 20, 6)))
    counts = rng.poisson(rates)
    return rates, counts


def test_poisson_log_likelihood_matches_scipy():
    rates = np.array([[[0.5, 2.0], [1e-3, 3.0]]])
    counts = np.array([[[0, 4], [1, 2]]])
    expected = poisson.logpmf(counts, rates).sum()
    assert sp.poisson_log_likelihood(rates, counts) == pytest.approx(expected, rel=1e-12)


def test_bits_per_spike_hand_computed():
    rates = np.array([[[0.5], [2.0], [1.0]]])
    counts = np.array([[[0], [3], [1]]])
    null = counts.mean()
    ll = poisson.logpmf(counts, rates).sum()
    ll0 = poisson.logpmf(counts, null).sum()
    expected = (ll - ll0) / (counts.sum() * math.log(2))
    assert sp.bits_per_spike(rates, counts) == pytest.approx(expected, rel=1e-12)


def test_null_model_scores_exactly_zero(poisson_data):
    _, counts = poisson_data
    assert sp.bits_per_spike(sp.null_rates(counts), counts) == 0.0
    heldout, n_obs = np.array([4, 5]), 15
    null_co = np.broadcast_to(counts[:, :n_obs].reshape(-1, 6).mean(0), counts.shape)
    assert sp.co_bps(null_co, counts, heldout, n_obs) == 0.0
    null_fp = np.broadcast_to(counts[:, n_obs:].reshape(-1, 6).mean(0), counts.shape)
    assert sp.fp_bps(null_fp, counts, n_obs) == 0.0


def test_oracle_is_the_maximum(poisson_data):
    rates, counts = poisson_data
    best = sp.bits_per_spike(rates, counts)
    assert best > 0.2
    null = sp.null_rates(counts)
    # Every distortion of the true rates scores lower: rescaling, sharpening, blurring
    # toward the null model, and additive noise in log space.
    rng = np.random.default_rng(1)
    others = [
        rates * 1.2,
        rates / 1.2,
        rates**1.2,
        rates**0.8,
        0.7 * rates + 0.3 * null,
        rates * np.exp(0.2 * rng.normal(size=rates.shape)),
    ]
    for other in others:
        assert sp.bits_per_spike(other, counts) < best - 1e-3


def test_zero_rate_at_a_spike_is_minus_infinity():
    assert sp.bits_per_spike(np.array([[[0.0], [1.0]]]), np.array([[[1], [1]]])) == -np.inf


def test_metric_input_errors():
    with pytest.raises(ValueError, match="same shape"):
        sp.bits_per_spike(np.ones((2, 3, 4)), np.ones((2, 3, 5)))
    with pytest.raises(ValueError, match="non-negative integers"):
        sp.bits_per_spike(np.ones((2, 3)), np.full((2, 3), 0.5))
    with pytest.raises(ValueError, match="n_obs"):
        sp.fp_bps(np.ones((2, 3, 4)), np.ones((2, 3, 4)), 3)
    with pytest.raises(ValueError, match="sigma_bins"):
        sp.smooth_spikes(np.ones((2, 3, 4)), 0.0)


def test_rate_r2():
    rng = np.random.default_rng(2)
    true = rng.uniform(0.1, 2.0, size=(10, 8, 3))
    assert sp.rate_r2(true, true) == 1.0
    mean = np.broadcast_to(true.reshape(-1, 3).mean(0), true.shape)
    assert sp.rate_r2(mean, true) == pytest.approx(0.0, abs=1e-12)
    assert sp.rate_correlation(2 * true + 1, true) == pytest.approx(1.0, abs=1e-12)


def test_smoothing_preserves_constants_and_mass():
    c = np.full((2, 30, 3), 2.0)
    np.testing.assert_allclose(sp.smooth_spikes(c, 3.0), c, rtol=1e-12)
    impulse = np.zeros((1, 41, 1))
    impulse[0, 20, 0] = 1.0
    s = sp.smooth_spikes(impulse, 2.0)[0, :, 0]
    assert s.sum() == pytest.approx(1.0, rel=1e-3)  # far from the edges nothing is lost
    assert np.argmax(s) == 20


def test_poisson_glm_recovers_weights():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(20000, 3))
    w_true = np.array([0.5, -0.3, 0.2])
    y = rng.poisson(np.exp(x @ w_true + 0.4))[:, None]
    w = sp.fit_poisson_glm(x, y, alpha=0.0)
    np.testing.assert_allclose(w[:3, 0], w_true, atol=0.03)
    assert w[3, 0] == pytest.approx(0.4, abs=0.03)


def test_smoothing_baseline_beats_null(poisson_data):
    # Held-out neurons that are smooth functions of held-in ones: the GLM must find them.
    rng = np.random.default_rng(4)
    t = np.arange(40)
    phase = rng.uniform(0, 2 * np.pi, size=(300, 1, 1))
    drive = np.sin(2 * np.pi * t[None, :, None] / 20 + phase)
    rates = np.exp(0.8 * drive * np.array([1, -1, 0.5, 1, -0.7]) - 0.5)
    counts = rng.poisson(rates)
    pred = sp.smoothed_spikes_baseline(counts[:200], counts[200:], np.arange(3), 30)
    assert pred.shape == counts[200:].shape
    co = sp.co_bps(pred, counts[200:], np.array([3, 4]), 30)
    oracle = sp.co_bps(rates[200:], counts[200:], np.array([3, 4]), 30)
    assert 0.5 * oracle < co < oracle


def test_affine_alignment_recovers_an_affine_map():
    rng = np.random.default_rng(5)
    truth = rng.normal(size=(20, 30, 3))
    a, b = rng.normal(size=(3, 4)), rng.normal(size=4)
    latents = truth @ a + b  # an invertible-on-its-range affine image of the truth
    fit, r2 = affine_alignment(latents, truth)
    np.testing.assert_allclose(fit, truth, atol=1e-10)
    assert r2 == pytest.approx(1.0, abs=1e-12)
    # Independent latents explain nothing beyond chance (4 regressors on 600 points).
    _, r2_noise = affine_alignment(rng.normal(size=(20, 30, 4)), truth)
    assert 0.0 <= r2_noise < 0.03
    with pytest.raises(ValueError, match="leading axes"):
        affine_alignment(np.zeros((5, 2)), np.zeros((4, 3)))


def test_bootstrap_interval_of_a_mean():
    rng = np.random.default_rng(6)
    x = rng.normal(2.0, 1.0, size=400)
    lo, hi = bootstrap_interval(lambda i: x[i].mean(), 400, jax.random.PRNGKey(0), n_boot=2000)
    # Percentile interval of the mean: centred on the sample mean, half-width 1.96 s/√n.
    half = 1.96 * x.std(ddof=1) / np.sqrt(400)
    assert (lo + hi) / 2 == pytest.approx(x.mean(), abs=0.1 * half)
    assert (hi - lo) / 2 == pytest.approx(half, rel=0.1)
    lo2, hi2 = bootstrap_interval(
        lambda i: [x[i].mean(), x[i].max()], 400, jax.random.PRNGKey(0), n_boot=50
    )
    assert lo2.shape == (2,) and np.all(lo2 <= hi2)
    with pytest.raises(ValueError, match="n_boot"):
        bootstrap_interval(lambda i: 0.0, 10, jax.random.PRNGKey(0), n_boot=5)
