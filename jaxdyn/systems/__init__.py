"""Physical systems, one module each, and their registry.

``names()`` lists the registered systems, ``get(name)`` returns a class and ``info(name)``
its metadata (kind, paper, reference, parameters with defaults and ranges, characteristic
time). Every registered system constructs from its defaults and passes the contract
tests of ``tests/test_contract.py``.
"""

from ._registry import get, info, kind_of, names, register
from .active_drop import ActiveDrop
from .boltzmann import Boltzmann2D
from .boltzmann_ap import BoltzmannMixtureAP, BoltzmannMixtureAsymptotic
from .boltzmann_mixture import BoltzmannMixture
from .burgers import Burgers, cole_hopf_sine, grf_initial_condition, make_dataset
from .cell_bulk import CellBulkODE, CellBulkRadial
from .chemical_networks import (
    AbstractNamedNetwork,
    BirthDeath,
    Brusselator,
    Dimerisation,
    Schlogl,
)
from .delayed_oscillator import DelayedActionOscillator
from .duffing import Duffing
from .gauss_map import GaussMap
from .heat2d import Heat2D
from .kuramoto import DelayedKuramoto, Kuramoto
from .langevin import Harmonic, UnderdampedLangevin
from .lennard_jones import LangevinMD, LennardJonesMixture
from .lif import LIFNetwork, scaffold_adjacency
from .lorenz import Lorenz
from .maxwell_aging import AgingMaxwell
from .objectives import LessardCounterexample, conditioned_quadratic
from .optimizer_flows import (
    GradientFlow,
    HeavyBallFlow,
    NesterovFlow,
    NesterovSCFlow,
    SlowFastMomentum,
)
from .optimizer_maps import (
    GradientDescent,
    HeavyBall,
    Nesterov,
    NesterovConvex,
    TripleMomentum,
)
from .pendulum import Pendulum
from .reaction_network import (
    AbstractReactionNetwork,
    ChemicalLangevin,
    RateEquations,
    ReactionNetwork,
)
from .recharge_oscillator import RechargeOscillator
from .redundancy import (
    AbstractObjective,
    LogisticRegression,
    Quadratic,
    RedundantGradientNetwork,
    contraction_bounds,
    errors,
    logistic_data,
    quadratic_theory,
)
from .replicator import DelayedReplicator
from .repression_abm import ARCHITECTURES, RepressionABM, runaway_observables, small_world
from .stochastic_oscillator import StochasticOscillator
from .sync1d import AbstractSync1D, Sync1D, Sync1DColumnar, Sync1DNoisy

for _cls in (
    AgingMaxwell,
    Boltzmann2D,
    BoltzmannMixture,
    BoltzmannMixtureAP,
    BoltzmannMixtureAsymptotic,
    BirthDeath,
    Brusselator,
    Burgers,
    ActiveDrop,
    CellBulkRadial,
    CellBulkODE,
    DelayedActionOscillator,
    DelayedKuramoto,
    DelayedReplicator,
    Dimerisation,
    Duffing,
    GaussMap,
    GradientDescent,
    GradientFlow,
    HeavyBall,
    HeavyBallFlow,
    Heat2D,
    Kuramoto,
    LangevinMD,
    LIFNetwork,
    Lorenz,
    Nesterov,
    NesterovConvex,
    NesterovFlow,
    NesterovSCFlow,
    Pendulum,
    ReactionNetwork,
    RechargeOscillator,
    RedundantGradientNetwork,
    RepressionABM,
    Schlogl,
    SlowFastMomentum,
    StochasticOscillator,
    Sync1DColumnar,
    Sync1DNoisy,
    TripleMomentum,
    UnderdampedLangevin,
):
    register(_cls)

__all__ = [
    "AgingMaxwell",
    "DelayedKuramoto",
    "Kuramoto",
    "LIFNetwork",
    "scaffold_adjacency",
    "AbstractNamedNetwork",
    "AbstractReactionNetwork",
    "BirthDeath",
    "Brusselator",
    "ChemicalLangevin",
    "Dimerisation",
    "RateEquations",
    "ReactionNetwork",
    "Schlogl",
    "Boltzmann2D",
    "BoltzmannMixture",
    "BoltzmannMixtureAP",
    "BoltzmannMixtureAsymptotic",
    "ARCHITECTURES",
    "AbstractObjective",
    "AbstractSync1D",
    "Burgers",
    "ActiveDrop",
    "CellBulkRadial",
    "CellBulkODE",
    "DelayedActionOscillator",
    "DelayedReplicator",
    "Duffing",
    "GaussMap",
    "GradientDescent",
    "GradientFlow",
    "HeavyBall",
    "HeavyBallFlow",
    "LessardCounterexample",
    "Nesterov",
    "NesterovConvex",
    "NesterovFlow",
    "NesterovSCFlow",
    "SlowFastMomentum",
    "TripleMomentum",
    "conditioned_quadratic",
    "Harmonic",
    "Heat2D",
    "LangevinMD",
    "LennardJonesMixture",
    "Lorenz",
    "LogisticRegression",
    "Pendulum",
    "Quadratic",
    "RechargeOscillator",
    "RedundantGradientNetwork",
    "RepressionABM",
    "StochasticOscillator",
    "Sync1D",
    "Sync1DColumnar",
    "Sync1DNoisy",
    "UnderdampedLangevin",
    "cole_hopf_sine",
    "contraction_bounds",
    "errors",
    "get",
    "grf_initial_condition",
    "info",
    "kind_of",
    "logistic_data",
    "make_dataset",
    "names",
    "quadratic_theory",
    "register",
    "runaway_observables",
    "small_world",
]
