"""Underdamped Langevin dynamics in a learned potential: a neural vector field as a System.

State y = (z, v) ∈ R^{2d} (position, velocity), unit mass::

    dz = v dt,
    dv = (-∇U(z) - γ ⊙ v) dt + σ dW,

with U any differentiable scalar function of z (an equinox Module, e.g.
:class:`jaxdyn.models.potentials.CoupledOscillatorPotential`), damping γ ≥ 0 (scalar or
per coordinate) and additive noise σ ≥ 0 on the velocity only. With γ = σ = 0 the flow is
Hamiltonian and conserves the energy E = ½|v|² + U(z); with γ > 0 and σ² = 2γ/β it
samples exp(-β E) (the Langevin thermostat). This is the latent prior of LangevinFlow
(Song et al. 2025). Because the potential is a field of the System, ``simulate``
differentiates through the solve to the network weights: the core carries neural vector
fields unchanged.

The noise is declared ``"additive"`` (the diffusion depends on neither t nor y), so Itô
and Stratonovich coincide and Heun's method is a consistent SDE solver.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray

from ..core import AbstractSDE


class Harmonic(eqx.Module):
    """U(z) = ½ k |z|², the default potential (a set of independent oscillators)."""

    stiffness: float = 1.0

    def __call__(self, z: Float[Array, " d"]) -> Float[Array, ""]:
        return 0.5 * self.stiffness * jnp.sum(z**2)


class UnderdampedLangevin(AbstractSDE):
    """Underdamped Langevin equation with potential ``potential(z) -> scalar``."""

    potential: Callable[[Array], Array]
    gamma: Float[Array, "..."]
    sigma: Float[Array, "..."]
    dim: int = eqx.field(static=True)

    name: ClassVar[str] = "underdamped_langevin"
    reference: ClassVar[str] = (
        "Y. Song et al., 'Langevin Flows for Modeling Neural Latent Dynamics', 2025; "
        "G. A. Pavliotis, 'Stochastic Processes and Applications', Springer 2014, ch. 6"
    )
    noise: ClassVar[str] = "additive"
    param_ranges: ClassVar[dict[str, tuple[float, float]]] = {
        "gamma": (0.0, 1e4),
        "sigma": (0.0, 1e4),
    }
    paper: ClassVar[str] = "8"
    default_dt: ClassVar[float] = 1e-2
    #: the period of the default (unit-stiffness) oscillators
    t_char: ClassVar[float] = 2 * 3.141592653589793

    def __init__(self, potential=None, dim: int = 2, gamma=0.1, sigma=0.0):
        potential = Harmonic() if potential is None else potential
        if not isinstance(dim, int) or dim < 1:
            raise ValueError(f"dim must be a positive integer, got {dim}")
        if not callable(potential):
            raise TypeError("potential must be callable: potential(z) -> scalar energy")
        self.potential = potential
        self.dim = dim
        self.gamma = _as_float(gamma)
        self.sigma = _as_float(sigma)

    def split(self, y: Float[Array, " 2d"]) -> tuple[Array, Array]:
        return y[..., : self.dim], y[..., self.dim :]

    def force(self, z: Float[Array, " d"]) -> Float[Array, " d"]:
        return -jax.grad(lambda q: self.potential(q))(z)

    def drift(self, t, y, args: Any = None):
        z, v = self.split(y)
        return jnp.concatenate([v, self.force(z) - self.gamma * v])

    def diffusion(self, t, y, args: Any = None):
        z, v = self.split(y)
        return jnp.concatenate([jnp.zeros_like(z), jnp.broadcast_to(self.sigma, v.shape)])

    def energy(self, y: Float[Array, " 2d"]) -> Float[Array, ""]:
        """E = ½|v|² + U(z), conserved when γ = σ = 0."""
        z, v = self.split(y)
        return 0.5 * jnp.sum(v**2) + self.potential(z)

    def initial_state(self, key: PRNGKeyArray | None = None):
        if key is None:
            return jnp.zeros(2 * self.dim)
        return jax.random.normal(key, (2 * self.dim,))


def _as_float(x) -> Array:
    # Keep the dtype of a floating array (a float32 model stays float32 under x64).
    x = jnp.asarray(x)
    return x if jnp.issubdtype(x.dtype, jnp.floating) else x.astype(float)
