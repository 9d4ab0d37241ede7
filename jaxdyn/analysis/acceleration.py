"""Exact references and rate measurements for optimisation methods as dynamics (paper 17).

* :func:`sbc_quadratic_solution`: the Su-Boyd-Candès ODE ẍ + (r/t) ẋ + ∇f = 0, ẋ(0) = 0,
  on f = ½ Σ λ_i x_i² in closed form (W. Su, S. Boyd and E. J. Candès, JMLR 17(153)
  (2016), §3.2): per eigen-direction, with z = √λ t and ν = (r-1)/2,

      x(t) = x₀ Γ(ν+1) (2/z)^ν J_ν(z)       (r = 3: x(t) = 2 J₁(√λ t)/(√λ t) x₀),

  and :func:`sbc_bound`, their O(1/t²) bound f(x(t)) - f* ≤ (r-1)² |x₀ - x*|² / (2t²)
  (Theorems 3 and 5, r >= 3).
* :func:`spectral_radius_2x2`: ρ(T) of real 2x2 iteration matrices, exact on complex
  pairs (|z|² = det T), for the worst-case linear rates of momentum methods.
* :func:`envelope_rate`: the measured linear rate of an error sequence, the slope of the
  log of its running envelope (block maxima), robust to the oscillation of complex modes.
* :func:`find_period` and :func:`heavy_ball_cycle`: detect a cycle in iterates and
  compute it exactly when the gradient is piecewise affine in one dimension (the
  Lessard-Recht-Packard counterexample), with its Floquet multiplier.
"""

from __future__ import annotations

from collections.abc import Sequence

import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike
from scipy import special


def sbc_quadratic_solution(
    t: ArrayLike, eigenvalues: ArrayLike, x0: ArrayLike, r: float = 3.0
) -> np.ndarray:
    """x(t) of ẍ + (r/t) ẋ + diag(λ) x = 0, x(0) = x₀, ẋ(0) = 0; shape (len(t), d)."""
    t = np.atleast_1d(np.asarray(t, dtype=float))[:, None]
    lam = np.asarray(eigenvalues, dtype=float)[None, :]
    x0 = np.asarray(x0, dtype=float)[None, :]
    if np.any(lam <= 0):
        raise ValueError("eigenvalues must be > 0")
    if not r > 0:
        raise ValueError(f"r must be > 0, got {r}")
    nu = 0.5 * (r - 1.0)
    z = np.sqrt(lam) * t
    zs = np.where(z > 0, z, 1.0)
    shape = special.gamma(nu + 1.0) * (2.0 / zs) ** nu * special.jv(nu, zs)
    return x0 * np.where(z > 0, shape, 1.0)


def sbc_bound(t: ArrayLike, distance0: float, r: float = 3.0) -> np.ndarray:
    """(r-1)² |x₀ - x*|² / (2 t²): SBC's bound on f(x(t)) - f* (r >= 3)."""
    t = np.asarray(t, dtype=float)
    with np.errstate(divide="ignore"):
        return (r - 1.0) ** 2 * float(distance0) ** 2 / (2.0 * t**2)


def spectral_radius_2x2(T: ArrayLike) -> Array:
    """Spectral radius of real 2x2 matrices T (shape (..., 2, 2)), from trace and determinant.

    Eigenvalues z = (τ ± √(τ² - 4δ))/2; for a complex pair |z| = √δ exactly, so the
    rates of critically tuned methods (double roots) are not blurred by the √ε
    sensitivity of a general eigenvalue solver.
    """
    T = jnp.asarray(T)
    tau = T[..., 0, 0] + T[..., 1, 1]
    det = T[..., 0, 0] * T[..., 1, 1] - T[..., 0, 1] * T[..., 1, 0]
    disc = tau * tau - 4.0 * det
    real = 0.5 * (jnp.abs(tau) + jnp.sqrt(jnp.maximum(disc, 0.0)))
    return jnp.where(disc >= 0, real, jnp.sqrt(jnp.abs(det)))


def envelope_rate(
    errors: ArrayLike,
    block: int = 10,
    start: int = 0,
    floor: float = 1e-250,
    polynomial: bool = False,
) -> float:
    """Per-step linear rate ρ of ``errors`` ~ C ρ^k, from the least-squares slope of the
    log of the block maxima after ``start`` (blocks of ``block`` steps); blocks whose
    maximum is below ``floor`` (lost to underflow) are left out.

    With ``polynomial=True`` the model is C k^p ρ^k (log-linear in log k and k), the
    error of a linear iteration whose dominant eigenvalue is defective (a Jordan block,
    e.g. critically tuned momentum methods, p = 1); a plain slope would then be biased by
    about p log(k₁/k₀)/(k₁ - k₀) over the window [k₀, k₁].
    """
    e = np.asarray(errors, dtype=float)[start:]
    n = (e.size // block) * block
    if n < 2 * block:
        raise ValueError(
            f"errors must hold at least {2 * block} values after start={start}, got {e.size}"
        )
    env = e[:n].reshape(-1, block).max(axis=1)
    k = np.arange(env.size) * block
    ok = env > floor
    if ok.sum() < 2:
        return 0.0
    if polynomial:
        kk = k[ok] + start + block  # the iteration index of each block's end
        design = np.stack([np.ones_like(kk, dtype=float), np.log(kk), kk], axis=1)
        coef = np.linalg.lstsq(design, np.log(env[ok]), rcond=None)[0]
        return float(np.exp(coef[2]))
    slope = np.polyfit(k[ok], np.log(env[ok]), 1)[0]
    return float(np.exp(slope))


def find_period(xs: ArrayLike, max_period: int = 20, tol: float = 1e-9) -> int:
    """Smallest p <= max_period with |x_{k+p} - x_k| <= tol over the last 2p+ iterates
    (0 if none: the sequence has not settled on a cycle)."""
    x = np.asarray(xs, dtype=float)
    x = x.reshape(x.shape[0], -1)
    for p in range(1, max_period + 1):
        tail = x[-(3 * p) :]
        if tail.shape[0] < 3 * p:
            break
        if np.max(np.abs(tail[p:] - tail[:-p])) <= tol:
            return p
    return 0


def heavy_ball_cycle(
    alpha: float, beta: float, slopes: Sequence[float], intercepts: Sequence[float]
) -> dict[str, np.ndarray | float]:
    """The period-p cycle of heavy ball on a 1-D piecewise-affine gradient, exactly.

    Iterate j of the cycle lies on the piece where f'(x) = a_j x + b_j; the cycle solves
    the cyclic linear system x_{j+1} - (1 + β - α a_j) x_j + β x_{j-1} = -α b_j (indices
    mod p). Returns the points and the Floquet multipliers' largest modulus, the
    spectral radius of the product of the Jacobians [[1 + β - α a_j, -β], [1, 0]]
    (< 1: the cycle attracts). The caller checks that each x_j lies on its piece.
    """
    a = np.asarray(slopes, dtype=float)
    b = np.asarray(intercepts, dtype=float)
    p = a.size
    A = np.zeros((p, p))
    rhs = -alpha * b
    for j in range(p):
        A[j, (j + 1) % p] += 1.0
        A[j, j] -= 1.0 + beta - alpha * a[j]
        A[j, (j - 1) % p] += beta
    x = np.linalg.solve(A, rhs)
    M = np.eye(2)
    for j in range(p):
        M = np.array([[1.0 + beta - alpha * a[j], -beta], [1.0, 0.0]]) @ M
    return {"points": x, "floquet": float(np.max(np.abs(np.linalg.eigvals(M))))}


__all__ = [
    "envelope_rate",
    "find_period",
    "heavy_ball_cycle",
    "sbc_bound",
    "sbc_quadratic_solution",
    "spectral_radius_2x2",
]
