"""Synchronization in one dimension: a ring of phase oscillators (paper 1).

    dθ_j = [ω_j + K (Γ(θ_{j+1} - θ_j) + Γ(θ_{j-1} - θ_j))] dt + σ dW_j,
    Γ(x) = sin x + a (1 - cos x),

for j = 0..L-1 with periodic boundaries. The coupling Γ has an odd part sin x and a
non-odd part a (1 - cos x); a = -tan α gives (up to a rescaling of K) the
Kuramoto-Sakaguchi phase lag, since sin(x + α) - sin α = cos α [sin x - tan α (1 - cos x)].
Randomness is either columnar (quenched) disorder, ω_j ~ N(0, σ²) drawn once from the
key and fixed in time, or time-dependent white noise of amplitude σ (``noise="white"``).

The unwrapped phases θ_j(t) form a growing interface; in the continuum limit of strong
coupling the phase field obeys the KPZ equation
∂_t θ = ω + ν ∂²θ + (λ/2)(∂θ)² + η with ν = K and λ = 2 K a
(R. Gutiérrez & R. Cuerno, "Dynamical phase diagram of synchronization in one
dimension", arXiv:2604.06040; earlier: arXiv:2210.03782 for columnar disorder,
arXiv:2407.15634 for time-dependent noise; Lauter, Mitra & Marquardt, arXiv:1607.03696,
for the KPZ description of oscillator lattices and its breakdown by phase slips).

Analysis of these rings (roughness, exponents, exact linear theory, locking threshold,
phase slips) lives in :mod:`jaxdyn.analysis.roughness` and :mod:`jaxdyn.analysis.sync`;
the phase diagram experiment in :mod:`jaxdyn.experiments.sync1d`.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray

from ..core import AbstractODE, AbstractSDE, check_int


def coupling(x: Array, a: Array) -> Array:
    """Γ(x) = sin x + a (1 - cos x)."""
    return jnp.sin(x) + a * (1.0 - jnp.cos(x))


class AbstractSync1D(AbstractODE):
    """Fields, coupling and continuum constants shared by both kinds of randomness."""

    K: Float[Array, ""]
    sigma: Float[Array, ""]
    a: Float[Array, ""]
    L: int = eqx.field(static=True)

    paper: ClassVar[str] = "1"
    #: 1/K is when the coupling starts to act (K = 1 by default)
    t_char: ClassVar[float] = 1.0
    reference: ClassVar[str] = (
        "R. Gutiérrez and R. Cuerno, 'Dynamical phase diagram of synchronization in one "
        "dimension: universal behavior from Edwards-Wilkinson to random deposition through "
        "Kardar-Parisi-Zhang'"
    )
    param_ranges: ClassVar[dict[str, tuple[float, float]]] = {
        "K": (0.0, 1e6),
        "sigma": (0.0, 1e6),
        "a": (-1e3, 1e3),
    }

    def __init__(self, L: int = 128, K=1.0, sigma=0.1, a=0.0):
        self.L = check_int("L", L, 3)
        self.K = jnp.asarray(K, dtype=float)
        self.sigma = jnp.asarray(sigma, dtype=float)
        self.a = jnp.asarray(a, dtype=float)

    def coupling_term(self, theta: Array) -> Array:
        right = jnp.roll(theta, -1, axis=-1) - theta
        left = jnp.roll(theta, 1, axis=-1) - theta
        return self.K * (coupling(right, self.a) + coupling(left, self.a))

    @property
    def nu(self) -> Array:
        """Continuum surface tension ν = K."""
        return self.K

    @property
    def lam(self) -> Array:
        """Continuum KPZ nonlinearity λ = 2 K a."""
        return 2.0 * self.K * self.a


class Sync1DColumnar(AbstractSync1D):
    """Ring of phase oscillators with quenched frequencies ω_j = σ ξ_j, ξ_j ~ N(0, 1).

    The state is ``(theta, omega)``: the frequencies are part of the state with zero
    time derivative, so the disorder is drawn from the key by :meth:`initial_state`
    and the system stays an ODE. Initial phases are flat (θ_j = 0).
    """

    name: ClassVar[str] = "sync1d_columnar"
    randomness: ClassVar[str] = "columnar"
    default_dt: ClassVar[float] = 0.1

    def initial_state(self, key: PRNGKeyArray | None = None):
        if key is None:
            raise ValueError("Sync1DColumnar.initial_state needs a key to draw the frequencies")
        xi = jax.random.normal(key, (self.L,))
        return (jnp.zeros(self.L), self.sigma * xi)

    def drift(self, t, y, args=None):
        theta, omega = y
        return (omega + self.coupling_term(theta), jnp.zeros_like(omega))

    def kpz_coupling(self) -> Array:
        """g_c = λ² D / ν⁴ with D = σ²/2 (lattice units), the columnar KPZ coupling."""
        return self.lam**2 * (self.sigma**2 / 2) / self.nu**4


class Sync1DNoisy(AbstractSync1D, AbstractSDE):
    """Ring of identical phase oscillators driven by white noise, dθ_j = ... + σ dW_j.

    Initial phases are flat. Itô and Stratonovich coincide (additive noise).
    """

    name: ClassVar[str] = "sync1d_noisy"
    randomness: ClassVar[str] = "white"
    noise: ClassVar[Literal["additive"]] = "additive"
    default_dt: ClassVar[float] = 0.05

    def initial_state(self, key: PRNGKeyArray | None = None):
        return jnp.zeros(self.L)

    def drift(self, t, y, args=None):
        return self.coupling_term(y)

    def diffusion(self, t, y, args=None):
        return jnp.broadcast_to(self.sigma, y.shape)

    def kpz_coupling(self) -> Array:
        """g = λ² D / ν³ with D = σ²/2 (lattice units), the KPZ coupling."""
        return self.lam**2 * (self.sigma**2 / 2) / self.nu**3


def Sync1D(
    L: int = 128, K=1.0, sigma=0.1, a=0.0, randomness: Literal["columnar", "white"] = "columnar"
) -> Sync1DColumnar | Sync1DNoisy:
    """The ring of phase oscillators with the chosen kind of randomness."""
    if randomness == "columnar":
        return Sync1DColumnar(L=L, K=K, sigma=sigma, a=a)
    if randomness == "white":
        return Sync1DNoisy(L=L, K=K, sigma=sigma, a=a)
    raise ValueError(f"randomness must be 'columnar' or 'white', got {randomness!r}")
