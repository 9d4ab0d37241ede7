"""Configuration and presets of the enso_sonification experiment."""

from __future__ import annotations

from dataclasses import dataclass

from .._config import Config, param


@dataclass(frozen=True)
class EnsoConfig(Config):
    ro_factors: tuple[float, ...] = param(
        (0.9, 0.95, 0.98, 1.02, 1.04, 1.06, 1.08, 1.1),
        "couplings mu / mu_c of the recharge-oscillator onset scan",
        low=0.1,
        high=3.0,
    )
    ro_t1: float = param(3000.0, "length of each deterministic run (units of 2 months)", low=50.0)
    growth_t1: float = param(
        200.0, "length of the small-perturbation runs (growth rates)", low=20.0
    )
    dt: float = param(
        0.05, "Euler-Maruyama / RK4 step of the recharge oscillator", low=1e-3, high=0.5
    )
    dao_factors: tuple[float, ...] = param(
        (0.8, 0.9, 0.95, 1.05, 1.1, 1.2, 1.5, 2.0),
        "delays tau / tau_c of the delayed-action oscillator scan",
        low=0.05,
        high=5.0,
    )
    dao_t1: float = param(300.0, "length of each delay-oscillator run, in units of tau_c", low=20.0)
    dao_steps_per_tau: int = param(40, "method-of-steps steps per tau_c", low=8)
    index_years: float = param(155.0, "length of the synthetic index (1870-2024)", low=5.0)
    spinup_years: float = param(20.0, "discarded spin-up of each stochastic run", low=0.0)
    damped_factor: float = param(
        0.9, "mu / mu_c of the damped, noise-driven regime", low=0.1, high=1.0
    )
    sustained_factor: float = param(
        1.1, "mu / mu_c of the self-sustained regime", low=1.0, high=3.0
    )
    sigma_damped: float = param(0.05, "noise sigma_T of the damped regime", low=0.0)
    sigma_sustained: float = param(0.02, "noise sigma_T of the self-sustained regime", low=0.0)
    seeds: int = param(16, "independent realisations per regime (RQA statistics)", low=2)
    rqa_dim: int = param(3, "embedding dimension of the RQA", low=1)
    rqa_delay: int = param(6, "embedding delay (months)", low=1)
    rqa_rate: float = param(0.1, "fixed recurrence rate", low=0.001, high=0.5)
    rqa_theiler: int = param(12, "Theiler window (months)", low=1)
    sonify_years: float = param(155.0, "years of the index that are sonified", low=1.0)
    note_seconds: float = param(0.12, "duration of one note (one month)", low=0.01, high=2.0)
    sample_rate: int = param(22050, "audio sample rate (Hz)", low=8000, high=96000)
    octaves: int = param(2, "octaves the index spans", low=1, high=4)


PRESETS = {
    "tiny": EnsoConfig(
        ro_factors=(0.9, 1.05, 1.1),
        ro_t1=400.0,
        growth_t1=60.0,
        dao_factors=(0.9, 1.1),
        dao_t1=30.0,
        dao_steps_per_tau=16,
        index_years=12.0,
        spinup_years=2.0,
        seeds=2,
        sonify_years=3.0,
        sample_rate=8000,
    ),
    "quick": EnsoConfig(
        ro_t1=1500.0,
        dao_t1=150.0,
        seeds=6,
        index_years=60.0,
        sonify_years=30.0,
    ),
    "full": EnsoConfig(
        ro_factors=(0.85, 0.9, 0.95, 0.98, 0.99, 1.01, 1.02, 1.03, 1.04, 1.06, 1.08, 1.1, 1.15),
        ro_t1=6000.0,
        growth_t1=400.0,
        dao_factors=(0.7, 0.8, 0.9, 0.95, 0.98, 1.02, 1.05, 1.1, 1.2, 1.35, 1.5, 1.75, 2.0),
        dao_t1=400.0,
        dao_steps_per_tau=60,
        seeds=32,
    ),
}
