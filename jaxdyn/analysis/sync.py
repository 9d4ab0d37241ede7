"""Synchronization of a ring of phase oscillators: locking, phase slips, thresholds.

Indicators computed from unwrapped phases θ_j(t) (last axis: oscillator j, the axis
before it: save time):

* mean frequencies Ω_j = [θ_j(t_b) - θ_j(t_a)] / (t_b - t_a) over a late window; the
  ring is *frequency locked* when every Ω_j equals the population mean Ω̄ to within
  half a phase slip per window, |Ω_j - Ω̄| < π / (t_b - t_a);
* phase slips: the neighbour difference d_j = θ_{j+1} - θ_j is a continuous real number
  (phases are never wrapped), so a slip is a change of its winding index
  n_j = round(d_j / 2π); the slip count is Σ_j |Δ n_j| between consecutive saves
  (exact when saves are closer than the duration of one slip).

These reductions run in ``jax.numpy`` on JAX arrays (inside a ``sweep`` member, on the
phases ``simulate`` saved) and in NumPy on anything else (a dataset afterwards); save
times ``ts`` are always concrete.

Locking threshold under quenched disorder (odd coupling Γ = sin, a = 0, ring of L).
A phase-locked state rotates rigidly at Ω = ω̄ (the coupling telescopes to zero over the
ring). With φ_k = θ_{k+1} - θ_k, θ̇_k = Ω gives K (sin φ_k - sin φ_{k-1}) = -(ω_k - ω̄), so

    sin φ_k = c - S_k / K,   S_k = Σ_{j<=k} (ω_j - ω̄),   S_{L-1} = 0,

with one free constant c. The phases must close around the ring, Σ_k φ_k = 2π m (m the
winding number). Real solutions need |c - S_k/K| <= 1 for every k, i.e.
c ∈ [c_lo, c_hi] = [max S / K - 1, min S / K + 1], which is non-empty iff
K >= K_0 = (max S - min S)/2: no locked state of any branch or winding exists below K_0.
On the principal branch (cos φ_k >= 0: the Jacobian is then a graph Laplacian with
non-negative weights K cos φ_k, hence linearly stable) φ_k = arcsin(c - S_k/K) and
f(c) = Σ_k arcsin(c - S_k/K) increases with c, so a stable locked state of winding m
exists iff c_lo <= c_hi and f(c_lo) <= 2π m <= f(c_hi). Both f(c_hi) and -f(c_lo) grow
with K, so existence is monotone in K and the threshold K_c (smallest K with a locked
state) follows by bisection. For the open chain the analogous result is Strogatz &
Mirollo, J. Phys. A 21, L699 (1988); see also Ochab & Góra, Acta Phys. Pol. B Proc.
Suppl. 3, 453 (2010) for the ring (and its non-principal-branch states).
"""

from __future__ import annotations

import numpy as np
from jaxtyping import Array, ArrayLike

from ._array import as_array, namespace

TWO_PI = 2.0 * np.pi


def neighbour_differences(theta: ArrayLike) -> Array:
    """d_j = θ_{j+1} - θ_j on the ring (last axis)."""
    theta = as_array(theta)
    return namespace(theta).roll(theta, -1, axis=-1) - theta


def winding_indices(theta: ArrayLike) -> Array:
    """n_j = round(d_j / 2π): how many full turns link j has slipped from the flat state."""
    d = neighbour_differences(theta)
    return namespace(d).round(d / TWO_PI).astype(int)


def phase_slips(theta: ArrayLike) -> Array:
    """Slips up to each save: Σ_j |n_j(t_i) - n_j(t_{i-1})|, and 0 at the first save.

    ``theta`` has shape (..., T, L); returns shape (..., T), aligned with the save times,
    so its sum over time is the total count over the run.
    """
    n = winding_indices(theta)
    xp = namespace(n)
    steps = xp.abs(xp.diff(n, axis=-2)).sum(axis=-1)
    return xp.concatenate([xp.zeros_like(steps[..., :1]), steps], axis=-1)


def _window_start(ts: ArrayLike, t_start: float) -> tuple[int, float]:
    """Index of the first save >= ``t_start`` and the window's length up to the last save."""
    ts = np.asarray(ts, dtype=float)
    i = int(np.searchsorted(ts, t_start))
    if i >= ts.shape[0] - 1:
        raise ValueError(f"t_start={t_start} leaves fewer than two saves (last save {ts[-1]})")
    return i, float(ts[-1] - ts[i])


def mean_frequencies(ts: ArrayLike, theta: ArrayLike, t_start: float) -> Array:
    """Ω_j = [θ_j(t_end) - θ_j(t_a)] / (t_end - t_a), t_a the first save >= ``t_start``.

    ``theta`` has shape (..., T, L) with save times ``ts`` (T,).
    """
    i, window = _window_start(ts, t_start)
    theta = as_array(theta)
    return (theta[..., -1, :] - theta[..., i, :]) / window


def frequency_spread(freqs: ArrayLike) -> Array:
    """Standard deviation of the mean frequencies over oscillators (last axis)."""
    freqs = as_array(freqs)
    return namespace(freqs).std(freqs, axis=-1)


def locked_fraction(freqs: ArrayLike, tol: float) -> Array:
    """Fraction of oscillators with |Ω_j - Ω̄| < ``tol`` (last axis: oscillators)."""
    freqs = as_array(freqs)
    xp = namespace(freqs)
    dev = xp.abs(freqs - xp.mean(freqs, axis=-1, keepdims=True))
    return xp.mean(dev < tol, axis=-1)


def frequency_locking(ts: ArrayLike, theta: ArrayLike, t_start: float) -> dict[str, Array]:
    """Locking indicators over the window [t_start, t_end] of saved phases (..., T, L).

    Returns ``locked_frac``, the fraction of oscillators whose mean frequency equals the
    population mean to within half a slip per window, |Ω_j - Ω̄| < π / (t_end - t_a), and
    ``freq_spread``, the standard deviation of the Ω_j.
    """
    _, window = _window_start(ts, t_start)
    om = mean_frequencies(ts, theta, t_start)
    return {"locked_frac": locked_fraction(om, np.pi / window), "freq_spread": frequency_spread(om)}


def is_locked(ts: ArrayLike, theta: ArrayLike, t_start: float) -> Array:
    """True where every mean frequency over [t_start, t_end] equals Ω̄ within half a slip."""
    return frequency_locking(ts, theta, t_start)["locked_frac"] == 1.0


# ---------------------------------------------------------------- exact locking threshold


def _partial_sums(omega: ArrayLike) -> np.ndarray:
    omega = np.asarray(omega, dtype=float)
    if omega.ndim != 1 or omega.shape[0] < 3:
        raise ValueError(f"omega must be 1-D with at least 3 oscillators, got shape {omega.shape}")
    return np.cumsum(omega - omega.mean())


def locking_lower_bound(omega: ArrayLike) -> float:
    """K_0 = (max S - min S) / 2: below it no phase-locked state of any kind exists."""
    s = _partial_sums(omega)
    return float((s.max() - s.min()) / 2.0)


def _locked_exists(s: np.ndarray, K: float, target: float) -> bool:
    """Existence test of a principal-branch locked state with Σ φ = ``target``."""
    u = s / K
    c_lo, c_hi = u.max() - 1.0, u.min() + 1.0
    if c_lo > c_hi:
        return False
    f_lo = np.sum(np.arcsin(np.clip(c_lo - u, -1.0, 1.0)))
    f_hi = np.sum(np.arcsin(np.clip(c_hi - u, -1.0, 1.0)))
    return bool(f_lo <= target <= f_hi)


def phase_locked_state(omega: ArrayLike, K: float, winding: int = 0) -> np.ndarray | None:
    """Stable (principal-branch) phase-locked differences φ_k for coupling K, or None.

    Solves Σ_k arcsin(c - S_k/K) = 2π·winding for c by bisection. The returned φ
    satisfies K (sin φ_k - sin φ_{k-1}) = -(ω_k - ω̄) for every k (indices mod L).
    """
    if not K > 0:
        raise ValueError(f"K must be positive, got {K}")
    s = _partial_sums(omega)
    target = TWO_PI * winding
    if not _locked_exists(s, K, target):
        return None
    u = s / K
    lo, hi = u.max() - 1.0, u.min() + 1.0
    f = lambda c: np.sum(np.arcsin(np.clip(c - u, -1.0, 1.0)))
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        if f(mid) < target:
            lo = mid
        else:
            hi = mid
    return np.arcsin(np.clip(0.5 * (lo + hi) - u, -1.0, 1.0))


def _threshold(s: np.ndarray, k0: float, winding: int, rtol: float) -> float:
    target = TWO_PI * winding
    if abs(target) >= s.shape[0] * np.pi / 2:
        return float("inf")  # |Σ arcsin| < Lπ/2: this winding is never reachable
    if _locked_exists(s, k0, target):
        return k0
    lo, hi = k0, 2.0 * k0
    while not _locked_exists(s, hi, target):
        lo, hi = hi, 2.0 * hi
    while hi - lo > rtol * hi:
        mid = 0.5 * (lo + hi)
        if _locked_exists(s, mid, target):
            hi = mid
        else:
            lo = mid
    return float(hi)


def locking_threshold(omega: ArrayLike, winding: int | None = 0, rtol: float = 1e-10) -> float:
    """K_c: the smallest K with a stable (principal-branch) locked state.

    ``winding=m`` gives the threshold of states with Σ φ_k = 2π m; ``winding=None`` the
    minimum over all windings, which is where a ring started flat locks in practice:
    below K_c(m=0) it can slip into a twisted state that is already locked (see
    docs/sync1d.md). Bisection between K_0 (:func:`locking_lower_bound`) and a K large
    enough for the state to exist; existence is monotone in K (module docstring).
    """
    s = _partial_sums(omega)
    k0 = locking_lower_bound(omega)
    if k0 == 0.0:
        return 0.0
    if winding is not None:
        return _threshold(s, k0, int(winding), rtol)
    best = _threshold(s, k0, 0, rtol)
    worse_in_a_row = 0
    m = 1
    # Thresholds grow with |m| for all but the first few windings: stop after two
    # consecutive windings that both fail to beat the best so far.
    while worse_in_a_row < 2 and TWO_PI * m < s.shape[0] * np.pi / 2:
        km = min(_threshold(s, k0, m, rtol), _threshold(s, k0, -m, rtol))
        if km < best:
            best, worse_in_a_row = km, 0
        else:
            worse_in_a_row += 1
        m += 1
    return best


def kpz_coupling(K: ArrayLike, sigma: ArrayLike, a: ArrayLike, randomness: str) -> np.ndarray:
    """KPZ coupling with ν = K, λ = 2Ka, D = σ²/2 (lattice units).

    g = λ²D/ν³ for white noise, g = λ²D/ν⁴ for columnar disorder.
    """
    K, sigma, a = (np.asarray(x, dtype=float) for x in (K, sigma, a))
    lam, d = 2.0 * K * a, sigma**2 / 2.0
    if randomness == "white":
        return lam**2 * d / K**3
    if randomness == "columnar":
        return lam**2 * d / K**4
    raise ValueError(f"randomness must be 'columnar' or 'white', got {randomness!r}")


__all__ = [
    "frequency_locking",
    "frequency_spread",
    "is_locked",
    "kpz_coupling",
    "locked_fraction",
    "locking_lower_bound",
    "locking_threshold",
    "mean_frequencies",
    "neighbour_differences",
    "phase_locked_state",
    "phase_slips",
    "winding_indices",
]
