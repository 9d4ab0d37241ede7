"""Reductions of a stress curve σ(t) measured at constant strain (paper 14).

Pure functions of sampled curves (NumPy or JAX arrays): the shape of the response
(monotone relaxation, relaxation then build-up, monotone build-up, overshoot) and the
location of an interior minimum, refined by a parabola in log time.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike

#: the shapes :func:`stress_regime` distinguishes (same order as
#: :data:`jaxdyn.systems.maxwell_aging.REGIMES`)
REGIMES = ("monotone relaxation", "relaxation then build-up", "monotone build-up", "overshoot")


def stress_regime(sigma: ArrayLike, rel_tol: float = 1e-9) -> Array:
    """Shape of ``sigma`` (last axis: time): index into :data:`REGIMES`.

    0 if it never rises, 2 if it never falls, 1 if its lowest point is interior (it falls
    then rises), 3 if its highest point is interior (rises then falls). Changes below
    ``rel_tol`` relative to the curve's scale are ignored (round-off on a plateau).
    """
    s = jnp.asarray(sigma)
    d = jnp.diff(jnp.log(jnp.abs(s)), axis=-1)
    rises = jnp.any(d > rel_tol, axis=-1)
    falls = jnp.any(d < -rel_tol, axis=-1)
    n = s.shape[-1]
    i_min = jnp.argmin(s, axis=-1)
    i_max = jnp.argmax(s, axis=-1)
    interior_min = (i_min > 0) & (i_min < n - 1)
    interior_max = (i_max > 0) & (i_max < n - 1)
    both = rises & falls
    return jnp.where(
        ~rises,
        0,
        jnp.where(~falls, 2, jnp.where(both & interior_min, 1, jnp.where(interior_max, 3, 0))),
    )


def curve_minimum(ts: ArrayLike, sigma: ArrayLike) -> tuple[float, float]:
    """Time and value of the interior minimum of a sampled curve (NaN if at an end).

    The discrete minimum is refined by the vertex of the parabola through it and its two
    neighbours in (log t, log σ), which is exact to second order on a smooth curve.
    """
    t = np.asarray(ts, float)
    s = np.asarray(sigma, float)
    if t.ndim != 1 or t.shape != s.shape or t.size < 3:
        raise ValueError("ts and sigma must be 1-D arrays of the same length >= 3")
    i = int(np.argmin(s))
    if i == 0 or i == t.size - 1:
        return float("nan"), float("nan")
    x, y = np.log(t[i - 1 : i + 2]), np.log(s[i - 1 : i + 2])
    c2, c1, c0 = np.polyfit(x, y, 2)
    if c2 <= 0:
        return float(t[i]), float(s[i])
    xv = -c1 / (2 * c2)
    return float(np.exp(xv)), float(np.exp(np.polyval([c2, c1, c0], xv)))


__all__ = ["REGIMES", "curve_minimum", "stress_regime"]
