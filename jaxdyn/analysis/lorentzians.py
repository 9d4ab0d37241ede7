"""Multi-Lorentzian model of two energy bands: power spectra, cross spectrum, lags, coherence.

The broad-band variability of accreting compact objects is a sum of Lorentzians (Belloni,
Psaltis & van der Klis 2002, ApJ 572, 392). Following Méndez et al. (2024, MNRAS 527,
9405) and Bellavita et al. (2025, paper 15), each component i is *coherent* between
the two bands (band 1 is band 2's signal times a constant and delayed by a phase φ_i at
every frequency) and *incoherent* with the others, so

    S_1(f) = Σ_i L(f; f_i, w_i, r_1i) + N_1,     S_2(f) = Σ_i L(f; f_i, w_i, r_2i) + N_2,
    G(f)   = Σ_i √(L(f; f_i, w_i, r_1i) L(f; f_i, w_i, r_2i)) e^(iφ_i),

where G = E[X¹* X²] is the cross spectrum (a positive φ_i means band 1 lags band 2, the
convention of :mod:`jaxdyn.analysis.spectra`) and N_b the counting-noise levels. The real
and imaginary parts of G are themselves sums of Lorentzians weighted by cos φ_i and
sin φ_i: a component with φ ≈ ±π/2 adds almost only to Im G (an "imaginary QPO"). The
intrinsic coherence is γ² = |G|²/((S_1 - N_1)(S_2 - N_2)) and the lag arg G.

The Lorentzian L(f; f0, w, r) = r² (w/2)/(π/2 + arctan(2 f0/w)) / ((w/2)² + (f - f0)²)
has centroid f0, full width w and integrates to r² over f > 0 (so r is the fractional
rms of the component for "frac"-normalised spectra).

:meth:`MultiLorentzian.simulate` draws two-band light curves with exactly this cross
spectrum by Timmer & König: one set of Gaussian Fourier amplitudes per component, shared
by the bands, with band 1's rotated by e^(-iφ_i).
"""

from __future__ import annotations

import math

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float, PRNGKeyArray

from ..core import check_int
from ._series import check_dt
from .lightcurves import poisson_counts, rfft_frequencies
from .likelihoods import whittle_loglike, wishart_loglike


def lorentzian(f: ArrayLike, freq: ArrayLike, width: ArrayLike, rms: ArrayLike) -> Array:
    """L(f) = r² (w/2)/(π/2 + arctan(2f0/w)) / ((w/2)² + (f - f0)²), ∫_0^∞ L df = r²."""
    f = jnp.asarray(f, dtype=float)
    hw = jnp.asarray(width) / 2
    f0 = jnp.asarray(freq)
    norm = jnp.asarray(rms) ** 2 * hw / (math.pi / 2 + jnp.arctan(f0 / hw))
    return norm / (hw**2 + (f - f0) ** 2)


class MultiLorentzian(eqx.Module):
    """K Lorentzian components coherent across two bands, each with its own phase lag.

    Fields (each of shape ``(K,)``): ``freq`` centroids, ``width`` full widths, ``rms1``
    and ``rms2`` fractional rms in the two bands, ``lag`` phase lags (rad, band 1 behind
    band 2); ``noise1``, ``noise2``: counting-noise levels of the power spectra.
    """

    freq: Float[Array, " k"]
    width: Float[Array, " k"]
    rms1: Float[Array, " k"]
    rms2: Float[Array, " k"]
    lag: Float[Array, " k"]
    noise1: Float[Array, ""]
    noise2: Float[Array, ""]

    def __init__(self, freq, width, rms1, rms2, lag, noise1=0.0, noise2=0.0):
        vals = [jnp.atleast_1d(jnp.asarray(v, dtype=float)) for v in (freq, width, rms1, rms2, lag)]
        shapes = {v.shape for v in vals}
        if len(shapes) != 1 or len(next(iter(shapes))) != 1:
            raise ValueError(
                "freq, width, rms1, rms2 and lag must be 1-D arrays of one length (one entry "
                f"per component), got shapes {[v.shape for v in vals]}"
            )
        self.freq, self.width, self.rms1, self.rms2, self.lag = vals
        self.noise1 = jnp.asarray(noise1, dtype=float)
        self.noise2 = jnp.asarray(noise2, dtype=float)

    def __check_init__(self):
        checks = {"freq": (0.0, True), "width": (0.0, False), "rms1": (0.0, True)}
        checks.update({"rms2": (0.0, True), "noise1": (0.0, True), "noise2": (0.0, True)})
        for name, (lo, closed) in checks.items():
            v = getattr(self, name)
            if isinstance(v, jax.core.Tracer):
                continue
            ok = (v >= lo) if closed else (v > lo)
            if not bool(jnp.all(jnp.isfinite(v)) & jnp.all(ok)):
                bound = f">= {lo}" if closed else f"> {lo}"
                raise ValueError(f"MultiLorentzian: {name} must be finite and {bound}, got {v}")

    def components(self, f: ArrayLike) -> tuple[Array, Array]:
        """Per-component spectra in the two bands, shape ``(K, *f.shape)`` each."""
        f = jnp.asarray(f, dtype=float)
        p = lambda r: lorentzian(f[None], self.freq[:, None], self.width[:, None], r[:, None])
        return p(self.rms1), p(self.rms2)

    def spectra(self, f: ArrayLike) -> tuple[Array, Array, Array]:
        """(S_1, S_2, G) at ``f``, counting noise included in the power spectra."""
        l1, l2 = self.components(f)
        g = jnp.sum(jnp.sqrt(l1 * l2) * jnp.exp(1j * self.lag[:, None]), axis=0)
        return jnp.sum(l1, axis=0) + self.noise1, jnp.sum(l2, axis=0) + self.noise2, g

    def coherence(self, f: ArrayLike) -> Array:
        """Intrinsic coherence |G|²/((S_1 - N_1)(S_2 - N_2))."""
        s1, s2, g = self.spectra(f)
        return jnp.abs(g) ** 2 / ((s1 - self.noise1) * (s2 - self.noise2))

    def phase_lag(self, f: ArrayLike) -> Array:
        """arg G (rad)."""
        return jnp.angle(self.spectra(f)[2])

    def loglike(self, cs) -> Array:
        """Complex-Wishart log-likelihood of a :class:`~jaxdyn.analysis.spectra.CrossSpectrum`."""
        s1, s2, g = self.spectra(cs.freq)
        return wishart_loglike(s1, s2, g, cs.power1, cs.power2, cs.cross, cs.m)

    def loglike_power(self, ps, band: int) -> Array:
        """Whittle log-likelihood of one band's power spectrum (``band`` 1 or 2)."""
        s = self.spectra(ps.freq)[band - 1]
        return whittle_loglike(s, ps.power, ps.m)

    def simulate(
        self,
        key: PRNGKeyArray,
        n: int,
        dt: float,
        mean_rate1: float,
        mean_rate2: float,
        *,
        poisson: bool = True,
    ) -> Float[Array, "2 n"]:
        """Counts per bin in the two bands (rates r_b (1 + x_b(t)), Poisson if asked).

        x_b is the sum of the components' Timmer & König series with the model's
        per-component spectra and lags (``noise1/2`` are ignored: counting noise comes
        from the Poisson draw). Rates that fluctuate below zero are clipped.
        """
        n = check_int("n", n, 4)
        dt = check_dt(dt)
        k_amp, k1, k2 = jax.random.split(key, 3)
        f = rfft_frequencies(n, dt)
        f[0] = f[1]
        l1, l2 = self.components(f)
        k = self.freq.shape[0]
        re, im = jax.random.normal(k_amp, (2, k, f.shape[0]))
        g = (re + 1j * im) / jnp.sqrt(2.0)
        g = g.at[:, 0].set(0.0)
        if n % 2 == 0:
            g = g.at[:, -1].set(re[:, -1])
        scale = n / (2.0 * dt)
        a1 = jnp.sum(jnp.sqrt(l1 * scale) * g * jnp.exp(-1j * self.lag[:, None]), axis=0)
        a2 = jnp.sum(jnp.sqrt(l2 * scale) * g, axis=0)
        if n % 2 == 0:  # the Nyquist amplitude of a real series is real
            a1 = a1.at[-1].set(jnp.real(a1[-1]))
        x1 = jnp.fft.irfft(a1, n=n)
        x2 = jnp.fft.irfft(a2, n=n)
        rate1, rate2 = mean_rate1 * (1 + x1), mean_rate2 * (1 + x2)
        if not poisson:
            return jnp.stack([rate1 * dt, rate2 * dt])
        return jnp.stack([poisson_counts(k1, rate1, dt), poisson_counts(k2, rate2, dt)])


__all__ = ["MultiLorentzian", "lorentzian"]
