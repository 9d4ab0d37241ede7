"""The nonlinear pendulum, dθ/dt = p, dp/dt = -ω₀² sin θ (Hamiltonian H = p²/2 - ω₀² cos θ).

The flow preserves the Lebesgue measure dθ dp of the cylinder (Liouville), so its
Koopman operator is unitary on L²(S¹ x R): every spectral value lies on the unit circle
and, for any candidate pair (λ, φ), ||(𝒦 - λ)φ|| >= |1 - |λ|| ||φ||. The rotation
frequency varies with the energy, so the spectrum is continuous apart from the
eigenvalue 1 (functions of H). This is the measure-preserving example of Colbrook &
Townsend (Commun. Pure Appl. Math. 77, 221 (2024)) and of paper 12.
"""

from __future__ import annotations

from typing import ClassVar

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray

from ..core import AbstractODE


class Pendulum(AbstractODE):
    """dθ/dt = p, dp/dt = -ω₀² sin θ; state (θ, p)."""

    omega0: Float[Array, ""]

    name: ClassVar[str] = "pendulum"
    paper: ClassVar[str] = "12"
    reference: ClassVar[str] = "The simple pendulum; measure-preserving example of paper 12"
    param_ranges: ClassVar[dict[str, tuple[float, float]]] = {"omega0": (1e-6, 1e3)}
    default_dt: ClassVar[float] = 1e-2
    t_char: ClassVar[float] = 6.283185307179586

    def __init__(self, omega0=1.0):
        self.omega0 = jnp.asarray(omega0, dtype=float)

    def drift(self, t, y, args=None):
        return jnp.stack([y[..., 1], -(self.omega0**2) * jnp.sin(y[..., 0])], axis=-1)

    def energy(self, y) -> Array:
        """H = p²/2 - ω₀² cos θ (conserved)."""
        return 0.5 * y[..., 1] ** 2 - self.omega0**2 * jnp.cos(y[..., 0])

    def initial_state(self, key: PRNGKeyArray | None = None) -> Array:
        """(1, 0), or θ uniform on [-π, π) and p standard normal when a key is given."""
        if key is None:
            return jnp.array([1.0, 0.0])
        k1, k2 = jax.random.split(key)
        return jnp.stack(
            [jax.random.uniform(k1, (), minval=-jnp.pi, maxval=jnp.pi), jax.random.normal(k2)]
        )


__all__ = ["Pendulum"]
