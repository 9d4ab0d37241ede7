"""The Lorenz system (E. N. Lorenz, J. Atmos. Sci. 20, 130 (1963)).

    dx/dt = σ (y - x),   dy/dt = x (ρ - z) - y,   dz/dt = x y - β z.

Chaotic for the classic σ = 10, ρ = 28, β = 8/3.
"""

from __future__ import annotations

from typing import ClassVar

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray

from ..core import AbstractODE


class Lorenz(AbstractODE):
    """The Lorenz system; chaotic at the classic σ = 10, ρ = 28, β = 8/3."""

    sigma: Float[Array, ""]
    rho: Float[Array, ""]
    beta: Float[Array, ""]

    name: ClassVar[str] = "lorenz"
    reference: ClassVar[str] = "E. N. Lorenz, 'Deterministic nonperiodic flow', J. Atmos. Sci. 1963"
    param_ranges: ClassVar[dict[str, tuple[float, float]]] = {
        "sigma": (0.0, 1e4),
        "rho": (-1e4, 1e4),
        "beta": (0.0, 1e4),
    }
    default_dt: ClassVar[float] = 1e-3
    #: about one loop around a lobe of the attractor
    t_char: ClassVar[float] = 1.0

    def __init__(self, sigma=10.0, rho=28.0, beta=8.0 / 3.0):
        self.sigma = jnp.asarray(sigma, dtype=float)
        self.rho = jnp.asarray(rho, dtype=float)
        self.beta = jnp.asarray(beta, dtype=float)

    def drift(self, t, y, args=None):
        x, yy, z = y[..., 0], y[..., 1], y[..., 2]
        return jnp.stack(
            [self.sigma * (yy - x), x * (self.rho - z) - yy, x * yy - self.beta * z], axis=-1
        )

    def initial_state(self, key: PRNGKeyArray | None = None):
        """(1, 0, 0), or a random point near the attractor's lobes when a key is given."""
        if key is None:
            return jnp.array([1.0, 0.0, 0.0])
        return jnp.array([0.0, 0.0, 25.0]) + jax.random.normal(key, (3,)) * jnp.array(
            [8.0, 8.0, 8.0]
        )
