"""Batch inside the vector field: a vmapped adaptive solve becomes one solve of the batch.

Under ``vmap``, an adaptive solve's while loop runs every member until the slowest has
finished, masking each carry at every step. The alternative is to solve a bundle of
members as *one* system whose vector field is the member drift vmapped over the bundle:
one while loop, one shared step size, no masks. So that every member still meets its own
tolerance, the error norm is the maximum over members of each member's RMS norm
(:func:`max_member_rms`). ``sweep(..., batch="inside")`` selects it.

Measured on this CPU (``benchmarks/bench_sync1d_ode.py``, one thread, 64 members, rtol
1e-6): ``sweep(..., batch="inside")`` 0.26 s CPU against 0.40 s with ``vmap`` of
``diffeqsolve``, equal to the best hand-written batch-inside diffrax, and more accurate
(the shared step is the hardest member's). An earlier measurement favoured ``vmap``
when adaptive solves ran on jaxdyn's own lean loop; they now default to ``diffeqsolve``.
``"auto"`` still means ``vmap`` (see :func:`jaxdyn.sweep`: bundles set the chunk
granularity, and the mode is forward-only).

The switch is made with JAX's ``custom_vmap``: :func:`batched_or_single` returns the
single-member solve, whose batching rule is the batched solve. The member's drift and
observable are closure-converted, so members that close over their own (batched)
parameters work. Per-member status is kept: if the batched solve does not succeed, or a
member's values are not finite, the bundle is re-solved member by member (``lax.cond``:
compiled, but run only then) so a bad member cannot poison the rest.

Limitations: adaptive ODE solves only (fixed-step solves are scans, where ``vmap``
already batches without masks), forward only (``custom_vmap`` has no reverse-mode rule:
differentiate through ``batch="vmap"``).
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator

import jax
import jax.numpy as jnp
from jax.custom_batching import custom_vmap

BATCH_MODES = ("auto", "vmap", "inside")
_MODE: contextvars.ContextVar[str] = contextvars.ContextVar("jaxdyn_batching", default="vmap")


@contextlib.contextmanager
def batching(mode: str) -> Iterator[None]:
    """Within this context, vmapped adaptive ODE solves batch inside the vector field
    (``"inside"``) or are plain ``vmap``s (``"vmap"``). ``sweep`` sets it while tracing."""
    if mode not in ("vmap", "inside"):
        raise ValueError(f"batching mode must be 'vmap' or 'inside', got {mode!r}")
    token = _MODE.set(mode)
    try:
        yield
    finally:
        _MODE.reset(token)


def batching_mode() -> str:
    return _MODE.get()


def max_member_rms(tree) -> jax.Array:
    """max over the leading (member) axis of each member's RMS over all its values."""
    leaves = jax.tree_util.tree_leaves(tree)
    sq = sum(jnp.sum(jnp.reshape(jnp.abs(x) ** 2, (x.shape[0], -1)), axis=1) for x in leaves)
    size = sum(x[0].size for x in leaves)
    return jnp.sqrt(jnp.max(sq) / size)


def batched_or_single(solve: Callable, batched_solve: Callable, n_plain: int) -> Callable:
    """``solve(*plain, *consts)`` with a batching rule that calls ``batched_solve``.

    ``plain`` are the first ``n_plain`` arguments (times, initial state, save times);
    the rest are closure constants. When a plain argument other than the initial state
    is batched (members with their own times), the rule falls back to ``vmap``.
    """
    f = custom_vmap(solve)

    @f.def_vmap
    def rule(axis_size, in_batched, *xs):
        axes = tuple(jax.tree_util.tree_map(lambda b: 0 if b else None, ib) for ib in in_batched)
        y0_index = 3  # plain arguments are (t0, t1, dt, y0, ts)
        per_member_times = any(
            any(jax.tree_util.tree_leaves(ib))
            for i, ib in enumerate(in_batched[:n_plain])
            if i != y0_index
        )
        vmapped = lambda: jax.vmap(solve, in_axes=axes)(*xs)
        if per_member_times:
            out = vmapped()
        else:
            y0 = jax.tree_util.tree_map(
                lambda a, b: a if b else jnp.broadcast_to(a, (axis_size,) + jnp.shape(a)),
                xs[y0_index],
                in_batched[y0_index],
            )
            args = (*xs[:y0_index], y0, *xs[y0_index + 1 :])
            batched = batched_solve(axis_size, axes[n_plain:], *args)
            # Re-solve member by member only when the batch did not come out clean.
            out = jax.lax.cond(jnp.all(batched[1] == 0), lambda: batched, vmapped)
        return out, jax.tree_util.tree_map(lambda _: True, out)

    return f


__all__ = [
    "BATCH_MODES",
    "batched_or_single",
    "batching",
    "batching_mode",
    "max_member_rms",
]
