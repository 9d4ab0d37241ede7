"""Configuration and presets of the redundancy experiment."""

from __future__ import annotations

from dataclasses import dataclass

from ...analysis.graphs import GRAPHS
from .._config import Config, param


@dataclass(frozen=True)
class RedundancyConfig(Config):
    n: int = param(8, "number of learners (graph nodes)", low=3)
    d: int = param(2, "dimension of each learner's parameter x_i", low=1)
    h: float = param(1.0, "curvature of the quadratic loss f = h/2 |x - x*|^2", low=1e-6)
    graphs: tuple[str, ...] = param(
        ("ring", "complete", "star", "erdos_renyi"), "coupling graphs", choices=GRAPHS
    )
    k: tuple[float, ...] = param(
        (0.0, 0.1, 0.3, 1.0, 3.0, 10.0), "coupling strengths k (at least one > 0)", low=0.0
    )
    sigma: tuple[float, ...] = param((0.3, 1.0), "noise amplitudes σ", low=1e-6)
    sigma_ref: float = param(1.0, "σ of the figures and key points (one of sigma)", low=1e-6)
    seeds: int = param(12, "independent runs per (graph, loss, k, σ)", low=2)
    dt: float = param(0.005, "largest Heun step", low=1e-6, high=1.0)
    max_rate_dt: float = param(
        0.3, "bound on a·dt for the stiffest rate a = M + k λ_max", low=1e-3, high=1.0
    )
    t_burn: float = param(5.0, "burn-in before averaging", low=0.0)
    t_avg: float = param(20.0, "length of the time average", low=1e-3)
    every: int = param(20, "steps between saves (at the largest step dt)", low=1)
    reg: float = param(0.5, "L2 regularisation of the logistic loss (strong convexity m)", low=1e-6)
    n_samples: int = param(64, "data points of the logistic regression", low=1)


PRESETS = {
    "tiny": RedundancyConfig(
        graphs=("ring", "star"), k=(0.0, 1.0), sigma=(1.0,), seeds=3, t_burn=1.0, t_avg=3.0
    ),
    "quick": RedundancyConfig(),
    "full": RedundancyConfig(
        k=(0.0, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0),
        sigma=(0.3, 1.0, 3.0),
        seeds=16,
        max_rate_dt=0.2,
        t_avg=60.0,
    ),
}
