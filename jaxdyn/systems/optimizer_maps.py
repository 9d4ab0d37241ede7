"""First-order optimisation methods as discrete-time systems (maps) (paper 17).

Each method is a map on the state y_k = [x_k, x_{k-1}] (shape (2, d); for the triple
momentum method [ξ_k, ξ_{k-1}]) started at rest, x_{-1} = x_0:

=====================  ==========================================================
:class:`GradientDescent`  x_{k+1} = x_k - α ∇f(x_k)
:class:`HeavyBall`        x_{k+1} = x_k - α ∇f(x_k) + β (x_k - x_{k-1})          (Polyak 1964)
:class:`Nesterov`         y_k = x_k + β (x_k - x_{k-1}),  x_{k+1} = y_k - α ∇f(y_k)  (NAG-SC)
:class:`NesterovConvex`   the same with β_k = (k-1)/(k+2) and α = s                (NAG-C)
:class:`TripleMomentum`   ξ_{k+1} = (1+β) ξ_k - β ξ_{k-1} - α ∇f((1+γ) ξ_k - γ ξ_{k-1}),
                          output x_k = (1+δ) ξ_k - δ ξ_{k-1}   (Van Scoy, Freeman & Lynch 2018)
=====================  ==========================================================

On a quadratic f = ½ λ x² every stationary method is linear, y_{k+1} = T(λ) y_k, with the
2x2 iteration matrix :meth:`~AbstractFirstOrderMethod.iteration_matrix`; its worst-case
spectral radius max_{λ∈[m,L]} ρ(T(λ)) is the method's linear rate on strongly convex
quadratics of condition number κ = L/m. With the standard tunings
(:meth:`~AbstractFirstOrderMethod.tuned`) the theory (``theory_rate``) is

* gradient descent, α = 2/(L+m): (κ-1)/(κ+1);
* heavy ball, α = 4/(√L+√m)², β = ((√κ-1)/(√κ+1))²: (√κ-1)/(√κ+1) (B. T. Polyak 1964);
* Nesterov, α = 1/L, β = (√κ-1)/(√κ+1): 1 - 1/√κ (Y. Nesterov 2004, §2.2; the double
  root of T(m) sits at 1 - 1/√κ);
* triple momentum, ρ = 1 - 1/√κ, α = (1+ρ)/L, β = ρ²/(2-ρ), γ = ρ²/((1+ρ)(2-ρ)),
  δ = ρ²/(1-ρ²): ρ (B. Van Scoy, R. A. Freeman and K. M. Lynch, IEEE Control Syst. Lett.
  2, 49 (2018)), and ρ is also its worst case over all of S(m, L), not just quadratics.

Heavy ball is the fastest on quadratics but has no such guarantee beyond them: on the
:class:`~jaxdyn.systems.objectives.LessardCounterexample` it settles on a cycle.
"""

from __future__ import annotations

import abc
from typing import ClassVar

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float, PRNGKeyArray

from ..analysis.acceleration import spectral_radius_2x2
from ..core import AbstractMap
from .objectives import check_kappa, conditioned_quadratic
from .optimizer_flows import _start
from .redundancy import AbstractObjective

_LR = (0.0, 1e6)


def _bounds(objective: AbstractObjective) -> tuple[float, float]:
    m, L = (float(v) for v in objective.curvature_bounds())
    if not (m > 0 and L >= m):
        raise ValueError(f"tuning needs a strongly convex objective (0 < m <= L), got m={m}, L={L}")
    return m, L


class AbstractFirstOrderMethod(AbstractMap):
    """A first-order method on ``objective`` as a map on y_k = [x_k, x_{k-1}]."""

    objective: eqx.AbstractVar[AbstractObjective]
    x0: eqx.AbstractVar[Float[Array, " d"]]

    paper: ClassVar[str] = "17"
    random_steps: ClassVar[bool] = False
    t_char: ClassVar[float] = 20.0

    def initial_state(self, key: PRNGKeyArray | None = None) -> Array:
        return jnp.stack([self.x0, self.x0])

    def output(self, y: Array) -> Array:
        """The method's current iterate x_k."""
        return y[0]

    def error(self, t, y) -> Array:
        """|x_k - x*| (an observable for ``simulate``)."""
        return jnp.linalg.norm(self.output(y) - self.objective.x_star)

    def suboptimality(self, t, y) -> Array:
        """f(x_k) - f*."""
        return self.objective.value(self.output(y)) - self.objective.value(self.objective.x_star)

    @abc.abstractmethod
    def iteration_matrix(self, lam: ArrayLike) -> Array:
        """T(λ), shape (..., 2, 2): the map on f = ½ λ x² in coordinates (x_k, x_{k-1})."""

    def worst_case_rate(self, m: float, L: float, n: int = 4001) -> Array:
        """max over λ ∈ [m, L] (geometric grid of ``n`` points, ends included) of ρ(T(λ))."""
        lam = jnp.geomspace(m, L, n)
        return jnp.max(spectral_radius_2x2(self.iteration_matrix(lam)))


def _matrix(a, b):
    """[[a, b], [1, 0]] for arrays a, b of one shape."""
    a, b = jnp.broadcast_arrays(jnp.asarray(a, float), jnp.asarray(b, float))
    return jnp.stack(
        [jnp.stack([a, b], -1), jnp.stack([jnp.ones_like(a), jnp.zeros_like(a)], -1)], -2
    )


class GradientDescent(AbstractFirstOrderMethod):
    """x_{k+1} = x_k - α ∇f(x_k)."""

    alpha: Float[Array, ""]
    objective: AbstractObjective
    x0: Float[Array, " d"]

    name: ClassVar[str] = "gradient_descent"
    reference: ClassVar[str] = "A. Cauchy (1847); rate (κ-1)/(κ+1) at α = 2/(L+m)"
    param_ranges: ClassVar[dict[str, tuple[float, float]]] = {"alpha": _LR}

    def __init__(self, alpha=0.1, objective: AbstractObjective | None = None, x0=None):
        self.objective = conditioned_quadratic(10.0) if objective is None else objective
        self.alpha = jnp.asarray(alpha, dtype=float)
        self.x0 = _start(self.objective, x0)

    def step(self, t, y, key, args=None):
        x = y[0]
        return jnp.stack([x - self.alpha * self.objective.grad(x), x])

    def iteration_matrix(self, lam):
        return _matrix(1.0 - self.alpha * jnp.asarray(lam), 0.0)

    @classmethod
    def tuned(cls, objective: AbstractObjective, x0=None) -> GradientDescent:
        m, L = _bounds(objective)
        return cls(2.0 / (L + m), objective, x0)

    @staticmethod
    def theory_rate(kappa: float) -> float:
        kappa = check_kappa(kappa)
        return (kappa - 1.0) / (kappa + 1.0)


class HeavyBall(AbstractFirstOrderMethod):
    """x_{k+1} = x_k - α ∇f(x_k) + β (x_k - x_{k-1}) (Polyak's heavy ball)."""

    alpha: Float[Array, ""]
    beta: Float[Array, ""]
    objective: AbstractObjective
    x0: Float[Array, " d"]

    name: ClassVar[str] = "heavy_ball"
    reference: ClassVar[str] = (
        "B. T. Polyak, 'Some methods of speeding up the convergence of iteration methods', "
        "USSR Comput. Math. Math. Phys. 4(5), 1 (1964)"
    )
    param_ranges: ClassVar[dict[str, tuple[float, float]]] = {"alpha": _LR, "beta": (0.0, 1.0)}

    def __init__(self, alpha=0.1, beta=0.5, objective: AbstractObjective | None = None, x0=None):
        self.objective = conditioned_quadratic(10.0) if objective is None else objective
        self.alpha = jnp.asarray(alpha, dtype=float)
        self.beta = jnp.asarray(beta, dtype=float)
        self.x0 = _start(self.objective, x0)

    def step(self, t, y, key, args=None):
        x, xp = y[0], y[1]
        return jnp.stack([x - self.alpha * self.objective.grad(x) + self.beta * (x - xp), x])

    def iteration_matrix(self, lam):
        return _matrix(1.0 + self.beta - self.alpha * jnp.asarray(lam), -self.beta)

    @classmethod
    def tuned(cls, objective: AbstractObjective, x0=None) -> HeavyBall:
        m, L = _bounds(objective)
        q = np.sqrt(L / m)
        return cls(4.0 / (np.sqrt(L) + np.sqrt(m)) ** 2, ((q - 1) / (q + 1)) ** 2, objective, x0)

    @staticmethod
    def theory_rate(kappa: float) -> float:
        q = np.sqrt(check_kappa(kappa))
        return float((q - 1.0) / (q + 1.0))


class Nesterov(AbstractFirstOrderMethod):
    """y_k = x_k + β (x_k - x_{k-1}),  x_{k+1} = y_k - α ∇f(y_k) (NAG-SC)."""

    alpha: Float[Array, ""]
    beta: Float[Array, ""]
    objective: AbstractObjective
    x0: Float[Array, " d"]

    name: ClassVar[str] = "nesterov"
    reference: ClassVar[str] = (
        "Y. Nesterov, Introductory Lectures on Convex Optimization (2004), scheme 2.2.19"
    )
    param_ranges: ClassVar[dict[str, tuple[float, float]]] = {"alpha": _LR, "beta": (0.0, 1.0)}

    def __init__(self, alpha=0.1, beta=0.5, objective: AbstractObjective | None = None, x0=None):
        self.objective = conditioned_quadratic(10.0) if objective is None else objective
        self.alpha = jnp.asarray(alpha, dtype=float)
        self.beta = jnp.asarray(beta, dtype=float)
        self.x0 = _start(self.objective, x0)

    def step(self, t, y, key, args=None):
        x, xp = y[0], y[1]
        z = x + self.beta * (x - xp)
        return jnp.stack([z - self.alpha * self.objective.grad(z), x])

    def iteration_matrix(self, lam):
        c = 1.0 - self.alpha * jnp.asarray(lam)
        return _matrix((1.0 + self.beta) * c, -self.beta * c)

    @classmethod
    def tuned(cls, objective: AbstractObjective, x0=None) -> Nesterov:
        m, L = _bounds(objective)
        q = np.sqrt(L / m)
        return cls(1.0 / L, (q - 1) / (q + 1), objective, x0)

    @staticmethod
    def theory_rate(kappa: float) -> float:
        return float(1.0 - 1.0 / np.sqrt(check_kappa(kappa)))


class NesterovConvex(AbstractFirstOrderMethod):
    """NAG-C: y_k = x_k + (k-1)/(k+2) (x_k - x_{k-1}),  x_{k+1} = y_k - s ∇f(y_k).

    Step k of the map is iteration k (time t = k); Su, Boyd and Candès show x_k ≈ X(k√s),
    X the solution of :class:`~jaxdyn.systems.NesterovFlow` (r = 3), as s -> 0, with
    f(x_k) - f* ≤ 2 |x₀ - x*|² / (s (k+1)²).
    """

    s: Float[Array, ""]
    objective: AbstractObjective
    x0: Float[Array, " d"]

    name: ClassVar[str] = "nesterov_convex"
    reference: ClassVar[str] = (
        "Y. Nesterov, Soviet Math. Dokl. 27, 372 (1983); W. Su, S. Boyd and E. J. Candès, "
        "JMLR 17(153) (2016), eq. (1)"
    )
    param_ranges: ClassVar[dict[str, tuple[float, float]]] = {"s": _LR}
    t_char: ClassVar[float] = 50.0

    def __init__(self, s=0.01, objective: AbstractObjective | None = None, x0=None):
        self.objective = conditioned_quadratic(10.0) if objective is None else objective
        self.s = jnp.asarray(s, dtype=float)
        self.x0 = _start(self.objective, x0)

    def step(self, t, y, key, args=None):
        x, xp = y[0], y[1]
        z = x + (t - 1.0) / (t + 2.0) * (x - xp)
        return jnp.stack([z - self.s * self.objective.grad(z), x])

    def iteration_matrix(self, lam):
        raise NotImplementedError(
            "NesterovConvex has a time-dependent momentum: no single iteration matrix"
        )


class TripleMomentum(AbstractFirstOrderMethod):
    """ξ_{k+1} = (1+β) ξ_k - β ξ_{k-1} - α ∇f((1+γ) ξ_k - γ ξ_{k-1}); x_k = (1+δ) ξ_k - δ ξ_{k-1}.

    The state is [ξ_k, ξ_{k-1}]; :meth:`output` gives x_k. Tuned as in Van Scoy et al.
    (2018), it converges at ρ = 1 - 1/√κ on every m-strongly convex, L-smooth function.
    """

    alpha: Float[Array, ""]
    beta: Float[Array, ""]
    gamma: Float[Array, ""]
    delta: Float[Array, ""]
    objective: AbstractObjective
    x0: Float[Array, " d"]

    name: ClassVar[str] = "triple_momentum"
    reference: ClassVar[str] = (
        "B. Van Scoy, R. A. Freeman and K. M. Lynch, 'The fastest known globally convergent "
        "first-order method for minimizing strongly convex functions', IEEE Control Syst. "
        "Lett. 2, 49 (2018)"
    )
    param_ranges: ClassVar[dict[str, tuple[float, float]]] = {
        "alpha": _LR,
        "beta": (0.0, 1.0),
        "gamma": (0.0, 1e12),
        "delta": (0.0, 1e12),
    }

    def __init__(
        self,
        alpha=0.1,
        beta=0.3,
        gamma=0.2,
        delta=1.0,
        objective: AbstractObjective | None = None,
        x0=None,
    ):
        self.objective = conditioned_quadratic(10.0) if objective is None else objective
        self.alpha = jnp.asarray(alpha, dtype=float)
        self.beta = jnp.asarray(beta, dtype=float)
        self.gamma = jnp.asarray(gamma, dtype=float)
        self.delta = jnp.asarray(delta, dtype=float)
        self.x0 = _start(self.objective, x0)

    def step(self, t, y, key, args=None):
        xi, xip = y[0], y[1]
        z = (1.0 + self.gamma) * xi - self.gamma * xip
        new = (1.0 + self.beta) * xi - self.beta * xip - self.alpha * self.objective.grad(z)
        return jnp.stack([new, xi])

    def output(self, y):
        return (1.0 + self.delta) * y[0] - self.delta * y[1]

    def iteration_matrix(self, lam):
        al = self.alpha * jnp.asarray(lam)
        return _matrix(1.0 + self.beta - al * (1.0 + self.gamma), -self.beta + al * self.gamma)

    @classmethod
    def tuned(cls, objective: AbstractObjective, x0=None) -> TripleMomentum:
        m, L = _bounds(objective)
        rho = 1.0 - np.sqrt(m / L)
        return cls(
            (1 + rho) / L,
            rho**2 / (2 - rho),
            rho**2 / ((1 + rho) * (2 - rho)),
            rho**2 / (1 - rho**2),
            objective,
            x0,
        )

    @staticmethod
    def theory_rate(kappa: float) -> float:
        return float(1.0 - 1.0 / np.sqrt(check_kappa(kappa)))


#: the stationary methods with a standard tuning, by name
METHODS: dict[str, type[AbstractFirstOrderMethod]] = {
    "gradient_descent": GradientDescent,
    "heavy_ball": HeavyBall,
    "nesterov": Nesterov,
    "triple_momentum": TripleMomentum,
}


__all__ = [
    "METHODS",
    "AbstractFirstOrderMethod",
    "GradientDescent",
    "HeavyBall",
    "Nesterov",
    "NesterovConvex",
    "TripleMomentum",
]
