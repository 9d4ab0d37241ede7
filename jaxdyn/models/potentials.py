"""Learned potentials for latent Langevin dynamics.

:class:`CoupledOscillatorPotential` is the LangevinFlow potential (Song et al. 2025,
"Langevin Flows for Modeling Neural Latent Dynamics"): a ring of locally coupled
oscillators plus a small neural correction,

    U(z) = Σ_i ½ ω_i² z_i²  +  Σ_i c_i (1 - cos(z_{i+1} - z_i))  +  a · MLP(z),

with indices modulo the latent dimension d (nearest neighbours on a ring). The harmonic
term makes every coordinate an oscillator of frequency ω_i = exp(log ω_i) > 0 and keeps
the dynamics confined; the cosine (Kuramoto-like) term couples neighbours, biasing the
latent flow toward travelling/synchronising waves; the tanh MLP, scaled by ``a``
(initialised small), lets the model learn anharmonic, non-separable shape. The force
-∇U is taken by automatic differentiation.

The exact functional form of the paper's potential is not given in its abstract; this is
the standard choice named in the brief (harmonic on-site + cosine nearest-neighbour
coupling + MLP) and is documented as such.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray


class CoupledOscillatorPotential(eqx.Module):
    """U(z) for z of shape ``(dim,)``; call it for the energy, ``.force`` for -∇U."""

    log_omega: Float[Array, " d"]
    coupling: Float[Array, " d"]
    mlp: eqx.nn.MLP
    mlp_scale: Float[Array, ""]
    dim: int = eqx.field(static=True)

    def __init__(
        self,
        dim: int,
        *,
        key: PRNGKeyArray,
        width: int = 32,
        omega_range: tuple[float, float] = (0.5, 2.0),
        coupling_scale: float = 0.1,
        mlp_scale: float = 0.1,
    ):
        if not isinstance(dim, int) or dim < 1:
            raise ValueError(f"dim must be a positive integer, got {dim}")
        lo, hi = omega_range
        if not 0 < lo <= hi:
            raise ValueError(f"omega_range must satisfy 0 < low <= high, got {omega_range}")
        k_om, k_c, k_mlp = jax.random.split(key, 3)
        self.dim = dim
        # Frequencies drawn across the band, so the oscillators start with distinct periods.
        self.log_omega = jnp.log(jax.random.uniform(k_om, (dim,), minval=lo, maxval=hi))
        self.coupling = coupling_scale * jax.random.normal(k_c, (dim,))
        self.mlp = eqx.nn.MLP(dim, "scalar", width, 2, activation=jnp.tanh, key=k_mlp)
        self.mlp_scale = jnp.asarray(mlp_scale, dtype=self.log_omega.dtype)

    @property
    def omega(self) -> Array:
        return jnp.exp(self.log_omega)

    def __call__(self, z: Float[Array, " d"]) -> Float[Array, ""]:
        harmonic = 0.5 * jnp.sum(self.omega**2 * z**2)
        dz = jnp.roll(z, -1) - z
        coupled = jnp.sum(self.coupling * (1.0 - jnp.cos(dz)))
        return harmonic + coupled + self.mlp_scale * self.mlp(z)

    def force(self, z: Float[Array, " d"]) -> Float[Array, " d"]:
        """-∇U(z), by reverse-mode autodiff."""
        return -jax.grad(self.__call__)(z)
