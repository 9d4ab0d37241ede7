"""Configuration and presets of the glassy_stress experiment."""

from __future__ import annotations

from dataclasses import dataclass

from .._config import Config, param


@dataclass(frozen=True)
class GlassyStressConfig(Config):
    rates: tuple[float, ...] = param(
        (0.3, 1.0, 3.0, 10.0, 30.0, 100.0),
        "pre-shear rates of the relaxation curves (1/s)",
        low=1e-4,
    )
    t_end: float = param(1000.0, "length of each constant-strain run (s)", low=1.0)
    n_times: int = param(121, "log-spaced save times per run", low=10)
    rtol: float = param(1e-8, "relative tolerance of the adaptive solves", low=1e-12, high=1e-3)
    diagram_rates: int = param(24, "pre-shear rates of the regime diagrams (log grid)", low=2)
    diagram_mus: int = param(24, "hyper-aging exponents mu of the regime diagram", low=2)
    diagram_as: int = param(24, "aging exponents a of the second regime diagram", low=2)
    fit_rates: tuple[float, ...] = param(
        (1.0, 10.0, 100.0), "pre-shear rates of the synthetic data to fit (1/s)", low=1e-4
    )
    fit_points: int = param(40, "noisy stress samples per curve", low=5)
    fit_noise: float = param(0.03, "relative (log-normal) noise of the data", low=1e-4, high=1.0)
    fit_steps: int = param(100, "L-BFGS steps of each fit", low=1)
    fit_lr: float = param(1.0, "L-BFGS step scale (log-parameters)", low=1e-3, high=1.0)
    fit_replicates: int = param(1, "independent noisy data sets (coverage of the errors)", low=1)


PRESETS = {
    "tiny": GlassyStressConfig(
        rates=(1.0, 10.0),
        t_end=100.0,
        n_times=40,
        rtol=1e-6,
        diagram_rates=4,
        diagram_mus=3,
        diagram_as=3,
        fit_rates=(1.0, 10.0),
        fit_points=12,
        fit_steps=10,
    ),
    "quick": GlassyStressConfig(),
    "full": GlassyStressConfig(
        rates=(0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0),
        n_times=241,
        diagram_rates=48,
        diagram_mus=48,
        diagram_as=48,
        fit_steps=150,
        fit_replicates=24,
    ),
}
