"""Kinetic roughening of a growing interface: roughness, exponents, exact linear theory.

A field h_j(t) on a ring of L sites (the unwrapped phases of an oscillator lattice, a
surface height, ...) is treated as a growing interface. Its roughness is the spatial
variance

    W²(t) = (1/L) Σ_j (h_j - h̄)²,   h̄ = (1/L) Σ_j h_j,

and the realisation-averaged width is W(t) = <W²(t)>^{1/2}. Under Family-Vicsek scaling
W ~ t^β for t << t_sat ~ L^z and W_sat ~ L^α (Barabási & Stanley, *Fractal Concepts in
Surface Growth*, CUP 1995). The profile's skewness

    S(t) = <(h_j - h̄)³>_j / W³

is zero for a symmetric (EW) profile; its sign tells KPZ's λ apart (Krug, Meakin & Halpin-
Healy, Phys. Rev. A 45, 638 (1992)). The reductions of a profile (:func:`profile`,
:func:`roughness2`, :func:`skewness`) run in ``jax.numpy`` on JAX arrays, so they serve as
``observable`` of :func:`jaxdyn.simulate` or inside a ``sweep`` member, and in NumPy on
anything else (a sweep's dataset afterwards). The exponent fits are NumPy, for after the
run; :func:`power_law_fit` is the one log-log least-squares fit of the package.

The exact linear theory is for the lattice Edwards-Wilkinson equation driven by white
noise or by columnar (quenched) noise, dh_j = [K (h_{j+1} + h_{j-1} - 2 h_j) + η_j] dt,
from a flat start. In the orthonormal Fourier basis each mode k ≠ 0 relaxes with rate
λ_k = 4 K sin²(π k / L) and is driven by an independent N(0, σ²) noise, so

* white noise σ dW_j:  <W²(t)> = (σ²/L) Σ_{k=1}^{L-1} (1 - e^{-2 λ_k t}) / (2 λ_k),
  saturating at σ² (L² - 1) / (24 K L)  [Σ_k csc²(πk/L) = (L² - 1)/3];
* columnar ω_j ~ N(0, σ²): <W²(t)> = (σ²/L) Σ_{k=1}^{L-1} ((1 - e^{-λ_k t}) / λ_k)²,
  saturating at σ² (L² - 1)(L² + 11) / (720 K² L)  [Σ_k csc⁴(πk/L) = (L²-1)(L²+11)/45].

The k = 0 mode (the mean, driven by the mean frequency) does not enter W².
"""

from __future__ import annotations

from typing import Any

import numpy as np
from jaxtyping import Array, ArrayLike, Float

from ._array import as_array, namespace

#: exponents of the classic universality classes in one dimension (β growth, α roughness)
EXPONENTS: dict[str, dict[str, float | None]] = {
    "random_deposition": {"beta": 0.5, "alpha": None},
    "linear_growth": {"beta": 1.0, "alpha": None},
    "EW": {"beta": 0.25, "alpha": 0.5},
    "KPZ": {"beta": 1.0 / 3.0, "alpha": 0.5},
    "columnar_EW": {"beta": 0.75, "alpha": 1.5},
}


def profile(t: ArrayLike, y: Any = None) -> Float[Array, "... L"]:
    """The interface h_j of a state: the state itself, or the first leaf of a tuple state
    such as ``(theta, omega)``.

    As ``simulate(..., observable=profile)`` it saves the unwrapped phases of a ring
    (whatever its kind of randomness); called with one argument it returns that argument.
    """
    h = t if y is None else y
    if isinstance(h, tuple | list):
        h = h[0]
    return as_array(h)


def _centred(h: Any) -> Any:
    xp = namespace(h)
    return h - xp.mean(h, axis=-1, keepdims=True)


def roughness2(t: ArrayLike, y: Any = None) -> Float[Array, "..."]:
    """Spatial variance W² = <(h_j - h̄)²>_j of the profile over its last axis.

    Usable directly as ``simulate(..., observable=roughness2)``: called as
    ``roughness2(t, y)`` it reduces the state ``y`` (or the first element of a tuple
    state such as ``(theta, omega)``); called with one argument it reduces that array
    (e.g. saved phases of shape ``(..., T, L)``).
    """
    h = profile(t, y)
    return namespace(h).var(h, axis=-1)


def skewness(t: ArrayLike, y: Any = None) -> Float[Array, "..."]:
    """Skewness S = <(h_j - h̄)³>_j / W³ of the profile over its last axis.

    Same calling conventions as :func:`roughness2`. A flat profile (W = 0) has S = 0.
    """
    dev = _centred(profile(t, y))
    xp = namespace(dev)
    w2 = xp.mean(dev**2, axis=-1)
    m3 = xp.mean(dev**3, axis=-1)
    flat = w2 <= 0
    return xp.where(flat, 0.0, m3 / xp.where(flat, 1.0, w2) ** 1.5)


def excess_kurtosis(t: ArrayLike, y: Any = None) -> Float[Array, "..."]:
    """Excess kurtosis K = <(h_j - h̄)⁴>_j / W⁴ - 3 of the profile over its last axis.

    Same calling conventions as :func:`roughness2`; 0 for a Gaussian profile, 0 for a
    flat one (W = 0) by convention. With :func:`skewness` it compares the one-point
    fluctuations with the Tracy-Widom values of the 1-D KPZ class (flat start: GOE,
    S = 0.2935, K = 0.1652; M. Prähofer and H. Spohn, Physica A 279, 342 (2000)).
    """
    dev = _centred(profile(t, y))
    xp = namespace(dev)
    w2 = xp.mean(dev**2, axis=-1)
    m4 = xp.mean(dev**4, axis=-1)
    flat = w2 <= 0
    return xp.where(flat, 0.0, m4 / xp.where(flat, 1.0, w2) ** 2 - 3.0)


def width(w2: ArrayLike, axis: int | tuple[int, ...] | None = 0) -> np.ndarray:
    """Realisation-averaged width W = <W²>^{1/2}, averaging ``w2`` over ``axis``."""
    return np.sqrt(np.mean(np.asarray(w2), axis=axis))


def local_slopes(t: ArrayLike, w: ArrayLike) -> np.ndarray:
    """Effective exponent d log W / d log t at each time (second-order differences).

    Exact for a pure power law W = c t^β on any (e.g. log-spaced) time grid. ``w`` may
    have leading batch axes; time is the last axis.
    """
    t = np.asarray(t, dtype=float)
    w = np.asarray(w, dtype=float)
    if t.ndim != 1 or t.shape[0] != w.shape[-1]:
        raise ValueError(
            f"t must be 1-D with the length of w's last axis, got {t.shape} and {w.shape}"
        )
    if t.shape[0] < 3:
        raise ValueError("local_slopes needs at least 3 times")
    if np.any(t <= 0):
        raise ValueError("local_slopes needs positive times (log t)")
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.gradient(np.log(w), np.log(t), axis=-1)


def power_law_fit(x: ArrayLike, y: ArrayLike) -> tuple[float, float]:
    """Least-squares fit of y = c x^p in log-log (log y = log c + p log x); returns ``(p, c)``.

    The package's one power-law fit (growth and roughness exponents here, the Hopf
    amplitude exponent in :mod:`jaxdyn.analysis.stability`). Non-finite or non-positive
    points are dropped; with fewer than two left the result is ``(nan, nan)``.
    """
    x = np.asarray(x, dtype=float).ravel()
    y = np.asarray(y, dtype=float).ravel()
    ok = np.isfinite(x) & np.isfinite(y) & (x > 0) & (y > 0)
    if ok.sum() < 2:
        return float("nan"), float("nan")
    p, logc = np.polyfit(np.log(x[ok]), np.log(y[ok]), 1)
    return float(p), float(np.exp(logc))


def growth_exponent(
    t: ArrayLike, w: ArrayLike, t_min: float | None = None, t_max: float | None = None
) -> float:
    """β from a log-log fit of W(t) over ``t_min <= t <= t_max`` (default: all times)."""
    t = np.asarray(t, dtype=float)
    w = np.asarray(w, dtype=float)
    sel = np.ones_like(t, dtype=bool)
    if t_min is not None:
        sel &= t >= t_min
    if t_max is not None:
        sel &= t <= t_max
    return power_law_fit(t[sel], w[sel])[0]


def growth_window(t: ArrayLike, K: float, t_sat: float = float("nan")) -> np.ndarray:
    """Saves in the collective scaling window 1/K <= t <= 10/K, cut at t_sat/3 if W saturated.

    Below ~1/K every site still grows on its own (random deposition under white noise,
    linear growth under columnar disorder); the coupling K shapes the growth from then on.
    ``t_sat`` is NaN when W has not saturated. Returns a boolean mask over ``t``.
    """
    t = np.asarray(t, dtype=float)
    if not K > 0:
        raise ValueError(f"K must be positive, got {K}")
    t_hi = 10.0 / K if not np.isfinite(t_sat) else min(10.0 / K, t_sat / 3.0)
    return (t >= 1.0 / K) & (t <= t_hi)


def saturation_value(t: ArrayLike, w: ArrayLike, t_from: float | None = None) -> float:
    """W_sat: the mean of W over the saves with t >= ``t_from`` (default: last half, t_end/2)."""
    t = np.asarray(t, dtype=float)
    w = np.asarray(w, dtype=float)
    t_from = t[-1] / 2 if t_from is None else t_from
    sel = t >= t_from
    if not sel.any():
        raise ValueError(f"no save at or after t_from={t_from} (last save {t[-1]})")
    return float(np.mean(w[..., sel]))


def is_saturated(t: ArrayLike, w: ArrayLike, max_slope: float = 0.1) -> bool:
    """True when the log-log slope of W fitted over the last half of the run, [t_end/2, t_end],
    is below ``max_slope``.

    A fit over all saves of that window averages out the noise of a few realisations; a
    still-growing EW interface (β = 1/4) is not mistaken for a saturated one.
    """
    t = np.asarray(t, dtype=float)
    w = np.asarray(w, dtype=float)
    late = t >= t[-1] / 2
    if late.sum() < 3:
        raise ValueError("is_saturated needs at least 3 saves in [t_end/2, t_end]")
    return bool(growth_exponent(t[late], w[late]) < max_slope)


def saturation_time(t: ArrayLike, w: ArrayLike, w_sat: float | None = None, frac: float = 0.9):
    """First time W reaches ``frac * W_sat`` (log-interpolated); NaN if it never does.

    ``w_sat`` defaults to :func:`saturation_value`. Only meaningful when W has saturated
    (see :func:`is_saturated`); for a still-growing W it returns a time near the end.
    """
    t = np.asarray(t, dtype=float)
    w = np.asarray(w, dtype=float)
    w_sat = saturation_value(t, w) if w_sat is None else w_sat
    target = frac * w_sat
    above = np.nonzero(w >= target)[0]
    if above.size == 0 or not np.isfinite(target):
        return float("nan")
    i = int(above[0])
    if i == 0:
        return float(t[0])
    # interpolate log W linearly in log t between the bracketing saves
    x0, x1 = np.log(t[i - 1]), np.log(t[i])
    y0, y1 = np.log(w[i - 1]), np.log(w[i])
    s = (np.log(target) - y0) / (y1 - y0) if y1 != y0 else 1.0
    return float(np.exp(x0 + s * (x1 - x0)))


def roughness_exponent(sizes: ArrayLike, w_sat: ArrayLike) -> float:
    """α from the log-log slope of the saturated width against system size."""
    return power_law_fit(sizes, w_sat)[0]


# --------------------------------------------------------------------------- linear theory


def _rates(L: int, K: float) -> np.ndarray:
    k = np.arange(1, L)
    return 4.0 * K * np.sin(np.pi * k / L) ** 2


def ew_linear_w2(t: ArrayLike, L: int, K: float, sigma: float) -> np.ndarray:
    """Exact <W²(t)> of the lattice EW equation with white noise σ dW_j, flat start."""
    t = np.asarray(t, dtype=float)[..., None]
    lam = _rates(L, K)
    return sigma**2 / L * np.sum(-np.expm1(-2.0 * lam * t) / (2.0 * lam), axis=-1)


def ew_linear_w2_sat(L: int, K: float, sigma: float) -> float:
    """t → ∞ limit of :func:`ew_linear_w2`: σ² (L² - 1) / (24 K L)."""
    return sigma**2 * (L**2 - 1) / (24.0 * K * L)


def columnar_linear_w2(t: ArrayLike, L: int, K: float, sigma: float) -> np.ndarray:
    """Exact <W²(t)> of the lattice EW equation with quenched ω_j ~ N(0, σ²), flat start."""
    t = np.asarray(t, dtype=float)[..., None]
    lam = _rates(L, K)
    return sigma**2 / L * np.sum((-np.expm1(-lam * t) / lam) ** 2, axis=-1)


def columnar_linear_w2_sat(L: int, K: float, sigma: float) -> float:
    """t → ∞ limit of :func:`columnar_linear_w2`: σ² (L²-1)(L²+11) / (720 K² L)."""
    return sigma**2 * (L**2 - 1) * (L**2 + 11) / (720.0 * K**2 * L)


__all__ = [
    "EXPONENTS",
    "columnar_linear_w2",
    "columnar_linear_w2_sat",
    "ew_linear_w2",
    "ew_linear_w2_sat",
    "growth_exponent",
    "growth_window",
    "is_saturated",
    "local_slopes",
    "power_law_fit",
    "profile",
    "roughness2",
    "roughness_exponent",
    "saturation_time",
    "saturation_value",
    "skewness",
    "excess_kurtosis",
    "width",
]
