"""Linear stability and regimes of the active drop (paper 22; model in
:mod:`jaxdyn.systems.active_drop`).

* :class:`ModeProblem`: the drop's dynamics restricted to one Legendre mode n around the
  motionless isotropic state. The linearisation about that state is block-diagonal in n
  (the base state is isotropic), so the mode's Jacobian is the true linear operator
  ∇²_n + Pe B_n, with B_n the advection of the base gradient -1/r² by the mode-n flow.
  The motionless state is an equilibrium for every Pe, so a real eigenvalue crossing
  zero on this trivial branch is a branch point (steady instability of mode n), found
  by :func:`~jaxdyn.analysis.continuation.continuation` and located by
  :func:`~jaxdyn.analysis.continuation.bifurcations`.
* :func:`truncated_threshold`: the exact mode-1 threshold on [1, R] with c(R) = 0,
  from the closed-form steady solution c = A r⁻² + B r + (2/3) Pe c(1) (r⁻³/4 + 1/2);
  it tends to Pe = 4 (Michelin, Lauga & Bartolo 2013) as 4 / (1 - 2/R) + O(R⁻²).
* :func:`mode_threshold`: the steady-instability threshold of mode n >= 2 in the
  unbounded domain, in closed form (derived here): the steady linear solution
  c = A r^{-n-1} + Pe b_n [r^{-n}/(2n) + r^{-n-2}/(2(n+1))] with ∂_r c(1) = 0 and
  b_n = n(n+1) k_n c(1) closes when Pe = 2(n+1) / k_n,
  k_n = (η M_D / 2 + M_M / (4n+2)) / (1 + η). With the mode-1 mobility fixed,
  dk_n/dm ∝ 1/2 - 3/(4n+2) > 0 for n >= 2: diffusiophoresis lowers every higher mode's
  threshold and leaves mode 1's (Pe = 4) unchanged, the claim of Morozov & Michelin.
* :func:`classify`: the regime of a run from its velocity and mode-2 series.
"""

from __future__ import annotations

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array

from ..systems.active_drop import ActiveDrop
from .continuation import AbstractProblem

REGIMES = ("motionless", "steady", "stopped_extensile", "stopped_contractile", "unsteady")


class ModeProblem(AbstractProblem):
    """F(y, Pe): the drop's right-hand side for a perturbation in Legendre mode ``n`` only,
    projected on that mode (state: the mode's interior radial values)."""

    drop: ActiveDrop
    n: Array  # the mode, as an integer array: one compilation serves every mode

    def __init__(self, drop: ActiveDrop, n):
        self.drop = drop
        self.n = jnp.asarray(n, dtype=jnp.int32)

    def residual(self, y, p):
        d = eqx.tree_at(lambda s: s.Pe, self.drop, jnp.asarray(p, dtype=float))
        full = jnp.zeros((d.n_modes, y.shape[0])).at[self.n].set(y)
        return d.drift(0.0, full)[self.n]


def truncated_threshold(r_max: float) -> float:
    """Mode-1 threshold of the isotropic emitter on [1, r_max] with c(r_max) = 0 (exact).

    Unknowns (A, B, s = c(1)) of c = A r⁻² + B r + (2/3) Pe s (r⁻³/4 + 1/2); the three
    conditions c'(1) = 0, c(r_max) = 0, c(1) = s are linear and their determinant is
    linear in Pe: its root is the threshold.
    """
    R = float(r_max)

    def det(pe):
        m = np.array(
            [
                [-2.0, 1.0, -pe / 2.0],
                [1.0 / R**2, R, 2.0 / 3.0 * pe * (1.0 / (4.0 * R**3) + 0.5)],
                [1.0, 1.0, pe / 2.0 - 1.0],
            ]
        )
        return np.linalg.det(m)

    d0, d1 = det(0.0), det(1.0)
    return float(-d0 / (d1 - d0))


def mode_threshold(n: int, m: float, eta: float = 1.0) -> float:
    """Closed-form threshold Pe_c = 2(n+1)/k_n of the steady instability of mode n >= 2
    (unbounded domain; see the module docstring)."""
    from ..systems.active_drop import mobilities

    if n < 2:
        raise ValueError(f"n must be >= 2 (mode 1's threshold is 4), got {n}")
    mm, md = mobilities(float(m), float(eta))
    k = (eta * md / 2 + mm / (4 * n + 2)) / (1 + eta)
    return float(2 * (n + 1) / k)


def classify(u: Array, b2: Array, *, tol: float = 2e-3) -> str:
    """Regime of a run from the tail of its velocity series ``u`` and of the mode-2 flow
    coefficient ``b2`` (b_2 > 0: extensile, fluid expelled along the axis)."""
    u, b2 = np.asarray(u, float), np.asarray(b2, float)
    if not (np.all(np.isfinite(u)) and np.all(np.isfinite(b2))):
        return "unsteady"
    spread = np.ptp(u)
    if spread > max(tol, 0.02 * np.max(np.abs(u))):
        return "unsteady"
    if abs(np.mean(u)) > tol:
        return "steady"
    if abs(np.mean(b2)) > tol:
        return "stopped_extensile" if np.mean(b2) > 0 else "stopped_contractile"
    return "motionless"


def mode2_coefficient(drop: ActiveDrop, y: Array) -> Array:
    """b_2 of the mode-2 flow f_2 = b_2 (1 - r⁻²)."""
    from ..systems.active_drop import mobilities, mode_coefficient

    mm, md = mobilities(drop.m, drop.eta)
    return mode_coefficient(2, drop.surface(y)[2], mm, md, drop.eta)


__all__ = [
    "REGIMES",
    "ModeProblem",
    "classify",
    "mode2_coefficient",
    "mode_threshold",
    "truncated_threshold",
]
