"""The unforced Duffing oscillator, d²x/dt² = -δ dx/dt - α x - β x³.

With δ = 0.5, α = -1, β = 1 (the double-well example of Williams, Kevrekidis & Rowley,
J. Nonlinear Sci. 25, 1307 (2015), §4.2, whose EDMD used thin-plate RBFs) there are two
stable spirals at x = ±√(-α/β) = ±1 and a saddle at 0. Linearising at a spiral,
J = [[0, 1], [2α, -δ]] (using x*² = -α/β), with eigenvalues μ = -δ/2 ± √(δ²/4 + 2α):
-0.25 ± 1.3919i. The Koopman operator of the time-Δt map then has the eigenvalues
e^{(m μ + n μ̄)Δt} (m, n >= 0) from each basin, and 1 with multiplicity two (the basin
indicator functions, which are not smooth).
"""

from __future__ import annotations

from typing import ClassVar

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray

from ..core import AbstractODE


class Duffing(AbstractODE):
    """dx/dt = v, dv/dt = -δ v - α x - β x³; state (x, v)."""

    delta: Float[Array, ""]
    alpha: Float[Array, ""]
    beta: Float[Array, ""]

    name: ClassVar[str] = "duffing"
    paper: ClassVar[str] = "12"
    reference: ClassVar[str] = (
        "Duffing oscillator; EDMD example of Williams, Kevrekidis & Rowley, J. Nonlinear Sci. "
        "25, 1307 (2015)"
    )
    param_ranges: ClassVar[dict[str, tuple[float, float]]] = {
        "delta": (0.0, 1e3),
        "alpha": (-1e3, 1e3),
        "beta": (-1e3, 1e3),
    }
    default_dt: ClassVar[float] = 1e-2
    t_char: ClassVar[float] = 5.0

    def __init__(self, delta=0.5, alpha=-1.0, beta=1.0):
        self.delta = jnp.asarray(delta, dtype=float)
        self.alpha = jnp.asarray(alpha, dtype=float)
        self.beta = jnp.asarray(beta, dtype=float)

    def drift(self, t, y, args=None):
        x, v = y[..., 0], y[..., 1]
        return jnp.stack([v, -self.delta * v - self.alpha * x - self.beta * x**3], axis=-1)

    def initial_state(self, key: PRNGKeyArray | None = None) -> Array:
        """(1.5, 0), or uniform on [-2, 2]² when a key is given."""
        if key is None:
            return jnp.array([1.5, 0.0])
        return jax.random.uniform(key, (2,), minval=-2.0, maxval=2.0)

    def spiral_eigenvalues(self) -> Array:
        """Eigenvalues μ, μ̄ of the Jacobian at the stable equilibria x = ±√(-α/β) (α/β < 0)."""
        disc = (self.delta**2 / 4 + 2 * self.alpha).astype(complex)
        root = jnp.sqrt(disc)
        return jnp.stack([-self.delta / 2 + root, -self.delta / 2 - root])


__all__ = ["Duffing"]
