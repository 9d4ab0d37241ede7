"""Jin's recharge oscillator of ENSO, with stochastic forcing (paper 11).

East-Pacific sea-surface temperature anomaly T and west-Pacific thermocline depth
anomaly h (Jin, J. Atmos. Sci. 54, 811 (1997), "An equatorial ocean recharge paradigm
for ENSO. Part I", eqs. (2.10)-(2.11), nondimensional; the cubic saturation as there):

    dT/dt = R T + γ h - ε (h + b T)³ + σ_T ξ_T(t),
    dh/dt = -r h - α b T + σ_h ξ_h(t),        b = b₀ μ,  R = γ b - c,

with white noises ξ (additive, Itô = Stratonovich). μ is the ocean-atmosphere coupling
coefficient; γ b T is the thermocline feedback, c the damping of T, r the damping of h
by the ocean adjustment and -α b T the discharge (recharge) of the equatorial heat
content by the wind-driven Sverdrup transport. Jin's scales: one time unit is 2 months,
one unit of T is 7.5 K, one of h 150 m; his values c = 1, γ = 0.75, r = 0.25, α = 0.125,
b₀ = 2.5 are the defaults.

Closed-form Hopf onset (derived here). The linearisation at (0, 0) has Jacobian
J = [[R, γ], [-α b, -r]]: tr J = γ b₀ μ - c - r, det J = -R r + α b γ. The pair of
eigenvalues crosses the imaginary axis (tr J = 0 with det J > 0) at

    μ_c = (c + r) / (γ b₀),        ω_c² = det J|_{μ_c} = α γ b₀ μ_c - r²,

so at Jin's values μ_c = 2/3 and ω_c = √0.09375 = 0.306 per 2 months: the period at
onset 2π/ω_c = 20.5 units = 41 months ≈ 3.4 years. For μ < μ_c the oscillation is damped
and noise sustains an irregular one; for μ > μ_c a limit cycle grows (supercritical, the
cubic saturating it, A² ∝ μ - μ_c).
"""

from __future__ import annotations

from typing import ClassVar

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray

from ..core import AbstractSDE

#: Jin (1997)'s nondimensional units
MONTHS_PER_UNIT = 2.0
KELVIN_PER_UNIT = 7.5
METRES_PER_UNIT = 150.0


class RechargeOscillator(AbstractSDE):
    """Stochastic recharge oscillator; state (T, h) in Jin's units (see module docstring)."""

    mu: Float[Array, ""]
    c: Float[Array, ""]
    gamma: Float[Array, ""]
    r: Float[Array, ""]
    alpha: Float[Array, ""]
    b0: Float[Array, ""]
    eps: Float[Array, ""]
    sigma_T: Float[Array, ""]
    sigma_h: Float[Array, ""]

    name: ClassVar[str] = "recharge_oscillator"
    paper: ClassVar[str] = "11"
    reference: ClassVar[str] = (
        "F.-F. Jin, 'An equatorial ocean recharge paradigm for ENSO. Part I: Conceptual "
        "model', J. Atmos. Sci. 54, 811 (1997)"
    )
    noise: ClassVar[str] = "additive"
    param_ranges: ClassVar[dict[str, tuple[float, float]]] = {
        "mu": (0.0, 10.0),
        "c": (0.0, 100.0),
        "gamma": (0.0, 100.0),
        "r": (0.0, 100.0),
        "alpha": (0.0, 100.0),
        "b0": (0.0, 100.0),
        "eps": (0.0, 100.0),
        "sigma_T": (0.0, 100.0),
        "sigma_h": (0.0, 100.0),
    }
    default_dt: ClassVar[float] = 0.05
    #: about one ENSO cycle (20 units = 40 months)
    t_char: ClassVar[float] = 20.0

    def __init__(
        self,
        mu=0.6,
        c=1.0,
        gamma=0.75,
        r=0.25,
        alpha=0.125,
        b0=2.5,
        eps=0.1,
        sigma_T=0.1,
        sigma_h=0.0,
    ):
        for k, v in dict(
            mu=mu,
            c=c,
            gamma=gamma,
            r=r,
            alpha=alpha,
            b0=b0,
            eps=eps,
            sigma_T=sigma_T,
            sigma_h=sigma_h,
        ).items():
            setattr(self, k, jnp.asarray(v, dtype=float))

    def drift(self, t, y, args=None):
        T, h = y[..., 0], y[..., 1]
        b = self.b0 * self.mu
        R = self.gamma * b - self.c
        dT = R * T + self.gamma * h - self.eps * (h + b * T) ** 3
        dh = -self.r * h - self.alpha * b * T
        return jnp.stack([dT, dh], axis=-1)

    def diffusion(self, t, y, args=None):
        return jnp.broadcast_to(jnp.stack([self.sigma_T, self.sigma_h]), jnp.shape(y))

    def initial_state(self, key: PRNGKeyArray | None = None) -> Array:
        """(0.1, 0) (a small warm anomaly), or a small Gaussian state when a key is given."""
        if key is None:
            return jnp.array([0.1, 0.0])
        return 0.1 * jax.random.normal(key, (2,))

    # --- closed forms -----------------------------------------------------------------
    def jacobian(self) -> Array:
        b = self.b0 * self.mu
        return jnp.array([[self.gamma * b - self.c, self.gamma], [-self.alpha * b, -self.r]])

    def growth_rate(self) -> Array:
        """Real part of the leading eigenvalue at (0, 0): tr J / 2 when oscillatory."""
        return jnp.max(jnp.real(jnp.linalg.eigvals(self.jacobian())))

    def onset_coupling(self) -> Array:
        """μ_c = (c + r) / (γ b₀): the Hopf bifurcation (tr J = 0)."""
        return (self.c + self.r) / (self.gamma * self.b0)

    def onset_frequency(self) -> Array:
        """ω_c = √(α γ b₀ μ_c - r²), per time unit."""
        return jnp.sqrt(self.alpha * self.gamma * self.b0 * self.onset_coupling() - self.r**2)

    def onset_period(self) -> Array:
        """2π/ω_c in time units (× 2 months)."""
        return 2.0 * jnp.pi / self.onset_frequency()

    def onset_period_years(self) -> Array:
        return self.onset_period() * MONTHS_PER_UNIT / 12.0


__all__ = ["KELVIN_PER_UNIT", "METRES_PER_UNIT", "MONTHS_PER_UNIT", "RechargeOscillator"]
