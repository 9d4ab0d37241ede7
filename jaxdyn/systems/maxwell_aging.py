"""An aging, time-dependent linear Maxwell model of a soft glassy material (paper 14).

Paper 14 (shared/papers.md) explains the shear-stress build-up of aging clay dispersions
and silica gels held at constant strain after pre-shear with "a simple time-dependent
linear Maxwell model" whose modulus grows with age while the relaxation time hyper-ages.
The abstract leaves the equations open; this is the standard form of a linear Maxwell
element with age-dependent modulus and relaxation time, written on the *elastic strain*
so that the stress is the current modulus times the strain stored in the element (Y. M.
Joshi, "A model for aging under deformation field, residual stresses and strains in
soft glassy materials", Soft Matter 11, 3198 (2015); Struik's aging and its hyper-aging
generalisation, L. C. E. Struik, *Physical aging in amorphous polymers* (1978)):

    dγ_e/dt = γ̇(t) - γ_e / τ(t_a)                      (Maxwell element)
    dt_a/dt = 1 - k γ̇(t) t_a                             (aging at unit rate, rejuvenation)
    σ       = G(t_a) γ_e + η_s γ̇(t)
    G(t_a)  = G_m (t_a/τ_m)^a,   τ(t_a) = τ_m (t_a/τ_m)^μ,

with the protocol: pre-shear at γ̇_p until steady, then at t = 0 the flow stops and the
strain is held constant (γ̇ = 0). μ > 1 is hyper-aging (the paper's "stronger than
linear" growth of the relaxation time with age), a > 0 the growth of the modulus.

Closed forms (derived in the docstrings of the methods, checked in tests/test_glassy_stress.py):

* steady pre-shear: t_a = t_0 = 1/(k γ̇_p), γ_e = γ̇_p τ(t_0); flow curve
  σ_ss(γ̇) = G_m τ_m γ̇ (k γ̇ τ_m)^-(a+μ) + η_s γ̇, non-monotonic (a local stress minimum at
  γ̇_min = [(a+μ-1) G_m τ_m (k τ_m)^-(a+μ) / η_s]^(1/(a+μ))) exactly when a + μ > 1;
* at constant strain, t_a = t_0 + t and
  σ(t)/σ(0) = (t_a/t_0)^a exp(-I(t)),  I(t) = τ_m^(μ-1) (t_a^(1-μ) - t_0^(1-μ)) / (1-μ),
  d ln σ/dt = [a - (t_a/τ_m)^(1-μ)] / t_a,
  so for μ > 1 the stress relaxes, reaches a minimum at the age t* = τ_m a^(-1/(μ-1)), i.e.
  at t_min = t* - t_0 after cessation, and then builds up, whenever t_0 < t*; it only
  builds up if t_0 >= t*; for μ <= 1 and a < (t_0/τ_m)^(1-μ) it relaxes monotonically.
"""

from __future__ import annotations

from typing import Any, ClassVar

import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from ..analysis.rheology import REGIMES
from ..core import AbstractODE

_MU_ONE = 1e-9  # |μ - 1| below this uses the μ = 1 limit of the closed form


def _power(x: Array, p: Array) -> Array:
    """x**p for x >= 0 whose gradient stays finite at x = 0 (d/dp of 0**p is 0 * log 0):
    solvers evaluate observables on unused, zero-filled save slots, and a NaN there would
    leak into the gradient through the mask."""
    positive = x > 0
    return jnp.where(positive, jnp.where(positive, x, 1.0) ** p, 0.0)


class AgingMaxwell(AbstractODE):
    """Aging Maxwell element after pre-shear (see the module docstring for the equations).

    State ``[γ_e, t_a]`` (elastic strain, material age). ``initial_state()`` is the steady
    state of the pre-shear at ``shear_rate`` (flow cessation at t = 0). ``simulate`` holds
    the strain constant; ``simulate(..., args=rate)`` shears at ``rate`` instead (a
    protocol is a sequence of such runs: the drift then has no jump inside a solve).

    Args:
        shear_rate: pre-shear rate γ̇_p (1/s).
        modulus: G_m, the modulus at age τ_m (Pa).
        aging_exponent: a, the modulus grows as t_a^a.
        hyperaging_exponent: μ, the relaxation time grows as t_a^μ (μ > 1: hyper-aging).
        tau_m: τ_m, microscopic time, the relaxation time at age τ_m (s).
        rejuvenation: k, the rejuvenation per unit strain (steady age 1/(k γ̇)).
        viscosity: η_s, solvent viscosity (Pa s); enters only while shearing.
    """

    shear_rate: Float[Array, ""]
    modulus: Float[Array, ""]
    aging_exponent: Float[Array, ""]
    hyperaging_exponent: Float[Array, ""]
    tau_m: Float[Array, ""]
    rejuvenation: Float[Array, ""]
    viscosity: Float[Array, ""]

    name: ClassVar[str] = "aging_maxwell"
    paper: ClassVar[str] = "14"
    reference: ClassVar[str] = (
        "Time-dependent linear Maxwell model of aging soft glassy materials "
        "(Joshi, Soft Matter 11, 3198 (2015)); paper 14 of shared/papers.md"
    )
    param_ranges: ClassVar[dict[str, tuple[float, float]]] = {
        "shear_rate": (1e-6, 1e6),
        "modulus": (1e-6, 1e9),
        "aging_exponent": (0.0, 3.0),
        "hyperaging_exponent": (0.0, 3.0),
        "tau_m": (1e-6, 1e6),
        "rejuvenation": (1e-6, 1e6),
        "viscosity": (0.0, 1e6),
    }
    default_dt: ClassVar[float] = 1e-3
    t_char: ClassVar[float] = 10.0

    def __init__(
        self,
        shear_rate=10.0,
        modulus=100.0,
        aging_exponent=0.2,
        hyperaging_exponent=1.6,
        tau_m=1.0,
        rejuvenation=0.1,
        viscosity=0.1,
    ):
        self.shear_rate = jnp.asarray(shear_rate, dtype=float)
        self.modulus = jnp.asarray(modulus, dtype=float)
        self.aging_exponent = jnp.asarray(aging_exponent, dtype=float)
        self.hyperaging_exponent = jnp.asarray(hyperaging_exponent, dtype=float)
        self.tau_m = jnp.asarray(tau_m, dtype=float)
        self.rejuvenation = jnp.asarray(rejuvenation, dtype=float)
        self.viscosity = jnp.asarray(viscosity, dtype=float)

    # ------------------------------------------------------------------ constitutive laws
    def G(self, age: ArrayLike) -> Array:
        """Modulus G(t_a) = G_m (t_a/τ_m)^a."""
        return self.modulus * _power(jnp.asarray(age) / self.tau_m, self.aging_exponent)

    def tau(self, age: ArrayLike) -> Array:
        """Relaxation time τ(t_a) = τ_m (t_a/τ_m)^μ."""
        return self.tau_m * _power(jnp.asarray(age) / self.tau_m, self.hyperaging_exponent)

    # ------------------------------------------------------------------ dynamics
    def drift(self, t: ArrayLike, y: Float[Array, "2"], args: Any = None) -> Float[Array, "2"]:
        """The imposed shear rate is ``args`` (None: zero, the strain held constant)."""
        strain, age = y[0], y[1]
        rate = 0.0 if args is None else jnp.asarray(args)
        return jnp.stack([rate - strain / self.tau(age), 1.0 - self.rejuvenation * rate * age])

    def initial_state(self, key=None) -> Float[Array, "2"]:
        """Steady pre-shear: age t_0 = 1/(k γ̇_p), elastic strain γ̇_p τ(t_0)."""
        t0 = self.age_at_cessation()
        return jnp.stack([self.shear_rate * self.tau(t0), t0])

    def stress(self, t: ArrayLike, y: Float[Array, "2"]) -> Array:
        """Elastic stress σ = G(t_a) γ_e, the whole stress at constant strain (add
        η_s γ̇ while shearing); usable as a ``simulate`` observable."""
        return self.G(y[1]) * y[0]

    # ------------------------------------------------------------------ closed forms
    def age_at_cessation(self) -> Array:
        """t_0 = 1/(k γ̇_p), the steady age under pre-shear (dt_a/dt = 0)."""
        return 1.0 / (self.rejuvenation * self.shear_rate)

    def steady_stress(self, rate: ArrayLike) -> Array:
        """Steady flow curve σ_ss(γ̇) = G(t_ss) γ̇ τ(t_ss) + η_s γ̇, t_ss = 1/(k γ̇)."""
        rate = jnp.asarray(rate)
        age = 1.0 / (self.rejuvenation * rate)
        return self.G(age) * rate * self.tau(age) + self.viscosity * rate

    def flow_curve_minimum(self) -> Array:
        """Shear rate of the local minimum of σ_ss(γ̇): dσ_ss/dγ̇ = 0 gives
        γ̇_min = [(a+μ-1) G_m τ_m (k τ_m)^-(a+μ) / η_s]^(1/(a+μ)); NaN if a + μ <= 1 or
        η_s = 0 (then the flow curve is monotone, or has no minimum)."""
        s = self.aging_exponent + self.hyperaging_exponent
        num = (s - 1) * self.modulus * self.tau_m * (self.rejuvenation * self.tau_m) ** (-s)
        ok = (s > 1) & (self.viscosity > 0)
        ratio = jnp.where(ok, num / jnp.where(ok, self.viscosity, 1.0), 1.0)
        return jnp.where(ok, ratio ** (1 / s), jnp.nan)

    def relaxation_integral(self, t: ArrayLike) -> Array:
        """I(t) = ∫_0^t ds / τ(t_0 + s) at constant strain:
        τ_m^(μ-1) (t_a^(1-μ) - t_0^(1-μ)) / (1-μ), or ln(t_a/t_0) when μ = 1."""
        mu = self.hyperaging_exponent
        t0 = self.age_at_cessation()
        x0 = t0 / self.tau_m
        x = (t0 + jnp.asarray(t)) / self.tau_m
        near_one = jnp.abs(mu - 1) < _MU_ONE
        safe = jnp.where(near_one, 2.0, 1.0 - mu)
        general = (x**safe - x0**safe) / safe
        return jnp.where(near_one, jnp.log(x / x0), general)

    def stress_closed_form(self, t: ArrayLike) -> Array:
        """σ(t) for t >= 0 at constant strain: σ(0) (t_a/t_0)^a exp(-I(t))."""
        t0 = self.age_at_cessation()
        age = t0 + jnp.asarray(t)
        strain0 = self.shear_rate * self.tau(t0)
        return self.G(age) * strain0 * jnp.exp(-self.relaxation_integral(t))

    def minimum_age(self) -> Array:
        """t* = τ_m a^(-1/(μ-1)) where d ln σ/dt = [a - (t_a/τ_m)^(1-μ)]/t_a changes sign
        (for μ > 1 from - to +: a minimum; for μ < 1 from + to -: a maximum). NaN if
        μ = 1 or a = 0 (no sign change)."""
        mu, a = self.hyperaging_exponent, self.aging_exponent
        ok = (jnp.abs(mu - 1) >= _MU_ONE) & (a > 0)
        expo = -1.0 / jnp.where(ok, mu - 1.0, 1.0)
        return jnp.where(ok, self.tau_m * jnp.where(ok, a, 1.0) ** expo, jnp.nan)

    def minimum_time(self) -> Array:
        """Time after cessation of the stress minimum, t* - t_0; NaN if there is none."""
        dt = self.minimum_age() - self.age_at_cessation()
        has = (self.hyperaging_exponent > 1 + _MU_ONE) & (dt > 0)
        return jnp.where(has, dt, jnp.nan)

    def regime(self) -> Array:
        """Index into :data:`REGIMES` of the stress response at constant strain:
        0 monotone relaxation, 1 relaxation then build-up (a minimum at ``minimum_time``),
        2 monotone build-up, 3 build-up then relaxation (an overshoot; μ < 1)."""
        mu, a = self.hyperaging_exponent, self.aging_exponent
        x0 = (self.age_at_cessation() / self.tau_m) ** (1 - mu)
        rising = a > x0  # sign of d ln σ/dt at cessation
        tstar = self.minimum_age()
        later = jnp.isfinite(tstar) & (tstar > self.age_at_cessation())
        hyper = mu > 1 + _MU_ONE
        sub = mu < 1 - _MU_ONE
        return jnp.where(
            hyper,
            jnp.where(rising, 2, jnp.where(later, 1, 0)),
            jnp.where(sub & rising & later, 3, jnp.where(rising, 2, 0)),
        )


__all__ = ["REGIMES", "AgingMaxwell"]
