"""A time-varying power-law-plus-white background for local wavelet power, sampled by MCMC.

The hybrid noise model of paper 2: the expected local wavelet power of the noise at
Fourier period P and time t is

    B(P, t) = A(t) (P/P_ref)^α(t) + C(t),

a red (power-law) part and a white part whose parameters change smoothly in time,
ln A(t) = Σ_k a_k P_k(τ), α(t) = Σ_k b_k P_k(τ), ln C(t) = Σ_k c_k P_k(τ), with P_k the
Legendre polynomials of the normalised time τ = 2t/T - 1 ∈ [-1, 1] (degree d - 1; d = 1
is a stationary background). For a stationary spectrum S(f) = A' f^-α + C' the T&C
wavelet power is exactly of this form (:func:`jaxdyn.analysis.wavelets.power_law_background`),
so the model needs no detrending of the series: a changing noise level is a changing
A(t) or C(t).

Fitting uses the local wavelet power |W_n(s)|² ~ B χ²_2/2 inside the cone of influence
with the weighted composite likelihood of :func:`jaxdyn.analysis.likelihoods.exponential_loglike`:
neighbouring coefficients are correlated over γ s in time and δj0 in scale
(Torrence & Compo 1998, Table 2), so a point kept every ``stride`` samples counts
w = min(1, stride δt/(γ s)) min(1, δj/δj0) independent samples. The prior is Gaussian:
broad on the constant terms, N(0, ``smooth``²) on the higher Legendre coefficients
(the smoothness of the time variation). :func:`posterior_pvalue` turns posterior draws of
B into local significance: the posterior predictive probability E_post[exp(-P/B)] of
power at least as large as observed.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from .likelihoods import exponential_loglike
from .wavelets import DJ0, GAMMA, WaveletTransform


def legendre(tau: Float[Array, " n"], degree: int) -> Float[Array, "d n"]:
    """P_0..P_{degree-1} at τ (Bonnet's recursion)."""
    out = [jnp.ones_like(tau), tau]
    for k in range(1, degree - 1):
        out.append(((2 * k + 1) * tau * out[k] - k * out[k - 1]) / (k + 1))
    return jnp.stack(out[:degree])


class PowerLawBackground(eqx.Module):
    """Legendre coefficients of ln A(t), α(t) and ln C(t) (each of length d)."""

    log_amp: Float[Array, " d"]
    index: Float[Array, " d"]
    log_white: Float[Array, " d"]
    period_ref: float = eqx.field(static=True)

    def curves(self, tau: Float[Array, " n"]) -> tuple[Array, Array, Array]:
        """(ln A(t), α(t), ln C(t)) at normalised times τ."""
        basis = legendre(tau, self.log_amp.shape[0])
        return self.log_amp @ basis, self.index @ basis, self.log_white @ basis

    def power(self, period: Float[Array, " j"], tau: Float[Array, " n"]) -> Float[Array, "j n"]:
        """B(P, t) on the grid of periods x times."""
        la, al, lc = self.curves(tau)
        x = jnp.log(period / self.period_ref)[:, None]
        return jnp.exp(la[None, :] + al[None, :] * x) + jnp.exp(lc)[None, :]


def initial_background(w: WaveletTransform, degree: int, power=None) -> PowerLawBackground:
    """A stationary start: α = 1, A and C from the median power at long and short periods."""
    p = w.power if power is None else power
    period = np.asarray(w.period)
    pref = float(np.exp(np.mean(np.log(period))))
    mean_p = jnp.mean(p, axis=-1)
    j_short = 1
    j_ref = int(np.argmin(np.abs(period - pref)))
    zeros = jnp.zeros(degree - 1)
    return PowerLawBackground(
        log_amp=jnp.concatenate([jnp.log(mean_p[j_ref])[None], zeros]),
        index=jnp.concatenate([jnp.ones(1), zeros]),
        log_white=jnp.concatenate([jnp.log(0.5 * mean_p[j_short])[None], zeros]),
        period_ref=pref,
    )


class BackgroundData(eqx.Module):
    """The thinned, cone-restricted wavelet power the background is fitted to."""

    power: Float[Array, "j n"]
    weights: Float[Array, "j n"]
    period: Float[Array, " j"]
    tau: Float[Array, " n"]


def background_data(
    w: WaveletTransform,
    *,
    stride: int = 4,
    period_range: tuple[float, float] | None = None,
    power: Array | None = None,
) -> BackgroundData:
    """Every ``stride``-th time of the power inside the cone, weighted as independent
    samples (module docstring); ``period_range`` (min, max) restricts the periods."""
    p = w.power if power is None else power
    n = p.shape[-1]
    idx = np.arange(stride // 2, n, stride)
    period = np.asarray(w.period)
    keep = np.ones(period.shape, bool)
    if period_range is not None:
        keep = (period >= period_range[0]) & (period <= period_range[1])
    js = np.nonzero(keep)[0]
    scales = np.asarray(w.scales)[js]
    wj = np.minimum(1.0, stride * w.dt / (GAMMA * scales)) * min(1.0, w.dj / DJ0)
    inside = np.asarray(w.inside_coi)[np.ix_(js, idx)]
    weights = jnp.asarray(wj[:, None] * inside)
    tau = jnp.asarray(2.0 * idx / (n - 1) - 1.0)
    return BackgroundData(
        power=p[..., js[:, None], idx[None, :]],
        weights=weights,
        period=jnp.asarray(period[js]),
        tau=tau,
    )


def log_posterior(
    bg: PowerLawBackground, data: BackgroundData, *, smooth: float = 1.0
) -> Float[Array, ""]:
    """Composite log-likelihood of the thinned power plus the Gaussian prior."""
    b = bg.power(data.period, data.tau)
    ll = exponential_loglike(b, data.power, data.weights)
    prior = (
        -0.5
        * (
            jnp.sum(bg.log_amp[1:] ** 2)
            + jnp.sum(bg.log_white[1:] ** 2)
            + jnp.sum(bg.index[1:] ** 2)
        )
        / smooth**2
    )
    prior = prior - 0.5 * ((bg.index[0] - 1.0) / 3.0) ** 2
    prior = prior - 0.5 * (bg.log_amp[0] ** 2 + bg.log_white[0] ** 2) / 20.0**2
    return ll + prior


def posterior_pvalue(
    power: Float[Array, "j n"], backgrounds: Float[Array, "s j n"]
) -> Float[Array, "j n"]:
    """Posterior predictive p-value of each local power: mean over draws of exp(-P/B)."""
    return jnp.mean(jnp.exp(-power[None] / backgrounds), axis=0)


def draw_backgrounds(
    samples: dict[str, Array], period_ref: float, period: Array, tau: Array
) -> Float[Array, "s j n"]:
    """B(P, t) for every posterior draw (``samples`` from :func:`sample_nuts`)."""

    def one(la, al, lc):
        return PowerLawBackground(la, al, lc, period_ref).power(period, tau)

    return jax.vmap(one)(samples["log_amp"], samples["index"], samples["log_white"])


__all__ = [
    "BackgroundData",
    "PowerLawBackground",
    "background_data",
    "draw_backgrounds",
    "initial_background",
    "legendre",
    "log_posterior",
    "posterior_pvalue",
]
