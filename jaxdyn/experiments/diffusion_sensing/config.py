"""Configuration and presets of the diffusion_sensing experiment."""

from __future__ import annotations

from dataclasses import dataclass

from .._config import Config, param


@dataclass(frozen=True)
class DiffusionSensingConfig(Config):
    density_max: float = param(50.0, "largest cell density N/|Ω| of the continuation", low=1.0)
    d2_range: tuple[float, ...] = param(
        (0.02, 1.0), "(low, high) secretion permeability d2 of the phase diagram", low=1e-3
    )
    grid_density: int = param(12, "densities of the brute-force amplitude map (log-spaced)", low=2)
    grid_d2: int = param(10, "values of d2 of the brute-force amplitude map", low=2)
    sim_t1: float = param(600.0, "length of each reduced-ODE run of the map", low=20.0)
    ring_cells: int = param(
        4, "cells on a ring (radius 0.5) in the unit disk (GCEP)", low=1, high=16
    )
    ring_eps: float = param(0.02, "cell radius of the ring configuration", low=1e-4, high=0.05)
    gcep: bool = param(True, "compute the finite-D GCEP (Hopf curves, validation; slow)")
    log_d_range: tuple[float, ...] = param(
        (-0.5, 4.0), "(low, high) log10 D of the GCEP Hopf curve", low=-3.0, high=8.0
    )
    val_D: tuple[float, ...] = param(
        (1.0, 4.0, 16.0), "bulk diffusivities of the validation", low=0.01
    )
    val_eps: tuple[float, ...] = param(
        (0.04, 0.02, 0.01, 0.005), "cell radii of the validation", low=1e-5, high=0.1
    )
    val_cells: int = param(64, "finite volumes in log r of the full PDE-ODE model", low=8)
    dns_t1: float = param(400.0, "length of the direct simulations of the full model", low=10.0)
    dns_offsets: tuple[float, ...] = param(
        (-0.06, -0.03, 0.03, 0.06),
        "relative offsets of R from the Hopf point simulated",
        low=-0.5,
        high=0.5,
    )


PRESETS = {
    "tiny": DiffusionSensingConfig(
        density_max=20.0,
        grid_density=3,
        grid_d2=3,
        sim_t1=60.0,
        gcep=False,
        val_D=(1.0,),
        val_eps=(0.02,),
        val_cells=24,
        dns_t1=30.0,
        dns_offsets=(-0.05, 0.05),
    ),
    "quick": DiffusionSensingConfig(),
    "full": DiffusionSensingConfig(
        grid_density=30,
        grid_d2=24,
        sim_t1=1200.0,
        val_D=(1.0, 4.0, 16.0, 64.0),
        val_eps=(0.04, 0.02, 0.01, 0.005),
        val_cells=128,
        dns_t1=800.0,
        dns_offsets=(-0.08, -0.06, -0.04, -0.02, 0.02, 0.04, 0.06, 0.08),
    ),
}
