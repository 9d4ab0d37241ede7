"""Synthetic spiking data driven by the Lorenz attractor (the LFADS / LangevinFlow benchmark).

Each trial is a stretch of the Lorenz system (σ = 10, ρ = 28, β = 8/3) integrated by
:func:`jaxdyn.simulate` (vmapped over trials) from a random initial condition after
a burn-in that puts it on the attractor. The three coordinates are z-scored over the
whole data set, ``x(t)``, and each neuron n fires as an inhomogeneous Poisson process
binned at ``bin_ms``::

    log λ_n(t) = log(r_n Δ) + g · (W x(t))_n,     W_nk ~ N(0, 1/3),  counts ~ Poisson(λ_n)

with baseline rates ``r_n`` log-uniform around ``base_rate_hz`` and a gain ``g``. With the
defaults (15 Hz, gain 0.6, 20 ms bins) the rates span roughly 3-60 Hz, as in the
synthetic Lorenz data of Sussillo et al. (LFADS, Nat. Methods 2018) and Song et al. 2025.

The benchmark protocol follows the Neural Latents Benchmark (Pei et al. 2021): the first
``n_heldin`` neurons are held in, the rest held out; the first ``n_obs`` bins are observed
and the remaining bins are the forward-prediction window. Models see held-in neurons over
the observed bins of evaluation trials and must predict held-out neurons (co-smoothing)
and every neuron in the forward window.

Generation is deterministic given the config (its ``seed`` makes the key) and cached on
disk as ``npz`` by :func:`jaxdyn.data.cache.cached` (``$JAXDYN_CACHE``, default
``<repo>/.cache/jaxdyn``), keyed by the config's :meth:`~jaxdyn.experiments.Config.hash`,
so reruns regenerate nothing.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from ..core import simulate
from ..experiments._config import Config, param
from ..systems.lorenz import Lorenz
from .cache import cached

#: bumped whenever the generator's output changes for the same configuration
_VERSION = 1


@dataclasses.dataclass(frozen=True)
class LorenzSpikesConfig(Config):
    """Parameters of the synthetic data set (validated on construction; ``seed`` makes
    the PRNG key)."""

    n_trials: int = param(300, "trials", low=10)
    n_bins: int = param(50, "bins per trial", low=4)
    n_fwd: int = param(10, "forward-prediction bins at the end of each trial", low=1)
    n_neurons: int = param(30, "neurons", low=2)
    n_heldout: int = param(8, "held-out neurons (the last ones)", low=1)
    bin_ms: float = param(20.0, "bin width in ms", low=1e-3)
    dt_lorenz: float = param(0.02, "Lorenz time units per bin", low=1e-6)
    burn_in: float = param(5.0, "Lorenz time before the first bin", low=0.0)
    base_rate_hz: float = param(15.0, "typical baseline firing rate, Hz", low=1e-3)
    gain: float = param(0.6, "gain of the latent state in the log-rate", low=1e-6)
    frac_valid: float = param(0.2, "fraction of trials in the validation split", low=1e-3)
    frac_test: float = param(0.2, "fraction of trials in the test split", low=1e-3)

    def __post_init__(self):
        super().__post_init__()
        if self.n_heldout >= self.n_neurons:
            raise ValueError(
                f"n_heldout must be < n_neurons={self.n_neurons}, got {self.n_heldout}"
            )
        if self.n_fwd >= self.n_bins:
            raise ValueError(f"n_fwd must be < n_bins={self.n_bins}, got {self.n_fwd}")
        if not self.frac_valid + self.frac_test < 0.9:
            raise ValueError(
                "frac_valid + frac_test must be below 0.9, got "
                f"{self.frac_valid} + {self.frac_test}"
            )

    @property
    def n_obs(self) -> int:
        return self.n_bins - self.n_fwd

    @property
    def n_heldin(self) -> int:
        return self.n_neurons - self.n_heldout


@dataclasses.dataclass(frozen=True)
class LorenzSpikes:
    """A generated data set. Arrays are NumPy; index trials with ``train``/``valid``/``test``.

    Attributes:
        spikes: counts, ``(trials, bins, neurons)``, int32.
        rates: true expected counts per bin, same shape, float64.
        latents: the z-scored Lorenz state, ``(trials, bins, 3)``.
        train, valid, test: trial indices of the three splits.
        config: the generating config.
    """

    spikes: np.ndarray
    rates: np.ndarray
    latents: np.ndarray
    train: np.ndarray
    valid: np.ndarray
    test: np.ndarray
    config: LorenzSpikesConfig

    @property
    def heldin(self) -> np.ndarray:
        return np.arange(self.config.n_heldin)

    @property
    def heldout(self) -> np.ndarray:
        return np.arange(self.config.n_heldin, self.config.n_neurons)

    @property
    def n_obs(self) -> int:
        return self.config.n_obs

    @property
    def bin_s(self) -> float:
        return self.config.bin_ms / 1000.0

    def split(self, name: str) -> dict[str, np.ndarray]:
        """Arrays of one split: ``spikes``, ``rates``, ``latents``."""
        if name not in ("train", "valid", "test"):
            raise ValueError(f"split must be 'train', 'valid' or 'test', got {name!r}")
        idx = getattr(self, name)
        return {"spikes": self.spikes[idx], "rates": self.rates[idx], "latents": self.latents[idx]}


def _generate(cfg: LorenzSpikesConfig) -> dict[str, np.ndarray]:
    key = jax.random.PRNGKey(cfg.seed)
    k_ic, k_w, k_b, k_spk, k_split = jax.random.split(key, 5)
    system = Lorenz()
    ts = cfg.burn_in + cfg.dt_lorenz * jnp.arange(cfg.n_bins)

    def one(k):
        y0 = system.initial_state(k)
        # Tight tolerances: chaos amplifies error, and the data must not depend on dtype
        # beyond the rounding of the final z-scored state.
        return simulate(system, ts[-1], y0=y0, ts=ts, rtol=1e-7, atol=1e-7).ys

    xs = np.asarray(jax.jit(jax.vmap(one))(jax.random.split(k_ic, cfg.n_trials)), np.float64)
    if not np.all(np.isfinite(xs)):
        raise RuntimeError("Lorenz integration produced non-finite values")
    flat = xs.reshape(-1, 3)
    latents = (xs - flat.mean(axis=0)) / flat.std(axis=0)

    w = np.asarray(jax.random.normal(k_w, (3, cfg.n_neurons)), np.float64) / np.sqrt(3.0)
    log_base = np.log(cfg.base_rate_hz * cfg.bin_ms / 1000.0) + np.asarray(
        jax.random.uniform(k_b, (cfg.n_neurons,), minval=-0.5, maxval=0.5), np.float64
    )
    rates = np.exp(log_base + cfg.gain * latents @ w)
    spikes = np.asarray(jax.random.poisson(k_spk, jnp.asarray(rates)), np.int32)

    perm = np.asarray(jax.random.permutation(k_split, cfg.n_trials))
    n_valid = max(1, int(round(cfg.frac_valid * cfg.n_trials)))
    n_test = max(1, int(round(cfg.frac_test * cfg.n_trials)))
    n_train = cfg.n_trials - n_valid - n_test
    return {
        "spikes": spikes,
        "rates": rates,
        "latents": latents,
        "train": np.sort(perm[:n_train]),
        "valid": np.sort(perm[n_train : n_train + n_valid]),
        "test": np.sort(perm[n_train + n_valid :]),
    }


def load_lorenz_spikes(
    config: LorenzSpikesConfig | None = None, *, cache: bool = True, **overrides
) -> LorenzSpikes:
    """Generate (or read from the on-disk cache) the Lorenz spiking data set.

    Args:
        config: a :class:`LorenzSpikesConfig`; keyword ``overrides`` replace its fields.
        cache: read/write ``lorenz_spikes-v1-<hash>.npz`` in
            :func:`jaxdyn.data.cache.cache_dir`.
    """
    cfg = (config or LorenzSpikesConfig()).replace(**overrides)
    if cache:
        arrays = cached(f"lorenz_spikes-v{_VERSION}", cfg, lambda: _generate(cfg))
    else:
        arrays = _generate(cfg)
    return LorenzSpikes(config=cfg, **arrays)
