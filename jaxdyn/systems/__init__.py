"""Physical systems, one module each."""

from .lorenz import Lorenz
from .sync1d import Sync1D, Sync1DColumnar, Sync1DNoisy

__all__ = ["Lorenz", "Sync1D", "Sync1DColumnar", "Sync1DNoisy"]
