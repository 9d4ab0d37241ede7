"""Configuration and presets of the jaws experiment."""

from __future__ import annotations

from dataclasses import dataclass

from .._config import Config, param

#: the step-map variants, in the order they are trained (see the package docstring)
VARIANTS = ("plain", "global", "jaws", "unroll", "unroll_jaws", "unroll_long")


@dataclass(frozen=True)
class JawsConfig(Config):
    variants: tuple[str, ...] = param(VARIANTS, "step-map variants to train", choices=VARIANTS)
    nu: float = param(0.01, "viscosity of the training and test data", low=1e-5, high=1.0)
    n_solver: int = param(256, "grid points of the Burgers solver (a multiple of n_grid)", low=16)
    n_grid: int = param(64, "grid points of the model (the data are subsampled to it)", low=8)
    dt_model: float = param(0.02, "time step of the learned step map", low=1e-4, high=1.0)
    horizon: int = param(100, "rollout length in model steps (the data's length)", low=4)
    n_train: int = param(32, "training trajectories", low=1)
    n_test: int = param(16, "test trajectories (and per out-of-distribution set)", low=1)
    nu_ood: float = param(0.005, "viscosity of the out-of-distribution set", low=1e-5, high=1.0)
    amp_ood: float = param(1.5, "initial amplitude factor of the other OOD set", low=0.1)
    width: int = param(20, "FNO channels", low=1)
    modes: int = param(16, "Fourier modes kept per spectral layer (<= n_grid/2)", low=1)
    layers: int = param(3, "spectral layers", low=1)
    steps: int = param(500, "Adam steps of every step-map variant", low=1)
    batch: int = param(16, "windows per training batch", low=1)
    lr: float = param(3e-3, "peak learning rate (cosine decay to 5 %)", low=1e-6, high=1.0)
    lam: float = param(1e-4, "Jacobian penalty weight λ (global and JAWS)", low=0.0)
    k_short: int = param(3, "unrolled steps K of the short-horizon variants", low=1)
    k_long: int = param(16, "unrolled steps K_long of the long-horizon baseline", low=1)
    seeds: int = param(1, "training seeds of every variant (initialisation and batches)", low=1)
    lam_sweep: tuple[float, ...] | None = param(
        None,
        "λ values at which global and JAWS are also trained (seed 0; None: no sweep)",
        low=0.0,
    )
    classic_n_solver: int = param(256, "solver grid of the classic u0 -> u(1) map", low=16)
    classic_s: int = param(64, "model grid s of the classic map", low=8)
    classic_train: int = param(256, "training samples of the classic map", low=1)
    classic_test: int = param(64, "test samples of the classic map", low=1)
    classic_steps: int = param(300, "Adam steps of the classic map", low=1)
    classic_width: int = param(20, "FNO channels of the classic map", low=1)
    classic_lr: float | None = param(
        None, "peak learning rate of the classic map (None: lr)", low=1e-6, high=1.0
    )

    def __post_init__(self):
        super().__post_init__()
        if len(set(self.variants)) != len(self.variants):
            raise ValueError(f"config 'variants' must not repeat a variant, got {self.variants}")
        for solver, grid in (("n_solver", "n_grid"), ("classic_n_solver", "classic_s")):
            if getattr(self, solver) % getattr(self, grid):
                raise ValueError(
                    f"config {solver!r} must be a multiple of {grid!r}, got "
                    f"{getattr(self, solver)} and {getattr(self, grid)}"
                )
        if 2 * self.modes > min(self.n_grid, self.classic_s):
            raise ValueError(
                f"config 'modes' must be <= n_grid/2 and classic_s/2, got {self.modes}"
            )
        if max(self.k_short, self.k_long) > self.horizon:
            raise ValueError(
                f"config 'k_long' and 'k_short' must not exceed horizon={self.horizon}"
            )


PRESETS = {
    "tiny": JawsConfig(
        variants=("jaws",),
        n_solver=64,
        n_grid=32,
        horizon=12,
        n_train=4,
        n_test=3,
        width=4,
        modes=4,
        layers=1,
        steps=3,
        batch=4,
        k_short=2,
        k_long=4,
        classic_n_solver=64,
        classic_s=32,
        classic_train=8,
        classic_test=4,
        classic_steps=3,
        classic_width=4,
    ),
    "quick": JawsConfig(),
    # A configuration in which long rollouts go wrong, sized for a 2-core CPU (about an
    # hour): sharper shocks (ν = 1e-3, under-resolved on the 128-point model grid), 500
    # model steps to t = 10, three training seeds, a λ sweep, and the classic map at
    # Li et al.'s resolution and sample count. The K_long unroll (10x a plain variant's
    # training time) is left out; the quick preset compares it.
    "cpu": JawsConfig(
        variants=VARIANTS[:5],
        nu=0.001,
        n_solver=1024,
        n_grid=128,
        horizon=500,
        n_train=128,
        steps=3000,
        seeds=3,
        lam_sweep=(0.0, 1e-5, 1e-4, 1e-3, 1e-2),
        classic_n_solver=2048,
        classic_s=1024,
        classic_train=1000,
        classic_test=200,
        classic_steps=4000,
        classic_width=32,
        # At s = 1024 the step maps' 3e-3 makes the relative-L2 loss bounce between 0.05
        # and 0.7; Li et al. train at 1e-3.
        classic_lr=1e-3,
    ),
    "full": JawsConfig(
        n_solver=1024,
        n_grid=128,
        dt_model=0.01,
        horizon=300,
        n_train=256,
        n_test=64,
        width=32,
        layers=4,
        steps=5000,
        batch=64,
        lr=2e-3,
        k_short=4,
        k_long=32,
        classic_n_solver=2048,
        classic_s=1024,
        classic_train=1000,
        classic_test=200,
        classic_steps=5000,
        classic_width=32,
    ),
}
