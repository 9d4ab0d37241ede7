"""Neural models (Fourier neural operators, Jacobian regularisers, LangevinFlow, LFADS, a
radial ML interatomic potential) and the one training loop, :func:`train`."""

from .fno import FNO1d, FNOStep, SpectralConv1d
from .jacobian import (
    hutchinson_frobenius,
    hutchinson_row_norms,
    jaws_penalty,
    jaws_weights,
    unrolled_loss,
)
from .langevin_flow import LangevinFlow
from .lfads import LFADS
from .mlip import EnergyForceLoss, RadialMLIP
from .potentials import CoupledOscillatorPotential
from .training import Hook, Series, TrainResult, step_memory, train

__all__ = [
    "CoupledOscillatorPotential",
    "EnergyForceLoss",
    "LFADS",
    "LangevinFlow",
    "RadialMLIP",
    "FNO1d",
    "FNOStep",
    "Hook",
    "Series",
    "SpectralConv1d",
    "TrainResult",
    "hutchinson_frobenius",
    "hutchinson_row_norms",
    "jaws_penalty",
    "jaws_weights",
    "step_memory",
    "train",
    "unrolled_loss",
]
