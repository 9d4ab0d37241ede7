"""Synchronization and redundancy: a network of noisy gradient learners (paper 13).

n redundant copies of a noisy gradient dynamics in R^d, coupled diffusively over a graph,

    dx_i = [-∇f(x_i) + k Σ_j A_ij (x_j - x_i)] dt + σ dW_i,    i = 1..n,

or, stacking the nodes as the rows of X ∈ R^{n×d} and with L = D - A the graph Laplacian,

    dX = [-∇F(X) - k L X] dt + σ dW.

This is the setting of J. Bouvrie and J.-J. Slotine, "Synchronization and redundancy:
implications for robustness of neural learning and decision making", Neural Computation
23(11), 2915-2941 (2011), arXiv:1010.4517: each x_i is one (noisy, imperfect) neural
system learning the minimiser x* of a loss f by gradient descent; the noise models
biological error; the coupling k L synchronises the copies. The paper bounds the error of
the network's centre of mass x̄ = (1/n) Σ x_i and the spread of the nodes about it by
stochastic contraction (Q.-C. Pham, N. Tabareau and J.-J. Slotine, IEEE TAC 54, 816
(2009)), with the coupling entering through the Laplacian spectrum. Formulation chosen
here: isotropic additive noise σ dW_i (the paper allows a general bounded noise matrix,
which enters only through its trace), unweighted or weighted undirected graphs.

Exact theory for a quadratic loss f(x) = ½ (x - x*)ᵀ H (x - x*) (``Quadratic``). With the
error E = X - 1 x*ᵀ, dE = -(E H + k L E) dt + σ dW. In the product basis v_m ⊗ u_a of
the Laplacian eigenvectors (L v_m = λ_m v_m, orthonormal) and Hessian eigenvectors
(H u_a = h_a u_a), every mode is an independent Ornstein-Uhlenbeck process of rate
h_a + k λ_m and stationary variance σ² / (2 (h_a + k λ_m)). Hence, at stationarity,

    E|x̄ - x*|²              = (σ²/n) Σ_a 1/(2 h_a)                 (= d σ²/(2 h n) for H = h I)
    E|x_i - x*|²            = σ² Σ_m v_m(i)² Σ_a 1/(2 (h_a + k λ_m))
    E (1/n) Σ_i |x_i - x̄|² = (σ²/n) Σ_{m≥1} Σ_a 1/(2 (h_a + k λ_m)).

The mean is untouched by the coupling and has its noise cut by 1/n (redundancy); the
coupling shrinks only the disagreement modes, so as k → ∞ every node's error tends to the
mean's d σ²/(2 h n) and the spread vanishes like 1/(k λ_1) (λ_1: algebraic connectivity).
Note the per-node formula has no 1/n in front with normalised eigenvectors (at k = 0 each
node is an independent OU process with error d σ²/(2h)); its average over the nodes is
(σ²/n) Σ_m Σ_a 1/(2 (h_a + k λ_m)). Euler-Maruyama with step Δt replaces each mode's
variance by σ² / (a (2 - a Δt)), a = h_a + k λ_m (exact for the discrete chain; Heun's
trapezoidal step has a bias of only -(a Δt)²/4), which ``quadratic_theory(..., dt=Δt,
scheme=...)`` returns so that simulations can be compared to the theory without
discretisation bias.

Bounds for a non-quadratic loss with m I ≤ ∇²f ≤ M I and ρ-Lipschitz Hessian
(``contraction_bounds``; derived here in the paper's contraction style). Let
S = Σ_i |x_i - x̄|², D = d (n - 1), μ = m + k λ_1. Itô's formula on S, with
Σ_i (x_i - x̄)ᵀ ∇f(x_i) = Σ_i (x_i - x̄)ᵀ (∇f(x_i) - ∇f(x̄)) ≥ m S (the x_i - x̄ sum to 0)
and the Laplacian quadratic form ≥ λ_1 S on the disagreement subspace, gives at
stationarity

    E S ≤ σ² D / (2 μ),     E S² ≤ σ² (D + 2) E S / (2 μ),
    E S ≥ σ² D / (2 (M + k λ_max)).

The centre of mass obeys dx̄ = -[∇f(x̄) + r] dt + (σ/√n) dW̄ with
r = (1/n) Σ_i (∇f(x_i) - ∇f(x̄)); the first-order terms cancel, so |r| ≤ ρ S / (2n), and
also |r| ≤ M (S/n)^{1/2}. With β = E|r|² ≤ min(M² E S / n, ρ² E S² / (4 n²)) and
α = d σ² / n, Itô on |x̄ - x*|² and Cauchy-Schwarz give (e = x̄ - x*)

    E|e|² ≤ [(√β + √(β + 2 m α)) / (2m)]²,   E|e|² ≥ [max(0, √(β + 2 M α) - √β) / (2M)]².

For H = h I both reduce to the exact d σ²/(2 h n); as k λ_1 → ∞, β → 0 and the upper
bound tends to d σ²/(2 m n): synchronisation recovers the full 1/n benefit of redundancy.
"""

from __future__ import annotations

import abc
from functools import partial
from typing import ClassVar, Literal

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float, PRNGKeyArray

from ..analysis.graphs import check_laplacian, laplacian_spectrum, ring_laplacian
from ..core import AbstractSDE, check_int

#: max |σ''(t)| of the logistic sigmoid σ(t) = 1/(1 + e^{-t}), attained at σ = 1/2 ± 1/(2√3)
_SIGMOID_DD_MAX = 1.0 / (6.0 * np.sqrt(3.0))


def _is_concrete(x) -> bool:
    return not isinstance(x, jax.core.Tracer)


class AbstractObjective(eqx.Module):
    """A strongly convex loss f: R^d -> R with its minimiser ``x_star`` and curvature bounds."""

    x_star: eqx.AbstractVar[Float[Array, " d"]]

    @abc.abstractmethod
    def value(self, x: Float[Array, " d"]) -> Array:
        """f(x)."""

    def grad(self, x: Float[Array, " d"]) -> Float[Array, " d"]:
        return jax.grad(self.value)(x)

    @abc.abstractmethod
    def curvature_bounds(self) -> tuple[Array, Array]:
        """(m, M) with m I ≤ ∇²f(x) ≤ M I for every x."""

    @abc.abstractmethod
    def hessian_lipschitz(self) -> Array:
        """ρ with ‖∇²f(x) - ∇²f(y)‖ ≤ ρ |x - y| (operator norm)."""

    @property
    def dim(self) -> int:
        return int(self.x_star.shape[-1])


class Quadratic(AbstractObjective):
    """f(x) = ½ (x - x*)ᵀ H (x - x*), H symmetric positive definite (a scalar h means h I)."""

    x_star: Float[Array, " d"]
    hessian: Float[Array, "d d"]

    def __init__(self, x_star: ArrayLike, hessian: ArrayLike = 1.0):
        x_star = jnp.atleast_1d(jnp.asarray(x_star, dtype=float))
        if x_star.ndim != 1:
            raise ValueError(f"x_star must be a vector, got shape {x_star.shape}")
        h = jnp.asarray(hessian, dtype=float)
        if h.ndim == 0:
            h = h * jnp.eye(x_star.shape[0])
        if h.shape != (x_star.shape[0],) * 2:
            raise ValueError(
                f"hessian must be a scalar or a ({x_star.shape[0]}, {x_star.shape[0]}) matrix, "
                f"got shape {h.shape}"
            )
        if _is_concrete(h):
            hn = np.asarray(h)
            if not np.all(np.isfinite(hn)) or not np.allclose(hn, hn.T):
                raise ValueError("hessian must be a finite symmetric matrix")
            if np.linalg.eigvalsh(hn).min() <= 0:
                raise ValueError(
                    "hessian must be positive definite (eigenvalues in (0, inf)), got min "
                    f"eigenvalue {np.linalg.eigvalsh(hn).min():.3g}"
                )
        self.x_star = x_star
        self.hessian = h

    def value(self, x):
        e = x - self.x_star
        return 0.5 * e @ self.hessian @ e

    def grad(self, x):
        return self.hessian @ (x - self.x_star)

    def curvature_bounds(self):
        ev = jnp.linalg.eigvalsh(self.hessian)
        return ev[0], ev[-1]

    def hessian_lipschitz(self):
        return jnp.zeros(())


class LogisticRegression(AbstractObjective):
    """L2-regularised logistic loss, the paper's "learning a decision function":

        f(w) = (1/N) Σ_j log(1 + exp(-y_j w·z_j)) + (reg/2) |w|²,   y_j = ±1.

    Strongly convex with m = reg, smooth with M = reg + λ_max(Zᵀ Z / N)/4 (σ' ≤ 1/4), Hessian
    Lipschitz with ρ = max|σ''| · mean_j |z_j|³. The minimiser is found on construction by
    Newton's method.
    """

    features: Float[Array, "N d"]
    labels: Float[Array, " N"]
    reg: Float[Array, ""]
    x_star: Float[Array, " d"]

    def __init__(self, features: ArrayLike, labels: ArrayLike, reg: float = 1.0):
        z = jnp.asarray(features, dtype=float)
        y = jnp.asarray(labels, dtype=float)
        if z.ndim != 2 or y.shape != (z.shape[0],):
            raise ValueError(
                f"features must be (N, d) and labels (N,), got {z.shape} and {y.shape}"
            )
        if _is_concrete(y) and not np.all(np.isin(np.asarray(y), (-1.0, 1.0))):
            raise ValueError("labels must be ±1")
        if _is_concrete(reg) and not float(reg) > 0:
            raise ValueError(f"reg must be positive (strong convexity), got {reg}")
        self.features = z
        self.labels = y
        self.reg = jnp.asarray(reg, dtype=float)
        self.x_star = _logistic_newton(z, y, self.reg)

    def value(self, x):
        margins = self.labels * (self.features @ x)
        return jnp.mean(jax.nn.softplus(-margins)) + 0.5 * self.reg * x @ x

    def grad(self, x):
        return _logistic_grad(self.features, self.labels, self.reg, x)

    def hessian(self, x):
        return _logistic_hessian(self.features, self.labels, self.reg, x)

    def curvature_bounds(self):
        gram = self.features.T @ self.features / self.features.shape[0]
        return self.reg, self.reg + 0.25 * jnp.linalg.eigvalsh(gram)[-1]

    def hessian_lipschitz(self):
        norms = jnp.linalg.norm(self.features, axis=1)
        return _SIGMOID_DD_MAX * jnp.mean(norms**3)


def _logistic_grad(z, y, reg, w):
    weights = -y * jax.nn.sigmoid(-y * (z @ w))
    return z.T @ weights / z.shape[0] + reg * w


def _logistic_hessian(z, y, reg, w):
    s = jax.nn.sigmoid(y * (z @ w))
    c = s * (1 - s) / z.shape[0]
    return (z.T * c[None, :]) @ z + reg * jnp.eye(w.shape[0])


@jax.jit
def _logistic_newton(z, y, reg):
    def step(_, w):
        return w - jnp.linalg.solve(_logistic_hessian(z, y, reg, w), _logistic_grad(z, y, reg, w))

    # strongly convex and smooth: Newton from 0 converges in a handful of steps
    return jax.lax.fori_loop(0, 30, step, jnp.zeros(z.shape[1], dtype=z.dtype))


def logistic_data(
    key: PRNGKeyArray, n_samples: int = 64, dim: int = 2, *, scale: float = 1.0, flip: float = 0.1
) -> tuple[Array, Array]:
    """A synthetic classification set: z ~ N(0, scale² I), y = sign(w_true·z), a fraction
    ``flip`` of labels flipped (so the data are not separable)."""
    n_samples = check_int("n_samples", n_samples, 1)
    dim = check_int("dim", dim, 1)
    return _logistic_data(key, n_samples, dim, jnp.asarray(scale, float), jnp.asarray(flip, float))


@partial(jax.jit, static_argnums=(1, 2))
def _logistic_data(key, n_samples, dim, scale, flip):
    kz, kw, kf = jax.random.split(key, 3)
    z = scale * jax.random.normal(kz, (n_samples, dim))
    w_true = jax.random.normal(kw, (dim,))
    y = jnp.sign(z @ w_true)
    y = jnp.where(y == 0, 1.0, y)
    y = jnp.where(jax.random.bernoulli(kf, flip, (n_samples,)), -y, y)
    return z, y


class RedundantGradientNetwork(AbstractSDE):
    """dX = [-∇F(X) - k L X] dt + σ dW: n noisy gradient learners coupled over a graph.

    Fields:
        k: coupling strength (≥ 0).
        sigma: noise amplitude per node and coordinate (≥ 0).
        laplacian: the (n, n) graph Laplacian L = D - A (a non-swept array field, validated:
            symmetric, off-diagonal ≤ 0, rows summing to 0).
        objective: the loss f (``Quadratic`` or ``LogisticRegression``, or any
            ``AbstractObjective``), whose array fields are its parameters.

    The state is X of shape (n, d), node i in row i. The default initial state puts every
    node at the optimum x*, so the transient is only the build-up of the fluctuations.
    Defaults: a ring of 8 nodes learning the quadratic f(x) = ½|x|² in d = 2.
    """

    k: Float[Array, ""]
    sigma: Float[Array, ""]
    laplacian: Float[Array, "n n"]
    objective: AbstractObjective

    name: ClassVar[str] = "redundancy"
    reference: ClassVar[str] = (
        "J. Bouvrie and J.-J. Slotine, 'Synchronization and redundancy: implications for "
        "robustness of neural learning and decision making', Neural Comput. 23, 2915 (2011)"
    )
    noise: ClassVar[Literal["additive"]] = "additive"
    param_ranges: ClassVar[dict[str, tuple[float, float]]] = {
        "k": (0.0, 1e6),
        "sigma": (0.0, 1e6),
    }
    paper: ClassVar[str] = "13"
    default_dt: ClassVar[float] = 1e-2
    #: the relaxation time 1/h of the default quadratic loss
    t_char: ClassVar[float] = 1.0

    def __init__(
        self,
        laplacian: ArrayLike | None = None,
        objective: AbstractObjective | None = None,
        k=1.0,
        sigma=0.1,
    ):
        laplacian = ring_laplacian(8) if laplacian is None else laplacian
        objective = Quadratic(jnp.zeros(2)) if objective is None else objective
        if not isinstance(objective, AbstractObjective):
            raise TypeError(
                f"objective must be an AbstractObjective, got {type(objective).__name__}"
            )
        self.laplacian = jnp.asarray(laplacian, dtype=float)
        self.objective = objective
        self.k = jnp.asarray(k, dtype=float)
        self.sigma = jnp.asarray(sigma, dtype=float)

    def validate(self) -> None:
        super().validate()
        if _is_concrete(self.laplacian):
            check_laplacian(self.laplacian, "laplacian")

    @property
    def n(self) -> int:
        return int(self.laplacian.shape[-1])

    @property
    def d(self) -> int:
        return self.objective.dim

    def drift(self, t, y, args=None):
        return -jax.vmap(self.objective.grad)(y) - self.k * (self.laplacian @ y)

    def diffusion(self, t, y, args=None):
        return jnp.broadcast_to(self.sigma, y.shape)

    def initial_state(self, key: PRNGKeyArray | None = None):
        return jnp.broadcast_to(self.objective.x_star, (self.n, self.d))

    def theory(self, dt: float | None = None, scheme: str = "euler") -> dict[str, Array]:
        """Exact stationary errors for a ``Quadratic`` objective (see :func:`quadratic_theory`)."""
        if not isinstance(self.objective, Quadratic):
            raise TypeError(
                "exact theory needs a Quadratic objective; use contraction_bounds otherwise"
            )
        return quadratic_theory(
            self.laplacian, self.objective.hessian, self.k, self.sigma, dt=dt, scheme=scheme
        )

    def bounds(self) -> dict[str, Array]:
        """Contraction bounds on the stationary errors (see :func:`contraction_bounds`)."""
        return contraction_bounds(self)


def errors(X: Float[Array, "n d"], x_star: Float[Array, " d"]) -> dict[str, Array]:
    """Instantaneous observables: |x̄ - x*|², |x_i - x*|² per node, (1/n) Σ |x_i - x̄|²."""
    xbar = jnp.mean(X, axis=0)
    return {
        "mean_err": jnp.sum((xbar - x_star) ** 2),
        "node_err": jnp.sum((X - x_star[None, :]) ** 2, axis=-1),
        "spread": jnp.mean(jnp.sum((X - xbar[None, :]) ** 2, axis=-1)),
    }


SCHEMES = ("euler", "heun")


def _mode_variance(rate: Array, sigma: Array, dt: float | None, scheme: str) -> Array:
    """Stationary variance of dz = -a z dt + σ dW, or of its fixed-step chain.

    A linear one-step scheme gives z' = R(x) z + c(x) σ ΔW with x = a Δt, so
    Var = σ² Δt c² / (1 - R²): Euler-Maruyama R = 1 - x, c = 1 (Var = σ²/(a (2 - x)),
    biased by O(x)); Heun (trapezoidal predictor-corrector, which diffrax's ``Heun`` is
    for additive noise) R = 1 - x + x²/2, c = 1 - x/2 (biased by only -x²/4 + O(x³)).
    """
    if dt is None:
        return sigma**2 / (2.0 * rate)
    x = rate * dt
    if scheme == "euler":
        r, c = 1.0 - x, jnp.ones_like(x)
    elif scheme == "heun":
        r, c = 1.0 - x + 0.5 * x**2, 1.0 - 0.5 * x
    else:
        raise ValueError(f"scheme must be one of {SCHEMES}, got {scheme!r}")
    stable = jnp.abs(r) < 1.0
    return jnp.where(stable, sigma**2 * dt * c**2 / jnp.where(stable, 1.0 - r**2, 1.0), jnp.inf)


def quadratic_theory(
    laplacian: ArrayLike,
    hessian: ArrayLike,
    k: ArrayLike,
    sigma: ArrayLike,
    *,
    dt: float | None = None,
    scheme: str = "euler",
) -> dict[str, Array]:
    """Exact stationary errors of the coupled network with a quadratic loss.

    Args:
        laplacian: (n, n) graph Laplacian.
        hessian: (d, d) SPD Hessian H of f.
        k, sigma: coupling strength and noise amplitude (scalars).
        dt: if given, the exact stationary values of the discrete chain of ``scheme``
            ("euler": Euler-Maruyama, "heun": diffrax's Heun) with step dt, instead of the
            continuous-time SDE.

    Returns:
        dict with ``mean`` = E|x̄ - x*|², ``node`` = E|x_i - x*|² (shape (n,)),
        ``node_avg`` = its average over nodes, ``spread`` = E (1/n) Σ_i |x_i - x̄|².
    """
    lam, vec = laplacian_spectrum(laplacian)
    h = jnp.linalg.eigvalsh(jnp.asarray(hessian, dtype=float))
    n = lam.shape[0]
    var = _mode_variance(
        h[None, :] + k * lam[:, None], sigma, dt, scheme
    )  # (modes m, directions a)
    per_mode = jnp.sum(var, axis=1)
    node = (vec**2) @ per_mode
    # x̄ - x* = (1/n) Σ_m (1·v_m) ê_m: only the consensus mode(s) reach the mean (for a
    # connected graph v_0 = 1/√n, giving per_mode[0] / n); written generally so that a
    # disconnected graph's degenerate null space is handled whatever basis eigh returns.
    mean = jnp.sum(jnp.sum(vec, axis=0) ** 2 * per_mode) / n**2
    node_avg = jnp.mean(node)
    return {"mean": mean, "node": node, "node_avg": node_avg, "spread": node_avg - mean}


def contraction_bounds(system: RedundantGradientNetwork) -> dict[str, Array]:
    """Stationary bounds for any strongly convex loss (derivation in the module docstring).

    Returns ``mean_upper``/``mean_lower`` on E|x̄ - x*|², ``spread_upper``/``spread_lower``
    on E (1/n) Σ |x_i - x̄|², ``node_avg_upper`` on E (1/n) Σ |x_i - x*|² (= mean + spread),
    and the ingredients ``m, M, rho, lambda_1, lambda_max``.
    """
    lam, _ = laplacian_spectrum(system.laplacian)
    n, d = system.n, system.d
    m, big_m = system.objective.curvature_bounds()
    rho = system.objective.hessian_lipschitz()
    k, sigma = system.k, system.sigma
    dim_spread = d * (n - 1)
    mu = m + k * lam[1]
    s_up = sigma**2 * dim_spread / (2 * mu)  # E S, S = Σ_i |x_i - x̄|²
    s2_up = sigma**2 * (dim_spread + 2) * s_up / (2 * mu)  # E S²
    s_low = sigma**2 * dim_spread / (2 * (big_m + k * lam[-1]))
    beta = jnp.minimum(big_m**2 * s_up / n, rho**2 * s2_up / (4 * n**2))
    alpha = d * sigma**2 / n
    mean_up = ((jnp.sqrt(beta) + jnp.sqrt(beta + 2 * m * alpha)) / (2 * m)) ** 2
    mean_low = (
        jnp.maximum(0.0, jnp.sqrt(beta + 2 * big_m * alpha) - jnp.sqrt(beta)) / (2 * big_m)
    ) ** 2
    return {
        "mean_upper": mean_up,
        "mean_lower": mean_low,
        "spread_upper": s_up / n,
        "spread_lower": s_low / n,
        "node_avg_upper": mean_up + s_up / n,
        "m": m,
        "M": big_m,
        "rho": rho,
        "lambda_1": lam[1],
        "lambda_max": lam[-1],
    }


__all__ = [
    "AbstractObjective",
    "LogisticRegression",
    "Quadratic",
    "RedundantGradientNetwork",
    "contraction_bounds",
    "errors",
    "logistic_data",
    "quadratic_theory",
]
