"""Stationary Gaussian light curves with a given power spectrum (Timmer & König 1995).

Timmer & König (A&A 300, 707, 1995): draw each Fourier amplitude of a series of n bins as
a complex Gaussian whose variance is the target spectrum, X_k = √(S(f_k) n / (2 dt))
(a_k + i b_k)/√2 with a_k, b_k ~ N(0, 1) independent, and invert the FFT. With the
one-sided spectrum S (x²/Hz) the expected periodogram of the whole series in the "psd"
normalisation of :mod:`jaxdyn.analysis.spectra`, 2 dt |X_k|²/n, is exactly S(f_k) (the
series is periodic, so there is no leakage), and its variance is Σ_k S(f_k)/(n dt).

:func:`tk_amplitudes` exposes the amplitudes so that several bands can share one draw
with a phase shift per component (coherent components with lags, as in
:class:`~jaxdyn.analysis.lorentzians.MultiLorentzian`); :func:`poisson_counts` turns a
rate into counts. Everything is jnp and takes explicit keys (vmappable over keys).
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Complex, Float, PRNGKeyArray

from ..core import check_int
from ._series import check_dt


def rfft_frequencies(n: int, dt: float) -> np.ndarray:
    """Frequencies of the rfft bins 0..n//2 of a series of n bins of width dt."""
    return np.fft.rfftfreq(n, dt)


def tk_amplitudes(
    key: PRNGKeyArray, psd: Float[ArrayLike, "*b k"], n: int, dt: float
) -> Complex[Array, "*b k"]:
    """Random rfft amplitudes (bins 0..n//2) whose expected power is ``psd`` (one-sided).

    ``psd`` holds S at :func:`rfft_frequencies`; the zero-frequency amplitude is set to 0
    and, for even n, the Nyquist amplitude is real. Leading axes of ``psd`` are batch axes.
    """
    psd = jnp.asarray(psd, dtype=float)
    scale = jnp.sqrt(psd * n / (2.0 * dt))
    re, im = jax.random.normal(key, (2, *psd.shape))
    amp = scale * (re + 1j * im) / jnp.sqrt(2.0)
    amp = amp.at[..., 0].set(0.0)
    if n % 2 == 0:
        amp = amp.at[..., -1].set(scale[..., -1] * re[..., -1])
    return amp


def timmer_koenig(
    key: PRNGKeyArray,
    psd: Callable[[Array], Array] | Float[ArrayLike, " k"],
    n: int,
    dt: float,
    *,
    mean: float = 0.0,
) -> Float[Array, " n"]:
    """A stationary Gaussian series of n bins with one-sided power spectrum ``psd``.

    Args:
        key: PRNG key.
        psd: a function S(f) (x²/Hz, evaluated at f > 0) or its values at the rfft
            frequencies 0..n//2 (the zero-frequency value is ignored).
        n: number of bins; dt: bin width.
        mean: added to the series.
    """
    n = check_int("n", n, 2)
    dt = check_dt(dt)
    if callable(psd):
        f = rfft_frequencies(n, dt)
        f[0] = f[1]  # the zero-frequency power is discarded; avoid f = 0 singularities
        psd = psd(jnp.asarray(f))
    psd = jnp.asarray(psd, dtype=float)
    if psd.shape[-1] != n // 2 + 1:
        raise ValueError(f"psd must have n//2 + 1 = {n // 2 + 1} values, got {psd.shape[-1]}")
    return jnp.fft.irfft(tk_amplitudes(key, psd, n, dt), n=n) + mean


def power_law(f: Array, amplitude: float, index: float, white: float = 0.0) -> Array:
    """S(f) = amplitude f^-index + white (the red-plus-white background)."""
    return amplitude * jnp.asarray(f) ** (-index) + white


def poisson_counts(key: PRNGKeyArray, rate: Float[ArrayLike, "..."], dt: float) -> Array:
    """Counts per bin ~ Poisson(rate dt), negative rates clipped to 0 (float array)."""
    lam = jnp.clip(jnp.asarray(rate, dtype=float) * dt, 0.0, None)
    return jax.random.poisson(key, lam).astype(float)


__all__ = [
    "poisson_counts",
    "power_law",
    "rfft_frequencies",
    "timmer_koenig",
    "tk_amplitudes",
]
