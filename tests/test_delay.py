"""Delay differential equations: exact solutions, order, reference solver, gradients, vmap."""

from __future__ import annotations

import diffrax as dfx
import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.special import lambertw

from jaxdyn import STATUS_FAILED, STATUS_OK, AbstractDDE, Grid, simulate, sweep


class LinearDelay(AbstractDDE):
    """y'(t) = -a y(t - τ), history 1."""

    tau: jax.Array
    a: jax.Array

    def __init__(self, tau=1.0, a=1.0):
        self.tau = jnp.asarray(tau, dtype=float)
        self.a = jnp.asarray(a, dtype=float)

    def delays(self, t, y):
        return jnp.stack([self.tau])

    def drift(self, t, y, y_delayed, args=None):
        return -self.a * y_delayed[0]

    def initial_state(self, key=None):
        return jnp.ones(())


class TwoDelays(AbstractDDE):
    """y'(t) = -y(t - 1) - y(t - 2), history 1 (state of shape (1,))."""

    def delays(self, t, y):
        return jnp.array([1.0, 2.0])

    def drift(self, t, y, y_delayed, args=None):
        return -y_delayed[0] - y_delayed[1]

    def initial_state(self, key=None):
        return jnp.ones((1,))


class MackeyGlass(AbstractDDE):
    """x' = β x_τ / (1 + x_τ^n) - γ x (Mackey & Glass, Science 197, 287 (1977))."""

    tau: jax.Array
    max_delay = 20.0

    def __init__(self, tau=17.0):
        self.tau = jnp.asarray(tau, dtype=float)

    def delays(self, t, y):
        return jnp.stack([self.tau])

    def drift(self, t, y, y_delayed, args=None):
        u = y_delayed[0]
        return 0.2 * u / (1.0 + u**10) - 0.1 * y

    def initial_state(self, key=None):
        return jnp.full((1,), 1.2)


def exact_unit_delay(t):
    """Method of steps for y' = -y(t-1), y = 1 on t <= 0."""
    t = np.asarray(t)
    p1 = 1 - t
    p2 = p1 + (t - 1) ** 2 / 2
    p3 = p2 - (t - 2) ** 3 / 6
    return np.where(t <= 1, p1, np.where(t <= 2, p2, p3))


def test_method_of_steps_exact():
    # The solution is a cubic on each unit interval; RK4 with cubic Hermite lags is exact.
    ts = np.linspace(0.0, 3.0, 61)
    traj = simulate(LinearDelay(), 3.0, ts=ts, dt=0.05)
    assert int(traj.status) == STATUS_OK
    np.testing.assert_allclose(np.asarray(traj.ys), exact_unit_delay(ts), atol=1e-12, rtol=0)
    # Spot values: y(1) = 0, y(2) = -1/2, y(3) = -1/6.
    np.testing.assert_allclose(np.asarray(traj.ys)[[20, 40, 60]], [0.0, -0.5, -1 / 6], atol=1e-12)


def test_two_delays_exact():
    ts = np.linspace(0.0, 2.0, 21)
    traj = simulate(TwoDelays(), 2.0, ts=ts, dt=0.1)
    t = ts
    exact = np.where(t <= 1, 1 - 2 * t, -1 - 2 * (t - 1) + (t - 1) ** 2)
    np.testing.assert_allclose(np.asarray(traj.ys)[:, 0], exact, atol=1e-12)


def _smooth_case(tau, a):
    """y' = -a y(t-τ) has the smooth solution e^{λt} with λ = W0(-aτ)/τ (aτ < 1/e)."""
    lam = lambertw(-a * tau) / tau
    assert abs(lam.imag) < 1e-14
    return float(lam.real)


def _order(solver, dts, tau=0.8, a=0.4, t1=4.0):
    lam = _smooth_case(tau, a)
    errs = []
    for dt in dts:
        traj = simulate(
            LinearDelay(tau, a), t1, dt=dt, history=lambda t: jnp.exp(lam * t), solver=solver
        )
        errs.append(abs(float(traj.ys[-1]) - np.exp(lam * t1)))
    return np.polyfit(np.log(dts), np.log(errs), 1)[0], errs


@pytest.mark.parametrize(
    "solver,order,dts",
    [
        (None, 4, [0.2, 0.1, 0.05]),
        (dfx.Midpoint(), 2, [0.1, 0.05]),
        (dfx.Euler(), 1, [0.05, 0.025]),
    ],
)
def test_convergence_order(solver, order, dts):
    measured, _ = _order(solver, dts)
    assert abs(measured - order) < 0.25, measured


def test_delay_shorter_than_step():
    # τ < h: stages need y inside the step being taken. The predictor (previous step
    # extrapolated) is corrected with the step's own dense output, the default here.
    tau, a = 0.05, 2.0
    lam = _smooth_case(tau, a)
    sys = LinearDelay(tau, a)
    hist = lambda t: jnp.exp(lam * t)
    exact = np.exp(lam)

    def rel_err(**kw):
        return abs(float(simulate(sys, 1.0, dt=0.1, history=hist, **kw).ys[-1]) - exact) / exact

    predicted, default = rel_err(overlap_iters=0), rel_err()
    assert default < 5e-6, default
    assert predicted > 5 * default


def test_mackey_glass_matches_jitcdde():
    jitcdde = pytest.importorskip("jitcdde")
    y, t = jitcdde.y, jitcdde.t
    f = [0.2 * y(0, t - 17.0) / (1 + y(0, t - 17.0) ** 10) - 0.1 * y(0)]
    dde = jitcdde.jitcdde(f, verbose=False)
    dde.constant_past([1.2])
    dde.set_integration_parameters(rtol=1e-11, atol=1e-13, first_step=0.1, max_step=0.5)
    dde.step_on_discontinuities()
    ts = np.arange(20.0, 201.0, 5.0)  # after the start-up steps on discontinuities
    ref = np.array([dde.integrate(T)[0] for T in ts])
    traj = simulate(MackeyGlass(), 200.0, ts=ts, dt=0.1)
    err = np.max(np.abs(np.asarray(traj.ys)[:, 0] - ref))
    # Chaotic, yet over 200 time units the two solvers agree to better than 1e-7.
    assert err < 1e-7, err


def test_gradient_wrt_delay_matches_finite_differences():
    def final(tau):
        return simulate(LinearDelay(tau, 1.0), 3.0, dt=0.05, max_delay=1.0, overlap_iters=0).ys[-1]

    vg = jax.jit(jax.value_and_grad(final))
    tau0, eps = 0.77, 1e-5
    g = float(vg(tau0)[1])
    fd = (float(vg(tau0 + eps)[0]) - float(vg(tau0 - eps)[0])) / (2 * eps)
    assert abs(g - fd) < 1e-6 * max(1.0, abs(fd)), (g, fd)
    assert abs(g) > 0.1


def test_vmap_over_delay_equals_loop():
    taus = jnp.array([0.35, 0.8, 1.3])

    def final(tau):
        return simulate(MackeyGlass(tau), 10.0, dt=0.1, max_delay=1.5).ys[-1, 0]

    batched = jax.jit(jax.vmap(final))(taus)
    one = jax.jit(final)
    looped = jnp.stack([one(tau) for tau in taus])
    np.testing.assert_allclose(np.asarray(batched), np.asarray(looped), rtol=0, atol=1e-14)
    assert float(jnp.std(batched)) > 1e-6  # the delay does matter


def test_sweep_over_delay(key):
    grid = Grid.product(tau=[10.0, 17.0])
    ds = sweep(
        lambda s, k: simulate(s, 50.0, ts=np.array([25.0, 50.0]), dt=0.1),
        MackeyGlass(),
        grid,
        key=key,
        progress=False,
    )
    assert np.all(ds["status"].values == STATUS_OK)
    direct = simulate(MackeyGlass(17.0), 50.0, ts=np.array([25.0, 50.0]), dt=0.1)
    np.testing.assert_allclose(
        ds["y"].sel(tau=17.0).values[0, :, 0], np.asarray(direct.ys)[:, 0], atol=1e-12
    )


def test_bad_inputs():
    with pytest.raises(ValueError, match="max_delay"):
        jax.jit(lambda tau: simulate(LinearDelay(tau), 1.0, dt=0.1).ys)(0.5)
    with pytest.raises(ValueError, match=r"delays must lie in \[0, max_delay"):
        simulate(LinearDelay(2.0), 1.0, dt=0.1, max_delay=1.0)
    with pytest.raises(ValueError, match="t1 must be greater"):
        simulate(LinearDelay(), 0.0, dt=0.1)
    with pytest.raises(TypeError, match="jaxdyn System"):
        simulate(object(), 1.0)
    # A traced delay beyond the buffer is reported per member, not silently wrong.
    status = jax.jit(lambda tau: simulate(LinearDelay(tau), 1.0, dt=0.1, max_delay=1.0).status)(1.5)
    assert int(status) == STATUS_FAILED


def test_module_is_a_pytree_of_parameters():
    sys = LinearDelay(0.5)
    sys2 = eqx.tree_at(lambda s: s.tau, sys, jnp.asarray(0.9))
    assert float(sys2.delays(0.0, 1.0)[0]) == pytest.approx(0.9)


class StateDependentDelay(AbstractDDE):
    """y'(t) = -y(t - τ(y)), τ(y) = 1 + y²/2, history 1."""

    max_delay = 2.0

    def delays(self, t, y):
        return jnp.reshape(1.0 + 0.5 * y[0] ** 2, (1,))

    def drift(self, t, y, y_delayed, args=None):
        return -y_delayed[0]

    def initial_state(self, key=None):
        return jnp.ones((1,))


def test_state_dependent_delay_matches_jitcdde():
    jitcdde = pytest.importorskip("jitcdde")
    y, t = jitcdde.y, jitcdde.t
    dde = jitcdde.jitcdde([-y(0, t - 1 - 0.5 * y(0) ** 2)], max_delay=2.0, verbose=False)
    dde.constant_past([1.0])
    dde.set_integration_parameters(rtol=1e-11, atol=1e-13, first_step=0.01, max_step=0.1)
    dde.adjust_diff()
    ts = np.arange(1.0, 10.01, 0.5)
    ref = np.array([dde.integrate(T)[0] for T in ts])
    traj = simulate(StateDependentDelay(), 10.0, ts=ts, dt=0.025)
    assert int(traj.status) == STATUS_OK
    # The lag moves with the state; the same buffer lookup handles it (measured 3e-9).
    assert np.max(np.abs(np.asarray(traj.ys)[:, 0] - ref)) < 1e-7


def test_aligned_steps_are_exact_for_any_delay():
    """align=True puts the kinks t = mτ on the grid for every (vmapped) delay.

    y' = -y(t-τ), y = 1 on t <= 0 has y(t) = Σ_k (-1)^k (t - (k-1)τ)^k / k! over the k
    with t >= (k-1)τ: cubic pieces up to 3τ, which RK4 + Hermite reproduces exactly
    when the grid contains 0, τ and 2τ.
    """
    taus = np.array([0.77, 0.9, 1.13])
    ts = np.linspace(0.0, 2.0, 9)

    def solve(tau, align):
        return simulate(
            LinearDelay(tau), 2.0, ts=ts, dt=0.1, max_delay=1.2, overlap_iters=0, align=align
        ).ys

    def exact(tau):
        from math import factorial

        out = np.zeros_like(ts)
        for k in range(6):
            piece = (-1) ** k * np.clip(ts - (k - 1) * tau, 0, None) ** k / factorial(k)
            out += np.where(ts >= (k - 1) * tau, piece, 0.0)
        return out

    ref = np.stack([exact(t) for t in taus])
    aligned = np.asarray(jax.jit(jax.vmap(lambda t: solve(t, True)))(jnp.asarray(taus)))
    plain = np.asarray(jax.jit(jax.vmap(lambda t: solve(t, False)))(jnp.asarray(taus)))
    assert np.max(np.abs(aligned - ref)) < 1e-12
    assert np.max(np.abs(plain - ref)) > 1e-6  # the off-grid kink costs accuracy


@pytest.mark.parametrize("align", [False, True])
def test_two_save_times_in_the_last_step(align):
    # t = 0.875 and t = 1 both belong to the last step [0.875, 1] (dt = 1/8).
    ts = np.array([0.5, 0.875, 1.0])
    traj = simulate(LinearDelay(1.0), 1.0, ts=ts, dt=0.125, align=align)
    np.testing.assert_allclose(np.asarray(traj.ys), 1.0 - ts, atol=1e-14)
