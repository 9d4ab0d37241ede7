"""Datasets: deterministic generation and an on-disk cache keyed by the generating config."""

from .cache import cache_dir, cached, config_hash

__all__ = ["cache_dir", "cached", "config_hash"]
