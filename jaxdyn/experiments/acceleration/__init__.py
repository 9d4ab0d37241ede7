"""Acceleration: first-order optimisation methods as dynamical systems (paper 17).

Paper 17 ("On the dynamics of acceleration in first order gradient methods") explains
Nesterov's method, the triple momentum method and heavy ball's failure through
dynamical-systems tools: passivity and immersion, and geometric singular perturbation.
This experiment builds the methods as jaxdyn systems (:mod:`jaxdyn.systems.optimizer_flows`,
:mod:`jaxdyn.systems.optimizer_maps`) and checks, against exact references:

* the Su-Boyd-Candès ODE ẍ + (3/t) ẋ + ∇f(x) = 0 (W. Su, S. Boyd and E. J. Candès, JMLR
  17(153) (2016)) on a quadratic against its Bessel solution x(t) = 2 J₁(√λ t)/(√λ t) x₀
  and its bound f(x(t)) - f* ≤ 2|x₀ - x*|²/t²; NAG-C's iterates against the ODE at
  t = k√s as s -> 0 (order √s), and against the high-resolution NAG-C ODE;
* the worst-case linear rates of gradient descent, Polyak's heavy ball, Nesterov's
  method and the triple momentum method (Van Scoy, Freeman and Lynch 2018) on strongly
  convex quadratics vs the condition number κ: the textbook rate, the spectral radius of
  the iteration matrix and the rate measured on simulated iterates (a vmapped run per κ);
  and the rate against the step size (a ``sweep`` per method);
* the high-resolution ODEs of Shi, Du, Jordan and Su (Math. Program. 195, 79 (2022)):
  heavy ball and NAG-SC share one low-resolution ODE, and each is closest to its own
  high-resolution ODE;
* heavy ball's non-convergence on the Lessard-Recht-Packard function (SIAM J. Optim. 26,
  57 (2016)): the attracting period-3 cycle, computed exactly, and the fate of a grid of
  starts for each method;
* acceleration read through geometric singular perturbation (N. Fenichel 1979): the
  momentum system ẋ = v, ε v̇ = -(v + ∇f) - η ε ∇²f v on an L2-regularised logistic loss
  collapses onto the slow manifold, exactly invariant with Hessian damping (η = 1,
  Nesterov's gradient correction) and invariant to O(ε) without (η = 0, heavy ball); the
  trajectory follows gradient flow to O(ε) and Fenichel's reduced flow from the fibre's
  base point to O(ε²) (a ``sweep`` over (ε, η)).
"""

from .config import PRESETS, AccelerationConfig
from .run import run

__all__ = ["PRESETS", "AccelerationConfig", "run"]
