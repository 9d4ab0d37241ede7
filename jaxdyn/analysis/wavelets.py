"""The Morlet continuous wavelet transform and its significance, in Torrence & Compo's conventions.

Torrence & Compo (1998, Bull. Amer. Meteor. Soc. 79, 61; "T&C"): the Morlet wavelet
ψ0(η) = π^-1/4 exp(iω0η) exp(-η²/2), ω0 = 6, with Fourier transform
ψ̂0(ω) = π^-1/4 H(ω) exp(-(ω - ω0)²/2). The transform of x_n (n = 0..N-1, step δt) at
scale s is computed through the FFT (T&C eq. 4),

    W_n(s) = Σ_k x̂_k ψ̂*(s ω_k) exp(i ω_k n δt),   ψ̂(sω) = (2π s/δt)^1/2 ψ̂0(sω),

with the series padded with zeros to the next power of two (T&C sec. 3f). Conventions:

* scales s_j = s0 2^(j δj), j = 0..J (T&C eqs. 9-10); defaults s0 = 2δt/λ (the smallest
  Fourier period is 2δt, as in pycwt) and J = round(log2(N δt/s0)/δj);
* Fourier period λ s with λ = 4π/(ω0 + √(2 + ω0²)) = 1.033 (T&C Table 1);
* cone of influence: the e-folding time √2 s, as a period λ d/√2 at distance d from
  the nearest edge (d = 1/2 bin at the edges, as pycwt);
* reconstruction x_n = δj δt^1/2/(C_δ ψ0(0)) Σ_j Re W_n(s_j)/s_j^1/2, C_δ = 0.776
  (T&C eq. 11, Table 2);
* significance: against a background Fourier spectrum P(f) the local wavelet power is
  distributed as B(s) χ²_2/2 with B(s) = P(1/(λ s)) in T&C's normalisation (variance
  units; T&C eq. 18); red noise is AR(1), P_k = σ²(1 - α²)/(1 + α² - 2α cos(2π δt/λs))
  (T&C eq. 16); the time-averaged (global) spectrum over n_a points has
  ν = 2 √(1 + (n_a δt/(γ s))²) degrees of freedom, γ = 2.32 (T&C eq. 23).

A power-law-plus-white background P(f) = A f^-α + C enters the same way
(:func:`power_law_background`). The transform is jnp (jit, vmap over many series,
gradients); ``tests/test_wavelets.py`` checks it against pycwt.
"""

from __future__ import annotations

import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import scipy.stats
from jaxtyping import Array, ArrayLike, Complex, Float

from ..core import check_int
from ._series import check_dt, check_series, resolve_dt

#: Morlet wave number and T&C Table 2 constants for it
OMEGA0 = 6.0
C_DELTA = 0.776
GAMMA = 2.32
DJ0 = 0.60
#: Fourier period / scale, 4π/(ω0 + √(2 + ω0²))
FOURIER_FACTOR = 4 * math.pi / (OMEGA0 + math.sqrt(2 + OMEGA0**2))


class WaveletTransform(eqx.Module):
    """A continuous wavelet transform: coefficients, scales, periods, cone of influence.

    Only ``wave`` is an array leaf (so a transform vmaps over series); the scales are
    static metadata and ``scales``, ``period``, ``coi`` and ``inside_coi`` are NumPy
    arrays, usable as constants inside traced code.

    Attributes:
        wave: W_n(s_j), shape ``(*batch, J+1, N)``.
        scales: s_j; period: λ s_j (Fourier periods).
        coi: the cone of influence as a period, shape ``(N,)``: power at periods above
            ``coi[n]`` is affected by the edges.
        dt, dj: time step and scale spacing.
    """

    wave: Complex[Array, "*b j n"]
    scale_values: tuple[float, ...] = eqx.field(static=True)
    dt: float = eqx.field(static=True)
    dj: float = eqx.field(static=True)

    @property
    def scales(self) -> np.ndarray:
        return np.asarray(self.scale_values)

    @property
    def period(self) -> np.ndarray:
        return FOURIER_FACTOR * self.scales

    @property
    def coi(self) -> np.ndarray:
        return cone_of_influence(self.wave.shape[-1], self.dt)

    @property
    def power(self) -> Float[Array, "*b j n"]:
        """|W_n(s)|² (variance units for a unit-normalised wavelet)."""
        return jnp.real(self.wave) ** 2 + jnp.imag(self.wave) ** 2

    @property
    def inside_coi(self) -> np.ndarray:
        """True where the power is free of edge effects (period below the cone)."""
        return self.period[:, None] <= self.coi[None, :]


def wavelet_scales(
    n: int, dt: float, *, dj: float = 1 / 12, s0: float | None = None, J: int | None = None
) -> np.ndarray:
    """T&C scales s0 2^(j δj), j = 0..J (defaults in the module docstring)."""
    n = check_int("n", n, 2)
    dj = check_dt(dj, "dj")
    s0 = 2 * dt / FOURIER_FACTOR if s0 is None else check_dt(s0, "s0")
    if J is None:
        J = int(round(math.log2(n * dt / s0) / dj))
    J = check_int("J", J, 0)
    return s0 * 2.0 ** (np.arange(J + 1) * dj)


def cone_of_influence(n: int, dt: float) -> np.ndarray:
    """The e-folding cone as a Fourier period: λ/√2 δt d_n, d_n = n/2 - |i - (n-1)/2|."""
    d = n / 2 - np.abs(np.arange(n) - (n - 1) / 2)
    return FOURIER_FACTOR / math.sqrt(2) * dt * d


def morlet_ft(s_omega: Array) -> Array:
    """ψ̂0(sω) = π^-1/4 H(sω) exp(-(sω - ω0)²/2)."""
    return jnp.where(s_omega > 0, math.pi**-0.25 * jnp.exp(-0.5 * (s_omega - OMEGA0) ** 2), 0.0)


def cwt(
    x: Float[ArrayLike, "*b n"],
    dt: float | None = None,
    *,
    dj: float = 1 / 12,
    s0: float | None = None,
    J: int | None = None,
    times: ArrayLike | None = None,
) -> WaveletTransform:
    """Morlet CWT of ``x`` (time on the last axis; leading axes are a batch).

    The series is used as given (T&C subtract the mean first; do so if the mean is not
    zero) and padded with zeros to the next power of two.
    """
    check_series(x, "x", min_length=4)
    x = jnp.asarray(x)
    if not jnp.issubdtype(x.dtype, jnp.floating):
        x = x.astype(float)
    n = x.shape[-1]
    dt = resolve_dt(dt, times, n)
    scales = wavelet_scales(n, dt, dj=dj, s0=s0, J=J)
    npad = 1 << (n - 1).bit_length()
    # The wavelet's Fourier transform is a function of constants only; the barrier keeps
    # XLA from constant-folding the (scales x frequencies) array at compile time.
    omega = jax.lax.optimization_barrier(jnp.asarray(2 * np.pi * np.fft.fftfreq(npad, dt), x.dtype))
    s = jnp.asarray(scales, x.dtype)[:, None]
    psi = jnp.sqrt(2 * jnp.pi * s / dt) * morlet_ft(s * omega[None, :])
    psi = jnp.reshape(psi, (1,) * (x.ndim - 1) + psi.shape)
    xf = jnp.fft.fft(x, n=npad, axis=-1)
    wave = jnp.fft.ifft(xf[..., None, :] * psi, axis=-1)[..., :n]
    return WaveletTransform(
        wave=wave, scale_values=tuple(float(v) for v in scales), dt=dt, dj=float(dj)
    )


def icwt(w: WaveletTransform) -> Float[Array, "*b n"]:
    """Inverse transform by the T&C delta-function reconstruction (eq. 11)."""
    psi0 = math.pi**-0.25
    terms = jnp.real(w.wave) / jnp.asarray(np.sqrt(w.scales))[:, None]
    return w.dj * math.sqrt(w.dt) / (C_DELTA * psi0) * jnp.sum(terms, axis=-2)


def global_spectrum(w: WaveletTransform, *, inside_coi: bool = False) -> tuple[Array, Array]:
    """Time-averaged wavelet power (T&C eq. 22) and the number of points averaged n_a.

    With ``inside_coi`` only the points free of edge effects are averaged.
    """
    p = w.power
    if not inside_coi:
        return jnp.mean(p, axis=-1), jnp.full(w.scales.shape, float(p.shape[-1]))
    mask = jnp.broadcast_to(w.inside_coi, p.shape)
    na = jnp.sum(mask, axis=-1).astype(float)
    return jnp.sum(jnp.where(mask, p, 0.0), axis=-1) / jnp.maximum(na, 1.0), na[(0,) * (p.ndim - 2)]


# ------------------------------------------------------------------------- backgrounds


def ar1_background(
    period: Float[ArrayLike, " j"], dt: float, alpha: ArrayLike, variance: ArrayLike = 1.0
) -> Array:
    """Expected wavelet power of AR(1) noise: σ²(1 - α²)/(1 + α² - 2α cos(2π δt/P)) (T&C eq. 16)."""
    a = jnp.asarray(alpha, dtype=float)[..., None]
    c = jnp.cos(2 * jnp.pi * dt / jnp.asarray(period))
    return jnp.asarray(variance, dtype=float)[..., None] * (1 - a**2) / (1 + a**2 - 2 * a * c)


def power_law_background(
    period: Float[ArrayLike, " j"],
    dt: float,
    amplitude: ArrayLike,
    index: ArrayLike,
    white: ArrayLike = 0.0,
) -> Array:
    """Expected wavelet power of a one-sided spectrum S(f) = A f^-α + C: S(1/P)/(2δt).

    In T&C's normalisation white noise of variance σ² (S = 2σ²δt) has wavelet power σ²;
    the same mapping applied to any smooth spectrum is T&C's sec. 4 prescription.
    """
    f = 1.0 / jnp.asarray(period)
    a, k, c = (jnp.asarray(v, dtype=float)[..., None] for v in (amplitude, index, white))
    return (a * f ** (-k) + c) / (2 * dt)


def lag1_autocorrelation(x: Float[ArrayLike, "*b n"]) -> Array:
    """Lag-1 autocorrelation of each series, the AR(1) α of a red-noise background."""
    x = jnp.asarray(x, dtype=float)
    x = x - jnp.mean(x, axis=-1, keepdims=True)
    return jnp.sum(x[..., 1:] * x[..., :-1], axis=-1) / jnp.sum(x * x, axis=-1)


# ------------------------------------------------------------------------- significance


def chi2_factor(dof: ArrayLike, level: float) -> np.ndarray:
    """χ²_ν(level)/ν: the significance level of power in units of its expected value."""
    if not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1), got {level!r}")
    dof = np.asarray(dof, dtype=float)
    return scipy.stats.chi2.ppf(level, dof) / dof


def global_dof(n_a: ArrayLike, scales: ArrayLike, dt: float) -> np.ndarray:
    """ν = 2 √(1 + (n_a δt/(γ s))²) of a time average over n_a points (T&C eq. 23)."""
    n_a, s = np.asarray(n_a, dtype=float), np.asarray(scales, dtype=float)
    return np.maximum(2.0 * np.sqrt(1 + (n_a * dt / (GAMMA * s)) ** 2), 2.0)


def pointwise_level(background: ArrayLike, level: float = 0.95) -> Array:
    """Local wavelet power at significance ``level``: B χ²_2(level)/2 = -B ln(1 - level)."""
    chi2_factor(2, level)
    return jnp.asarray(background) * (-math.log1p(-level))


def global_level(
    background: ArrayLike, n_a: ArrayLike, scales: ArrayLike, dt: float, level: float = 0.95
) -> np.ndarray:
    """Global (time-averaged) power at significance ``level``: B χ²_ν(level)/ν (T&C eq. 23)."""
    return np.asarray(background) * chi2_factor(global_dof(n_a, scales, dt), level)


def pointwise_pvalue(power: ArrayLike, background: ArrayLike) -> Array:
    """P(power >= observed | background) = exp(-power/B) for χ²_2/2 statistics."""
    return jnp.exp(-jnp.asarray(power) / jnp.asarray(background))


__all__ = [
    "C_DELTA",
    "DJ0",
    "FOURIER_FACTOR",
    "GAMMA",
    "OMEGA0",
    "WaveletTransform",
    "ar1_background",
    "chi2_factor",
    "cone_of_influence",
    "cwt",
    "global_dof",
    "global_level",
    "global_spectrum",
    "icwt",
    "lag1_autocorrelation",
    "morlet_ft",
    "pointwise_level",
    "pointwise_pvalue",
    "power_law_background",
    "wavelet_scales",
]
