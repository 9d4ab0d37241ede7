"""Learning to relax: bandit tuning of SOR's ω over a sequence of linear systems (paper 21).

M. Khodak, E. Chow, M.-F. Balcan and A. Talwalkar, "Learning to Relax: Setting Solver
Parameters Across a Sequence of Linear System Instances", ICLR 2024. Each instance
A_t x = b_t is solved by red-black SOR (:mod:`jaxdyn.solvers.sor`; zero initial guess,
relative residual tolerance ``tol``), whose relaxation factor ω is chosen online from a
grid by a bandit learner that only sees the iteration count of the ω it tried. Young's
theory gives the per-instance optimum ω* = 2 / (1 + √(1 - ρ_J²)). Sequences:

* ``high_variance`` and ``low_variance`` (the paper's): A_t = -Δ + c_t I, the unscaled
  5-point Laplacian of a 10 x 10 interior grid (MATLAB's ``delsq(numgrid('S', 12))``)
  shifted by c_t = -0.15 + 0.6 Beta(0.5, 1.5) or -0.15 + 0.6 Beta(2, 6) i.i.d.,
  b_t ~ N(0, I), so ρ_J = 4 cos(πh)/(4 + c_t); the context is c_t;
* ``heat`` (ours): the Crank-Nicolson systems of u_t = κ(t) Δu
  (:class:`~jaxdyn.systems.Heat2D`, a map run by :func:`jaxdyn.simulate` with the
  observable ``Heat2D.instance``), κ(t) = κ0 (1 + a sin(2π t / P)), dt = heat_courant h²/κ0;
  the context is κ_{n+1}.

Each trial draws a fresh sequence of T instances and fresh learner randomness (the paper
averages 40 trials of T = 5000). The iteration table cost[t, k] of every instance and
every ω_k, and the cost at each instance's own Young ω*, are computed once per trial by a
vmapped SOR (instances batched by ρ_J; a resumable stage per trial); every learner then
plays the table with bandit feedback (it reads only the entry of the arm it draws, which
is exactly running SOR online), each learner one ``lax.scan``, trials vmapped. Learners:
Tsallis-INF, Exp3 and the contextual ChebCB (:mod:`jaxdyn.solvers.bandits`), with rates
chosen on separate tuning trials (the full run's learning-rate sweep); comparators:
Gauss-Seidel (ω = 1), the paper's fixed ω = 1.0, 1.2, ..., 1.8, the best fixed ω in
hindsight, Young's ω* of each instance (the paper's instance-optimal policy) and the
best grid ω of each instance. Reproduced, with 95 % intervals over trials: Tsallis-INF's
cost approaching the best fixed ω with sublinear regret, the contextual learner beating
every fixed ω and approaching the instance-optimal cost, and the savings over
Gauss-Seidel.
"""

from .config import PRESETS, SEQUENCES, LearningToRelaxConfig
from .run import heat_sequence, run, shifted_sequence

__all__ = [
    "PRESETS",
    "SEQUENCES",
    "LearningToRelaxConfig",
    "heat_sequence",
    "run",
    "shifted_sequence",
]
