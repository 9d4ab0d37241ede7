"""Configuration and presets of the acceleration experiment."""

from __future__ import annotations

from dataclasses import dataclass

from .._config import Config, param


@dataclass(frozen=True)
class AccelerationConfig(Config):
    sbc_dim: int = param(4, "eigen-directions of the quadratic of the SBC check", low=1)
    sbc_lambda_min: float = param(0.01, "smallest eigenvalue (largest is 1)", low=1e-6, high=1.0)
    sbc_t1: float = param(60.0, "length of the SBC run", low=1.0)
    sbc_points: int = param(601, "save times of the SBC run", low=10)
    nagc_steps: tuple[float, ...] = param(
        (1e-1, 1e-2, 1e-3), "step sizes s of NAG-C compared with its ODE at t = k√s", low=1e-8
    )
    nagc_t1: float = param(20.0, "time span of the NAG-C comparison", low=1.0)
    kappas: int = param(12, "condition numbers κ (geometric grid from 2 to kappa_max)", low=2)
    kappa_max: float = param(1e4, "largest condition number", low=10.0, high=1e8)
    rate_steps: int = param(3000, "iterations of each rate measurement", low=100)
    step_kappa: float = param(100.0, "κ of the step-size sweep", low=2.0, high=1e6)
    step_alphas: int = param(40, "step sizes α·L in the step-size sweep", low=3)
    step_iters: int = param(400, "iterations per step size", low=60)
    hr_steps: tuple[float, ...] = param(
        (1e-2, 1e-3, 1e-4), "step sizes s of the high-resolution ODE comparison", low=1e-8
    )
    hr_t1: float = param(20.0, "time span of the high-resolution comparison", low=1.0)
    lrp_starts: int = param(121, "initial points x₀ = x₋₁ in [-6, 6] on the LRP function", low=2)
    lrp_iters: int = param(600, "heavy-ball iterations on the LRP function", low=60)
    gsp_eps: tuple[float, ...] = param(
        (0.1, 0.03, 0.01, 0.003, 0.001), "time-scale ratios ε of the slow-fast system", low=1e-6
    )
    gsp_t1: float = param(5.0, "length of each slow-fast run", low=1.5)
    gsp_points: int = param(201, "save times of each slow-fast run", low=20)


PRESETS = {
    "tiny": AccelerationConfig(
        sbc_dim=2,
        sbc_t1=10.0,
        sbc_points=51,
        nagc_steps=(1e-1,),
        nagc_t1=5.0,
        kappas=3,
        kappa_max=100.0,
        rate_steps=300,
        step_alphas=4,
        step_iters=100,
        hr_steps=(1e-2,),
        hr_t1=5.0,
        lrp_starts=5,
        lrp_iters=120,
        gsp_eps=(0.1, 0.03),
        gsp_t1=2.0,
        gsp_points=21,
    ),
    "quick": AccelerationConfig(
        kappas=8,
        rate_steps=2000,
        step_alphas=20,
        hr_steps=(1e-2, 1e-3),
        lrp_starts=41,
        gsp_eps=(0.1, 0.03, 0.01, 0.003),
    ),
    "full": AccelerationConfig(
        sbc_dim=6,
        sbc_lambda_min=1e-3,
        sbc_t1=200.0,
        sbc_points=2001,
        nagc_steps=(1e-1, 3e-2, 1e-2, 3e-3, 1e-3, 3e-4),
        kappas=20,
        kappa_max=1e6,
        rate_steps=20000,
        step_alphas=80,
        step_iters=1000,
        hr_steps=(1e-2, 3e-3, 1e-3, 3e-4, 1e-4),
        lrp_starts=481,
        lrp_iters=2000,
        gsp_eps=(0.1, 0.05, 0.02, 0.01, 0.005, 0.002, 0.001, 0.0005),
    ),
}
