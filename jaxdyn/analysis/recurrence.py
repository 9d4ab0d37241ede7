"""Recurrence plots and recurrence quantification analysis (RQA).

A recurrence matrix of states x_1..x_N (a time series, optionally delay-embedded,
Takens 1981) is R_ij = Θ(ε - ||x_i - x_j||): 1 where two states are closer than ε
(Eckmann, Kamphorst & Ruelle, Europhys. Lett. 4, 973 (1987)). ε is either fixed or
chosen so that a given fraction of the N² pairs recur ("fixed recurrence rate").

RQA measures (Zbilut & Webber 1992; Marwan, Romano, Thiel & Kurths, Phys. Rep. 438, 237
(2007), §3.2), from the histograms P(l) of diagonal and P(v) of vertical line lengths:

====  =====================================================  ============================
RR    Σ R_ij / N²                                            recurrence rate
DET   Σ_{l>=l_min} l P(l) / Σ_l l P(l)                        determinism
L     Σ_{l>=l_min} l P(l) / Σ_{l>=l_min} P(l)                 mean diagonal line length
Lmax  longest diagonal line (main diagonal excluded)
ENTR  -Σ p(l) ln p(l), p(l) = P(l)/Σ_{l>=l_min} P(l)           Shannon entropy of lines
LAM   Σ_{v>=v_min} v P(v) / Σ_v v P(v)                        laminarity
TT    Σ_{v>=v_min} v P(v) / Σ_{v>=v_min} P(v)                 trapping time
Vmax  longest vertical line
====  =====================================================  ============================

Conventions (those of pyunicorn's ``RecurrencePlot``, against which the tests check
every measure): the threshold is strict (d < ε); a fixed recurrence rate ρ takes ε as
the ⌊ρ (N² - 1)⌋-th smallest of the N² distances; the main diagonal (line of identity)
counts in RR and in vertical lines but not in diagonal lines; the embedding is
x_i = (s_i, s_{i+τ}, ..., s_{i+(m-1)τ}). A measure whose denominator is zero (no line
at all) is NaN.

Everything is ``jnp``: ``jit``-able (``dim``, ``delay``, ``l_min``, ``v_min`` and the
recurrence rate are static) and ``vmap``-able over series of one length. Line
histograms are built in one pass down the rows, so memory stays at the N² booleans of R
plus O(N).
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Bool, Float

METRICS = ("euclidean", "supremum", "manhattan")
MEASURES = ("RR", "DET", "L", "Lmax", "ENTR", "LAM", "TT", "Vmax")


def _check_int(name: str, value, lo: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < lo:
        raise ValueError(f"{name} must be an integer >= {lo}, got {value!r}")
    return int(value)


def delay_embed(x: ArrayLike, dim: int = 1, delay: int = 1) -> Float[Array, "n m"]:
    """Delay embedding x_i = (s_i, s_{i+τ}, ..., s_{i+(m-1)τ}) of a series ``x``.

    ``x`` has shape ``(N,)`` or ``(N, d)`` (a vector series is embedded component-wise);
    the result has shape ``(N - (dim - 1) delay, d dim)``.

    Raises:
        ValueError: naming ``dim`` when the embedding window (dim - 1) delay + 1 is longer
            than the series, or naming ``dim``/``delay`` when they are not positive integers.
    """
    dim = _check_int("dim", dim, 1)
    delay = _check_int("delay", delay, 1)
    x = jnp.asarray(x)
    if x.ndim not in (1, 2):
        raise ValueError(f"x must be a series of shape (N,) or (N, d), got shape {x.shape}")
    if x.ndim == 1:
        x = x[:, None]
    n = x.shape[0] - (dim - 1) * delay
    if n < 2:
        raise ValueError(
            f"dim={dim} with delay={delay} needs a series longer than (dim - 1) * delay + 1 = "
            f"{(dim - 1) * delay + 1} points, got {x.shape[0]}"
        )
    return jnp.concatenate([x[j * delay : j * delay + n] for j in range(dim)], axis=1)


def distance_matrix(x: ArrayLike, metric: str = "supremum") -> Float[Array, "n n"]:
    """Pairwise distances of the states (rows) of ``x`` in the given norm."""
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {METRICS}, got {metric!r}")
    x = jnp.asarray(x)
    if x.ndim == 1:
        x = x[:, None]
    diff = x[:, None, :] - x[None, :, :]
    if metric == "euclidean":
        return jnp.sqrt(jnp.sum(diff * diff, axis=-1))
    if metric == "supremum":
        return jnp.max(jnp.abs(diff), axis=-1)
    return jnp.sum(jnp.abs(diff), axis=-1)


def threshold_for_rate(distances: ArrayLike, recurrence_rate: float) -> Array:
    """ε giving recurrence rate ρ: the ⌊ρ (N² - 1)⌋-th smallest distance (pyunicorn's rule).

    Exact, without sorting all N² values (XLA's CPU sort of millions of them costs seconds):
    a strided sample of 2^16 distances brackets the quantile, the few distances inside the
    bracket are gathered and sorted, and the bracket is verified by counting. Where it
    fails (heavy ties, an unlucky sample) a bisection on the values' bit patterns (mapped
    to integers that order as the floats do, negative values included) finishes the job,
    one counting pass per bit; under ``vmap`` it runs only if some member needs it.
    """
    rate = float(recurrence_rate)
    if not 0.0 < rate < 1.0:
        raise ValueError(f"recurrence_rate must lie in (0, 1), got {recurrence_rate!r}")
    d = jnp.ravel(jnp.asarray(distances))
    d = d.astype(jnp.result_type(d.dtype, jnp.float32))
    n = d.size
    m = int(rate * (n - 1))
    ints = {4: jnp.int32, 8: jnp.int64}[d.dtype.itemsize]
    flip = np.iinfo(ints).max  # negative floats: flip all but the sign bit, so that the
    key = lambda b: jnp.where(b < 0, b ^ flip, b)  # integers order as the floats do
    bits = key(jax.lax.bitcast_convert_type(d, ints))

    # bracket [a, b] from sample ranks within 4 standard deviations of the quantile
    stride = max(1, n // 2**16)
    sample = jnp.sort(d[::stride])
    ns = sample.size
    q = round(m / max(n - 1, 1) * (ns - 1))
    r = int(4 * np.sqrt(ns * rate * (1 - rate))) + 2
    a = sample[q - r] if q - r >= 0 else -jnp.inf
    b = sample[q + r] if q + r < ns else jnp.inf
    inside = (d >= a) & (d <= b)
    below = jnp.sum(d < a)
    n_in = jnp.sum(inside)
    k = min(n, 3 * r * stride + 64)
    idx = jnp.nonzero(inside, size=k, fill_value=0)[0]
    vals = jnp.sort(jnp.where(jnp.arange(k) < n_in, d[idx], jnp.inf))
    guess = vals[jnp.clip(m - below, 0, k - 1)]
    ok = (below <= m) & (m < below + n_in) & (n_in <= k)

    def halve(lohi):
        lo, hi = lohi  # the answer's key lies in [lo, hi]
        mid = (lo >> 1) + (hi >> 1) + (lo & hi & 1)  # floor((lo + hi) / 2), no overflow
        enough = jnp.sum(bits <= mid) > m
        return jnp.where(enough, lo, mid + 1), jnp.where(enough, mid, hi)

    g = key(jax.lax.bitcast_convert_type(guess, ints))
    lohi = (jnp.where(ok, g, jnp.min(bits)), jnp.where(ok, g, jnp.max(bits)))
    _, hi = jax.lax.while_loop(lambda lh: lh[0] < lh[1], halve, lohi)
    return jax.lax.bitcast_convert_type(key(hi), d.dtype)


def recurrence_matrix(
    x: ArrayLike,
    *,
    threshold: float | None = None,
    recurrence_rate: float | None = None,
    dim: int = 1,
    delay: int = 1,
    metric: str = "supremum",
) -> Bool[Array, "n n"]:
    """R_ij = ||x_i - x_j|| < ε for the (delay-embedded) series ``x``.

    Give exactly one of ``threshold`` (fixed ε > 0) and ``recurrence_rate`` (fixed
    fraction of recurrent pairs, in (0, 1)).
    """
    if (threshold is None) == (recurrence_rate is None):
        raise ValueError("give exactly one of threshold= and recurrence_rate=")
    if threshold is not None and not isinstance(threshold, jax.core.Tracer):
        if not (np.isfinite(float(threshold)) and float(threshold) > 0):
            raise ValueError(f"threshold must be a finite number > 0, got {threshold!r}")
    emb = delay_embed(x, dim, delay)
    d = distance_matrix(emb, metric)
    eps = threshold if threshold is not None else threshold_for_rate(d, recurrence_rate)
    return d < eps


def theiler_window(R: Bool[ArrayLike, "n n"], w: int) -> Bool[Array, "n n"]:
    """R with the band |i - j| < w removed (w = 1: the main diagonal only).

    A smooth, finely sampled series recurs trivially with its own neighbours in time
    (tangential motion); excluding a Theiler window of about one autocorrelation time
    keeps those points out of every measure (Marwan, Int. J. Bifurcation Chaos 21, 1003
    (2011)). ``rqa`` itself follows pyunicorn (no window): apply this first.
    """
    w = _check_int("w", w, 0)
    R = jnp.asarray(R)
    i = jnp.arange(R.shape[0])
    return R & (jnp.abs(i[:, None] - i[None, :]) >= w)


@jax.jit
def line_histograms(R: Bool[Array, "n n"]) -> tuple[Array, Array]:
    """Histograms of diagonal and vertical line lengths, each of shape ``(N + 1,)``.

    Entry l counts lines of length exactly l. Diagonal lines are counted in both
    triangles, the main diagonal excluded; vertical lines over the whole matrix.

    One pass down the rows: the current run length of every diagonal (2N - 1 of them,
    diagonal j - i of row i) and every column is carried; where a run breaks, its
    length goes into the histogram. O(N²) work, O(N) memory besides R.
    """
    n = R.shape[0]
    cols = jnp.arange(n)

    def row(carry, i):
        diag_run, vert_run, diag, vert = carry
        r = R[i]
        here = jax.lax.dynamic_slice(diag_run, (n - 1 - i,), (n,))  # diagonals j - i
        d_new = jnp.where(r & (cols != i), here + 1, 0)
        v_new = jnp.where(r, vert_run + 1, 0)
        diag = diag.at[jnp.where(d_new == 0, here, 0)].add(1)
        vert = vert.at[jnp.where(v_new == 0, vert_run, 0)].add(1)
        diag_run = jax.lax.dynamic_update_slice(diag_run, d_new, (n - 1 - i,))
        return (diag_run, v_new, diag, vert), None

    zero = jnp.zeros(n + 1, jnp.int32)
    runs0 = (jnp.zeros(2 * n - 1, jnp.int32), jnp.zeros(n, jnp.int32))
    (diag_run, vert_run, diag, vert), _ = jax.lax.scan(row, (*runs0, zero, zero), cols)
    # runs still open at the matrix's edge end there; index 0 collected the non-ends
    diag = diag.at[diag_run].add(1).at[0].set(0)
    vert = vert.at[vert_run].add(1).at[0].set(0)
    return diag, vert


def _ratio(num, den):
    return jnp.where(den > 0, num / jnp.where(den > 0, den, 1), jnp.nan)


@partial(jax.jit, static_argnames=("l_min", "v_min"))
def _rqa(R, l_min, v_min):
    n = R.shape[0]
    diag, vert = line_histograms(R)
    lengths = jnp.arange(n + 1)
    dl = diag * lengths
    vl = vert * lengths
    dsel = lengths >= l_min
    vsel = lengths >= v_min
    n_lines = jnp.sum(jnp.where(dsel, diag, 0))
    p = _ratio(jnp.where(dsel, diag, 0), n_lines)
    plogp = jnp.where(p > 0, p * jnp.log(jnp.where(p > 0, p, 1)), 0.0)
    return {
        "RR": jnp.sum(R) / n**2,
        "DET": _ratio(jnp.sum(jnp.where(dsel, dl, 0)), jnp.sum(dl)),
        "L": _ratio(jnp.sum(jnp.where(dsel, dl, 0)), n_lines),
        "Lmax": jnp.max(jnp.where(diag > 0, lengths, 0)),
        "ENTR": jnp.where(n_lines > 0, -jnp.sum(plogp), jnp.nan),
        "LAM": _ratio(jnp.sum(jnp.where(vsel, vl, 0)), jnp.sum(vl)),
        "TT": _ratio(jnp.sum(jnp.where(vsel, vl, 0)), jnp.sum(jnp.where(vsel, vert, 0))),
        "Vmax": jnp.max(jnp.where(vert > 0, lengths, 0)),
    }


def rqa(R: Bool[ArrayLike, "n n"], *, l_min: int = 2, v_min: int = 2) -> dict[str, Array]:
    """The RQA measures of a recurrence matrix (see the module docstring for definitions).

    Args:
        R: square boolean recurrence matrix.
        l_min, v_min: shortest diagonal / vertical line counted as a line (>= 1).

    Returns:
        ``{"RR", "DET", "L", "Lmax", "ENTR", "LAM", "TT", "Vmax"}`` as scalar arrays.
    """
    R = jnp.asarray(R)
    if R.ndim != 2 or R.shape[0] != R.shape[1]:
        raise ValueError(f"R must be a square matrix, got shape {R.shape}")
    if R.shape[0] < 2:
        raise ValueError(f"R must be at least 2 x 2, got shape {R.shape}")
    l_min = _check_int("l_min", l_min, 1)
    v_min = _check_int("v_min", v_min, 1)
    return _rqa(R.astype(bool), l_min, v_min)


def rqa_series(
    x: ArrayLike,
    *,
    threshold: float | None = None,
    recurrence_rate: float | None = None,
    dim: int = 1,
    delay: int = 1,
    metric: str = "supremum",
    l_min: int = 2,
    v_min: int = 2,
) -> dict[str, Array]:
    """:func:`rqa` of :func:`recurrence_matrix` of a series (same arguments)."""
    R = recurrence_matrix(
        x,
        threshold=threshold,
        recurrence_rate=recurrence_rate,
        dim=dim,
        delay=delay,
        metric=metric,
    )
    return rqa(R, l_min=l_min, v_min=v_min)


def iid_theory(p: float) -> dict[str, float]:
    """Large-N RQA of a recurrence matrix whose off-diagonal entries are i.i.d. Bernoulli(p).

    Runs along a diagonal are then geometric: a point is isolated with probability
    (1 - p)², so DET = 1 - (1 - p)²; given l >= 2, l - 1 is geometric with mean
    1/(1 - p), so L = 1 + 1/(1 - p), and the entropy of P(l | l >= 2) = (1 - p) p^{l-2}
    is [-(1 - p) ln(1 - p) - p ln p] / (1 - p). (For an i.i.d. series the entries of one
    diagonal are independent: each involves a disjoint pair of samples.)
    """
    q = 1.0 - p
    return {
        "RR": p,
        "DET": 1.0 - q * q,
        "L": 1.0 + 1.0 / q,
        "ENTR": (-q * np.log(q) - p * np.log(p)) / q,
    }


__all__ = [
    "MEASURES",
    "METRICS",
    "delay_embed",
    "distance_matrix",
    "iid_theory",
    "line_histograms",
    "recurrence_matrix",
    "rqa",
    "rqa_series",
    "theiler_window",
    "threshold_for_rate",
]
