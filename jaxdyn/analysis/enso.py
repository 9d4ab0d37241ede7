"""ENSO diagnostics (paper 11): a Niño-3.4-like index, spectral peak, growth rates.

* :func:`nino34_index`: monthly anomaly of a model's east-Pacific temperature in kelvin,
  smoothed by a running mean (3 months, as NOAA's Oceanic Niño Index), from a series
  sampled monthly.
* :func:`spectral_peak`: Welch power spectrum and the period of its maximum (in years
  for a monthly series).
* :func:`ou_spectrum`: the exact spectrum of a linear SDE (the linearised, damped model).
* :func:`envelope_growth_rate`: the exponential rate of a (small) oscillation's envelope,
  log |x - x_eq| at its successive local maxima against time, fitted by least squares:
  negative below a Hopf point, positive above, whatever the bifurcation's criticality.
"""

from __future__ import annotations

import numpy as np
from jaxtyping import ArrayLike


def nino34_index(T: ArrayLike, kelvin_per_unit: float = 1.0, smooth_months: int = 3) -> np.ndarray:
    """Anomaly (minus the mean) of monthly ``T`` in kelvin, with a centred running mean.

    ``T`` is sampled monthly along its last axis; the running mean of ``smooth_months``
    (odd) shortens it by ``smooth_months - 1`` samples.
    """
    if not (isinstance(smooth_months, int) and smooth_months >= 1 and smooth_months % 2 == 1):
        raise ValueError(f"smooth_months must be an odd integer >= 1, got {smooth_months!r}")
    T = np.asarray(T, dtype=float) * kelvin_per_unit
    if T.shape[-1] < smooth_months:
        raise ValueError(f"T needs at least smooth_months={smooth_months} samples")
    a = T - T.mean(axis=-1, keepdims=True)
    k = np.ones(smooth_months) / smooth_months
    return np.apply_along_axis(lambda v: np.convolve(v, k, mode="valid"), -1, a)


def spectral_peak(
    x: ArrayLike, samples_per_year: float = 12.0, segment_years: float = 40.0
) -> tuple[np.ndarray, np.ndarray, float]:
    """Welch spectrum (Hann windows of ``segment_years``, 50 % overlap) and its peak period.

    Returns ``(frequency per year, power, peak period in years)``; the zero frequency is
    excluded from the peak search.
    """
    from scipy.signal import welch

    x = np.asarray(x, dtype=float)
    nper = int(min(x.shape[-1], round(segment_years * samples_per_year)))
    f, p = welch(x, fs=samples_per_year, nperseg=nper, detrend="constant")
    i = 1 + int(np.argmax(p[..., 1:])) if p.ndim == 1 else None
    peak = float(1.0 / f[i]) if i is not None else float("nan")
    return f, p, peak


def ou_spectrum(J: ArrayLike, B: ArrayLike, f: ArrayLike, component: int = 0) -> np.ndarray:
    """One-sided power spectrum of component ``component`` of dX = J X dt + B dW.

    P(f) = 2 Σ_k |[(2πi f I - J)⁻¹ B]_{ck}|² (Gardiner, "Stochastic Methods", §4.4.6),
    in the units of X² per unit frequency, for f in cycles per the time unit of J; it
    is the spectrum a Welch estimate of a stationary linear model converges to.
    """
    J, B = np.asarray(J, dtype=complex), np.asarray(B, dtype=float)
    f = np.asarray(f, dtype=float)
    eye = np.eye(J.shape[0])
    resp = np.linalg.solve(2j * np.pi * f[:, None, None] * eye[None] - J[None], B[None])
    return 2.0 * np.sum(np.abs(resp[:, component, :]) ** 2, axis=-1)


def envelope_growth_rate(t: ArrayLike, x: ArrayLike, x_eq: float = 0.0) -> float:
    """Slope of log |x - x_eq| at its local maxima against time (NaN with < 3 maxima)."""
    t = np.asarray(t, dtype=float)
    d = np.abs(np.asarray(x, dtype=float) - x_eq)
    i = np.nonzero((d[1:-1] > d[:-2]) & (d[1:-1] >= d[2:]) & (d[1:-1] > 0))[0] + 1
    if i.size < 3:
        return float("nan")
    return float(np.polyfit(t[i], np.log(d[i]), 1)[0])


__all__ = ["envelope_growth_rate", "nino34_index", "ou_spectrum", "spectral_peak"]
