"""Signalling cells coupled through a diffusing bulk: the 2-D cell-bulk PDE-ODE model (paper 4).

The model (Gou & Ward, J. Nonlinear Sci. 26, 979 (2016); Iyaniwura & Ward, SIAM J. Appl.
Dyn. Syst. 20, 438 (2021), "Synchrony and oscillatory dynamics for a 2-D PDE-ODE model of
diffusion-sensing with small signaling compartments"): a bulk chemical U(x, t) diffuses
and decays in a 2-D domain Ω outside N small circular cells Ω_j = {|x - x_j| < ε}; each
cell holds two intracellular species u_j = (u_j1, u_j2) and exchanges the first with the
bulk through its permeable membrane:

    U_t = D ΔU - σ U                                  in Ω \\ ∪ Ω_j,
    ∂_n U = 0                                         on ∂Ω,
    ε D ∂_{r_j} U = d_1 U - d_2 u_j1                  on |x - x_j| = ε,
    du_j/dt = F(u_j) + (e_1 / ε) ∮_{|x-x_j|=ε} (d_1 U - d_2 u_j1) ds,

with secretion permeability d_2 (cell to bulk) and feedback permeability d_1 (bulk to
cell); the exchange term conserves the total amount of the signalling chemical. The
intracellular kinetics are Sel'kov's glycolysis model in the form of Gou & Ward (2016):

    F_1 = α u_2 + u_2 u_1² - u_1,     F_2 = ζ (μ - α u_2 - u_2 u_1²),

whose rest state u* = (μ, μ / (α + μ²)) has trace (μ² - α)/(α + μ²) - ζ(α + μ²) and
determinant ζ(α + μ²) > 0: with the defaults α = 0.9, μ = 2, ζ = 0.15 the trace is
-0.102, so an isolated cell is quiescent, and oscillations can only come from the
coupling through the bulk.

Two systems live here:

* :class:`CellBulkODE`: the large-diffusivity limit. For D = O(ν⁻¹), ν = -1/log ε, the
  bulk is spatially uniform to leading order, U ≈ Ū(t), and integrating the bulk equation
  over Ω gives (derived here along the lines of Gou & Ward 2016, §4; the membrane value
  differs from Ū by the log correction -S_j / ν, which gives the factor κ):

      dŪ/dt = -σ Ū - (N / |Ω|) J,     du/dt = F(u) + J e_1,
      J = 2π κ (d_1 Ū - d_2 u_1),     κ = 1 / (1 + d_1 / (ν D)),

  for N identical cells in synchrony (state (Ū, u_1, u_2); the cell density N/|Ω| is a
  continuous parameter). Asynchronous perturbations (Σ_j δu_j = 0) leave Ū unchanged and
  obey du/dt = F_u δu - 2πκ d_2 δu_1 e_1 (:meth:`CellBulkODE.asynchronous_jacobian`).
* :class:`CellBulkRadial`: the full PDE-ODE model for one cell at the centre of a disk of
  radius R, reduced exactly to radial symmetry (the geometry allows it): U(r, t) on
  ε < r < R, discretised by finite volumes on a uniform grid in ρ = log r (the bulk field
  near a small cell is logarithmic, which this grid resolves with O(h²) error uniformly in
  ε; the scheme conserves the chemical exactly). It has stiff eigenvalues ~ D / (ε h)²:
  integrate it with an implicit diffrax solver (e.g. ``Kvaerno5``) unless ε is moderate.

The matched-asymptotics theory at finite D (the steady state and the globally coupled
eigenvalue problem, with the modified-Helmholtz Green's function of a disk) is in
:mod:`jaxdyn.analysis.cell_bulk`.
"""

from __future__ import annotations

from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float, PRNGKeyArray

from ..core import AbstractODE, check_int, is_concrete

#: parameter ranges shared by the two systems
_COMMON = {
    "d1": (0.0, 1e3),
    "d2": (0.0, 1e3),
    "sigma": (1e-6, 1e3),
    "D": (1e-4, 1e9),
    "eps": (1e-8, 0.5),
    "alpha": (1e-6, 1e3),
    "mu": (1e-6, 1e3),
    "zeta": (1e-6, 1e3),
}


def selkov(u: Array, alpha: ArrayLike, mu: ArrayLike, zeta: ArrayLike) -> Array:
    """Sel'kov kinetics F(u) = (α u_2 + u_2 u_1² - u_1, ζ(μ - α u_2 - u_2 u_1²)) (last axis 2)."""
    u1, u2 = u[..., 0], u[..., 1]
    g = alpha * u2 + u2 * u1 * u1
    return jnp.stack([g - u1, zeta * (mu - g)], axis=-1)


def selkov_rest_state(alpha: ArrayLike, mu: ArrayLike) -> Array:
    """The isolated cell's rest state (μ, μ / (α + μ²))."""
    mu = jnp.asarray(mu, dtype=float)
    return jnp.stack([mu, mu / (alpha + mu * mu)])


def coupling_factor(d1: ArrayLike, D: ArrayLike, eps: ArrayLike) -> Array:
    """κ = 1 / (1 + d_1 / (ν D)), ν = -1 / log ε: the membrane value's log correction."""
    nu = -1.0 / jnp.log(eps)
    return 1.0 / (1.0 + d1 / (nu * D))


class CellBulkODE(AbstractODE):
    """The large-D reduced ODE for N synchronous cells, state (Ū, u_1, u_2) (see module).

    ``density`` is N / |Ω|. ``D`` and ``eps`` enter only through κ (D → ∞ gives κ = 1).
    """

    density: Float[Array, ""]
    d1: Float[Array, ""]
    d2: Float[Array, ""]
    sigma: Float[Array, ""]
    D: Float[Array, ""]
    eps: Float[Array, ""]
    alpha: Float[Array, ""]
    mu: Float[Array, ""]
    zeta: Float[Array, ""]

    name: ClassVar[str] = "cell_bulk_ode"
    paper: ClassVar[str] = "4"
    reference: ClassVar[str] = (
        "Paper 4 (Iyaniwura & Ward, SIAM J. Appl. Dyn. Syst. 2021): large-diffusivity limit of "
        "the 2-D cell-bulk model; Gou & Ward, J. Nonlinear Sci. 26 (2016); Sel'kov kinetics"
    )
    param_ranges: ClassVar[dict[str, tuple[float, float]]] = {
        "density": (0.0, 1e6),
        **_COMMON,
    }
    default_dt: ClassVar[float] = 0.05
    #: the oscillation period near onset is about 2π / ω ≈ 10-20
    t_char: ClassVar[float] = 20.0

    def __init__(
        self,
        density=2.0,
        d1=1.0,
        d2=0.2,
        sigma=5.0,
        D=1e4,
        eps=0.02,
        alpha=0.9,
        mu=2.0,
        zeta=0.15,
    ):
        self.density = jnp.asarray(density, dtype=float)
        self.d1 = jnp.asarray(d1, dtype=float)
        self.d2 = jnp.asarray(d2, dtype=float)
        self.sigma = jnp.asarray(sigma, dtype=float)
        self.D = jnp.asarray(D, dtype=float)
        self.eps = jnp.asarray(eps, dtype=float)
        self.alpha = jnp.asarray(alpha, dtype=float)
        self.mu = jnp.asarray(mu, dtype=float)
        self.zeta = jnp.asarray(zeta, dtype=float)

    def kappa(self) -> Array:
        """κ = 1 / (1 + d_1 / (ν D))."""
        return coupling_factor(self.d1, self.D, self.eps)

    def flux(self, y: Array) -> Array:
        """J = 2πκ(d_1 Ū - d_2 u_1): the rate at which one cell takes up the chemical."""
        return 2.0 * jnp.pi * self.kappa() * (self.d1 * y[0] - self.d2 * y[1])

    def drift(self, t, y, args=None):
        j = self.flux(y)
        f = selkov(y[1:], self.alpha, self.mu, self.zeta)
        return jnp.stack([-self.sigma * y[0] - self.density * j, f[0] + j, f[1]])

    def initial_state(self, key: PRNGKeyArray | None = None) -> Array:
        u = selkov_rest_state(self.alpha, self.mu)
        y = jnp.concatenate([jnp.zeros(1), u])
        return y + jnp.array([0.0, 0.05, 0.0])

    def asynchronous_jacobian(self, y: Array) -> Array:
        """F_u(u) - 2πκ d_2 e_1 e_1ᵀ: the cells' Jacobian for perturbations with Σ δu_j = 0."""
        ju = jax.jacfwd(lambda u: selkov(u, self.alpha, self.mu, self.zeta))(y[1:])
        return ju.at[0, 0].add(-2.0 * jnp.pi * self.kappa() * self.d2)


class CellBulkRadial(AbstractODE):
    """The full PDE-ODE model for one cell at the centre of a disk of radius ``R``.

    State: the bulk U at the ``n`` finite-volume centres ρ_i of [log ε, log R] (uniform
    in ρ = log r, width h), then (u_1, u_2). In ρ the bulk equation reads
    e^{2ρ} U_t = D U_ρρ - σ e^{2ρ} U; fluxes D U_ρ across faces; the outer face has
    zero flux and the membrane face the flux D U_ρ = (d_1 U_m - d_2 u_1) with the membrane
    value U_m extrapolated from the first cell to second order. The cell receives
    2π(d_1 U_m - d_2 u_1), exactly what the bulk loses, so the scheme conserves
    2π ∫ U r dr + u_1 up to decay and reactions.
    """

    R: Float[Array, ""]
    d1: Float[Array, ""]
    d2: Float[Array, ""]
    sigma: Float[Array, ""]
    D: Float[Array, ""]
    eps: Float[Array, ""]
    alpha: Float[Array, ""]
    mu: Float[Array, ""]
    zeta: Float[Array, ""]
    n: int = eqx.field(static=True)

    name: ClassVar[str] = "cell_bulk_radial"
    paper: ClassVar[str] = "4"
    reference: ClassVar[str] = (
        "Paper 4 (Iyaniwura & Ward, SIAM J. Appl. Dyn. Syst. 2021): cell-bulk PDE-ODE model, one "
        "cell at the centre of a disk (exact radial reduction), finite volumes in log r"
    )
    param_ranges: ClassVar[dict[str, tuple[float, float]]] = {
        "R": (1e-3, 1e3),
        **_COMMON,
    }
    default_dt: ClassVar[float] = 1e-3
    #: a short run: the default (moderate ε, coarse grid) is mildly stiff for Tsit5
    t_char: ClassVar[float] = 1.0

    def __init__(
        self,
        R=0.5,
        d1=1.0,
        d2=0.2,
        sigma=5.0,
        D=1.0,
        eps=0.05,
        alpha=0.9,
        mu=2.0,
        zeta=0.15,
        *,
        n: int = 16,
    ):
        self.R = jnp.asarray(R, dtype=float)
        self.d1 = jnp.asarray(d1, dtype=float)
        self.d2 = jnp.asarray(d2, dtype=float)
        self.sigma = jnp.asarray(sigma, dtype=float)
        self.D = jnp.asarray(D, dtype=float)
        self.eps = jnp.asarray(eps, dtype=float)
        self.alpha = jnp.asarray(alpha, dtype=float)
        self.mu = jnp.asarray(mu, dtype=float)
        self.zeta = jnp.asarray(zeta, dtype=float)
        self.n = check_int("n", n, 4, 4096)

    def validate(self) -> None:
        super().validate()
        eps, big_r = self.eps, self.R
        if is_concrete((eps, big_r)):
            if np.any(np.asarray(eps) >= 0.5 * np.asarray(big_r)):
                raise ValueError(
                    f"CellBulkRadial: parameter 'eps' (cell radius) must be below R/2 = "
                    f"{0.5 * float(np.max(big_r)):g}, got {float(np.max(eps)):g}"
                )

    def grid(self) -> tuple[Array, Array]:
        """Cell centres ρ_i and the width h of the uniform grid in ρ = log r."""
        a, b = jnp.log(self.eps), jnp.log(self.R)
        h = (b - a) / self.n
        return a + h * (jnp.arange(self.n) + 0.5), h

    def membrane_value(self, y: Array) -> Array:
        """U_m, extrapolated to the membrane: D (U_0 - U_m)/(h/2) = d_1 U_m - d_2 u_1."""
        _, h = self.grid()
        g = 2.0 * self.D / h
        return (g * y[0] + self.d2 * y[self.n]) / (g + self.d1)

    def drift(self, t, y, args=None):
        rho, h = self.grid()
        u_bulk, u = y[: self.n], y[self.n :]
        um = self.membrane_value(y)
        inner = self.d1 * um - self.d2 * u[0]  # flux D U_ρ at the membrane (into the bulk: -)
        grad = self.D * jnp.diff(u_bulk) / h  # D U_ρ at interior faces
        flux = jnp.concatenate([inner[None], grad, jnp.zeros(1)])  # faces 0..n
        weight = jnp.exp(2.0 * rho)
        du = (flux[1:] - flux[:-1]) / (h * weight) - self.sigma * u_bulk
        f = selkov(u, self.alpha, self.mu, self.zeta)
        exchange = 2.0 * jnp.pi * inner
        return jnp.concatenate([du, jnp.stack([f[0] + exchange, f[1]])])

    def initial_state(self, key: PRNGKeyArray | None = None) -> Array:
        u = selkov_rest_state(self.alpha, self.mu) + jnp.array([0.05, 0.0])
        return jnp.concatenate([jnp.zeros(self.n), u])

    def total_chemical(self, y: Array) -> Array:
        """2π ∫ U r dr + u_1: conserved by the exchange (changed only by decay and F_1)."""
        rho, h = self.grid()
        return 2.0 * jnp.pi * jnp.sum(y[: self.n] * jnp.exp(2.0 * rho)) * h + y[self.n]

    def density(self) -> Array:
        """Cells per unit area, 1 / (π R²) (the reduced ODE's ``density``)."""
        return 1.0 / (jnp.pi * self.R**2)


__all__ = [
    "CellBulkODE",
    "CellBulkRadial",
    "coupling_factor",
    "selkov",
    "selkov_rest_state",
]
