"""The differentiable core: systems, simulate, sweep, fit."""

from .delay import AbstractDelaySystem, ClassicRK4, simulate_delay
from .fit import AbstractTransform, FitResult, Identity, Interval, Positive, fit
from .grid import Grid
from .simulate import (
    STATUS_FAILED,
    STATUS_MAX_STEPS,
    STATUS_NAMES,
    STATUS_NONFINITE,
    STATUS_OK,
    Trajectory,
    log_times,
    simulate,
)
from .sweep import status_counts, sweep
from .system import AbstractSystem, check_int, check_ranges

__all__ = [
    "AbstractDelaySystem",
    "ClassicRK4",
    "simulate_delay",
    "AbstractSystem",
    "AbstractTransform",
    "FitResult",
    "Grid",
    "Identity",
    "Interval",
    "Positive",
    "STATUS_FAILED",
    "STATUS_MAX_STEPS",
    "STATUS_NAMES",
    "STATUS_NONFINITE",
    "STATUS_OK",
    "Trajectory",
    "check_int",
    "check_ranges",
    "fit",
    "log_times",
    "simulate",
    "status_counts",
    "sweep",
]
