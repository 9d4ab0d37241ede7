"""Shear-stress build-up at constant strain in soft glassy materials (paper 14).

Model (:mod:`jaxdyn.systems.maxwell_aging`): a linear Maxwell element whose modulus grows
and whose relaxation time hyper-ages with the material's age t_a (Joshi, Soft Matter 11,
3198 (2015); paper 14's "simple time-dependent linear Maxwell model"):

    dγ_e/dt = γ̇ - γ_e/τ(t_a),  dt_a/dt = 1 - k γ̇ t_a,  σ = G(t_a) γ_e (+ η_s γ̇),
    G = G_m (t_a/τ_m)^a,  τ = τ_m (t_a/τ_m)^μ.

After steady pre-shear at γ̇_p (age t_0 = 1/(k γ̇_p)) the strain is held constant and
σ(t) = σ(0) (t_a/t_0)^a exp(-I(t)): the stress relaxes while 1/τ exceeds the growth rate
a/t_a of the modulus, then builds up; the minimum is at the age t* = τ_m a^(-1/(μ-1))
(μ > 1) whenever t_0 < t*. Reproduced:

* relaxation curves for several pre-shear rates, solved vs closed form, the simulated
  minimum time vs t* - t_0, its depth and the build-up after it (faster pre-shear, younger
  sample, deeper minimum and stronger build-up: the clay's trend);
* regime diagrams over (pre-shear rate, μ) and (pre-shear rate, a) from sweeps, against
  the closed-form boundaries;
* the non-monotonic steady flow curve (pre-sheared to steady state vs closed form);
* a gradient fit of all five parameters to synthetic noisy curves with ``jaxdyn.fit``
  (log-normal likelihood, Laplace errors), replicated to check the errors' coverage.
"""

from .config import PRESETS, GlassyStressConfig
from .run import run

__all__ = ["PRESETS", "GlassyStressConfig", "run"]
