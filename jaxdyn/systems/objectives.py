"""Test objectives for optimisation methods: ill-conditioned quadratics and the
Lessard-Recht-Packard counterexample (paper 17).

The strongly convex objectives share the interface of
:class:`jaxdyn.systems.redundancy.AbstractObjective` (``value``, ``grad``, ``x_star``,
``curvature_bounds() -> (m, L)``, ``hessian_lipschitz``), so the quadratic of
:class:`~jaxdyn.systems.Quadratic` and the smooth, strongly convex, non-quadratic
L2-regularised :class:`~jaxdyn.systems.LogisticRegression` serve here unchanged; this
module adds

* :func:`conditioned_quadratic`: f(x) = ½ Σ_i λ_i x_i² with λ log-spaced in [m, κ m], the
  worst case of every linear rate bound on S(m, L) (the rate is set by the extreme
  eigenvalues), built with its condition number validated;
* :class:`LessardCounterexample`: the one-dimensional, 1-strongly convex and 25-smooth
  piecewise quadratic of L. Lessard, B. Recht and A. Packard, "Analysis and design of
  optimization algorithms via integral quadratic constraints", SIAM J. Optim. 26, 57
  (2016), §4.6, on which Polyak's heavy ball with the parameters that are optimal for
  quadratics never converges: from x₀ = x₋₁ ∈ [3.07, 3.46] its iterates settle on an
  attracting cycle of period 3.
"""

from __future__ import annotations

import math
from typing import ClassVar

import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from ..core import check_int
from .redundancy import AbstractObjective, Quadratic

#: the largest condition number accepted (beyond it double precision cannot resolve rates)
KAPPA_MAX = 1e12


def check_kappa(kappa: float) -> float:
    """Validate a condition number κ = L/m in [1, KAPPA_MAX]; return it as a float."""
    if isinstance(kappa, bool) or not isinstance(kappa, int | float | np.integer | np.floating):
        raise TypeError(f"kappa must be a number, got {type(kappa).__name__}")
    k = float(kappa)
    if not (math.isfinite(k) and 1.0 <= k <= KAPPA_MAX):
        raise ValueError(
            f"kappa (condition number L/m) must lie in [1, {KAPPA_MAX:g}], got {kappa!r}"
        )
    return k


def conditioned_quadratic(kappa: float, dim: int = 2, m: float = 1.0) -> Quadratic:
    """f(x) = ½ xᵀ diag(λ) x with λ log-spaced from ``m`` to ``kappa * m`` (x* = 0).

    With ``dim = 2`` the eigenvalues are exactly m and L = κ m: the two directions that
    set every linear rate bound on strongly convex quadratics.
    """
    kappa = check_kappa(kappa)
    dim = check_int("dim", dim, 1)
    if isinstance(m, bool) or not (isinstance(m, int | float) and math.isfinite(m) and m > 0):
        raise ValueError(f"m (strong convexity) must be a finite number > 0, got {m!r}")
    lam = np.geomspace(m, kappa * m, dim) if dim > 1 else np.asarray([m])
    return Quadratic(np.zeros(dim), np.diag(lam))


class LessardCounterexample(AbstractObjective):
    """f: R -> R, 1-strongly convex and 25-smooth, with gradient (LRP 2016, §4.6)

        f'(x) = 25 x          for x < 1,
                x + 24        for 1 <= x < 2,
                25 x - 24     for x >= 2,

    i.e. f(x) = 25x²/2, x²/2 + 24x - 12, 25x²/2 - 24x + 36 on the three pieces (C¹, with a
    piecewise constant Hessian 25, 1, 25). The minimiser is x* = 0, f* = 0. The state
    is a vector of length 1 so that methods see the same shapes as on any objective.
    """

    x_star: Float[Array, " 1"]

    #: (lower end, slope, intercept) of f' on each piece, in order
    PIECES: ClassVar[tuple[tuple[float, float, float], ...]] = (
        (-math.inf, 25.0, 0.0),
        (1.0, 1.0, 24.0),
        (2.0, 25.0, -24.0),
    )

    def __init__(self):
        self.x_star = jnp.zeros(1)

    def value(self, x):
        x = jnp.asarray(x)[0]
        v = jnp.where(
            x < 1.0,
            12.5 * x * x,
            jnp.where(x < 2.0, 0.5 * x * x + 24.0 * x - 12.0, 12.5 * x * x - 24.0 * x + 36.0),
        )
        return v

    def grad(self, x):
        return jnp.where(x < 1.0, 25.0 * x, jnp.where(x < 2.0, x + 24.0, 25.0 * x - 24.0))

    def curvature_bounds(self):
        return jnp.asarray(1.0), jnp.asarray(25.0)

    def hessian_lipschitz(self):
        return jnp.asarray(jnp.inf)  # the Hessian jumps at x = 1 and x = 2

    @classmethod
    def piece(cls, x: float) -> int:
        """Index of the piece of f' that contains ``x``."""
        return max(i for i, (lo, _, _) in enumerate(cls.PIECES) if x >= lo)


__all__ = ["KAPPA_MAX", "LessardCounterexample", "check_kappa", "conditioned_quadratic"]
