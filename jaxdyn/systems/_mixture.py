"""What the Boltzmann-mixture systems share: parameters, collision frequencies, checks.

A light species (mass m_l, density n_l) and a heavy one (m_h, n_h), mass ratio
μ = ε² = m_l/m_h. Velocities in each species' own thermal unit (see
:mod:`jaxdyn.analysis.kinetic`), time in light-light collision times. The collision
kernels are 2-D Maxwell molecules whose frequencies follow the hard-sphere-like scaling
of Degond & Lucquin-Desreux (1996): a pair's frequency is its thermal relative speed
times a common cross-section, so in light collision times

    λ_ll = 1,  λ_lh = λ_hl = 1 (one physical kernel),  λ_hh = ε.

Light thermalisation then takes O(1), heavy thermalisation O(1/ε) and the exchange of
temperature O(1/ε²) (:func:`jaxdyn.analysis.kinetic.relaxation_rates`).
"""

from __future__ import annotations

import math
from typing import Any

import jax.numpy as jnp
import numpy as np

from ..core import is_concrete
from ..solvers.fast_spectral import VelocityGrid, truncated_mass

#: largest fraction of an initial distribution's mass allowed outside the resolved disk
MAX_TRUNCATED_MASS = 1e-4
#: fewest grid points per thermal speed (the spectrum of a Maxwellian sampled with
#: spacing h is cut at the Nyquist wave number where it is e^{-(π σ/h)²/2}: 1.5e-5 here)
MIN_POINTS_PER_THERMAL_SPEED = 1.5

PARAM_RANGES: dict[str, tuple[float, float]] = {
    "mass_ratio": (1e-12, 1.0),
    "density_light": (1e-6, 1e6),
    "density_heavy": (1e-6, 1e6),
    "temperature_light": (1e-6, 1e6),
    "temperature_heavy": (1e-6, 1e6),
    "velocity_light": (-1e3, 1e3),
    "velocity_heavy": (-1e3, 1e3),
}


def frequencies(mass_ratio) -> tuple[Any, float, float]:
    """(λ_ll, λ_hh, λ_lh) = (1, ε, 1): the collision frequencies per unit partner density."""
    return 1.0, jnp.sqrt(mass_ratio), 1.0


def as_params(mass_ratio, density_light, density_heavy, Tl, Th, ul, uh) -> dict[str, Any]:
    """The constructor arguments as float arrays (vectors of 2 for T and u)."""

    def vec(name, x):
        if np.ndim(x) == 0:
            return jnp.broadcast_to(jnp.asarray(x, dtype=float), (2,))
        if np.shape(x) != (2,):
            raise ValueError(f"{name} must be a scalar or a pair (x, y), got shape {np.shape(x)}")
        return jnp.asarray(x, dtype=float)

    return {
        "mass_ratio": jnp.asarray(mass_ratio, dtype=float),
        "density_light": jnp.asarray(density_light, dtype=float),
        "density_heavy": jnp.asarray(density_heavy, dtype=float),
        "temperature_light": vec("temperature_light", Tl),
        "temperature_heavy": vec("temperature_heavy", Th),
        "velocity_light": vec("velocity_light", ul),
        "velocity_heavy": vec("velocity_heavy", uh),
    }


def check_grid(
    owner: str,
    grid: VelocityGrid,
    states: dict[str, Any],
    widths: dict[str, float],
) -> None:
    """Refuse a grid too small for the initial distributions or too coarse for them.

    ``states``: name -> distribution on the grid (checked for the mass outside the disk
    |v| < S the collision integral resolves, :func:`truncated_mass`); ``widths``:
    name -> the smallest thermal speed (standard deviation) the grid must resolve
    (at least :data:`MIN_POINTS_PER_THERMAL_SPEED` points per thermal speed). Skipped
    for traced values.
    """
    if not is_concrete((list(states.values()), list(widths.values()))):
        return
    for what, f in states.items():
        lost = float(truncated_mass(f, grid))
        if not lost <= MAX_TRUNCATED_MASS:
            vx, vy = grid.mesh()
            fn = np.asarray(f)
            rho = fn.sum()
            # the disk holding all but MAX_TRUNCATED_MASS of the mass sets the needed S
            r = np.sqrt(vx**2 + vy**2).ravel()
            order = np.argsort(r)
            cum = np.cumsum(fn.ravel()[order]) / rho
            need_s = r[order][min(np.searchsorted(cum, 1 - MAX_TRUNCATED_MASS), r.size - 1)]
            need = 0.5 * (3 + math.sqrt(2)) * need_s
            raise ValueError(
                f"{owner}: v_max = {grid.v_max:g} is too small for the initial temperatures: "
                f"the {what} distribution has a fraction {lost:.2e} of its mass outside the "
                f"disk |v| < S = {grid.support:.3g} that the collision integral resolves "
                f"(allowed {MAX_TRUNCATED_MASS:g}); use v_max >= {max(need, grid.v_max):.3g}"
            )
    for what, sigma in widths.items():
        ppw = MIN_POINTS_PER_THERMAL_SPEED
        if grid.h * ppw > float(sigma) * (1 + 1e-12):
            need = 2 * math.ceil(ppw * grid.v_max / float(sigma))
            raise ValueError(
                f"{owner}: n_v = {grid.n} is an unsupported resolution for the {what}: the "
                f"grid spacing h = {grid.h:.3g} is more than 1/{ppw:g} of its thermal speed "
                f"{float(sigma):.3g}; use n_v >= {need}"
            )


def hot_temperature(Tl, Th, ul, uh, mass_ratio) -> float:
    """The largest isotropic temperature the mixture reaches (drift heat included)."""
    eps = math.sqrt(float(mass_ratio))
    rel = np.asarray(ul) - eps * np.asarray(uh)
    return max(float(np.mean(Tl)) + 0.5 * float(rel @ rel), float(np.mean(Th)))


__all__ = [
    "MAX_TRUNCATED_MASS",
    "MIN_POINTS_PER_THERMAL_SPEED",
    "PARAM_RANGES",
    "as_params",
    "check_grid",
    "frequencies",
    "hot_temperature",
]
