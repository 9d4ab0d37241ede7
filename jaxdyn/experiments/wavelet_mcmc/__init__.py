"""Wavelet significance against an MCMC-inferred, time-varying noise background (paper 2).

Paper 2 (a hybrid noise inference for continuous wavelet power spectra): the background
of the local Morlet wavelet power (Torrence & Compo 1998) is a power law plus white
noise, B(P, t) = A(t) (P/P_ref)^α(t) + C(t), whose parameters vary smoothly in time
(here Legendre polynomials in time, :mod:`jaxdyn.analysis.wavelet_background`), sampled
by NUTS (blackjax) from the wavelet power itself, so that significance is local in time
and needs no detrending: the posterior predictive p-value E_post[exp(-|W|²/B)] at every
point, and a global (time-averaged) test with T&C's degrees of freedom at a period.

Reproduced here on synthetic non-stationary mixed noise (a power-law red component whose
amplitude ramps in time plus white noise whose level changes, both known exactly):

* injection-recovery by ``sweep``: sinusoids (and quasi-periodic signals, the
  :class:`~jaxdyn.systems.StochasticOscillator` integrated by ``simulate``) of several
  periods and frequency-domain S/N; detection rate vs S/N (paper: robust from S/N ≈ 2)
  and vs period (paper: from 3-4 samples to about a quarter of the series);
* false detections in pure noise against the nominal 5 %, globally per tested period and
  pointwise in the early and late halves, for the MCMC background and for the classical
  fixed AR(1) background (lag-1 autocorrelation and variance of the whole series);
* an example scalogram with both kinds of 95 % contours and the posterior of the
  background curves against the injected ones.
"""

from .config import PRESETS, WaveletMCMCConfig
from .run import run

__all__ = ["PRESETS", "WaveletMCMCConfig", "run"]
