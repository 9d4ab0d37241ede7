"""Optimisation methods as ordinary differential equations (paper 17).

Continuous-time limits of first-order methods on an objective f (any
:class:`~jaxdyn.systems.redundancy.AbstractObjective`: ``Quadratic``,
``LogisticRegression``, ``LessardCounterexample``), as jaxdyn ODE systems:

* :class:`GradientFlow`, ẋ = -∇f(x) - (s/2) ∇²f(x) ∇f(x): gradient flow (s = 0) and, for
  s > 0, the first-order modified equation of gradient descent with step s (backward
  error analysis: GD follows this flow to O(s²) per step).
* :class:`HeavyBallFlow`, ẍ + 2√μ ẋ + (1 + √(μ s)) ∇f(x) = 0: Polyak's heavy ball; s = 0
  is the low-resolution ODE, s > 0 the high-resolution ODE of B. Shi, S. S. Du,
  M. I. Jordan and W. J. Su, "Understanding the acceleration phenomenon via
  high-resolution differential equations", Math. Program. 195, 79 (2022), eq. (1.11).
* :class:`NesterovSCFlow`, ẍ + 2√μ ẋ + √s ∇²f(x) ẋ + (1 + √(μ s)) ∇f(x) = 0: Nesterov's
  method for μ-strongly convex f (NAG-SC), Shi et al. eq. (1.10). At s = 0 it coincides
  with the heavy ball's low-resolution ODE; the gradient-correction (Hessian damping)
  term √s ∇²f ẋ is what tells the two methods apart.
* :class:`NesterovFlow`, ẍ + (r/t) ẋ + √s ∇²f(x) ẋ + (1 + r√s/(2t)) ∇f(x) = 0: with
  s = 0 and r = 3, the ODE of W. Su, S. Boyd and E. J. Candès, "A differential equation
  for modeling Nesterov's accelerated gradient method", JMLR 17(153) (2016), eq. (3), the
  limit of NAG-C at t ≈ k√s, with f(x(t)) - f* ≤ (r-1)² |x₀ - x*|² / (2t²) for r >= 3
  (their Theorems 3 and 5); for s > 0 and r = 3 the high-resolution NAG-C ODE of Shi et al.
  eq. (1.12). On f = ½ λ x² with ẋ(0) = 0 and s = 0 its solution is
  x(t) = x₀ Γ((r+1)/2) (2/(√λ t))^{(r-1)/2} J_{(r-1)/2}(√λ t), i.e. 2 J₁(√λ t)/(√λ t) x₀
  for r = 3 (SBC §3.2; ``jaxdyn.analysis.acceleration.sbc_quadratic_solution``).
* :class:`SlowFastMomentum`, ẋ = v, ε v̇ = -(v + k ∇f(x)) - η ε k ∇²f(x) v: the momentum
  method as a singularly perturbed (slow-fast) system, the geometric-singular-perturbation
  view of paper 17 (see the class docstring).

Every state stacks position and velocity as rows, ``y = [x, ẋ]`` of shape (2, d)
(:class:`GradientFlow`: x alone, shape (d,)). The default start is x* + 1 at rest.
"""

from __future__ import annotations

from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float, PRNGKeyArray

from ..core import AbstractODE
from .objectives import conditioned_quadratic
from .redundancy import AbstractObjective


def hessian_vector(objective: AbstractObjective, x: Array, v: Array) -> Array:
    """∇²f(x) v by forward-over-reverse differentiation of the gradient (no Hessian formed)."""
    return jax.jvp(objective.grad, (x,), (v,))[1]


def _start(objective: AbstractObjective, x0: ArrayLike | None) -> Array:
    if x0 is None:
        return objective.x_star + 1.0
    x0 = jnp.asarray(x0, dtype=float)
    if x0.shape != objective.x_star.shape:
        raise ValueError(
            f"x0 must have the objective's shape {objective.x_star.shape}, got {x0.shape}"
        )
    return x0


def _mu(objective: AbstractObjective, mu: ArrayLike | None) -> Array:
    """μ defaults to the objective's strong convexity constant m."""
    return jnp.asarray(objective.curvature_bounds()[0] if mu is None else mu, dtype=float)


class AbstractOptimizerFlow(AbstractODE):
    """An ODE whose trajectory minimises ``objective`` (fields ``objective`` and ``x0``)."""

    objective: eqx.AbstractVar[AbstractObjective]
    x0: eqx.AbstractVar[Float[Array, " d"]]

    paper: ClassVar[str] = "17"
    default_dt: ClassVar[float] = 1e-2
    t_char: ClassVar[float] = 5.0

    def position(self, y: Array) -> Array:
        """The iterate x of a state."""
        return y[0] if y.ndim == 2 else y

    def suboptimality(self, t, y) -> Array:
        """f(x) - f* (an observable for ``simulate``)."""
        return self.objective.value(self.position(y)) - self.objective.value(self.objective.x_star)


class GradientFlow(AbstractOptimizerFlow):
    """ẋ = -∇f(x) - (s/2) ∇²f(x) ∇f(x): gradient flow (s = 0) or GD's modified equation."""

    s: Float[Array, ""]
    objective: AbstractObjective
    x0: Float[Array, " d"]

    name: ClassVar[str] = "gradient_flow"
    reference: ClassVar[str] = (
        "gradient flow; modified equation of gradient descent (backward error analysis: "
        "E. Hairer, C. Lubich and G. Wanner, Geometric Numerical Integration, ch. IX)"
    )
    param_ranges: ClassVar[dict[str, tuple[float, float]]] = {"s": (0.0, 1e3)}

    def __init__(self, s=0.0, objective: AbstractObjective | None = None, x0=None):
        self.objective = conditioned_quadratic(10.0) if objective is None else objective
        self.s = jnp.asarray(s, dtype=float)
        self.x0 = _start(self.objective, x0)

    def drift(self, t, y, args=None):
        g = self.objective.grad(y)
        return -g - 0.5 * self.s * hessian_vector(self.objective, y, g)

    def initial_state(self, key: PRNGKeyArray | None = None) -> Array:
        return self.x0


class HeavyBallFlow(AbstractOptimizerFlow):
    """ẍ + 2√μ ẋ + (1 + √(μ s)) ∇f(x) = 0 (Polyak's heavy ball; high-resolution for s > 0)."""

    mu: Float[Array, ""]
    s: Float[Array, ""]
    objective: AbstractObjective
    x0: Float[Array, " d"]

    name: ClassVar[str] = "heavy_ball_flow"
    reference: ClassVar[str] = (
        "B. T. Polyak, USSR Comput. Math. Math. Phys. 4, 1 (1964); high-resolution ODE of "
        "Shi, Du, Jordan & Su, Math. Program. 195, 79 (2022), eq. (1.11)"
    )
    param_ranges: ClassVar[dict[str, tuple[float, float]]] = {
        "mu": (0.0, 1e6),
        "s": (0.0, 1e3),
    }

    def __init__(self, mu=None, s=0.0, objective: AbstractObjective | None = None, x0=None):
        self.objective = conditioned_quadratic(10.0) if objective is None else objective
        self.mu = _mu(self.objective, mu)
        self.s = jnp.asarray(s, dtype=float)
        self.x0 = _start(self.objective, x0)

    def drift(self, t, y, args=None):
        x, v = y[0], y[1]
        g = self.objective.grad(x)
        acc = -2.0 * jnp.sqrt(self.mu) * v - (1.0 + jnp.sqrt(self.mu) * jnp.sqrt(self.s)) * g
        return jnp.stack([v, acc])

    def initial_state(self, key: PRNGKeyArray | None = None) -> Array:
        return jnp.stack([self.x0, jnp.zeros_like(self.x0)])


class NesterovSCFlow(AbstractOptimizerFlow):
    """ẍ + 2√μ ẋ + √s ∇²f(x) ẋ + (1 + √(μ s)) ∇f(x) = 0 (NAG-SC, Shi et al. eq. (1.10))."""

    mu: Float[Array, ""]
    s: Float[Array, ""]
    objective: AbstractObjective
    x0: Float[Array, " d"]

    name: ClassVar[str] = "nesterov_sc_flow"
    reference: ClassVar[str] = (
        "Y. Nesterov, Introductory Lectures on Convex Optimization (2004), scheme 2.2.19; "
        "high-resolution ODE of Shi, Du, Jordan & Su, Math. Program. 195, 79 (2022), eq. (1.10)"
    )
    param_ranges: ClassVar[dict[str, tuple[float, float]]] = {
        "mu": (0.0, 1e6),
        "s": (0.0, 1e3),
    }

    def __init__(self, mu=None, s=0.0, objective: AbstractObjective | None = None, x0=None):
        self.objective = conditioned_quadratic(10.0) if objective is None else objective
        self.mu = _mu(self.objective, mu)
        self.s = jnp.asarray(s, dtype=float)
        self.x0 = _start(self.objective, x0)

    def drift(self, t, y, args=None):
        x, v = y[0], y[1]
        g = self.objective.grad(x)
        hv = hessian_vector(self.objective, x, v)
        acc = (
            -2.0 * jnp.sqrt(self.mu) * v
            - jnp.sqrt(self.s) * hv
            - (1.0 + jnp.sqrt(self.mu) * jnp.sqrt(self.s)) * g
        )
        return jnp.stack([v, acc])

    def initial_state(self, key: PRNGKeyArray | None = None) -> Array:
        return jnp.stack([self.x0, jnp.zeros_like(self.x0)])


class NesterovFlow(AbstractOptimizerFlow):
    """ẍ + (r/t) ẋ + √s ∇²f(x) ẋ + (1 + r√s/(2t)) ∇f(x) = 0 from t = 0 (SBC for s = 0).

    The ODE is singular at t = 0: its only solution that stays regular there starts with
    ẋ(0) = -(√s/2) ∇f(x₀) (0 for the Su-Boyd-Candès ODE), which is the default initial
    state (a custom ``y0`` must use it too). At t = 0 the drift is the limit
    ẍ(0) = -[(r+2)(√s/2) ∇²f ẋ(0) + ∇f(x₀)] / (1 + r). (Shi et al. start the
    high-resolution ODE at t = 3√s/2 instead; both are O(√s)-close to NAG-C.)
    """

    r: Float[Array, ""]
    s: Float[Array, ""]
    objective: AbstractObjective
    x0: Float[Array, " d"]

    name: ClassVar[str] = "nesterov_flow"
    reference: ClassVar[str] = (
        "W. Su, S. Boyd and E. J. Candès, JMLR 17(153) (2016), eq. (3); high-resolution "
        "NAG-C ODE of Shi, Du, Jordan & Su, Math. Program. 195, 79 (2022), eq. (1.12)"
    )
    param_ranges: ClassVar[dict[str, tuple[float, float]]] = {
        "r": (0.0, 1e3),
        "s": (0.0, 1e3),
    }
    t_char: ClassVar[float] = 10.0

    def __init__(self, r=3.0, s=0.0, objective: AbstractObjective | None = None, x0=None):
        self.objective = conditioned_quadratic(10.0) if objective is None else objective
        self.r = jnp.asarray(r, dtype=float)
        self.s = jnp.asarray(s, dtype=float)
        self.x0 = _start(self.objective, x0)

    def drift(self, t, y, args=None):
        x, v = y[0], y[1]
        g = self.objective.grad(x)
        hv = hessian_vector(self.objective, x, v)
        rs = jnp.sqrt(self.s)
        positive = t > 0
        ts = jnp.where(positive, t, 1.0)  # keeps the unselected branch finite (and its gradient)
        regular = -(self.r / ts) * (v + 0.5 * rs * g) - rs * hv - g
        at_zero = -(0.5 * (self.r + 2.0) * rs * hv + g) / (1.0 + self.r)
        return jnp.stack([v, jnp.where(positive, regular, at_zero)])

    def initial_state(self, key: PRNGKeyArray | None = None) -> Array:
        return jnp.stack([self.x0, -0.5 * jnp.sqrt(self.s) * self.objective.grad(self.x0)])


class SlowFastMomentum(AbstractOptimizerFlow):
    """ẋ = v,  ε v̇ = -(v + k ∇f(x)) - η ε k ∇²f(x) v: momentum as a slow-fast system.

    Paper 17 builds accelerated methods from a target *slow manifold* (passivity and
    immersion) and reads them through geometric singular perturbation theory
    (N. Fenichel, J. Differ. Equ. 31, 53 (1979)). This system is that construction for a
    velocity that should follow the gradient: the off-manifold coordinate
    z = v + k ∇f(x) obeys

        ε ż = -z + (1 - η) ε k ∇²f(x) v,

    so as ε -> 0 the fast variable v collapses onto the critical manifold
    M₀ = {v = -k ∇f(x)} in a boundary layer of width ε, and the slow flow on it is the
    gradient flow ẋ = -k ∇f(x). With the Hessian-damping (Nesterov's gradient-correction)
    term, η = 1, M₀ is exactly invariant for every ε (the immersion) and the reduced flow
    is exact; without it, η = 0 (the heavy-ball form ε ẍ + ẋ + k ∇f = 0), M₀ is only
    approximately invariant and the trajectory follows Fenichel's slow manifold

        M_ε = {v = -k ∇f(x) - (1 - η) ε k² ∇²f(x) ∇f(x) + O(ε²)},

    on which ẋ = -k ∇f - (1 - η) ε k² ∇²f ∇f (:meth:`reduced_drift`). A trajectory from
    (x₀, v₀) tracks the reduced flow from the base point of its fibre,
    x₀ + ε (v₀ + k ∇f(x₀)) + O(ε²) (:meth:`fibre_base_point`). In time units of the slow
    flow, the heavy-ball ODE ẍ + γ ẋ + ∇f = 0 is this system with ε = 1/γ², k = 1, η = 0;
    Nesterov's high-resolution ODE has η ≠ 0.
    """

    eps: Float[Array, ""]
    k: Float[Array, ""]
    eta: Float[Array, ""]
    objective: AbstractObjective
    x0: Float[Array, " d"]
    v0: Float[Array, " d"]

    name: ClassVar[str] = "slow_fast_momentum"
    reference: ClassVar[str] = (
        "paper 17 (acceleration via passivity and immersion and geometric singular "
        "perturbation); N. Fenichel, J. Differ. Equ. 31, 53 (1979)"
    )
    param_ranges: ClassVar[dict[str, tuple[float, float]]] = {
        "eps": (1e-9, 1e6),
        "k": (0.0, 1e6),
        "eta": (0.0, 1.0),
    }
    default_dt: ClassVar[float] = 1e-3

    def __init__(
        self,
        eps=0.05,
        k=1.0,
        eta=1.0,
        objective: AbstractObjective | None = None,
        x0=None,
        v0=None,
    ):
        self.objective = conditioned_quadratic(10.0) if objective is None else objective
        self.eps = jnp.asarray(eps, dtype=float)
        self.k = jnp.asarray(k, dtype=float)
        self.eta = jnp.asarray(eta, dtype=float)
        self.x0 = _start(self.objective, x0)
        self.v0 = jnp.zeros_like(self.x0) if v0 is None else jnp.asarray(v0, dtype=float)
        if self.v0.shape != self.x0.shape:
            raise ValueError(f"v0 must have the shape of x0 {self.x0.shape}, got {self.v0.shape}")

    def drift(self, t, y, args=None):
        x, v = y[0], y[1]
        g = self.objective.grad(x)
        hv = hessian_vector(self.objective, x, v)
        return jnp.stack([v, -(v + self.k * g) / self.eps - self.eta * self.k * hv])

    def initial_state(self, key: PRNGKeyArray | None = None) -> Array:
        return jnp.stack([self.x0, self.v0])

    def critical_manifold(self, x: Array) -> Array:
        """h₀(x) = -k ∇f(x): the velocity on M₀."""
        return -self.k * self.objective.grad(x)

    def slow_manifold(self, x: Array) -> Array:
        """h_ε(x) = -k ∇f - (1 - η) ε k² ∇²f ∇f: the velocity on M_ε to first order in ε."""
        g = self.objective.grad(x)
        return -self.k * g - (1.0 - self.eta) * self.eps * self.k**2 * hessian_vector(
            self.objective, x, g
        )

    def reduced_drift(self, t, x: Array, args=None) -> Array:
        """The slow flow ẋ = h_ε(x) on the slow manifold."""
        return self.slow_manifold(x)

    def fibre_base_point(self) -> Array:
        """x₀ + ε (v₀ + k ∇f(x₀)): where the reduced flow the trajectory shadows starts."""
        return self.x0 + self.eps * (self.v0 + self.k * self.objective.grad(self.x0))

    def distance_to_manifold(self, t, y, order: int = 0) -> Array:
        """|v - h(x)| for the critical (``order=0``) or first-order slow manifold (1)."""
        h = self.critical_manifold(y[0]) if order == 0 else self.slow_manifold(y[0])
        return jnp.linalg.norm(y[1] - h)


__all__ = [
    "AbstractOptimizerFlow",
    "GradientFlow",
    "HeavyBallFlow",
    "NesterovFlow",
    "NesterovSCFlow",
    "SlowFastMomentum",
    "hessian_vector",
]
