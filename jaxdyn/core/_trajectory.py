"""What every integrator returns: a :class:`Trajectory`, with status codes.

This module sits at the bottom of the core: systems, integrators, ``simulate`` and
``sweep`` all import it, and it imports none of them.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float, Int, PyTree

#: Status codes of a solve, shared by every kind of system and every member of a sweep.
STATUS_OK = 0
STATUS_MAX_STEPS = 1
STATUS_NONFINITE = 2
STATUS_FAILED = 3
STATUS_NAMES = ("ok", "max_steps", "nonfinite", "failed")


class Trajectory(eqx.Module):
    """The result of :func:`jaxdyn.simulate`, whatever the kind of system.

    Attributes:
        ts: save times, shape ``(T,)``.
        ys: the saved values: the state, or whatever ``observable`` returned, each leaf
            with a leading time axis of length ``T``.
        status: 0 ok, 1 step budget exhausted, 2 non-finite values, 3 other failure
            (see ``STATUS_NAMES``).
        num_steps: steps taken (accepted steps of an adaptive solve).
        events: the event times of a solve with ``events=`` (a
            :class:`~jaxdyn.EventRecord`), else None.
    """

    ts: Float[Array, " T"]
    ys: PyTree[Array]
    status: Int[Array, ""]
    num_steps: Int[Array, ""]
    events: PyTree[Array] = None

    @property
    def ok(self) -> Array:
        return self.status == STATUS_OK


def all_finite(tree: PyTree) -> Array:
    """True when every leaf of ``tree`` is finite (a scalar boolean array)."""
    leaves = [jnp.all(jnp.isfinite(x)) for x in jax.tree_util.tree_leaves(tree)]
    return jnp.all(jnp.stack(leaves)) if leaves else jnp.asarray(True)


def finite_status(tree: PyTree, failed: Array | bool = False) -> Array:
    """``STATUS_FAILED`` if ``failed``, else ``STATUS_NONFINITE`` unless ``tree`` is finite."""
    code = jnp.where(all_finite(tree), STATUS_OK, STATUS_NONFINITE)
    return jnp.where(failed, STATUS_FAILED, code).astype(jnp.int32)


def log_times(t_min: float, t_max: float, n: int) -> np.ndarray:
    """``n`` save times log-spaced from ``t_min`` to ``t_max`` (both > 0)."""
    if not 0 < t_min < t_max or not np.isfinite(t_max):
        raise ValueError(
            f"log_times needs 0 < t_min < t_max < inf, got t_min={t_min}, t_max={t_max}"
        )
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise ValueError(f"log_times: n must be a positive integer, got {n!r}")
    return np.geomspace(t_min, t_max, n)


__all__ = [
    "STATUS_FAILED",
    "STATUS_MAX_STEPS",
    "STATUS_NAMES",
    "STATUS_NONFINITE",
    "STATUS_OK",
    "Trajectory",
    "all_finite",
    "finite_status",
    "log_times",
]
