"""One call to integrate any System with diffrax.

``simulate`` builds the diffrax terms that the system declares (an ODE term, plus a
control term driven by a Brownian path from an explicit key when the system is
stochastic), picks a solver and step-size controller, and saves either the state or
observables reduced on the fly at the requested times. It never raises on a solver
failure unless asked to: the returned :class:`Trajectory` carries a ``status`` code so
that a sweep can mark one failing member and carry on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import diffrax as dfx
import equinox as eqx
import jax
import jax.numpy as jnp
import lineax as lx
import numpy as np
from jaxtyping import Array, ArrayLike, Float, Int, PRNGKeyArray, PyTree

from .system import AbstractSystem

#: Status codes of a solve, shared by every member of a sweep.
STATUS_OK = 0
STATUS_MAX_STEPS = 1
STATUS_NONFINITE = 2
STATUS_FAILED = 3
STATUS_NAMES = ("ok", "max_steps", "nonfinite", "failed")


class Trajectory(eqx.Module):
    """The result of :func:`simulate`.

    Attributes:
        ts: save times, shape ``(T,)``.
        ys: the saved values: the state, or whatever ``observable`` returned, each leaf
            with a leading time axis of length ``T``.
        status: 0 ok, 1 max_steps reached, 2 non-finite values, 3 other solver failure
            (see ``STATUS_NAMES``).
        num_steps: accepted steps taken.
    """

    ts: Float[Array, " T"]
    ys: PyTree[Array]
    status: Int[Array, ""]
    num_steps: Int[Array, ""]

    @property
    def ok(self) -> Array:
        return self.status == STATUS_OK


def log_times(t_min: float, t_max: float, n: int) -> np.ndarray:
    """``n`` save times log-spaced from ``t_min`` to ``t_max`` (both > 0)."""
    if not 0 < t_min < t_max:
        raise ValueError(f"log_times needs 0 < t_min < t_max, got t_min={t_min}, t_max={t_max}")
    return np.geomspace(t_min, t_max, n)


def _terms(system: AbstractSystem, t0, t1, y0, key, dt, unsafe_path: bool):
    ode = dfx.ODETerm(lambda t, y, args: system.drift(t, y, args))
    if system.noise is None:
        return ode
    if key is None:
        raise ValueError(f"{type(system).__name__} is stochastic: simulate needs key=")
    shape = system.noise_shape(y0) if system.noise == "general" else jnp.shape(y0)
    bm_shape = jax.ShapeDtypeStruct(shape, jnp.result_type(y0))
    if unsafe_path:
        # Fixed steps query each increment once: the cheap path, drawn per step, is exact.
        bm = dfx.UnsafeBrownianPath(shape=bm_shape, key=key)
    else:
        # A Brownian tree answers queries at arbitrary times (adaptive steps, reverse mode).
        # Its resolution is tied to the interval, not to dt, so that solves with different
        # steps see the same path (strong convergence can then be measured).
        bm = dfx.VirtualBrownianTree(t0, t1, tol=(t1 - t0) * 2.0**-20, shape=bm_shape, key=key)
    if system.noise == "general":
        vf = lambda t, y, args: lx.MatrixLinearOperator(system.diffusion(t, y, args))
    else:
        vf = lambda t, y, args: lx.DiagonalLinearOperator(system.diffusion(t, y, args))
    return dfx.MultiTerm(ode, dfx.ControlTerm(vf, bm))


def _default_solver(system: AbstractSystem, adaptive: bool) -> dfx.AbstractSolver:
    if system.noise is None:
        return dfx.Tsit5()
    if adaptive:
        return dfx.Heun()
    return dfx.Euler()


def _status(sol: dfx.Solution, ys) -> Array:
    # A failed solve leaves unreached save times as inf, so the solver's own verdict
    # comes first; non-finite values in a "successful" solve mean the state blew up.
    finite = jnp.all(
        jnp.stack([jnp.all(jnp.isfinite(leaf)) for leaf in jax.tree_util.tree_leaves(ys)])
    )
    ok = sol.result == dfx.RESULTS.successful
    max_steps = sol.result == dfx.RESULTS.max_steps_reached
    return jnp.where(
        max_steps,
        STATUS_MAX_STEPS,
        jnp.where(ok, jnp.where(finite, STATUS_OK, STATUS_NONFINITE), STATUS_FAILED),
    ).astype(jnp.int32)


def simulate(
    system: AbstractSystem,
    t1: float,
    *,
    t0: float = 0.0,
    y0: PyTree[ArrayLike] | None = None,
    key: PRNGKeyArray | None = None,
    ts: ArrayLike | None = None,
    observable: Callable[[Array, PyTree[Array]], PyTree[Array]] | None = None,
    dt: float | None = None,
    adaptive: bool | None = None,
    rtol: float = 1e-6,
    atol: float = 1e-8,
    solver: dfx.AbstractSolver | None = None,
    max_steps: int | None = None,
    args: Any = None,
    adjoint: dfx.AbstractAdjoint | None = None,
    throw: bool = False,
) -> Trajectory:
    """Integrate ``system`` from ``t0`` to ``t1``.

    Args:
        system: any :class:`AbstractSystem`.
        t1: final time (> t0).
        t0: initial time.
        y0: initial state; by default ``system.initial_state(key)``.
        key: PRNG key. For stochastic systems it is split into one key for the initial
            state and one for the Brownian path; the same key always gives the same path.
        ts: save times (default: only ``t1``).
        observable: ``observable(t, y) -> pytree``, evaluated at each save time instead
            of storing the state (reductions on the fly keep memory at O(T)).
        dt: fixed step, or the initial step of an adaptive solve. Default
            ``system.default_dt``.
        adaptive: adaptive step-size control (PID, ``rtol``/``atol``). Default: True for
            ODEs, False for SDEs (Euler-Maruyama with fixed ``dt``).
        solver: any diffrax solver; default Tsit5 (ODE, adaptive or fixed step), Euler
            (fixed-step SDE, Itô) or Heun (adaptive SDE, Stratonovich).
        max_steps: step budget; exceeding it gives ``status == 1``. Default: enough
            for a fixed-step solve, 100 000 for an adaptive one.
        adjoint: diffrax adjoint (default: recursive checkpointing). A fixed-step SDE
            given no adjoint draws its Brownian increments directly and runs as a
            ``lax.scan`` of diffrax steps (fast, differentiable by plain autodiff);
            given one, it is solved by ``diffeqsolve`` on a Brownian tree.
        throw: raise on solver failure instead of returning a status code.

    Returns:
        A :class:`Trajectory` with ``ts``, ``ys`` (or observables) and ``status``.
    """
    if not isinstance(system, AbstractSystem):
        raise TypeError(f"system must be an AbstractSystem, got {type(system).__name__}")
    from .delay import AbstractDelaySystem  # delay.py builds on this module

    if isinstance(system, AbstractDelaySystem):
        raise TypeError(
            f"{type(system).__name__} is a delay system: integrate it with "
            "jaxdyn.simulate_delay(system, t1, ...), which keeps its history"
        )
    if _concrete(t1) and _concrete(t0) and not float(t1) > float(t0):
        raise ValueError(f"t1 must be greater than t0, got t0={t0}, t1={t1}")
    dt = system.default_dt if dt is None else dt
    if _concrete(dt) and not float(dt) > 0:
        raise ValueError(f"dt must be positive, got {dt}")
    if adaptive is None:
        adaptive = not system.is_stochastic

    noise_key = None
    if key is not None:
        init_key, noise_key = jax.random.split(key)
    if y0 is None:
        y0 = system.initial_state(None if key is None else init_key)
    y0 = jax.tree_util.tree_map(jnp.asarray, y0)

    ts_default = ts is None
    ts_in = np.asarray([t1] if ts is None else ts) if _concrete(ts) else ts
    ts = jnp.asarray(ts_in, dtype=jnp.result_type(float))
    if ts.ndim != 1 or ts.shape[0] == 0:
        raise ValueError(f"ts must be a non-empty 1-D array of save times, got shape {ts.shape}")

    if max_steps is None:
        max_steps = 100_000
        if not adaptive and _concrete(t1) and _concrete(t0) and _concrete(dt):
            max_steps = int(np.ceil((float(t1) - float(t0)) / float(dt))) + 2

    fn = (lambda t, y, args: y) if observable is None else (lambda t, y, args: observable(t, y))
    # A fixed-step SDE solved without a reverse-mode adjoint draws its increments
    # directly (fast) and runs as a scan over diffrax steps; anything else uses a
    # Brownian tree, which adaptive steps and diffrax's adjoints need. The two give
    # different (equally distributed) paths for the same key.
    unsafe_path = system.is_stochastic and not adaptive and adjoint is None
    terms = _terms(system, t0, t1, y0, noise_key, dt, unsafe_path)
    solver = solver or _default_solver(system, adaptive)
    if unsafe_path and all(_concrete(x) for x in (t0, t1, dt, ts_in)):
        return _scan_solve(terms, solver, float(t0), float(t1), float(dt), y0, args, ts_in, fn)

    controller = (
        dfx.PIDController(rtol=rtol, atol=atol, dtmin=None) if adaptive else dfx.ConstantStepSize()
    )
    sol = dfx.diffeqsolve(
        terms,
        solver,
        t0,
        t1,
        dt,
        y0,
        args,
        # Saving only the end point needs no per-step save loop (15-40% of a cheap solve).
        saveat=dfx.SaveAt(t1=True, fn=fn) if ts_default else dfx.SaveAt(ts=ts, fn=fn),
        stepsize_controller=controller,
        max_steps=max_steps,
        adjoint=adjoint or (dfx.ForwardMode() if unsafe_path else dfx.RecursiveCheckpointAdjoint()),
        throw=throw,
    )
    return Trajectory(
        ts=ts if ts_default else sol.ts,
        ys=sol.ys,
        status=_status(sol, sol.ys),
        num_steps=jnp.asarray(sol.stats["num_accepted_steps"]),
    )


def _scan_solve(terms, solver, t0, t1, dt, y0, args, ts, fn) -> Trajectory:
    """Fixed steps of a diffrax solver as one ``lax.scan``, saving by interpolation.

    ``diffeqsolve``'s while loop carries step-size control, events and dense saving
    that a fixed-step SDE does not need; under ``vmap`` every member is masked at every
    step. A scan over the known number of steps removes that overhead (the SDE
    benchmark measures it) and is reverse-differentiable as it stands. Save times
    between grid points are linearly interpolated, as diffrax does for these solvers.
    """
    n_steps = max(1, int(np.ceil((t1 - t0) / dt - 1e-9)))
    ts = np.asarray(ts, dtype=float)
    if np.any(ts < t0 - 1e-12) or np.any(ts > t1 + 1e-12):
        raise ValueError(f"save times ts must lie in [t0, t1] = [{t0}, {t1}]")
    grid = np.minimum(t0 + dt * np.arange(n_steps + 1), t1)
    # Save i lies in step n_i: grid[n_i] <= ts_i <= grid[n_i + 1].
    step_of = np.clip(np.searchsorted(grid, ts, side="right") - 1, 0, n_steps - 1)
    weight = (ts - grid[step_of]) / (grid[step_of + 1] - grid[step_of])
    count = np.bincount(step_of, minlength=n_steps)
    first = np.concatenate([[0], np.cumsum(count)[:-1]])
    dtype = jnp.result_type(float)

    state0 = solver.init(terms, t0, t0 + dt, y0, args)
    out_shape = jax.eval_shape(lambda y: fn(t0, y, args), y0)
    saved0 = jax.tree_util.tree_map(lambda s: jnp.zeros((len(ts),) + s.shape, s.dtype), out_shape)
    ts_j, w_j = jnp.asarray(ts, dtype), jnp.asarray(weight, dtype)

    per_step = max(1, int(count.max()))

    def body(carry, x):
        y, state, saved = carry
        ta, tb, lo, n = x
        y_next, _, _, state, _ = solver.step(terms, ta, tb, y, args, state, made_jump=False)

        def save(i, saved):
            w = w_j[i]
            y_t = jax.tree_util.tree_map(lambda a, b: a + w * (b - a), y, y_next)
            value = fn(ts_j[i], y_t, args)
            return jax.tree_util.tree_map(lambda buf, v: buf.at[i].set(v), saved, value)

        # Static trip count (reverse mode needs it); the save times are shared by every
        # member, so under vmap the cond stays a branch rather than becoming a select.
        saved = jax.lax.fori_loop(
            0,
            per_step,
            lambda j, sv: jax.lax.cond(j < n, lambda v: save(lo + j, v), lambda v: v, sv),
            saved,
        )
        return (y_next, state, saved), None

    xs = (
        jnp.asarray(grid[:-1], dtype),
        jnp.asarray(grid[1:], dtype),
        jnp.asarray(first, jnp.int32),
        jnp.asarray(count, jnp.int32),
    )
    (_, _, saved), _ = jax.lax.scan(body, (y0, state0, saved0), xs)
    finite = jnp.all(
        jnp.stack([jnp.all(jnp.isfinite(leaf)) for leaf in jax.tree_util.tree_leaves(saved)])
    )
    return Trajectory(
        ts=ts_j,
        ys=saved,
        status=jnp.where(finite, STATUS_OK, STATUS_NONFINITE).astype(jnp.int32),
        num_steps=jnp.asarray(n_steps),
    )


def _concrete(x) -> bool:
    return not isinstance(x, jax.core.Tracer)
