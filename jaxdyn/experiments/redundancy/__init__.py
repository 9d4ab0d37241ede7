"""Synchronization and redundancy: error of coupled noisy gradient learners vs theory (paper 13).

n learners in R^d, each a noisy gradient descent on a loss f, coupled diffusively over a
graph with Laplacian L (:class:`~jaxdyn.systems.redundancy.RedundantGradientNetwork`):

    dx_i = [-∇f(x_i) + k Σ_j A_ij (x_j - x_i)] dt + σ dW_i,   dX = [-∇F(X) - k L X] dt + σ dW.

J. Bouvrie and J.-J. Slotine, "Synchronization and redundancy: implications for
robustness of neural learning and decision making", Neural Comput. 23, 2915 (2011);
bounds in the stochastic-contraction style of Q.-C. Pham, N. Tabareau and J.-J. Slotine,
IEEE TAC 54, 816 (2009).

For each graph (ring, complete, star, Erdős–Rényi) and each loss (quadratic: exact
theory; L2-regularised logistic regression: contraction bounds), one resumable sweep
over coupling strength k x noise σ x seeds, the graph Laplacian a field of the base
system. Each member starts at the optimum, runs a burn-in, then time-averages
|x̄ - x*|², |x_i - x*|² and the spread (1/n) Σ |x_i - x̄|² over saves on the Heun step
grid (:func:`jaxdyn.analysis.averages.time_average`). Reproduced:

* the quadratic averages against the exact stationary values, both of the SDE and of the
  Heun chain actually simulated (their difference is the discretisation bias), with
  z-scores over seeds;
* the redundancy gain: the network mean's error is the single learner's over n;
* the logistic averages inside the contraction bounds (3 standard errors), and how tight
  the upper bounds are at strong coupling;
* the collapse of the spread on k λ₁ (algebraic connectivity).
"""

from .config import PRESETS, RedundancyConfig
from .run import run

__all__ = ["PRESETS", "RedundancyConfig", "run"]
