"""The differentiable core: kinds of systems, simulate, sweep, fit.

Private modules, re-exported here (and from :mod:`jaxdyn`):

* ``_trajectory``: :class:`Trajectory` and the status codes (imports nothing of jaxdyn);
* ``_system``: :class:`AbstractSystem` and one abstract base per kind of dynamics;
* ``integrators``: one integrator per kind and the table ``simulate`` dispatches on;
* ``_simulate``: :func:`simulate`; ``_sweep``, ``_grid``, ``_store``: :func:`sweep`;
* ``_fit``: :func:`fit` and the constraint transforms.

Imports run one way: trajectory <- system <- integrators <- simulate <- sweep/fit.
"""

from ._fit import AbstractTransform, FitResult, Identity, Interval, Positive, fit
from ._grid import Grid
from ._simulate import simulate
from ._store import ChunkStore, atomic_path, atomic_write, write_json
from ._sweep import member_key, status_counts, sweep
from ._system import (
    KINDS,
    AbstractDDE,
    AbstractJumpProcess,
    AbstractMap,
    AbstractODE,
    AbstractSDE,
    AbstractSemilinear,
    AbstractSystem,
    check_int,
    check_positive,
    check_ranges,
    is_concrete,
)
from ._trajectory import (
    STATUS_FAILED,
    STATUS_MAX_STEPS,
    STATUS_NAMES,
    STATUS_NONFINITE,
    STATUS_OK,
    Trajectory,
    all_finite,
    finite_status,
    log_times,
)
from .integrators import (
    ETDRK4,
    ClassicRK4,
    Event,
    EventRecord,
    Gillespie,
    Problem,
    TauLeaping,
    register_integrator,
)

__all__ = [
    "ETDRK4",
    "KINDS",
    "STATUS_FAILED",
    "STATUS_MAX_STEPS",
    "STATUS_NAMES",
    "STATUS_NONFINITE",
    "STATUS_OK",
    "AbstractDDE",
    "AbstractJumpProcess",
    "AbstractMap",
    "AbstractODE",
    "AbstractSDE",
    "AbstractSemilinear",
    "AbstractSystem",
    "AbstractTransform",
    "ChunkStore",
    "ClassicRK4",
    "Event",
    "EventRecord",
    "FitResult",
    "Gillespie",
    "Grid",
    "Identity",
    "Interval",
    "Positive",
    "Problem",
    "TauLeaping",
    "Trajectory",
    "all_finite",
    "atomic_path",
    "atomic_write",
    "write_json",
    "check_int",
    "check_positive",
    "check_ranges",
    "finite_status",
    "fit",
    "is_concrete",
    "log_times",
    "member_key",
    "register_integrator",
    "simulate",
    "status_counts",
    "sweep",
]
