"""Delayed repression: Hopf threshold of the delayed replicator and ABM runaway (paper 10).

Stage 1 (:mod:`jaxdyn.systems.replicator`): dx/dt = x(1-x)[b - c s(x(t-τ))] with a
sigmoid alarm of steepness k. Closed form: τ_c = π/(2A), A = x*(1-x*) k b (1-b/c), onset
angular frequency ω = A (period 4 τ_c). Checked by

* a phase diagram of the oscillation amplitude over (delay τ, steepness k), a ``sweep``
  with the delay as a grid axis, with the closed-form boundary drawn on it;
* for each k, a scan of τ just above the predicted τ_c: A² = a (τ - τ_c,sim) (Hopf normal
  form) gives the simulated onset, compared with theory;
* for the default k, the amplitude exponent (A ∝ (τ - τ_c)^γ, γ = 1/2 if supercritical)
  and the period extrapolated to onset vs 2π/ω.

Stage 2 (:mod:`jaxdyn.systems.repression_abm`): N = 240 agents on a small-world network,
runaway rate (with 95 % Wilson intervals) against the institutional delay for
non-reactive, reactive and Q-learning agents (a sweep over delay x seeds of the ABM map),
beside the paper's numbers.

The package shows the shape every experiment takes: a typed config with ``tiny``,
``quick`` and ``full`` presets (this module), the computation (:mod:`.run`) and the
figures (:mod:`.figures`) apart, and every output written through the run context.
"""

from .config import PRESETS, DelayedRepressionConfig
from .run import run

__all__ = ["PRESETS", "DelayedRepressionConfig", "run"]
