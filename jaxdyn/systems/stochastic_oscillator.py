"""A damped harmonic oscillator driven by white noise: a quasi-periodic oscillation (QPO).

State y = (x, v)::

    dx = v dt,
    dv = (-ω0² x - γ v) dt + σ dW,

with ω0 = 2π f0, γ = ω0/Q and σ = r ω0 √(2γ), so that the stationary variance of x is
r² (Var x = σ²/(2γω0²), Var v = ω0² Var x; Gardiner, "Handbook of Stochastic Methods",
sec. 4.4.6; Uhlenbeck & Ornstein 1930). The one-sided power spectrum of x (x²/Hz) is

    S(f) = 2σ² / ((ω0² - ω²)² + γ² ω²),   ω = 2πf,

a Lorentzian-like peak at f0 of full width ≈ f0/Q for Q >> 1 whose integral over f > 0
is r². This is the standard continuous-time model of a QPO (e.g. the damped random walk
generalised to a CARMA(2,1)-like oscillator, Kelly et al. 2014, ApJ 788, 33) and the
quasi-periodic signal injected in the wavelet experiment. The noise is additive, so Itô
and Stratonovich agree and any diffrax SDE solver is consistent.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float, PRNGKeyArray

from ..core import AbstractSDE


class StochasticOscillator(AbstractSDE):
    """Noise-driven damped oscillator with centre frequency f0, quality Q and rms r."""

    frequency: Float[Array, ""]
    quality: Float[Array, ""]
    rms: Float[Array, ""]

    name: ClassVar[str] = "stochastic_oscillator"
    paper: ClassVar[str] = "2"
    reference: ClassVar[str] = (
        "G. E. Uhlenbeck and L. S. Ornstein, Phys. Rev. 36, 823 (1930); C. W. Gardiner, "
        "Handbook of Stochastic Methods, sec. 4.4.6; B. C. Kelly et al., ApJ 788, 33 (2014)"
    )
    noise: ClassVar[str] = "additive"
    param_ranges: ClassVar[dict[str, tuple[float, float]]] = {
        "frequency": (1e-6, 1e6),
        "quality": (1e-2, 1e4),
        "rms": (0.0, 1e6),
    }
    #: one hundredth of the period of the default (1 Hz) oscillator
    default_dt: ClassVar[float] = 1e-2
    t_char: ClassVar[float] = 1.0

    def __init__(self, frequency: ArrayLike = 1.0, quality: ArrayLike = 10.0, rms: ArrayLike = 1.0):
        self.frequency = jnp.asarray(frequency, dtype=float)
        self.quality = jnp.asarray(quality, dtype=float)
        self.rms = jnp.asarray(rms, dtype=float)

    @property
    def omega0(self) -> Array:
        return 2 * jnp.pi * self.frequency

    @property
    def gamma(self) -> Array:
        """Damping rate γ = ω0/Q."""
        return self.omega0 / self.quality

    @property
    def sigma(self) -> Array:
        """Noise amplitude σ = r ω0 √(2γ) giving Var x = r²."""
        return self.rms * self.omega0 * jnp.sqrt(2 * self.gamma)

    def drift(self, t, y, args: Any = None):
        x, v = y[0], y[1]
        return jnp.stack([v, -(self.omega0**2) * x - self.gamma * v])

    def diffusion(self, t, y, args: Any = None):
        return jnp.stack([jnp.zeros_like(y[0]), jnp.broadcast_to(self.sigma, jnp.shape(y[1]))])

    def initial_state(self, key: PRNGKeyArray | None = None) -> Float[Array, " 2"]:
        """At rest for ``key=None``; otherwise a draw from the stationary distribution."""
        if key is None:
            return jnp.zeros(2)
        z = jax.random.normal(key, (2,))
        return jnp.stack([self.rms * z[0], self.rms * self.omega0 * z[1]])

    def psd(self, f: Float[ArrayLike, "..."]) -> Array:
        """One-sided power spectrum of x, S(f) = 2σ²/((ω0² - ω²)² + γ²ω²)."""
        w = 2 * math.pi * jnp.asarray(f, dtype=float)
        return 2 * self.sigma**2 / ((self.omega0**2 - w**2) ** 2 + (self.gamma * w) ** 2)

    def autocovariance(self, tau: Float[ArrayLike, "..."]) -> Array:
        """E[x(t) x(t+τ)] = r² e^(-γ|τ|/2) [cos ω_d τ + γ/(2ω_d) sin ω_d |τ|],
        ω_d = √(ω0² - γ²/4) (underdamped, Q > 1/2; the overdamped case continues
        analytically through cosh/sinh, written here with a complex ω_d)."""
        tau = jnp.abs(jnp.asarray(tau, dtype=float))
        g = self.gamma
        wd = jnp.sqrt((self.omega0**2 - g**2 / 4).astype(complex))
        c = jnp.cos(wd * tau) + g / (2 * wd) * jnp.sin(wd * tau)
        return self.rms**2 * jnp.exp(-g * tau / 2) * jnp.real(c)


__all__ = ["StochasticOscillator"]
