"""Imaginary QPOs: a narrow component seen only in the imaginary cross spectrum (paper 15).

Model (Méndez et al. 2024, MNRAS 527, 9405; Bellavita et al. 2025, paper 15): the power
spectra of two energy bands are sums of Lorentzians L_i (Belloni, Psaltis & van der
Klis 2002), each coherent across the bands with its own phase lag φ_i and incoherent
with the others, so the cross spectrum is G(f) = Σ_i √(L_1i L_2i) e^{iφ_i}
(:class:`jaxdyn.analysis.lorentzians.MultiLorentzian`). A narrow QPO with φ ≈ π/2
overlapping a broad component adds almost nothing to Re G and the power spectra but a
narrow bump to Im G, and drags the coherence |G|²/(S_1 S_2) down and the lag up at its
frequency.

Reproduced here with simulated NICER-like data (Timmer & König light curves of the
components, Poisson counts, 1/64 s bins, 16 s segments):

* a fiducial observation with the QPO at 4 Hz: likelihood-ratio significance of the QPO
  in each band's power spectrum alone (Whittle) and in the joint fit of both power
  spectra and the real and imaginary cross spectrum (complex Wishart likelihood); the
  recovered centroid, width, rms and lag (maximum likelihood with Laplace errors and a
  NUTS posterior); the measured intrinsic coherence and phase lags against the fitted
  model, with and without the QPO; the size of the coherence drop and lag jump;
* the outburst decay: the QPO centroid swept from 5 Hz to 1 Hz (Q fixed), many
  observations per frequency: detection rates in PS1, PS2 and jointly, and the recovered
  parameters.
"""

from .config import PRESETS, ImaginaryQPOConfig
from .run import run

__all__ = ["PRESETS", "ImaginaryQPOConfig", "run"]
