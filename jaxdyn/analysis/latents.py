"""How well inferred latent trajectories recover a known state (NumPy, after training)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def affine_alignment(latents: ArrayLike, truth: ArrayLike) -> tuple[np.ndarray, float]:
    """Least-squares affine map of ``latents`` (..., d) onto ``truth`` (..., k).

    Returns the mapped latents (shaped like ``truth``) and the R² of the fit,
    1 - Σ residual² / Σ (truth - mean)², pooled over the k coordinates (so weighted by
    their variances): the standard check that a latent model recovered, e.g., the Lorenz
    state behind synthetic spikes up to an affine change of coordinates.
    """
    latents, truth = np.asarray(latents, float), np.asarray(truth, float)
    if latents.shape[:-1] != truth.shape[:-1]:
        raise ValueError(
            f"latents and truth must share their leading axes, got {latents.shape} and "
            f"{truth.shape}"
        )
    x = latents.reshape(-1, latents.shape[-1])
    y = truth.reshape(-1, truth.shape[-1])
    xb = np.concatenate([x, np.ones((x.shape[0], 1))], axis=1)
    w, *_ = np.linalg.lstsq(xb, y, rcond=None)
    fit = xb @ w
    r2 = 1.0 - np.sum((fit - y) ** 2) / np.sum((y - y.mean(axis=0)) ** 2)
    return fit.reshape(truth.shape), float(r2)


__all__ = ["affine_alignment"]
