"""The delayed-action oscillator of ENSO (paper 11), a delay differential equation.

    dT/dt = a T(t) - b T(t - τ) - c T(t)³

(Suarez & Schopf, J. Atmos. Sci. 45, 3283 (1988), nondimensional with a = c = 1 and
b = α; Battisti & Hirst, J. Atmos. Sci. 46, 1687 (1989), dimensional). T is the
east-Pacific temperature anomaly; a T is the local coupled growth, and the delayed term
is the negative feedback of oceanic Rossby waves that cross the basin, reflect at the
western boundary and return as Kelvin waves a delay τ later. Defaults are Suarez &
Schopf's α = 0.75 (a = c = 1; time in their nondimensional unit).

Closed-form Hopf delay (derived here). Equilibria: T = 0, and T*² = (a - b)/c if a > b.
Linearising at an equilibrium T_e, ξ' = (a - 3c T_e²) ξ - b ξ(t - τ), which is the scalar
linear DDE ξ' = -α_l ξ - β ξ(t - τ) of :func:`jaxdyn.analysis.stability.linear_dde_onset`
with β = b and

    α_l = -a             at T_e = 0     (the relevant state when b > a),
    α_l = 2a - 3b        at T_e = ±T*   (when a > b: Suarez & Schopf's case).

The state is stable at τ = 0 when α_l + β > 0 and loses stability at

    τ_c = arccos(-α_l/β) / ω,   ω = √(β² - α_l²)     (needs β > |α_l|),

with period 2π/ω at onset. For a = c = 1, b = 0.75: α_l = -0.25, ω = √0.5, τ_c =
arccos(1/3)/√0.5 = 1.741 and the onset period 8.886.
"""

from __future__ import annotations

from typing import ClassVar

import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float, PRNGKeyArray

from ..analysis.stability import linear_dde_onset
from ..core import AbstractDDE


class DelayedActionOscillator(AbstractDDE):
    """dT/dt = a T - b T(t - τ) - c T³ (see module docstring); scalar state T."""

    a: Float[Array, ""]
    b: Float[Array, ""]
    c: Float[Array, ""]
    tau: Float[Array, ""]

    name: ClassVar[str] = "delayed_action_oscillator"
    paper: ClassVar[str] = "11"
    reference: ClassVar[str] = (
        "M. J. Suarez & P. S. Schopf, 'A delayed action oscillator for ENSO', J. Atmos. Sci. "
        "45, 3283 (1988); D. S. Battisti & A. C. Hirst, J. Atmos. Sci. 46, 1687 (1989)"
    )
    param_ranges: ClassVar[dict[str, tuple[float, float]]] = {
        "a": (0.0, 1e3),
        "b": (0.0, 1e3),
        "c": (1e-9, 1e3),
        "tau": (0.0, 1e3),
    }
    default_dt: ClassVar[float] = 0.02
    t_char: ClassVar[float] = 10.0
    #: displacement of the default constant history from the equilibrium
    perturbation: ClassVar[float] = 0.05

    def __init__(self, a=1.0, b=0.75, c=1.0, tau=3.0):
        self.a = jnp.asarray(a, dtype=float)
        self.b = jnp.asarray(b, dtype=float)
        self.c = jnp.asarray(c, dtype=float)
        self.tau = jnp.asarray(tau, dtype=float)

    def delays(self, t, y) -> Float[Array, " 1"]:
        return jnp.reshape(self.tau, (1,))

    def drift(self, t, y, y_delayed, args=None):
        return self.a * y - self.b * y_delayed[0] - self.c * y**3

    def equilibrium(self) -> Array:
        """The equilibrium whose Hopf bifurcation the delay drives: √((a-b)/c) or 0."""
        return jnp.sqrt(jnp.maximum(self.a - self.b, 0.0) / self.c)

    def initial_state(self, key: PRNGKeyArray | None = None) -> Array:
        return self.equilibrium() + self.perturbation

    def history(self, t) -> Array:
        return self.equilibrium() + self.perturbation

    def linear_coefficients(self) -> tuple[Array, Array]:
        """(α_l, β) of the linearisation ξ' = -α_l ξ - β ξ(t - τ) at :meth:`equilibrium`."""
        Te = self.equilibrium()
        return -(self.a - 3.0 * self.c * Te**2), self.b

    def critical_delay(self) -> float:
        """τ_c (inf when stable for every delay); concrete parameters only."""
        al, be = (np.asarray(v) for v in self.linear_coefficients())
        return float(linear_dde_onset(al, be)[0])

    def onset_period(self) -> float:
        al, be = (np.asarray(v) for v in self.linear_coefficients())
        return float(2 * np.pi / linear_dde_onset(al, be)[1])


__all__ = ["DelayedActionOscillator"]
