"""Diffusion sensing: signalling cells coupled through a diffusive bulk (paper 4).

Model (:mod:`jaxdyn.systems.cell_bulk`): a bulk chemical U diffuses (D) and decays (σ)
in a 2-D domain outside N small circular cells of radius ε with permeable membranes,
ε D ∂_r U = d_1 U - d_2 u_1 on each membrane; inside each cell Sel'kov kinetics
u' = F(u) + (e_1/ε)∮(d_1 U - d_2 u_1) ds, with parameters (α, μ, ζ) = (0.9, 2, 0.15) for
which an isolated cell is quiescent (Gou & Ward, J. Nonlinear Sci. 26 (2016); Iyaniwura
& Ward, SIAM J. Appl. Dyn. Syst. 20 (2021)). Reproduced:

* the large-D reduced ODE for the averaged bulk coupled to the cells: its steady state
  continued in the cell density, the Hopf points where oscillations switch on ("quorum
  sensing") and where high density quenches them, and the Hopf boundary in (density,
  d_2) by two-parameter continuation over a brute-force map of simulated amplitudes;
* the finite-D globally coupled eigenvalue problem (GCEP, from matched asymptotics with
  the modified-Helmholtz Green's function of the disk, :mod:`jaxdyn.analysis.cell_bulk`):
  the synchronous Hopf point of cells on a ring continued in (D, d_2), approaching the
  ODE's as D grows, and the response of the asynchronous modes;
* validation against the full PDE-ODE model (one cell at the centre of a disk, exact
  radial reduction, finite volumes in log r): the Hopf point of the discretised model
  (continuation on the discretised PDE) against the GCEP as ε shrinks and against the
  ODE as D grows, and direct simulations either side of onset.
"""

from .config import PRESETS, DiffusionSensingConfig
from .run import run

__all__ = ["PRESETS", "DiffusionSensingConfig", "run"]
