"""The Gauss iterated map x_{n+1} = exp(-α x_n²) + β (a smooth map of an interval).

With β = -1 - e^{-α} the map sends [-1, 0] into itself and x = -1 is a fixed point with
multiplier λ = F'(-1) = 2α e^{-α}. α = 2 is the example of Colbrook & Townsend (Commun.
Pure Appl. Math. 77, 221 (2024), §5), also used in paper 12: there F(x) - x nearly
touches zero near x ≈ -0.30 (a "ghost" of a saddle-node, F(x) - x ≈ -6.5e-5), so orbits
from the right of it linger ~380 steps before converging to -1 (λ = 4e^{-2} ≈ 0.5413).

For α = 1 (β = -1 - e^{-1}) the map is a contraction of [-1, 0] (max |F'| = √(2/e) ≈
0.858) onto -1 with λ = 2/e ≈ 0.7358. By Koenigs' linearisation theorem there is then an
analytic, bounded φ on [-1, 0] with φ ∘ F = λ φ, so the Koopman operator 𝒦g = g ∘ F has
the eigenvalues 1, λ, λ², ... with eigenfunctions φ^k: exact answers for Residual DMD.
(For α = 2 the Koenigs function still exists but grows like λ^{-380} across the ghost,
so these eigenvalues are invisible in L² to any finite dictionary.) On L²([-1, 0]) the
operator is not normal, and much of the disk inside |z| < 1 is approximate spectrum.
"""

from __future__ import annotations

import math
from typing import ClassVar

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray

from ..core import AbstractMap

#: β = -1 - e^{-2}: with α = 2, x = -1 is a fixed point
BETA_DEFAULT = -1.0 - math.exp(-2.0)


class GaussMap(AbstractMap):
    """x_{n+1} = exp(-α x_n²) + β; default α = 2, β = -1 - e^{-2} (maps [-1, 0] into itself).

    (β does not follow α: with another α, pass β = -1 - e^{-α} to keep -1 a fixed point.)
    """

    alpha: Float[Array, ""]
    beta: Float[Array, ""]

    name: ClassVar[str] = "gauss_map"
    paper: ClassVar[str] = "12"
    reference: ClassVar[str] = (
        "Gauss iterated map; Colbrook & Townsend, 'Rigorous data-driven computation of "
        "spectral properties of Koopman operators', Commun. Pure Appl. Math. 77 (2024)"
    )
    param_ranges: ClassVar[dict[str, tuple[float, float]]] = {
        "alpha": (0.0, 1e3),
        "beta": (-1e3, 1e3),
    }
    random_steps: ClassVar[bool] = False
    t_char: ClassVar[float] = 10.0

    def __init__(self, alpha=2.0, beta=BETA_DEFAULT):
        self.alpha = jnp.asarray(alpha, dtype=float)
        self.beta = jnp.asarray(beta, dtype=float)

    def step(self, t, y, key, args=None):
        return jnp.exp(-self.alpha * y * y) + self.beta

    def initial_state(self, key: PRNGKeyArray | None = None) -> Array:
        """-0.5, or uniform on [-1, 0] when a key is given."""
        if key is None:
            return jnp.asarray(-0.5)
        return jax.random.uniform(key, (), minval=-1.0, maxval=0.0)

    def derivative(self, x) -> Array:
        """F'(x) = -2αx exp(-αx²)."""
        return -2.0 * self.alpha * x * jnp.exp(-self.alpha * x * x)

    def fixed_point(self, x0: float = -1.0, iters: int = 50) -> Array:
        """A fixed point F(x*) = x* by Newton's method from ``x0`` (-1 exactly by default)."""
        x = jnp.asarray(x0, dtype=float)
        for _ in range(iters):
            x = x - (self.step(0.0, x, None) - x) / (self.derivative(x) - 1.0)
        return x

    def koopman_eigenvalues(self, n: int) -> Array:
        """1, λ, ..., λ^{n-1} with λ = F'(x*) at the attracting fixed point (Koenigs; exact
        L² eigenvalues when F contracts the interval, e.g. α = 1)."""
        lam = self.derivative(self.fixed_point())
        return lam ** jnp.arange(n)


__all__ = ["BETA_DEFAULT", "GaussMap"]
