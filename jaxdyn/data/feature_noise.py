"""The feature-noise data model of benign oscillation (paper 3).

M. Lu, B. Wu, X. Yang and D. Zou, "Benign oscillation of stochastic gradient descent
with large learning rates" (ICLR 2024, arXiv:2310.17074): every example (x, y),
y = ±1 with equal probability, is a set of P patches x = (x⁽¹⁾, ..., x⁽ᴾ⁾) in R^d,

* x⁽¹⁾ = y v: the *weak* feature, present in every example, |v| = ``weak`` (small);
* x⁽²⁾ = b y u: the *strong* feature, |u| = ``strong`` (large), present (b = 1) in a
  fraction ``rho`` of the examples and absent (b = 0, a zero patch) in the others;
* x⁽³⁾, ..., x⁽ᴾ⁾ = ξ ~ N(0, σ² (I - v̂v̂ᵀ - ûûᵀ)): noise orthogonal to both features.

The features are fixed orthogonal directions, v = ``weak`` e₁ and u = ``strong`` e₂ (the
abstract leaves their choice open; any orthonormal pair is equivalent up to a rotation).
"Weak-only" test examples have b = 0: only the weak feature can classify them.
"""

from __future__ import annotations

from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray

from ..core import check_int, check_ranges


class FeatureNoiseData(eqx.Module):
    """Sampler of the feature-noise model; ``sample(key, n)`` -> (x, y, b)."""

    weak: Float[Array, ""]
    strong: Float[Array, ""]
    rho: Float[Array, ""]
    sigma: Float[Array, ""]
    dim: int = eqx.field(static=True)
    patches: int = eqx.field(static=True)

    ranges: ClassVar[dict[str, tuple[float, float]]] = {
        "weak": (0.0, 1e3),
        "strong": (0.0, 1e3),
        "rho": (0.0, 1.0),
        "sigma": (0.0, 1e3),
    }

    def __init__(self, weak=0.2, strong=1.0, rho=0.8, sigma=0.05, dim=200, patches=3):
        check_ranges(
            "FeatureNoiseData",
            self.ranges,
            {"weak": weak, "strong": strong, "rho": rho, "sigma": sigma},
        )
        self.weak = jnp.asarray(weak, dtype=float)
        self.strong = jnp.asarray(strong, dtype=float)
        self.rho = jnp.asarray(rho, dtype=float)
        self.sigma = jnp.asarray(sigma, dtype=float)
        self.dim = check_int("dim", dim, 3)
        self.patches = check_int("patches", patches, 3)

    def features(self) -> tuple[Array, Array]:
        """(v, u): the weak and the strong feature vectors."""
        e = jnp.eye(self.dim)
        return self.weak * e[0], self.strong * e[1]

    def sample(
        self, key: PRNGKeyArray, n: int, weak_only: bool = False
    ) -> tuple[Float[Array, "n p d"], Float[Array, " n"], Float[Array, " n"]]:
        """``n`` examples: patches (n, P, d), labels ±1 (n,), strong indicator b (n,)."""
        ky, kb, kn = jax.random.split(key, 3)
        y = jnp.where(jax.random.bernoulli(ky, 0.5, (n,)), 1.0, -1.0)
        if weak_only:
            b = jnp.zeros(n)
        else:
            b = jax.random.bernoulli(kb, self.rho, (n,)).astype(y.dtype)
        v, u = self.features()
        xi = self.sigma * jax.random.normal(kn, (n, self.patches - 2, self.dim), y.dtype)
        xi = xi.at[..., :2].set(0.0)  # orthogonal to e₁ and e₂, i.e. to v and u
        weak_patch = y[:, None, None] * jnp.broadcast_to(v, (n, 1, self.dim))
        strong_patch = (b * y)[:, None, None] * jnp.broadcast_to(u, (n, 1, self.dim))
        return jnp.concatenate([weak_patch, strong_patch, xi], axis=1), y, b


__all__ = ["FeatureNoiseData"]
