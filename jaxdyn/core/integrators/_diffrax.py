"""ODEs and SDEs (and semi-linear systems given a diffrax solver) through diffrax.

The integrator builds the diffrax terms the system declares (an ODE term, plus a control
term driven by a Brownian path from the problem's key when the system is stochastic; a
two-term IMEX split when the solver asks for one), picks a solver and step-size
controller, and saves the state or observables reduced on the fly. A fixed-step SDE
solved without a reverse-mode adjoint runs as a ``lax.scan`` of diffrax steps
(:func:`scan_solve`): no step-size machinery, increments drawn per step.
"""

from __future__ import annotations

import typing

import diffrax as dfx
import jax
import jax.numpy as jnp
import lineax as lx
import numpy as np

from .._system import AbstractODE, AbstractSDE, AbstractSemilinear, check_int, check_positive
from .._trajectory import STATUS_FAILED, STATUS_MAX_STEPS, Trajectory, all_finite, finite_status
from ._problem import Problem

DEFAULT_MAX_STEPS = 100_000


def _is_imex(solver: dfx.AbstractSolver) -> bool:
    return typing.get_origin(solver.term_structure) is dfx.MultiTerm


def _terms(system: AbstractODE, p: Problem, unsafe_path: bool, solver) -> dfx.AbstractTerm:
    if _is_imex(solver):
        if not isinstance(system, AbstractSemilinear):
            raise TypeError(
                f"solver {type(solver).__name__} is an IMEX method: it needs a semi-linear "
                f"system (linear + nonlinear split); {type(system).__name__} is not one"
            )
        return dfx.MultiTerm(dfx.ODETerm(system.nonlinear), dfx.ODETerm(system.linear))
    ode = dfx.ODETerm(lambda t, y, args: system.drift(t, y, args))
    if not isinstance(system, AbstractSDE):
        return ode
    shape = system.noise_shape(p.y0) if system.noise == "general" else jnp.shape(p.y0)
    bm_shape = jax.ShapeDtypeStruct(shape, jnp.result_type(p.y0))
    if unsafe_path:
        # Fixed steps query each increment once: the cheap path, drawn per step, is exact.
        bm = dfx.UnsafeBrownianPath(shape=bm_shape, key=p.key)
    else:
        # A Brownian tree answers queries at arbitrary times (adaptive steps, reverse mode).
        # Its resolution is tied to the interval, not to dt, so that solves with different
        # steps see the same path (strong convergence can then be measured).
        bm = dfx.VirtualBrownianTree(
            p.t0, p.t1, tol=(p.t1 - p.t0) * 2.0**-20, shape=bm_shape, key=p.key
        )
    if system.noise == "general":
        vf = lambda t, y, args: lx.MatrixLinearOperator(system.diffusion(t, y, args))
    else:
        vf = lambda t, y, args: lx.DiagonalLinearOperator(system.diffusion(t, y, args))
    return dfx.MultiTerm(ode, dfx.ControlTerm(vf, bm))


def _default_solver(system: AbstractODE, adaptive: bool) -> dfx.AbstractSolver:
    if not isinstance(system, AbstractSDE):
        return dfx.Tsit5()
    return dfx.Heun() if adaptive else dfx.Euler()


def _status(sol: dfx.Solution) -> jax.Array:
    # A failed solve leaves unreached save times as inf, so the solver's own verdict
    # comes first; non-finite values in a "successful" solve mean the state blew up.
    ok = sol.result == dfx.RESULTS.successful
    max_steps = sol.result == dfx.RESULTS.max_steps_reached
    code = jnp.where(ok, finite_status(sol.ys), STATUS_FAILED)
    return jnp.where(max_steps, STATUS_MAX_STEPS, code).astype(jnp.int32)


def integrate_diffrax(
    system: AbstractODE,
    p: Problem,
    *,
    adaptive: bool | None = None,
    rtol: float = 1e-6,
    atol: float = 1e-8,
    max_steps: int | None = None,
    adjoint: dfx.AbstractAdjoint | None = None,
) -> Trajectory:
    """Integrate an ODE or SDE (or a semi-linear system with a diffrax solver).

    Options:
        adaptive: PID step-size control (``rtol``/``atol``); default True for ODEs,
            False for SDEs (Euler-Maruyama with fixed ``dt``).
        rtol, atol: tolerances of an adaptive solve (> 0).
        max_steps: step budget (>= 1); exceeding it gives status 1. Default: enough for a
            fixed-step solve, 100 000 for an adaptive one.
        adjoint: a diffrax adjoint (default: recursive checkpointing). A fixed-step SDE
            given none draws its increments per step and runs as a ``lax.scan``
            (differentiable by plain autodiff); given one, it is solved by
            ``diffeqsolve`` on a Brownian tree (the two paths differ for one key).

    Default solvers: Tsit5 (ODE), Euler (fixed-step SDE, Itô) or Heun (adaptive SDE,
    Stratonovich); a semi-linear system reaches this integrator only when given a diffrax
    solver (an IMEX one gets the linear part implicit).
    """
    stochastic = isinstance(system, AbstractSDE)
    if adaptive is None:
        adaptive = not stochastic
    if adaptive:
        check_positive("rtol", rtol)
        check_positive("atol", atol)
    if stochastic and p.key is None:
        raise ValueError(f"{type(system).__name__} is stochastic: simulate needs key=")
    dt = system.default_dt if p.dt is None else p.dt
    concrete = all(not isinstance(x, jax.core.Tracer) for x in (p.t0, p.t1, dt))
    if max_steps is None:
        max_steps = DEFAULT_MAX_STEPS
        if not adaptive and concrete:
            max_steps = int(np.ceil((float(p.t1) - float(p.t0)) / float(dt))) + 2
    else:
        max_steps = check_int("max_steps", max_steps, 1)

    unsafe_path = stochastic and not adaptive and adjoint is None
    solver = p.solver or _default_solver(system, adaptive)
    terms = _terms(system, p, unsafe_path, solver)
    if unsafe_path and concrete and p.concrete_ts is not None:
        return scan_solve(terms, solver, float(p.t0), float(p.t1), float(dt), p)

    controller = (
        dfx.PIDController(rtol=rtol, atol=atol, dtmin=None) if adaptive else dfx.ConstantStepSize()
    )
    ts = jnp.asarray(p.ts, dtype=jnp.result_type(float))
    sol = dfx.diffeqsolve(
        terms,
        solver,
        p.t0,
        p.t1,
        dt,
        p.y0,
        p.args,
        # Saving only the end point needs no per-step save loop (15-40% of a cheap solve).
        saveat=dfx.SaveAt(t1=True, fn=p.save) if p.end_only else dfx.SaveAt(ts=ts, fn=p.save),
        stepsize_controller=controller,
        max_steps=max_steps,
        adjoint=adjoint or (dfx.ForwardMode() if unsafe_path else dfx.RecursiveCheckpointAdjoint()),
        throw=p.throw,
    )
    return Trajectory(
        ts=ts if p.end_only else sol.ts,
        ys=sol.ys,
        status=_status(sol),
        num_steps=jnp.asarray(sol.stats["num_accepted_steps"]),
    )


def scan_solve(terms, solver, t0: float, t1: float, dt: float, p: Problem) -> Trajectory:
    """Fixed steps of a diffrax solver as one ``lax.scan``, saving by interpolation.

    ``diffeqsolve``'s while loop carries step-size control, events and dense saving
    that a fixed-step SDE does not need; under ``vmap`` every member is masked at every
    step. A scan over the known number of steps removes that overhead (the SDE
    benchmark measures it) and is reverse-differentiable as it stands. Save times
    between grid points are linearly interpolated, as diffrax does for these solvers.
    """
    n_steps = max(1, int(np.ceil((t1 - t0) / dt - 1e-9)))
    ts = np.asarray(p.ts, dtype=float)
    grid = np.minimum(t0 + dt * np.arange(n_steps + 1), t1)
    # Save i lies in step n_i: grid[n_i] <= ts_i <= grid[n_i + 1].
    step_of = np.clip(np.searchsorted(grid, ts, side="right") - 1, 0, n_steps - 1)
    weight = (ts - grid[step_of]) / (grid[step_of + 1] - grid[step_of])
    count = np.bincount(step_of, minlength=n_steps)
    first = np.concatenate([[0], np.cumsum(count)[:-1]])
    dtype = jnp.result_type(float)
    args, fn = p.args, p.save

    state0 = solver.init(terms, t0, t0 + dt, p.y0, args)
    out_shape = jax.eval_shape(lambda y: fn(t0, y, args), p.y0)
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
    (_, _, saved), _ = jax.lax.scan(body, (p.y0, state0, saved0), xs)
    return Trajectory(
        ts=ts_j,
        ys=saved,
        status=finite_status(saved),
        num_steps=jnp.asarray(n_steps),
    )


__all__ = ["DEFAULT_MAX_STEPS", "all_finite", "integrate_diffrax", "scan_solve"]
