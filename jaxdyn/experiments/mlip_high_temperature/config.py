"""Configuration and presets of the mlip_high_temperature experiment."""

from __future__ import annotations

from dataclasses import dataclass

from .._config import Config, param


@dataclass(frozen=True)
class MLIPHighTemperatureConfig(Config):
    # --- the reference system (Kob-Andersen mixture) and its sampling
    dim: int = param(2, "space dimension of the mixture", choices=(2, 3))
    n_particles: int = param(
        40, "particles in the periodic box (2.5 sigma must fit in half the box)", low=8, high=512
    )
    density: float = param(1.2, "number density N / L^d (LJ units)", low=0.1, high=2.0)
    fraction_b: float = param(
        0.2, "fraction of small B particles (Kob-Andersen: 0.2)", low=0.0, high=0.5
    )
    dt: float = param(0.005, "MD time step (LJ time tau)", low=1e-4, high=0.01)
    friction: float = param(1.0, "Langevin friction gamma (1/tau)", low=0.01, high=100.0)
    t_low: float = param(0.5, "near-equilibrium ('foundation') temperature", low=0.05, high=10.0)
    t_high: tuple[float, ...] = param(
        (1.5, 3.0), "high temperatures of the targeted data set", low=0.05, high=10.0
    )
    t_melt: float = param(3.0, "temperature each chain is melted at first", low=0.05, high=10.0)
    melt_steps: int = param(400, "MD steps of the melt at t_melt", low=1)
    equilibration_steps: int = param(
        1000, "MD steps at the sampling temperature before sampling", low=1
    )
    sample_every: int = param(50, "MD steps between saved configurations", low=1)
    samples_per_chain: int = param(6, "configurations saved per chain", low=1)
    train_chains: int = param(32, "independent chains per temperature for training", low=1)
    test_chains: int = param(12, "independent chains per temperature for testing", low=1)
    # --- curation
    force_threshold: float | None = param(
        None,
        "curation of the main models' training data: drop configurations with max |F_i| "
        "above this (eps/sigma); none keeps all",
        low=1e-3,
    )
    sweep_thresholds: tuple[float, ...] = param(
        (250.0, 150.0),
        "curation thresholds of the sweep (co-trained models; the uncurated ones are reused)",
        low=1e-3,
    )
    sweep_seeds: int = param(1, "seeds of each model of the curation sweep", low=1)
    # --- the MLIP and its training
    n_radial: int = param(24, "radial symmetry functions per neighbour species", low=2, high=128)
    r_min: float = param(0.6, "smallest Gaussian centre (sigma_AA)", low=0.05, high=2.0)
    cutoff: float = param(2.5, "descriptor cut-off radius (sigma_AA)", low=1.0, high=5.0)
    width: int = param(32, "hidden units of each atomic network", low=1, high=512)
    depth: int = param(2, "hidden layers of each atomic network", low=1, high=8)
    steps: int = param(1000, "optimiser steps per model", low=1)
    batch: int = param(8, "configurations per step", low=1)
    lr: float = param(3e-3, "Adam learning rate (cosine decay to 3 % of it)", low=1e-6, high=1.0)
    energy_weight: float = param(1.0, "weight of the energy-per-atom term of the loss", low=0.0)
    force_weight: float = param(1.0, "weight of the force term of the loss", low=0.0)
    seeds: int = param(2, "seeds (initialisation and batches) of each model", low=1)
    # --- stability of MD driven by the learned potentials
    stability_runs: int = param(4, "MD runs per model and temperature", low=1)
    stability_steps: int = param(1000, "MD steps of each run", low=1)
    record_every: int = param(20, "MD steps between stability checks", low=1)
    fail_distance: float = param(
        0.6,
        "a run fails when a pair comes closer than this (units of sigma_ab)",
        low=0.05,
        high=1.0,
    )


PRESETS = {
    "tiny": MLIPHighTemperatureConfig(
        n_particles=32,
        t_high=(3.0,),
        melt_steps=100,
        equilibration_steps=100,
        sample_every=10,
        samples_per_chain=2,
        train_chains=4,
        test_chains=2,
        sweep_thresholds=(1000.0,),
        n_radial=8,
        width=8,
        depth=1,
        steps=5,
        batch=2,
        seeds=1,
        stability_runs=2,
        stability_steps=20,
        record_every=10,
    ),
    "quick": MLIPHighTemperatureConfig(),
    "full": MLIPHighTemperatureConfig(
        samples_per_chain=8,
        train_chains=48,
        test_chains=16,
        sweep_thresholds=(500.0, 300.0, 250.0, 200.0, 150.0),
        sweep_seeds=3,
        steps=6000,
        seeds=5,
        stability_runs=16,
        stability_steps=2000,
    ),
}
