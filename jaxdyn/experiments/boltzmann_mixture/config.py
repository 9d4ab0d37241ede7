"""Configuration and presets of the boltzmann_mixture experiment."""

from __future__ import annotations

from dataclasses import dataclass

from .._config import Config, param


@dataclass(frozen=True)
class BoltzmannMixtureConfig(Config):
    bkw_check: bool = param(True, "check the single-species solver against the BKW solution")
    n_v: int = param(64, "velocity points per direction of the scaled (AP) grids", low=16)
    v_max: float = param(10.0, "half-width of every velocity grid (light units)", low=4.0)
    n_angles: int = param(8, "Carleman directions of the self-collision operators", low=2)
    temperature_light: tuple[float, ...] = param(
        (1.0, 0.5), "initial light temperatures (T_x, T_y)", low=1e-3
    )
    temperature_heavy: tuple[float, ...] = param(
        (0.6, 0.4), "initial heavy temperatures (T_x, T_y), heavy units", low=1e-3
    )
    velocity_light: tuple[float, ...] = param(
        (0.4, 0.0), "initial light drift relative to the heavy (light units)", low=-5.0, high=5.0
    )
    mass_ratios: tuple[float, ...] = param(
        (1e-3, 1e-4, 1e-5, 1e-6), "mass ratios μ = ε² of the epochal AP runs", low=1e-12, high=1.0
    )
    t_min: float = param(0.02, "end of the first (finely stepped) segment, light times", low=1e-3)
    steps_per_decade: int = param(120, "AP steps per decade of time in the epochal runs", low=10)
    saves_per_decade: int = param(20, "saved times per decade", low=2)
    relax_times: float = param(
        6.0, "run until t = relax_times / γ_3(μ) (temperature e-folds)", low=1.0
    )
    direct_mass_ratios: tuple[float, ...] = param(
        (0.25,), "mass ratios of the full direct (common-grid spectral) runs", low=1e-3, high=1.0
    )
    direct_points: float = param(
        2.0, "direct grid: points per thermal speed of the narrowest (heavy) Maxwellian", low=1.5
    )
    direct_n_angles: int = param(4, "Carleman directions of the direct method", low=2)
    direct_rtol: float = param(1e-6, "relative tolerance of the direct (Tsit5) runs", low=1e-12)
    ap_slow_step: float = param(0.1, "AP convergence: fixed step in the slow time μt", low=1e-4)
    ap_slow_time: float = param(1.0, "AP convergence: run length in the slow time μt", low=1e-3)
    ap_mass_ratios: tuple[float, ...] = param(
        (1e-1, 1e-2, 1e-3, 1e-4, 1e-6, 1e-8), "AP convergence: mass ratios", low=1e-12, high=1.0
    )
    explicit_steps: tuple[float, ...] = param(
        (0.05, 0.1, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0),
        "explicit RK4 stability scan: steps in light collision times",
        low=1e-3,
    )
    explicit_mass_ratios: tuple[float, ...] = param(
        (1e-1, 1e-2, 1e-3, 1e-4), "explicit RK4 stability scan: mass ratios", low=1e-12, high=1.0
    )
    explicit_n_steps: int = param(60, "explicit RK4 stability scan: steps per run", low=5)
    cost_mass_ratios: tuple[float, ...] = param(
        (0.25, 1 / 9, 1 / 16),
        "cost study: mass ratios timed for the direct method",
        low=1e-4,
        high=1.0,
    )
    cost_repeats: int = param(3, "cost study: timed repetitions (median)", low=1)


PRESETS = {
    "tiny": BoltzmannMixtureConfig(
        bkw_check=False,
        n_v=32,
        v_max=8.0,
        n_angles=4,
        temperature_light=(0.7, 0.6),
        temperature_heavy=(0.6, 0.6),
        velocity_light=(0.2, 0.0),
        mass_ratios=(0.1,),
        t_min=2.0,
        steps_per_decade=10,
        saves_per_decade=5,
        relax_times=1.0,
        direct_mass_ratios=(0.5,),
        direct_points=1.5,
        direct_n_angles=2,
        direct_rtol=1e-3,
        ap_mass_ratios=(1e-6,),
        ap_slow_time=0.1,
        explicit_steps=(1.0, 5.0),
        explicit_mass_ratios=(1e-3,),
        explicit_n_steps=5,
        cost_mass_ratios=(0.5,),
        cost_repeats=1,
    ),
    "quick": BoltzmannMixtureConfig(
        mass_ratios=(1e-3, 1e-4),
        steps_per_decade=150,
        saves_per_decade=15,
        direct_mass_ratios=(0.25,),
        direct_points=1.5,
        direct_rtol=1e-5,
        ap_mass_ratios=(1e-1, 1e-3, 1e-5, 1e-8),
        explicit_steps=(0.5, 1.0, 1.5, 2.0, 3.0, 5.0),
        explicit_mass_ratios=(1e-2, 1e-3, 1e-4),
        explicit_n_steps=40,
        cost_mass_ratios=(0.25, 1 / 9),
        cost_repeats=1,
    ),
    "full": BoltzmannMixtureConfig(
        mass_ratios=(1e-3, 1e-4, 1e-5, 1e-6, 1e-7),
        steps_per_decade=1000,
        direct_mass_ratios=(0.25, 1 / 9),
        ap_mass_ratios=(1e-1, 3e-2, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-8, 1e-10),
        explicit_mass_ratios=(1e-1, 1e-2, 1e-3, 1e-4, 1e-5),
        cost_mass_ratios=(0.25, 1 / 9, 1 / 16, 1 / 25, 1 / 36),
    ),
}
