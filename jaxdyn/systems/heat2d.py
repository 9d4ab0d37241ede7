"""2-D heat equation with time-varying diffusivity, and its Crank-Nicolson linear systems.

    u_t = κ(t) Δu  on (0, 1)², κ(t) = κ0 (1 + a sin(2π t / P)),
    u = g on the boundary: g(x, 1) = T_top sin(π x), g = 0 on the other three sides.

Method of lines on the m x m interior grid (h = 1/(m+1), 5-point Laplacian Δ_h, the
Dirichlet data entering as a source g_h / h² next to the top wall) gives
du/dt = κ(t) (Δ_h u + g_h). Crank-Nicolson (Crank & Nicolson, Proc. Camb. Phil. Soc. 43,
50 (1947)) with step dt gives at each step the symmetric positive definite linear system

    (I - (dt/2) κ_{n+1} Δ_h) u^{n+1} = (I + (dt/2) κ_n Δ_h) u^n + (dt/2)(κ_n + κ_{n+1}) g_h,

i.e. the 5-point operator with diagonal 1 + 2 s and off-diagonal s/2, s = dt κ_{n+1} / h²,
whose Jacobi spectral radius is ρ_J = 2 s cos(π h) / (1 + 2 s). This is the
"time-varying diffusion" instance sequence of Khodak et al., "Learning to Relax" (ICLR
2024): every time step is one linear system for SOR, and κ_{n+1} (or s) is its context.

The System is the Crank-Nicolson *map* u^n -> u^{n+1} (an :class:`~jaxdyn.AbstractMap`
whose time step is the field ``dt``), advanced with an exact fast solver
(diagonalisation of Δ_h by the discrete sine transform, written as dense m x m
products), independent of SOR. ``simulate(heat, n * dt, ts=..., observable=...)`` with
the observable :meth:`Heat2D.instance` records each step's linear system on the fly.
"""

from __future__ import annotations

from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float, PRNGKeyArray

from ..core import AbstractMap, check_int, check_positive
from ..solvers.sor import Stencil5


class Heat2D(AbstractMap):
    """Crank-Nicolson steps of u_t = κ(t) Δu on the unit square, periodic κ, hot top wall."""

    kappa0: Float[Array, ""]
    amplitude: Float[Array, ""]
    period: Float[Array, ""]
    top: Float[Array, ""]
    m: int = eqx.field(static=True)
    dt: float = eqx.field(static=True)

    name: ClassVar[str] = "heat2d"
    reference: ClassVar[str] = (
        "J. Crank and P. Nicolson, Proc. Camb. Phil. Soc. 43, 50 (1947); instance sequence of "
        "M. Khodak, E. Chow, M.-F. Balcan, A. Talwalkar, 'Learning to Relax', ICLR 2024"
    )
    param_ranges: ClassVar[dict[str, tuple[float, float]]] = {
        "kappa0": (0.0, 1e6),
        "amplitude": (0.0, 0.999),
        "period": (1e-12, 1e12),
        "top": (-1e6, 1e6),
    }
    paper: ClassVar[str] = "21"
    random_steps: ClassVar[bool] = False
    #: one period of the diffusivity
    t_char: ClassVar[float] = 1.0

    def __init__(self, m: int = 16, kappa0=1.0, amplitude=0.9, period=1.0, top=1.0, dt=1e-2):
        self.m = check_int("m", m, 1)
        self.dt = check_positive("dt", dt)
        self.kappa0 = jnp.asarray(kappa0, dtype=float)
        self.amplitude = jnp.asarray(amplitude, dtype=float)
        self.period = jnp.asarray(period, dtype=float)
        self.top = jnp.asarray(top, dtype=float)

    @property
    def h(self) -> float:
        return 1.0 / (self.m + 1)

    def kappa(self, t: ArrayLike) -> Array:
        """κ(t) = κ0 (1 + a sin(2π t / P)) > 0."""
        return self.kappa0 * (1.0 + self.amplitude * jnp.sin(2.0 * jnp.pi * t / self.period))

    def laplacian(self, u: Float[Array, "m m"]) -> Float[Array, "m m"]:
        """Δ_h u with zero Dirichlet data (5-point, index [i, j] for x_i, y_j)."""
        p = jnp.pad(u, 1)
        return (p[:-2, 1:-1] + p[2:, 1:-1] + p[1:-1, :-2] + p[1:-1, 2:] - 4.0 * u) / self.h**2

    def boundary_source(self) -> Float[Array, "m m"]:
        """g_h: the Dirichlet data g(x_i, 1) / h² on the row next to the top wall."""
        x = jnp.arange(1, self.m + 1) * self.h
        g = jnp.zeros((self.m, self.m))
        return g.at[:, -1].set(self.top * jnp.sin(jnp.pi * x) / self.h**2)

    def time_step(self) -> float:
        return self.dt

    def step(self, t, y, key=None, args=None):
        """One Crank-Nicolson step u^n -> u^{n+1}, solved exactly."""
        return self.cn_solve_exact(t + self.dt, self.dt, self.cn_rhs(t, y, self.dt))

    def instance(self, t, y) -> dict[str, Array]:
        """The linear system A u^{n+1} = b of the step from ``(t, y)``: its context κ(t + dt)
        and right-hand side b (an observable for :func:`jaxdyn.simulate`)."""
        return {"kappa": self.kappa(t + self.dt), "rhs": self.cn_rhs(t, y, self.dt)}

    def initial_state(self, key: PRNGKeyArray | None = None):
        """Zero without a key; else a random smooth field Σ_{k,l≤4} a_kl sin(kπx) sin(lπy)."""
        if key is None:
            return jnp.zeros((self.m, self.m))
        x = jnp.arange(1, self.m + 1) * self.h
        modes = jnp.sin(jnp.pi * jnp.arange(1, 5)[:, None] * x[None, :])  # (4, m)
        coef = jax.random.normal(key, (4, 4)) / (
            1.0 + jnp.arange(4)[:, None] + jnp.arange(4)[None, :]
        )
        return modes.T @ coef @ modes

    def cn_operator(self, t_next: ArrayLike, dt: ArrayLike) -> Stencil5:
        """The CN matrix I - (dt/2) κ(t_next) Δ_h as a :class:`Stencil5`."""
        s = dt * self.kappa(t_next) / self.h**2
        return Stencil5(self.m, 1.0 + 2.0 * s, 0.5 * s)

    def cn_rhs(self, t: ArrayLike, u: Array, dt: ArrayLike) -> Array:
        """(I + (dt/2) κ_n Δ_h) u^n + (dt/2)(κ_n + κ_{n+1}) g_h."""
        k0, k1 = self.kappa(t), self.kappa(t + dt)
        return u + 0.5 * dt * k0 * self.laplacian(u) + 0.5 * dt * (k0 + k1) * self.boundary_source()

    def cn_solve_exact(self, t_next: ArrayLike, dt: ArrayLike, b: Array) -> Array:
        """Solve the CN system exactly by diagonalising Δ_h with the discrete sine basis."""
        S, lam = _sine_basis(self.m)
        s = dt * self.kappa(t_next) / self.h**2
        # I - (dt/2) κ Δ_h has eigenvalues 1 + (s/2) (λ_k + λ_l), λ_k = 4 sin²(kπh/2).
        denom = 1.0 + 0.5 * s * (lam[:, None] + lam[None, :])
        return S @ ((S.T @ b @ S) / denom) @ S.T

    def jacobi_radius(self, kappa: ArrayLike, dt: ArrayLike) -> Array:
        """ρ_J = 2 s cos(π h) / (1 + 2 s) of the CN matrix, s = dt κ / h²."""
        s = dt * jnp.asarray(kappa) / self.h**2
        return 2.0 * s * np.cos(np.pi * self.h) / (1.0 + 2.0 * s)


def _sine_basis(m: int) -> tuple[Array, Array]:
    """Orthonormal DST-I basis S (S Sᵀ = I) and the eigenvalues 4 sin²(kπh/2) of -h² ∂²_h."""
    k = np.arange(1, m + 1)
    h = 1.0 / (m + 1)
    S = np.sqrt(2.0 * h) * np.sin(np.pi * h * np.outer(k, k))
    lam = 4.0 * np.sin(0.5 * np.pi * h * k) ** 2
    return jnp.asarray(S), jnp.asarray(lam)
