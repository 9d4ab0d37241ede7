"""Time averages of stationary observables, sampled exactly on a fixed-step grid.

A stationary expectation E[g(X)] is estimated by running from some state, discarding a
burn-in, and averaging g over equally spaced saves,

    ḡ = (1/N) Σ_{j=1..N} g(X(t_burn + j · every · Δt)).

:func:`burn_in_saves` gives the end time and the save times of such a run, every one a
whole number of steps Δt from the start, so that a fixed-step solve saves states it
actually computed (no interpolation between steps alters the statistics);
:func:`time_average` then averages the saved observables over the time axis of a
:class:`~jaxdyn.Trajectory` (jnp, so it works inside a ``sweep`` member).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, PyTree

from ..core import Trajectory, check_int


def burn_in_saves(
    dt: float, t_burn: float, t_avg: float, every: int = 1
) -> tuple[float, np.ndarray]:
    """End time and save times for averaging over [t_burn, t_burn + t_avg] on the step grid.

    With n_burn = round(t_burn / dt) steps of burn-in and N = max(1, round(t_avg / (every
    dt))) saves, one every ``every`` steps, the saves are at dt (n_burn + every j),
    j = 1..N, and the run ends at the last one. Returns ``(t1, ts)``.
    """
    if not (np.isfinite(dt) and dt > 0):
        raise ValueError(f"dt must be positive and finite, got {dt!r}")
    if not (np.isfinite(t_burn) and t_burn >= 0):
        raise ValueError(f"t_burn must be >= 0, got {t_burn!r}")
    if not (np.isfinite(t_avg) and t_avg > 0):
        raise ValueError(f"t_avg must be positive, got {t_avg!r}")
    every = check_int("every", every, 1)
    n_burn = int(round(t_burn / dt))
    n_save = max(1, int(round(t_avg / (dt * every))))
    ts = dt * (n_burn + every * np.arange(1, n_save + 1))
    return dt * (n_burn + n_save * every), ts


def time_average(traj: Trajectory | PyTree[Array]) -> PyTree[Array]:
    """Mean over the saves (the leading, time axis) of every leaf of a trajectory's ``ys``.

    Accepts a :class:`~jaxdyn.Trajectory` or its ``ys`` pytree directly.
    """
    ys = traj.ys if isinstance(traj, Trajectory) else traj
    return jax.tree_util.tree_map(lambda v: jnp.mean(v, axis=0), ys)


__all__ = ["burn_in_saves", "time_average"]
