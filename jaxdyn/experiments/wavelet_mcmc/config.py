"""Configuration and presets of the wavelet_mcmc experiment."""

from __future__ import annotations

from dataclasses import dataclass

from .._config import Config, param


@dataclass(frozen=True)
class WaveletMCMCConfig(Config):
    n: int = param(1024, "samples per series (time step 1)", low=64)
    dj: float = param(0.25, "scale spacing of the wavelet transform (octaves)", low=0.05, high=1.0)
    red_index: float = param(
        2.0, "power-law index of the red noise, S ~ f^-index", low=0.0, high=4.0
    )
    red_rms: float = param(1.0, "rms of the red noise before its time modulation", low=0.0)
    red_ramp: float = param(
        0.6, "red amplitude exp(ramp tau): its log changes linearly", low=0.0, high=3.0
    )
    white_rms: float = param(0.6, "rms of the white noise at its mean level", low=0.0)
    white_curvature: float = param(
        0.8, "white level exp(c (tau^2 - 1/3)): louder at the ends", low=0.0, high=3.0
    )
    degree: int = param(
        3, "Legendre terms of each background curve (1 = stationary)", low=1, high=6
    )
    stride: int = param(4, "time thinning of the wavelet power used in the fit", low=1)
    smooth: float = param(1.0, "prior width of the higher Legendre coefficients", low=0.01)
    nuts_warmup: int = param(300, "NUTS adaptation steps per series", low=10)
    nuts_samples: int = param(300, "NUTS draws per series", low=10)
    pvalue_draws: int = param(100, "posterior draws used for the local p-values", low=5)
    periods: tuple[float, ...] = param(
        (4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0), "injected periods (samples)", low=2.0
    )
    snrs: tuple[float, ...] = param((1.0, 2.0, 3.0, 5.0), "frequency-domain S/N targets", low=0.0)
    seeds: int = param(8, "series per (period, S/N) for sinusoids", low=1)
    qpo_quality: float = param(10.0, "quality factor of the quasi-periodic signals", low=1.0)
    qpo_seeds: int = param(4, "series per (period, S/N) for quasi-periodic signals", low=0)
    noise_seeds: int = param(40, "pure-noise series per tested period", low=1)
    level: float = param(0.95, "significance level of every test", low=0.5, high=0.999)
    chunk_size: int = param(32, "sweep members per compiled batch", low=1)


PRESETS = {
    "tiny": WaveletMCMCConfig(
        n=128,
        dj=0.5,
        nuts_warmup=15,
        nuts_samples=10,
        pvalue_draws=5,
        periods=(8.0,),
        snrs=(3.0,),
        seeds=2,
        qpo_seeds=0,
        noise_seeds=2,
        chunk_size=4,
    ),
    "quick": WaveletMCMCConfig(
        n=512,
        periods=(4.0, 16.0, 64.0),
        nuts_warmup=150,
        nuts_samples=150,
        pvalue_draws=30,
        seeds=4,
        qpo_seeds=2,
        noise_seeds=12,
    ),
    "full": WaveletMCMCConfig(
        periods=(3.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 384.0),
        snrs=(1.0, 1.5, 2.0, 3.0, 4.0, 6.0),
        seeds=10,
        qpo_seeds=4,
        noise_seeds=60,
    ),
}
