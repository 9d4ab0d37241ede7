"""simulate: convergence orders on problems with known solutions, noise kinds, status."""

from typing import ClassVar

import diffrax as dfx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxdyn import STATUS_MAX_STEPS, STATUS_NONFINITE, STATUS_OK, AbstractODE, AbstractSDE, simulate


class Oscillator(AbstractODE):
    """Harmonic oscillator x'' = -ω² x: x(t) = cos ωt for x(0)=1, v(0)=0."""

    omega: jax.Array
    param_ranges: ClassVar = {"omega": (0.0, 1e3)}

    def drift(self, t, y, args=None):
        return jnp.stack([y[1], -(self.omega**2) * y[0]])

    def initial_state(self, key=None):
        return jnp.array([1.0, 0.0])


class GBM(AbstractSDE):
    """dX = μ X dt + s X dW (diagonal, multiplicative)."""

    mu: float
    s: float
    noise: ClassVar = "diagonal"

    def drift(self, t, y, args=None):
        return self.mu * y

    def diffusion(self, t, y, args=None):
        return self.s * y

    def initial_state(self, key=None):
        return jnp.ones(1)


class OU(AbstractSDE):
    """dX = -θ X dt + s dW; Var X_t = s²(1 - exp(-2θt)) / (2θ) from X_0 = 0."""

    theta: float
    s: float
    noise: ClassVar = "additive"

    def drift(self, t, y, args=None):
        return -self.theta * y

    def diffusion(self, t, y, args=None):
        return jnp.full_like(y, self.s)

    def initial_state(self, key=None):
        return jnp.zeros(1)


class OneNoiseTwoStates(AbstractSDE):
    """dX = B dW with B = [[1], [2]]: both components driven by one Brownian motion."""

    noise: ClassVar = "general"

    def drift(self, t, y, args=None):
        return jnp.zeros_like(y)

    def diffusion(self, t, y, args=None):
        return jnp.array([[1.0], [2.0]])

    def noise_shape(self, y):
        return (1,)

    def initial_state(self, key=None):
        return jnp.zeros(2)


class Blowup(AbstractODE):
    """y' = y², y(0) = 1: y = 1/(1 - t) blows up at t = 1."""

    def drift(self, t, y, args=None):
        return y**2

    def initial_state(self, key=None):
        return jnp.ones(1)


def _order(dts, errs):
    return np.polyfit(np.log(dts), np.log(errs), 1)[0]


def test_tsit5_fixed_step_is_fifth_order():
    sys = Oscillator(omega=2.0)
    dts = np.array([0.05, 0.025, 0.0125, 0.00625])
    errs = [
        abs(float(simulate(sys, 3.0, dt=dt, adaptive=False).ys[-1, 0]) - np.cos(6.0)) for dt in dts
    ]
    assert _order(dts, errs) == pytest.approx(5.0, abs=0.3)


def test_adaptive_tsit5_meets_tolerance():
    ts = np.linspace(0.5, 10.0, 20)
    traj = simulate(Oscillator(omega=1.5), 10.0, ts=ts, rtol=1e-10, atol=1e-12)
    assert int(traj.status) == STATUS_OK
    np.testing.assert_allclose(traj.ys[:, 0], np.cos(1.5 * ts), atol=1e-8)
    np.testing.assert_allclose(traj.ts, ts)


def test_euler_maruyama_strong_order_one_half():
    """Strong error at T=1 on GBM against the exact solution on the same Brownian path."""
    sys = GBM(mu=0.5, s=0.8)
    keys = jax.random.split(jax.random.PRNGKey(1), 400)
    # An explicit reverse-mode adjoint selects the Brownian tree, whose path does not
    # depend on the step, so every dt integrates the same realisation.
    adj = dfx.RecursiveCheckpointAdjoint()

    def end(dt):
        f = lambda k: simulate(sys, 1.0, key=k, dt=dt, adjoint=adj).ys[-1, 0]
        return jax.vmap(f)(keys)

    # Reference: Milstein-order (Heun is Stratonovich, so use a much finer Euler step).
    ref = end(2.0**-13)
    dts = 2.0 ** -np.arange(3, 8)
    errs = [float(jnp.mean(jnp.abs(end(dt) - ref))) for dt in dts]
    assert _order(dts, errs) == pytest.approx(0.5, abs=0.12)


def test_ou_variance_matches_exact():
    theta, s, T = 2.0, 0.7, 3.0
    sys = OU(theta=theta, s=s)
    keys = jax.random.split(jax.random.PRNGKey(2), 4000)
    ends = jax.vmap(lambda k: simulate(sys, T, key=k, dt=1e-3).ys[-1, 0])(keys)
    exact = s**2 * (1 - np.exp(-2 * theta * T)) / (2 * theta)
    # 4000 samples: relative standard error of the variance is sqrt(2/4000) ~ 2%.
    assert float(jnp.var(ends)) == pytest.approx(exact, rel=0.08)
    assert abs(float(jnp.mean(ends))) < 4 * np.sqrt(exact / 4000)


def test_general_noise_uses_the_matrix():
    traj = simulate(OneNoiseTwoStates(), 1.0, key=jax.random.PRNGKey(3), dt=0.01)
    x = traj.ys[-1]
    assert float(x[1]) == pytest.approx(2 * float(x[0]), rel=1e-12)
    assert abs(float(x[0])) > 0


def test_same_key_same_path_different_key_different_path():
    sys = OU(theta=1.0, s=1.0)
    a = simulate(sys, 1.0, key=jax.random.PRNGKey(5), dt=0.01).ys
    b = simulate(sys, 1.0, key=jax.random.PRNGKey(5), dt=0.01).ys
    c = simulate(sys, 1.0, key=jax.random.PRNGKey(6), dt=0.01).ys
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_observable_is_reduced_on_the_fly():
    ts = np.linspace(0.1, 2.0, 7)
    sys = Oscillator(omega=1.0)
    full = simulate(sys, 2.0, ts=ts, rtol=1e-9, atol=1e-11)
    energy = simulate(
        sys, 2.0, ts=ts, rtol=1e-9, atol=1e-11, observable=lambda t, y: 0.5 * (y**2).sum()
    )
    assert energy.ys.shape == (7,)
    np.testing.assert_allclose(energy.ys, 0.5 * (full.ys**2).sum(-1), rtol=1e-12)
    np.testing.assert_allclose(energy.ys, 0.5, rtol=1e-7)


def test_status_max_steps_and_nonfinite():
    sys = Oscillator(omega=50.0)
    assert int(simulate(sys, 10.0, max_steps=20).status) == STATUS_MAX_STEPS
    blown = simulate(Blowup(), 2.0, dt=0.1, adaptive=False)
    assert int(blown.status) == STATUS_NONFINITE
    with pytest.raises(Exception, match="max_steps|maximum number"):
        simulate(sys, 10.0, max_steps=20, throw=True)


def test_bad_arguments_are_named():
    sys = Oscillator(omega=1.0)
    with pytest.raises(ValueError, match="t1 must be greater than t0"):
        simulate(sys, 0.0)
    with pytest.raises(ValueError, match="dt must be positive"):
        simulate(sys, 1.0, dt=-0.1)
    with pytest.raises(ValueError, match="needs key"):
        simulate(OU(theta=1.0, s=1.0), 1.0)
    with pytest.raises(ValueError, match="omega"):
        Oscillator(omega=-1.0)
    with pytest.raises(ValueError, match="omega.*finite"):
        Oscillator(omega=float("nan"))
    with pytest.raises(ValueError, match="ts must be"):
        simulate(sys, 1.0, ts=np.zeros((2, 2)))


def test_every_kind_runs_through_the_one_simulate():
    from jaxdyn.systems import Burgers, DelayedReplicator, Heat2D

    for system in (DelayedReplicator(), Heat2D(m=4), Burgers(N=16)):
        traj = simulate(system, 0.1, ts=[0.05, 0.1])
        assert int(traj.status) == STATUS_OK and traj.ts.shape == (2,)


def test_options_of_another_kind_are_refused_by_name():
    from jaxdyn.systems import DelayedReplicator, Heat2D

    with pytest.raises(TypeError, match="'rtol' does not apply to DelayedReplicator"):
        simulate(DelayedReplicator(), 1.0, rtol=1e-6)
    with pytest.raises(TypeError, match="'max_delay' does not apply to Oscillator"):
        simulate(Oscillator(omega=1.0), 1.0, max_delay=2.0)
    with pytest.raises(ValueError, match="dt does not apply to Heat2D"):
        simulate(Heat2D(m=4), 0.1, dt=0.5)


def test_fixed_step_sde_is_reverse_differentiable_pathwise():
    """Same key, same path: d X_T / d theta by reverse mode equals finite differences."""
    key = jax.random.PRNGKey(8)
    end = lambda th, s: simulate(OU(theta=th, s=s), 2.0, key=key, dt=0.01, y0=jnp.ones(1)).ys[-1, 0]
    g_th, g_s = jax.grad(end, argnums=(0, 1))(1.5, 0.4)
    h = 1e-6
    assert float(g_th) == pytest.approx(
        float((end(1.5 + h, 0.4) - end(1.5 - h, 0.4)) / (2 * h)), rel=1e-6
    )
    assert float(g_s) == pytest.approx(
        float((end(1.5, 0.4 + h) - end(1.5, 0.4 - h)) / (2 * h)), rel=1e-6
    )
    assert abs(float(g_s)) > 1e-3
