"""Configuration and presets of the delayed_repression experiment."""

from __future__ import annotations

from dataclasses import dataclass

from .._config import Config, param


@dataclass(frozen=True)
class DelayedRepressionConfig(Config):
    phase_taus: int = param(16, "delays τ in the phase diagram (linspace 0.1..tau_max)", low=2)
    phase_ks: tuple[float, ...] = param(
        (4.0, 6.0, 8.0, 12.0, 16.0, 24.0), "alarm steepnesses k of the phase diagram", low=1.0
    )
    phase_t1: float = param(300.0, "length of each phase-diagram run", low=10.0)
    tau_max: float = param(4.5, "largest delay of the phase diagram", low=0.2)
    dt: float = param(0.05, "time step of the method of steps", low=1e-4, high=0.5)
    onset_ks: tuple[float, ...] = param(
        (6.0, 8.0, 16.0), "steepnesses whose onset is located (must include k = 8)", low=1.0
    )
    onset_factors: tuple[float, ...] = param(
        (1.02, 1.04, 1.06, 1.08, 1.1), "τ/τ_c of the runs just past onset", low=1.0, high=2.0
    )
    onset_periods: float = param(250.0, "run length in onset periods 4 τ_c", low=20.0)
    abm_delays: tuple[int, ...] = param(
        (0, 2, 4, 6, 8, 12, 16, 20), "institutional delays (steps) of the agent model", low=0
    )
    abm_seeds: int = param(24, "agent-model runs per delay and architecture", low=1)
    abm_steps: int = param(800, "steps of each agent-model run", low=50)


PRESETS = {
    "tiny": DelayedRepressionConfig(
        phase_taus=4,
        phase_ks=(6.0, 16.0),
        phase_t1=60.0,
        dt=0.1,
        onset_ks=(8.0,),
        onset_factors=(1.05, 1.1, 1.15),
        onset_periods=25.0,
        abm_delays=(0, 8),
        abm_seeds=2,
        abm_steps=100,
    ),
    "quick": DelayedRepressionConfig(),
    "full": DelayedRepressionConfig(
        phase_taus=40,
        phase_ks=(4.0, 5.0, 6.0, 7.0, 8.0, 10.0, 12.0, 14.0, 16.0, 20.0, 24.0),
        phase_t1=600.0,
        dt=0.025,
        onset_ks=(4.0, 6.0, 8.0, 12.0, 16.0, 24.0),
        onset_factors=(1.01, 1.02, 1.03, 1.04, 1.06, 1.08, 1.1),
        onset_periods=500.0,
        abm_delays=(0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 18, 20),
        abm_seeds=200,
    ),
}
