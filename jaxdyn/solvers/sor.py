"""Successive over-relaxation (SOR), symmetric SOR and SSOR-preconditioned CG in JAX.

For A = D - L - U (diagonal, strictly lower and strictly upper parts) one SOR sweep is

    (D - ω L) x_{k+1} = ω b + ((1 - ω) D + ω U) x_k,

i.e. each unknown in turn is moved a factor ω along its Gauss-Seidel correction:
x_i ← (1 - ω) x_i + ω (b_i - Σ_{j≠i} A_ij x_j) / A_ii. Symmetric SOR (SSOR) follows the
forward sweep by a backward one. ω = 1 is Gauss-Seidel; 0 < ω < 2 is needed for
convergence of symmetric positive definite A (Ostrowski-Reich).

Two forms of the operator are provided:

* :class:`Stencil5`: the matrix-free 5-point operator
  (A u)_ij = d_ij u_ij - e (u_{i-1,j} + u_{i+1,j} + u_{i,j-1} + u_{i,j+1}) on an m x m
  interior grid with zero Dirichlet padding (d may vary in space, e.g. a variable shift).
  Its sweep uses the **red-black ordering** (all points with i + j even first, then the
  odd ones), which vectorises and is *consistently ordered*, so Young's classical theory
  applies (Young, "Iterative Solution of Large Linear Systems", 1971; Varga, "Matrix
  Iterative Analysis", 2000, ch. 4).
* :class:`Dense`: a general dense matrix, swept in the natural (lexicographic) order by a
  ``lax.fori_loop`` over rows: O(n²) per sweep, fine for moderate n.

Classical theory for a consistently ordered A with Jacobi spectral radius ρ_J < 1
(real Jacobi eigenvalues), see Young (1971), Thm 6-2.3:

    ω* = 2 / (1 + sqrt(1 - ρ_J²)),
    ρ(SOR_ω) = ω - 1                                         for ω* ≤ ω < 2,
    ρ(SOR_ω) = [(ω ρ_J + sqrt(ω² ρ_J² - 4 (ω - 1))) / 2]²     for 0 < ω ≤ ω*,

so Gauss-Seidel has ρ_J². For the Dirichlet Poisson problem on an m x m grid,
h = 1 / (m + 1), ρ_J = cos(π h); with a constant shift c (A = -Δ_h + c I),
ρ_J = 4 cos(π h) / (4 + c h²).

:func:`sor_solve` returns the solution and the number of sweeps needed to bring the
relative residual ||b - A x|| / ||b|| to ``tol`` (capped at ``max_iter``) from a
``lax.while_loop``; it is jit-able and vmap-able, so a whole grid of ω is evaluated at
once with ``jax.vmap(sor_solve, in_axes=(None, None, 0))``.
"""

from __future__ import annotations

from collections.abc import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Bool, Float, Int

from ..core import check_int

__all__ = [
    "Dense",
    "SolveResult",
    "Stencil5",
    "conjugate_gradient",
    "iteration_table",
    "jacobi_radius_poisson",
    "optimal_omega",
    "poisson",
    "residual_history",
    "shifted_laplacian",
    "sor_radius",
    "sor_solve",
    "ssor_preconditioner",
]


class Stencil5(eqx.Module):
    """Matrix-free 5-point operator (A u)_ij = d_ij u_ij - e Σ_nbrs u, zero Dirichlet padding.

    The unknowns are an ``(m, m)`` array (index ``[i, j]`` for x_i, y_j). ``diag`` is a scalar
    or an ``(m, m)`` field; ``off`` is a scalar coupling. A is symmetric; it is positive
    definite when d_ij > 4 e cos(π h) ≥ 0 everywhere (weak diagonal dominance suffices).
    Sweeps use the red-black (checkerboard) ordering.
    """

    diag: Float[Array, "..."]
    off: Float[Array, ""]
    m: int = eqx.field(static=True)

    def __init__(self, m: int, diag: ArrayLike, off: ArrayLike):
        self.m = check_int("m", m, 1)
        self.diag = jnp.asarray(diag, dtype=float)
        self.off = jnp.asarray(off, dtype=float)
        if self.diag.shape not in {(), (self.m, self.m)}:
            raise ValueError(f"diag must be a scalar or shape {(m, m)}, got {self.diag.shape}")

    @property
    def shape(self) -> tuple[int, int]:
        return (self.m, self.m)

    @property
    def h(self) -> float:
        return 1.0 / (self.m + 1)

    def neighbours(self, u: Array) -> Array:
        p = jnp.pad(u, 1)
        return p[:-2, 1:-1] + p[2:, 1:-1] + p[1:-1, :-2] + p[1:-1, 2:]

    def matvec(self, u: Float[Array, "m m"]) -> Float[Array, "m m"]:
        return self.diag * u - self.off * self.neighbours(u)

    def _relax(self, u, b, omega, mask):
        gs = (b + self.off * self.neighbours(u)) / self.diag
        return jnp.where(mask, (1.0 - omega) * u + omega * gs, u)

    def sweep(self, u: Array, b: Array, omega: ArrayLike, symmetric: bool = False) -> Array:
        """One red-black SOR sweep (red then black); SSOR adds black then red."""
        b = jnp.asarray(b, dtype=float)
        red = jnp.asarray(_red_mask(self.m))
        black = ~red
        u = self._relax(u, b, omega, red)
        u = self._relax(u, b, omega, black)
        if symmetric:
            u = self._relax(u, b, omega, black)
            u = self._relax(u, b, omega, red)
        return u

    def jacobi_radius(self) -> Array:
        """ρ_J = 4 e cos(π h) / d for a constant diagonal (the largest |Jacobi eigenvalue|)."""
        if self.diag.ndim != 0:
            raise ValueError("jacobi_radius is closed-form only for a constant diagonal")
        return 4.0 * jnp.abs(self.off) * np.cos(np.pi * self.h) / self.diag

    def to_dense(self) -> Float[Array, "n n"]:
        """The n x n matrix (n = m², row-major order of the (m, m) grid), for checks."""
        n = self.m * self.m
        eye = jnp.eye(n).reshape(n, self.m, self.m)
        return jax.vmap(lambda e: self.matvec(e).reshape(-1))(eye).T

    def red_black_permutation(self) -> np.ndarray:
        """Indices that reorder row-major unknowns red first, then black (for Dense checks)."""
        red = _red_mask(self.m).reshape(-1)
        return np.concatenate([np.flatnonzero(red), np.flatnonzero(~red)])


def _red_mask(m: int) -> np.ndarray:
    i, j = np.indices((m, m))
    return (i + j) % 2 == 0


class Dense(eqx.Module):
    """A general dense matrix, swept in natural (lexicographic) order with ``lax.fori_loop``."""

    A: Float[Array, "n n"]

    def __init__(self, A: ArrayLike):
        A = jnp.asarray(A, dtype=float)
        if A.ndim != 2 or A.shape[0] != A.shape[1]:
            raise ValueError(f"A must be a square matrix, got shape {A.shape}")
        self.A = A

    @property
    def shape(self) -> tuple[int]:
        return (self.A.shape[0],)

    def matvec(self, x: Float[Array, " n"]) -> Float[Array, " n"]:
        return self.A @ x

    def sweep(self, x: Array, b: Array, omega: ArrayLike, symmetric: bool = False) -> Array:
        n = self.A.shape[0]
        diag = jnp.diagonal(self.A)
        b = jnp.asarray(b, dtype=float)

        def relax(i, x):
            # b_i - Σ_{j≠i} A_ij x_j with the newest x (Gauss-Seidel), then over-relax.
            gs = (b[i] - self.A[i] @ x + diag[i] * x[i]) / diag[i]
            return x.at[i].set((1.0 - omega) * x[i] + omega * gs)

        x = jax.lax.fori_loop(0, n, relax, x)
        if symmetric:
            x = jax.lax.fori_loop(0, n, lambda k, x: relax(n - 1 - k, x), x)
        return x

    def jacobi_radius(self) -> Array:
        """Spectral radius of the Jacobi matrix I - D⁻¹ A (by an eigenvalue computation)."""
        J = jnp.eye(self.A.shape[0]) - self.A / jnp.diagonal(self.A)[:, None]
        return jnp.max(jnp.abs(jnp.linalg.eigvals(J)))


Operator = Stencil5 | Dense


class SolveResult(eqx.Module):
    """Solution, iterations used, final relative residual and whether ``tol`` was reached."""

    x: Array
    iterations: Int[Array, ""]
    residual: Float[Array, ""]
    converged: Bool[Array, ""]


def _check_solver_args(omega, tol, max_iter):
    check_int("max_iter", max_iter, 1)
    if not (isinstance(tol, float | int) and 0 < tol < 1):
        raise ValueError(f"tol must lie in (0, 1), got {tol!r}")
    if not isinstance(omega, jax.core.Tracer):
        w = np.asarray(omega, dtype=float)
        if np.any(w <= 0) or np.any(w >= 2):
            raise ValueError(f"omega must lie in (0, 2), got {omega!r}")


def sor_solve(
    op: Operator,
    b: Array,
    omega: ArrayLike,
    *,
    x0: Array | None = None,
    tol: float = 1e-8,
    max_iter: int = 1000,
    symmetric: bool = False,
) -> SolveResult:
    """Solve A x = b by SOR (or SSOR) sweeps until ||b - A x|| ≤ tol ||b||.

    Args:
        op: a :class:`Stencil5` (red-black) or :class:`Dense` (lexicographic) operator.
        b: right-hand side, shaped like the unknowns (``(m, m)`` or ``(n,)``).
        omega: relaxation factor in (0, 2); may be traced (vmap over a grid of ω).
        x0: initial guess (default zero).
        tol: relative residual tolerance in (0, 1).
        max_iter: cap on the number of sweeps (an SSOR sweep counts once).
        symmetric: SSOR (forward + backward sweep) instead of SOR.

    Returns:
        :class:`SolveResult` with ``iterations`` = sweeps taken (0 if x0 already meets tol).
    """
    _check_solver_args(omega, tol, max_iter)
    b = jnp.asarray(b, dtype=float)
    x = jnp.zeros_like(b) if x0 is None else jnp.asarray(x0, dtype=float)
    return _sor_solve(op, b, jnp.asarray(omega, dtype=float), x, tol, max_iter, symmetric)


@eqx.filter_jit
def _sor_solve(op, b, omega, x, tol, max_iter, symmetric) -> SolveResult:
    # jitted so that repeated eager calls reuse one compilation per shape; under an
    # outer jit/vmap it simply inlines.
    bnorm = jnp.linalg.norm(b)
    # b = 0 has the exact solution 0; avoid 0/0 by treating ||b|| = 0 as 1.
    scale = jnp.where(bnorm > 0, bnorm, 1.0)

    def rel_res(x):
        return jnp.linalg.norm(b - op.matvec(x)) / scale

    def cond(state):
        k, _, r = state
        return (k < max_iter) & (r > tol)

    def body(state):
        k, x, _ = state
        x = op.sweep(x, b, omega, symmetric)
        return k + 1, x, rel_res(x)

    k, x, r = jax.lax.while_loop(cond, body, (jnp.asarray(0), x, rel_res(x)))
    return SolveResult(x=x, iterations=k, residual=r, converged=r <= tol)


def residual_history(
    op: Operator,
    b: Array,
    omega: ArrayLike,
    n_iter: int,
    *,
    x0: Array | None = None,
    symmetric: bool = False,
) -> Float[Array, " n_iter+1"]:
    """Residual norms ||b - A x_k|| for k = 0..n_iter of a fixed number of sweeps (a scan)."""
    check_int("n_iter", n_iter, 1)
    b = jnp.asarray(b, dtype=float)
    x = jnp.zeros_like(b) if x0 is None else jnp.asarray(x0, dtype=float)
    return _residual_history(op, b, jnp.asarray(omega, dtype=float), x, n_iter, symmetric)


@eqx.filter_jit
def _residual_history(op, b, omega, x, n_iter, symmetric):
    def step(x, _):
        x = op.sweep(x, b, omega, symmetric)
        return x, jnp.linalg.norm(b - op.matvec(x))

    _, hist = jax.lax.scan(step, x, None, length=n_iter)
    return jnp.concatenate([jnp.linalg.norm(b - op.matvec(x))[None], hist])


def ssor_preconditioner(op: Operator, omega: ArrayLike) -> Callable[[Array], Array]:
    """r ↦ M⁻¹ r for the SSOR preconditioner M = (D - ωL) D⁻¹ (D - ωU) / (ω (2 - ω)).

    One SSOR sweep from x0 = 0 computes exactly M⁻¹ r, since the SSOR iteration is
    x ← x + M⁻¹ (r - A x). M is symmetric positive definite for SPD A and 0 < ω < 2.
    """
    _check_solver_args(omega, 0.5, 1)
    return lambda r: op.sweep(jnp.zeros_like(r), r, omega, True)


def conjugate_gradient(
    op: Operator,
    b: Array,
    *,
    precond: Callable[[Array], Array] | None = None,
    x0: Array | None = None,
    tol: float = 1e-8,
    max_iter: int = 1000,
) -> SolveResult:
    """(Preconditioned) conjugate gradients for SPD A until ||r|| ≤ tol ||b||.

    Hestenes & Stiefel (1952); the preconditioned form as in Saad, "Iterative Methods for
    Sparse Linear Systems" (2003), Alg. 9.1. Works on arrays of any shape (the inner
    product is over all entries), so the stencil operator needs no flattening.
    """
    _check_solver_args(1.0, tol, max_iter)
    b = jnp.asarray(b, dtype=float)
    x = jnp.zeros_like(b) if x0 is None else jnp.asarray(x0, dtype=float)
    return _conjugate_gradient(op, b, precond, x, tol, max_iter)


@eqx.filter_jit
def _conjugate_gradient(op, b, precond, x, tol, max_iter) -> SolveResult:
    apply_m = precond if precond is not None else (lambda r: r)
    bnorm = jnp.linalg.norm(b)
    scale = jnp.where(bnorm > 0, bnorm, 1.0)
    r = b - op.matvec(x)
    z = apply_m(r)
    rz = jnp.vdot(r, z)

    def cond(state):
        k, _, r, _, _, _ = state
        return (k < max_iter) & (jnp.linalg.norm(r) / scale > tol)

    def body(state):
        k, x, r, z, p, rz = state
        Ap = op.matvec(p)
        alpha = rz / jnp.vdot(p, Ap)
        x = x + alpha * p
        r = r - alpha * Ap
        z = apply_m(r)
        rz_new = jnp.vdot(r, z)
        p = z + (rz_new / rz) * p
        return k + 1, x, r, z, p, rz_new

    k, x, r, *_ = jax.lax.while_loop(cond, body, (jnp.asarray(0), x, r, z, z, rz))
    res = jnp.linalg.norm(b - op.matvec(x)) / scale
    return SolveResult(x=x, iterations=k, residual=res, converged=jnp.linalg.norm(r) / scale <= tol)


def poisson(m: int) -> Stencil5:
    """-Δ_h on the m x m interior grid of the unit square, h = 1/(m+1), Dirichlet."""
    return shifted_laplacian(m, 0.0)


def shifted_laplacian(m: int, c: ArrayLike) -> Stencil5:
    """A = -Δ_h + c I (5-point, Dirichlet, h = 1/(m+1)); SPD for c > -8 sin²(π h / 2) / h²."""
    h = 1.0 / (check_int("m", m, 1) + 1)
    return Stencil5(m, 4.0 / h**2 + jnp.asarray(c, dtype=float), 1.0 / h**2)


def jacobi_radius_poisson(m: int) -> float:
    """ρ_J = cos(π h) of the Dirichlet Poisson problem, h = 1/(m+1)."""
    return float(np.cos(np.pi / (check_int("m", m, 1) + 1)))


def optimal_omega(rho_j: ArrayLike) -> Array:
    """Young's optimal relaxation factor ω* = 2 / (1 + sqrt(1 - ρ_J²))."""
    rho_j = jnp.asarray(rho_j, dtype=float)
    return 2.0 / (1.0 + jnp.sqrt(1.0 - rho_j**2))


def sor_radius(omega: ArrayLike, rho_j: ArrayLike) -> Array:
    """Spectral radius of SOR_ω for a consistently ordered A with Jacobi radius ρ_J (Young)."""
    omega = jnp.asarray(omega, dtype=float)
    rho_j = jnp.asarray(rho_j, dtype=float)
    disc = omega**2 * rho_j**2 - 4.0 * (omega - 1.0)
    below = ((omega * rho_j + jnp.sqrt(jnp.maximum(disc, 0.0))) / 2.0) ** 2
    return jnp.where(omega >= optimal_omega(rho_j), omega - 1.0, below)


def iteration_table(
    m: int,
    diags: Float[Array, " T"],
    offs: Float[Array, " T"],
    rhs: Float[Array, "T m m"],
    omegas: Float[Array, " K"],
    *,
    tol: float = 1e-8,
    max_iter: int = 1000,
    symmetric: bool = False,
) -> Int[Array, "T K"]:
    """Iterations of red-black SOR for every (instance, ω) pair: ``cost[t, k]``.

    Instance t is ``Stencil5(m, diags[t], offs[t])`` with right-hand side ``rhs[t]`` and
    a zero initial guess. The instances are ``vmap``-ed and the ω values are mapped
    sequentially (``lax.map``): a vmapped ``while_loop`` runs until its slowest member, and
    the iteration count varies far more across ω than across similar instances, so this
    keeps the wasted sweeps small.
    """
    _check_solver_args(jnp.asarray(omegas), tol, max_iter)
    diags, offs = jnp.asarray(diags, dtype=float), jnp.asarray(offs, dtype=float)
    rhs = jnp.asarray(rhs, dtype=float)
    if not (diags.shape == offs.shape == rhs.shape[:1]) or rhs.shape[1:] != (m, m):
        raise ValueError(
            f"need diags, offs of shape (T,) and rhs of shape (T, {m}, {m}); got "
            f"{diags.shape}, {offs.shape}, {rhs.shape}"
        )

    def one(d, e, b, w):
        op = Stencil5(m, d, e)
        return sor_solve(op, b, w, tol=tol, max_iter=max_iter, symmetric=symmetric).iterations

    per_omega = jax.vmap(one, in_axes=(0, 0, 0, None))
    table = jax.lax.map(lambda w: per_omega(diags, offs, rhs, w), jnp.asarray(omegas, dtype=float))
    return table.T
