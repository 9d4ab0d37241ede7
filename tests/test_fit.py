"""fit: gradients through the solve, recovery of known parameters, constraints."""

from typing import ClassVar

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from jaxdyn import AbstractODE, Interval, Positive, fit, simulate
from jaxdyn.systems import Sync1D


class Decay(AbstractODE):
    rate: jax.Array
    y0: jax.Array
    param_ranges: ClassVar = {"rate": (0.0, 1e3)}

    def drift(self, t, y, args=None):
        return -self.rate * y

    def initial_state(self, key=None):
        return self.y0


TS = np.linspace(0.2, 3.0, 15)


def _loss_on(data):
    def loss(m):
        return jnp.mean((simulate(m, 3.0, ts=TS, rtol=1e-9, atol=1e-11).ys - data) ** 2)

    return loss


def test_fit_recovers_decay_rate_and_amplitude():
    data = 2.5 * np.exp(-1.7 * TS)
    start = Decay(rate=jnp.asarray(0.5), y0=jnp.asarray(1.0))
    res = fit(
        _loss_on(data),
        start,
        ["rate", "y0"],
        transforms={"rate": Positive()},
        optimizer=optax.adam(0.05),
        steps=600,
    )
    assert float(res.params["rate"]) == pytest.approx(1.7, rel=1e-3)
    assert float(res.params["y0"]) == pytest.approx(2.5, rel=1e-3)
    assert res.history[-1] < 1e-6 * res.history[0]
    assert res.hessian.shape == (2, 2)
    # At an exact fit the Hessian of the mean squared error is (2/n) J^T J: check one entry.
    jac = np.stack([-TS * 2.5 * np.exp(-1.7 * TS), np.exp(-1.7 * TS)], axis=1)
    np.testing.assert_allclose(res.hessian, 2 * jac.T @ jac / len(TS), rtol=5e-3)


def test_loss_gradient_matches_finite_differences_through_sync1d():
    """d/d(K, a) of a W(t) misfit of the columnar ring, through the adaptive solve."""
    key = jax.random.PRNGKey(3)
    ts = np.linspace(1.0, 20.0, 10)

    def w2(K, a):
        sys = Sync1D(L=16, K=K, sigma=0.5, a=a, randomness="columnar")
        tr = simulate(
            sys, 20.0, key=key, ts=ts, rtol=1e-10, atol=1e-10, observable=lambda t, y: jnp.var(y[0])
        )
        return tr.ys

    target = w2(1.0, 0.3)
    loss = lambda K, a: jnp.sum((w2(K, a) - target) ** 2)
    K0, a0 = 1.3, 0.1
    gK, ga = jax.grad(loss, argnums=(0, 1))(K0, a0)
    h = 1e-5
    fdK = (loss(K0 + h, a0) - loss(K0 - h, a0)) / (2 * h)
    fda = (loss(K0, a0 + h) - loss(K0, a0 - h)) / (2 * h)
    assert float(gK) == pytest.approx(float(fdK), rel=1e-5)
    assert float(ga) == pytest.approx(float(fda), rel=1e-5)
    assert abs(float(gK)) > 1e-6 and abs(float(ga)) > 1e-6


@pytest.mark.parametrize("tf", [Positive(), Interval(-2.0, 3.0)])
def test_transforms_round_trip(tf):
    u = jnp.linspace(-5.0, 5.0, 11)
    np.testing.assert_allclose(tf.inverse(tf.forward(u)), u, rtol=1e-9, atol=1e-9)


def test_fit_rejects_bad_arguments():
    m = Decay(rate=jnp.asarray(1.0), y0=jnp.asarray(1.0))
    loss = lambda m: m.rate**2
    with pytest.raises(ValueError, match="no field 'nope'"):
        fit(loss, m, ["nope"])
    with pytest.raises(ValueError, match="at least one field"):
        fit(loss, m, [])
    with pytest.raises(ValueError, match="not fitted"):
        fit(loss, m, ["rate"], transforms={"y0": Positive()})
    with pytest.raises(ValueError, match="high > low"):
        Interval(1.0, 0.0)
