"""Noise-driven ReLU RNNs that emulate hidden Markov models (paper 23).

**HMMs.** A discrete HMM has S latent states with a row-stochastic transition matrix T
(T_ij = P(s_{t+1} = j | s_t = i)), an emission matrix E (E_io = P(o_t = o | s_t = i)) and
an initial distribution π. :func:`linear_chain`, :func:`fully_connected` and
:func:`cyclic` build the architectures of paper 23 (linear chains of 2-5 states, a
fully connected and a cyclic HMM); each state prefers one output.

**RNN.** The generator of paper 23 (our reconstruction of its abstract; the standard
noise-driven rate network): N ReLU units driven by Gaussian input noise,

    h_{t+1} = relu(W h_t + B ξ_t + b),   ξ_t ~ N(0, σ² I_d),

and a stochastic readout: the output at t is a Gumbel-softmax sample (Jang, Gu & Poole,
ICLR 2017; Maddison, Mnih & Teh, ICLR 2017) of the logits C h_t + c at temperature τ,
a relaxed one-hot vector that becomes the categorical sample argmax as τ -> 0. The
network is trained (:mod:`jaxdyn.experiments.rnn_hmm`) so that batches of its output
sequences match batches of HMM sequences in Sinkhorn divergence
(:mod:`jaxdyn.analysis.sinkhorn`); the noise is its only source of randomness.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float, PRNGKeyArray

from ..core import check_int


def _check_stochastic(name: str, m: np.ndarray, shape) -> None:
    if m.shape != shape:
        raise ValueError(f"HMM: {name} must have shape {shape}, got {m.shape}")
    if not np.all(np.isfinite(m)) or np.any(m < 0):
        raise ValueError(f"HMM: {name} must have finite non-negative entries")
    if not np.allclose(m.sum(-1), 1.0, atol=1e-6):
        raise ValueError(f"HMM: the rows of {name} must sum to 1, got sums {m.sum(-1)}")


class HMM(eqx.Module):
    """A discrete HMM: ``transition`` (S, S), ``emission`` (S, O), ``initial`` (S,)."""

    transition: Float[Array, "S S"]
    emission: Float[Array, "S O"]
    initial: Float[Array, " S"]

    def __init__(self, transition, emission, initial=None):
        t = np.asarray(transition, float)
        e = np.asarray(emission, float)
        if t.ndim != 2 or t.shape[0] < 1:
            raise ValueError(f"HMM: transition must be a square matrix, got shape {t.shape}")
        s = t.shape[0]
        _check_stochastic("transition", t, (s, s))
        if e.ndim != 2 or e.shape[0] != s or e.shape[1] < 2:
            raise ValueError(f"HMM: emission must have shape ({s}, O >= 2), got {e.shape}")
        _check_stochastic("emission", e, e.shape)
        pi = stationary(t) if initial is None else np.asarray(initial, float)
        _check_stochastic("initial", pi, (s,))
        self.transition, self.emission, self.initial = (
            jnp.asarray(t),
            jnp.asarray(e),
            jnp.asarray(pi),
        )

    @property
    def n_states(self) -> int:
        return self.transition.shape[0]

    @property
    def n_outputs(self) -> int:
        return self.emission.shape[1]

    def sample(self, key: PRNGKeyArray, n: int, length: int) -> tuple[Array, Array]:
        """``n`` sequences of ``length`` (states, outputs), both ``(n, length)`` integers,
        started from ``initial`` (the stationary distribution by default)."""
        n, length = check_int("n", n, 1), check_int("length", length, 1)
        k0, k1 = jax.random.split(key)
        s0 = jax.random.categorical(k0, jnp.log(self.initial), shape=(n,))
        lt, le = jnp.log(self.transition), jnp.log(self.emission)

        def step(s, k):
            ka, kb = jax.random.split(k)
            o = jax.random.categorical(ka, le[s])
            return jax.random.categorical(kb, lt[s]), (s, o)

        _, (states, outs) = jax.lax.scan(step, s0, jax.random.split(k1, length))
        return states.T, outs.T


def stationary(t: np.ndarray) -> np.ndarray:
    """Stationary distribution of a row-stochastic matrix (left eigenvector of 1)."""
    w, v = np.linalg.eig(np.asarray(t, float).T)
    p = np.abs(np.real(v[:, np.argmin(np.abs(w - 1.0))]))
    return p / p.sum()


def _emissions(n_states: int, n_outputs: int, purity: float) -> np.ndarray:
    fav = np.round(np.linspace(0, n_outputs - 1, n_states)).astype(int)
    e = np.full((n_states, n_outputs), (1 - purity) / (n_outputs - 1))
    e[np.arange(n_states), fav] = purity
    return e


def _check_arch(n_states, p_stay, n_outputs, purity, lo=2):
    check_int("n_states", n_states, lo, 64)
    check_int("n_outputs", n_outputs, 2, 64)
    if not 0 <= p_stay < 1:
        raise ValueError(f"p_stay must lie in [0, 1), got {p_stay}")
    if not 1 / n_outputs <= purity <= 1:
        raise ValueError(f"purity must lie in [1/n_outputs, 1], got {purity}")


def linear_chain(n_states: int, p_stay: float = 0.9, n_outputs: int = 3, purity: float = 0.9):
    """States 0 - 1 - ... - (S-1); leaving a state goes to a neighbour (equally likely)."""
    _check_arch(n_states, p_stay, n_outputs, purity)
    t = np.eye(n_states) * p_stay
    for i in range(n_states):
        nb = [j for j in (i - 1, i + 1) if 0 <= j < n_states]
        t[i, nb] += (1 - p_stay) / len(nb)
    return HMM(t, _emissions(n_states, n_outputs, purity))


def fully_connected(n_states: int, p_stay: float = 0.9, n_outputs: int = 3, purity: float = 0.9):
    """Every state can jump to every other, equally likely."""
    _check_arch(n_states, p_stay, n_outputs, purity)
    t = np.full((n_states, n_states), (1 - p_stay) / (n_states - 1))
    np.fill_diagonal(t, p_stay)
    return HMM(t, _emissions(n_states, n_outputs, purity))


def cyclic(n_states: int, p_stay: float = 0.9, n_outputs: int = 3, purity: float = 0.9):
    """States visited in one direction around a cycle, 0 -> 1 -> ... -> S-1 -> 0."""
    _check_arch(n_states, p_stay, n_outputs, purity, lo=3)
    t = np.eye(n_states) * p_stay
    t[np.arange(n_states), (np.arange(n_states) + 1) % n_states] += 1 - p_stay
    return HMM(t, _emissions(n_states, n_outputs, purity))


class NoisyRNN(eqx.Module):
    """h_{t+1} = relu(W h_t + B ξ_t + b) with a Gumbel-softmax readout (module docstring)."""

    W: Float[Array, "N N"]
    B: Float[Array, "N d"]
    b: Float[Array, " N"]
    C: Float[Array, "O N"]
    c: Float[Array, " O"]

    def __init__(self, n_hidden: int, n_outputs: int, n_inputs: int = 1, *, key, gain=0.9):
        n = check_int("n_hidden", n_hidden, 1)
        o = check_int("n_outputs", n_outputs, 2)
        d = check_int("n_inputs", n_inputs, 1)
        k = jax.random.split(key, 4)
        self.W = gain * jax.random.normal(k[0], (n, n)) / np.sqrt(n)
        self.B = jax.random.normal(k[1], (n, d))
        self.b = 0.1 * jnp.ones(n)
        self.C = jax.random.normal(k[2], (o, n)) / np.sqrt(n)
        self.c = jnp.zeros(o)

    @property
    def n_hidden(self) -> int:
        return self.W.shape[0]

    def step(self, h: Array, xi: Array) -> Array:
        return jax.nn.relu(self.W @ h + self.B @ xi + self.b)

    def rollout(self, key, length: int, sigma, h0=None, clamp=None) -> Array:
        """Hidden states ``(length, N)`` driven by noise of standard deviation ``sigma``.

        ``clamp = (mask, value)`` holds the masked units at ``value`` (silencing: 0;
        over-driving: a large value) after every step."""
        xi = sigma * jax.random.normal(key, (length, self.B.shape[1]))
        h0 = jnp.zeros(self.n_hidden) if h0 is None else h0

        def body(h, x):
            h = self.step(h, x)
            if clamp is not None:
                h = jnp.where(clamp[0], clamp[1], h)
            return h, h

        return jax.lax.scan(body, h0, xi)[1]

    def logits(self, hs: Array) -> Array:
        return hs @ self.C.T + self.c.reshape((1,) * (hs.ndim - 1) + (-1,))

    def sample(self, key, length: int, sigma, temperature, burn_in: int = 0, clamp=None):
        """(hidden states, relaxed one-hot outputs) of one sequence, after ``burn_in``."""
        k1, k2 = jax.random.split(key)
        hs = self.rollout(k1, length + burn_in, sigma, clamp=clamp)[burn_in:]
        g = jax.random.gumbel(k2, (length, self.C.shape[0]))
        return hs, jax.nn.softmax((self.logits(hs) + g) / temperature, axis=-1)


__all__ = ["HMM", "NoisyRNN", "cyclic", "fully_connected", "linear_chain", "stationary"]
