"""Matched-asymptotics theory of the cell-bulk model at finite diffusivity (paper 4).

For N cells of radius ε ≪ 1 at centres x_j in the disk |x| < R (model in
:mod:`jaxdyn.systems.cell_bulk`), the bulk field away from the cells is, to all orders in
ν = -1/log ε (Gou & Ward 2016; Iyaniwura & Ward 2021),

    U(x) = -2π Σ_i S_i G(x; x_i),     G ~ -(1/2π) log|x - x_i| + R(x_i; x_i),

with G the Neumann Green's function of Δ - θ², θ² = σ / D. Matching with the inner
solution U = S_j log(|x - x_j| / ε) + U_j^m near each cell, and the membrane condition
D S_j = d_1 U_j^m - d_2 u_j1, give the steady state (unknowns S, u; derived here):

    (D + d_1/ν) S + 2π d_1 𝒢 S + d_2 u_1 = 0,
    F(u_j) + 2π D S_j e_1 = 0,

where 𝒢 has the regular parts R_jj on its diagonal and G(x_i; x_j) off it. Perturbing
by e^{λt} changes θ to θ_λ = sqrt((σ + λ)/D) and the intracellular response to
δu_j = 2πD s_j (λ - J_j)^{-1} e_1, which gives the globally coupled eigenvalue problem
(GCEP)

    ℳ(λ) s = 0,   ℳ(λ) = I + [2π d_1 𝒢_λ + 2π D d_2 diag(M_j(λ))] / (D + d_1/ν),
    M_j(λ) = e_1ᵀ (λ I - J_j)^{-1} e_1,

a nonlinear matrix eigenvalue problem: the steady state is linearly stable when no λ
with Re λ >= 0 makes ℳ(λ) singular. For identical cells the vector s = (1, ..., 1) is
the synchronous mode; for cells on a ring 𝒢 is circulant and the Fourier vectors are
the asynchronous modes. As D → ∞, 𝒢 ~ D / (|Ω| (σ + λ)) and the synchronous GCEP tends
to the characteristic equation of the reduced ODE
(:class:`~jaxdyn.systems.CellBulkODE`): 1 + 2πκ(d_1 ρ/(σ + λ) + d_2 M(λ)) = 0.

The Green's function of the disk (Neumann at r = R) by Graf's addition theorem:

    G(x; ξ) = (1/2π) [K_0(θ|x - ξ|) - Σ_n σ_n cos(n(φ - φ')) (K_n'(θR) / I_n'(θR))
                       I_n(θ r) I_n(θ r')],     σ_0 = 1, σ_n = 2,

and its regular part R(ξ) = (1/2π)[-log(θ/2) - γ_E - Σ_n σ_n (K_n'/I_n')(θR) I_n(θ r')²],
for complex θ (Bessel functions from :mod:`jaxdyn.analysis.bessel`).

:class:`CellBulkGCEP` packages the steady state and ℳ(λ) as a continuation problem, so
:func:`~jaxdyn.analysis.continuation.locate_hopf` and
:func:`~jaxdyn.analysis.continuation.hopf_curve` find and follow the Hopf points of any
mode.
"""

from __future__ import annotations

import math
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from ..core import is_concrete
from ..systems.cell_bulk import selkov, selkov_rest_state
from .bessel import bessel_i_scaled, bessel_k
from .continuation import AbstractProblem

_EULER = 0.5772156649015329
#: cells must stay within this fraction of the disk radius (the Graf series converges
#: like (r r' / R²)^n)
MAX_RADIUS_FRACTION = 0.8
#: ε must be below this fraction of the smallest distance between cells (or to the wall)
MAX_EPS_FRACTION = 0.25


def ring(n: int, radius: float, phase: float = 0.0) -> np.ndarray:
    """``n`` equally spaced centres on a circle of ``radius`` (shape (n, 2))."""
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    phi = phase + 2 * np.pi * np.arange(n) / n
    return radius * np.stack([np.cos(phi), np.sin(phi)], axis=-1)


def check_cells(centres: ArrayLike, eps: float, R: float) -> np.ndarray:
    """Validate cell ``centres`` (N, 2) of radius ``eps`` in the disk of radius ``R``.

    Raises ValueError naming the argument when a cell leaves the disk (or the region
    r <= 0.8 R where the Green's function series converges fast), when two cells
    overlap, or when ``eps`` is not small compared with the spacing (ε must be below a
    quarter of the smallest distance between cells or to the wall: the theory is an
    expansion in ε / spacing).
    """
    x = np.asarray(centres, dtype=float)
    if x.ndim != 2 or x.shape[1] != 2 or x.shape[0] < 1:
        raise ValueError(f"centres must have shape (N, 2), got {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError("centres must be finite")
    eps, R = float(eps), float(R)
    if not (np.isfinite(R) and R > 0):
        raise ValueError(f"R must be positive, got {R}")
    if not (np.isfinite(eps) and 0 < eps):
        raise ValueError(f"eps must be positive, got {eps}")
    r = np.hypot(x[:, 0], x[:, 1])
    if np.any(r + eps >= R):
        j = int(np.argmax(r + eps - R))
        raise ValueError(
            f"centres: cell {j} at distance {r[j]:.4g} from the centre leaves the domain "
            f"(|x_j| + eps must be below R = {R:g})"
        )
    if np.any(r > MAX_RADIUS_FRACTION * R):
        j = int(np.argmax(r))
        raise ValueError(
            f"centres: cell {j} lies at |x_j| = {r[j]:.4g} > {MAX_RADIUS_FRACTION} R; "
            "the disk Green's function series needs cells away from the wall"
        )
    spacing = R - r.max()
    if x.shape[0] > 1:
        d = np.hypot(*(x[:, None, :] - x[None, :, :]).transpose(2, 0, 1))
        d[np.diag_indices_from(d)] = np.inf
        i, j = np.unravel_index(np.argmin(d), d.shape)
        if d[i, j] <= 2 * eps:
            raise ValueError(
                f"centres: cells {i} and {j} overlap (distance {d[i, j]:.4g} <= 2 eps = "
                f"{2 * eps:g})"
            )
        spacing = min(spacing, d.min())
    if eps > MAX_EPS_FRACTION * spacing:
        raise ValueError(
            f"eps = {eps:g} is not small compared with the cell spacing {spacing:.4g} "
            f"(need eps <= {MAX_EPS_FRACTION} x spacing for the asymptotic theory)"
        )
    return x


def green_matrix(theta: ArrayLike, centres: Array, R: ArrayLike, n_terms: int = 40) -> Array:
    """𝒢(θ): G(x_i; x_j) off the diagonal and the regular parts R(x_j) on it (complex).

    Term n of the Graf series, (K_n'(θR) / I_n'(θR)) I_n(θ r_i) I_n(θ r_j), is evaluated
    as K_n'(θR) I_n(θ r_j) [I_n(θ r_i) / I_n'(θR)], the last ratio from the scaled series
    Ĩ_n (K_n' / I_n' alone overflows for small θR and large n). One Bessel-I and one
    Bessel-K evaluation serve every argument (fewer operations for XLA to compile).
    """
    theta = jnp.asarray(theta, dtype=complex)
    x = jnp.asarray(centres, dtype=float)
    n_cells = x.shape[0]
    r = jnp.hypot(x[:, 0], x[:, 1])
    phi = jnp.arctan2(x[:, 1], x[:, 0])
    zr = theta * R
    m = jnp.arange(n_terms + 1)
    m2 = m[None, :]
    fact = jnp.exp(jax.scipy.special.gammaln(m2 + 1.0))
    # Ĩ_n at θ r_1..θ r_N and θR, n = 0..n_terms+1
    it = bessel_i_scaled(n_terms + 1, jnp.concatenate([theta * r, zr[None]]))
    it_r, it_z = it[:-1, : n_terms + 1], it[-1]
    i_r = (theta * r[:, None] / 2.0) ** m2 * it_r / fact  # I_n(θ r_i), (N, n_terms+1)
    mm = jnp.maximum(m, 1)
    den = it_z[jnp.maximum(m - 1, 0)] + (zr * zr / 4.0) * it_z[m + 1] / (mm * (mm + 1))
    # I_n(θ r_i) / I_n'(θR) for n >= 1, and I_0(θ r_i) / I_1(θR) for n = 0
    ratio = (r[:, None] / R) ** m2 * (zr / mm)[None, :] * it_r / den[None, :]
    i1_z = (zr / 2.0) * it_z[1]
    ratio = jnp.where(m2 == 0, i_r[:, :1] / i1_z, ratio)
    # K_n at θR (n <= n_terms+1) and K_0 at θ|x_i - x_j|
    dist = jnp.hypot(x[:, None, 0] - x[None, :, 0], x[:, None, 1] - x[None, :, 1])
    eye = jnp.eye(n_cells, dtype=bool)
    args = jnp.concatenate([zr[None], (theta * jnp.where(eye, 1.0, dist)).ravel()])
    k_all = bessel_k(n_terms + 2, args)
    k_z = k_all[0]
    prev = jnp.concatenate([k_z[1:2], k_z[:n_terms]])
    kp = -0.5 * (prev + k_z[1 : n_terms + 2])  # K_n'(θR)
    k0 = k_all[1:, 0].reshape(n_cells, n_cells)
    weight = (jnp.where(m == 0, 1.0, 2.0) * kp)[None, None, :]
    cos = jnp.cos(m[None, None, :] * (phi[:, None, None] - phi[None, :, None]))
    series = jnp.sum(weight * cos * ratio[:, None, :] * i_r[None, :, :], axis=-1)
    free = jnp.where(eye, -jnp.log(theta / 2.0) - _EULER, k0)
    return (free - series) / (2.0 * math.pi)


class CellBulkGCEP(AbstractProblem):
    """Steady state and GCEP of N cells at ``centres`` in the disk of radius ``R``.

    State y = (S_1..S_N, u_11..u_N1, u_12..u_N2); the continuation parameter p replaces
    the model parameter named ``param`` (one of ``R``, ``d1``, ``d2``, ``sigma``, ``D``,
    ``eps``, ``alpha``, ``mu``, ``zeta``; "log_D" continues in log10 D). The
    characteristic matrix is the GCEP's ℳ(λ), so a Hopf point of mode s is a solution
    of ℳ(iω) s = 0 (found by :func:`~jaxdyn.analysis.continuation.locate_hopf`).
    ``eigenvalues`` is not defined (the GCEP has no finite spectrum to list): continue
    with ``stability=False``.
    """

    centres: Float[Array, "n 2"]
    params: dict[str, Array]
    param: str = eqx.field(static=True)
    n_terms: int = eqx.field(static=True, default=40)

    def __check_init__(self):
        names = ("R", "d1", "d2", "sigma", "D", "eps", "alpha", "mu", "zeta")
        if self.param not in names + ("log_D",):
            raise ValueError(f"param must be one of {names + ('log_D',)}, got {self.param!r}")
        missing = [k for k in names if k not in self.params]
        if missing:
            raise ValueError(f"params misses {missing}")
        if is_concrete((self.centres, self.params["R"], self.params["eps"])):
            check_cells(self.centres, float(self.params["eps"]), float(self.params["R"]))

    def _p(self, p) -> dict[str, Array]:
        out = dict(self.params)
        if self.param == "log_D":
            out["D"] = 10.0**p
        else:
            out[self.param] = p
        return out

    @property
    def n_cells(self) -> int:
        return self.centres.shape[0]

    def split(self, y: Array) -> tuple[Array, Array]:
        n = self.n_cells
        return y[:n], jnp.stack([y[n : 2 * n], y[2 * n :]], axis=-1)

    def guess(self) -> Array:
        """A starting state: the cells at rest, no exchange (S = 0)."""
        u = selkov_rest_state(self.params["alpha"], self.params["mu"])
        n = self.n_cells
        return jnp.concatenate([jnp.zeros(n), jnp.full(n, u[0]), jnp.full(n, u[1])])

    def residual(self, y, p):
        q = self._p(p)
        s, u = self.split(y)
        nu = -1.0 / jnp.log(q["eps"])
        theta = jnp.sqrt(q["sigma"] / q["D"])
        g = green_matrix(theta, self.centres, q["R"], self.n_terms).real
        flux = (q["D"] + q["d1"] / nu) * s + 2 * jnp.pi * q["d1"] * (g @ s) + q["d2"] * u[:, 0]
        f = selkov(u, q["alpha"], q["mu"], q["zeta"])
        scale = q["D"] + q["d1"] / nu
        return jnp.concatenate([flux / scale, f[:, 0] + 2 * jnp.pi * q["D"] * s, f[:, 1]])

    def cell_jacobians(self, y, p) -> Array:
        q = self._p(p)
        _, u = self.split(y)
        return jax.vmap(jax.jacfwd(lambda v: selkov(v, q["alpha"], q["mu"], q["zeta"])))(u)

    def characteristic(self, lam, y, p):
        q = self._p(p)
        lam = jnp.asarray(lam, dtype=complex)
        nu = -1.0 / jnp.log(q["eps"])
        theta = jnp.sqrt((q["sigma"] + lam) / q["D"])
        g = green_matrix(theta, self.centres, q["R"], self.n_terms)
        jac = self.cell_jacobians(y, p)
        a, b, c, d = jac[:, 0, 0], jac[:, 0, 1], jac[:, 1, 0], jac[:, 1, 1]
        m11 = (lam - d) / ((lam - a) * (lam - d) - b * c)
        scale = q["D"] + q["d1"] / nu
        return (
            jnp.eye(self.n_cells, dtype=complex)
            + (2 * jnp.pi * q["d1"] * g + 2 * jnp.pi * q["D"] * q["d2"] * jnp.diag(m11)) / scale
        )

    def eigenvalues(self, y, p):
        raise NotImplementedError(
            "the GCEP is a nonlinear eigenvalue problem: continue with stability=False and "
            "locate Hopf points with locate_hopf"
        )

    def mode(self, k: int) -> Array:
        """The k-th Fourier vector e^{2πi jk/N} (k = 0: synchronous), for cells on a ring."""
        j = jnp.arange(self.n_cells)
        return jnp.exp(2j * jnp.pi * j * k / self.n_cells) / jnp.sqrt(self.n_cells)


class WithParam(eqx.Module):
    """q ↦ ``problem`` with its model parameter ``name`` set to q (10**q for "log_D"): the
    second parameter of :func:`~jaxdyn.analysis.continuation.hopf_curve`. A Module, so
    curves of problems of the same shape share one compilation."""

    problem: CellBulkGCEP
    name: str = eqx.field(static=True)

    def __call__(self, q):
        key, value = ("D", 10.0**q) if self.name == "log_D" else (self.name, q)
        params = dict(self.problem.params)
        params[key] = jnp.asarray(value, dtype=float)
        return eqx.tree_at(lambda g: g.params, self.problem, params)


def make_gcep(
    centres: ArrayLike,
    R: float = 1.0,
    *,
    param: str = "d2",
    n_terms: int = 40,
    **params: Any,
) -> CellBulkGCEP:
    """A :class:`CellBulkGCEP` with the model's default parameters (those of
    :class:`~jaxdyn.systems.CellBulkODE`) overridden by ``params``."""
    defaults = dict(d1=1.0, d2=0.2, sigma=5.0, D=1.0, eps=0.02, alpha=0.9, mu=2.0, zeta=0.15)
    defaults["R"] = R
    unknown = sorted(set(params) - set(defaults) - {"R"})
    if unknown:
        raise ValueError(f"unknown parameter {unknown[0]!r}; known: {sorted(defaults)}")
    defaults.update(params)
    return CellBulkGCEP(
        centres=jnp.asarray(centres, dtype=float),
        params={k: jnp.asarray(v, dtype=float) for k, v in defaults.items()},
        param=param,
        n_terms=n_terms,
    )


__all__ = [
    "MAX_EPS_FRACTION",
    "MAX_RADIUS_FRACTION",
    "CellBulkGCEP",
    "WithParam",
    "check_cells",
    "green_matrix",
    "make_gcep",
    "ring",
]
