"""One reduction, two array libraries: JAX inside a traced member, NumPy afterwards.

The interface reductions (:mod:`.roughness`, :mod:`.sync`) are written once against the
operations NumPy and ``jax.numpy`` share. Given a JAX array (or a tracer, inside
``simulate``/``sweep``) they run in ``jax.numpy``; given anything else (a NumPy array, a
list, an ``xarray.DataArray`` read from a sweep's dataset) they run in NumPy, keeping its
float64 precision whatever JAX's x64 setting.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np


def namespace(*arrays: Any) -> ModuleType:
    """``jax.numpy`` if any argument is a JAX array (or tracer), else ``numpy``."""
    return jnp if any(isinstance(a, jax.Array) for a in arrays) else np


def as_array(x: Any) -> Any:
    """``x`` unchanged if it is a JAX array, else as a NumPy array (labels dropped)."""
    return x if isinstance(x, jax.Array) else np.asarray(x)
