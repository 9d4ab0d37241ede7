"""Configuration and presets of the cfc_vs_ltc experiment."""

from __future__ import annotations

from dataclasses import dataclass

from .._config import Config, param

MODELS = ("cfc", "ltc_ode", "ltc_fused", "gru")


@dataclass(frozen=True)
class CfCConfig(Config):
    models: tuple[str, ...] = param(MODELS, "models compared", choices=MODELS)
    parity_bits: int = param(12, "bits per stream of the parity task", low=2, high=64)
    pend_samples: int = param(24, "irregular samples per pendulum series", low=4)
    pend_rate: float = param(3.0, "Poisson sampling rate of the pendulum series", low=0.1)
    n_train: int = param(2048, "training sequences per task", low=16)
    n_test: int = param(1024, "test sequences per task", low=16)
    hidden: int = param(32, "hidden units (LTC: neurons)", low=2)
    backbone: int = param(64, "CfC backbone units", low=1)
    steps: int = param(600, "training steps per model and task", low=1)
    batch: int = param(64, "sequences per training step", low=1)
    lr: float = param(1e-2, "Adam learning rate", low=1e-6, high=1.0)
    ltc_rtol: float = param(1e-3, "relative tolerance of the LTC ODE solves", low=1e-10, high=0.1)
    timing_reps: int = param(5, "repetitions of each inference timing", low=1)


PRESETS = {
    "tiny": CfCConfig(
        models=("cfc", "ltc_ode", "gru"),
        parity_bits=4,
        pend_samples=6,
        n_train=64,
        n_test=32,
        hidden=4,
        backbone=8,
        steps=3,
        batch=8,
        timing_reps=1,
    ),  # fmt: skip
    "quick": CfCConfig(
        parity_bits=8,
        pend_samples=16,
        n_train=512,
        n_test=256,
        hidden=16,
        backbone=32,
        steps=150,
        batch=32,
    ),  # fmt: skip
    "full": CfCConfig(parity_bits=10, n_train=1024, n_test=256, hidden=16, backbone=32, steps=100),
}
