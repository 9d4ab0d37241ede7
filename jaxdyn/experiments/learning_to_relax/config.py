"""Configuration and presets of the learning_to_relax experiment.

The defaults are Khodak et al.'s settings where their code fixes them (10 x 10 Laplacian,
shifts c ~ -0.15 + 0.6 Beta, tol 1e-8, 20 values of ω in [1, 1.95], T = 5000, 40 trials,
iteration cap 10000, the fixed ω compared against); the learners' rates are the ones the
full run's tuning trials select (see docs/learning_to_relax.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from .._config import Config, param

#: instance sequences: the paper's two shift distributions and our heat-equation sequence
SEQUENCES = ("high_variance", "low_variance", "heat")


@dataclass(frozen=True)
class LearningToRelaxConfig(Config):
    sequences: tuple[str, ...] = param(
        SEQUENCES, "instance sequences (shift distributions, heat equation)", choices=SEQUENCES
    )
    m: int = param(10, "interior grid size m (m x m unknowns, h = 1/(m+1))", low=2)
    n_instances: int = param(5000, "linear systems per trial (the horizon T)", low=20)
    trials: int = param(40, "independent trials: fresh instances and learner draws", low=2)
    tune_trials: int = param(
        4, "extra trials (own keys) for the learning-rate sweep; 0 skips it", low=0
    )
    n_omegas: int = param(20, "arms: ω values on a uniform grid", low=2)
    omega_min: float = param(1.0, "smallest ω of the grid", low=0.05, high=1.95)
    omega_max: float = param(1.95, "largest ω of the grid", low=0.1, high=1.99)
    tol: float = param(1e-8, "relative residual tolerance of SOR", low=1e-14, high=0.1)
    max_iter: int = param(10000, "sweep cap of SOR (the loss is iterations / max_iter)", low=10)
    shift_min: float = param(-0.15, "smallest diagonal shift c (A = -Δ + c I, unscaled)")
    shift_width: float = param(0.6, "c = shift_min + shift_width · Beta(a, b)", low=1e-3)
    heat_kappa0: float = param(1.0, "mean diffusivity κ0 of the heat sequence", low=1e-6)
    heat_amplitude: float = param(
        0.9, "relative amplitude a of κ(t) = κ0 (1 + a sin(2πt/P))", low=0.0, high=0.999
    )
    heat_courant: float = param(20.0, "κ0 dt / h² of the Crank-Nicolson steps", low=1e-3)
    heat_period_steps: int = param(200, "period P of κ(t) in time steps", low=2)
    tsallis_eta0: float = param(
        256.0, "Tsallis-INF rate η_t = η0/√t (losses = iterations/max_iter)", low=1e-6
    )
    exp3_eta_scale: float = param(
        64.0, "Exp3 rate multiplier: η_t = scale · sqrt(2 ln K/(K t))", low=1e-6
    )
    cheb_degree: int = param(5, "Chebyshev degree of ChebCB's per-arm regression", low=0)
    cheb_gamma0: float = param(1e5, "ChebCB's exploration scale γ0 (γ_t = γ0 √(K t))", low=1e-6)
    tune_tsallis_eta0: tuple[float, ...] = param(
        (8.0, 32.0, 64.0, 128.0, 256.0, 512.0, 2048.0),
        "Tsallis-INF η0 values of the sweep",
        low=1e-6,
    )
    tune_exp3_eta_scale: tuple[float, ...] = param(
        (4.0, 16.0, 32.0, 64.0, 128.0, 256.0, 1024.0), "Exp3 multipliers of the sweep", low=1e-6
    )
    tune_cheb_gamma0: tuple[float, ...] = param(
        (100.0, 1e3, 1e4, 1e5, 1e6), "ChebCB γ0 values of the sweep", low=1e-6
    )
    fixed_omegas: tuple[float, ...] = param(
        (1.0, 1.2, 1.4, 1.6, 1.8), "fixed ω compared against (nearest grid value)", low=0.05
    )

    def __post_init__(self):
        super().__post_init__()
        if not self.omega_min < self.omega_max:
            raise ValueError(
                f"config 'omega_min' must be < omega_max, got {self.omega_min}, {self.omega_max}"
            )
        if not self.sequences:
            raise ValueError("config 'sequences' must name at least one sequence")


PRESETS = {
    "tiny": LearningToRelaxConfig(
        sequences=("high_variance", "heat"),
        m=6,
        n_instances=60,
        trials=2,
        tune_trials=0,
        n_omegas=8,
        max_iter=2000,
    ),
    "quick": LearningToRelaxConfig(n_instances=500, trials=6, tune_trials=0),
    "full": LearningToRelaxConfig(),
    # The paper's settings with fewer trials, sized for about an hour on a 2-core CPU
    # (the full 40 + 4 trials take about 2 h there).
    "cpu": LearningToRelaxConfig(trials=12, tune_trials=2),
}
