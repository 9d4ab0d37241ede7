"""The validated request that :func:`jaxdyn.simulate` hands to an integrator, and the table
that maps each kind of system to its integrator.

An integrator is a function ``integrate(system, problem, *, <its own options>) ->
Trajectory``. ``simulate`` validates everything common to all kinds (times, save times,
the initial state, the key, the observable) into a :class:`Problem`, looks the
integrator up by the system's kind, checks the keyword options against the integrator's
signature, and calls it. A new kind of dynamics is one call to
:func:`register_integrator`; nothing else in the core changes.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from jaxtyping import Array, PRNGKeyArray, PyTree

from .._system import AbstractSystem
from .._trajectory import Trajectory


def save_state(t, y, args):
    """The default ``save``: the state itself (no observable)."""
    return y


@dataclass(frozen=True)
class Problem:
    """What every integrator receives, already validated.

    Attributes:
        t0, t1: the time interval (Python floats unless traced).
        y0: the initial state (a pytree of arrays).
        key: the key of the run's own randomness (noise path, map steps), or None; the
            initial state's randomness has already been drawn from a separate key.
        ts: save times, sorted and inside [t0, t1]: a NumPy array when concrete.
        end_only: True when the caller gave no ``ts`` (save only at t1).
        save: ``save(t, y, args) -> pytree``: the state, or the caller's observable.
        dt: the step (fixed step, initial step, or None for the system's own default).
        solver: the caller's solver, or None for the kind's default.
        args: passed to the system's methods.
        throw: raise on failure instead of returning a status code.
    """

    t0: Any
    t1: Any
    y0: PyTree[Array]
    key: PRNGKeyArray | None
    ts: Any
    end_only: bool
    save: Callable[[Any, Any, Any], Any]
    dt: Any
    solver: Any
    args: Any
    throw: bool

    @property
    def saves_state(self) -> bool:
        """True when ``save`` is :func:`save_state` (no observable)."""
        return self.save is save_state

    @property
    def concrete_ts(self) -> np.ndarray | None:
        return self.ts if isinstance(self.ts, np.ndarray) else None


Integrator = Callable[..., Trajectory]
_TABLE: dict[type, Integrator] = {}


def register_integrator(kind: type[AbstractSystem], integrate: Integrator) -> None:
    """Make ``integrate(system, problem, **options)`` the integrator of ``kind``."""
    if not (isinstance(kind, type) and issubclass(kind, AbstractSystem)):
        raise TypeError(f"kind must be a subclass of AbstractSystem, got {kind!r}")
    _TABLE[kind] = integrate


def integrator_for(system: AbstractSystem) -> Integrator:
    """The integrator of the most specific registered kind in the system's class hierarchy."""
    for cls in type(system).__mro__:
        if cls in _TABLE:
            return _TABLE[cls]
    kinds = ", ".join(sorted(k.__name__ for k in _TABLE))
    raise TypeError(
        f"{type(system).__name__} is not a kind of system jaxdyn can integrate: subclass one of "
        f"{kinds}"
    )


def check_options(integrate: Integrator, system: AbstractSystem, options: dict) -> None:
    """Refuse keyword options the system's integrator does not take, naming them."""
    params = inspect.signature(integrate).parameters
    allowed = sorted(n for n, p in params.items() if p.kind is inspect.Parameter.KEYWORD_ONLY)
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        kind = next((c.__name__ for c in type(system).__mro__ if c in _TABLE), "?")
        raise TypeError(
            f"simulate: option {unknown[0]!r} does not apply to {type(system).__name__} "
            f"(a {kind}); its options are: {', '.join(allowed) or 'none'}"
        )


__all__ = ["Problem", "check_options", "integrator_for", "register_integrator"]
