"""Integrators, one per kind of system, and the table that ``simulate`` dispatches on.

=========================  ============================  ==============================
kind                       integrator                    default solver
=========================  ============================  ==============================
``AbstractODE``            :func:`integrate_diffrax`     Tsit5, adaptive
``AbstractSDE``            :func:`integrate_diffrax`     Euler-Maruyama, fixed step
``AbstractDDE``            :func:`integrate_delay`       classical RK4, method of steps
``AbstractMap``            :func:`integrate_map`         the system's own ``step``
``AbstractSemilinear``     :func:`integrate_semilinear`  ETDRK4 (any diffrax solver too)
``AbstractJumpProcess``    :func:`integrate_jumps`       Gillespie direct (exact paths)
=========================  ============================  ==============================

A new kind of dynamics registers its integrator here with :func:`register_integrator`.
"""

from .._system import (
    AbstractDDE,
    AbstractJumpProcess,
    AbstractMap,
    AbstractODE,
    AbstractSemilinear,
)
from ._batched import BATCH_MODES, batching, batching_mode, max_member_rms
from ._delay import ClassicRK4, hermite, integrate_delay
from ._diffrax import integrate_diffrax
from ._etdrk4 import ETDRK4, etdrk4_coefficients, integrate_semilinear
from ._events import Event, EventRecord, integrate_events
from ._fixed import INCREMENTS, draw_increments, fixed_step_solve
from ._map import integrate_map, step_grid
from ._problem import Problem, check_options, integrator_for, register_integrator
from ._replay import REPLAY_MAX_STEPS, replay_solve
from ._ssa import Gillespie, TauLeaping, integrate_jumps

register_integrator(AbstractODE, integrate_diffrax)  # ODEs and SDEs
register_integrator(AbstractDDE, integrate_delay)
register_integrator(AbstractMap, integrate_map)
register_integrator(AbstractSemilinear, integrate_semilinear)
register_integrator(AbstractJumpProcess, integrate_jumps)

__all__ = [
    "BATCH_MODES",
    "ETDRK4",
    "Event",
    "EventRecord",
    "INCREMENTS",
    "REPLAY_MAX_STEPS",
    "batching",
    "batching_mode",
    "draw_increments",
    "fixed_step_solve",
    "max_member_rms",
    "replay_solve",
    "ClassicRK4",
    "Gillespie",
    "TauLeaping",
    "Problem",
    "check_options",
    "etdrk4_coefficients",
    "hermite",
    "integrate_delay",
    "integrate_diffrax",
    "integrate_events",
    "integrate_jumps",
    "integrate_map",
    "integrate_semilinear",
    "integrator_for",
    "register_integrator",
    "step_grid",
]
