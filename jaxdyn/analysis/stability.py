"""Linear stability, Hopf onset and oscillation measures, shared by every system.

Delay equations
---------------
The scalar linear DDE  ξ'(t) = -α ξ(t) - β ξ(t - τ)  has characteristic equation
λ + α + β e^{-λτ} = 0. For α + β > 0 it is stable at τ = 0; when β > |α| a pair of roots
crosses the imaginary axis at λ = ±iω with

    ω = sqrt(β² - α²),    τ_c = arccos(-α / β) / ω,

and the equilibrium is unstable for every τ > τ_c (Hayes, J. London Math. Soc. 25, 226
(1950); Smith, "An Introduction to Delay Differential Equations", Springer 2011, §4.5).
For α = 0 this is τ_c = π / (2β), ω = β: the period at onset is 2π/β = 4 τ_c. The roots
themselves follow from the Lambert W function, λ_k = W_k(-β τ e^{ατ}) / τ - α, and the
principal branch k = 0 gives the rightmost root (Shinozaki & Mori, Automatica 42, 1791
(2006)).

Oscillations in simulations
---------------------------
:func:`oscillation_amplitude` and :func:`oscillation_period` read the asymptotic
oscillation of a time series; :func:`fit_hopf_amplitude` fits A² = a (μ - μ_c) (a
supercritical Hopf normal form) and a free power law A = C (μ - μ_c)^γ, with the one
power-law fit of the package (:func:`jaxdyn.analysis.roughness.power_law_fit`).
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike

from .roughness import power_law_fit


def linear_dde_onset(alpha: ArrayLike, beta: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Critical delay τ_c and onset frequency ω of ξ' = -α ξ(t) - β ξ(t - τ).

    Returns ``(tau_c, omega)``, broadcast over the inputs; ``tau_c = inf`` (and ω = 0)
    where the equilibrium is stable for every delay (β <= |α|, with α + β > 0).

    Raises:
        ValueError: if α + β <= 0 somewhere (unstable already without delay).
    """
    alpha, beta = np.broadcast_arrays(np.asarray(alpha, float), np.asarray(beta, float))
    if np.any(alpha + beta <= 0):
        raise ValueError("linear_dde_onset needs alpha + beta > 0 (stable at zero delay)")
    osc = beta > np.abs(alpha)
    omega = np.where(osc, np.sqrt(np.maximum(beta**2 - alpha**2, 0.0)), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        tau_c = np.where(osc, np.arccos(np.clip(-alpha / beta, -1, 1)) / omega, np.inf)
    return tau_c, omega


def linear_dde_rightmost_root(alpha: ArrayLike, beta: ArrayLike, tau: ArrayLike) -> np.ndarray:
    """Rightmost characteristic root of ξ' = -α ξ(t) - β ξ(t - τ), via Lambert W_0 (τ > 0)."""
    from scipy.special import lambertw

    alpha, beta, tau = (np.asarray(x, float) for x in (alpha, beta, tau))
    if np.any(tau <= 0):
        raise ValueError("linear_dde_rightmost_root needs tau > 0")
    return lambertw(-beta * tau * np.exp(alpha * tau), 0) / tau - alpha


def jacobian_eigenvalues(f: Callable[[Array], Array], y: ArrayLike) -> Array:
    """Eigenvalues of the Jacobian of ``f`` at ``y`` (an ODE equilibrium's spectrum)."""
    y = jnp.asarray(y, dtype=float)
    jac = jax.jacfwd(f)(y).reshape(y.size, y.size)
    return jnp.linalg.eigvals(jac)


def oscillation_amplitude(x: ArrayLike, axis: int = -1) -> np.ndarray:
    """Half the peak-to-peak range of ``x`` along ``axis`` (pass the post-transient tail)."""
    x = np.asarray(x)
    return 0.5 * (np.max(x, axis=axis) - np.min(x, axis=axis))


def oscillation_period(t: ArrayLike, x: ArrayLike) -> float:
    """Mean period from upward crossings of the mean of ``x(t)`` (linear interpolation).

    Returns NaN if fewer than two crossings are found.
    """
    t, x = np.asarray(t, float), np.asarray(x, float)
    z = x - x.mean()
    idx = np.nonzero((z[:-1] < 0) & (z[1:] >= 0))[0]
    if idx.size < 2:
        return float("nan")
    tc = t[idx] - z[idx] * (t[idx + 1] - t[idx]) / (z[idx + 1] - z[idx])
    return float(np.mean(np.diff(tc)))


def fit_hopf_amplitude(
    mu: ArrayLike, amplitude: ArrayLike, mu_c: float | None = None
) -> dict[str, float]:
    """Fit the amplitude of a Hopf branch beyond onset.

    Uses the points with ``amplitude > 0``. ``mu_onset`` comes from the linear fit
    A² = a (μ - μ_c) (the normal form of a supercritical Hopf bifurcation); ``exponent``
    is the power-law exponent γ of A = C (μ - μ_c)^γ, measured with ``mu_c`` if given
    (e.g. the closed-form threshold), else with the fitted onset. γ = 1/2 at a
    supercritical Hopf point.
    """
    mu, amp = np.asarray(mu, float), np.asarray(amplitude, float)
    keep = amp > 0
    a, b = np.polyfit(mu[keep], amp[keep] ** 2, 1)
    onset = -b / a
    ref = onset if mu_c is None else mu_c
    above = keep & (mu > ref)
    gamma, c = power_law_fit(mu[above] - ref, amp[above])
    return {"mu_onset": float(onset), "slope_a2": float(a), "exponent": gamma, "prefactor": c}


__all__ = [
    "fit_hopf_amplitude",
    "jacobian_eigenvalues",
    "linear_dde_onset",
    "linear_dde_rightmost_root",
    "oscillation_amplitude",
    "oscillation_period",
]
