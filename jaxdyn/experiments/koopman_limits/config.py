"""Configuration and presets of the koopman_limits experiment."""

from __future__ import annotations

from dataclasses import dataclass

from .._config import Config, param


@dataclass(frozen=True)
class KoopmanConfig(Config):
    gauss_sizes: tuple[int, ...] = param(
        (5, 10, 20, 40), "Legendre dictionary sizes M for the Gauss map", low=2
    )
    gauss_nodes: int = param(300, "Gauss-Legendre snapshot nodes for the Gauss map", low=10)
    eps: float = param(0.01, "residual tolerance of the verified eigenvalues", low=1e-12, high=1.0)
    spurious: float = param(
        0.1, "a candidate with a residual above this is called spurious", low=1e-6
    )
    pseudo_grid: int = param(31, "points per side of the pseudospectrum grids", low=5)
    quad_size: int = param(16, "dictionary size for the quadrature study", low=2)
    quad_nodes: tuple[int, ...] = param(
        (4, 8, 16, 32, 64, 128, 256, 512, 1024), "node counts of the quadrature study", low=2
    )
    quad_reference: int = param(2000, "Gauss nodes of the reference Galerkin matrices", low=50)
    mc_seeds: int = param(20, "Monte Carlo repetitions per node count", low=2)
    pend_dt: float = param(0.5, "time between pendulum snapshots", low=0.01)
    pend_dicts: tuple[int, ...] = param(
        (2, 3, 4), "pendulum dictionaries: K Fourier modes x 2K Hermite functions", low=1
    )
    pend_grids: tuple[int, ...] = param(
        (16, 24, 32, 48), "pendulum snapshot grids (n x n points of the cylinder)", low=4
    )
    pend_pmax: float = param(5.0, "momentum range [-pmax, pmax] of the pendulum grid", low=1.0)
    duffing_n: int = param(3000, "Monte Carlo snapshots of the Duffing oscillator", low=50)
    duffing_centres: int = param(100, "thin-plate RBF centres for Duffing", low=4)
    duffing_dt: float = param(0.25, "time between Duffing snapshots", low=0.01)


PRESETS = {
    "tiny": KoopmanConfig(
        gauss_sizes=(4, 6),
        gauss_nodes=40,
        pseudo_grid=7,
        quad_size=4,
        quad_nodes=(4, 8),
        quad_reference=60,
        mc_seeds=2,
        pend_dicts=(1,),
        pend_grids=(8,),
        duffing_n=60,
        duffing_centres=6,
    ),
    "quick": KoopmanConfig(pseudo_grid=25, pend_grids=(16, 24, 32), duffing_n=2000),
    "full": KoopmanConfig(
        gauss_sizes=(5, 10, 20, 40, 60, 80),
        gauss_nodes=500,
        pseudo_grid=41,
        quad_nodes=(4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 256, 512, 1024, 2048, 4096),
        quad_reference=6000,
        mc_seeds=50,
        pend_dicts=(2, 3, 4, 5),
        pend_grids=(16, 24, 32, 48, 64, 96),
        duffing_n=8000,
        duffing_centres=200,
    ),
}
