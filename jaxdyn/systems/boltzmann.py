"""The space-homogeneous Boltzmann equation of 2-D Maxwell molecules (one species).

    ∂f/∂t = Q(f, f),  Q(f, f)(v) = ∫_{R²} ∫_{S¹} (λ/2π) [f(v') f(v_*') - f(v) f(v_*)] dσ dv_*,
    v' = (v + v_*)/2 + |v - v_*| σ/2,  v_*' = (v + v_*)/2 - |v - v_*| σ/2,

solved by the fast spectral method of Mouhot & Pareschi (Math. Comp. 75, 1833 (2006)) on
the velocity grid of Pareschi & Russo (SIAM J. Numer. Anal. 37, 1217 (2000)); see
:mod:`jaxdyn.solvers.fast_spectral`. Velocities are in thermal units √(T₀/m).

2-D velocities: the Carleman kernel of 2-D Maxwell molecules separates exactly (the fast
method needs this: in 3-D it is hard spheres), the cost is O(M N² log N) instead of
O(M² N³ log N), and the exact Bobylev-Krook-Wu (BKW) solution exists: for λ = 1,
density 1 and temperature 1,

    f(t, v) = exp(-|v|²/2K) / (2π K²) [2K - 1 + (1 - K) |v|²/(2K)],  K = 1 - e^{-t/8}/2

(Bobylev, Sov. Phys. Dokl. 20, 820 (1976); Krook & Wu, Phys. Rev. Lett. 36, 1107 (1976);
the 2-D form as used by Pareschi & Russo 2000). With density ρ and temperature T the
solution is (ρ/T) f(ρλt, v/√T). This is the single-species operator that the mixture
systems (:mod:`.boltzmann_mixture`, :mod:`.boltzmann_ap`) use for self-collisions.
"""

from __future__ import annotations

import math
from typing import ClassVar

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float, PRNGKeyArray

from ..core import AbstractODE, is_concrete
from ..solvers.fast_spectral import VelocityGrid, collision_operator, maxwellian
from ._mixture import check_grid


def bkw(grid: VelocityGrid, t: ArrayLike, rate=1.0, density=1.0, temperature=1.0) -> Array:
    """The exact BKW solution on ``grid`` at time t >= 0 (module docstring)."""
    vx, vy = (jnp.asarray(a) for a in grid.mesh())
    r2 = (vx**2 + vy**2) / temperature
    K = 1.0 - 0.5 * jnp.exp(-density * rate * jnp.asarray(t) / 8.0)
    f = jnp.exp(-r2 / (2 * K)) / (2 * jnp.pi * K**2) * (2 * K - 1 + (1 - K) / (2 * K) * r2)
    return density / temperature * f


class Boltzmann2D(AbstractODE):
    """Space-homogeneous Boltzmann equation, 2-D Maxwell molecules, fast spectral method."""

    rate: Float[Array, ""]
    density: Float[Array, ""]
    temperature: Float[Array, ""]
    grid: VelocityGrid = eqx.field(static=True)
    n_angles: int = eqx.field(static=True)

    name: ClassVar[str] = "boltzmann2d"
    paper: ClassVar[str] = "9"
    reference: ClassVar[str] = (
        "C. Mouhot and L. Pareschi, Math. Comp. 75, 1833 (2006); L. Pareschi and G. Russo, "
        "SIAM J. Numer. Anal. 37, 1217 (2000); BKW: A. V. Bobylev, Sov. Phys. Dokl. 20, "
        "820 (1976), M. Krook and T. T. Wu, Phys. Rev. Lett. 36, 1107 (1976)"
    )
    param_ranges: ClassVar[dict[str, tuple[float, float]]] = {
        "rate": (1e-6, 1e6),
        "density": (1e-6, 1e6),
        "temperature": (1e-6, 1e6),
    }
    default_dt: ClassVar[float] = 0.1
    #: BKW relaxes at ρλ/8; a short run covers its first part
    t_char: ClassVar[float] = 1.0

    def __init__(
        self,
        rate: ArrayLike = 1.0,
        density: ArrayLike = 1.0,
        temperature: ArrayLike = 1.0,
        *,
        n_v: int = 48,
        v_max: float = 11.0,
        n_angles: int = 8,
    ):
        self.rate = jnp.asarray(rate, dtype=float)
        self.density = jnp.asarray(density, dtype=float)
        self.temperature = jnp.asarray(temperature, dtype=float)
        self.grid = VelocityGrid(n_v, v_max)
        if isinstance(n_angles, bool) or not isinstance(n_angles, int):
            raise TypeError(f"n_angles must be an integer, got {type(n_angles).__name__}")
        if not 2 <= n_angles <= 256:
            raise ValueError(f"n_angles must lie in [2, 256], got {n_angles}")
        self.n_angles = n_angles

    def validate(self) -> None:
        super().validate()
        if is_concrete((self.density, self.temperature)) and np.all(
            np.asarray([self.density, self.temperature]) > 0
        ):
            # the BKW ring at t = 0 is |v|² e^{-|v|²/T}: about 0.7 √T wide
            check_grid(
                type(self).__name__,
                self.grid,
                {
                    "initial (BKW)": self.initial_state(),
                    "equilibrium (Maxwellian)": maxwellian(
                        self.grid, self.density, jnp.zeros(2), self.temperature
                    ),
                },
                {"BKW distribution": 0.7 * math.sqrt(float(self.temperature))},
            )

    def initial_state(self, key: PRNGKeyArray | None = None) -> Float[Array, "n n"]:
        """The BKW solution at t = 0 (a ring, far from equilibrium); ``key`` is unused."""
        return self.bkw(0.0)

    def bkw(self, t: ArrayLike) -> Float[Array, "n n"]:
        """The exact solution from :meth:`initial_state` at time t."""
        return bkw(self.grid, t, self.rate, self.density, self.temperature)

    def drift(self, t, y, args=None):
        return collision_operator(y, self.grid, self.n_angles, self.rate)


__all__ = ["Boltzmann2D", "bkw"]
