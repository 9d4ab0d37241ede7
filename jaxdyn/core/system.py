"""Systems: parameters plus pure vector fields.

A model is an :class:`equinox.Module` whose (array) fields are its parameters, so a
system can be ``vmap``-ed over a parameter grid and differentiated with respect to any
parameter. Its methods are pure functions of time and state:

* ``drift(t, y, args)``: the deterministic part f in dy = f(t, y) dt (+ g dW);
* ``diffusion(t, y, args)``: the noise amplitude g, for stochastic systems only;
* ``initial_state(key)``: a (possibly random) initial condition.

The kind of noise is declared by the class variable ``noise``:

========== ======================================== ==========================
``noise``   ``diffusion`` returns                    Brownian motion shape
========== ======================================== ==========================
None        (not called): an ODE                     --
"diagonal"  an array shaped like y: dy_i = g_i dW_i   y.shape
"additive"  like "diagonal", but independent of y    y.shape
"general"   an array of shape y.shape + noise_shape  ``noise_shape``
========== ======================================== ==========================

Metadata lives on the class (in the spirit of ``dysts``): ``name``, ``reference``,
``param_ranges`` (closed intervals that :meth:`AbstractSystem.validate` enforces on
construction) and solver hints ``default_dt``. Later extensions (delays, jumps,
method-of-lines PDEs, neural vector fields) are further subclasses that add methods;
the simulate/sweep/fit path treats them all the same way.
"""

from __future__ import annotations

import functools
import math
import typing
from typing import Any, ClassVar, Literal

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, PRNGKeyArray, PyTree

NoiseKind = Literal["diagonal", "additive", "general"] | None


def _is_concrete(x: Any) -> bool:
    return not isinstance(x, jax.core.Tracer)


class AbstractSystem(eqx.Module):
    """Base class of every jaxdyn model.

    Subclasses declare their parameters as fields and implement :meth:`drift` (and
    :meth:`diffusion` when ``noise`` is not None). Field values are validated on
    construction against ``param_ranges``: a value outside its range, a NaN, or a
    non-finite value raises ``ValueError`` naming the parameter and the allowed range.
    Validation is skipped for traced values (inside ``jit``/``vmap``/``grad``).
    """

    name: ClassVar[str] = "system"
    reference: ClassVar[str] = ""
    noise: ClassVar[NoiseKind] = None
    #: closed intervals ``(low, high)`` of the allowed values of each parameter
    param_ranges: ClassVar[dict[str, tuple[float, float]]] = {}
    #: suggested fixed step for SDEs / initial step for adaptive ODE solves
    default_dt: ClassVar[float] = 1e-2

    def __check_init__(self):
        self.validate()

    def validate(self) -> None:
        """Raise ``ValueError`` if a concrete parameter has the wrong rank or range.

        The rank comes from the field's jaxtyping annotation (``Float[Array, ""]`` is a
        scalar, ``Float[Array, " n"]`` a vector), the range from ``param_ranges``.
        """
        owner = type(self).__name__
        values = {k: getattr(self, k) for k in self.param_ranges}
        hints = _hints(type(self))
        for field, value in values.items():
            dims = getattr(hints.get(field), "dim_str", None)
            if dims is None or not _is_concrete(value) or "*" in dims or "..." in dims:
                continue
            want = len(dims.split())
            got = np.ndim(value)
            if got != want:
                kind = "a scalar" if want == 0 else f"an array of rank {want} ({dims!r})"
                raise ValueError(
                    f"{owner}: parameter {field!r} must be {kind}, got shape {np.shape(value)}"
                )
        check_ranges(owner, self.param_ranges, values)

    def drift(self, t: ArrayLike, y: PyTree[Array], args: Any = None) -> PyTree[Array]:
        raise NotImplementedError

    def diffusion(self, t: ArrayLike, y: PyTree[Array], args: Any = None) -> PyTree[Array]:
        raise NotImplementedError(f"{type(self).__name__} is deterministic (noise=None)")

    def noise_shape(self, y: Array) -> tuple[int, ...]:
        """Shape of the driving Brownian motion (only ``noise="general"`` needs this)."""
        return jnp.shape(y)

    def initial_state(self, key: PRNGKeyArray | None = None) -> PyTree[Array]:
        raise NotImplementedError(
            f"{type(self).__name__} has no default initial state: pass y0= explicitly"
        )

    @property
    def is_stochastic(self) -> bool:
        return self.noise is not None

    def parameters(self) -> dict[str, Array]:
        """The validated parameters, by name (those listed in ``param_ranges``)."""
        return {k: getattr(self, k) for k in self.param_ranges}


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    try:
        return typing.get_type_hints(cls)
    except Exception:  # unresolvable forward references: skip rank checks
        return {}


def check_ranges(
    owner: str, ranges: dict[str, tuple[float, float]], values: dict[str, Any]
) -> None:
    """Check concrete ``values`` against closed intervals ``ranges`` (vectorised)."""
    for field, value in values.items():
        if field not in ranges or not _is_concrete(value):
            continue
        lo, hi = ranges[field]
        arr = np.asarray(value, dtype=float)
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
