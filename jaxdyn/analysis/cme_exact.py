"""Closed-form solutions of the chemical master equation (for tests and references).

**Birth-death** ∅ -> X (rate λ = k1 Ω), X -> ∅ (rate μ x). From x(0) = n0 the law at time
t is Binomial(n0, e^{-μt}) (survivors) convolved with Poisson(λ (1 - e^{-μt}) / μ)
(immigrants); stationary law Poisson(λ/μ) (C. W. Gardiner, Stochastic Methods, 2009).

**Dimerisation** ∅ -> X (rate λ = k1 Ω), 2X -> ∅ (rate c x (x-1), with c = k2 / Ω in the
``"rate"`` convention and k2 / (2 Ω) in the ``"combinatorial"`` one). Derivation: the
generating function G(s) = Σ_x P(x) s^x of the stationary law solves

    0 = λ (s - 1) G + c (1 - s²) G''   =>   G'' = a G / (1 + s),   a = λ / c.

With z = 1 + s, the solutions are √z I_1(2√(a z)) and √z K_1(2√(a z)); the second has a
logarithmic singularity in G' at s = -1, where G' = Σ x P(x) (-1)^{x-1} is bounded, so

    G(s) = √(1+s) I_1(2√(a(1+s))) / (√2 I_1(2√(2a))).

Using d/dz [√z I_1(2√(az))] = √a I_0(2√(az)) and G'' = a G / z at z = 2:

    E[x] = G'(1) = √(a/2) I_0(√(8a)) / I_1(√(8a)),     E[x(x-1)] = G''(1) = a / 2,
    Var[x] = a/2 + E[x] - E[x]².

Expanding √z I_1(2√(az)) in powers of s gives P(x) ∝ a^{x/2} I_{x-1}(2√a) / x!
(I_{-1} = I_1). Both are checked against the finite state projection in the tests.
"""

from __future__ import annotations

import numpy as np
from scipy import special, stats

from ..systems.chemical_networks import BirthDeath, Dimerisation


def birth_death_moments(
    t: np.ndarray, k1: float, k2: float, omega: float = 1.0, n0: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Exact mean and variance of the birth-death process at times ``t`` from x(0) = n0."""
    t = np.asarray(t, dtype=float)
    p = np.exp(-k2 * t)
    lam = k1 * omega * (1.0 - p) / k2
    return n0 * p + lam, n0 * p * (1.0 - p) + lam


def birth_death_pmf(
    x: np.ndarray, t: float, k1: float, k2: float, omega: float = 1.0, n0: int = 0
) -> np.ndarray:
    """Exact P(x, t) of the birth-death process from x(0) = n0 (t = inf: stationary)."""
    x = np.asarray(x)
    p = 0.0 if np.isinf(t) else float(np.exp(-k2 * t))
    lam = k1 * omega * (1.0 - p) / k2
    survivors = stats.binom(n0, p).pmf(np.arange(n0 + 1))
    immigrants = stats.poisson(lam).pmf(np.arange(int(x.max()) + 1))
    law = np.convolve(survivors, immigrants)[: int(x.max()) + 1]
    return law[x]


def dimerisation_parameter(net: Dimerisation) -> float:
    """a = λ / c = k1 Ω² f / k2 (f = 1 "rate", 2 "combinatorial")."""
    f = 2.0 if net.convention == "combinatorial" else 1.0
    return float(net.k1) * float(net.omega) ** 2 * f / float(net.k2)


def dimerisation_stationary(a: float | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact stationary mean and variance of the dimerisation network (module doc)."""
    a = np.asarray(a, dtype=float)
    w = np.sqrt(8.0 * a)
    mean = np.sqrt(a / 2.0) * special.ive(0, w) / special.ive(1, w)  # scaled: ratio exact
    return mean, a / 2.0 + mean - mean**2


def dimerisation_pmf(a: float, n_max: int) -> np.ndarray:
    """Exact stationary P(x), x = 0..n_max, normalised on 0..n_max (use n_max >> mean)."""
    x = np.arange(n_max + 1)
    order = np.abs(x - 1)  # I_{-1} = I_1
    w = 2.0 * np.sqrt(a)
    log_p = 0.5 * x * np.log(a) + np.log(special.ive(order, w)) + w - special.gammaln(x + 1)
    p = np.exp(log_p - log_p.max())
    return p / p.sum()


def poisson_pmf(x: np.ndarray, mean: float) -> np.ndarray:
    return stats.poisson(mean).pmf(np.asarray(x))


def birth_death_stationary_mean(net: BirthDeath) -> float:
    """k1 Ω / k2 (for either convention: both reactions are at most unimolecular)."""
    return float(net.k1) * float(net.omega) / float(net.k2)


__all__ = [
    "birth_death_moments",
    "birth_death_pmf",
    "birth_death_stationary_mean",
    "dimerisation_parameter",
    "dimerisation_pmf",
    "dimerisation_stationary",
    "poisson_pmf",
]
