"""Log-likelihoods of spectral estimates, shared by optimisation (``jaxdyn.fit``) and sampling.

* Whittle (1953), for averaged periodograms: a power averaged over m raw powers of a
  Gaussian process with spectrum S is S χ²_{2m}/(2m), so m P/S ~ Gamma(m, 1) and

      ln L = Σ_k [m ln m - ln Γ(m) + (m - 1) ln P_k - m ln S_k - m P_k/S_k]

  (Barret & Vaughan 2012, ApJ 746, 131; m = 1 is the classic Whittle likelihood).
* Complex Wishart, for an averaged cross spectrum with both power spectra: the Fourier
  amplitudes z = (X¹, X²) of two bands are complex Gaussian with covariance
  Σ = [[S1, G*], [G, S2]] (G = E[X¹* X²], the model cross spectrum), so m times their
  sample covariance Ŝ = [[P1, C*], [C, P2]] is complex Wishart CW_2(m, Σ) (Goodman 1963,
  Ann. Math. Stat. 34, 152):

      ln L = Σ_k [(m - 2) ln det Ŝ - m ln det Σ - m tr(Σ⁻¹ Ŝ) + 2m ln m - ln Γ̃_2(m)],
      det Σ = S1 S2 - |G|²,   tr(Σ⁻¹ Ŝ) = (S2 P1 + S1 P2 - 2 Re(G* C))/det Σ,

  with Γ̃_2(m) = π Γ(m) Γ(m - 1) (a density in P1, P2, Re C, Im C). It is the joint
  likelihood of the two power spectra and the real and imaginary parts of the cross
  spectrum; as a function of the model it reduces to the sum of the two bands' Whittle
  likelihoods when G = 0. It needs m >= 2.
* A composite likelihood for local wavelet power: |W_n(s)|² ~ B_n(s) χ²_2/2 for each
  (n, s), summed with weights w (the fraction of an independent sample each point is,
  Torrence & Compo 1998 sec. 5), ln L = Σ w (-ln B - P/B).

All are jnp functions of model and data arrays, so they jit, vmap over many series and
differentiate with respect to the model parameters.
"""

from __future__ import annotations

import jax.numpy as jnp
from jax.scipy.special import gammaln
from jaxtyping import Array, ArrayLike, Complex, Float


def whittle_loglike(
    model: Float[ArrayLike, "*b f"], power: Float[ArrayLike, "*b f"], m: ArrayLike = 1.0
) -> Array:
    """Whittle/Gamma log-likelihood of averaged powers ``power`` given spectrum ``model``.

    Sums over the last (frequency) axis; leading axes stay (a batch of series).
    """
    s, p = jnp.asarray(model), jnp.asarray(power)
    m = jnp.asarray(m, dtype=float)
    terms = m * jnp.log(m) - gammaln(m) + (m - 1) * jnp.log(p) - m * jnp.log(s) - m * p / s
    return jnp.sum(jnp.atleast_1d(terms), axis=-1)


def wishart_loglike(
    model1: Float[ArrayLike, "*b f"],
    model2: Float[ArrayLike, "*b f"],
    model_cross: Complex[ArrayLike, "*b f"],
    power1: Float[ArrayLike, "*b f"],
    power2: Float[ArrayLike, "*b f"],
    cross: Complex[ArrayLike, "*b f"],
    m: ArrayLike,
) -> Array:
    """Complex-Wishart log-likelihood of averaged (P1, P2, C) given the model (S1, S2, G)."""
    s1, s2, g = jnp.asarray(model1), jnp.asarray(model2), jnp.asarray(model_cross)
    p1, p2, c = jnp.asarray(power1), jnp.asarray(power2), jnp.asarray(cross)
    m = jnp.asarray(m, dtype=float)
    det_model = s1 * s2 - jnp.abs(g) ** 2
    det_data = p1 * p2 - jnp.abs(c) ** 2
    trace = (s2 * p1 + s1 * p2 - 2 * jnp.real(jnp.conj(g) * c)) / det_model
    log_gamma2 = jnp.log(jnp.pi) + gammaln(m) + gammaln(m - 1)
    terms = (
        (m - 2) * jnp.log(det_data)
        - m * jnp.log(det_model)
        - m * trace
        + 2 * m * jnp.log(m)
        - log_gamma2
    )
    return jnp.sum(jnp.atleast_1d(terms), axis=-1)


def exponential_loglike(
    background: Float[ArrayLike, "..."],
    power: Float[ArrayLike, "..."],
    weights: ArrayLike = 1.0,
) -> Array:
    """Weighted composite log-likelihood Σ w (-ln B - P/B) of χ²_2/2-distributed powers."""
    b, p = jnp.asarray(background), jnp.asarray(power)
    return jnp.sum(jnp.asarray(weights) * (-jnp.log(b) - p / b))


__all__ = ["exponential_loglike", "whittle_loglike", "wishart_loglike"]
