"""Neural models: Fourier neural operators, Jacobian regularisers, a training loop."""

from .fno import FNO1d, FNOStep, SpectralConv1d
from .jacobian import hutchinson_frobenius, hutchinson_row_norms, jaws_penalty, jaws_weights
from .training import TrainResult, step_memory, train

__all__ = [
    "FNO1d",
    "FNOStep",
    "SpectralConv1d",
    "TrainResult",
    "hutchinson_frobenius",
    "hutchinson_row_norms",
    "jaws_penalty",
    "jaws_weights",
    "step_memory",
    "train",
]
