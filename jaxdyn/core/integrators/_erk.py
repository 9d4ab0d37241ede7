"""Explicit Runge-Kutta steps with unrolled stages, and jaxdyn's own adaptive loop.

diffrax evaluates the stages of a Runge-Kutta step inside a (checkpointed) while loop
with stage buffers: general and compact to compile, but every stage is a loop iteration
that XLA cannot fuse with the next, and for the small states of ensemble work (a
3-variable Lorenz member, a ring of 128 phases) that bookkeeping, not the vector field,
is the cost. Measured on this CPU for 256 vmapped Lorenz members, 1000 fixed Tsit5
steps: 23 ms through diffrax's ``solver.step`` against 0.5 ms for a hand-written RK4
scan. :func:`erk_step` evaluates the same Butcher tableau (read from the diffrax solver,
so Tsit5, Dopri5, Bosh3, Heun, ... all work) with the stages unrolled in Python, which
XLA fuses into straight-line code; the dense output is diffrax's own interpolation class
fed the same stage increments, so save times are interpolated exactly as diffrax does.
Unrolling pays for small states only: for states of more than ``UNROLL_MAX_SIZE``
elements the stages run in a loop over a stage buffer, because XLA otherwise fuses
each stage's derivative into every later stage and recomputes it there (a ring that
rolls its phases ran its fixed-step sync1d fit 6x slower unrolled).

:func:`adaptive_solve` is the step-size loop around it: diffrax's ``PIDController`` decides
(``adapt_step_size``, the same decisions as ``diffeqsolve``), save times are filled by
dense interpolation as steps pass them, and the loop stops at ``t1`` or after
``max_steps`` steps (accepted or rejected). With ``record_every=c`` it also stores the
accepted steps' end times and every c-th accepted state, from which the replay adjoint
differentiates the steps (:mod:`._replay`). The error norm is a parameter, so a batch of
members solved as one system can use the maximum over members of their norms
(:mod:`._batched`).
"""

from __future__ import annotations

from collections.abc import Callable

import diffrax as dfx
import equinox.internal as eqxi
import jax
import jax.numpy as jnp
import numpy as np

from .._trajectory import STATUS_FAILED, STATUS_MAX_STEPS, finite_status


def is_unrollable(solver) -> bool:
    """An explicit Runge-Kutta solver with a Butcher tableau (not stochastic, not IMEX)."""
    return (
        isinstance(solver, dfx.AbstractERK)
        and isinstance(getattr(solver, "tableau", None), dfx.ButcherTableau)
        and not isinstance(solver, dfx.AbstractSRK)
    )


def _lincomb(base, coeffs, terms, h):
    """base + h Σ c_j terms_j over the nonzero coefficients (pytrees)."""
    nz = [(float(c), t) for c, t in zip(coeffs, terms, strict=False) if float(c) != 0.0]
    if not nz:
        return base

    def leaf(b, *xs):
        acc = nz[0][0] * xs[0]
        for (c, _), x in zip(nz[1:], xs[1:], strict=True):
            acc = acc + c * x
        return b + h * acc if b is not None else h * acc

    return jax.tree_util.tree_map(leaf, base, *[t for _, t in nz])


def erk_step(solver, f: Callable, t0, t1, y0, f0, h=None):
    """One step of ``solver``'s tableau from (t0, y0) to t1, stages unrolled (states of
    at most ``UNROLL_MAX_SIZE`` elements) or in a loop (:func:`_looped_step`).

    ``f(t, y)`` is the vector field, ``f0 = f(t0, y0)``. Returns ``(y1, y_error, dense,
    f1)`` where ``dense`` is the ``dense_info`` diffrax's interpolation class takes and
    ``f1 = f(t1, y1)`` (the next step's first stage). Pass the step ``h = t1 - t0`` as a
    Python number when it is fixed: XLA then folds it into the stage arithmetic (4x
    faster for small states on CPU than a traced step size).
    """
    tab = solver.tableau
    h = t1 - t0 if h is None else h
    size = sum(int(np.prod(x.shape)) for x in jax.tree_util.tree_leaves(y0))
    if size > UNROLL_MAX_SIZE and len(tab.a_lower) + 1 == len(tab.b_sol):
        return _looped_step(tab, f, t0, t1, y0, f0, h)
    fs = [f0]
    for a_row, c in zip(tab.a_lower, tab.c, strict=True):
        yi = _lincomb(y0, a_row, fs, h)
        fs.append(f(t0 + float(c) * h, yi))
    y1 = _lincomb(y0, tab.b_sol, fs, h)
    zero = jax.tree_util.tree_map(jnp.zeros_like, y0)
    y_err = _lincomb(zero, tab.b_error, fs, h)
    fsal = tab.fsal
    f1 = fs[-1] if fsal else f(t1, y1)
    if not fsal and len(fs) < len(tab.b_sol):
        fs.append(f1)
    k = jax.tree_util.tree_map(lambda *xs: h * jnp.stack(xs), *fs)
    dense = {"y0": y0, "y1": y1, "k": k}
    return y1, y_err, dense, f1


#: states of more elements than this take their stages in a loop (see _looped_step)
UNROLL_MAX_SIZE = 16


def _looped_step(tab, f, t0, t1, y0, f0, h):
    """:func:`erk_step` with the stages in a ``fori_loop`` over a stage buffer.

    Unrolled, XLA's CPU fusion may fuse each stage's derivative into every later stage
    that reads it, recomputing it there: on a ring whose vector field rolls its input
    (``Sync1D``) the compiled step held 63 sines instead of 2 per stage pair and ran
    3x slower than diffrax's stage loop. A loop iteration is a fusion boundary, so each
    derivative is computed once; for small states the unrolled stages win (no loop
    overhead), hence the size rule."""
    n_stages = len(tab.b_sol)
    a = np.zeros((n_stages, n_stages))
    for i, row in enumerate(tab.a_lower):
        a[i + 1, : len(row)] = row
    c = np.concatenate([[0.0], np.asarray(tab.c, float)])
    dtype = jnp.result_type(*jax.tree_util.tree_leaves(y0))
    a_j, c_j = jnp.asarray(a, dtype), jnp.asarray(c, dtype)

    def comb(w, ks):  # Σ_j w_j k_j over the stage axis
        return jax.tree_util.tree_map(lambda k: jnp.tensordot(w, k, 1), ks)

    ks = jax.tree_util.tree_map(
        lambda x: jnp.zeros((n_stages,) + x.shape, x.dtype).at[0].set(x), f0
    )

    def stage(i, ks):
        yi = jax.tree_util.tree_map(lambda y, s: y + h * s, y0, comb(a_j[i], ks))
        fi = f(t0 + c_j[i] * h, yi)
        return jax.tree_util.tree_map(lambda k, v: k.at[i].set(v), ks, fi)

    ks = jax.lax.fori_loop(1, n_stages, stage, ks)
    b_sol = jnp.asarray(np.asarray(tab.b_sol, float), dtype)
    b_err = jnp.asarray(np.asarray(tab.b_error, float), dtype)
    y1 = jax.tree_util.tree_map(lambda y, s: y + h * s, y0, comb(b_sol, ks))
    y_err = jax.tree_util.tree_map(lambda s: h * s, comb(b_err, ks))
    f1 = jax.tree_util.tree_map(lambda k: k[-1], ks) if tab.fsal else f(t1, y1)
    k = jax.tree_util.tree_map(lambda x: h * x, ks)
    return y1, y_err, {"y0": y0, "y1": y1, "k": k}, f1


def interpolate(solver, t0, t1, dense, t):
    return solver.interpolation_cls(t0=t0, t1=t1, **dense).evaluate(t)


def adaptive_solve(
    solver,
    f: Callable,
    save: Callable,
    controller: dfx.PIDController,
    t0,
    t1,
    dt0,
    y0,
    ts,
    *,
    end_only: bool,
    max_steps: int,
    record_every: int = 0,
):
    """Adaptive explicit RK solve of dy/dt = f(t, y) from t0 to t1.

    Returns ``(saved, status, n_accepted, rec)`` with ``saved`` the pytree of
    ``save(t, y)`` at ``ts`` (time axis first; at t1 only when ``end_only``), ``status``
    as in :class:`~jaxdyn.Trajectory`, and, when ``record_every = c > 0``,
    ``rec = (step_ends, checkpoints, y_final)``: the accepted steps' end times (length
    ``max_steps``, inf past ``n_accepted``), the state after accepted step
    ``(j + 1) * c - 1`` in slot j, and the final state (``rec`` is None otherwise).
    """
    dtype = jnp.result_type(t0, t1, float)
    t0, t1, dt0 = (jnp.asarray(x, dtype) for x in (t0, t1, dt0))
    ts = jnp.reshape(jnp.asarray(ts, dtype), (-1,))
    n_save = ts.shape[0]
    term = dfx.ODETerm(lambda t, y, a: f(t, y))
    error_order = solver.error_order(term)
    first_t1, cstate = controller.init(
        term, t0, t1, y0, dt0, None, lambda terms, t, y, a: f(t, y), error_order
    )
    f0 = f(t0, y0)
    out_shape = jax.eval_shape(lambda y: save(t0, y), y0)
    saved = jax.tree_util.tree_map(lambda s: jnp.zeros((n_save,) + s.shape, s.dtype), out_shape)

    def put(saved, i, value):
        return jax.tree_util.tree_map(lambda buf, v: buf.at[i].set(v), saved, value)

    ptr = jnp.asarray(0)
    if not end_only:
        # Save times at t0 record the initial state.
        def at_start(c):
            saved, ptr = c
            return put(saved, ptr, save(ts[ptr], y0)), ptr + 1

        saved, ptr = jax.lax.while_loop(
            lambda c: (c[1] < n_save) & (ts[jnp.minimum(c[1], n_save - 1)] <= t0),
            at_start,
            (saved, ptr),
        )
    rec = None
    every = record_every
    if every:
        slots = -(-max_steps // every)
        rec = (
            jnp.full((max_steps,), jnp.inf, dtype),
            jax.tree_util.tree_map(lambda x: jnp.zeros((slots,) + x.shape, x.dtype), y0),
        )

    carry = (
        t0,
        jnp.minimum(first_t1, t1),
        y0,
        f0,
        cstate,
        jnp.asarray(0),  # iterations
        jnp.asarray(0),  # accepted steps
        ptr,
        saved,
        jnp.asarray(True),  # controller ok
        rec,
    )

    def cond(c):
        t, _, _, _, _, it, *_ = c
        return (t < t1) & (it < max_steps)

    def body(c):
        t, tn, y, f0, cstate, it, n, ptr, saved, ok, rec = c
        y1, err, dense, f1 = erk_step(solver, f, t, tn, y, f0)
        keep, _, next_t1, _, cstate, result = controller.adapt_step_size(
            t, tn, y, y1, None, err, error_order, cstate
        )
        ok = ok & (result == dfx.RESULTS.successful)
        if not end_only:

            def saves(c):
                def one(c):
                    saved, ptr = c
                    value = save(ts[ptr], interpolate(solver, t, tn, dense, ts[ptr]))
                    return put(saved, ptr, value), ptr + 1

                return jax.lax.while_loop(
                    lambda c: (c[1] < n_save) & (ts[jnp.minimum(c[1], n_save - 1)] <= tn), one, c
                )

            saved, ptr = jax.lax.cond(keep, saves, lambda c: c, (saved, ptr))
        if every:
            # n <= it < max_steps, and each slot is written once (by its accepted step)
            ends, states = rec
            slot, last = jnp.divmod(n + 1, every)
            put_state = keep & (last == 0)
            rec = (
                ends.at[n].set(tn, pred=keep),
                jax.tree_util.tree_map(
                    lambda v, buf: buf.at[jnp.maximum(slot - 1, 0)].set(v, pred=put_state),
                    y1,
                    states,
                ),
            )
        select = lambda a, b: jax.tree_util.tree_map(lambda x, z: jnp.where(keep, x, z), a, b)
        y, f0 = select(y1, y), select(f1, f0)
        t = jnp.where(keep, tn, t)
        tn = jnp.minimum(next_t1, t1)
        return (t, tn, y, f0, cstate, it + 1, n + keep, ptr, saved, ok, rec)

    # The record is an equinox buffer: under vmap a plain while loop selects every carry
    # between its old and new value at each iteration, which copied the whole
    # max_steps-long record per step (the replay cost 1800x its forward solve).
    t, _, y, _, _, _, n, _, saved, ok, rec = eqxi.while_loop(
        cond, body, carry, kind="lax", buffers=(lambda c: c[-1]) if every else None
    )
    if every:
        rec = (*rec, y)
    if end_only:
        saved = jax.tree_util.tree_map(lambda v: v[None], save(t1, y))
    status = jnp.where(ok, finite_status(saved), STATUS_FAILED)
    status = jnp.where(t < t1, STATUS_MAX_STEPS, status).astype(jnp.int32)
    return saved, status, n, rec


__all__ = ["adaptive_solve", "erk_step", "interpolate", "is_unrollable"]
