"""Moment closure validity (paper 6: Schnoerr, Sanguinetti & Grima, J. Chem. Phys. 141,
084103 (2014)): when do the closed moment equations of stochastic chemical kinetics
describe the chemical master equation?

Networks (:mod:`jaxdyn.systems.chemical_networks`, ``"rate"`` propensity convention
unless stated): the monostable dimerisation ∅ -> X (k1 Ω), 2X -> ∅ (k2 x(x-1)/Ω), whose
stationary law is known in Bessel functions (:mod:`jaxdyn.analysis.cme_exact`); the
bistable Schlögl network ∅ ⇌ X, 2X ⇌ 3X with rate equation -(φ-1)(φ-2)(φ-3); the
oscillatory Brusselator ∅ -> X, X -> Y, 2X + Y -> 3X, X -> ∅ past its Hopf point.
Moment equations up to order K = 2..4 are derived exactly from the stoichiometry and
closed by the normal (cumulant-neglect), zero (central-moment neglect), Poisson and
log-normal closures (:mod:`jaxdyn.analysis.moments`). Ground truth: the CME by finite
state projection (:mod:`jaxdyn.analysis.fsp`) and exact SSA ensembles swept through
``jaxdyn.sweep``.

Reproduced:

* monostable: the closure has a stable physical steady state only above a threshold of
  the system size (hence of the CME mean); below it the equations blow up. The 2nd-order
  normal threshold is found by bisection and checked against its closed form
  a_c = 5.96449 (CME mean 1.868 molecules);
* bistable: at large Ω the closure's steady state depends on the initial condition
  while the CME has one (bimodal) stationary law, which SSA ensembles from both wells
  reach at moderate Ω;
* oscillatory: at large Ω the closure oscillates for ever while the SSA ensemble mean
  (the CME) damps; with both propensity conventions;
* the phase diagram of the long-time behaviour (valid, multiple, oscillating,
  unphysical, diverged) over Ω for every closure and order.
"""

from .config import PRESETS, MomentClosureConfig
from .run import run

__all__ = ["PRESETS", "MomentClosureConfig", "run"]
