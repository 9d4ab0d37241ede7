"""Delayed replicator dynamics with a lagged sigmoid alarm (paper 10, first stage).

A population shares two behaviours, "radical" (share x) and "compliant" (1 - x).
Radical behaviour earns a benefit b; an institution punishes it at rate c·s, where the
alarm s responds to the radical share it observed a processing delay τ ago:

    dx/dt = x(1 - x) [b - c s(x(t - τ))],     s(u) = 1 / (1 + exp(-k (u - θ))),

with k the steepness of the alarm response and θ its threshold. This is the two-strategy
replicator equation ẋ = x(1 - x)(π_R - π_C) with payoff difference π_R - π_C =
b - c s(x_τ), where the punishment is evaluated on delayed information, the standard
"delayed replicator dynamics" in which payoffs are computed from the past state (Tao &
Wang, J. Theor. Biol. 187, 111 (1997); Alboszta & Miękisz, J. Theor. Biol. 231, 175
(2004); Iijima, J. Theor. Biol. 2012). Choosing a sigmoid alarm follows the abstract of
paper 10 ("sigmoid response-function family").

Closed-form Hopf threshold (derived here). For 0 < b < c the unique interior equilibrium
solves s(x*) = b/c:

    x* = θ + logit(b/c) / k,        (needs 0 < x* < 1).

Linearising with x = x* + ξ, the bracket vanishes at x* so only the lagged term survives:

    dξ/dt = -A ξ(t - τ),   A = x*(1 - x*) c s'(x*) = x*(1 - x*) k b (1 - b/c) > 0.

By :func:`jaxdyn.analysis.stability.linear_dde_onset` with α = 0, β = A, x* is
asymptotically stable for τ < τ_c and unstable for τ > τ_c, where

    τ_c = π / (2A),     onset angular frequency ω = A,     period 2π/A = 4 τ_c.
"""

from __future__ import annotations

from typing import ClassVar

import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float, PRNGKeyArray

from ..core import AbstractDDE


def alarm(u: ArrayLike, k: ArrayLike, theta: ArrayLike) -> Array:
    """Sigmoid alarm response s(u) = 1 / (1 + exp(-k (u - θ)))."""
    return 1.0 / (1.0 + jnp.exp(-k * (u - theta)))


class DelayedReplicator(AbstractDDE):
    """dx/dt = x(1 - x)[b - c s(x(t - τ))] with sigmoid alarm s (see module docstring).

    The state is the scalar radical share x. The default history is the constant
    x* + ``perturbation``; parameters are arrays, so the delay ``tau`` and the
    steepness ``k`` can be swept (pass ``max_delay=`` to :func:`jaxdyn.simulate` then).
    """

    b: Float[Array, ""]
    c: Float[Array, ""]
    k: Float[Array, ""]
    theta: Float[Array, ""]
    tau: Float[Array, ""]

    name: ClassVar[str] = "delayed_replicator"
    reference: ClassVar[str] = (
        "Paper 10, 'Delayed Repression and Emergent Instability in Adaptive Multi-Agent "
        "Systems'; delayed replicator dynamics after Tao & Wang, J. Theor. Biol. 187 (1997)"
    )
    param_ranges: ClassVar[dict[str, tuple[float, float]]] = {
        "b": (1e-9, 1e6),
        "c": (1e-9, 1e6),
        "k": (1e-9, 1e6),
        "theta": (0.0, 1.0),
        "tau": (0.0, 1e6),
    }
    paper: ClassVar[str] = "10"
    default_dt: ClassVar[float] = 0.05
    #: the onset period 4 τ_c is of order 10 at the default parameters
    t_char: ClassVar[float] = 10.0
    #: initial displacement from x* of the default (constant) history
    perturbation: ClassVar[float] = 0.02

    def __init__(self, b=0.8, c=2.0, k=8.0, theta=0.5, tau=1.0):
        self.b = jnp.asarray(b, dtype=float)
        self.c = jnp.asarray(c, dtype=float)
        self.k = jnp.asarray(k, dtype=float)
        self.theta = jnp.asarray(theta, dtype=float)
        self.tau = jnp.asarray(tau, dtype=float)

    def validate(self) -> None:
        super().validate()
        b, c = self.b, self.c
        if all(not _traced(v) for v in (b, c, self.k, self.theta)):
            if np.any(np.asarray(b) >= np.asarray(c)):
                raise ValueError(
                    "DelayedReplicator: need b < c (benefit below maximal punishment) for an "
                    f"interior equilibrium, got b={np.asarray(b)}, c={np.asarray(c)}"
                )
            xs = np.asarray(self.equilibrium())
            if np.any((xs <= 0) | (xs >= 1)):
                raise ValueError(
                    "DelayedReplicator: the equilibrium x* = theta + logit(b/c)/k must lie in "
                    f"(0, 1), got {xs}; raise k or move theta"
                )

    # --- dynamics -------------------------------------------------------------------
    def delays(self, t, y) -> Float[Array, " 1"]:
        return jnp.reshape(self.tau, (1,))

    def drift(self, t, y, y_delayed, args=None):
        s = alarm(y_delayed[0], self.k, self.theta)
        return y * (1.0 - y) * (self.b - self.c * s)

    def initial_state(self, key: PRNGKeyArray | None = None) -> Array:
        return self.equilibrium() + self.perturbation

    def history(self, t) -> Array:
        return self.equilibrium() + self.perturbation

    # --- closed forms ---------------------------------------------------------------
    def equilibrium(self) -> Array:
        """x* = θ + logit(b/c)/k, where s(x*) = b/c."""
        p = self.b / self.c
        return self.theta + jnp.log(p / (1.0 - p)) / self.k

    def linear_gain(self) -> Array:
        """A = x*(1 - x*) c s'(x*) = x*(1 - x*) k b (1 - b/c), from dξ/dt = -A ξ(t - τ)."""
        x = self.equilibrium()
        return x * (1.0 - x) * self.k * self.b * (1.0 - self.b / self.c)

    def critical_delay(self) -> Array:
        """τ_c = π / (2A): x* is stable for τ < τ_c and oscillates (Hopf) beyond."""
        return jnp.pi / (2.0 * self.linear_gain())

    def onset_frequency(self) -> Array:
        """Angular frequency ω = A of the oscillation born at τ_c."""
        return self.linear_gain()

    def onset_period(self) -> Array:
        """2π/ω = 4 τ_c."""
        return 2.0 * jnp.pi / self.linear_gain()


def _traced(x) -> bool:
    import jax

    return isinstance(x, jax.core.Tracer)


__all__ = ["DelayedReplicator", "alarm"]
