"""Bandit learners for choosing a solver parameter from a grid, online.

At round t the learner sees (optionally) a context c_t, draws an arm a_t (an index into a
grid of ω values) from its distribution p_t, and observes only the loss ℓ_t(a_t) ∈ [0, 1]
(here the SOR iteration count divided by ``max_iter``). Every learner is an equinox Module
holding its hyper-parameters, with pure methods on an explicit state pytree, so that the
online loop :func:`run_online` is one ``lax.scan`` and independent seeds are ``vmap``-ed:

* ``init() -> state``
* ``probs(state, context) -> p``  (a distribution over the K arms)
* ``update(state, arm, p, loss, context) -> state``

Learners:

* :class:`TsallisINF`: follow-the-regularised-leader with the 1/2-Tsallis entropy
  Ψ_t(w) = -Σ_i (4 sqrt(w_i) - 2 w_i) / η_t, η_t = η0 / sqrt(t) (η0 = 2), on
  importance-weighted loss estimates ℓ̂_{t,i} = ℓ_t 1[a_t = i] / p_{t,i}
  (Zimmert & Seldin, "Tsallis-INF: An optimal algorithm for stochastic and adversarial
  bandits", JMLR 22 (2021), Alg. 1 and Thm 1: regret ≤ 4 sqrt(KT) + 1 adversarially,
  O(Σ log T / Δ_i) stochastically). The weights are w_i = 4 / (η_t (L̂_i - x))², with the
  normaliser x found by Newton's method. This is the learner of Khodak et al. (2024).
* :class:`Exp3`: exponential weights on the same estimates,
  η_t = eta_scale sqrt(2 ln K / (K t)) (eta_scale = 1)
  (Auer, Cesa-Bianchi, Freund & Schapire, SIAM J. Comput. 32 (2002); the anytime loss
  form of Lattimore & Szepesvári, "Bandit Algorithms" (2020), ch. 11).
* :class:`ChebCB`: a contextual bandit in the spirit of Khodak et al.'s ChebCB: SquareCB's
  inverse-gap weighting (Foster & Rakhlin, ICML 2020) on top of an online regression
  oracle that, per arm, fits the loss as a polynomial in the context (Chebyshev basis
  T_0..T_d of the context mapped to [-1, 1], ridge-regularised least squares updated in
  closed form). With ŷ the predictions and b = argmin ŷ:
  p_a = 1 / (K + γ_t (ŷ_a - ŷ_b)) for a ≠ b, p_b = 1 - Σ_{a≠b} p_a,  γ_t = γ0 sqrt(K t).
  Predictions start at 0 (below every loss), so untried arms look good: optimism adds
  exploration on top of the inverse-gap weighting.

The fixed comparators (Gauss-Seidel, best fixed ω in hindsight, instance-optimal oracle,
Young's ω*) need no learner: see :func:`regret_curves` and the experiment module.
"""

from __future__ import annotations

from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float, Int, PRNGKeyArray

from ..analysis.roughness import power_law_fit
from ..core import check_int

__all__ = [
    "AbstractLearner",
    "ChebCB",
    "Exp3",
    "IWState",
    "OnlineResult",
    "TsallisINF",
    "chebyshev_features",
    "regret_curves",
    "regret_exponent",
    "run_online",
]


class AbstractLearner(eqx.Module):
    """Interface of an online learner over ``n_arms`` arms; see the module docstring."""

    n_arms: eqx.AbstractVar[int]

    def init(self) -> Any:
        raise NotImplementedError

    def probs(self, state: Any, context: Array) -> Float[Array, " K"]:
        raise NotImplementedError

    def update(self, state: Any, arm: Array, p: Array, loss: Array, context: Array) -> Any:
        raise NotImplementedError


class IWState(eqx.Module):
    """State of the importance-weighted learners (Tsallis-INF, Exp3)."""

    cum_loss: Float[Array, " K"]  # cumulative importance-weighted loss estimates L̂
    t: Int[Array, ""]  # rounds played so far


def _iw_update(state: IWState, arm, p, loss) -> IWState:
    est = jnp.zeros_like(state.cum_loss).at[arm].set(loss / p[arm])
    return IWState(state.cum_loss + est, state.t + 1)


class TsallisINF(AbstractLearner):
    """Tsallis-INF with α = 1/2, η_t = eta0 / sqrt(t), importance-weighted estimates."""

    n_arms: int = eqx.field(static=True)
    eta0: float = eqx.field(static=True, default=2.0)
    newton_steps: int = eqx.field(static=True, default=30)

    def __check_init__(self):
        check_int("n_arms", self.n_arms, 2)
        if not self.eta0 > 0:
            raise ValueError(f"eta0 must be > 0, got {self.eta0}")

    def init(self) -> IWState:
        return IWState(jnp.zeros(self.n_arms), jnp.asarray(0))

    def probs(self, state: IWState, context: Array | None = None) -> Float[Array, " K"]:
        eta = self.eta0 / jnp.sqrt(state.t + 1.0)
        L = state.cum_loss - jnp.min(state.cum_loss)  # shift-invariant; keeps numbers small

        # Σ_i 4/(η(L_i - x))² is convex increasing in x < min L = 0. Starting at
        # x = -2/η (where the leader alone has weight 1, so the sum is ≥ 1), Newton's
        # iterates decrease monotonically to the root without overshooting.
        def newton(_, x):
            w = 4.0 / (eta * (L - x)) ** 2
            return x - (jnp.sum(w) - 1.0) / (eta * jnp.sum(w**1.5))

        x = jax.lax.fori_loop(0, self.newton_steps, newton, -2.0 / eta)
        w = 4.0 / (eta * (L - x)) ** 2
        return w / jnp.sum(w)

    def update(self, state, arm, p, loss, context=None) -> IWState:
        return _iw_update(state, arm, p, loss)


class Exp3(AbstractLearner):
    """Exp3 on losses, η_t = eta_scale sqrt(2 ln K / (K t)), importance-weighted estimates.

    ``eta_scale = 1`` is the worst-case rate for losses in [0, 1]; losses that use a small
    part of that range (iteration counts far below the cap) learn faster with a larger one.
    """

    n_arms: int = eqx.field(static=True)
    eta_scale: float = eqx.field(static=True, default=1.0)

    def __check_init__(self):
        check_int("n_arms", self.n_arms, 2)
        if not self.eta_scale > 0:
            raise ValueError(f"eta_scale must be > 0, got {self.eta_scale}")

    def init(self) -> IWState:
        return IWState(jnp.zeros(self.n_arms), jnp.asarray(0))

    def probs(self, state: IWState, context: Array | None = None) -> Float[Array, " K"]:
        eta = self.eta_scale * jnp.sqrt(2.0 * np.log(self.n_arms) / (self.n_arms * (state.t + 1.0)))
        return jax.nn.softmax(-eta * state.cum_loss)

    def update(self, state, arm, p, loss, context=None) -> IWState:
        return _iw_update(state, arm, p, loss)


def chebyshev_features(z: ArrayLike, degree: int) -> Float[Array, " degree+1"]:
    """T_0(z), ..., T_degree(z) by the three-term recurrence (z clipped to [-1, 1])."""
    z = jnp.clip(jnp.asarray(z, dtype=float), -1.0, 1.0)
    feats = [jnp.ones_like(z), z]
    for _ in range(degree - 1):
        feats.append(2.0 * z * feats[-1] - feats[-2])
    return jnp.stack(feats[: degree + 1], axis=-1)


class _CBState(eqx.Module):
    gram: Float[Array, "K d d"]  # λ I + Σ φ φᵀ per arm
    moment: Float[Array, "K d"]  # Σ y φ per arm
    t: Int[Array, ""]


class ChebCB(AbstractLearner):
    """SquareCB with per-arm Chebyshev ridge regression of the loss on the context.

    Args:
        n_arms: number of arms K.
        context_range: (lo, hi) of the context, mapped affinely onto [-1, 1].
        degree: Chebyshev degree d (d + 1 features per arm).
        gamma0: exploration scale; γ_t = gamma0 sqrt(K t).
        ridge: ridge parameter λ of the regression.
    """

    n_arms: int = eqx.field(static=True)
    context_range: tuple[float, float] = eqx.field(static=True)
    degree: int = eqx.field(static=True, default=4)
    gamma0: float = eqx.field(static=True, default=10.0)
    ridge: float = eqx.field(static=True, default=1e-2)

    def __check_init__(self):
        check_int("n_arms", self.n_arms, 2)
        check_int("degree", self.degree, 0)
        lo, hi = self.context_range
        if not hi > lo:
            raise ValueError(f"context_range must have hi > lo, got {self.context_range}")
        if not self.gamma0 > 0 or not self.ridge > 0:
            raise ValueError(f"gamma0 and ridge must be > 0, got {self.gamma0}, {self.ridge}")

    def features(self, context: Array) -> Array:
        lo, hi = self.context_range
        return chebyshev_features(2.0 * (context - lo) / (hi - lo) - 1.0, self.degree)

    def init(self) -> _CBState:
        d = self.degree + 1
        gram = jnp.broadcast_to(self.ridge * jnp.eye(d), (self.n_arms, d, d))
        return _CBState(gram, jnp.zeros((self.n_arms, d)), jnp.asarray(0))

    def predict(self, state: _CBState, context: Array) -> Float[Array, " K"]:
        phi = self.features(context)
        coef = jnp.linalg.solve(state.gram, state.moment[..., None])[..., 0]
        return coef @ phi

    def probs(self, state: _CBState, context: Array) -> Float[Array, " K"]:
        yhat = self.predict(state, context)
        best = jnp.argmin(yhat)
        gamma = self.gamma0 * jnp.sqrt(self.n_arms * (state.t + 1.0))
        p = 1.0 / (self.n_arms + gamma * (yhat - yhat[best]))
        p = p.at[best].set(0.0)
        return p.at[best].set(1.0 - jnp.sum(p))

    def update(self, state, arm, p, loss, context) -> _CBState:
        phi = self.features(context)
        gram = state.gram.at[arm].add(jnp.outer(phi, phi))
        moment = state.moment.at[arm].add(loss * phi)
        return _CBState(gram, moment, state.t + 1)


class OnlineResult(eqx.Module):
    """Per-round arms a_t, losses ℓ_t(a_t) and the probability p_t(a_t) of the arm drawn."""

    arms: Int[Array, " T"]
    losses: Float[Array, " T"]
    p_chosen: Float[Array, " T"]


def run_online(
    learner: AbstractLearner,
    losses: Float[Array, "T K"],
    key: PRNGKeyArray,
    contexts: Float[Array, " T"] | None = None,
) -> OnlineResult:
    """Play ``learner`` against a precomputed loss table (bandit feedback), as a ``lax.scan``.

    ``losses[t, a]`` is the loss of arm a on instance t; the learner only ever sees the
    entry of the arm it drew. ``vmap`` over ``key`` for independent seeds.
    """
    losses = jnp.asarray(losses, dtype=float)
    T, K = losses.shape
    if K != learner.n_arms:
        raise ValueError(f"losses has {K} arms but the learner has n_arms={learner.n_arms}")
    contexts = jnp.zeros(T) if contexts is None else jnp.asarray(contexts, dtype=float)
    if contexts.shape != (T,):
        raise ValueError(f"contexts must have shape ({T},), got {contexts.shape}")
    keys = jax.random.split(key, T)

    def step(state, inp):
        row, c, k = inp
        p = learner.probs(state, c)
        arm = jax.random.choice(k, K, p=p)
        loss = row[arm]
        return learner.update(state, arm, p, loss, c), (arm, loss, p[arm])

    _, (arms, ls, pc) = jax.lax.scan(step, learner.init(), (losses, contexts, keys))
    return OnlineResult(arms=arms, losses=ls, p_chosen=pc)


def regret_curves(costs: Float[Array, "T K"], incurred: Float[Array, "... T"]) -> dict:
    """Cumulative cost and regrets of a sequence of incurred costs against a cost table.

    Returns ``cumulative`` (Σ_{s≤t} cost incurred), ``vs_best_fixed`` (minus
    min_a Σ_{s≤t} costs[s, a], the best fixed arm in hindsight for each prefix) and
    ``vs_oracle`` (minus Σ_{s≤t} min_a costs[s, a], the instance-optimal policy).
    """
    costs = jnp.asarray(costs, dtype=float)
    cum = jnp.cumsum(jnp.asarray(incurred, dtype=float), axis=-1)
    lead = (1,) * (cum.ndim - 1)  # explicit broadcasting over the leading (seed) axes
    best_fixed = jnp.min(jnp.cumsum(costs, axis=0), axis=1).reshape(lead + (-1,))
    oracle = jnp.cumsum(jnp.min(costs, axis=1)).reshape(lead + (-1,))
    return {"cumulative": cum, "vs_best_fixed": cum - best_fixed, "vs_oracle": cum - oracle}


def regret_exponent(regret: ArrayLike, tail: float = 0.1) -> float | None:
    """Growth exponent p of a regret curve R(t) ~ t^p, t = 1..T, fitted over t >= tail T.

    A least-squares line through log R against log t (:func:`power_law_fit`), R clipped
    at 1 so that rounds where the learner is momentarily ahead do not dominate. ``None``
    when R(T) <= 0: the learner beats its comparator and there is no growth to fit.
    """
    regret = np.asarray(regret, dtype=float)
    if regret.ndim != 1 or regret.size < 2:
        raise ValueError(f"regret must be a 1-D curve of length >= 2, got shape {regret.shape}")
    if not 0.0 <= tail < 1.0:
        raise ValueError(f"tail must lie in [0, 1), got {tail!r}")
    if regret[-1] <= 0:
        return None
    ts = np.arange(1, regret.size + 1)
    sel = ts >= ts[-1] * tail
    return power_law_fit(ts[sel], np.maximum(regret[sel], 1.0))[0]
