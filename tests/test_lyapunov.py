"""Lyapunov spectra: exact linear answers, Lorenz against the literature, sum rules."""

from __future__ import annotations

from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxdyn
from jaxdyn.analysis.lyapunov import divergence, largest_lyapunov, lyapunov_spectrum
from jaxdyn.core import ClassicRK4
from jaxdyn.systems import GaussMap, Lorenz, RechargeOscillator, Sync1D

FIXED = dict(solver=ClassicRK4(), adaptive=False, dt=0.01)


class LinearODE(jaxdyn.AbstractODE):
    A: jax.Array
    param_ranges: ClassVar = {}

    def drift(self, t, y, args=None):
        return self.A @ y

    def initial_state(self, key=None):
        return jnp.ones(self.A.shape[0])


class LinearMap(jaxdyn.AbstractMap):
    A: jax.Array
    param_ranges: ClassVar = {}
    random_steps: ClassVar[bool] = False

    def step(self, t, y, key, args=None):
        return self.A @ y

    def initial_state(self, key=None):
        return jnp.ones(self.A.shape[0])


class VanDerPol(jaxdyn.AbstractODE):
    mu: jax.Array
    param_ranges: ClassVar = {"mu": (0.0, 10.0)}
    t_char: ClassVar[float] = 5.0

    def drift(self, t, y, args=None):
        x, v = y
        return jnp.stack([v, self.mu * (1 - x**2) * v - x])

    def initial_state(self, key=None):
        return jnp.array([2.0, 0.0])


def test_linear_flow_exponents_are_the_real_parts_of_the_eigenvalues():
    # Non-normal, with a complex pair: real parts -0.3 (twice) and 0.2.
    P = jnp.array([[1.0, 0.5, 0.2], [0.0, 1.0, 0.3], [0.4, 0.0, 1.0]])
    J = jnp.array([[-0.3, 1.5, 0.0], [-1.5, -0.3, 0.0], [0.0, 0.0, 0.2]])
    A = P @ J @ jnp.linalg.inv(P)
    lam = lyapunov_spectrum(LinearODE(A), 400.0, t_renorm=0.5, **FIXED)
    np.testing.assert_allclose(np.asarray(lam), [0.2, -0.3, -0.3], atol=5e-3)
    # the sum is exact at any time: log det of the propagator = t tr A
    np.testing.assert_allclose(float(lam.sum()), float(jnp.trace(A)), rtol=1e-8)


def test_linear_map_exponents_are_log_moduli_of_the_eigenvalues():
    A = jnp.array([[0.5, 2.0], [0.0, -1.5]])  # eigenvalues 0.5, -1.5 (non-normal)
    lam = lyapunov_spectrum(LinearMap(A), 4000.0)
    np.testing.assert_allclose(np.asarray(lam), np.log([1.5, 0.5]), atol=2e-3)
    # the sum is exact at every step: log |det A| per step
    lam1 = lyapunov_spectrum(LinearMap(A), 3.0)
    np.testing.assert_allclose(float(lam1.sum()), np.log(0.75), rtol=1e-13)


def test_lorenz_spectrum_matches_the_literature_and_its_sum_is_the_divergence():
    # Literature (e.g. Sprott, "Chaos and Time-Series Analysis", OUP 2003; Wolf et al.
    # 1985): 0.9056, 0, -14.5723 at sigma = 10, rho = 28, beta = 8/3.
    lam = lyapunov_spectrum(Lorenz(), 2000.0, t_renorm=0.1, transient=20.0, **FIXED)
    lam = np.asarray(lam)
    assert abs(lam[0] - 0.9056) < 0.02, lam
    assert abs(lam[1]) < 0.01, lam  # the flow direction: one zero exponent
    assert abs(lam[2] + 14.5723) < 0.02, lam
    # divergence of Lorenz is -(sigma + 1 + beta), constant
    # (up to the RK4 error at dt = 0.01: the QR sum is log det of the computed propagator)
    np.testing.assert_allclose(lam.sum(), -(10 + 1 + 8 / 3), rtol=1e-5)


def test_two_trajectory_estimate_is_exact_for_a_linear_flow_and_agrees_on_lorenz():
    # linear flow: the separation obeys the same ODE, so any delta gives the top exponent
    # (a decaying one: a growing orbit would swamp an absolute delta in round-off)
    P = jnp.array([[1.0, 0.5], [0.2, 1.0]])
    A = P @ jnp.diag(jnp.array([-0.2, -0.9])) @ jnp.linalg.inv(P)
    lam = largest_lyapunov(LinearODE(A), 200.0, t_renorm=0.5, delta=1e-3, **FIXED)
    assert abs(float(lam) + 0.2) < 5e-3, lam
    # Lorenz: the literature's 0.9056, and the tangent-flow estimate on the same orbit
    lam = float(largest_lyapunov(Lorenz(), 1000.0, t_renorm=0.5, transient=20.0, **FIXED))
    qr = float(lyapunov_spectrum(Lorenz(), 1000.0, t_renorm=0.5, transient=20.0, **FIXED)[0])
    assert abs(lam - 0.9056) < 0.03, lam
    assert abs(lam - qr) < 0.02, (lam, qr)


def test_two_trajectory_estimate_with_an_adaptive_solver_shares_the_steps():
    # Two separate adaptive solves would each place their own steps: at rtol 1e-3 their
    # truncation errors (~rtol |y|) swamp the separation and gave 1.46 instead of 0.91.
    lam = largest_lyapunov(Lorenz(), 300.0, t_renorm=0.5, transient=20.0, rtol=1e-3, atol=1e-3)
    assert abs(float(lam) - 0.9056) < 0.05, lam


class Relax(jaxdyn.AbstractODE):
    """dy/dt = -k (y - 3): the orbits merge to round-off away from the origin."""

    k: jax.Array
    param_ranges: ClassVar = {}

    def drift(self, t, y, args=None):
        return -self.k * (y - 3.0)

    def initial_state(self, key=None):
        return jnp.ones(2)


def test_two_trajectory_estimate_stays_finite_when_the_orbits_merge():
    # exponent -40: below what the separation can resolve over t_renorm = 5 (the
    # documented floor log(eps/delta)/t_renorm); the answer is that floor, not NaN
    lam = float(largest_lyapunov(Relax(jnp.asarray(40.0)), 50.0, t_renorm=5.0, **FIXED))
    eps = np.finfo(np.asarray(jnp.zeros(())).dtype).eps
    floor = np.log(eps / np.sqrt(eps)) / 5.0  # log(eps / delta) / t_renorm, |y| ~ 1
    assert np.isfinite(lam) and 1.5 * floor < lam < 0.7 * floor, (lam, floor)


def test_singular_map_gives_minus_infinity_not_nan():
    # rank-1 Jacobian: one direction collapses; log |R_22| = -inf, as with LAPACK's QR
    A = jnp.array([[0.5, 1.0], [0.0, 0.0]])
    lam = np.asarray(lyapunov_spectrum(LinearMap(A), 2000.0))
    # lam[0] carries the O(1/t) term of the first frame's projection
    assert abs(lam[0] - np.log(0.5)) < 1e-3 and np.isneginf(lam[1]), lam


def test_same_algorithm_in_numpy_gives_the_same_numbers():
    # RK4 (dt = 0.01) of the tangent system, QR every 0.1, generic frame: to round-off.
    # (Guards the step placement: each interval must take exactly 10 steps.)
    from jaxdyn.analysis.lyapunov import generic_frame

    s, rho = 10.0, 28.0

    def f(y, Q):
        x, yy, z = y
        J = np.array([[-s, s, 0], [rho - z, -1, -x], [yy, x, -8 / 3]])
        return np.array([s * (yy - x), x * (rho - z) - yy, x * yy - 8 / 3 * z]), J @ Q

    y, Q, logs, h = np.array([1.0, 1.0, 20.0]), np.asarray(generic_frame(3, 3)), np.zeros(3), 0.01
    for _ in range(8):
        for _ in range(10):
            k1 = f(y, Q)
            k2 = f(y + h / 2 * k1[0], Q + h / 2 * k1[1])
            k3 = f(y + h / 2 * k2[0], Q + h / 2 * k2[1])
            k4 = f(y + h * k3[0], Q + h * k3[1])
            y = y + h / 6 * (k1[0] + 2 * k2[0] + 2 * k3[0] + k4[0])
            Q = Q + h / 6 * (k1[1] + 2 * k2[1] + 2 * k3[1] + k4[1])
        Q, R = np.linalg.qr(Q)
        logs += np.log(np.abs(np.diag(R)))
    lam = lyapunov_spectrum(Lorenz(), 0.8, y0=jnp.array([1.0, 1.0, 20.0]), t_renorm=0.1, **FIXED)
    np.testing.assert_allclose(np.asarray(lam), logs / 0.8, rtol=0, atol=1e-11)


@pytest.mark.slow
def test_sum_equals_mean_divergence_and_one_exponent_is_zero_on_a_limit_cycle():
    s = VanDerPol(jnp.asarray(1.5))
    t1, tr = 1000.0, 50.0
    lam, (ts, running) = lyapunov_spectrum(
        s, t1, t_renorm=0.5, transient=tr, return_history=True, rtol=1e-10, atol=1e-12
    )
    y_start = jaxdyn.simulate(s, tr, rtol=1e-10, atol=1e-12).ys[-1]
    ts_div = np.linspace(0.0, t1, 100001)
    div = jaxdyn.simulate(
        s,
        t1,
        y0=y_start,
        ts=ts_div,
        rtol=1e-10,
        atol=1e-12,
        observable=lambda t, y: divergence(s, t, y),
    ).ys
    mean_div = np.trapezoid(np.asarray(div), ts_div) / t1
    np.testing.assert_allclose(float(lam.sum()), mean_div, rtol=1e-5)
    assert abs(float(lam[0])) < 5e-3  # the phase along the cycle neither grows nor decays
    assert float(lam[1]) < -0.5
    assert running.shape == (2000, 2) and ts.shape == (2000,)


def test_vmap_over_a_parameter_is_a_one_line_sweep_and_equals_single_runs():
    rhos = jnp.array([20.0, 28.0])
    f = lambda r: lyapunov_spectrum(Lorenz(rho=r), 300.0, transient=10.0, **FIXED)[0]
    swept = jax.jit(jax.vmap(f))(rhos)
    assert float(swept[0]) < 0 < float(swept[1])  # stable fixed point vs chaos
    np.testing.assert_allclose(float(swept[1]), float(f(28.0)), rtol=1e-10)
    # below rho_H = 24.74 the fixed points C± attract: lambda_1 is their leading real part
    s = Lorenz(rho=20.0)
    xs = np.sqrt(float(s.beta) * 19.0)
    eig = jaxdyn.analysis.stability.jacobian_eigenvalues(
        lambda y: s.drift(0.0, y), jnp.array([xs, xs, 19.0])
    )
    np.testing.assert_allclose(float(swept[0]), float(jnp.max(jnp.real(eig))), atol=4e-3)


def test_logistic_like_gauss_map_exponent_is_log_of_the_fixed_point_multiplier():
    g = GaussMap()
    # start past the bottleneck near x = -0.3 (F(x) - x ~ -6e-5 there)
    lam = lyapunov_spectrum(g, 3000.0, transient=20.0, y0=jnp.asarray(-0.6))
    np.testing.assert_allclose(float(lam[0]), np.log(2 * 2 * np.exp(-2.0)), atol=1e-3)


@pytest.mark.slow
def test_grad_of_the_largest_exponent_is_finite():
    g = jax.grad(lambda r: lyapunov_spectrum(Lorenz(rho=r), 5.0, **FIXED)[0])(28.0)
    assert np.isfinite(float(g))


BAD = [
    (lambda: lyapunov_spectrum(RechargeOscillator(), 10.0), TypeError, "stochastic"),
    (lambda: lyapunov_spectrum(jaxdyn.systems.DelayedReplicator(), 10.0), TypeError, "delay"),
    (lambda: lyapunov_spectrum(Lorenz(), -1.0), ValueError, "t1"),
    (lambda: lyapunov_spectrum(Lorenz(), 1.05, t_renorm=0.1), ValueError, "whole number"),
    (lambda: lyapunov_spectrum(Lorenz(), 1.0, n_exponents=4), ValueError, "n_exponents"),
    (lambda: lyapunov_spectrum(Lorenz(), 1.0, transient=-1.0), ValueError, "transient"),
    (lambda: lyapunov_spectrum(GaussMap(), 10.0, t_renorm=2.0), TypeError, "t_renorm"),
    (lambda: largest_lyapunov(GaussMap(), 10.0), TypeError, "map"),
    (lambda: largest_lyapunov(RechargeOscillator(), 10.0), TypeError, "stochastic"),
    (lambda: largest_lyapunov(Lorenz(), 1.0, t_renorm=0.5, delta=0.0), ValueError, "delta"),
    (
        lambda: lyapunov_spectrum(eqx.nn.Linear(2, 2, key=jax.random.PRNGKey(0)), 1.0),
        TypeError,
        "system",
    ),
]


@pytest.mark.parametrize("call,err,match", BAD)
def test_bad_input(call, err, match):
    with pytest.raises(err, match=match):
        call()


def test_a_system_whose_initial_state_needs_a_key_takes_an_explicit_y0():
    """A columnar ring draws its frequencies from the key; given y0 (and that key) the
    spectrum of a nearly flat locked ring is that of its linearisation, the coupling
    Laplacian: -K (2 - 2 cos(2πk/L)) for k = 1..L-1 (-2, -4, -2 for L = 4), plus L
    neutral frequency directions and the neutral uniform phase shift (whose finite-time
    estimates decay like log(t)/t)."""
    L = 4
    ring = Sync1D(L=L, K=1.0, sigma=0.1, randomness="columnar")
    key = jax.random.PRNGKey(0)
    lam = lyapunov_spectrum(
        ring, 40.0, y0=ring.initial_state(key), key=key, transient=20.0, rtol=1e-9, atol=1e-9
    )
    lam = np.sort(np.asarray(lam))
    np.testing.assert_allclose(lam[: L - 1], [-4.0, -2.0, -2.0], rtol=0.02)
    assert np.all(np.abs(lam[L - 1 :]) < 0.06)
