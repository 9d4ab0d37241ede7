"""Systems: parameters plus pure dynamics, one abstract base per kind of dynamics.

A model is an :class:`equinox.Module` whose (array) fields are its parameters, so it can
be ``vmap``-ed over a parameter grid and differentiated with respect to any parameter.
Its *kind* says what its dynamics are and how :func:`jaxdyn.simulate` integrates it:

=========================  ==========================================  =====================
kind                       methods a concrete system implements        integrated by
=========================  ==========================================  =====================
:class:`AbstractODE`       ``drift(t, y, args)``                        diffrax
:class:`AbstractSDE`       ``drift``, ``diffusion(t, y, args)``         diffrax + Brownian path
:class:`AbstractDDE`       ``delays(t, y)``, ``drift(t, y, y_lag, a)``  method of steps
:class:`AbstractMap`       ``step(t, y, key, args)``                    a scan over steps
:class:`AbstractSemilinear` ``linear_symbol()``, ``nonlinear_spectral``  ETDRK4 (or diffrax)
=========================  ==========================================  =====================

Every kind also implements ``initial_state(key)``. Each kind is an abstract base whose
required methods are abstract (instantiating a system that lacks one is a ``TypeError``);
concrete systems are final. No kind redefines a method of another kind: a delay
system's ``drift`` takes the lagged states because it is the DDE kind's own method, not
an override of the ODE's.

Metadata lives on the class (in the spirit of ``dysts``): ``name``, ``paper``,
``reference``, ``param_ranges`` (closed intervals that :meth:`AbstractSystem.validate`
enforces on construction), ``default_dt`` (fixed step, initial step or time per map
step) and ``t_char`` (a characteristic time scale: a short run is ``t_char`` long).
"""

from __future__ import annotations

import abc
import dataclasses
import functools
import math
import typing
from typing import Any, ClassVar, Literal

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float, PRNGKeyArray, PyTree

NoiseKind = Literal["diagonal", "additive", "general"]
NOISE_KINDS: tuple[str, ...] = ("diagonal", "additive", "general")


def is_concrete(x: Any) -> bool:
    """True unless ``x`` (or a leaf of it) is a JAX tracer (inside jit/vmap/grad)."""
    return not any(isinstance(v, jax.core.Tracer) for v in jax.tree_util.tree_leaves(x))


class AbstractSystem(eqx.Module):
    """Root of every jaxdyn model: parameters, their validation, metadata.

    Subclass one of the kinds (:class:`AbstractODE`, :class:`AbstractSDE`,
    :class:`AbstractDDE`, :class:`AbstractMap`, :class:`AbstractSemilinear`), not this
    class. Field values are validated on construction against ``param_ranges``: a value
    outside its range, a NaN, an infinite value or an array of the wrong rank raises
    ``ValueError`` naming the parameter and the allowed range. Validation is skipped for
    traced values (inside ``jit``/``vmap``/``grad``).
    """

    name: ClassVar[str] = "system"
    #: the paper of ``shared/papers.md`` the system reproduces ("" for generic models)
    paper: ClassVar[str] = ""
    reference: ClassVar[str] = ""
    #: closed intervals ``(low, high)`` of the allowed values of each parameter
    param_ranges: ClassVar[dict[str, tuple[float, float]]] = {}
    #: fixed step, initial step of an adaptive solve, or time per step of a map
    default_dt: ClassVar[float] = 1e-2
    #: characteristic time scale (a "short run" of the system lasts about this long)
    t_char: ClassVar[float] = 1.0

    def __check_init__(self):
        self.validate()

    def validate(self) -> None:
        """Raise ``ValueError`` if a concrete parameter has the wrong rank or range.

        The rank comes from the field's annotation: ``Float[Array, ""]`` is a scalar,
        ``Float[Array, " n"]`` a vector, and a plain ``Array``/``jax.Array`` annotation
        means a scalar (annotate with a shape to accept arrays); ``"..."``/``"*"`` shapes
        accept any rank. The range comes from ``param_ranges``.
        """
        owner = type(self).__name__
        values = {k: getattr(self, k) for k in self.param_ranges}
        hints = _hints(type(self))
        for field, value in values.items():
            want = _expected_rank(hints.get(field))
            if want is None or not is_concrete(value):
                continue
            got = np.ndim(value)
            if got != want:
                kind = "a scalar" if want == 0 else f"an array of rank {want}"
                raise ValueError(
                    f"{owner}: parameter {field!r} must be {kind}, got shape {np.shape(value)}"
                )
        check_ranges(owner, self.param_ranges, values)

    @abc.abstractmethod
    def initial_state(self, key: PRNGKeyArray | None = None) -> PyTree[Array]:
        """A (possibly random) initial condition; ``key=None`` gives the default one."""

    @property
    def is_stochastic(self) -> bool:
        """Whether integrating the system draws random numbers (then it needs a key)."""
        return False

    def parameters(self) -> dict[str, Array]:
        """The validated parameters, by name (those listed in ``param_ranges``)."""
        return {k: getattr(self, k) for k in self.param_ranges}

    def sweepable(self) -> tuple[str, ...]:
        """Fields a sweep may replace: the non-static fields holding numbers or arrays."""
        out = []
        for f in dataclasses.fields(self):
            v = getattr(self, f.name, None)
            numeric = isinstance(v, int | float) and not isinstance(v, bool)
            if not f.metadata.get("static", False) and (numeric or eqx.is_array(v)):
                out.append(f.name)
        return tuple(out)


class AbstractODE(AbstractSystem):
    """dy/dt = f(t, y): implement ``drift(t, y, args)`` (any pytree state)."""

    @abc.abstractmethod
    def drift(self, t: ArrayLike, y: PyTree[Array], args: Any = None) -> PyTree[Array]:
        """The vector field f(t, y)."""


class AbstractSDE(AbstractODE):
    """dy = f(t, y) dt + g(t, y) dW: implement ``drift`` and ``diffusion(t, y, args)``.

    The class variable ``noise`` says what ``diffusion`` returns:

    ============  ========================================  ======================
    ``noise``     ``diffusion`` returns                     Brownian motion shape
    ============  ========================================  ======================
    "diagonal"    an array shaped like y: dy_i = g_i dW_i    y.shape
    "additive"    like "diagonal", independent of y          y.shape
    "general"     an array of shape y.shape + noise_shape    ``noise_shape(y)``
    ============  ========================================  ======================
    """

    noise: ClassVar[NoiseKind] = "diagonal"

    @abc.abstractmethod
    def diffusion(self, t: ArrayLike, y: PyTree[Array], args: Any = None) -> PyTree[Array]:
        """The noise amplitude g(t, y) (see the class docstring for its shape)."""

    def noise_shape(self, y: Array) -> tuple[int, ...]:
        """Shape of the driving Brownian motion (only ``noise="general"`` needs this)."""
        return jnp.shape(y)

    @property
    def is_stochastic(self) -> bool:
        return True


class AbstractDDE(AbstractSystem):
    """dy/dt = f(t, y(t), y(t - τ_1), ..., y(t - τ_d)), y = φ on t <= t0.

    Implement ``delays(t, y) -> (d,)`` (constant delays are usually fields, so they can
    be swept and differentiated; they may depend on ``(t, y)``) and
    ``drift(t, y, y_delayed, args)`` with ``y_delayed[i] = y(t - τ_i)`` of shape
    ``(d, *y.shape)``. ``history(t)`` is φ (default: the constant default initial state).
    """

    #: static upper bound on the delays, sizing the history buffer when the delays are
    #: traced (e.g. inside a sweep); ``simulate(..., max_delay=...)`` overrides it.
    max_delay: ClassVar[float | None] = None

    @abc.abstractmethod
    def delays(self, t: ArrayLike, y: Array) -> Float[Array, " d"]:
        """The delays τ_i >= 0."""

    @abc.abstractmethod
    def drift(self, t: ArrayLike, y: Array, y_delayed: Array, args: Any = None) -> Array:
        """The right-hand side given the current and the lagged states."""

    def history(self, t: ArrayLike) -> Array:
        """φ(t) for t <= t0; default: constant ``initial_state(None)``."""
        return jnp.asarray(self.initial_state(None), dtype=float)


class AbstractMap(AbstractSystem):
    """A discrete-time system y_{n+1} = F(t_n, y_n, key_n): implement ``step(t, y, key, args)``.

    Agent-based models, Crank-Nicolson stepping of a PDE and discrete-time networks are
    maps. One step advances time by :meth:`time_step` (default ``default_dt = 1``); step
    n receives ``key_n = fold_in(key, n)``, so a run is a deterministic function of its
    key. Maps that draw no random numbers set ``random_steps = False``.
    """

    default_dt: ClassVar[float] = 1.0
    random_steps: ClassVar[bool] = True

    @abc.abstractmethod
    def step(
        self, t: Array, y: PyTree[Array], key: PRNGKeyArray, args: Any = None
    ) -> PyTree[Array]:
        """The state one step later."""

    def time_step(self) -> float:
        """Time advanced by one step (a Python number: it fixes the step count)."""
        return float(self.default_dt)

    @property
    def is_stochastic(self) -> bool:
        return self.random_steps


class AbstractSemilinear(AbstractODE):
    """dy/dt = L y + N(t, y) with L diagonal in a spectral basis (stiff PDEs, method of lines).

    Implement ``linear_symbol()`` (the eigenvalues of L, shaped like the spectral state),
    ``nonlinear_spectral(t, v, args)`` (N in spectral coordinates, v = ``to_spectral(y)``)
    and, unless L is diagonal in the state's own coordinates, ``to_spectral`` and
    ``from_spectral``. :func:`jaxdyn.simulate` then integrates it by ETDRK4 (the stiff
    linear part exactly) by default; ``drift`` is the full right-hand side, so any diffrax
    solver works too, and an IMEX diffrax solver (Sil3, KenCarp) gets N explicit and L
    implicit.
    """

    @abc.abstractmethod
    def linear_symbol(self) -> Array:
        """Eigenvalues of the linear operator L in the spectral basis."""

    @abc.abstractmethod
    def nonlinear_spectral(self, t: ArrayLike, v: Array, args: Any = None) -> Array:
        """N(t, y) in spectral coordinates, as a function of v = to_spectral(y)."""

    def to_spectral(self, y: Array) -> Array:
        return y

    def from_spectral(self, v: Array) -> Array:
        return v

    def linear(self, t: ArrayLike, y: Array, args: Any = None) -> Array:
        """L y (the implicit part of an IMEX split)."""
        return self.from_spectral(self.linear_symbol() * self.to_spectral(y))

    def nonlinear(self, t: ArrayLike, y: Array, args: Any = None) -> Array:
        """N(t, y) (the explicit part of an IMEX split)."""
        return self.from_spectral(self.nonlinear_spectral(t, self.to_spectral(y), args))

    def drift(self, t: ArrayLike, y: Array, args: Any = None) -> Array:
        v = self.to_spectral(y)
        return self.from_spectral(self.linear_symbol() * v + self.nonlinear_spectral(t, v, args))


class AbstractJumpProcess(AbstractSystem):
    """A continuous-time Markov jump process on counts: y -> y + ν_j at rate a_j(y).

    The state is a vector of non-negative integer counts (molecules, agents, ...).
    Implement ``stoichiometry()`` (the change vectors ν_j as a static integer array of
    shape ``(R, n)``, one row per channel) and ``propensities(t, y, args)`` (the rates
    a_j(y) >= 0, shape ``(R,)``; zero for a channel that would leave the state space).
    :func:`jaxdyn.simulate` samples exact paths by Gillespie's direct method (D. T.
    Gillespie, J. Comput. Phys. 22, 403 (1976)), or fixed-step tau-leaping when given
    ``solver=TauLeaping()``. The direct method holds the propensities constant between
    jumps: they must not depend on ``t`` (the argument is there for a uniform signature).
    """

    @abc.abstractmethod
    def stoichiometry(self) -> np.ndarray:
        """Change vectors ν_j, an integer array of shape ``(R, n)`` (static, not traced)."""

    @abc.abstractmethod
    def propensities(self, t: ArrayLike, y: Array, args: Any = None) -> Float[Array, " R"]:
        """The jump rates a_j(y) >= 0 of the R channels in state ``y``."""

    @property
    def is_stochastic(self) -> bool:
        return True


#: the kinds, most specific first (the order in which ``kind_of`` tests them)
KINDS: tuple[type[AbstractSystem], ...] = (
    AbstractSemilinear,
    AbstractSDE,
    AbstractODE,
    AbstractDDE,
    AbstractMap,
    AbstractJumpProcess,
)


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    try:
        return typing.get_type_hints(cls)
    except Exception:  # unresolvable forward references: no rank checks
        return {}


def _expected_rank(hint: Any) -> int | None:
    """Rank demanded by an annotation: jaxtyping dims, 0 for a bare array type, else None."""
    if hint is None:
        return None
    dims = getattr(hint, "dim_str", None)
    if dims is not None:
        return None if ("*" in dims or "..." in dims) else len(dims.split())
    if hint in (jax.Array, Array, ArrayLike) or getattr(hint, "__name__", "") in {"Array"}:
        return 0
    return None


def check_ranges(
    owner: str, ranges: dict[str, tuple[float, float]], values: dict[str, Any]
) -> None:
    """Check concrete ``values`` against closed intervals ``ranges`` (vectorised)."""
    for field, value in values.items():
        if field not in ranges or not is_concrete(value):
            continue
        lo, hi = ranges[field]
        try:
            arr = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            raise ValueError(
                f"{owner}: parameter {field!r} must be a number or an array of numbers, "
                f"got {type(value).__name__}"
            ) from None
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{owner}: parameter {field!r} must be finite, got {_short(arr)}")
        if np.any(arr < lo) or np.any(arr > hi):
            raise ValueError(
                f"{owner}: parameter {field!r} must lie in [{lo}, {hi}], got {_short(arr)}"
            )


def _short(arr: np.ndarray) -> str:
    if arr.size == 1:
        return repr(float(arr.reshape(())))
    return f"array with min {np.nanmin(arr)!r} and max {np.nanmax(arr)!r}"


def check_int(name: str, value: int, lo: int, hi: float = math.inf) -> int:
    """Validate an integer structural parameter (a lattice size, a count)."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    if not lo <= value <= hi:
        raise ValueError(f"{name} must lie in [{lo}, {hi}], got {value}")
    return int(value)


def check_positive(name: str, value: float, *, allow_zero: bool = False) -> float:
    """Validate a finite positive (or non-negative) Python number; return it as float."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    v = float(value)
    ok = v >= 0 if allow_zero else v > 0
    if not (np.isfinite(v) and ok):
        bound = "[0, inf)" if allow_zero else "(0, inf)"
        raise ValueError(f"{name} must be finite and lie in {bound}, got {value!r}")
    return v


__all__ = [
    "AbstractDDE",
    "AbstractJumpProcess",
    "AbstractMap",
    "AbstractODE",
    "AbstractSDE",
    "AbstractSemilinear",
    "AbstractSystem",
    "KINDS",
    "NOISE_KINDS",
    "check_int",
    "check_positive",
    "check_ranges",
    "is_concrete",
]
