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
recurrence rate are static) and ``vmap``-able over series of one length. The distances
are never stored: the rate's threshold is found exactly by a few counting passes that
compute them block by block (:func:`_kth_smallest`), R compares them where they are
computed, and the line histograms are built in one pass down the rows, so memory stays
at the N² booleans of R plus O(N). (Measured on a 2-core CPU for N = 4000 at a 5 %
rate: the threshold ~0.15 s in seven passes, against 0.6 s for the earlier
sample-and-sort over a stored matrix; see ``benchmarks/bench_analysis.py``.)
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


def _dist(a: Array, b: Array, metric: str) -> Array:
    """Distance of a and b along their last axis, accumulated component by component.

    The one formula for every distance this module computes (the full matrix, the
    thresholds' passes, the sample), so that a threshold found in one place compares
    bit for bit with the distances of another."""
    acc = None
    for k in range(a.shape[-1]):
        c = jnp.abs(a[..., k] - b[..., k])
        if metric == "euclidean":
            c = c * c
        if acc is None:
            acc = c
        elif metric == "supremum":
            acc = jnp.maximum(acc, c)
        else:
            acc = acc + c
    return jnp.sqrt(acc) if metric == "euclidean" else acc


def _check_metric(metric: str) -> None:
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {METRICS}, got {metric!r}")


def _as_states(x) -> Array:
    x = jnp.asarray(x)
    return x[:, None] if x.ndim == 1 else x


def distance_matrix(x: ArrayLike, metric: str = "supremum") -> Float[Array, "n n"]:
    """Pairwise distances of the states (rows) of ``x`` in the given norm."""
    _check_metric(metric)
    x = _as_states(x)
    return _dist(x[:, None, :], x[None, :, :], metric)


# ------------------------------------------------------------------- the rate's threshold
#: rows per block of a counting pass (summed unrolled: XLA then vectorises along the row)
_ROWS = 8
#: width of the rows a flat array of distances is cut into
_WIDTH = 2048
#: distances sampled for the first bracket
_SAMPLE = 2**14
#: a bracket holding at most this many distances is closed by tightening passes
_FEW = 64


class _Rows:
    """The N distances as ``n_blocks`` blocks of ``_ROWS`` rows, NaN-padded (NaN never
    counts), either read from an array or computed from the states (never stored)."""

    def __init__(self, flat=None, states=None, metric="supremum"):
        if states is not None:
            n_states = states.shape[0]
            self.n, self.width = n_states * n_states, n_states
            self.n_blocks = -(-n_states // _ROWS)
            pad = self.n_blocks * _ROWS - n_states
            rows = jnp.concatenate(
                [states, jnp.full((pad, states.shape[1]), jnp.nan, states.dtype)]
            )

            def block(b):
                r = jax.lax.dynamic_slice_in_dim(rows, b * _ROWS, _ROWS)
                return _dist(r[:, None, :], states[None, :, :], metric)

            def sample(idx):
                return _dist(states[idx // n_states], states[idx % n_states], metric)

            self.dtype = states.dtype
        else:
            self.n = flat.size
            self.width = min(_WIDTH, self.n)
            self.n_blocks = -(-self.n // (_ROWS * self.width))
            pad = self.n_blocks * _ROWS * self.width - self.n
            blocks = jnp.concatenate([flat, jnp.full((pad,), jnp.nan, flat.dtype)]).reshape(
                self.n_blocks, _ROWS, self.width
            )
            block = lambda b: blocks[b]  # noqa: E731
            sample = lambda idx: flat[idx]  # noqa: E731
            self.dtype = flat.dtype
        self.block, self.sample = block, sample

    def _pass(self, step, init):
        c, _ = jax.lax.scan(
            lambda c, b: (step(c, self.block(b)), None), init, jnp.arange(self.n_blocks)
        )
        return c

    def scan(self, thresholds):
        """One pass: the number of distances below each threshold."""

        def step(c, d):
            return tuple(
                cnt + _rows_reduce(jnp.add, (d < t).astype(jnp.int32))
                for cnt, t in zip(c, thresholds, strict=True)
            )

        c = self._pass(step, tuple(jnp.zeros(self.width, jnp.int32) for _ in thresholds))
        return tuple(jnp.sum(x) for x in c)

    def snap(self, t):
        """One pass: the number of distances below t, the largest of them and the least
        distance at or above t."""
        inf = jnp.asarray(jnp.inf, self.dtype)

        def step(c, d):
            below = d < t
            return (
                c[0] + _rows_reduce(jnp.add, below.astype(jnp.int32)),
                jnp.maximum(c[1], _rows_reduce(jnp.maximum, jnp.where(below, d, -inf))),
                jnp.minimum(c[2], _rows_reduce(jnp.minimum, jnp.where(d >= t, d, inf))),
            )

        w = self.width
        init = (jnp.zeros(w, jnp.int32), jnp.full(w, -inf), jnp.full(w, inf))
        cnt, mx, mn = self._pass(step, init)
        return jnp.sum(cnt), jnp.max(mx), jnp.min(mn)


def _rows_reduce(op, a):
    """op over the rows of a block, unrolled (one vectorised loop along the row)."""
    acc = a[0]
    for r in range(1, a.shape[0]):
        acc = op(acc, a[r])
    return acc


def _kth_smallest(rows: _Rows, m: int) -> Array:
    """The m-th smallest (from 0) of the distances, exactly, by counting passes.

    Two counts at values of a sorted sample bracket it; each further pass counts the
    distances below one threshold inside the bracket [lo, hi), keeping count(< lo) <= m
    < count(< hi). The threshold comes from false position on the count (the
    distribution of distances is smooth at this scale, so the bracket shrinks by orders
    of magnitude per pass) or, where that stalled, halves the bracket on the values' bit
    patterns (integers that order as the floats do, negative values included), which
    ends it in at most one pass per bit. Once at most ``_FEW`` distances remain, each
    pass also returns the nearest distances on either side of its threshold, which snaps
    the bracket to actual values; it ends when no float lies between lo and hi, so lo is
    the answer. Nothing of size N² is stored or sorted: XLA's CPU sort of millions of
    values costs seconds, a counting pass ~12 ms for N = 4000 (seven passes in all for
    a Lorenz series).

    Subnormal thresholds are never used: XLA on CPU flushes them to zero, so a threshold
    between 0 and the smallest normal number is taken at one of those two ends.
    """
    dtype = rows.dtype
    ints = {4: jnp.int32, 8: jnp.int64}[jnp.dtype(dtype).itemsize]
    flip = np.iinfo(ints).max  # negative floats: flip all but the sign bit
    tiny = jnp.asarray(jnp.finfo(dtype).tiny, dtype)
    inf = jnp.asarray(jnp.inf, dtype)

    def key(v):
        b = jax.lax.bitcast_convert_type(v, ints)
        return jnp.where(b < 0, b ^ flip, b)

    def unkey(k):
        return jax.lax.bitcast_convert_type(jnp.where(k < 0, k ^ flip, k), dtype)

    def open_(lo, hi):
        """Some float usable as a threshold lies strictly inside (lo, hi)."""
        kl, kh = key(lo), key(hi)
        return (kh - 1 > kl) & ~((lo >= -tiny) & (hi <= tiny))

    def threshold(lo, hi, c_lo, c_hi, w_lo, w_hi, bisect):
        # false position on count(< t) - (m + 1/2), each end's value weighted (Illinois)
        f_lo, f_hi = (c_lo - (m + 0.5)) * w_lo, (c_hi - (m + 0.5)) * w_hi
        frac = (-f_lo / (f_hi - f_lo)).astype(dtype)
        t_int = (lo + (hi - lo) * frac).astype(dtype)
        kl, kh = key(lo), key(hi)
        t_bis = unkey((kl >> 1) + (kh >> 1) + (kl & kh & 1))  # floor mid, no overflow
        ok = jnp.isfinite(t_int) & (t_int > lo) & (t_int < hi) & ~bisect
        t = jnp.where(ok, t_int, t_bis)
        # a subnormal t: the normal end of the zone if it is inside the bracket, else 0
        edge = jnp.where(t > 0, tiny, -tiny)
        sub = (t != 0) & (jnp.abs(t) < tiny)
        fix = jnp.where((edge > lo) & (edge < hi), edge, jnp.zeros((), dtype))
        return jnp.where(sub, fix, t)

    def narrow(s, c_t, lo_up, hi_down):
        """The bracket after counting c_t below the threshold. The next threshold is by
        false position, where an end kept twice in a row has its weight halved (the
        Illinois rule: plain false position leaves one end stuck on a curved
        distribution), or halves the bracket after a step that did not land at least
        twice as close to the rank as the one before."""
        lo, hi, c_lo, c_hi, w_lo, w_hi, bisect, last_up, miss, actual, it = s
        up = c_t <= m
        again = up == last_up
        w_lo1 = jnp.where(up, 1.0, jnp.where(again, w_lo / 2, w_lo))
        w_hi1 = jnp.where(up, jnp.where(again, w_hi / 2, w_hi), 1.0)
        lo1, hi1 = jnp.where(up, lo_up, lo), jnp.where(up, hi, hi_down)
        c_lo1, c_hi1 = jnp.where(up, c_t, c_lo), jnp.where(up, c_hi, c_t)
        miss1 = jnp.abs(c_t - (m + 0.5))
        halve = ~bisect & (2 * miss1 > miss)
        return lo1, hi1, c_lo1, c_hi1, w_lo1, w_hi1, halve, up, miss1, actual, it + 1

    # The first bracket from a sorted sample: count below its quantile, then below the
    # sample value as far past the rank on the other side as 1.5 times that miss
    # (converted to sample ranks); an end that still fails is left open (±inf).
    n = rows.n
    stride = max(1, n // _SAMPLE)
    sample = jnp.sort(rows.sample(jnp.arange(0, n, stride)))
    ns = sample.shape[0]
    q = round(m / max(n - 1, 1) * (ns - 1))
    t1 = sample[q]
    (c1,) = rows.scan((t1,))
    below = c1 <= m
    step = jnp.ceil(1.5 * jnp.abs(c1 - (m + 0.5)) * ns / n).astype(jnp.int32) + 2
    q2 = q + jnp.where(below, step, -step)
    t2 = jnp.where(q2 >= ns, inf, jnp.where(q2 < 0, -inf, sample[jnp.clip(q2, 0, ns - 1)]))
    (c2,) = rows.scan((t2,))
    crossed = (c2 > m) == below  # t2 lies on the other side of the rank
    total = jnp.asarray(n, c1.dtype)
    lo = jnp.where(below, jnp.where(crossed, t1, t2), jnp.where(crossed, t2, -inf))
    hi = jnp.where(below, jnp.where(crossed, t2, inf), jnp.where(crossed, t1, t2))
    c_lo = jnp.where(below, jnp.where(crossed, c1, c2), jnp.where(crossed, c2, 0))
    c_hi = jnp.where(below, jnp.where(crossed, c2, total), jnp.where(crossed, c1, c2))
    one = jnp.ones((), jnp.result_type(float))
    state = (
        lo,
        hi,
        c_lo,
        c_hi,
        one,  # weights of the ends in false position
        one,
        jnp.asarray(False),  # halve next
        jnp.asarray(False),  # the last step moved lo
        jnp.asarray(n, jnp.result_type(float)),  # its distance from the rank
        jnp.isfinite(lo),  # lo is one of the distances (a sample value)
        jnp.asarray(0),
    )

    def counting(s):
        t = threshold(*s[:7])
        (c_t,) = rows.scan((t,))
        s = narrow(s, c_t, t, t)
        return *s[:9], s[9] & (c_t > m), s[10]

    def snapping(s):
        t = threshold(*s[:7])
        # nothing lies in (max below t, t) or [t, min at or above t): snap to them
        c_t, mx_below, mn_above = rows.snap(t)
        s = narrow(s, c_t, mn_above, jnp.nextafter(mx_below, inf))
        return *s[:9], s[9] | (c_t <= m), s[10]

    cap = 400  # > 2 x 64 halvings + the interpolations: never reached
    live = lambda s: open_(s[0], s[1]) & (s[10] < cap)  # noqa: E731
    state = jax.lax.while_loop(lambda s: live(s) & (s[3] - s[2] > _FEW), counting, state)
    state = jax.lax.while_loop(live, snapping, state)
    lo, actual = state[0], state[9]

    def snap_last(lo):
        # the least distance >= lo: the answer, alone in [lo, hi) (up to subnormals)
        return rows.snap(lo)[2]

    return jax.lax.cond(actual, lambda lo: lo, snap_last, lo)


def threshold_for_rate(distances: ArrayLike, recurrence_rate: float) -> Array:
    """ε giving recurrence rate ρ: the ⌊ρ (n - 1)⌋-th smallest of the n distances
    (pyunicorn's rule), exactly, without sorting them (see :func:`_kth_smallest`).

    ``distances`` is any float array (a distance matrix, or values of either sign);
    NaN is never counted.
    """
    rate = _check_rate(recurrence_rate)
    d = jnp.ravel(jnp.asarray(distances))
    d = d.astype(jnp.result_type(d.dtype, jnp.float32))
    return _kth_smallest(_Rows(flat=d), int(rate * (d.size - 1)))


def _check_rate(recurrence_rate) -> float:
    rate = float(recurrence_rate)
    if not 0.0 < rate < 1.0:
        raise ValueError(f"recurrence_rate must lie in (0, 1), got {recurrence_rate!r}")
    return rate


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
    fraction of recurrent pairs, in (0, 1)). The distances are computed where they are
    compared and never stored: memory is the N² booleans of R.
    """
    if (threshold is None) == (recurrence_rate is None):
        raise ValueError("give exactly one of threshold= and recurrence_rate=")
    if threshold is not None and not isinstance(threshold, jax.core.Tracer):
        if not (np.isfinite(float(threshold)) and float(threshold) > 0):
            raise ValueError(f"threshold must be a finite number > 0, got {threshold!r}")
    _check_metric(metric)
    emb = delay_embed(x, dim, delay)
    emb = emb.astype(jnp.result_type(emb.dtype, jnp.float32))
    if threshold is not None:
        eps = threshold
    else:
        rate = _check_rate(recurrence_rate)
        n = emb.shape[0]
        eps = _kth_smallest(_Rows(states=emb, metric=metric), int(rate * (n * n - 1)))
    return distance_matrix(emb, metric) < eps


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
        # every recurrent point lies on exactly one vertical line (a reduction of R
        # itself costs as much as the whole line count)
        "RR": jnp.sum(vl) / n**2,
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
