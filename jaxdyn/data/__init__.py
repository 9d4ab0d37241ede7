"""Datasets: deterministic generation and an on-disk cache keyed by the generating config."""

from .burgers import BurgersDataConfig, burgers_dataset
from .cache import cache_dir, cache_path, cached
from .lorenz_spikes import LorenzSpikes, LorenzSpikesConfig, load_lorenz_spikes

__all__ = [
    "BurgersDataConfig",
    "LorenzSpikes",
    "LorenzSpikesConfig",
    "burgers_dataset",
    "cache_dir",
    "cache_path",
    "cached",
    "load_lorenz_spikes",
]
