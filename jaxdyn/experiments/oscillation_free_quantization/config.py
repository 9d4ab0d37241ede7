"""Configuration and presets of the oscillation_free_quantization experiment."""

from __future__ import annotations

from dataclasses import dataclass

from .._config import Config, param


@dataclass(frozen=True)
class OFQConfig(Config):
    seeds: int = param(3, "independent seeds (full-precision model, batches, QAT)", low=1)
    dim: int = param(32, "embedding width of the ViT", low=4)
    depth: int = param(2, "transformer blocks", low=1)
    heads: int = param(2, "attention heads", low=1)
    mlp: int = param(64, "hidden width of each block's MLP", low=4)
    patch: int = param(2, "patch size on the 8x8 digits", choices=(1, 2, 4))
    batch: int = param(128, "batch size", low=8)
    fp_steps: int = param(2000, "full-precision training steps", low=1)
    fp_lr: float = param(
        3e-3, "peak AdamW learning rate of full-precision training", low=1e-6, high=1.0
    )
    bits: tuple[int, ...] = param((2, 3, 4), "bit widths (weights and activations)", low=2, high=8)
    methods: tuple[str, ...] = param(
        ("lsq", "statsq", "ofq"), "QAT recipes compared", choices=("lsq", "statsq", "ofq")
    )
    qat_steps: int = param(1000, "QAT steps at constant learning rate", low=1)
    anneal_steps: int = param(500, "annealing steps (cosine to 0; CGA freezes for ofq)", low=1)
    qat_lr: float = param(5e-4, "Adam learning rate of QAT", low=1e-7, high=1.0)
    cga_boundary: float = param(
        0.1,
        "CGA: weights within this many level spacings of a boundary keep training",
        low=0.0,
        high=0.5,
    )
    momentum: float = param(0.01, "EMA momentum of the oscillation tracker", low=1e-4, high=1.0)
    threshold: float = param(
        0.005, "oscillation frequency above which a weight counts as oscillating", low=0.0, high=0.5
    )
    log_every: int = param(10, "steps between logged oscillating fractions", low=1)


PRESETS = {
    "tiny": OFQConfig(
        seeds=1,
        dim=8,
        depth=1,
        mlp=16,
        batch=32,
        fp_steps=20,
        bits=(2,),
        qat_steps=10,
        anneal_steps=5,
        log_every=5,
    ),
    "quick": OFQConfig(
        seeds=1,
        bits=(2, 4),
        fp_steps=600,
        qat_steps=300,
        anneal_steps=150,
    ),
    "full": OFQConfig(seeds=3),
}
