"""Adaptive ODE solves, differentiable by record and replay.

The forward solve is jaxdyn's own adaptive loop (:func:`._erk.adaptive_solve`: explicit
Runge-Kutta stages from the solver's Butcher tableau, diffrax's PID controller; implicit
solvers are refused). Under reverse mode the solve records its accepted
steps (end times and states) and the gradient is computed by *replaying* them
backwards: for the accepted steps k = n-1, ..., 0 it takes the vector-Jacobian product
of the step map (and of the dense interpolation at the save times inside the step),
carrying the state's cotangent and accumulating the parameters'.

This is the exact gradient of the discretised solution **with the step sequence held
fixed** ("discretise then optimise"): the derivative of the numbers the solve produced,
ignoring that a perturbed parameter would make the controller choose slightly different
steps. diffrax's ``RecursiveCheckpointAdjoint`` computes the same quantity (the
controller carries no gradient there either), and the two agree to round-off (tested);
the replay does it with one recorded forward solve and one backward pass over the steps,
without the checkpointed adjoint's recomputation and while-loop bookkeeping.

Memory: the record holds every accepted step's end time (``max_steps`` scalars) and the
state after every c-th step, c = ceil(max_steps / s), where s states fit in
``RECORD_BYTES`` (512 KiB; at least 2 states). The backward pass recomputes each segment
of c steps from its checkpoint (a fixed-step replay of the recorded steps, no
controller) before pulling the cotangent back through it, one extra step evaluation per
accepted step. With the default ``max_steps`` of 100 000 a state of 64 doubles has
c = 98; set ``max_steps`` at most s to store every state and skip the recomputation.
The record is an equinox buffer, written in place even under ``vmap`` (a plain
while-loop carry is copied at every step there, which made an earlier version 1800x
its forward solve).
Without reverse mode nothing is recorded.

Parameters are whatever the vector field and the observable close over
(closure-converted), so gradients reach a system's fields and anything the observable
reads.
"""

from __future__ import annotations

import diffrax as dfx
import equinox.internal as eqxi
import jax
import jax.numpy as jnp

from .._trajectory import Trajectory
from ._erk import adaptive_solve, erk_step

#: default record length (accepted steps) of an ``adjoint="replay"`` solve
REPLAY_MAX_STEPS = 100_000
#: bytes of states a replay record stores (every c-th accepted state beyond them);
#: measured on the adaptive sync1d gradient (8 rings vmapped), records of 2 MiB per ring
#: cost 60 % more than 128 KiB ones, in allocating and filling alone
RECORD_BYTES = 2**19


def replay_solve(
    drift,
    solver: dfx.AbstractSolver,
    controller: dfx.AbstractStepSizeController,
    t0,
    t1,
    dt0,
    y0,
    args,
    ts,
    save,
    end_only: bool,
    max_steps: int,
) -> Trajectory:
    """Adaptive solve of dy/dt = drift(t, y, args), differentiable by replaying its steps."""
    dtype = jnp.result_type(float)
    t_ex = jnp.zeros((), dtype)
    vf, vc = jax.closure_convert(lambda t, y: drift(t, y, args), t_ex, y0)
    sv, sc = jax.closure_convert(lambda t, y: save(t, y, args), t_ex, y0)
    times = tuple(jnp.asarray(x, dtype) for x in (t0, t1, dt0))
    ts = jnp.reshape(jnp.asarray(ts, dtype), (-1,))
    state_bytes = sum(x.size * x.dtype.itemsize for x in jax.tree_util.tree_leaves(y0))
    core = _make_core(vf, sv, solver, controller, end_only, max_steps, state_bytes)
    ys, status, n = core(*times, ts, y0, tuple(vc), tuple(sc))
    return Trajectory(ts=ts, ys=ys, status=status, num_steps=n)


def _make_core(vf, sv, solver, controller, end_only, max_steps, state_bytes):
    states = max(2, RECORD_BYTES // max(state_bytes, 1))
    every = -(-max_steps // states)
    tmap = jax.tree_util.tree_map

    def forward(t0, t1, dt0, ts, y0, vc, sc, record):
        saved, code, n, rec = adaptive_solve(
            solver,
            lambda t, y: vf(t, y, *vc),
            lambda t, y: sv(t, y, *sc),
            controller,
            t0,
            t1,
            dt0,
            y0,
            ts,
            end_only=end_only,
            max_steps=max_steps,
            record_every=every if record else 0,
        )
        return (saved, code, n), rec

    @jax.custom_vjp
    def core(t0, t1, dt0, ts, y0, vc, sc):
        return forward(t0, t1, dt0, ts, y0, vc, sc, record=False)[0]

    def core_fwd(t0, t1, dt0, ts, y0, vc, sc):
        out, rec = forward(t0, t1, dt0, ts, y0, vc, sc, record=True)
        return out, (t0, t1, ts, y0, vc, sc, rec, out[2])

    def core_bwd(res, cts):
        t0, t1, ts, y0, vc, sc, (step_ends, checkpoints, y_end), n = res
        ct_saved = cts[0]
        zeros = lambda tree: tmap(jnp.zeros_like, tree)
        add = lambda a, b: tmap(jnp.add, a, b)
        last = jnp.maximum(n - 1, 0)
        ct_vc, ct_sc = zeros(vc), zeros(sc)
        if end_only:
            _, pull = jax.vjp(lambda y, c: sv(t1, y, *c), y_end, sc)
            ct_y, ct_sc = pull(tmap(lambda v: v[0], ct_saved))
            save_step = jnp.full(ts.shape, -1)
        else:
            ct_y = zeros(y0)
            save_step = jnp.clip(jnp.searchsorted(step_ends, ts, side="left"), 0, last)
        out_shape = jax.eval_shape(lambda y: sv(t0, y, *sc), y0)

        def step(k, y, vc):
            ta = jnp.where(k == 0, t0, step_ends[jnp.maximum(k - 1, 0)])
            tb = step_ends[k]
            f = lambda t, yy: vf(t, yy, *vc)
            y1, _, dense, _ = erk_step(solver, f, ta, tb, y, f(ta, y))
            return y1, ta, tb, dense

        def step_map(k, y, vc, sc):
            y1, ta, tb, dense = step(k, y, vc)
            if end_only:
                return y1, None
            interp = solver.interpolation_cls(t0=ta, t1=tb, **dense)
            # Most steps hold no save time: interpolate only in those that do.
            values = jax.lax.cond(
                jnp.any(save_step == k),
                lambda: jax.vmap(lambda t: sv(t, interp.evaluate(t), *sc))(ts),
                lambda: tmap(lambda s: jnp.zeros(ts.shape + s.shape, s.dtype), out_shape),
            )
            return y1, values

        def pull_step(k, y_start, cot):
            ct_y, ct_vc, ct_sc = cot
            if end_only:
                ct_out = (ct_y, None)
            else:
                hit = save_step == k
                ct_vals = tmap(
                    lambda c: jnp.where(jnp.reshape(hit, hit.shape + (1,) * (c.ndim - 1)), c, 0),
                    ct_saved,
                )
                ct_out = (ct_y, ct_vals)
            _, pull = jax.vjp(lambda y, c, s: step_map(k, y, c, s), y_start, vc, sc)
            d_y, d_vc, d_sc = pull(ct_out)
            return d_y, add(ct_vc, d_vc), add(ct_sc, d_sc)

        def segment(carry):
            # steps k0 .. k0 + size - 1 start from checkpoint s - 1 (y0 for s = 0)
            s, cot = carry
            k0 = s * every
            size = jnp.minimum(every, n - k0)
            start = tmap(
                lambda c, a: jnp.where(s == 0, a, c[jnp.maximum(s - 1, 0)]), checkpoints, y0
            )
            starts = tmap(lambda a: jnp.zeros((every,) + a.shape, a.dtype).at[0].set(a), start)
            if every > 1:

                def recompute(c):
                    j, y, buf = c
                    y = step(k0 + j - 1, y, vc)[0]
                    return j + 1, y, tmap(lambda v, b: b.at[j].set(v), y, buf)

                starts = eqxi.while_loop(
                    lambda c: c[0] < size,
                    recompute,
                    (jnp.asarray(1), start, starts),
                    kind="lax",
                    buffers=lambda c: c[2],
                )[2]

            def back(c):
                j, cot = c
                y_start = tmap(lambda a: a[j], starts)
                return j - 1, pull_step(k0 + j, y_start, cot)

            _, cot = jax.lax.while_loop(lambda c: c[0] >= 0, back, (size - 1, cot))
            return s - 1, cot

        n_segments = (n + every - 1) // every
        _, (ct_y0, ct_vc, ct_sc) = jax.lax.while_loop(
            lambda c: c[0] >= 0, segment, (n_segments - 1, (ct_y, ct_vc, ct_sc))
        )
        z = jnp.zeros_like
        return z(t0), z(t1), z(res[0]), z(ts), ct_y0, ct_vc, ct_sc

    core.defvjp(core_fwd, core_bwd)
    return core


__all__ = ["RECORD_BYTES", "REPLAY_MAX_STEPS", "replay_solve"]
