"""Agent-based delayed repression on a network (paper 10, second stage).

N agents on a small-world observation network choose each step between radical (1) and
compliant (0). An institution raises an alarm from the radical fraction it observed
``delay`` steps ago (a ring buffer of past fractions):

    alarm_t = s(r_{t-d}) = 1 / (1 + exp(-k (r_{t-d} - θ))),

and punishes each radical agent with probability alarm_t (cost P). A radical agent earns
its private benefit b_i ~ U(b_lo, b_hi) plus a peer benefit g·n_i, with n_i the radical
fraction among its neighbours (radicalism is contagious and safer in numbers). Each step
an agent revises its action with probability ``revision`` (inertia, which makes the
lagged alarm destabilising, as in the delayed replicator equation this discretises);
every architecture has the same inertia, and Q-learners update their values every step.

Decision architectures (``architecture``), as in the abstract of paper 10:

* ``"fixed"`` (non-reactive): radical with fixed probability ``p_fixed``.
* ``"reactive"`` (threshold heuristic, no memory): radical iff its myopic expected
  payoff is positive, b_i + g n_i > P·alarm_t, i.e. "go radical when the alarm is low".
* ``"qlearning"`` (tabular Q-learning): state = (alarm level in ``alarm_bins`` bins,
  neighbours' radical fraction in ``nbr_bins`` bins), actions compliant/radical,
  epsilon-greedy, reward = benefit - realised punishment (0 for compliant), update
  Q(o, a) += lr [R + γ max_a' Q(o', a') - Q(o, a)] (Watkins & Dayan, Mach. Learn. 8, 279
  (1992)). Q-values average realised punishments over many steps: an implicit memory.

A run is a *runaway* if the radical fraction stays above ``runaway_level`` for
``runaway_window`` consecutive steps: with a peer benefit g > P - b_i, a mostly radical
population is self-sustaining even under full alarm, so a long enough overshoot is
absorbing. Parameters (chosen here, documented in docs/delayed_repression.md) are fields:
``delay`` and the others can be swept and vmapped; sizes are static.

The model is an :class:`~jaxdyn.AbstractMap` (one step per time unit): its state holds
the actions, the Q-tables, the institution's ring buffer of past radical fractions, the
runaway detector and the network and benefits drawn by :meth:`initial_state`, and
:func:`jaxdyn.simulate` iterates it. :func:`runaway_observables` reads what the
experiment records.
"""

from __future__ import annotations

import functools
from typing import ClassVar, Literal

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, Int, PRNGKeyArray

from ..core import AbstractMap, check_int

Architecture = Literal["fixed", "reactive", "qlearning"]
ARCHITECTURES: tuple[str, ...] = ("fixed", "reactive", "qlearning")


@functools.partial(jax.jit, static_argnums=(1, 2))
def small_world(key: PRNGKeyArray, n: int, degree: int, rewire: float) -> Int[Array, "n degree"]:
    """Directed Watts-Strogatz neighbour table: each agent watches its ``degree`` nearest
    ring neighbours, each link rewired with probability ``rewire`` to a uniform other agent.
    """
    half = degree // 2
    offsets = jnp.concatenate([jnp.arange(1, half + 1), -jnp.arange(1, degree - half + 1)])
    ring = (jnp.arange(n)[:, None] + offsets[None, :]) % n
    k1, k2 = jax.random.split(key)
    rewired = jax.random.bernoulli(k1, rewire, ring.shape)
    # A uniform agent other than i: i + U{1..n-1} mod n.
    other = (jnp.arange(n)[:, None] + jax.random.randint(k2, ring.shape, 1, n)) % n
    return jnp.where(rewired, other, ring)


class RepressionABM(AbstractMap):
    """Discrete-time agent-based model of delayed repression (see module docstring)."""

    delay: Float[Array, ""]
    b_lo: Float[Array, ""]
    b_hi: Float[Array, ""]
    peer: Float[Array, ""]
    punishment: Float[Array, ""]
    alarm_k: Float[Array, ""]
    alarm_theta: Float[Array, ""]
    revision: Float[Array, ""]
    p_fixed: Float[Array, ""]
    initial_radical: Float[Array, ""]
    rewire: Float[Array, ""]
    lr: Float[Array, ""]
    discount: Float[Array, ""]
    epsilon: Float[Array, ""]
    architecture: str = eqx.field(static=True)
    n_agents: int = eqx.field(static=True)
    degree: int = eqx.field(static=True)
    max_delay: int = eqx.field(static=True)
    alarm_bins: int = eqx.field(static=True)
    nbr_bins: int = eqx.field(static=True)
    runaway_level: float = eqx.field(static=True)
    runaway_window: int = eqx.field(static=True)

    name: ClassVar[str] = "repression_abm"
    paper: ClassVar[str] = "10"
    reference: ClassVar[str] = (
        "Paper 10, 'Delayed Repression and Emergent Instability in Adaptive Multi-Agent "
        "Systems' (N = 240 agents; non-reactive, reactive and Q-learning architectures)"
    )
    #: a few hundred steps show whether a run runs away
    t_char: ClassVar[float] = 200.0
    param_ranges: ClassVar[dict[str, tuple[float, float]]] = {
        "delay": (0.0, 1e6),
        "b_lo": (-1e3, 1e3),
        "b_hi": (-1e3, 1e3),
        "peer": (0.0, 1e3),
        "punishment": (0.0, 1e3),
        "alarm_k": (0.0, 1e4),
        "alarm_theta": (0.0, 1.0),
        "revision": (0.0, 1.0),
        "p_fixed": (0.0, 1.0),
        "initial_radical": (0.0, 1.0),
        "rewire": (0.0, 1.0),
        "lr": (0.0, 1.0),
        "discount": (0.0, 1.0),
        "epsilon": (0.0, 1.0),
    }

    def __init__(
        self,
        architecture: Architecture = "reactive",
        delay=4.0,
        *,
        b_lo=0.05,
        b_hi=0.45,
        peer=1.2,
        punishment=1.0,
        alarm_k=30.0,
        alarm_theta=0.25,
        revision=0.3,
        p_fixed=0.25,
        initial_radical=0.2,
        rewire=0.1,
        lr=0.3,
        discount=0.5,
        epsilon=0.02,
        n_agents: int = 240,
        degree: int = 6,
        max_delay: int = 32,
        alarm_bins: int = 4,
        nbr_bins: int = 4,
        runaway_level: float = 0.9,
        runaway_window: int = 30,
    ):
        if architecture not in ARCHITECTURES:
            raise ValueError(f"architecture must be one of {ARCHITECTURES}, got {architecture!r}")
        self.architecture = architecture
        f = lambda v: jnp.asarray(v, dtype=float)
        self.delay, self.b_lo, self.b_hi, self.peer = f(delay), f(b_lo), f(b_hi), f(peer)
        self.punishment, self.alarm_k, self.alarm_theta = f(punishment), f(alarm_k), f(alarm_theta)
        self.revision, self.p_fixed = f(revision), f(p_fixed)
        self.initial_radical, self.rewire = f(initial_radical), f(rewire)
        self.lr, self.discount, self.epsilon = f(lr), f(discount), f(epsilon)
        self.n_agents = check_int("n_agents", n_agents, 2)
        self.degree = check_int("degree", degree, 1, n_agents - 1)
        self.max_delay = check_int("max_delay", max_delay, 0)
        self.alarm_bins = check_int("alarm_bins", alarm_bins, 1)
        self.nbr_bins = check_int("nbr_bins", nbr_bins, 1)
        self.runaway_window = check_int("runaway_window", runaway_window, 1)
        if not 0.0 < runaway_level < 1.0:
            raise ValueError(f"runaway_level must lie in (0, 1), got {runaway_level}")
        self.runaway_level = float(runaway_level)

    def validate(self) -> None:
        super().validate()
        if not isinstance(self.delay, jax.core.Tracer) and float(self.delay) > self.max_delay:
            raise ValueError(
                f"RepressionABM: parameter 'delay' must lie in [0, max_delay={self.max_delay}]"
                f", got {float(self.delay)}"
            )

    def alarm(self, r: Array) -> Array:
        return 1.0 / (1.0 + jnp.exp(-self.alarm_k * (r - self.alarm_theta)))

    def initial_state(self, key: PRNGKeyArray | None = None) -> dict[str, Array]:
        """Network, benefits and actions drawn from ``key`` (a fixed draw without one).

        The state also holds the step counter ``n``, the last observation of each agent,
        the Q-tables, the ring buffer of past radical fractions, the runaway detector
        (current streak above ``runaway_level`` and the step at which the first long
        enough streak completed, or -1) and the last step's radical fraction and alarm.
        """
        key = jax.random.PRNGKey(0) if key is None else key
        n = self.n_agents
        k_net, k_b, k_a = jax.random.split(key, 3)
        a0 = jax.random.bernoulli(k_a, self.initial_radical, (n,)).astype(float)
        return {
            "n": jnp.asarray(0),
            "actions": a0,
            "nbrs": small_world(k_net, n, self.degree, self.rewire),
            "benefit": self.b_lo + (self.b_hi - self.b_lo) * jax.random.uniform(k_b, (n,)),
            "obs": jnp.zeros((n,), int),
            "q": jnp.zeros((n, self.alarm_bins * self.nbr_bins, 2)),
            "hist": jnp.full((self.max_delay + 1,), jnp.mean(a0)),
            "streak": jnp.asarray(0),
            "first": jnp.asarray(-1),
            "radical": jnp.mean(a0),
            "alarm": jnp.asarray(0.0),
        }

    def step(self, t, y, key, args=None) -> dict[str, Array]:
        """One step: the institution raises the lagged alarm, punishes, agents revise."""
        n_agents, arch, size = self.n_agents, self.architecture, self.max_delay + 1
        a, q, nbrs, benefit = y["actions"], y["q"], y["nbrs"], y["benefit"]
        n = y["n"]
        d = jnp.clip(jnp.round(self.delay), 0, self.max_delay).astype(int)
        k_pun, k_rev, k_pol, k_eps, k_tie = jax.random.split(key, 5)
        r = jnp.mean(a)
        hist = y["hist"].at[n % size].set(r)
        # The institution sees the fraction of d steps ago (the start value before t=0).
        alarm = self.alarm(hist[(n - d) % size])
        nb = jnp.mean(a[nbrs], axis=1)
        punished = jax.random.bernoulli(k_pun, alarm, (n_agents,)).astype(float)
        reward = a * (benefit + self.peer * nb - self.punishment * punished)
        ia = jnp.clip((alarm * self.alarm_bins).astype(int), 0, self.alarm_bins - 1)
        ib = jnp.clip((nb * self.nbr_bins).astype(int), 0, self.nbr_bins - 1)
        obs = ia * self.nbr_bins + ib
        rows = jnp.arange(n_agents)
        if arch == "qlearning":
            act = a.astype(int)
            target = reward + self.discount * jnp.max(q[rows, obs], axis=-1)
            old = q[rows, y["obs"], act]
            q = q.at[rows, y["obs"], act].set(old + self.lr * (target - old))
            noise = 1e-9 * jax.random.uniform(k_tie, (n_agents, 2))  # random tie-break
            greedy = jnp.argmax(q[rows, obs] + noise, axis=-1).astype(float)
            explore = jax.random.bernoulli(k_eps, self.epsilon, (n_agents,))
            coin = jax.random.bernoulli(k_pol, 0.5, (n_agents,)).astype(float)
            new = jnp.where(explore, coin, greedy)
        elif arch == "fixed":
            new = jax.random.bernoulli(k_pol, self.p_fixed, (n_agents,)).astype(float)
        else:  # reactive: myopic best response to the current (lagged) alarm
            new = (benefit + self.peer * nb > self.punishment * alarm).astype(float)
        revise = jax.random.bernoulli(k_rev, self.revision, (n_agents,))
        streak = jnp.where(r > self.runaway_level, y["streak"] + 1, 0)
        first = jnp.where((y["first"] < 0) & (streak >= self.runaway_window), n, y["first"])
        return {
            **y,
            "n": n + 1,
            "actions": jnp.where(revise, new, a),
            "obs": obs,
            "q": q,
            "hist": hist,
            "streak": streak,
            "first": first,
            "radical": r,
            "alarm": alarm,
        }


def runaway_observables(t, y) -> dict[str, Array]:
    """What a run records at each step: the radical fraction and alarm of that step, and
    whether (1.0) and when (the step, or -1) the run has run away."""
    return {
        "radical": y["radical"],
        "alarm": y["alarm"],
        "runaway": (y["first"] >= 0).astype(float),
        "runaway_time": y["first"],
    }


__all__ = ["ARCHITECTURES", "RepressionABM", "runaway_observables", "small_world"]
