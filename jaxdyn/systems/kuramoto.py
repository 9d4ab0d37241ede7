"""Kuramoto phase oscillators, without and with a transmission delay.

    dθ_i/dt = ω_i + (K / d_i) Σ_j A_ij sin(θ_j(t - τ) - θ_i(t))

with adjacency A (all-to-all by default) and d_i the degree of node i (N for all-to-all,
the mean-field form). Without delay (:class:`Kuramoto`, an ODE; all-to-all through the
order parameter r e^{iψ} = (1/N) Σ e^{iθ_j}, O(N) per step) and a Lorentzian frequency
distribution g(ω) = (γ/π)/((ω - ω̄)² + γ²), the incoherent state loses stability at
K_c = 2γ and the stationary order parameter is r = sqrt(1 - 2γ/K) above it (Kuramoto,
"Chemical Oscillations, Waves and Turbulence", Springer 1984; Strogatz, Physica D 143,
1 (2000), eq. 4.9). With a delay (:class:`DelayedKuramoto`, a DDE through the core's
method of steps), identical oscillators (ω_i = ω, all-to-all) have in-phase solutions
θ_i = Ω t whose frequencies solve

    Ω = ω - K sin(Ω τ),

stable when K cos(Ω τ) > 0 (Yeung & Strogatz, PRL 82, 648 (1999), eqs. 3-4);
:func:`locked_frequencies` returns every root. These are the textbook results of the
delayed synchronisation used by paper 7's top-down layer (:mod:`jaxdyn.models.s2net`).
"""

from __future__ import annotations

from typing import ClassVar

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from ..core import AbstractDDE, AbstractODE, check_positive


def _degree_normalised(adjacency) -> Array:
    a = jnp.asarray(adjacency, dtype=float)
    deg = jnp.sum(a, axis=1, keepdims=True)
    return a / jnp.where(deg > 0, deg, 1.0)


def _check_adjacency(owner: str, a: Array, n: int) -> None:
    if a.shape != (n, n):
        raise ValueError(f"{owner}: adjacency must have shape ({n}, {n}), got {a.shape}")
    if not isinstance(a, jax.core.Tracer) and np.any(np.asarray(a) < 0):
        raise ValueError(f"{owner}: adjacency must be non-negative")


class Kuramoto(AbstractODE):
    """All-to-all Kuramoto model without delay (mean-field form, O(N) per evaluation)."""

    K: Float[Array, ""]
    omega: Float[Array, " n"]

    name: ClassVar[str] = "kuramoto"
    paper: ClassVar[str] = "7"
    reference: ClassVar[str] = "Kuramoto (1984); Strogatz, Physica D 143, 1 (2000)"
    param_ranges: ClassVar[dict[str, tuple[float, float]]] = {
        "K": (0.0, 1e4),
        "omega": (-1e6, 1e6),
    }
    default_dt: ClassVar[float] = 0.05
    t_char: ClassVar[float] = 20.0

    def __init__(self, K=1.0, omega=(1.0, 1.1, 0.9, 1.05, 0.95)):
        self.K = jnp.asarray(K, dtype=float)
        self.omega = jnp.asarray(omega, dtype=float)

    def initial_state(self, key=None):
        n = self.omega.shape[0]
        if key is None:
            return jnp.linspace(0.0, jnp.pi, n)
        return jax.random.uniform(key, (n,), minval=-jnp.pi, maxval=jnp.pi)

    def drift(self, t, y, args=None):
        z = jnp.mean(jnp.exp(1j * y))
        # (K/N) Σ_j sin(θ_j - θ_i) = K Im(z e^{-iθ_i})
        return self.omega + self.K * jnp.imag(z * jnp.exp(-1j * y))


class DelayedKuramoto(AbstractDDE):
    """Kuramoto oscillators on a graph with one transmission delay τ (a DDE)."""

    K: Float[Array, ""]
    tau: Float[Array, ""]
    omega: Float[Array, " n"]
    adjacency: Float[Array, "n n"]

    name: ClassVar[str] = "delayed_kuramoto"
    paper: ClassVar[str] = "7"
    reference: ClassVar[str] = "Yeung & Strogatz, PRL 82, 648 (1999)"
    param_ranges: ClassVar[dict[str, tuple[float, float]]] = {
        "K": (0.0, 1e4),
        "tau": (0.0, 1e4),
        "omega": (-1e6, 1e6),
        "adjacency": (0.0, 1e6),
    }
    default_dt: ClassVar[float] = 0.05
    t_char: ClassVar[float] = 10.0

    def __init__(self, K=0.5, tau=1.0, omega=(1.0, 1.0, 1.0, 1.0), adjacency=None):
        self.K = jnp.asarray(K, dtype=float)
        self.tau = jnp.asarray(tau, dtype=float)
        self.omega = jnp.asarray(omega, dtype=float)
        n = self.omega.shape[0] if self.omega.ndim == 1 else 0
        if n < 1:
            raise ValueError(
                f"DelayedKuramoto: omega must be a non-empty 1-D array, got {self.omega.shape}"
            )
        a = 1.0 - jnp.eye(n) if adjacency is None else jnp.asarray(adjacency, dtype=float)
        _check_adjacency("DelayedKuramoto", a, n)
        self.adjacency = a

    def initial_state(self, key=None):
        n = self.omega.shape[0]
        if key is None:
            return jnp.linspace(0.0, 0.5, n)
        return jax.random.uniform(key, (n,), minval=-jnp.pi, maxval=jnp.pi)

    def history(self, t):
        """Free rotation into the past from the default state: θ(t) = θ_0 + ω t."""
        return self.initial_state(None) + self.omega * t

    def delays(self, t, y):
        return jnp.reshape(self.tau, (1,))

    def drift(self, t, y, y_delayed, args=None):
        lag = y_delayed[0]
        w = _degree_normalised(self.adjacency)
        coupling = jnp.sum(w * jnp.sin(lag[None, :] - y[:, None]), axis=1)
        return self.omega + self.K * coupling


def locked_frequencies(omega: float, K: float, tau: float, n_grid: int = 4001) -> dict:
    """All roots Ω of Ω = ω - K sin(Ω τ) (in [ω - K, ω + K]) and their stability
    (K cos(Ω τ) > 0), by bracketing on a grid and bisection to round-off."""
    check_positive("K", K, allow_zero=True)
    check_positive("tau", tau, allow_zero=True)
    f = lambda w: w - omega + K * np.sin(w * tau)
    grid = np.linspace(omega - K - 1e-12, omega + K + 1e-12, n_grid)
    vals = f(grid)
    roots = []
    for a, b, fa, fb in zip(grid[:-1], grid[1:], vals[:-1], vals[1:], strict=True):
        if fa == 0:
            roots.append(a)
        elif fa * fb < 0:
            for _ in range(200):
                m = 0.5 * (a + b)
                if f(a) * f(m) <= 0:
                    b = m
                else:
                    a = m
            roots.append(0.5 * (a + b))
    roots = np.asarray(roots)
    return {"Omega": roots, "stable": K * np.cos(roots * tau) > 0}


def lorentzian_order_parameter(K, gamma) -> np.ndarray:
    """Stationary r = sqrt(1 - 2γ/K) for K > K_c = 2γ, else 0 (Kuramoto 1984)."""
    K = np.asarray(K, float)
    return np.sqrt(np.clip(1.0 - 2.0 * gamma / np.where(K > 0, K, np.inf), 0.0, None))


def lorentzian_frequencies(n: int, gamma: float, center: float = 0.0) -> np.ndarray:
    """n deterministic quantiles of the Lorentzian, ω_i = ω̄ + γ tan(π(i - 1/2)/n - π/2)."""
    i = np.arange(1, n + 1)
    return center + gamma * np.tan(np.pi * (i - 0.5) / n - np.pi / 2)


__all__ = [
    "DelayedKuramoto",
    "Kuramoto",
    "locked_frequencies",
    "lorentzian_frequencies",
    "lorentzian_order_parameter",
]
