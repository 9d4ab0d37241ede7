"""ODEs and SDEs (and semi-linear systems given a diffrax solver) through diffrax.

Four paths, chosen by what the solve needs:

* **fixed steps** (``adaptive=False``, concrete times): a plain ``lax.scan`` of the
  diffrax solver's steps (:mod:`._fixed`), ODE or SDE, with Brownian increments drawn in
  blocks; differentiable by plain autodiff;
* **adaptive, default**: ``diffrax.diffeqsolve`` with a PID controller and diffrax's
  recursive-checkpoint adjoint (or the adjoint passed);
* **adaptive, inside a batched sweep** (``sweep(..., batch="inside")``): the chunk is solved
  as one system, the batch inside the vector field (:mod:`._batched`);
* **adaptive, ``adjoint="replay"``**: record the accepted steps, then replay them as a
  differentiable scan (:mod:`._replay`).
"""

from __future__ import annotations

import typing
import warnings

import diffrax as dfx
import jax
import jax.numpy as jnp
import lineax as lx
import numpy as np
from optimistix import rms_norm as optx_rms_norm

from .._system import AbstractODE, AbstractSDE, AbstractSemilinear, check_int, check_positive
from .._trajectory import (
    STATUS_FAILED,
    STATUS_MAX_STEPS,
    STATUS_NONFINITE,
    Trajectory,
    finite_status,
)
from ._batched import batched_or_single, batching_mode, max_member_rms
from ._erk import adaptive_solve, is_unrollable
from ._events import integrate_events
from ._fixed import INCREMENTS, fixed_step_solve
from ._problem import Problem
from ._replay import replay_solve

DEFAULT_MAX_STEPS = 100_000


def _is_imex(solver: dfx.AbstractSolver) -> bool:
    return typing.get_origin(solver.term_structure) is dfx.MultiTerm


def _drift_term(system: AbstractODE, solver) -> dfx.AbstractTerm:
    if _is_imex(solver):
        if not isinstance(system, AbstractSemilinear):
            raise TypeError(
                f"solver {type(solver).__name__} is an IMEX method: it needs a semi-linear "
                f"system (linear + nonlinear split); {type(system).__name__} is not one"
            )
        return dfx.MultiTerm(dfx.ODETerm(system.nonlinear), dfx.ODETerm(system.linear))
    # a bound method of the (equinox) system is a pytree: its parameters are explicit
    # inputs of the solve, which BacksolveAdjoint needs (it refuses closed-over values)
    return dfx.ODETerm(system.drift)


def _noise(system: AbstractSDE, y0):
    """The diffusion as a lineax-operator vector field, and the Brownian motion's shape."""
    shape = system.noise_shape(y0) if system.noise == "general" else jnp.shape(y0)
    struct = jax.ShapeDtypeStruct(tuple(shape), jnp.result_type(y0))
    if system.noise == "general":
        vf = lambda t, y, args: lx.MatrixLinearOperator(system.diffusion(t, y, args))
    else:
        vf = lambda t, y, args: lx.DiagonalLinearOperator(system.diffusion(t, y, args))
    return vf, struct


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
    adjoint: dfx.AbstractAdjoint | str | None = None,
    increments: str = "gaussian",
    events=None,
) -> Trajectory:
    """Integrate an ODE or SDE (or a semi-linear system with a diffrax solver).

    Options:
        adaptive: PID step-size control (``rtol``/``atol``); default True for ODEs,
            False for SDEs (Euler-Maruyama with fixed ``dt``).
        rtol, atol: tolerances of an adaptive solve (> 0).
        max_steps: step budget (>= 1, accepted and rejected steps); exceeding it gives
            status 1. Default: enough for a fixed-step solve, 100 000 for an adaptive one.
            With ``adjoint="replay"`` a gradient records ``max_steps`` step end times and
            at most 512 KiB of states (every c-th state, the rest recomputed).
        adjoint: how reverse mode differentiates an adaptive solve. ``None`` (the
            default): ``diffeqsolve`` with ``diffrax.RecursiveCheckpointAdjoint()``.
            ``"replay"`` (explicit Runge-Kutta solvers): jaxdyn's own loop, recording
            the accepted steps and replaying them backwards
            (:mod:`jaxdyn.core.integrators._replay`); the same gradient (the discretised
            solution's, steps held fixed) for 1.6-2.3x less than the checkpointed
            adjoint on the adaptive sync1d loss (docs/benchmarks.md §4), with the
            forward solve of our own loop (see below). Any other
            diffrax adjoint routes the solve through ``diffeqsolve``. Fixed-step
            solves are scans, differentiated directly; given a diffrax adjoint they go
            through ``diffeqsolve`` instead (an SDE then on a Brownian tree, a different
            path for the same key).
        increments: Brownian increments of a fixed-step SDE: ``"gaussian"`` (exact),
            ``"rademacher"`` or ``"three_point"`` (cheaper, weak-order preserving, no
            pathwise meaning; see :mod:`jaxdyn.core.integrators._fixed`).
        events: a :class:`~jaxdyn.Event` (condition, reset): non-terminating events
            with state resets, solved by :mod:`._events`.

    Default solvers: Tsit5 (ODE), Euler (fixed-step SDE, Itô) or Heun (adaptive SDE,
    Stratonovich); a semi-linear system reaches this integrator only when given a diffrax
    solver (an IMEX one gets the linear part implicit). Adaptive ODE solves with an
    explicit Runge-Kutta solver run in jaxdyn's own loop (:mod:`._erk`: unrolled stages,
    diffrax's PID controller; results agree with ``diffeqsolve`` to round-off); with
    ``throw=True``, an implicit or IMEX solver, or a diffrax adjoint, ``diffeqsolve`` runs.
    """
    if events is not None:
        return integrate_events(system, p, events, adaptive=adaptive, rtol=rtol, atol=atol,
                                max_steps=max_steps, adjoint=adjoint)  # fmt: skip
    stochastic = isinstance(system, AbstractSDE)
    if adaptive is None:
        adaptive = not stochastic
    if not isinstance(adaptive, bool):
        raise TypeError(f"adaptive must be True or False, got {adaptive!r}")
    if adaptive:
        check_positive("rtol", rtol)
        check_positive("atol", atol)
    if increments not in INCREMENTS:
        raise ValueError(f"increments must be one of {INCREMENTS}, got {increments!r}")
    replay = isinstance(adjoint, str)
    if replay and adjoint != "replay":
        raise ValueError(f"adjoint must be 'replay' or a diffrax adjoint, got {adjoint!r}")
    if stochastic and p.key is None:
        raise ValueError(f"{type(system).__name__} is stochastic: simulate needs key=")
    dt = system.default_dt if p.dt is None else p.dt
    concrete = all(not isinstance(x, jax.core.Tracer) for x in (p.t0, p.t1, dt))
    if max_steps is not None:
        max_steps = check_int("max_steps", max_steps, 1)
    solver = p.solver or _default_solver(system, adaptive)

    if not adaptive and adjoint is None and concrete and p.concrete_ts is None:
        # jnp.asarray(ts) inside a jit/vmap trace is a tracer even for a constant: the
        # scan path cannot place the saves, and diffrax's loop is ~40x slower (sync1d).
        warnings.warn(
            "simulate: fixed-step solve with traced save times ts; pass a NumPy array "
            "(not jnp.asarray inside jit/vmap) to use the fast scan path",
            stacklevel=3,
        )
    if not adaptive and adjoint is None and concrete and p.concrete_ts is not None:
        if not (stochastic and isinstance(solver, dfx.AbstractSRK)):  # SRKs need Levy areas
            noise = _noise(system, p.y0) if stochastic else None
            t0, t1 = float(p.t0), float(p.t1)
            if max_steps is not None and np.ceil((t1 - t0) / float(dt) - 1e-9) > max_steps:
                return _exhausted(p)
            term = _drift_term(system, solver)
            return fixed_step_solve(term, noise, solver, t0, t1, float(dt), p, increments)

    if stochastic and adaptive and replay:
        raise ValueError("adjoint='replay' applies to ODEs (an adaptive SDE has no fixed path)")
    if max_steps is None:
        max_steps = DEFAULT_MAX_STEPS
        if not adaptive and concrete:
            max_steps = int(np.ceil((float(p.t1) - float(p.t0)) / float(dt))) + 2
    controller = (
        dfx.PIDController(rtol=rtol, atol=atol, dtmin=None) if adaptive else dfx.ConstantStepSize()
    )
    own_loop = adaptive and not stochastic and not _is_imex(solver) and not p.throw
    if own_loop and adjoint is None and batching_mode() == "inside":
        return _batched_adaptive(system, p, solver, rtol, atol, dt, max_steps)
    # adjoint=None goes through diffeqsolve with the checkpointed adjoint: the replay's
    # forward is our own loop, slower than diffeqsolve on small rolled rings (L = 3..8,
    # docs/benchmarks.md §1), although its gradient is now cheaper (§4).
    if own_loop and replay:
        if not is_unrollable(solver):
            raise ValueError(
                "adjoint='replay' needs an explicit Runge-Kutta solver (Tsit5, Dopri5, "
                f"Bosh3, ...), got {type(solver).__name__}; use adjoint=None (diffrax's "
                "checkpointed adjoint) for implicit solvers"
            )
        return replay_solve(
            system.drift,
            solver,
            controller,
            p.t0,
            p.t1,
            dt,
            p.y0,
            p.args,
            p.ts,
            p.save,
            p.end_only,
            max_steps,
        )
    if replay:
        raise ValueError(
            "adjoint='replay' needs an adaptive ODE solve with a non-IMEX solver and throw=False"
        )

    terms = _drift_term(system, solver)
    if stochastic:
        vf, struct = _noise(system, p.y0)
        levy = getattr(solver, "minimal_levy_area", dfx.BrownianIncrement)
        # A Brownian tree answers queries at arbitrary times (adaptive steps, adjoints).
        # Its resolution is tied to the interval, not to dt, so that solves with different
        # steps see the same path (strong convergence can then be measured).
        bm = dfx.VirtualBrownianTree(
            p.t0, p.t1, tol=(p.t1 - p.t0) * 2.0**-20, shape=struct, key=p.key, levy_area=levy
        )
        terms = dfx.MultiTerm(terms, dfx.ControlTerm(vf, bm))
    ts = jnp.asarray(p.ts, dtype=jnp.result_type(float))
    # diffrax's BacksolveAdjoint cannot save through fn=; the state needs no fn.
    fn = {} if p.saves_state else {"fn": p.save}
    if isinstance(adjoint, dfx.BacksolveAdjoint) and fn:
        raise ValueError(
            "adjoint=BacksolveAdjoint() saves states only: call simulate without observable= "
            "and reduce the returned states"
        )
    sol = dfx.diffeqsolve(
        terms,
        solver,
        p.t0,
        p.t1,
        dt,
        p.y0,
        p.args,
        # Saving only the end point needs no per-step save loop (15-40% of a cheap solve).
        saveat=dfx.SaveAt(t1=True, **fn) if p.end_only else dfx.SaveAt(ts=ts, **fn),
        stepsize_controller=controller,
        max_steps=max_steps,
        adjoint=adjoint or dfx.RecursiveCheckpointAdjoint(),
        throw=p.throw,
    )
    return Trajectory(
        ts=ts if p.end_only else sol.ts,
        ys=sol.ys,
        status=_status(sol),
        num_steps=jnp.asarray(sol.stats["num_accepted_steps"]),
    )


def _exhausted(p: Problem) -> Trajectory:
    """A fixed-step solve whose step count exceeds ``max_steps``: nothing computed."""
    shape = jax.eval_shape(lambda y: p.save(p.t0, y, p.args), p.y0)
    n = len(p.concrete_ts)
    ys = jax.tree_util.tree_map(lambda s: jnp.full((n,) + s.shape, jnp.inf, s.dtype), shape)
    return Trajectory(
        ts=jnp.asarray(p.concrete_ts, jnp.result_type(float)),
        ys=ys,
        status=jnp.asarray(STATUS_MAX_STEPS, jnp.int32),
        num_steps=jnp.asarray(0),
    )


def _batched_adaptive(system, p: Problem, solver, rtol, atol, dt, max_steps) -> Trajectory:
    """An adaptive ODE solve that, when vmapped, solves the batch as one system."""
    dtype = jnp.result_type(float)
    t_ex = jnp.zeros((), dtype)
    drift, drift_consts = jax.closure_convert(lambda t, y: system.drift(t, y, p.args), t_ex, p.y0)
    save, save_consts = jax.closure_convert(lambda t, y: p.save(t, y, p.args), t_ex, p.y0)
    n_dc = len(drift_consts)
    end_only = p.end_only

    def saveat(fn):
        if end_only:
            return dfx.SaveAt(t1=True, fn=fn)
        return None

    own = is_unrollable(solver)

    def run(t0, t1, dt0, y0, ts, vf, fn, norm):
        controller = dfx.PIDController(rtol=rtol, atol=atol, dtmin=None, norm=norm)
        if own:
            saved, status, n, _ = adaptive_solve(
                solver,
                vf,
                fn,
                controller,
                t0,
                t1,
                dt0,
                y0,
                ts,
                end_only=end_only,
                max_steps=max_steps,
            )
            return saved, status, n
        sol = dfx.diffeqsolve(
            dfx.ODETerm(lambda t, y, a: vf(t, y)),
            solver,
            t0,
            t1,
            dt0,
            y0,
            saveat=saveat(lambda t, y, a: fn(t, y))
            or dfx.SaveAt(ts=ts, fn=lambda t, y, a: fn(t, y)),
            stepsize_controller=controller,
            max_steps=max_steps,
            throw=False,
        )
        return sol.ys, _status(sol), jnp.asarray(sol.stats["num_accepted_steps"])

    def solve(t0, t1, dt0, y0, ts, *consts):
        dc, sc = consts[:n_dc], consts[n_dc:]
        return run(
            t0,
            t1,
            dt0,
            y0,
            ts,
            lambda t, y: drift(t, y, *dc),
            lambda t, y: save(t, y, *sc),
            optx_rms_norm,
        )

    def batched(size, const_axes, t0, t1, dt0, y0, ts, *consts):
        dc, sc = consts[:n_dc], consts[n_dc:]
        dca, sca = const_axes[:n_dc], const_axes[n_dc:]

        def vf(t, y):
            return jax.vmap(lambda yy, *c: drift(t, yy, *c), in_axes=(0, *dca))(y, *dc)

        def fn(t, y):
            return jax.vmap(lambda yy, *c: save(t, yy, *c), in_axes=(0, *sca))(y, *sc)

        # Every member meets its own tolerance: the max over members of their norms.
        ys, status, n = run(t0, t1, dt0, y0, ts, vf, fn, max_member_rms)
        ys = jax.tree_util.tree_map(lambda v: jnp.moveaxis(v, 0, 1), ys)  # (member, T, ...)
        finite = jax.vmap(finite_status)(ys)
        status = jnp.where(status == STATUS_NONFINITE, finite, status)
        status = jnp.where(status == 0, finite, status).astype(jnp.int32)
        return ys, status, jnp.broadcast_to(n, (size,))

    f = batched_or_single(solve, batched, n_plain=5)
    ts = jnp.asarray(p.ts, dtype)
    args = (jnp.asarray(p.t0, dtype), jnp.asarray(p.t1, dtype), jnp.asarray(dt, dtype), p.y0, ts)
    ys, status, steps = f(*args, *drift_consts, *save_consts)
    return Trajectory(ts=ts, ys=ys, status=status, num_steps=steps)


__all__ = ["DEFAULT_MAX_STEPS", "integrate_diffrax"]
