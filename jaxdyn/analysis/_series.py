"""Validation of evenly sampled time series at the public boundaries of the spectral tools.

Checks run only on concrete values (inside ``jit``/``vmap`` the arrays are tracers and are
trusted); every error names the argument and what is allowed.
"""

from __future__ import annotations

from typing import Any

import jax
import numpy as np

from ..core import is_concrete


def check_series(x: Any, name: str, *, nonnegative: bool = False, min_length: int = 2) -> Any:
    """A real series (last axis = time): finite, long enough, non-negative if counts."""
    if isinstance(x, jax.Array) and not is_concrete(x):
        return x
    try:
        arr = np.asarray(x)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be an array of numbers, got {type(x).__name__}") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    if arr.ndim < 1:
        raise ValueError(f"{name} must be a series (at least 1-D, time last), got a scalar")
    if arr.shape[-1] < min_length:
        raise ValueError(f"{name} must have at least {min_length} samples, got {arr.shape[-1]}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (it holds NaN or inf values)")
    if nonnegative and np.any(arr < 0):
        raise ValueError(
            f"{name} must be non-negative counts per bin (got a minimum of {arr.min()!r}); "
            "use norm='psd' for a signal that is not a count rate"
        )
    return x


def check_dt(dt: Any, name: str = "dt") -> float:
    if isinstance(dt, bool) or not isinstance(dt, int | float | np.integer | np.floating):
        raise TypeError(f"{name} must be a number, got {type(dt).__name__}")
    v = float(dt)
    if not (np.isfinite(v) and v > 0):
        raise ValueError(f"{name} must be finite and > 0, got {dt!r}")
    return v


def sampling_step(times: Any, name: str = "times", rtol: float = 1e-6) -> float:
    """The step of evenly spaced, increasing sample times; an error if they are not."""
    t = np.asarray(times, dtype=float)
    if t.ndim != 1 or t.size < 2:
        raise ValueError(f"{name} must be a 1-D array of at least 2 sample times")
    if not np.all(np.isfinite(t)):
        raise ValueError(f"{name} must be finite")
    d = np.diff(t)
    step = float(np.median(d))
    if not step > 0:
        raise ValueError(f"{name} must be increasing")
    if np.max(np.abs(d - step)) > rtol * step:
        raise ValueError(
            f"{name} must be evenly sampled (this method needs a fixed step); steps range "
            f"from {d.min()!r} to {d.max()!r}. Bin or interpolate onto a regular grid first"
        )
    return step


def resolve_dt(dt: Any, times: Any, n: int) -> float:
    """``dt`` given directly or read from evenly spaced ``times`` (one of the two)."""
    if times is None:
        if dt is None:
            raise ValueError("give the sampling step dt (or evenly spaced times)")
        return check_dt(dt)
    step = sampling_step(times)
    if np.asarray(times).shape[0] != n:
        raise ValueError(
            f"times must have one entry per sample ({n}), got {np.asarray(times).shape[0]}"
        )
    if dt is not None and not np.isclose(check_dt(dt), step, rtol=1e-6):
        raise ValueError(f"dt={dt!r} disagrees with the step of times, {step!r}")
    return step


def segment_bins(segment_size: Any, dt: float, n: int, name: str = "segment_size") -> int:
    """Bins per segment for a segment of ``segment_size`` time units; checked against n."""
    seg = check_dt(segment_size, name)
    nb = seg / dt
    k = int(round(nb))
    if abs(nb - k) > 1e-6 * max(1.0, nb):
        raise ValueError(f"{name} must be a whole number of bins dt={dt!r}, got {seg!r}")
    if k < 2:
        raise ValueError(f"{name} must span at least 2 bins, got {k}")
    if k > n:
        raise ValueError(
            f"{name}={seg!r} ({k} bins) is longer than the series ({n} bins): the series is "
            "shorter than one segment"
        )
    return k


__all__ = ["check_dt", "check_series", "resolve_dt", "sampling_step", "segment_bins"]
