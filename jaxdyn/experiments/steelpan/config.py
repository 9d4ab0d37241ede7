"""Configuration and presets of the steelpan experiment."""

from __future__ import annotations

from dataclasses import dataclass

from .._config import Config, param


@dataclass(frozen=True)
class SteelpanConfig(Config):
    image_size: int = param(64, "height = width of the images (pixels)", low=16, high=512)
    max_antinodes: int = param(4, "most antinode regions in one image", low=1, high=16)
    max_rings: int = param(
        11, "most interference rings (capped by what the image resolves)", low=0, high=30
    )
    min_spacing: float = param(3.0, "least distance between rings (pixels)", low=1.0, high=20.0)
    blur: float = param(0.5, "Gaussian blur of the images (pixels)", low=0.0, high=5.0)
    background: float = param(0.3, "amplitude of the background fringe pattern", low=0.0, high=1.0)
    train_noise_max: float = param(
        0.3, "training noise levels are drawn uniformly from [0, this]", low=0.0, high=2.0
    )
    noise: float = param(0.1, "noise level of the held-out test set", low=0.0, high=2.0)
    eval_noises: tuple[float, ...] = param(
        (0.0, 0.1, 0.2, 0.3, 0.5, 0.8), "noise levels of the noise sweep", low=0.0, high=5.0
    )
    stages: int = param(
        3, "stride-2 blocks of the CNN (grid = image_size / 2^stages)", low=1, high=6
    )
    width: int = param(16, "channels of the first block (doubling each block)", low=1, high=256)
    batch: int = param(32, "images per training step (fresh synthetic images each step)", low=1)
    steps: int = param(2000, "optimiser steps", low=1)
    lr: float = param(2e-3, "Adam learning rate (cosine decay to 5 % of it)", low=1e-6, high=1.0)
    n_test: int = param(256, "held-out test images", low=1)
    threshold: float = param(0.5, "objectness threshold of a detection", low=0.0, high=1.0)
    nms_distance: float = param(
        6.0, "suppress detections within this many pixels of a stronger one", low=0.0
    )
    match_radius: float = param(
        4.0, "a detection matches a region whose centre lies this close (pixels)", low=0.0
    )


PRESETS = {
    "tiny": SteelpanConfig(
        image_size=32,
        max_antinodes=1,
        stages=2,
        width=4,
        batch=4,
        steps=3,
        n_test=4,
        eval_noises=(0.0, 0.3),
    ),
    "quick": SteelpanConfig(batch=24, steps=700, n_test=128),
    "full": SteelpanConfig(image_size=128, stages=4, batch=24, steps=2000, n_test=512),
}
