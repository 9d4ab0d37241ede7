"""Configuration and presets of the langevin_flow experiment."""

from __future__ import annotations

from dataclasses import dataclass

from .._config import Config, param


@dataclass(frozen=True)
class LangevinFlowConfig(Config):
    n_trials: int = param(300, "trials of the Lorenz spiking data (60/20/20 split)", low=10)
    n_neurons: int = param(30, "neurons", low=2)
    n_heldout: int = param(8, "held-out neurons (predicted from the held-in ones)", low=1)
    n_bins: int = param(50, "bins per trial (20 ms)", low=4)
    n_fwd: int = param(10, "forward-prediction bins at the end of each trial", low=1)
    train_seeds: int = param(
        1, "training seeds of each model (initialisation, batches, dropout, samples)", low=1
    )
    steps: int = param(300, "optimiser steps of each model", low=1)
    batch_size: int = param(64, "trials per batch", low=1)
    lr: float = param(5e-3, "peak learning rate (warm-up, cosine decay)", low=1e-6, high=1.0)
    weight_decay: float = param(1e-4, "AdamW weight decay", low=0.0, high=1.0)
    d_latent: int = param(8, "LangevinFlow latent dimension d (position and velocity)", low=1)
    enc_hidden: int = param(64, "GRU encoder units (both models)", low=1)
    dec_width: int = param(32, "Transformer decoder width (a multiple of its 4 heads)", low=4)
    lfads_hidden: int = param(64, "LFADS generator units", low=1)
    lfads_factors: int = param(8, "LFADS factors", low=1)
    noise: float = param(0.05, "latent SDE noise σ", low=0.0)
    cd_rate: float = param(0.3, "coordinated-dropout rate", low=0.0, high=0.9)
    kl_warmup: int = param(100, "steps of the linear KL-weight annealing 0 -> 1", low=1)
    eval_every: int = param(50, "validation co-bps cadence (the best model is kept)", low=1)
    eval_samples: int = param(
        0, "posterior samples averaged for the test rates (0: posterior mean)", low=0
    )
    smooth_sigmas: tuple[float, ...] = param(
        (1.0, 2.0, 3.0, 5.0), "kernel widths (bins) tried by the smoothing baseline", low=0.1
    )
    n_bootstrap: int = param(1000, "bootstrap resamples of the test trials", low=10)

    def __post_init__(self):
        super().__post_init__()
        if self.n_heldout >= self.n_neurons:
            raise ValueError(
                f"config 'n_heldout' must be < n_neurons={self.n_neurons}, got {self.n_heldout}"
            )
        if self.dec_width % 4:
            raise ValueError(f"config 'dec_width' must be a multiple of 4, got {self.dec_width}")
        if self.n_fwd >= self.n_bins:
            raise ValueError(f"config 'n_fwd' must be < n_bins={self.n_bins}, got {self.n_fwd}")


PRESETS = {
    "tiny": LangevinFlowConfig(
        n_trials=30,
        train_seeds=2,
        n_neurons=10,
        n_heldout=3,
        n_bins=12,
        n_fwd=3,
        steps=4,
        batch_size=8,
        d_latent=2,
        enc_hidden=8,
        dec_width=8,
        lfads_hidden=8,
        lfads_factors=2,
        kl_warmup=2,
        eval_every=2,
        smooth_sigmas=(2.0,),
        n_bootstrap=20,
    ),
    "quick": LangevinFlowConfig(),
    "full": LangevinFlowConfig(
        n_trials=1000,
        train_seeds=5,
        steps=2000,
        kl_warmup=500,
        eval_every=100,
        eval_samples=8,
    ),
}
