"""A chemically active drop: from steady to chaotic self-propulsion (paper 22).

Model (:mod:`jaxdyn.systems.active_drop`; Morozov & Michelin, J. Chem. Phys. 150, 044110
(2019)): a spherical drop emits solute uniformly; the solute diffuses and is advected
(Péclet number Pe) by the Stokes flow that its surface gradients drive through
diffusiophoretic slip (mobility M_D) and Marangoni stresses (M_M); the flow is solved
exactly in Legendre modes and the drop is force-free. Discretised with Legendre modes in
angle and a mapped Chebyshev grid in r, as a semi-linear System. Reproduced:

* the linear stability of the motionless drop for each Legendre mode, by continuation in
  Pe of the mode's trivial branch: the mode-1 threshold (onset of steady propulsion)
  against the closed form on the truncated domain and, extrapolated, Pe = 4 (Michelin,
  Lauga & Bartolo, Phys. Fluids 25, 061701 (2013)); the higher modes' thresholds as the
  mobility ratio m = M_D / M_M grows (the paper: diffusiophoresis lowers them);
* nonlinear runs over (Pe, m): motionless, steady propulsion, a stopped drop with a
  symmetric (mode-2) flow, unsteady (oscillating or chaotic) motion; the regime diagram,
  the velocity series and the largest Lyapunov exponent of the most advective unsteady
  run (full preset).
"""

from .config import PRESETS, ActiveDropConfig
from .run import run

__all__ = ["ActiveDropConfig", "PRESETS", "run"]
