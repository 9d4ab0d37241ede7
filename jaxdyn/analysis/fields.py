"""Diagnostics of periodic 1-D fields and of learned rollouts (NumPy, after the run).

Fields are sampled on N equispaced points of the unit period, the last axis of every
array; leading axes are samples (and times). Used by the JAWS experiment to compare
neural-operator rollouts with the true Burgers solution, and usable on any such field.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def relative_l2(pred: ArrayLike, true: ArrayLike) -> np.ndarray:
    """||pred - true|| / ||true|| over the last axis; a non-finite error becomes ``inf``."""
    pred, true = np.asarray(pred), np.asarray(true)
    err = np.linalg.norm(pred - true, axis=-1) / np.linalg.norm(true, axis=-1)
    return np.where(np.isfinite(err), err, np.inf)


def energy_spectrum(u: ArrayLike) -> np.ndarray:
    """Mean over the leading (sample) axis of |û_m|², û_m the Fourier-series coefficients
    (``rfft / N``) of each field; non-finite values count as 0."""
    u = np.asarray(u)
    uh = np.fft.rfft(np.nan_to_num(u, nan=0.0, posinf=0.0, neginf=0.0), axis=-1) / u.shape[-1]
    return np.mean(np.abs(uh) ** 2, axis=0)


def steepest_front(u: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Index and value of the steepest negative gradient of each field (a shock's position
    and steepness): centred periodic differences (u_{i+1} - u_{i-1}) N / 2."""
    u = np.asarray(u)
    n = u.shape[-1]
    du = (np.roll(u, -1, axis=-1) - np.roll(u, 1, axis=-1)) * n / 2.0
    i = np.argmin(np.nan_to_num(du, nan=np.inf), axis=-1)
    return i, np.take_along_axis(du, i[..., None], axis=-1)[..., 0]


def periodic_distance(i: ArrayLike, j: ArrayLike, n: int) -> np.ndarray:
    """Distance between grid indices on a ring of ``n`` points, as a fraction of the period."""
    d = np.abs(np.asarray(i) - np.asarray(j))
    return np.minimum(d, n - d) / n


def blown_up(pred: ArrayLike, true: ArrayLike, factor: float = 3.0) -> np.ndarray:
    """Per sample (leading axis): the rollout went non-finite or exceeded ``factor``
    times the largest |true| value of the whole batch."""
    pred, true = np.asarray(pred), np.asarray(true)
    axes = tuple(range(1, pred.ndim))
    bound = factor * np.max(np.abs(true))
    return ~np.all(np.isfinite(pred), axis=axes) | (
        np.nanmax(np.abs(np.nan_to_num(pred, nan=np.inf)), axis=axes) > bound
    )


def failure_step(err: ArrayLike, threshold: float = 1.0) -> np.ndarray:
    """Per sample (leading axis): the first index along the last axis at which the error
    reaches ``threshold`` (1.0 for a relative L2 error: no better than predicting zero),
    or the length of that axis when it never does (a censored sample)."""
    err = np.asarray(err)
    if threshold <= 0:
        raise ValueError(f"threshold must be > 0, got {threshold}")
    hit = err >= threshold
    return np.where(np.any(hit, axis=-1), np.argmax(hit, axis=-1), err.shape[-1])


def growth_rate(t: ArrayLike, err: ArrayLike) -> float:
    """Exponential growth rate γ of an error curve, err ∝ exp(γ t): the least-squares
    slope of log err against t (non-finite or non-positive points left out)."""
    t, err = np.asarray(t, float), np.asarray(err, float)
    ok = np.isfinite(err) & (err > 0)
    if np.sum(ok) < 2:
        return float("nan")
    return float(np.polyfit(t[ok], np.log(err[ok]), 1)[0])


__all__ = [
    "blown_up",
    "energy_spectrum",
    "failure_step",
    "growth_rate",
    "periodic_distance",
    "relative_l2",
    "steepest_front",
]
