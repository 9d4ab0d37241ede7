"""Small statistics shared by the experiments: intervals for proportions and means."""

from __future__ import annotations

import numpy as np
from jaxtyping import ArrayLike


def wilson_interval(
    successes: ArrayLike, n: ArrayLike, z: float = 1.96
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a binomial proportion (95 % for z = 1.96).

    Unlike the normal approximation it stays inside [0, 1] and is sensible at 0 or n
    successes (E. B. Wilson, J. Am. Stat. Assoc. 22, 209 (1927)). Returns ``(low, high)``.
    """
    k, n = np.asarray(successes, float), np.asarray(n, float)
    if np.any(n <= 0) or np.any(k < 0) or np.any(k > n):
        raise ValueError("wilson_interval needs 0 <= successes <= n and n > 0")
    p = k / n
    denom = 1.0 + z**2 / n
    centre = (p + z**2 / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    return np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)


def mean_and_sem(x: ArrayLike, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard error of the mean along ``axis`` (NaNs ignored)."""
    x = np.asarray(x, float)
    n = np.sum(np.isfinite(x), axis=axis)
    mean = np.nanmean(x, axis=axis)
    sem = np.nanstd(x, axis=axis, ddof=1) / np.sqrt(np.maximum(n, 1))
    return mean, sem


def t_interval(
    x: ArrayLike, axis: int = 0, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and Student-t confidence interval of the mean along ``axis`` (NaNs ignored).

    mean ± t_{(1+level)/2, n-1} s/√n over n independent replicates (seeds, trials): exact
    for normal replicates, and the usual interval for a handful of training seeds.
    Returns ``(mean, low, high)``; needs at least two finite values.
    """
    from scipy.stats import t as student_t

    if not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1), got {level}")
    x = np.asarray(x, float)
    n = np.sum(np.isfinite(x), axis=axis)
    if np.any(n < 2):
        raise ValueError("t_interval needs at least two finite values along axis")
    mean, sem = mean_and_sem(x, axis=axis)
    half = student_t.ppf(0.5 + level / 2, n - 1) * sem
    return mean, mean - half, mean + half


__all__ = ["mean_and_sem", "t_interval", "wilson_interval"]
