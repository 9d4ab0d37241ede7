"""jaxdyn: GPU-accelerated, differentiable simulation of dynamical systems in JAX."""

from .core import (
    STATUS_NAMES,
    AbstractDelaySystem,
    AbstractSystem,
    AbstractTransform,
    FitResult,
    Grid,
    Identity,
    Interval,
    Positive,
    Trajectory,
    fit,
    log_times,
    simulate,
    simulate_delay,
    status_counts,
    sweep,
)

__version__ = "0.1.0"

__all__ = [
    "AbstractDelaySystem",
    "simulate_delay",
    "STATUS_NAMES",
    "AbstractSystem",
    "AbstractTransform",
    "FitResult",
    "Grid",
    "Identity",
    "Interval",
    "Positive",
    "Trajectory",
    "fit",
    "log_times",
    "simulate",
    "status_counts",
    "sweep",
]
