"""Spectral log-likelihoods, their maximisation and NUTS sampling (exact posteriors)."""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats

from jaxdyn import Positive, fit
from jaxdyn.analysis.bayes import maximize, sample_nuts
from jaxdyn.analysis.likelihoods import exponential_loglike, whittle_loglike, wishart_loglike


class Flat(eqx.Module):
    level: jax.Array


class PowerLaw(eqx.Module):
    amp: jax.Array
    index: jax.Array


F = jnp.linspace(0.01, 1.0, 200)


def pl(m):
    return m.amp * F ** (-m.index)


def whittle_data(key, m=10.0):
    truth = PowerLaw(jnp.asarray(2.0), jnp.asarray(1.5))
    return pl(truth) * jax.random.gamma(key, m, (F.size,)) / m


def test_whittle_is_the_gamma_density():
    p, s, m = np.array([0.3, 1.7, 4.0]), np.array([1.0, 2.0, 3.0]), 7.0
    ref = scipy.stats.gamma.logpdf(p, a=m, scale=s / m).sum()
    np.testing.assert_allclose(whittle_loglike(s, p, m), ref, rtol=1e-12)


def test_wishart_is_maximal_at_the_data_and_has_zero_mean_score():
    """The complex-Wishart likelihood of (P1, P2, C) is maximised by the model equal to
    the data, and its score has zero mean over simulated data (a proper likelihood)."""
    s1, s2, g = 2.0, 1.0, 0.9 * np.sqrt(2.0) * np.exp(0.7j)
    m = 16
    chol = np.linalg.cholesky(np.array([[s1, np.conj(g)], [g, s2]]))
    rng = np.random.default_rng(0)
    z = (rng.standard_normal((4000, m, 2)) + 1j * rng.standard_normal((4000, m, 2))) / np.sqrt(2)
    x = z @ chol.T  # rows (X1, X2) with covariance [[S1, G*], [G, S2]]
    p1 = np.mean(np.abs(x[..., 0]) ** 2, axis=1)
    p2 = np.mean(np.abs(x[..., 1]) ** 2, axis=1)
    c = np.mean(np.conj(x[..., 0]) * x[..., 1], axis=1)
    np.testing.assert_allclose(c.mean(), g, atol=0.02)
    p1, p2, c = jnp.asarray(p1), jnp.asarray(p2), jnp.asarray(c)

    def ll(theta, i):
        gg = theta[2] + 1j * theta[3]
        return wishart_loglike(theta[0], theta[1], gg, p1[i], p2[i], c[i], float(m))

    score = jax.vmap(jax.grad(ll), (None, 0))(jnp.array([s1, s2, g.real, g.imag]), np.arange(4000))
    se = np.asarray(score).std(axis=0) / np.sqrt(4000)
    assert np.all(np.abs(np.asarray(score).mean(axis=0)) < 4 * se)
    at_data = jnp.array([p1[0], p2[0], c[0].real, c[0].imag])
    np.testing.assert_allclose(jax.grad(ll)(at_data, 0), 0.0, atol=1e-8)


def test_maximize_agrees_with_fit_and_its_laplace_errors():
    p = whittle_data(jax.random.PRNGKey(0))
    ll = lambda m: whittle_loglike(pl(m), p, 10.0)
    start = PowerLaw(jnp.asarray(1.8), jnp.asarray(1.4))
    tf = {"amp": Positive()}
    ref = fit(lambda m: -ll(m), start, ["amp", "index"], transforms=tf, steps=600)
    ours = jax.jit(lambda: maximize(ll, start, ["amp", "index"], transforms=tf, steps=600))()
    for k in ("amp", "index"):
        np.testing.assert_allclose(ours.params[k], ref.params[k], rtol=1e-5)
        np.testing.assert_allclose(ours.stderr[k], ref.stderr[k], rtol=1e-3)


def test_nuts_samples_the_exact_posterior_of_a_flat_spectrum():
    """Flat spectrum S, K averaged powers of m each, flat prior on S: the posterior is
    inverse-gamma(mK - 1, m Σ P); NUTS in the softplus coordinate (with its Jacobian)
    reproduces its mean and standard deviation."""
    m, k = 4.0, 50
    p = 3.0 * jax.random.gamma(jax.random.PRNGKey(2), m, (k,)) / m
    ll = lambda mod: whittle_loglike(jnp.full(k, mod.level), p, m)
    post = jax.jit(
        lambda key: sample_nuts(
            ll,
            Flat(jnp.asarray(2.0)),
            ["level"],
            key=key,
            transforms={"level": Positive()},
            num_warmup=400,
            num_samples=4000,
        )
    )(jax.random.PRNGKey(3))
    exact = scipy.stats.invgamma(a=m * k - 1, scale=m * float(p.sum()))
    s = np.asarray(post.samples["level"])
    assert int(post.divergences) == 0 and float(post.acceptance) > 0.6
    np.testing.assert_allclose(s.mean(), exact.mean(), rtol=0.01)
    np.testing.assert_allclose(s.std(), exact.std(), rtol=0.1)


@pytest.mark.slow
def test_nuts_vmaps_over_series():
    ps = jax.vmap(whittle_data)(jax.random.split(jax.random.PRNGKey(4), 3))
    start = PowerLaw(jnp.asarray(2.0), jnp.asarray(1.5))

    def run(p, key):
        post = sample_nuts(
            lambda m: whittle_loglike(pl(m), p, 10.0),
            start,
            ["amp", "index"],
            key=key,
            transforms={"amp": Positive()},
            num_warmup=150,
            num_samples=200,
        )
        return post.samples["index"]

    keys = jax.random.split(jax.random.PRNGKey(5), 3)
    batched = jax.jit(jax.vmap(run))(ps, keys)
    single = jax.jit(run)(ps[1], keys[1])
    # the same chain up to round-off (vmapped arithmetic differs in the last bits, and
    # a Markov chain amplifies that): the same posterior
    b1, s1 = np.asarray(batched[1]), np.asarray(single)
    np.testing.assert_allclose(b1[:3], s1[:3], rtol=1e-3)
    assert abs(b1.mean() - s1.mean()) < 0.25 * s1.std()
    # each posterior covers the truth
    assert np.all(
        np.abs(np.asarray(batched).mean(axis=1) - 1.5) < 4 * np.asarray(batched).std(axis=1)
    )


def test_exponential_loglike_maximum_is_the_weighted_mean():
    p = jnp.array([1.0, 2.0, 6.0])
    w = jnp.array([1.0, 0.5, 0.25])
    b = jnp.linspace(0.5, 5, 9001)
    vals = jax.vmap(lambda x: exponential_loglike(jnp.full(3, x), p, w))(b)
    np.testing.assert_allclose(b[jnp.argmax(vals)], (w * p).sum() / w.sum(), atol=1e-3)


BAD = [
    (
        "no fields",
        lambda: sample_nuts(lambda m: 0.0, Flat(jnp.asarray(1.0)), [], key=jax.random.PRNGKey(0)),
        ValueError,
        "fields",
    ),
    (
        "unknown field",
        lambda: sample_nuts(
            lambda m: 0.0, Flat(jnp.asarray(1.0)), ["x"], key=jax.random.PRNGKey(0)
        ),
        ValueError,
        "no field 'x'",
    ),
    (
        "num_samples",
        lambda: sample_nuts(
            lambda m: 0.0,
            Flat(jnp.asarray(1.0)),
            ["level"],
            key=jax.random.PRNGKey(0),
            num_samples=0,
        ),
        ValueError,
        "num_samples",
    ),
    (
        "target_accept",
        lambda: sample_nuts(
            lambda m: 0.0,
            Flat(jnp.asarray(1.0)),
            ["level"],
            key=jax.random.PRNGKey(0),
            target_accept=1.0,
        ),
        ValueError,
        "target_accept",
    ),
    (
        "stray transform",
        lambda: maximize(
            lambda m: 0.0, Flat(jnp.asarray(1.0)), ["level"], transforms={"x": Positive()}
        ),
        ValueError,
        "transforms",
    ),
    (
        "steps",
        lambda: maximize(lambda m: 0.0, Flat(jnp.asarray(1.0)), ["level"], steps=0),
        ValueError,
        "steps",
    ),
]


@pytest.mark.parametrize("case,call,exc,match", BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_named(case, call, exc, match):
    with pytest.raises(exc, match=match):
        call()
