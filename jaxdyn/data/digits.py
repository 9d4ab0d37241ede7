"""The 8x8 handwritten digits of scikit-learn (UCI optdigits test set, 1797 images), split
into a stratified train and test set: a vision dataset that trains small models on a CPU
in minutes and needs no download (the images ship inside scikit-learn; install the
``test`` extra)."""

from __future__ import annotations

import numpy as np


def load_digits(test_fraction: float = 0.2, seed: int = 0) -> dict[str, np.ndarray]:
    """Images scaled to zero mean and unit variance (train statistics), shape (n, 8, 8),
    and integer labels 0-9; each class split ``test_fraction`` : rest with ``seed``."""
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must lie in (0, 1), got {test_fraction}")
    try:
        from sklearn.datasets import load_digits as sk_load
    except ImportError as err:  # pragma: no cover - the test extra installs it
        raise ImportError(
            "the digits dataset comes with scikit-learn: pip install 'jaxdyn[test]'"
        ) from err
    d = sk_load()
    images = d.images.astype(float) / 16.0
    labels = d.target.astype(np.int32)
    rng = np.random.default_rng(seed)
    test = np.zeros(labels.size, bool)
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        test[rng.choice(idx, int(round(test_fraction * idx.size)), replace=False)] = True
    mean, std = images[~test].mean(), images[~test].std()
    images = (images - mean) / std
    return {
        "train_x": images[~test],
        "train_y": labels[~test],
        "test_x": images[test],
        "test_y": labels[test],
    }


__all__ = ["load_digits"]
