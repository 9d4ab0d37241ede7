"""Viscous Burgers trajectories from Gaussian-random-field initial conditions, cached.

:class:`BurgersDataConfig` names everything that decides the data (seed, number of
trajectories, viscosity, amplitude of the initial field, save times, solver and model
grids, solver step); :func:`burgers_dataset` generates it with
:func:`jaxdyn.systems.burgers.make_dataset` (ETDRK4 through :func:`jaxdyn.simulate`,
solved on ``n_solver`` points and subsampled to ``n_grid``, as Li et al. 2021 subsample
8192 -> s) and caches it on disk keyed by the config's hash (:mod:`jaxdyn.data.cache`).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..experiments._config import Config, param
from ..systems.burgers import make_dataset
from .cache import cached

#: bumped whenever the generator's output changes for the same configuration
_VERSION = 1


@dataclasses.dataclass(frozen=True)
class BurgersDataConfig(Config):
    """One Burgers data set; ``seed`` draws the initial conditions."""

    n_traj: int = param(32, "trajectories", low=1)
    nu: float = param(0.01, "viscosity ν", low=1e-6, high=1e3)
    amplitude: float = param(1.0, "amplitude factor of the initial random field", low=1e-6)
    n_steps: int = param(100, "saved steps after the initial condition", low=1)
    dt_save: float = param(0.02, "time between saved states", low=1e-9)
    n_solver: int = param(256, "grid points of the solver", low=8)
    n_grid: int = param(64, "grid points of the saved data (divides n_solver)", low=4)
    dt_solver: float = param(1e-3, "ETDRK4 step", low=1e-9)

    def __post_init__(self):
        super().__post_init__()
        if self.n_solver % self.n_grid:
            raise ValueError(f"n_solver={self.n_solver} must be a multiple of n_grid={self.n_grid}")


def burgers_dataset(cfg: BurgersDataConfig) -> dict[str, np.ndarray]:
    """``{"u": (n_traj, n_steps + 1, n_grid), "t", "x"}`` for ``cfg``, from the cache."""
    return cached(
        f"burgers-v{_VERSION}",
        cfg,
        lambda: make_dataset(
            cfg.seed,
            cfg.n_traj,
            nu=cfg.nu,
            amplitude=cfg.amplitude,
            n_steps=cfg.n_steps,
            dt_save=cfg.dt_save,
            n_solver=cfg.n_solver,
            n_grid=cfg.n_grid,
            dt_solver=cfg.dt_solver,
        ),
    )


__all__ = ["BurgersDataConfig", "burgers_dataset"]
