"""Configuration and presets of the sync1d experiment."""

from __future__ import annotations

from dataclasses import dataclass

from .._config import Config, param


@dataclass(frozen=True)
class Sync1DConfig(Config):
    # ------------------------------------------------------------ the two phase diagrams
    L: int = param(64, "ring size of the phase-diagram sweeps", low=3)
    K: tuple[float, ...] = param((0.25, 0.5, 1.0, 2.0, 4.0), "couplings K", low=1e-3)
    sigma: tuple[float, ...] = param(
        (0.05, 0.1, 0.2, 0.4, 0.8), "randomness σ (noise or disorder strength)", low=1e-4
    )
    a: tuple[float, ...] = param((0.0, 4.0), "non-oddities a of Γ(x) = sin x + a(1 - cos x)")
    seeds: int = param(10, "realisations per grid point", low=1)
    t1: float = param(200.0, "length of each run", low=1.0)
    dt_white: float = param(0.015, "Euler-Maruyama step (white noise)", low=1e-4, high=0.5)
    n_log: int = param(40, "log-spaced saves from t = 0.05 (for W(t))", low=3)
    n_lin: int = param(60, "linearly spaced saves (to count phase slips late)", low=2)
    chunk_size: int = param(128, "sweep members per compiled batch", low=1)
    kpz_excess: float = param(
        0.04, "β_eff above the exact linear theory that classifies a point KPZ", low=0.0
    )
    # ------------------------------------------------------------ roughness exponent α
    alpha_L: tuple[int, ...] = param((16, 32, 64), "ring sizes of the W_sat(L) fits", low=3)
    alpha_seeds: int = param(8, "realisations per size (x4 for columnar disorder)", low=2)
    # ------------------------------------------------------------ locking at 0.9 / 1.1 K_c
    lock_L: int = param(32, "ring size of the locking check", low=3)
    lock_seeds: int = param(4, "disorder realisations of the locking check", low=1)
    lock_t1: float = param(1000.0, "length of each locking run", low=10.0)
    # ------------------------------------------------------------ gradient fit of K and a
    fit_L: int = param(16, "ring size of the fit demo", low=3)
    fit_realisations: int = param(4, "disorder realisations averaged in the fit", low=1)
    fit_steps: int = param(100, "Adam steps", low=1)
    fit_t1: float = param(30.0, "length of the fitted growth curves", low=1.0)
    fit_dt: float = param(0.1, "fixed Tsit5 step of the fit", low=1e-3, high=0.5)

    def __post_init__(self):
        super().__post_init__()
        # the exact locking theory and the phase-slip figure are for odd coupling
        if 0.0 not in self.a:
            raise ValueError(f"config 'a' must include 0 (odd coupling), got {list(self.a)}")


#: The old code drew every key from PRNGKey(2026); the presets keep that seed so that the
#: quick numbers reproduce docs/results/sync1d_quick.json.
PRESETS = {
    "tiny": Sync1DConfig(
        seed=2026,
        L=16,
        K=(0.5, 2.0),
        sigma=(0.1, 0.8),
        a=(0.0, 2.0),
        seeds=2,
        t1=20.0,
        dt_white=0.05,
        n_log=12,
        n_lin=10,
        chunk_size=16,
        alpha_L=(8, 16),
        alpha_seeds=2,
        lock_L=8,
        lock_seeds=2,
        lock_t1=100.0,
        fit_L=8,
        fit_realisations=2,
        fit_steps=3,
        fit_t1=5.0,
        fit_dt=0.1,
    ),
    "quick": Sync1DConfig(seed=2026),
    # sized for this 2-core CPU (about half an hour); committed in docs/results
    "full": Sync1DConfig(
        seed=2026,
        L=512,
        K=(0.25, 0.41, 0.67, 1.1, 1.8, 3.0, 4.9, 8.0),
        sigma=(0.02, 0.037, 0.069, 0.13, 0.24, 0.45, 0.85, 1.6),
        a=(0.0, 1.0, 2.0, 4.0),
        seeds=8,
        t1=300.0,
        dt_white=0.015,
        n_log=60,
        n_lin=150,
        chunk_size=256,
        alpha_L=(32, 64, 128, 256, 512),
        alpha_seeds=16,
        lock_L=128,
        lock_seeds=16,
        lock_t1=5000.0,
        fit_L=32,
        fit_realisations=4,
        fit_steps=150,
        fit_t1=30.0,
        fit_dt=0.1,
    ),
    # the paper-scale run, for a GPU (never run here)
    "gpu": Sync1DConfig(
        seed=2026,
        L=512,
        K=(0.25, 0.3536, 0.5, 0.7071, 1.0, 1.4142, 2.0, 2.8284, 4.0, 5.6569, 8.0),
        sigma=(0.02, 0.031, 0.048, 0.0745, 0.1154, 0.1789, 0.2773, 0.4297, 0.666, 1.0323, 1.6),
        a=(0.0, 0.5, 1.0, 2.0, 4.0),
        seeds=32,
        t1=20000.0,
        dt_white=0.005,
        n_log=80,
        n_lin=400,
        chunk_size=1024,
        alpha_L=(32, 64, 128, 256, 512),
        alpha_seeds=64,
        lock_L=256,
        lock_seeds=16,
        lock_t1=20000.0,
        fit_L=64,
        fit_realisations=16,
        fit_steps=200,
        fit_t1=200.0,
        fit_dt=0.05,
    ),
}
