"""Discrete-time systems (maps): `lax.scan`s over the steps, saving on the step grid."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from .._system import AbstractMap
from .._trajectory import Trajectory, finite_status
from ._problem import Problem


def step_grid(t0: float, t1: float, h: float, ts: np.ndarray, what: str) -> tuple[int, np.ndarray]:
    """Number of steps of length ``h`` from ``t0`` to ``t1`` and the step index of each save.

    Both must be whole numbers of steps (to a relative 1e-9): a discrete-time system has
    no state between steps, so nothing is interpolated.
    """
    span = (t1 - t0) / h
    n = int(round(span))
    if n < 1 or abs(span - n) > 1e-9 * max(1.0, span):
        raise ValueError(
            f"{what}: t1 - t0 = {t1 - t0} must be a positive whole number of steps of {h}"
        )
    k = (ts - t0) / h
    idx = np.round(k).astype(int)
    if np.any(np.abs(k - idx) > 1e-9 * np.maximum(1.0, np.abs(k))):
        raise ValueError(f"{what}: save times ts must lie on the step grid t0 + n * {h}")
    return n, idx


def integrate_map(system: AbstractMap, p: Problem) -> Trajectory:
    """Iterate ``y_{n+1} = system.step(t_n, y_n, fold_in(key, n), args)`` from ``t0`` to ``t1``.

    One step lasts ``system.time_step()``; ``t0``, ``t1`` and the save times must be
    concrete and on the step grid (a save at ``t0`` records the initial state). A map
    has no solver and no step-size options.
    """
    name = type(system).__name__
    h = float(system.time_step())
    if p.dt is not None and not np.isclose(float(p.dt), h, rtol=1e-12, atol=0.0):
        raise ValueError(
            f"dt does not apply to {name} (a map): one step lasts time_step() = {h}; omit dt"
        )
    if p.solver is not None:
        raise TypeError(f"solver does not apply to {name} (a map): it is its own stepper")
    if system.is_stochastic and p.key is None:
        raise ValueError(f"{name} draws random numbers at each step: simulate needs key=")
    if p.concrete_ts is None or any(isinstance(x, jax.core.Tracer) for x in (p.t0, p.t1)):
        raise ValueError(f"{name} is a map: t0, t1 and ts must be concrete numbers")
    t0, t1 = float(p.t0), float(p.t1)
    n_steps, save_idx = step_grid(t0, t1, h, p.concrete_ts, name)
    count = np.bincount(save_idx, minlength=n_steps + 1)
    first = np.concatenate([[0], np.cumsum(count)[:-1]])
    per_step = max(1, int(count.max()))
    key = p.key if p.key is not None else jax.random.PRNGKey(0)
    args, save = p.args, p.save
    dtype = jnp.result_type(float)
    ts_j = jnp.asarray(p.concrete_ts, dtype)

    step = lambda y, n: (system.step(t0 + n * h, y, jax.random.fold_in(key, n), args), None)
    uniform = _uniform_saves(save_idx, count)
    if uniform is not None:
        return _iterate_between_saves(
            step, save, p.y0, args, ts_j, first, count[0], uniform, n_steps
        )

    out_shape = jax.eval_shape(lambda y: save(t0, y, args), p.y0)
    saved = jax.tree_util.tree_map(
        lambda s: jnp.zeros((ts_j.shape[0],) + s.shape, s.dtype), out_shape
    )

    def record(saved, y, lo, n):
        def one(j, sv):
            i = lo + j
            value = save(ts_j[i], y, args)
            put = lambda v: jax.tree_util.tree_map(lambda buf, x: buf.at[i].set(x), v, value)
            # Save times are shared by every member, so under vmap this stays a branch.
            return jax.lax.cond(j < n, put, lambda v: v, sv)

        return jax.lax.fori_loop(0, per_step, one, saved)

    saved = record(saved, p.y0, jnp.int32(first[0]), jnp.int32(count[0]))

    def body(carry, x):
        y, saved = carry
        n, lo, cnt = x
        y, _ = step(y, n)
        return (y, record(saved, y, lo, cnt)), None

    xs = (
        jnp.arange(n_steps),
        jnp.asarray(first[1:], jnp.int32),
        jnp.asarray(count[1:], jnp.int32),
    )
    (_, saved), _ = jax.lax.scan(body, (p.y0, saved), xs)
    return Trajectory(
        ts=ts_j, ys=saved, status=finite_status(saved), num_steps=jnp.asarray(n_steps)
    )


def _uniform_saves(save_idx: np.ndarray, count: np.ndarray) -> tuple[int, int, int] | None:
    """(first step index, stride, number) of the saves after step 0 when they are distinct
    and evenly spaced (the usual ``ts``); ``None`` otherwise."""
    if np.any(count > 1):
        return None
    later = np.sort(save_idx[save_idx > 0])
    if later.size == 0:
        return None
    stride = int(later[1] - later[0]) if later.size > 1 else 1
    if stride < 1 or np.any(np.diff(later) != stride):
        return None
    return int(later[0]), stride, int(later.size)


def _iterate_between_saves(
    step, save, y0, args, ts_j, first, at_t0, uniform, n_steps
) -> Trajectory:
    """Evenly spaced saves: an outer scan over saves of an inner scan of ``stride`` steps.

    The general path decides at every step whether to save, inside a ``lax.cond`` that
    takes the whole state as an operand; XLA then copies the state every step, which for
    a state holding data (a training and a test set) costs more than the step itself.
    Here nothing but ``step`` runs between saves, and the steps after the last save,
    which nothing observes, are skipped (``num_steps`` still counts the iterations from
    t0 to t1, as on the general path).
    """
    start, stride, n_saves = uniform
    y, _ = jax.lax.scan(step, y0, jnp.arange(start))
    order = first[np.arange(start, start + stride * n_saves, stride)]  # ts position of save k

    def segment(y, k):
        y, _ = jax.lax.scan(step, y, start + (k - 1) * stride + jnp.arange(stride))
        return y, save(ts_j[jnp.asarray(order)[k]], y, args)

    first_value = save(ts_j[order[0]], y, args)
    _, rest = jax.lax.scan(segment, y, jnp.arange(1, n_saves))
    values = jax.tree_util.tree_map(lambda a, b: jnp.concatenate([a[None], b]), first_value, rest)
    saved = jax.tree_util.tree_map(
        lambda v: jnp.zeros((ts_j.shape[0],) + v.shape[1:], v.dtype).at[order].set(v), values
    )
    if at_t0:  # a save at t0 records the initial state (ts is sorted: position 0)
        at0 = save(ts_j[0], y0, args)
        saved = jax.tree_util.tree_map(lambda buf, v: buf.at[0].set(v), saved, at0)
    return Trajectory(
        ts=ts_j, ys=saved, status=finite_status(saved), num_steps=jnp.asarray(n_steps)
    )


__all__ = ["integrate_map", "step_grid"]
