"""A chemically active drop: self-propulsion by diffusiophoresis and Marangoni flow (paper 22).

Model (Morozov & Michelin, J. Chem. Phys. 150, 044110 (2019); the isotropic phoretic
particle of Michelin, Lauga & Bartolo, Phys. Fluids 25, 061701 (2013)). Units: the drop
radius a, the emission-limited concentration A a / D and the phoretic velocity scale
U* (below), so the Péclet number Pe = U* a / D is the only measure of advection. In the
drop's frame the solute concentration c(r, θ, t) outside the drop obeys

    ∂c/∂t + Pe u·∇c = ∇²c,     -∂c/∂r = 1 on r = 1 (uniform emission),   c -> 0 far away,

and the Stokes flow u (outside; u_in inside, viscosity ratio η) satisfies on r = 1

    u_r = u_r,in = 0,                                   (impermeable surface)
    u_θ - u_θ,in = M_D ∂_θ c,                            (diffusiophoretic slip)
    σ_rθ - η σ_rθ,in = -∂_θ γ = -M_M ∂_θ c,              (Marangoni stress, γ = γ_0 + M_M c)

with zero total force, and a uniform stream -U e_z at infinity (the drop swims at U e_z).
Expanding c(1, θ) = Σ_n c_n(1) P_n(cos θ), the Stokes problem is solved exactly mode by
mode (stream function ψ = f_n(r) sin²θ P_n'(cos θ) / (n(n+1)), u_r = f_n P_n / r²,
u_θ = -f_n' sin θ P_n' / (r n(n+1)); derived here from Lamb's general solution):

    n = 1:   f_1 = U (1/r - r²),     U = -(2/3) c_1(1) (M_M + 3η M_D) / (2 + 3η),
    n >= 2:  f_n = b_n (r^{2-n} - r^{-n}),
             b_n = n(n+1) c_n(1) (η M_D / 2 + M_M / (4n+2)) / (1 + η).

The velocity scale makes the mode-1 mobility one, (M_M + 3η M_D)/(2 + 3η) = 1, so that
U = -(2/3) c_1(1) whatever the mechanism (as for the phoretic particle, whose threshold
of steady propulsion is Pe = 4); the *mobility ratio* m = M_D / M_M then sets how the
higher modes are forced: M_M = (2 + 3η)/(1 + 3η m), M_D = m M_M. Limits: a rigid particle
(η -> ∞) recovers the squirmer relation U = 2B_1/3 with slip; pure Marangoni the
migration velocity of Young, Goldstein & Block (J. Fluid Mech. 6, 350 (1959)).

Discretisation: Legendre modes n = 0..L in angle (Gauss-Legendre quadrature with 3L/2 + 1
nodes for the advection products, so they are exact: no aliasing), and a Chebyshev grid
in r on [1, R_max] mapped algebraically to cluster nodes at the drop (r = 1 + s(1+ξ)/(1 -
ξ + 2s/(R_max - 1))). The field is c = 1/r - 1/R_max (the motionless isotropic state)
plus a perturbation with homogeneous conditions (∂_r c = 0 at 1, c = 0 at R_max). The
diffusion operator of each mode is diagonalised once (its eigenvalues are real and
negative), so the drop is a semi-linear System (ETDRK4 integrates diffusion exactly and
advection explicitly).
"""

from __future__ import annotations

from typing import ClassVar

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float, PRNGKeyArray

from ..core import AbstractSemilinear, check_int, is_concrete


def mobilities(m, eta):
    """(M_M, M_D) with mode-1 mobility one: M_M = (2 + 3η)/(1 + 3η m), M_D = m M_M."""
    mm = (2.0 + 3.0 * eta) / (1.0 + 3.0 * eta * m)
    return mm, m * mm


def swimming_velocity(c1_surface, m_marangoni, m_diffusio, eta):
    """U = -(2/3) c_1(1) (M_M + 3η M_D) / (2 + 3η) for any mobilities (force-free drop)."""
    return -2.0 / 3.0 * c1_surface * (m_marangoni + 3.0 * eta * m_diffusio) / (2.0 + 3.0 * eta)


def mode_coefficient(n, cn_surface, m_marangoni, m_diffusio, eta):
    """b_n of f_n = b_n (r^{2-n} - r^{-n}) for n >= 2."""
    return n * (n + 1) * cn_surface * (eta * m_diffusio / 2 + m_marangoni / (4 * n + 2)) / (1 + eta)


def _cheb(n: int):
    x = np.cos(np.pi * np.arange(n + 1) / n)
    c = np.ones(n + 1)
    c[0] = c[-1] = 2.0
    c *= (-1.0) ** np.arange(n + 1)
    dx = x[:, None] - x[None, :]
    d = np.outer(c, 1.0 / c) / (dx + np.eye(n + 1))
    d -= np.diag(d.sum(axis=1))
    return x, d


def radial_grid(n_r: int, r_max: float, stretch: float):
    """Nodes r_k (k = 0: r_max, k = n_r: 1) and d/dr, d²/dr² on the mapped Chebyshev grid."""
    xi, d = _cheb(n_r)
    s = stretch
    b = 1.0 + 2.0 * s / (r_max - 1.0)
    r = 1.0 + s * (1.0 + xi) / (b - xi)
    dr = s * (b + 1.0) / (b - xi) ** 2  # dr/dξ
    d2r = 2.0 * s * (b + 1.0) / (b - xi) ** 3
    d1 = d / dr[:, None]
    d2 = (d @ d) / dr[:, None] ** 2 - (d2r / dr**3)[:, None] * d
    return r, d1, d2


class ActiveDrop(AbstractSemilinear):
    """The axisymmetric active drop (see the module docstring); state: the perturbation of
    the concentration at the interior radial nodes, per Legendre mode, shape (L+1, n_r-1).

    Parameters: ``Pe`` (Péclet number), ``m`` (mobility ratio M_D / M_M), ``eta``
    (viscosity ratio). Resolution (static): ``n_modes`` = L + 1, ``n_r`` Chebyshev
    intervals, ``r_max`` the outer radius, ``stretch`` the mapping's length.
    """

    Pe: Float[Array, ""]
    m: Float[Array, ""]
    eta: Float[Array, ""]
    r: Float[Array, " nr"]
    d1: Float[Array, "nr nr"]
    vecs: Float[Array, "l k k"]
    inv: Float[Array, "l k k"]
    lam: Float[Array, "l k"]
    legendre: Float[Array, "l q"]
    dlegendre: Float[Array, "l q"]
    weights: Float[Array, " q"]
    mu: Float[Array, " q"]
    n_modes: int = eqx.field(static=True)
    n_r: int = eqx.field(static=True)
    r_max: float = eqx.field(static=True)
    stretch: float = eqx.field(static=True)

    name: ClassVar[str] = "active_drop"
    paper: ClassVar[str] = "22"
    reference: ClassVar[str] = (
        "Paper 22 (Morozov & Michelin, J. Chem. Phys. 150, 044110 (2019)): axisymmetric "
        "chemically active drop, diffusiophoresis + Marangoni; Michelin, Lauga & Bartolo, "
        "Phys. Fluids 25, 061701 (2013)"
    )
    param_ranges: ClassVar[dict[str, tuple[float, float]]] = {
        "Pe": (0.0, 200.0),
        "m": (0.0, 1e3),
        "eta": (1e-3, 1e3),
    }
    default_dt: ClassVar[float] = 0.01
    #: the diffusive time a²/D
    t_char: ClassVar[float] = 1.0

    def __init__(
        self,
        Pe=5.0,
        m=1.0,
        eta=1.0,
        *,
        n_modes: int = 12,
        n_r: int = 32,
        r_max: float = 40.0,
        stretch: float = 2.0,
    ):
        self.Pe = jnp.asarray(Pe, dtype=float)
        self.m = jnp.asarray(m, dtype=float)
        self.eta = jnp.asarray(eta, dtype=float)
        self.n_modes = check_int("n_modes", n_modes, 3, 128)
        self.n_r = check_int("n_r", n_r, 8, 512)
        if not (isinstance(r_max, int | float) and 4.0 <= float(r_max) <= 1e4):
            raise ValueError(f"r_max must be a number in [4, 1e4], got {r_max!r}")
        if not (isinstance(stretch, int | float) and 0.05 <= float(stretch) <= 100.0):
            raise ValueError(f"stretch must be a number in [0.05, 100], got {stretch!r}")
        self.r_max, self.stretch = float(r_max), float(stretch)
        r, d1, d2 = radial_grid(self.n_r, self.r_max, self.stretch)
        lam, vecs, inv = [], [], []
        for n in range(self.n_modes):
            a = _mode_operator(r, d1, d2, n)
            w, v = np.linalg.eig(a)
            if np.max(np.abs(w.imag)) > 1e-8 * np.max(np.abs(w)) or np.max(w.real) >= 0:
                raise ValueError(
                    f"n_r={n_r}, r_max={r_max}, stretch={stretch}: the diffusion operator of mode "
                    f"{n} has non-real or non-negative eigenvalues; change the resolution"
                )
            order = np.argsort(-w.real)
            lam.append(w.real[order])
            vecs.append(v.real[:, order])
            inv.append(np.linalg.inv(v.real[:, order]))
        self.r = jnp.asarray(r)
        self.d1 = jnp.asarray(d1)
        self.lam = jnp.asarray(np.stack(lam))
        self.vecs = jnp.asarray(np.stack(vecs))
        self.inv = jnp.asarray(np.stack(inv))
        nq = (3 * (self.n_modes - 1)) // 2 + 2
        mu, w = np.polynomial.legendre.leggauss(nq)
        p, dp = _legendre_table(self.n_modes - 1, mu)
        self.mu, self.weights = jnp.asarray(mu), jnp.asarray(w)
        self.legendre, self.dlegendre = jnp.asarray(p), jnp.asarray(dp)

    def validate(self) -> None:
        super().validate()
        if is_concrete(self.Pe) and np.any(np.asarray(self.Pe) > 30.0 * self.n_modes):
            raise ValueError(
                f"ActiveDrop: parameter 'Pe' = {float(np.max(self.Pe)):g} is too large for "
                f"n_modes={self.n_modes} (need Pe <= 30 n_modes to resolve the boundary layer)"
            )

    # --- fields on the full grid ---------------------------------------------------
    def full(self, y: Array) -> Array:
        """Perturbation on all radial nodes (L+1, n_r+1): 0 at r_max, Neumann row at r = 1."""
        d = self.d1
        inner = y
        # ∂_r c = 0 at r = 1 (node n_r): c_N = -Σ_{k=1}^{N-1} D_Nk c_k / D_NN
        c_n = -(inner @ d[-1, 1:-1]) / d[-1, -1]
        zeros = jnp.zeros((self.n_modes, 1))
        return jnp.concatenate([zeros, inner, c_n[:, None]], axis=1)

    def base(self) -> Array:
        """c_0 = 1/r - 1/r_max on the radial nodes."""
        return 1.0 / self.r - 1.0 / self.r_max

    def surface(self, y: Array) -> Array:
        """c_n(1) of the full concentration (mode 0 includes the base state)."""
        c = self.full(y)[:, -1]
        return c.at[0].add(1.0 - 1.0 / self.r_max)

    def velocity(self, y: Array) -> Array:
        """The swimming velocity U = -(2/3) c_1(1) along the axis."""
        return -2.0 / 3.0 * self.surface(y)[1]

    def flow_profiles(self, y: Array) -> tuple[Array, Array]:
        """f_n(r) and f_n'(r) on the radial nodes (L+1, n_r+1), mode 0 zero."""
        mm, md = mobilities(self.m, self.eta)
        cs = self.surface(y)
        r = self.r[None, :]
        n = jnp.arange(self.n_modes)[:, None].astype(float)
        u = -2.0 / 3.0 * cs[1]
        b = mode_coefficient(n, cs[:, None], mm, md, self.eta)
        f = b * (r ** (2.0 - n) - r ** (-n))
        fp = b * ((2.0 - n) * r ** (1.0 - n) + n * r ** (-n - 1.0))
        f1 = u * (1.0 / r[0] - r[0] ** 2)
        fp1 = u * (-1.0 / r[0] ** 2 - 2.0 * r[0])
        f = f.at[0].set(0.0).at[1].set(f1)
        fp = fp.at[0].set(0.0).at[1].set(fp1)
        return f, fp

    def advection(self, y: Array) -> Array:
        """u·∇c at the interior nodes, per Legendre mode (L+1, n_r-1)."""
        c = self.full(y).at[0].add(self.base())
        dc = c @ self.d1.T  # ∂_r c_l
        f, fp = self.flow_profiles(y)
        n = jnp.arange(self.n_modes)
        nn = jnp.maximum(n * (n + 1), 1).astype(float)
        p, dp = self.legendre, self.dlegendre  # (L+1, Q)
        r2 = self.r[:, None] ** 2
        ur = (f.T @ p) / r2  # (nr+1, Q)
        # (u_θ / r) ∂_θ c = (1 - μ²) (Σ f_n' P_n' / n(n+1)) (Σ c_l P_l') / r²
        a_theta = ((fp / nn[:, None]).T @ dp) * (1.0 - self.mu[None, :] ** 2) / r2
        adv = ur * (dc.T @ p) + a_theta * (c.T @ dp)
        norm = (2.0 * n + 1.0) / 2.0
        proj = (adv * self.weights[None, :]) @ p.T * norm[None, :]  # (nr+1, L+1)
        return proj.T[:, 1:-1]

    # --- semi-linear kind -------------------------------------------------------------
    def linear_symbol(self) -> Array:
        return self.lam

    def to_spectral(self, y: Array) -> Array:
        return jnp.einsum("lij,lj->li", self.inv, y)

    def from_spectral(self, v: Array) -> Array:
        return jnp.einsum("lij,lj->li", self.vecs, v)

    def nonlinear_spectral(self, t, v, args=None):
        y = self.from_spectral(v)
        return self.to_spectral(-self.Pe * self.advection(y))

    def initial_state(self, key: PRNGKeyArray | None = None) -> Array:
        """The motionless state plus a small mode-1 and mode-2 perturbation (random with a
        key) localised near the drop."""
        prof = jnp.exp(-(self.r[1:-1] - 1.0))
        amp = jnp.zeros(self.n_modes).at[1].set(1e-3).at[2].set(5e-4)
        if key is not None:
            import jax

            amp = 1e-3 * jax.random.normal(key, (self.n_modes,)).at[0].set(0.0)
        return amp[:, None] * prof[None, :]

    def flux_through(self, y: Array) -> Array:
        """Total solute flux ∮(-∂_r c + Pe u_r c) dS through each radial node's sphere
        (4π at steady state, the emission): mode 0 of the radial flux times 4π r²."""
        c = self.full(y).at[0].add(self.base())
        dc = c @ self.d1.T
        f, _ = self.flow_profiles(y)
        p = self.legendre
        flux = -(dc.T @ p) + self.Pe * (f.T @ p) / self.r[:, None] ** 2 * (c.T @ p)
        mean = (flux * self.weights[None, :]).sum(axis=1) / 2.0
        return 4.0 * jnp.pi * self.r**2 * mean


def _mode_operator(r, d1, d2, n):
    """∇² of mode n at the interior nodes, c = 0 at r_max, ∂_r c = 0 at r = 1 eliminated."""
    full = d2 + (2.0 / r)[:, None] * d1 - np.diag(n * (n + 1) / r**2)
    inner = slice(1, len(r) - 1)
    # c_N = -Σ_k d1[N, k] c_k / d1[N, N]  (k interior)
    elim = -d1[-1, inner] / d1[-1, -1]
    return full[inner, inner] + np.outer(full[inner, -1], elim)


def _legendre_table(lmax: int, mu: np.ndarray):
    """P_l(μ) and P_l'(μ), l = 0..lmax, at the nodes μ (Bonnet's recurrence)."""
    p = np.zeros((lmax + 1, mu.size))
    dp = np.zeros_like(p)
    p[0] = 1.0
    if lmax >= 1:
        p[1] = mu
        dp[1] = 1.0
    for k in range(1, lmax):
        p[k + 1] = ((2 * k + 1) * mu * p[k] - k * p[k - 1]) / (k + 1)
        dp[k + 1] = dp[k - 1] + (2 * k + 1) * p[k]
    return p, dp


__all__ = [
    "ActiveDrop",
    "mobilities",
    "mode_coefficient",
    "radial_grid",
    "swimming_velocity",
]
