"""Configuration and presets of the learning_to_relax experiment."""

from __future__ import annotations

from dataclasses import dataclass

from .._config import Config, param


@dataclass(frozen=True)
class LearningToRelaxConfig(Config):
    m: int = param(16, "interior grid size m (m x m unknowns, h = 1/(m+1))", low=2)
    n_instances: int = param(500, "linear systems per sequence (the horizon T)", low=20)
    seeds: int = param(8, "independent runs of each learner", low=1)
    n_omegas: int = param(20, "arms: ω values on a uniform grid", low=2)
    omega_min: float = param(1.0, "smallest ω of the grid", low=0.05, high=1.95)
    omega_max: float = param(1.95, "largest ω of the grid", low=0.1, high=1.99)
    tol: float = param(1e-8, "relative residual tolerance of SOR", low=1e-14, high=0.1)
    max_iter: int = param(500, "sweep cap of SOR (the loss is iterations / max_iter)", low=10)
    shift_min: float = param(
        0.0, "smallest dimensionless shift s = c h² (shifted sequence)", low=0.0
    )
    shift_max: float = param(1.5, "largest dimensionless shift s (shifted sequence)", low=1e-3)
    heat_kappa0: float = param(1.0, "mean diffusivity κ0 of the heat sequence", low=1e-6)
    heat_amplitude: float = param(
        0.9, "relative amplitude a of κ(t) = κ0 (1 + a sin(2πt/P))", low=0.0, high=0.999
    )
    heat_courant: float = param(20.0, "κ0 dt / h² of the Crank-Nicolson steps", low=1e-3)
    heat_period_steps: int = param(200, "period P of κ(t) in time steps", low=2)
    cheb_degree: int = param(3, "Chebyshev degree of ChebCB's per-arm regression", low=0)
    cheb_gamma0: float = param(100.0, "ChebCB's exploration scale γ0 (γ_t = γ0 √(K t))", low=1e-3)
    default_omega: float = param(1.5, "the fixed default ω compared against", low=0.05, high=1.99)


PRESETS = {
    "tiny": LearningToRelaxConfig(m=8, n_instances=100, seeds=2, n_omegas=8, max_iter=300),
    "quick": LearningToRelaxConfig(),
    "full": LearningToRelaxConfig(n_instances=5000, seeds=16),
}
