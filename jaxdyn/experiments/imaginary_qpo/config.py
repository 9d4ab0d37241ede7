"""Configuration and presets of the imaginary_qpo experiment."""

from __future__ import annotations

from dataclasses import dataclass

from .._config import Config, param


@dataclass(frozen=True)
class ImaginaryQPOConfig(Config):
    dt: float = param(1 / 64, "light-curve bin (s); Nyquist 1/(2 dt)", low=1e-4, high=1.0)
    segment_size: float = param(16.0, "segment length (s) of the averaged spectra", low=1.0)
    segments: int = param(128, "segments averaged per observation", low=2)
    rate1: float = param(3000.0, "mean count rate of band 1 (soft), counts/s", low=1.0)
    rate2: float = param(800.0, "mean count rate of band 2 (hard), counts/s", low=1.0)
    broad_freq: tuple[float, ...] = param(
        (0.0, 3.0), "centroids of the broad components (Hz)", low=0.0
    )
    broad_width: tuple[float, ...] = param(
        (2.0, 6.0), "full widths of the broad components (Hz)", low=1e-3
    )
    broad_rms1: tuple[float, ...] = param(
        (0.20, 0.10), "fractional rms of the broad components, band 1", low=0.0, high=1.0
    )
    broad_rms2: tuple[float, ...] = param(
        (0.25, 0.15), "fractional rms of the broad components, band 2", low=0.0, high=1.0
    )
    broad_lag: tuple[float, ...] = param(
        (0.02, 0.3), "phase lags of the broad components (rad)", low=-3.2, high=3.2
    )
    qpo_freq: float = param(
        4.0, "centroid of the imaginary QPO in the fiducial observation (Hz)", low=0.01
    )
    qpo_quality: float = param(8.0, "quality factor Q = centroid / FWHM of the QPO", low=0.5)
    qpo_rms1: float = param(0.02, "fractional rms of the QPO in band 1", low=0.0, high=1.0)
    qpo_rms2: float = param(0.03, "fractional rms of the QPO in band 2", low=0.0, high=1.0)
    qpo_lag: float = param(
        1.5, "phase lag of the QPO (rad); near pi/2 it is 'imaginary'", low=-3.2, high=3.2
    )
    fit_steps: int = param(3000, "Adam steps of each maximum-likelihood fit", low=10)
    nuts_warmup: int = param(300, "NUTS adaptation steps (fiducial joint fit)", low=10)
    nuts_samples: int = param(500, "NUTS draws (fiducial joint fit)", low=10)
    sweep_freqs: tuple[float, ...] = param(
        (5.0, 4.0, 3.0, 2.0, 1.5, 1.0), "QPO centroids of the outburst-decay sweep (Hz)", low=0.05
    )
    sweep_seeds: int = param(8, "observations simulated per sweep frequency", low=1)
    detect_sigma: float = param(3.0, "detection threshold (Gaussian sigma of the LRT)", low=0.5)


PRESETS = {
    "tiny": ImaginaryQPOConfig(
        segment_size=8.0,
        segments=8,
        fit_steps=60,
        nuts_warmup=20,
        nuts_samples=20,
        sweep_freqs=(4.0, 1.0),
        sweep_seeds=1,
    ),
    "quick": ImaginaryQPOConfig(),
    "full": ImaginaryQPOConfig(
        fit_steps=4000,
        nuts_warmup=500,
        nuts_samples=1000,
        sweep_freqs=(5.0, 4.5, 4.0, 3.5, 3.0, 2.5, 2.0, 1.5, 1.25, 1.0),
        sweep_seeds=40,
    ),
}
