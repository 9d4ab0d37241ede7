"""LangevinFlow: a sequential VAE whose latent prior is underdamped Langevin dynamics.

Song et al., "Langevin Flows for Modeling Neural Latent Dynamics" (2025). Given spikes
x of the held-in neurons over the observed bins:

* encoder: a bidirectional GRU gives q(z0, v0 | x) = N(μ(x), diag σ²(x)) over the initial
  latent position and velocity (prior N(0, I));
* dynamics: the latent state follows the underdamped Langevin SDE
  ``dz = v dt, dv = (-∇U(z) - γ v) dt + σ dW`` with U a
  :class:`~jaxdyn.models.potentials.CoupledOscillatorPotential`; it is a jaxdyn System
  (:class:`~jaxdyn.systems.langevin.UnderdampedLangevin`) integrated by
  :func:`jaxdyn.simulate` with diffrax's Heun method at fixed steps (``substeps``
  per bin), Brownian increments from an explicit key, differentiated in reverse mode
  through simulate's scan of solver steps;
* decoder: a one-layer pre-norm Transformer (self-attention over time + MLP) maps the
  latent positions z(t_1..t_T) to log-rates of all neurons in all bins;
* objective: ELBO = E_q[log Poisson(x | λ)] - β KL(q(z0, v0) || p), with β annealed
  from 0 to 1, and coordinated dropout on the input (Keshtkaran & Pandarinath 2019):
  input entries are dropped at random and only the dropped held-in entries (plus all
  held-out neurons and forward bins) enter the likelihood, so the network cannot
  learn an identity map from input to output.

Standard choices where the abstract leaves one open (documented in docs/langevin_flow.md):
γ is learned per latent coordinate (softplus), σ is a fixed hyperparameter (the noise is
sampled from the prior, not inferred, so a learned σ would only be pushed to zero by the
likelihood), and the decoder sees positions only.

This module also holds the ELBO objective shared with the LFADS baseline
(:func:`elbo_training`: the loss, batches with coordinated dropout, KL annealing, AdamW
and validation by co-bps, as arguments of the one training loop
:func:`jaxdyn.models.train`), prediction and evaluation.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import diffrax as dfx
import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
from jaxtyping import Array, Float, PRNGKeyArray

from ..analysis import spikes as metrics
from ..core import simulate
from ..systems.langevin import UnderdampedLangevin
from .lfads import GRUEncoder, gaussian_kl, sample_posterior
from .potentials import CoupledOscillatorPotential


class TransformerDecoder(eqx.Module):
    """One pre-norm Transformer layer over time: latents ``(T, d)`` -> log-rates ``(T, N)``."""

    embed: eqx.nn.Linear
    pos: Float[Array, "T D"]
    norm1: eqx.nn.LayerNorm
    attn: eqx.nn.MultiheadAttention
    norm2: eqx.nn.LayerNorm
    mlp: eqx.nn.MLP
    norm_out: eqx.nn.LayerNorm
    readout: eqx.nn.Linear

    def __init__(self, d_latent: int, n_neurons: int, n_bins: int, *, key, width=32, heads=4):
        ks = jax.random.split(key, 5)
        self.embed = eqx.nn.Linear(d_latent, width, key=ks[0])
        self.pos = 0.02 * jax.random.normal(ks[1], (n_bins, width))
        self.norm1 = eqx.nn.LayerNorm(width)
        self.attn = eqx.nn.MultiheadAttention(heads, width, key=ks[2])
        self.norm2 = eqx.nn.LayerNorm(width)
        self.mlp = eqx.nn.MLP(width, width, 2 * width, 1, activation=jax.nn.gelu, key=ks[3])
        self.norm_out = eqx.nn.LayerNorm(width)
        self.readout = eqx.nn.Linear(width, n_neurons, key=ks[4])

    def __call__(self, z: Float[Array, "T d"]) -> Float[Array, "T N"]:
        h = jax.vmap(self.embed)(z) + self.pos.astype(z.dtype)
        a = jax.vmap(self.norm1)(h)
        h = h + self.attn(a, a, a)
        h = h + jax.vmap(self.mlp)(jax.vmap(self.norm2)(h))
        return jax.vmap(self.readout)(jax.vmap(self.norm_out)(h))


class LangevinFlow(eqx.Module):
    """GRU encoder -> (z0, v0) -> Langevin SDE (jaxdyn System) -> Transformer -> log-rates."""

    encoder: GRUEncoder
    potential: CoupledOscillatorPotential
    raw_gamma: Float[Array, " d"]
    decoder: TransformerDecoder
    d_latent: int = eqx.field(static=True)
    n_bins: int = eqx.field(static=True)
    dt: float = eqx.field(static=True)
    substeps: int = eqx.field(static=True)
    noise: float = eqx.field(static=True)

    def __init__(
        self,
        n_in: int,
        n_neurons: int,
        n_bins: int,
        *,
        key: PRNGKeyArray,
        d_latent: int = 8,
        enc_hidden: int = 64,
        dec_width: int = 32,
        dt: float = 0.1,
        substeps: int = 1,
        noise: float = 0.05,
        gamma0: float = 0.1,
    ):
        if not d_latent >= 1:
            raise ValueError(f"d_latent must be >= 1, got {d_latent}")
        if not dt > 0 or not substeps >= 1:
            raise ValueError(f"dt must be > 0 and substeps >= 1, got dt={dt}, substeps={substeps}")
        if not noise >= 0:
            raise ValueError(f"noise must be >= 0, got {noise}")
        k1, k2, k3 = jax.random.split(key, 3)
        self.encoder = GRUEncoder(n_in, 2 * d_latent, enc_hidden, key=k1)
        self.potential = CoupledOscillatorPotential(d_latent, key=k2)
        # softplus^-1(gamma0): the damping starts at gamma0 on every coordinate.
        self.raw_gamma = jnp.full((d_latent,), math.log(math.expm1(gamma0)), dtype=float)
        self.decoder = TransformerDecoder(d_latent, n_neurons, n_bins, key=k3, width=dec_width)
        self.d_latent, self.n_bins, self.dt = d_latent, n_bins, float(dt)
        self.substeps, self.noise = int(substeps), float(noise)

    @property
    def readout(self) -> eqx.nn.Linear:
        return self.decoder.readout

    def system(self, *, noise: bool = True) -> UnderdampedLangevin:
        """The latent prior as a jaxdyn System (σ = 0 when ``noise`` is False)."""
        return UnderdampedLangevin(
            self.potential,
            self.d_latent,
            gamma=jax.nn.softplus(self.raw_gamma),
            sigma=jnp.asarray(self.noise if noise else 0.0, self.raw_gamma.dtype),
        )

    def integrate(self, y0: Float[Array, " 2d"], key, *, noise: bool = True) -> Array:
        """Latent state ``(n_bins, 2d)`` at the bin times, from ``y0`` at bin 0."""
        # Concrete (NumPy) save times let simulate run the fixed-step SDE as a scan of
        # diffrax steps, reverse-differentiable without a Brownian tree.
        ts = np.arange(self.n_bins) * self.dt
        return simulate(
            self.system(noise=noise),
            float(ts[-1]),
            y0=y0,
            key=key,
            ts=ts,
            dt=self.dt / self.substeps,
            adaptive=False,
            solver=dfx.Heun(),
        ).ys.astype(y0.dtype)

    def latents(self, x, key, *, sample: bool = True) -> tuple[Array, Array]:
        """Latent trajectory ``(n_bins, 2d)`` (positions then velocities) and the KL."""
        k_post, k_noise = jax.random.split(key)
        mean, logvar = self.encoder(x)
        y0 = sample_posterior(mean, logvar, k_post, sample)
        return self.integrate(y0, k_noise, noise=sample), gaussian_kl(mean, logvar)

    def __call__(self, x, key, *, sample: bool = True) -> tuple[Array, Array]:
        """Log-rates ``(n_bins, n_neurons)`` and KL, from held-in inputs ``x`` (T_obs, n_in)."""
        ys, kl = self.latents(x, key, sample=sample)
        return self.decoder(ys[:, : self.d_latent]), kl


# --- training -----------------------------------------------------------------------------


def _dtype(model) -> jnp.dtype:
    return jax.tree_util.tree_leaves(eqx.filter(model, eqx.is_inexact_array))[0].dtype


def with_readout_bias(model, bias: Array):
    """Set the readout bias (log mean count per bin of each neuron): a standard VAE warm start."""
    return eqx.tree_at(lambda m: m.readout.bias, model, jnp.asarray(bias, _dtype(model)))


def poisson_ll(log_rates: Array, counts: Array) -> Array:
    """Element-wise Poisson log-likelihood ``k log λ - λ - log k!``."""
    return counts * log_rates - jnp.exp(log_rates) - jax.scipy.special.gammaln(counts + 1.0)


def make_batch(spikes, heldin, n_obs: int, key, cd_rate: float):
    """Model inputs and likelihood mask for a batch ``(B, T, N)`` with coordinated dropout.

    Held-in spikes over the observed bins are the input; a fraction ``cd_rate`` of its
    entries is zeroed (the rest rescaled by 1/(1 - cd_rate)) and only the zeroed ones
    count in the likelihood among the held-in observed entries.
    """
    x = spikes[:, :n_obs][..., heldin]
    mask = jnp.ones_like(spikes)
    if cd_rate > 0:
        keep = jax.random.bernoulli(key, 1.0 - cd_rate, x.shape).astype(x.dtype)
        x = x * keep / (1.0 - cd_rate)
        mask = mask.at[:, :n_obs, heldin].set(1.0 - keep)
    return x, mask


def elbo_loss(model, x, counts, mask, key, beta) -> Array:
    """Negative ELBO per likelihood entry: -(Σ mask·LL - β Σ KL) / Σ mask."""
    keys = jax.random.split(key, x.shape[0])
    log_rates, kl = jax.vmap(lambda xi, ki: model(xi, ki, sample=True))(x, keys)
    ll = jnp.sum(mask * poisson_ll(log_rates, counts))
    return -(ll - beta * jnp.sum(kl)) / jnp.sum(mask)


# The two factories below are cached: equal settings give the same objects, so the shared
# loop's compiled step (cached on loss, optimiser and schedules) is reused by a repeated or
# resumed run instead of being compiled again.
@functools.lru_cache(maxsize=16)
def elbo_optimizer(lr: float, steps: int, weight_decay: float = 1e-4):
    """AdamW with linear warm-up (the first 5 % of the steps) and cosine decay to lr/10,
    after clipping the gradient's global norm at 1."""
    sched = optax.warmup_cosine_decay_schedule(0.0, lr, max(1, steps // 20), steps, lr / 10)
    return optax.chain(
        optax.clip_by_global_norm(1.0), optax.adamw(sched, weight_decay=weight_decay)
    )


@functools.lru_cache(maxsize=16)
def kl_warmup(steps: int) -> Callable[[Array], Array]:
    """The KL weight β at step i: i / steps, capped at 1 (linear annealing from 0)."""
    return lambda i: jnp.minimum(1.0, i / max(steps, 1))


@functools.partial(jax.jit, static_argnames=("batch_size", "heldin", "n_obs", "cd_rate"))
def _elbo_batch(key, spikes, *, batch_size: int, heldin: tuple, n_obs: int, cd_rate: float):
    k_idx, k_cd = jax.random.split(key)
    idx = jax.random.choice(k_idx, spikes.shape[0], (batch_size,), replace=False)
    counts = spikes[idx]
    x, mask = make_batch(counts, np.asarray(heldin), n_obs, k_cd, cd_rate)
    return x, counts, mask


def _elbo_step_loss(model, batch, key, *, beta):
    x, counts, mask = batch
    return elbo_loss(model, x, counts, mask, key, beta.astype(counts.dtype))


def elbo_training(
    train_spikes,
    valid_spikes,
    heldin,
    heldout,
    n_obs: int,
    *,
    key: PRNGKeyArray,
    steps: int = 500,
    batch_size: int = 64,
    lr: float = 5e-3,
    weight_decay: float = 1e-4,
    cd_rate: float = 0.3,
    kl_warmup_steps: int = 200,
    eval_every: int = 50,
    dtype=None,
) -> dict:
    """The arguments of :func:`jaxdyn.models.train` that fit LangevinFlow or LFADS by the ELBO.

    Returns ``{"loss_fn", "batch_fn", "optimizer", "steps", "key", "schedules",
    "validate", "validate_every"}``: pass them with the model,
    ``train(model=model, **elbo_training(...))`` or ``ctx.train(name, model=model, ...)``.
    Each step draws ``batch_size`` training trials without replacement and a coordinated
    dropout mask from the batch key (:func:`make_batch`), posterior and SDE noise samples
    from the loss key; the KL weight β follows :func:`kl_warmup`; the optimiser is
    :func:`elbo_optimizer`. Every ``eval_every`` steps (and at the end) the validation
    co-bps of the posterior mean is computed and the best model kept.
    """
    if steps < 1 or batch_size < 1:
        raise ValueError(f"steps and batch_size must be >= 1, got {steps}, {batch_size}")
    if not 0 <= cd_rate < 1:
        raise ValueError(f"cd_rate must lie in [0, 1), got {cd_rate}")
    dtype = dtype or jnp.result_type(float)
    spikes = jnp.asarray(train_spikes, dtype)
    valid_spikes = np.asarray(valid_spikes)
    heldin_t = tuple(int(i) for i in np.asarray(heldin))
    heldout = np.asarray(heldout)
    x_valid = valid_spikes[:, :n_obs][..., np.asarray(heldin_t)]
    batch_kw = dict(
        batch_size=min(batch_size, spikes.shape[0]),
        heldin=heldin_t,
        n_obs=int(n_obs),
        cd_rate=float(cd_rate),
    )

    def batch_fn(k):
        return _elbo_batch(k, spikes, **batch_kw)

    def validate(model) -> float:
        rates = predict_rates(model, x_valid, key)
        return metrics.co_bps(rates, valid_spikes, heldout, n_obs)

    return {
        "loss_fn": _elbo_step_loss,
        "batch_fn": batch_fn,
        "optimizer": elbo_optimizer(float(lr), int(steps), float(weight_decay)),
        "steps": int(steps),
        "key": key,
        "schedules": {"beta": kl_warmup(int(kl_warmup_steps))},
        "validate": validate,
        "validate_every": int(eval_every),
    }


# --- prediction and evaluation ------------------------------------------------------------


@eqx.filter_jit
def _rates_batch(model, x, key, n_samples: int):
    def one(xi, ki):
        if n_samples == 0:
            lr, _ = model(xi, ki, sample=False)
            return jnp.exp(lr)
        ks = jax.random.split(ki, n_samples)
        lr, _ = jax.vmap(lambda k: model(xi, k, sample=True))(ks)
        return jnp.mean(jnp.exp(lr), axis=0)

    return jax.vmap(one)(x, jax.random.split(key, x.shape[0]))


def predict_rates(model, x, key, *, n_samples: int = 0, batch: int = 256) -> np.ndarray:
    """Inferred rates (counts/bin) ``(trials, n_bins, N)`` from held-in inputs ``x``.

    ``n_samples = 0`` decodes the posterior mean with the SDE noise off; otherwise the
    rates are averaged over ``n_samples`` posterior and noise samples.
    """
    x = jnp.asarray(x, _dtype(model))
    out = [
        np.asarray(_rates_batch(model, x[i : i + batch], jax.random.fold_in(key, i), n_samples))
        for i in range(0, x.shape[0], batch)
    ]
    return np.concatenate(out).astype(np.float64)


def evaluate(rates, counts, true_rates, heldout, n_obs: int) -> dict[str, float]:
    """NLB metrics of predicted ``rates`` on ``counts``: co-bps, fp-bps, R² and correlation."""
    obs = slice(0, n_obs)
    return {
        "co_bps": metrics.co_bps(rates, counts, heldout, n_obs),
        "fp_bps": metrics.fp_bps(rates, counts, n_obs),
        "rate_r2": metrics.rate_r2(rates[:, obs], true_rates[:, obs]),
        "rate_r2_heldout": metrics.rate_r2(
            rates[:, obs][..., heldout], true_rates[:, obs][..., heldout]
        ),
        "rate_corr": metrics.rate_correlation(rates, true_rates),
    }


def infer_latents(model, x, key) -> np.ndarray:
    """Posterior-mean latent trajectories ``(trials, n_bins, ·)`` (noise off) for inputs ``x``."""
    x = jnp.asarray(x, _dtype(model))
    fn = eqx.filter_jit(lambda m, x: jax.vmap(lambda xi: m.latents(xi, key, sample=False)[0])(x))
    return np.asarray(fn(model, x)).astype(np.float64)
