"""Koopman learning and its limits: EDMD fooled, Residual DMD not (paper 12).

Paper 12 (Colbrook, Mezić & Stepanenko, "Limits and powers of Koopman learning") asks when
spectral properties of Koopman operators can be learned from trajectory data, and answers
with algorithms that verify what they compute: Residual DMD (Colbrook & Townsend, Commun.
Pure Appl. Math. 77, 221 (2024)) attaches to every candidate eigenpair (λ, g) of the EDMD
matrix K = G⁻¹A its residual

    res(λ, g)² = Σ_j w_j |φ(y_j) - λ φ(x_j)|² / Σ_j w_j |φ(x_j)|²,   φ = Ψ g,

which converges to ||(𝒦 - λ)φ|| / ||φ|| as the snapshots increase, so that candidates with
res > ε are rejected and {z : min_g res(z, g) < ε} converges to the ε-pseudospectrum.
EDMD alone converges only weakly and "spectrally pollutes" (:mod:`jaxdyn.analysis.koopman`).

What the experiment shows, on the paper's standard examples:

* Gauss iterated map x → exp(-α x²) + β (α = 2, β = -1 - e^{-2}; Legendre dictionary,
  Gauss-Legendre quadrature): EDMD eigenvalues with large residuals appear and multiply
  as the dictionary grows (spectral pollution), ResDMD rejects them, the ε-pseudospectra
  converge as M grows; on the contracting variant (α = 1) the verified eigenvalues are the
  exact Koenigs eigenvalues (2/e)^k;
* quadrature: errors of the Galerkin matrices G, A, L against the number of nodes for
  Monte Carlo (N^{-1/2}), trapezoid (N^{-2}) and Gauss-Legendre (geometric) rules;
* the pendulum (measure-preserving, unitary Koopman operator; Fourier x Hermite-function
  dictionary on a trapezoid x Gauss grid of the cylinder): EDMD eigenvalues deep inside
  the unit disk, although the spectrum lies on the circle, with residuals bounded below by
  1 - |λ|; the pseudospectrum contracts onto the circle as M and the number of snapshots N
  grow;
* the Duffing oscillator (δ = 0.5, α = -1, β = 1; thin-plate RBF dictionary, Monte Carlo
  snapshots): the verified eigenvalues against e^{μΔt} of the stable spirals.
"""

from .config import PRESETS, KoopmanConfig
from .run import run

__all__ = ["PRESETS", "KoopmanConfig", "run"]
