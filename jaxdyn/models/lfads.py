"""LFADS-style sequential VAE (the GRU-generator baseline of LangevinFlow).

Sussillo, Jozefowicz, Abbott & Pandarinath, "LFADS - Latent Factor Analysis via Dynamical
Systems", Nat. Methods 15, 805 (2018). The variant here is the autonomous one (no
controller / inferred inputs), which is what the Lorenz benchmark needs:

    q(g0 | x) = N(μ(x), diag σ²(x))    bidirectional GRU encoder over held-in spikes x
    g_t = GRU(g_{t-1}, 0),   f_t = W_f g_t,   log λ_t = W_r f_t + b_r
    x_t ~ Poisson(λ_t),      prior p(g0) = N(0, I).

:class:`GRUEncoder` is shared with :class:`jaxdyn.models.langevin_flow.LangevinFlow`, so
the two models differ only in their latent dynamics and readout.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray


class GRUEncoder(eqx.Module):
    """Bidirectional GRU over inputs ``(T, n_in)`` -> Gaussian (mean, log-variance)."""

    fwd: eqx.nn.GRUCell
    bwd: eqx.nn.GRUCell
    head: eqx.nn.Linear
    n_out: int = eqx.field(static=True)

    def __init__(self, n_in: int, n_out: int, hidden: int, *, key: PRNGKeyArray):
        k1, k2, k3 = jax.random.split(key, 3)
        self.fwd = eqx.nn.GRUCell(n_in, hidden, key=k1)
        self.bwd = eqx.nn.GRUCell(n_in, hidden, key=k2)
        self.head = eqx.nn.Linear(2 * hidden, 2 * n_out, key=k3)
        self.n_out = n_out

    def __call__(self, x: Float[Array, "T n_in"]) -> tuple[Array, Array]:
        def run(cell, xs):
            h0 = jnp.zeros(cell.hidden_size, dtype=xs.dtype)
            h, _ = jax.lax.scan(lambda h, xt: (cell(xt, h), None), h0, xs)
            return h

        h = jnp.concatenate([run(self.fwd, x), run(self.bwd, x[::-1])])
        out = self.head(h)
        mean, logvar = out[: self.n_out], out[self.n_out :]
        # Bounded log-variance keeps early training (large KL weight swings) finite.
        return mean, 5.0 * jnp.tanh(logvar / 5.0)


def gaussian_kl(mean: Array, logvar: Array) -> Array:
    """KL(N(mean, e^logvar) || N(0, I)), summed."""
    return 0.5 * jnp.sum(jnp.exp(logvar) + mean**2 - 1.0 - logvar)


def sample_posterior(mean, logvar, key, sample: bool) -> Array:
    if not sample:
        return mean
    return mean + jnp.exp(0.5 * logvar) * jax.random.normal(key, mean.shape, mean.dtype)


class LFADS(eqx.Module):
    """Autonomous LFADS: encoder -> g0 -> GRU generator -> factors -> log-rates."""

    encoder: GRUEncoder
    generator: eqx.nn.GRUCell
    factors: eqx.nn.Linear
    readout: eqx.nn.Linear
    n_bins: int = eqx.field(static=True)

    def __init__(
        self,
        n_in: int,
        n_neurons: int,
        n_bins: int,
        *,
        key: PRNGKeyArray,
        enc_hidden: int = 64,
        gen_hidden: int = 64,
        n_factors: int = 8,
    ):
        k1, k2, k3, k4 = jax.random.split(key, 4)
        self.encoder = GRUEncoder(n_in, gen_hidden, enc_hidden, key=k1)
        self.generator = eqx.nn.GRUCell(1, gen_hidden, key=k2)
        self.factors = eqx.nn.Linear(gen_hidden, n_factors, use_bias=False, key=k3)
        self.readout = eqx.nn.Linear(n_factors, n_neurons, key=k4)
        self.n_bins = n_bins

    def latents(self, x, key, *, sample: bool = True) -> tuple[Array, Array]:
        """Factor trajectory ``(n_bins, n_factors)`` and the KL of the initial condition."""
        mean, logvar = self.encoder(x)
        g0 = sample_posterior(mean, logvar, key, sample)
        zero = jnp.zeros((1,), g0.dtype)

        def step(g, _):
            g = self.generator(zero, g)
            return g, g

        # g0 is the state at bin 0; the generator produces bins 1 .. n_bins-1.
        _, gs = jax.lax.scan(step, g0, None, length=self.n_bins - 1)
        gs = jnp.concatenate([g0[None], gs])
        return jax.vmap(self.factors)(gs), gaussian_kl(mean, logvar)

    def __call__(self, x, key, *, sample: bool = True) -> tuple[Array, Array]:
        """Log-rates ``(n_bins, n_neurons)`` and KL, from held-in inputs ``x`` (T_obs, n_in)."""
        f, kl = self.latents(x, key, sample=sample)
        return jax.vmap(self.readout)(f), kl
