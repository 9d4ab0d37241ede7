"""The fast paths of the core agree with the general ones: fixed-step scans, block and weak
Brownian increments, the batched-inside sweep, and the record-and-replay adjoint."""

from __future__ import annotations

from typing import ClassVar

import diffrax as dfx
import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxdyn
from jaxdyn import AbstractODE, AbstractSDE, Grid, simulate, sweep
from jaxdyn.core.integrators import draw_increments
from jaxdyn.systems import Lorenz, Sync1D


class OU(AbstractSDE):
    """dX = -theta X dt + s dW, X0 = 1: E X_t = e^{-theta t}, Var = s²(1-e^{-2θt})/(2θ)."""

    theta: jax.Array
    s: jax.Array
    noise: ClassVar = "additive"
    param_ranges: ClassVar = {"theta": (0.0, 10.0), "s": (0.0, 10.0)}

    def __init__(self, theta=1.0, s=0.5):
        self.theta, self.s = jnp.asarray(theta, float), jnp.asarray(s, float)

    def drift(self, t, y, args=None):
        return -self.theta * y

    def diffusion(self, t, y, args=None):
        return jnp.full_like(y, self.s)

    def initial_state(self, key=None):
        return jnp.ones(())


class Explode(AbstractODE):
    """y' = c y²: y = 1/(1 - c t) blows up at t = 1/c."""

    c: jax.Array
    param_ranges: ClassVar = {"c": (0.0, 10.0)}

    def __init__(self, c=0.1):
        self.c = jnp.asarray(c, float)

    def drift(self, t, y, args=None):
        return self.c * y**2

    def initial_state(self, key=None):
        return jnp.ones(())


@pytest.mark.parametrize("solver", [dfx.Tsit5(), dfx.Dopri5(), dfx.Heun(), dfx.Bosh3()])
@pytest.mark.parametrize("ring", [False, True], ids=["lorenz", "ring"])
def test_fixed_step_scan_equals_diffeqsolve_with_dense_saves(solver, ring):
    """Unrolled stages (3 states) and the stage loop (a 32-state ring): both equal
    diffrax's step for step, saves off the grid interpolated as diffrax does."""
    ts = np.array([0.013, 0.5, 0.77, 1.0])  # off the step grid: dense interpolation
    system = Sync1D(L=16, K=1.0, sigma=0.5, a=0.7) if ring else Lorenz()
    kw = dict(ts=ts, dt=0.01, adaptive=False, solver=solver, key=jax.random.PRNGKey(1))
    scan = simulate(system, 1.0, **kw)
    loop = simulate(system, 1.0, adjoint=dfx.RecursiveCheckpointAdjoint(), **kw)
    assert int(scan.num_steps) == int(loop.num_steps) == 100
    leaves = jax.tree_util.tree_leaves
    for a, b in zip(leaves(scan.ys), leaves(loop.ys), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-11)


@pytest.mark.parametrize("ts", [None, np.array([0.0, 0.3, 0.31, 1.0])])
def test_fixed_step_saves_on_the_grid_are_the_step_states(ts):
    """Saves on grid points take the state there (no interpolation): equal to diffeqsolve's
    saves and, bit for bit, to the end of a shorter solve over the same steps."""
    lorenz = Lorenz()
    scan = simulate(lorenz, 1.0, ts=ts, dt=0.01, adaptive=False)
    loop = simulate(
        lorenz, 1.0, ts=ts, dt=0.01, adaptive=False, adjoint=dfx.RecursiveCheckpointAdjoint()
    )
    np.testing.assert_allclose(scan.ys, loop.ys, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(
        scan.ys[-1], simulate(lorenz, 1.0, dt=0.01, adaptive=False).ys[-1]
    )
    if ts is not None:
        np.testing.assert_array_equal(scan.ys[0], lorenz.initial_state())
        short = simulate(lorenz, 0.3, dt=0.01, adaptive=False).ys[-1]
        np.testing.assert_array_equal(scan.ys[1], short)


def test_fixed_step_gradient_through_the_scan_matches_finite_differences():
    def end(rho):
        return simulate(Lorenz(rho=rho), 0.5, dt=0.01, adaptive=False).ys[-1, 2]

    g = jax.grad(end)(28.0)
    h = 1e-6
    assert float(g) == pytest.approx(float((end(28.0 + h) - end(28.0 - h)) / (2 * h)), rel=1e-6)


@pytest.mark.parametrize("kind", ["gaussian", "rademacher", "three_point"])
def test_increment_kinds_have_the_right_moments(kind):
    dt = 0.04
    shapes = jax.ShapeDtypeStruct((50_000,), jnp.float64)
    w = np.asarray(draw_increments(jax.random.PRNGKey(0), 4, shapes, dt, kind)).ravel()
    n = w.size
    assert abs(w.mean()) < 5 * np.sqrt(dt / n)
    assert w.var() == pytest.approx(dt, rel=5 * np.sqrt(2 / n) * 3)
    if kind == "rademacher":
        np.testing.assert_allclose(np.abs(w), np.sqrt(dt))
    if kind == "three_point":
        values, counts = np.unique(np.round(w / np.sqrt(3 * dt), 12), return_counts=True)
        np.testing.assert_array_equal(values, [-1.0, 0.0, 1.0])
        np.testing.assert_allclose(counts / n, [1 / 6, 2 / 3, 1 / 6], atol=0.01)
        assert np.mean(w**4) == pytest.approx(3 * dt**2, rel=0.05)  # = E[N(0, dt)^4]


@pytest.mark.parametrize("kind", ["gaussian", "rademacher", "three_point"])
def test_weak_increments_keep_euler_maruyama_statistics(kind):
    """OU at T = 1 from 1: mean and variance of 4000 Euler paths against the exact chain."""
    theta, s, dt, T = 1.0, 0.5, 0.05, 1.0
    keys = jax.random.split(jax.random.PRNGKey(1), 4000)
    ends = jax.vmap(lambda k: simulate(OU(theta, s), T, key=k, dt=dt, increments=kind).ys[-1])(keys)
    ends = np.asarray(ends)
    # Euler-Maruyama chain: X_{n+1} = (1 - theta dt) X_n + s dW_n, exactly.
    n, r = round(T / dt), 1 - theta * dt
    mean, var = r**n, s**2 * dt * (1 - r ** (2 * n)) / (1 - r**2)
    assert abs(ends.mean() - mean) < 4 * np.sqrt(var / ends.size)
    assert ends.var() == pytest.approx(var, rel=4 * np.sqrt(2 / ends.size))


def test_same_key_same_block_increments_whatever_the_chunking():
    ring = Sync1D(L=8, K=1.0, sigma=0.4, randomness="white")

    def member(s, k):
        return simulate(s, 7.0, key=k, ts=[3.5, 7.0], increments="rademacher")

    grid = Grid.product(K=[0.5, 1.0, 2.0])
    a = sweep(member, ring, grid, seeds=3, chunk_size=1, progress=False)
    b = sweep(member, ring, grid, seeds=3, chunk_size=9, progress=False)
    np.testing.assert_array_equal(a["y"].values, b["y"].values)


def _columnar_sweep(batch, chunk_size=64, devices=None, bundle=16, rtol=1e-6):
    ts = np.geomspace(0.2, 10.0, 5)

    def member(s, k):
        return simulate(
            s, 10.0, key=k, ts=ts, rtol=rtol, atol=rtol, observable=lambda t, y: jnp.var(y[0])
        )

    ring = Sync1D(L=16, K=1.0, sigma=0.3, a=0.5, randomness="columnar")
    grid = Grid.product(K=np.linspace(0.5, 3.0, 4), sigma=np.linspace(0.1, 0.8, 4))
    return sweep(
        member,
        ring,
        grid,
        seeds=2,
        batch=batch,
        bundle=bundle,
        chunk_size=chunk_size,
        devices=devices,
        progress=False,
    )


def test_batched_inside_meets_every_members_tolerance():
    ref = _columnar_sweep("vmap", rtol=1e-11)["y"].values
    inside = _columnar_sweep("inside")
    vmapped = _columnar_sweep("vmap")
    assert inside.attrs["batch"] == "inside" and vmapped.attrs["batch"] == "vmap"
    # Each member meets its tolerance: the shared step is at least as accurate as its own.
    err = lambda ds: np.max(np.abs(ds["y"].values / ref - 1))
    assert err(inside) < 1e-4 and err(vmapped) < 1e-4
    assert np.all(inside["status"].values == 0)
    # One step size for a bundle: every member of it reports the bundle's step count.
    steps = inside["num_steps"].values.reshape(-1)
    assert len(np.unique(steps[:16])) == 1


def test_batched_inside_numbers_do_not_depend_on_chunks_or_devices():
    a = _columnar_sweep("inside", chunk_size=16, devices=jax.devices()[:1])
    b = _columnar_sweep("inside", chunk_size=64, devices=jax.devices())
    np.testing.assert_array_equal(a["y"].values, b["y"].values)


def test_a_failing_member_does_not_poison_its_bundle():
    run = lambda s, k: simulate(s, 2.0, ts=[1.0, 2.0], max_steps=2000)
    ds = sweep(run, Explode(), Grid.points(c=[0.1, 0.9, 0.3]), batch="inside", progress=False)
    status = ds["status"].isel(seed=0).values
    assert status[0] == 0 and status[2] == 0 and status[1] != 0
    y = ds["y"].isel(seed=0).values
    np.testing.assert_allclose(y[0], 1 / (1 - 0.1 * np.array([1.0, 2.0])), rtol=1e-5)
    np.testing.assert_allclose(y[2], 1 / (1 - 0.3 * np.array([1.0, 2.0])), rtol=1e-5)


def test_bad_batch_arguments_are_named():
    ring = Sync1D(L=8, randomness="columnar")
    with pytest.raises(ValueError, match="batch must be one of"):
        sweep(lambda s, k: simulate(s, 1.0, key=k), ring, Grid.product(K=[1.0]), batch="gpu")
    with pytest.raises(ValueError, match="bundle must be a positive"):
        sweep(lambda s, k: simulate(s, 1.0, key=k), ring, Grid.product(K=[1.0]), bundle=0)
    with pytest.raises(ValueError, match="increments must be one of"):
        simulate(OU(), 1.0, key=jax.random.PRNGKey(0), increments="uniform")
    with pytest.raises(ValueError, match="adjoint must be 'replay'"):
        simulate(Lorenz(), 1.0, adjoint="backsolve")
    with pytest.raises(ValueError, match="explicit Runge-Kutta solver"):
        simulate(Lorenz(), 1.0, adjoint="replay", solver=dfx.Kvaerno3())


def _loss(rho, adjoint):
    ts = np.linspace(0.1, 1.5, 6)
    traj = simulate(Lorenz(rho=rho), 1.5, ts=ts, rtol=1e-9, atol=1e-9, adjoint=adjoint)
    return jnp.sum(traj.ys[:, 2] ** 2) + jnp.sum(traj.ys[:, 0])


def test_replay_adjoint_equals_the_checkpointed_adjoint_and_finite_differences():
    v_r, g_r = jax.jit(jax.value_and_grad(lambda r: _loss(r, "replay")))(28.0)
    v_c, g_c = jax.jit(jax.value_and_grad(lambda r: _loss(r, None)))(28.0)
    assert float(v_r) == pytest.approx(float(v_c), rel=1e-13)
    assert float(g_r) == pytest.approx(float(g_c), rel=1e-9)
    h = 1e-5
    fd = (_loss(28.0 + h, None) - _loss(28.0 - h, None)) / (2 * h)
    assert float(g_r) == pytest.approx(float(fd), rel=1e-5)


def test_replay_adjoint_reaches_fields_and_observable_closures_under_vmap():
    ts = np.array([0.5, 1.0])

    def loss(sigma, weight):
        traj = simulate(
            Lorenz(sigma=sigma),
            1.0,
            ts=ts,
            rtol=1e-9,
            atol=1e-9,
            adjoint="replay",
            observable=lambda t, y: weight * y[0],
        )
        return jnp.sum(traj.ys)

    def loss_ref(sigma, weight):
        traj = simulate(
            Lorenz(sigma=sigma),
            1.0,
            ts=ts,
            rtol=1e-9,
            atol=1e-9,
            observable=lambda t, y: weight * y[0],
        )
        return jnp.sum(traj.ys)

    sig = jnp.array([9.0, 10.0, 11.0])
    w = jnp.array([1.0, 2.0, 0.5])
    g = jax.vmap(jax.grad(loss, argnums=(0, 1)))(sig, w)
    g_ref = jax.vmap(jax.grad(loss_ref, argnums=(0, 1)))(sig, w)
    np.testing.assert_allclose(g[0], g_ref[0], rtol=1e-8)
    np.testing.assert_allclose(g[1], g_ref[1], rtol=1e-8)


@pytest.mark.parametrize("saves", ["times", "end"])
def test_replay_from_checkpoints_equals_the_full_record_under_vmap(monkeypatch, saves):
    """A record holding every 7th state (the backward pass recomputes each segment from
    its checkpoint) gives the gradient of a record of every state, for members taking
    different step counts; both match the checkpointed adjoint up to the chaotic
    amplification of round-off (the two loops round differently)."""
    from jaxdyn.core.integrators import _replay

    kw = {"ts": np.linspace(0.2, 2.0, 5)} if saves == "times" else {}

    def loss(rho, adjoint):
        traj = simulate(
            Lorenz(rho=rho), 2.0, rtol=1e-8, atol=1e-8, adjoint=adjoint, max_steps=50, **kw
        )
        return jnp.sum(traj.ys**2), traj.num_steps

    rhos = jnp.array([10.0, 28.0, 40.0])
    grad = lambda adjoint: jax.vmap(jax.grad(lambda r: loss(r, adjoint), has_aux=True))(rhos)
    g_full, n = grad("replay")
    monkeypatch.setattr(_replay, "RECORD_BYTES", 8 * 24)  # 8 Lorenz states: every 7th
    g_seg, _ = grad("replay")
    g_ref, _ = grad(None)
    assert len(set(np.asarray(n).tolist())) > 1 and int(jnp.max(n)) > 14
    np.testing.assert_allclose(g_seg, g_full, rtol=1e-13)
    np.testing.assert_allclose(g_seg, g_ref, rtol=1e-7)


def test_replay_reports_an_exhausted_record():
    traj = simulate(Lorenz(), 5.0, rtol=1e-10, atol=1e-10, adjoint="replay", max_steps=20)
    assert int(traj.status) == jaxdyn.STATUS_MAX_STEPS


def test_traced_save_times_warn_and_numpy_ones_take_the_scan_path():
    """``jnp.asarray(ts)`` inside jit is a tracer: the fixed-step scan cannot place the
    saves and the solve falls back to diffrax's loop (40x slower for the sync1d sweep
    before this was found). That fallback warns; NumPy save times under jit do not."""
    import warnings

    ts = np.linspace(0.5, 2.0, 4)
    sde = OU()
    key = jax.random.PRNGKey(3)
    with pytest.warns(UserWarning, match="traced save times"):
        jax.jit(lambda k: simulate(sde, 2.0, key=k, ts=jnp.asarray(ts), dt=0.01).ys)(key)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fast = jax.jit(lambda k: simulate(sde, 2.0, key=k, ts=ts, dt=0.01).ys)(key)
    # the scan path's saves are those of the unjitted call (same increments, same steps)
    np.testing.assert_allclose(fast, simulate(sde, 2.0, key=key, ts=ts, dt=0.01).ys, rtol=1e-6)


def test_backsolve_adjoint_saves_states_and_refuses_an_observable():
    """diffrax's BacksolveAdjoint cannot save through SaveAt(fn=...): simulate saves the
    state without fn when no observable is given (so the continuous adjoint works and its
    gradient matches the checkpointed one), and names the conflict otherwise."""
    ode = Lorenz()
    y0 = jnp.asarray([1.0, 1.0, 1.0])
    ts = np.linspace(0.1, 0.5, 5)

    def loss(rho, adjoint):
        sys = eqx.tree_at(lambda s: s.rho, ode, rho)
        return jnp.sum(simulate(sys, 0.5, y0=y0, ts=ts, rtol=1e-8, atol=1e-8, adjoint=adjoint).ys)

    g_back = jax.grad(loss)(jnp.asarray(28.0), dfx.BacksolveAdjoint())
    g_ckpt = jax.grad(loss)(jnp.asarray(28.0), dfx.RecursiveCheckpointAdjoint())
    np.testing.assert_allclose(g_back, g_ckpt, rtol=1e-4)
    with pytest.raises(ValueError, match="BacksolveAdjoint.*observable"):
        simulate(
            ode, 0.5, y0=y0, ts=ts, observable=lambda t, y: y[0], adjoint=dfx.BacksolveAdjoint()
        )


class NoisyAR(jaxdyn.AbstractMap):
    """y_{n+1} = a y_n + N(0, 1): a random map whose numbers depend on the step keys."""

    a: jax.Array
    param_ranges: ClassVar = {"a": (-1.0, 1.0)}

    def __init__(self, a=0.9):
        self.a = jnp.asarray(a, float)

    def step(self, t, y, key, args=None):
        return self.a * y + jax.random.normal(key, y.shape)

    def initial_state(self, key=None):
        return jnp.ones(3)


@pytest.mark.parametrize("ts", [[2.0, 4.0, 6.0, 8.0], [0.0, 3.0, 6.0], [5.0]])
def test_map_saves_between_scans_equal_the_per_step_path(ts):
    """Evenly spaced saves take the outer-scan-over-saves path; adding one off-grid save
    forces the general per-step path: the shared save times must get the same numbers,
    and so must the gradient."""
    key = jax.random.PRNGKey(3)
    extra = sorted({*ts, 1.0})  # 1.0 breaks the even spacing
    fast = simulate(NoisyAR(), 8.0, ts=ts, key=key).ys
    slow = simulate(NoisyAR(), 8.0, ts=extra, key=key).ys
    keep = [extra.index(t) for t in ts]
    np.testing.assert_array_equal(np.asarray(fast), np.asarray(slow)[keep])
    steps = [int(simulate(NoisyAR(), 8.0, ts=t, key=key).num_steps) for t in (ts, extra)]
    assert steps == [8, 8]  # iterations from t0 to t1 on either path

    def loss(a, times):
        return jnp.sum(simulate(NoisyAR(a), 8.0, ts=times, key=key).ys[-1])

    np.testing.assert_allclose(jax.grad(loss)(0.9, ts), jax.grad(loss)(0.9, extra), rtol=1e-12)
