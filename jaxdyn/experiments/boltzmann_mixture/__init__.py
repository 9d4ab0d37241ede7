"""Boltzmann mixture with disparate masses: fast spectral solver and AP scheme (paper 9).

A light species (mass m_l) and a heavy one (m_h), mass ratio μ = ε² = m_l/m_h, space
homogeneous, 2-D velocities, Maxwell molecules with the collision frequencies of Degond &
Lucquin-Desreux (Math. Models Methods Appl. Sci. 6, 405 (1996)): λ_ll = λ_lh = 1,
λ_hh = ε in light collision times,

    ∂f_l/∂t = Q_ll(f_l, f_l) + Q_lh(f_l, f_h),   ∂f_h/∂t = Q_hh(f_h, f_h) + Q_hl(f_h, f_l).

Systems (all through :func:`jaxdyn.simulate`):

* :class:`~jaxdyn.systems.Boltzmann2D`: one species, the fast spectral method of Mouhot &
  Pareschi (2006), checked against the exact BKW solution;
* :class:`~jaxdyn.systems.BoltzmannMixture`: the direct method, both species on one grid
  (an ODE): n_v ∝ 1/ε, radial quadrature ∝ n_v, steps ∝ 1/ε²;
* :class:`~jaxdyn.systems.BoltzmannMixtureAsymptotic` (ODE) and
  :class:`~jaxdyn.systems.BoltzmannMixtureAP` (map): the cross operators expanded in ε and
  truncated at O(ε²) (Lorentz operator in the heavy frame + Fokker-Planck pair + recoil),
  each species on its own grid; the AP scheme is a splitting of exact / time-relaxed
  sub-steps, stable for any step (paper 9: "An efficient asymptotic-preserving scheme for
  the Boltzmann mixture with disparate mass").

Reproduced: (1) epochal relaxation, temperatures and velocities on a log time axis for
several μ, three stages lasting O(1), O(1/ε), O(1/ε²) light collision times, the measured
decay rates against the exact Maxwell-molecule rates and their asymptotic forms
(:func:`jaxdyn.analysis.kinetic.relaxation_rates`); (2) the AP property: at a fixed step
in the slow time μt the AP scheme stays stable and tends to the limiting dynamics as
μ -> 0, while explicit RK4 on the same model needs μ·dt ∝ μ; (3) cost: run time and
memory of the direct and the AP method against μ; (4) velocity distributions.
"""

from .config import PRESETS, BoltzmannMixtureConfig
from .run import run

__all__ = ["PRESETS", "BoltzmannMixtureConfig", "run"]
