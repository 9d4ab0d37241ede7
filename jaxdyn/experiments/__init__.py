"""Reproducible experiments, one module per paper; see :mod:`.registry`."""

from .registry import Experiment, get, names, number, register, run_experiment

__all__ = ["Experiment", "get", "names", "number", "register", "run_experiment"]
