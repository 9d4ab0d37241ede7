"""Learning to relax: bandit tuning of SOR's ω over a sequence of linear systems (paper 21).

M. Khodak, E. Chow, M.-F. Balcan and A. Talwalkar, "Learning to Relax: Setting Solver
Parameters Across a Sequence of Linear System Instances", ICLR 2024. Each instance
A_t x = b_t is solved by red-black SOR (:mod:`jaxdyn.solvers.sor`; zero initial guess,
relative residual tolerance ``tol``), whose relaxation factor ω is chosen online from a
grid by a bandit learner that only sees the iteration count of the ω it tried. Young's
theory gives the per-instance optimum ω* = 2 / (1 + √(1 - ρ_J²)). Two sequences:

* ``shifted``: A_t = -Δ_h + c_t I on an m x m grid, c_t = s_t / h² with
  s_t ~ U[shift_min, shift_max] i.i.d. (a dimensionless shift: ρ_J = 4 cos(πh)/(4 + s_t)),
  b_t ~ N(0, I); the context is s_t.
* ``heat``: the Crank-Nicolson systems of u_t = κ(t) Δu (:class:`~jaxdyn.systems.Heat2D`,
  a map run by :func:`jaxdyn.simulate` with the observable ``Heat2D.instance``) with
  κ(t) = κ0 (1 + a sin(2π t / P)), dt = heat_courant h² / κ0; the context is κ_{n+1}.

The expensive part, the iteration table cost[t, k] of every instance t and every ω_k, is
computed once per sequence by a vmapped SOR (:func:`~jaxdyn.solvers.sor.iteration_table`,
a resumable stage); every learner and comparator is then played on this table with
bandit feedback (a learner only reads the entry of the arm it draws, which is exactly
running SOR online), each learner as one ``lax.scan``, seeds vmapped. Learners:
Tsallis-INF, Exp3 and the contextual ChebCB (:mod:`jaxdyn.solvers.bandits`); comparators:
Gauss-Seidel (ω = 1), a fixed default ω, Young's ω* of each instance (nearest grid
value), the best fixed ω in hindsight and the instance-optimal oracle. Reproduced:
sublinear regret against the best fixed ω (fitted exponent < 1) and the contextual
learner approaching the instance-optimal cost.
"""

from .config import PRESETS, LearningToRelaxConfig
from .run import heat_sequence, run, shifted_sequence

__all__ = ["PRESETS", "LearningToRelaxConfig", "heat_sequence", "run", "shifted_sequence"]
