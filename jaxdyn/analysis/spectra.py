"""Power and cross spectra of evenly sampled light curves, as X-ray timing uses them.

Given counts per bin x_n (n = 0..N-1, bin dt) split into M segments of N bins, the discrete
Fourier amplitudes X_k = Σ_n x_n exp(-2πi kn/N) at the positive Fourier frequencies
f_k = k/(N dt), k = 1..⌈N/2⌉-1 (zero and Nyquist excluded) give

* the periodogram |X_k|² and the cross spectrum C_k = X¹_k* X²_k (so a positive phase
  lag arg C means series 1 lags series 2), averaged over segments;
* normalised (van der Klis 1989; Miyamoto et al. 1991), with N_ph the counts per segment
  and μ = N_ph/N the mean counts per bin, averaged over all segments ("common mean"):

  ======== ===================================== ========================== ===============
  norm     P = |X|² times                        units                      Poisson level
  ======== ===================================== ========================== ===============
  "leahy"  2 / N_ph                              (χ²_2 for pure counting)    2
  "frac"   2 dt / (μ² N)                         (rms/mean)² / Hz           2 / r
  "abs"    2 / (N dt)                            (counts/s)² / Hz           2 r
  "psd"    2 dt / N, x any real signal           x² / Hz (one-sided PSD)    0
  ======== ===================================== ========================== ===============

  with r = μ/dt the mean count rate; a cross spectrum uses √(N_ph¹ N_ph²) and √(μ¹ μ²).
  Integrating a "frac" (or "psd") spectrum over f gives the fractional (absolute) variance.
* rebinned linearly or logarithmically; ``m`` counts the raw powers averaged in each bin
  (segments x frequencies), which sets every error bar;
* phase and time lags, φ = arg⟨C⟩, τ = φ/(2πf), with δφ = √((1-g²)/(2 g² m)) (Bendat &
  Piersol 2010; Nowak et al. 1999, ApJ 510, 874), g² the raw coherence;
* the coherence (Vaughan & Nowak 1997, ApJ 474, L43): with the noise-subtracted powers
  S_i = ⟨P_i⟩ - N_i and the bias of |⟨C⟩|² from counting noise,
  n² = (⟨P_1⟩⟨P_2⟩ - S_1 S_2)/m = (S_1 N_2 + N_1 S_2 + N_1 N_2)/m,
  raw g² = (|⟨C⟩|² - n²)/(⟨P_1⟩⟨P_2⟩) and intrinsic γ² = (|⟨C⟩|² - n²)/(S_1 S_2), with the
  VN97 eq. (8) uncertainty for γ² and √(2/m) g (1-g²) for g² (Bendat & Piersol).

These are the conventions of Stingray (Huppenkothen et al. 2019, ApJ 881, 39), against
which ``tests/test_spectra.py`` checks every quantity. The functions are jnp throughout:
they jit, vmap over many light curves and differentiate; leading axes of the input are
batch axes (time is the last axis).
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Complex, Float

from ._series import check_series, resolve_dt, segment_bins

NORMS: tuple[str, ...] = ("frac", "leahy", "abs", "psd")


def _check_norm(norm: str) -> str:
    if norm not in NORMS:
        raise ValueError(f"norm must be one of {NORMS}, got {norm!r}")
    return norm


class PowerSpectrum(eqx.Module):
    """A segment-averaged, normalised power spectrum (see the module docstring).

    Attributes:
        freq: bin frequencies (the mean frequency of the raw bins averaged in each).
        power: averaged power, shape ``(*batch, nfreq)``.
        m: raw powers averaged in each bin (segments x frequencies), shape ``(nfreq,)``.
        mean_rate: mean count rate (counts/s), or the mean of x for ``norm="psd"``.
        noise: Poisson noise level in this normalisation (0 for "psd").
        df: width of each bin.
        norm: the normalisation.
    """

    freq: Float[Array, " f"]
    power: Float[Array, "*b f"]
    m: Float[Array, " f"]
    mean_rate: Float[Array, "*b"]
    noise: Float[Array, "*b"]
    df: Float[Array, " f"]
    norm: str = eqx.field(static=True)

    @property
    def power_err(self) -> Array:
        """1σ error of each averaged power, P/√m (exact for χ²_{2m}/2m statistics)."""
        return self.power / jnp.sqrt(self.m)


class CrossSpectrum(eqx.Module):
    """A segment-averaged cross spectrum of two bands with both power spectra.

    Attributes:
        freq, m, df, norm: as in :class:`PowerSpectrum`.
        cross: averaged C = X¹* X² (normalised with the geometric mean of the two bands).
        power1, power2: the averaged power spectra of the two bands.
        mean_rate1, mean_rate2, noise1, noise2: per band (the cross spectrum has no
            counting-noise level: the bands' counting noises are independent).
    """

    freq: Float[Array, " f"]
    cross: Complex[Array, "*b f"]
    power1: Float[Array, "*b f"]
    power2: Float[Array, "*b f"]
    m: Float[Array, " f"]
    mean_rate1: Float[Array, "*b"]
    mean_rate2: Float[Array, "*b"]
    noise1: Float[Array, "*b"]
    noise2: Float[Array, "*b"]
    df: Float[Array, " f"]
    norm: str = eqx.field(static=True)

    def cross_err(self) -> tuple[Array, Array]:
        """1σ errors of Re and Im of ⟨C⟩ (Ingram 2019, MNRAS 489, 392, eq. 16)."""
        pp = self.power1 * self.power2
        re2, im2 = jnp.real(self.cross) ** 2, jnp.imag(self.cross) ** 2
        return jnp.sqrt((pp + re2 - im2) / (2 * self.m)), jnp.sqrt((pp - re2 + im2) / (2 * self.m))


def fourier_frequencies(n: int, dt: float) -> np.ndarray:
    """Positive Fourier frequencies k/(n dt), k = 1..⌈n/2⌉-1 (zero and Nyquist excluded)."""
    return np.arange(1, (n + 1) // 2) / (n * dt)


def expected_periodogram(
    autocovariance: Float[ArrayLike, "*b n"], dt: float, *, norm: str = "psd"
) -> Array:
    """Exact expectation of the periodogram of n samples of a stationary process.

    From the autocovariance R_m at lags m dt, m = 0..n-1:
    E|X_k|² = n R_0 + 2 Σ_{m=1}^{n-1} (n - m) R_m cos(2π km/n) (the spectrum convolved
    with the Fejér kernel and aliased: leakage included), in the ``"psd"`` normalisation
    2 dt/n E|X_k|², at :func:`fourier_frequencies`. Only ``norm="psd"`` is defined (the
    other normalisations depend on the counts).
    """
    if norm != "psd":
        raise ValueError(f"norm must be 'psd' for an expected periodogram, got {norm!r}")
    r = jnp.asarray(autocovariance, dtype=float)
    n = r.shape[-1]
    a = (n - jnp.arange(n)) * r
    e = 2 * jnp.real(jnp.fft.fft(a, axis=-1)) - n * r[..., :1]
    return (2 * dt / n * e)[..., 1 : (n + 1) // 2]


def poisson_level(norm: str, mean_rate: ArrayLike) -> Array:
    """Power of pure counting (Poisson) noise: leahy 2, frac 2/r, abs 2r, psd 0."""
    _check_norm(norm)
    r = jnp.asarray(mean_rate, dtype=float)
    return {
        "leahy": lambda: jnp.full_like(r, 2.0),
        "frac": lambda: 2.0 / r,
        "abs": lambda: 2.0 * r,
        "psd": lambda: jnp.zeros_like(r),
    }[norm]()


def _norm_factor(norm: str, dt: float, n: int, mean1: Array, mean2: Array) -> Array:
    """Factor turning ⟨X¹* X²⟩ into the normalised spectrum (mean = counts per bin)."""
    if norm == "leahy":
        return 2.0 / (n * jnp.sqrt(mean1 * mean2))
    if norm == "frac":
        return 2.0 * dt / (n * mean1 * mean2)
    if norm == "abs":
        return 2.0 / (n * dt) * jnp.ones_like(mean1)
    return 2.0 * dt / n * jnp.ones_like(mean1)


def _segment_ffts(x: Array, nseg: int) -> tuple[Array, Array, int]:
    """FFT of each whole segment (the remainder is dropped): (..., M, nfreq), means, M."""
    n = x.shape[-1]
    m = n // nseg
    seg = jnp.reshape(x[..., : m * nseg], (*x.shape[:-1], m, nseg))
    ft = jnp.fft.rfft(seg, axis=-1)[..., 1 : (nseg + 1) // 2]
    return ft, jnp.mean(seg, axis=(-1, -2)), m


def _as_float(x) -> Array:
    """A floating array (float32 input stays float32; integers become the default float)."""
    x = jnp.asarray(x)
    return x if jnp.issubdtype(x.dtype, jnp.floating) else x.astype(float)


def _prepare(x, name, norm, dt, times, segment_size):
    _check_norm(norm)
    check_series(x, name, nonnegative=norm != "psd")
    x = _as_float(x)
    n = x.shape[-1]
    dt = resolve_dt(dt, times, n)
    nseg = n if segment_size is None else segment_bins(segment_size, dt, n)
    return x, dt, nseg


def power_spectrum(
    x: Float[ArrayLike, "*b n"],
    dt: float | None = None,
    *,
    segment_size: float | None = None,
    norm: str = "frac",
    times: ArrayLike | None = None,
) -> PowerSpectrum:
    """Segment-averaged power spectrum of counts per bin ``x`` (time on the last axis).

    Args:
        x: counts per bin (non-negative) or, with ``norm="psd"``, any real signal.
        dt: bin width (or give evenly spaced ``times``).
        segment_size: segment length in time units (a whole number of bins, at most the
            series); default: one segment, the periodogram.
        norm: "frac", "leahy", "abs" or "psd" (module docstring).
    """
    x, dt, nseg = _prepare(x, "x", norm, dt, times, segment_size)
    ft, mean, m = _segment_ffts(x, nseg)
    unnorm = jnp.mean(jnp.abs(ft) ** 2, axis=-2)
    power = unnorm * _norm_factor(norm, dt, nseg, mean, mean)[..., None]
    freq = jnp.asarray(fourier_frequencies(nseg, dt))
    mean_rate = mean / dt if norm != "psd" else mean
    return PowerSpectrum(
        freq=freq,
        power=power,
        m=jnp.full(freq.shape, float(m)),
        mean_rate=mean_rate,
        noise=poisson_level(norm, mean_rate),
        df=jnp.full(freq.shape, 1.0 / (nseg * dt)),
        norm=norm,
    )


def periodogram(
    x: Float[ArrayLike, "*b n"], dt: float | None = None, *, norm: str = "frac", times=None
) -> PowerSpectrum:
    """The periodogram of the whole series (one segment): :func:`power_spectrum`."""
    return power_spectrum(x, dt, norm=norm, times=times)


def cross_spectrum(
    x1: Float[ArrayLike, "*b n"],
    x2: Float[ArrayLike, "*b n"],
    dt: float | None = None,
    *,
    segment_size: float | None = None,
    norm: str = "frac",
    times: ArrayLike | None = None,
) -> CrossSpectrum:
    """Segment-averaged cross spectrum C = X¹* X² of two simultaneous light curves.

    Arguments as :func:`power_spectrum`; ``x1`` and ``x2`` must have the same shape.
    Both power spectra are returned with it (coherence and lag errors need them).
    """
    x1, dt, nseg = _prepare(x1, "x1", norm, dt, times, segment_size)
    check_series(x2, "x2", nonnegative=norm != "psd")
    x2 = _as_float(x2)
    if x2.shape != x1.shape:
        raise ValueError(f"x2 must have the shape of x1, {x1.shape}, got {x2.shape}")
    ft1, mean1, m = _segment_ffts(x1, nseg)
    ft2, mean2, _ = _segment_ffts(x2, nseg)
    cross = jnp.mean(jnp.conj(ft1) * ft2, axis=-2)
    p1 = jnp.mean(jnp.abs(ft1) ** 2, axis=-2)
    p2 = jnp.mean(jnp.abs(ft2) ** 2, axis=-2)
    freq = jnp.asarray(fourier_frequencies(nseg, dt))
    rate1, rate2 = (mean1 / dt, mean2 / dt) if norm != "psd" else (mean1, mean2)
    return CrossSpectrum(
        freq=freq,
        cross=cross * _norm_factor(norm, dt, nseg, mean1, mean2)[..., None],
        power1=p1 * _norm_factor(norm, dt, nseg, mean1, mean1)[..., None],
        power2=p2 * _norm_factor(norm, dt, nseg, mean2, mean2)[..., None],
        m=jnp.full(freq.shape, float(m)),
        mean_rate1=rate1,
        mean_rate2=rate2,
        noise1=poisson_level(norm, rate1),
        noise2=poisson_level(norm, rate2),
        df=jnp.full(freq.shape, 1.0 / (nseg * dt)),
        norm=norm,
    )


# ----------------------------------------------------------------------------- rebinning


def _groups(spec, group: np.ndarray, nbins: int):
    """Average every frequency-resolved field over bins of ``group`` (weights m)."""
    g = jnp.asarray(group)
    w = spec.m

    def avg(a):
        a = jnp.moveaxis(a, -1, 0)
        ww = w.reshape((-1,) + (1,) * (a.ndim - 1))
        s = jax.ops.segment_sum(a * ww, g, num_segments=nbins)
        tot = jax.ops.segment_sum(ww, g, num_segments=nbins)
        return jnp.moveaxis(s / tot, 0, -1)

    m = jax.ops.segment_sum(w, g, num_segments=nbins)
    df = jax.ops.segment_sum(spec.df, g, num_segments=nbins)
    fields = {"freq": avg(spec.freq), "m": m, "df": df}
    for name in ("power", "cross", "power1", "power2"):
        if hasattr(spec, name):
            fields[name] = avg(getattr(spec, name))
    return eqx.tree_at(lambda s: [getattr(s, k) for k in fields], spec, list(fields.values()))


def rebin(spec: PowerSpectrum | CrossSpectrum, factor: int) -> PowerSpectrum | CrossSpectrum:
    """Average every ``factor`` consecutive frequency bins (the incomplete tail dropped)."""
    if isinstance(factor, bool) or not isinstance(factor, int | np.integer) or factor < 1:
        raise ValueError(f"factor must be an integer >= 1, got {factor!r}")
    nf = spec.freq.shape[0]
    nbins = nf // factor
    if nbins < 1:
        raise ValueError(f"factor={factor} exceeds the number of frequency bins ({nf})")
    keep = nbins * factor
    return _groups(_take(spec, keep), np.arange(keep) // factor, nbins)


def rebin_log(spec: PowerSpectrum | CrossSpectrum, f: float = 0.1) -> PowerSpectrum | CrossSpectrum:
    """Geometric rebinning: each bin is (1 + f) times wider than the previous one.

    Bins start at the first frequency with the raw width df; a raw frequency belongs to
    the bin whose [low, high) holds it. Bin frequencies are the means of their raw ones.
    """
    if not (isinstance(f, int | float) and np.isfinite(f) and f >= 0):
        raise ValueError(f"f must be a finite number >= 0, got {f!r}")
    freq = np.asarray(spec.freq)
    df0 = float(np.asarray(spec.df)[0])
    edges = [freq[0] - df0 / 2]
    width = df0
    while edges[-1] <= freq[-1]:
        edges.append(edges[-1] + width)
        width *= 1 + f
    group = np.searchsorted(np.asarray(edges), freq, side="right") - 1
    _, group = np.unique(group, return_inverse=True)
    return _groups(spec, group, int(group.max()) + 1)


def _take(spec, keep: int):
    """The first ``keep`` frequency bins of every frequency-resolved field."""
    names = [
        n for n in ("freq", "m", "df", "power", "cross", "power1", "power2") if hasattr(spec, n)
    ]
    return eqx.tree_at(
        lambda s: [getattr(s, k) for k in names],
        spec,
        [getattr(spec, k)[..., :keep] for k in names],
    )


# ------------------------------------------------------------------- lags and coherence


def bias_term(cs: CrossSpectrum) -> Array:
    """Counting-noise bias of |⟨C⟩|²: n² = (⟨P1⟩⟨P2⟩ - S1 S2)/m (VN97; Ingram 2019)."""
    s1 = cs.power1 - cs.noise1[..., None]
    s2 = cs.power2 - cs.noise2[..., None]
    return (cs.power1 * cs.power2 - s1 * s2) / cs.m


def coherence(cs: CrossSpectrum, *, intrinsic: bool = False) -> tuple[Array, Array]:
    """Coherence and its 1σ error (Vaughan & Nowak 1997, ApJ 474, L43).

    raw: g² = (|⟨C⟩|² - n²)/(⟨P1⟩⟨P2⟩), error √(2/m) g (1 - g²);
    intrinsic: γ² = (|⟨C⟩|² - n²)/(S1 S2) with the noise-subtracted powers S_i, error from
    VN97 eq. (8) (valid for high powers and coherence; NaN where a noise-subtracted power
    is not positive). |⟨C⟩|² - n² is floored at 0.
    """
    b2 = bias_term(cs)
    c2 = jnp.abs(cs.cross) ** 2
    num = jnp.maximum(c2 - b2, 0.0)
    m = cs.m
    if not intrinsic:
        g2 = num / (cs.power1 * cs.power2)
        err = jnp.sqrt(2.0 / m) * jnp.sqrt(g2) * (1.0 - g2)
        return g2, jnp.maximum(err, 1.0 / m)
    n1, n2 = cs.noise1[..., None], cs.noise2[..., None]
    s1, s2 = cs.power1 - n1, cs.power2 - n2
    # undefined (NaN) where a band's power does not exceed its counting noise
    g2 = jnp.where((s1 > 0) & (s2 > 0), num / (s1 * s2), jnp.nan)
    # VN97 eq. (8): δγ²/γ² = m^-1/2 [2 m n⁴/(|C|² - n²)² + (N1/S1)² + (N2/S2)²
    #                                + m (δg²/g²)²]^1/2, m (δg²/g²)² = 2 (1-γ²)²/γ²
    # (Bendat & Piersol). Stingray 2.3 writes the first and last terms with (|C|² - 2n²)
    # and γ⁶; its errors agree with these at high coherence and low noise.
    term1 = 2.0 * b2**2 * m / num**2
    term2 = (n1 / s1) ** 2 + (n2 / s2) ** 2
    term3 = 2.0 * (1.0 - g2) ** 2 / g2
    err = g2 / jnp.sqrt(m) * jnp.sqrt(term1 + term2 + term3)
    return g2, err


def phase_lag(cs: CrossSpectrum) -> tuple[Array, Array]:
    """φ = arg⟨C⟩ (positive: series 1 lags series 2) and δφ = √((1-g²)/(2 g² m))."""
    g2, _ = coherence(cs)
    return jnp.angle(cs.cross), jnp.sqrt((1.0 - g2) / (2.0 * g2 * cs.m))


def time_lag(cs: CrossSpectrum) -> tuple[Array, Array]:
    """τ = φ/(2πf) and its error δφ/(2πf)."""
    phi, err = phase_lag(cs)
    w = 2 * jnp.pi * cs.freq
    return phi / w, err / w


__all__ = [
    "NORMS",
    "CrossSpectrum",
    "PowerSpectrum",
    "bias_term",
    "coherence",
    "cross_spectrum",
    "expected_periodogram",
    "fourier_frequencies",
    "periodogram",
    "phase_lag",
    "poisson_level",
    "power_spectrum",
    "rebin",
    "rebin_log",
    "time_lag",
]
