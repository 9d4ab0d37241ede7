"""The two-layer convolutional network of benign oscillation (paper 3).

    f(W, x) = F₊₁(W₊₁, x) - F₋₁(W₋₁, x),
    F_j(W_j, x) = (1/m) Σ_{r=1}^m Σ_{p=1}^P σ(⟨w_{j,r}, x⁽ᵖ⁾⟩),

with the squared ReLU σ(z) = max(0, z)² and the second layer fixed to ±1/m (Lu, Wu, Yang
and Zou, ICLR 2024; the architecture of Y. Cao, Z. Chen, M. Belkin and Q. Gu, NeurIPS
2022). The filters w_{j,r} ∈ R^d are shared over patches (a convolution with stride =
filter size); they start from N(0, σ₀² I). Trained on the square loss
L(W) = (1/2n) Σ_i (y_i - f(W, x_i))².
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray

from ..core import check_int


class PatchCNN(eqx.Module):
    """Filters ``weight[j, r]`` (j = 0 for the +1 output, 1 for -1), shape (2, m, d)."""

    weight: Float[Array, "2 m d"]

    def __init__(self, weight: Array):
        self.weight = jnp.asarray(weight)

    @classmethod
    def init(cls, key: PRNGKeyArray, dim: int, width: int, scale: float) -> PatchCNN:
        dim = check_int("dim", dim, 1)
        width = check_int("width", width, 1)
        return cls(scale * jax.random.normal(key, (2, width, dim)))

    def __call__(self, x: Float[Array, "n p d"]) -> Float[Array, " n"]:
        z = jnp.einsum("jrd,npd->njrp", self.weight, x)
        act = jnp.sum(jnp.square(jax.nn.relu(z)), axis=(2, 3)) / self.weight.shape[1]
        return act[:, 0] - act[:, 1]

    def alignment(self, direction: Array) -> Array:
        """Mean over filters of j⟨w_{j,r}, d̂⟩: how far the network has learned a feature."""
        d = direction / jnp.linalg.norm(direction)
        proj = self.weight @ d  # (2, m)
        return 0.5 * (jnp.mean(proj[0]) - jnp.mean(proj[1]))


def square_loss(model: PatchCNN, x: Array, y: Array) -> Array:
    """(1/2n) Σ (y - f(x))²."""
    return 0.5 * jnp.mean(jnp.square(y - model(x)))


def accuracy(model: PatchCNN, x: Array, y: Array) -> Array:
    """Fraction of examples with sign f(x) = y."""
    return jnp.mean(jnp.sign(model(x)) == y)


__all__ = ["PatchCNN", "accuracy", "square_loss"]
