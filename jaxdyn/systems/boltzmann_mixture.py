"""A binary Boltzmann mixture with disparate masses, solved directly (paper 9's reference).

    ∂f_l/∂t = Q_ll(f_l, f_l) + Q_lh(f_l, f_h),   ∂f_h/∂t = Q_hh(f_h, f_h) + Q_hl(f_h, f_l),

space-homogeneous, 2-D Maxwell molecules with the Degond & Lucquin-Desreux frequencies
λ_ll = λ_lh = 1, λ_hh = ε (:mod:`._mixture`), mass ratio μ = ε² = m_l/m_h. This is the
"direct implementation of the spectral method" of paper 9's abstract: both species live
on ONE velocity grid in physical velocities (light thermal units), where the heavy
Maxwellian is ε times narrower than the light one, and the four operators are the fast
spectral ones of :mod:`jaxdyn.solvers.fast_spectral` (the cross operators with the mass
factors a = m_j/(m_i+m_j) and a radial quadrature). Resolving both thermal speeds needs
n_v ∝ 1/ε points per direction, and the temperatures exchange on a time ∝ 1/ε² while an
explicit solver's step is bounded by the O(1) light collision time: the cost grows like
ε^{-2} (grid) x ε^{-1} (radial nodes) x ε^{-2} (steps). The asymptotic-preserving scheme
of :mod:`.boltzmann_ap` removes all three factors.

The state is an array (2, n_v, n_v): the light and the heavy distribution on the common
grid. :meth:`BoltzmannMixture.macroscopic` returns velocities and temperatures in each
species' own units, the same observables as the scaled systems.
"""

from __future__ import annotations

import math
from typing import ClassVar

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float, PRNGKeyArray

from ..analysis.kinetic import moments
from ..core import AbstractODE, is_concrete
from ..solvers.fast_spectral import (
    VelocityGrid,
    collision_operator,
    maxwellian,
    mixture_collision_operator,
)
from ._mixture import PARAM_RANGES, as_params, check_grid, frequencies, hot_temperature


class BoltzmannMixture(AbstractODE):
    """Light-heavy Boltzmann mixture on one velocity grid, fast spectral operators."""

    mass_ratio: Float[Array, ""]
    density_light: Float[Array, ""]
    density_heavy: Float[Array, ""]
    temperature_light: Float[Array, " 2"]
    temperature_heavy: Float[Array, " 2"]
    velocity_light: Float[Array, " 2"]
    velocity_heavy: Float[Array, " 2"]
    grid: VelocityGrid = eqx.field(static=True)
    n_angles: int = eqx.field(static=True)
    n_radial: int = eqx.field(static=True)

    name: ClassVar[str] = "boltzmann_mixture"
    paper: ClassVar[str] = "9"
    reference: ClassVar[str] = (
        "P. Degond and B. Lucquin-Desreux, Math. Models Methods Appl. Sci. 6, 405 (1996); "
        "fast spectral method: C. Mouhot and L. Pareschi, Math. Comp. 75, 1833 (2006); "
        "mixtures: L. Wu, J. Zhang, J. M. Reese and Y. Zhang, J. Comput. Phys. 298, 602 (2015)"
    )
    param_ranges: ClassVar[dict[str, tuple[float, float]]] = PARAM_RANGES
    default_dt: ClassVar[float] = 0.1
    t_char: ClassVar[float] = 0.5

    def __init__(
        self,
        mass_ratio: ArrayLike = 0.5,
        density_light: ArrayLike = 1.0,
        density_heavy: ArrayLike = 1.0,
        temperature_light: ArrayLike = (0.7, 0.35),
        temperature_heavy: ArrayLike = (0.6, 0.6),
        velocity_light: ArrayLike = (0.3, 0.0),
        velocity_heavy: ArrayLike = (0.0, 0.0),
        *,
        n_v: int = 48,
        v_max: float = 8.5,
        n_angles: int = 4,
        n_radial: int | None = None,
    ):
        p = as_params(
            mass_ratio,
            density_light,
            density_heavy,
            temperature_light,
            temperature_heavy,
            velocity_light,
            velocity_heavy,
        )
        for k, v in p.items():
            setattr(self, k, v)
        self.grid = VelocityGrid(n_v, v_max)
        for what, m, lo in (("n_angles", n_angles, 2), ("n_radial", n_radial or n_v, 4)):
            if isinstance(m, bool) or not isinstance(m, int):
                raise TypeError(f"{what} must be an integer, got {type(m).__name__}")
            if not lo <= m <= 1024:
                raise ValueError(f"{what} must lie in [{lo}, 1024], got {m}")
        self.n_angles = n_angles
        self.n_radial = n_radial or n_v

    @property
    def eps(self) -> Array:
        return jnp.sqrt(self.mass_ratio)

    def validate(self) -> None:
        super().validate()
        if not is_concrete(self.parameters()):
            return
        mu = float(self.mass_ratio)
        y0 = self.initial_state()
        Thot = hot_temperature(
            self.temperature_light,
            self.temperature_heavy,
            self.velocity_light,
            self.velocity_heavy,
            mu,
        )
        check_grid(
            type(self).__name__,
            self.grid,
            {
                "light": y0[0],
                "heavy": y0[1],
                "light (at the hottest temperature)": maxwellian(
                    self.grid, 1.0, self.velocity_light, Thot
                ),
            },
            {
                "light Maxwellian": math.sqrt(float(jnp.min(self.temperature_light))),
                "heavy Maxwellian (thermal speed ε√T in light units)": math.sqrt(
                    mu * float(jnp.min(self.temperature_heavy))
                ),
            },
        )

    def initial_state(self, key: PRNGKeyArray | None = None) -> Float[Array, "2 n n"]:
        """Bi-Maxwellians of both species on the common grid; ``key`` is unused."""
        fl = maxwellian(self.grid, self.density_light, self.velocity_light, self.temperature_light)
        fh = maxwellian(
            self.grid,
            self.density_heavy,
            self.eps * self.velocity_heavy,
            self.mass_ratio * self.temperature_heavy,
        )
        return jnp.stack([fl, fh])

    def drift(self, t, y, args=None):
        mu = self.mass_ratio
        nu_ll, nu_hh, nu_lh = frequencies(mu)
        fl, fh = y[0], y[1]
        g, M, R = self.grid, self.n_angles, self.n_radial
        dl = collision_operator(fl, g, M, nu_ll) + mixture_collision_operator(
            fl, fh, g, 1.0 / (1.0 + mu), M, R, nu_lh
        )
        dh = collision_operator(fh, g, M, nu_hh) + mixture_collision_operator(
            fh, fl, g, mu / (1.0 + mu), M, R, nu_lh
        )
        return jnp.stack([dl, dh])

    def macroscopic(self, y: Float[Array, "2 n n"]) -> dict[str, Array]:
        """Densities, velocities and temperature tensors in each species' own units; total
        momentum in heavy units (ε J_l + J_h) and energy ½∫|v|²f_l + ½∫|w|²f_h."""
        return scaled_observables(moments(y[0], self.grid), moments(y[1], self.grid), self.eps)


def scaled_observables(ml: dict, mh: dict, eps, heavy_physical: bool = True) -> dict[str, Array]:
    """Macroscopic observables in scaled units from the two species' grid moments.

    With ``heavy_physical`` the heavy moments are in physical (light) units and are
    rescaled: u_h = u/ε, Θ_h = Θ/ε².
    """
    uh, Th, eh = mh["velocity"], mh["temperature"], mh["energy"]
    if heavy_physical:
        uh, Th, eh = uh / eps, Th / eps**2, eh / eps**2
    return {
        "density": jnp.stack([ml["density"], mh["density"]], axis=-1),
        "u_light": ml["velocity"],
        "u_heavy": uh,
        "T_light": ml["temperature"],
        "T_heavy": Th,
        "momentum": eps * ml["density"][..., None] * ml["velocity"] + mh["density"][..., None] * uh,
        "energy": ml["energy"] + eh,
    }


__all__ = ["BoltzmannMixture", "scaled_observables"]
