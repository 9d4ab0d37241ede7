"""Physical systems, one module each."""

from .burgers import Burgers
from .heat2d import Heat2D
from .langevin import UnderdampedLangevin
from .lorenz import Lorenz
from .redundancy import LogisticRegression, Quadratic, RedundantGradientNetwork
from .replicator import DelayedReplicator
from .repression_abm import RepressionABM
from .sync1d import Sync1D, Sync1DColumnar, Sync1DNoisy

__all__ = [
    "Burgers",
    "DelayedReplicator",
    "Heat2D",
    "Lorenz",
    "LogisticRegression",
    "Quadratic",
    "RedundantGradientNetwork",
    "RepressionABM",
    "Sync1D",
    "Sync1DColumnar",
    "Sync1DNoisy",
    "UnderdampedLangevin",
]
