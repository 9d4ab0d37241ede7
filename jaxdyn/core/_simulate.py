"""``simulate``: the one way to run any System.

``simulate`` validates what every kind of system shares (the time interval, save times,
the initial state, the key, the observable), looks up the integrator of the system's
kind in one table (:mod:`jaxdyn.core.integrators`), checks the kind-specific options
against that integrator's signature and calls it. Every kind returns the same
:class:`~jaxdyn.Trajectory`, so every kind works in ``sweep`` and ``fit`` unchanged. It
never raises on a solver failure unless asked to: the trajectory carries a ``status``
code so that a sweep can mark one failing member and carry on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, PRNGKeyArray, PyTree

from ._system import AbstractSystem, is_concrete
from ._trajectory import Trajectory
from .integrators import Problem, check_options, integrator_for
from .integrators._problem import save_state


def simulate(
    system: AbstractSystem,
    t1: float,
    *,
    t0: float = 0.0,
    y0: PyTree[ArrayLike] | None = None,
    key: PRNGKeyArray | None = None,
    ts: ArrayLike | None = None,
    observable: Callable[[Array, PyTree[Array]], PyTree[Array]] | None = None,
    dt: float | None = None,
    solver: Any = None,
    args: Any = None,
    throw: bool = False,
    **options: Any,
) -> Trajectory:
    """Integrate ``system`` from ``t0`` to ``t1``, whatever its kind.

    Args:
        system: any System (ODE, SDE, delay, map, semi-linear, or a kind added later).
        t1: final time (finite, > t0).
        t0: initial time.
        y0: initial state; by default ``system.initial_state(key)``. Its structure and
            shapes must match the system's state.
        key: PRNG key. It is split into one key for the initial state and one for the
            run's randomness (Brownian path, random map steps); the same key always gives
            the same numbers. Stochastic systems need one.
        ts: save times: finite, non-decreasing, inside [t0, t1] (default: only ``t1``).
        observable: ``observable(t, y) -> pytree``, evaluated at each save time instead
            of storing the state (reductions on the fly keep memory at O(T)).
        dt: fixed step, or the initial step of an adaptive solve (> 0). Default
            ``system.default_dt``. A map's step is its own ``time_step()``.
        solver: a solver for the system's integrator (any diffrax solver for ODEs and
            SDEs; an explicit one for delay systems; :class:`~jaxdyn.ETDRK4` or a diffrax
            solver for semi-linear systems). Default: the kind's own.
        args: passed to the system's methods.
        throw: raise on solver failure instead of returning a status code.
        **options: the kind's own options, e.g. ``adaptive``, ``rtol``, ``atol``,
            ``max_steps``, ``adjoint`` (ODE/SDE) or ``max_delay``, ``history``, ``align``
            (delay). An option the kind does not take is a ``TypeError`` naming it.

    Returns:
        A :class:`~jaxdyn.Trajectory` with ``ts``, ``ys`` (or observables), ``status``
        (0 ok, 1 step budget, 2 non-finite, 3 failed) and ``num_steps``.
    """
    if not isinstance(system, AbstractSystem):
        raise TypeError(f"system must be a jaxdyn System, got {type(system).__name__}")
    integrate = integrator_for(system)
    check_options(integrate, system, options)
    t0 = _check_time("t0", t0)
    t1 = _check_time("t1", t1)
    if is_concrete((t0, t1)) and not float(t1) > float(t0):
        raise ValueError(f"t1 must be greater than t0, got t0={t0}, t1={t1}")
    if dt is not None and is_concrete(dt):
        dt = _check_time("dt", dt)
        if not float(dt) > 0:
            raise ValueError(f"dt must be positive, got {dt}")
    if observable is not None and not callable(observable):
        raise TypeError(f"observable must be a function (t, y) -> pytree, got {observable!r}")
    if not isinstance(throw, bool):
        raise TypeError(f"throw must be True or False, got {throw!r}")

    init_key = run_key = None
    if key is not None:
        _check_key(key)
        init_key, run_key = jax.random.split(key)
    y0 = _initial_state(system, y0, init_key)
    ts_checked, end_only = _save_times(ts, t0, t1)
    save = save_state if observable is None else (lambda t, y, args: observable(t, y))
    problem = Problem(
        t0=t0,
        t1=t1,
        y0=y0,
        key=run_key,
        ts=ts_checked,
        end_only=end_only,
        save=save,
        dt=dt,
        solver=solver,
        args=args,
        throw=throw,
    )
    return integrate(system, problem, **options)


def _check_time(name: str, value: Any) -> Any:
    if not is_concrete(value):
        if jnp.ndim(value) != 0:
            raise ValueError(f"{name} must be a scalar, got shape {jnp.shape(value)}")
        return value
    if isinstance(value, str | bytes) or isinstance(value, bool):
        raise TypeError(f"{name} must be a number, got {value!r}")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}") from None
    if not np.isfinite(v):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return v


def _check_key(key: Any) -> None:
    dtype = getattr(key, "dtype", None)
    if dtype is not None and jax.dtypes.issubdtype(dtype, jax.dtypes.prng_key):
        ok = jnp.ndim(key) == 0
    else:
        ok = dtype == jnp.uint32 and jnp.shape(key) == (2,)
    if not ok:
        raise TypeError(
            f"key must be a single PRNG key (jax.random.PRNGKey(seed) or jax.random.key(seed)), "
            f"got {type(key).__name__} with shape {jnp.shape(key)}"
        )


def _initial_state(system: AbstractSystem, y0: Any, init_key: Any) -> PyTree[Array]:
    if y0 is None:
        return jax.tree_util.tree_map(jnp.asarray, system.initial_state(init_key))
    y0 = jax.tree_util.tree_map(jnp.asarray, y0)
    like = jax.eval_shape(system.initial_state, jax.random.PRNGKey(0))
    want = jax.tree_util.tree_structure(like)
    got = jax.tree_util.tree_structure(y0)
    if want != got:
        raise ValueError(
            f"y0 must have the structure of {type(system).__name__}'s state ({want}), got {got}"
        )
    for a, b in zip(jax.tree_util.tree_leaves(like), jax.tree_util.tree_leaves(y0), strict=True):
        if tuple(a.shape) != tuple(b.shape):
            raise ValueError(
                f"y0 must have the shape of {type(system).__name__}'s state, {tuple(a.shape)}, "
                f"got {tuple(b.shape)}"
            )
    return y0


def _save_times(ts: Any, t0: Any, t1: Any) -> tuple[Any, bool]:
    if ts is None:
        return (np.asarray([float(t1)]) if is_concrete(t1) else jnp.reshape(t1, (1,))), True
    if not is_concrete(ts):
        if jnp.ndim(ts) != 1 or jnp.shape(ts)[0] == 0:
            raise ValueError(f"ts must be a non-empty 1-D array of save times, got {jnp.shape(ts)}")
        return ts, False
    try:
        arr = np.asarray(ts, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"ts must be an array of numbers, got {type(ts).__name__}") from None
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"ts must be a non-empty 1-D array of save times, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("ts must be finite (no NaN or inf save times)")
    if np.any(np.diff(arr) < 0):
        raise ValueError("ts must be sorted (non-decreasing)")
    if is_concrete((t0, t1)):
        lo, hi = float(t0), float(t1)
        slack = 1e-12 * max(1.0, abs(lo), abs(hi))
        if arr[0] < lo - slack or arr[-1] > hi + slack:
            raise ValueError(f"ts must lie in [t0, t1] = [{lo}, {hi}], got [{arr[0]}, {arr[-1]}]")
        arr = np.clip(arr, lo, hi)
    return arr, False


__all__ = ["simulate"]
