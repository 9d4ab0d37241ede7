"""Nonparametric bootstrap intervals over independent units (trials, trajectories, seeds)."""

from __future__ import annotations

from collections.abc import Callable

import jax
import numpy as np
from jaxtyping import PRNGKeyArray


def bootstrap_interval(
    statistic: Callable[[np.ndarray], float | np.ndarray],
    n: int,
    key: PRNGKeyArray,
    *,
    n_boot: int = 1000,
    level: float = 0.95,
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile bootstrap interval of ``statistic(idx)`` over ``n`` independent units.

    ``statistic`` receives an index array (n units drawn with replacement) and returns a
    number or an array; comparing two methods on the same resampled units (a paired
    bootstrap) gives the interval of their difference. Efron & Tibshirani, *An
    Introduction to the Bootstrap* (1993), ch. 13. The resamples come from ``key``.
    Returns ``(low, high)``.
    """
    if not isinstance(n, int) or n < 2:
        raise ValueError(f"n must be an integer >= 2, got {n!r}")
    if not isinstance(n_boot, int) or n_boot < 10:
        raise ValueError(f"n_boot must be an integer >= 10, got {n_boot!r}")
    if not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1), got {level}")
    idx = np.asarray(jax.random.randint(key, (n_boot, n), 0, n))
    draws = np.stack([np.asarray(statistic(i), float) for i in idx])
    alpha = 100 * (1 - level) / 2
    return np.percentile(draws, alpha, axis=0), np.percentile(draws, 100 - alpha, axis=0)


__all__ = ["bootstrap_interval"]
