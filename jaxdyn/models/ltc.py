"""Liquid time-constant (LTC) networks: the neural ODE and its fused solver (paper 19).

Hasani, Lechner, Amini, Rus & Grosu, "Liquid time-constant networks", AAAI 35, 7657
(2021); the CfC paper (Hasani et al., Nat. Mach. Intell. 4, 992 (2022)) compares against
it. Neuron i's potential v_i obeys a conductance-based ODE with sigmoidal synapses,

    C_i dv_i/dt = g_i (E^leak_i - v_i) + Σ_j w_ji σ(s_ji (v_j - μ_ji)) (E_ji - v_i)
                                       + Σ_k ŵ_ki σ(ŝ_ki (u_k - μ̂_ki)) (Ê_ki - v_i),

with inputs u = x ⊙ a + b held constant over each sampling interval. The reference
implementation (``ncps.torch.LTCCell``) does not integrate it with an ODE solver but
with a *fused* semi-implicit Euler step repeated ``ode_unfolds`` times over the
interval Δ (the numerator and denominator of the update collect the terms linear in
v_i^{new}):

    v^{new}_i = (C_i/δ v_i + g_i E^leak_i + Σ w σ E) / (C_i/δ + g_i + Σ w σ + ε),   δ = Δ/unfolds.

Here :class:`LTCCell` holds the parameters (named as in ncps, so weights carry over;
tested against ncps to float32 round-off), :meth:`LTCCell.fused` is the reference
unfolding, :class:`LTCODE` is the same network as a :class:`jaxdyn.AbstractODE` that
:func:`jaxdyn.simulate` integrates (adaptive Tsit5 or any solver), and :class:`LTC` runs
either over an irregularly sampled sequence. The outputs are the first ``motor_size``
neurons, affinely mapped (ncps's "affine" output mapping).

Positivity of C, g, w, ŵ: ncps clips them after each optimiser step; here the
forward pass uses max(., 0) (identical for valid weights, and no clipping step).
"""

from __future__ import annotations

from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray

from ..core import AbstractODE, simulate

LTC_SOLVERS = ("fused", "ode")


def _uniform(key, shape, lo, hi):
    return jax.random.uniform(key, shape, minval=lo, maxval=hi)


class LTCCell(eqx.Module):
    """The LTC network's parameters and right-hand side (see the module docstring)."""

    gleak: Float[Array, " n"]
    vleak: Float[Array, " n"]
    cm: Float[Array, " n"]
    sigma: Float[Array, "n n"]
    mu: Float[Array, "n n"]
    w: Float[Array, "n n"]
    erev: Float[Array, "n n"]
    sensory_sigma: Float[Array, "i n"]
    sensory_mu: Float[Array, "i n"]
    sensory_w: Float[Array, "i n"]
    sensory_erev: Float[Array, "i n"]
    input_w: Float[Array, " i"]
    input_b: Float[Array, " i"]
    output_w: Float[Array, " m"]
    output_b: Float[Array, " m"]
    ode_unfolds: int = eqx.field(static=True)
    epsilon: float = eqx.field(static=True)

    def __init__(
        self,
        input_size: int,
        units: int,
        motor_size: int = 1,
        *,
        ode_unfolds: int = 6,
        epsilon: float = 1e-8,
        key: PRNGKeyArray,
    ):
        sizes = (("input_size", input_size), ("units", units), ("motor_size", motor_size),
                 ("ode_unfolds", ode_unfolds))  # fmt: skip
        for name, v, lo in ((n, v, 1) for n, v in sizes):
            if isinstance(v, bool) or not isinstance(v, int) or v < lo:
                raise ValueError(f"LTCCell: {name} must be an integer >= {lo}, got {v!r}")
        if motor_size > units:
            raise ValueError(f"LTCCell: motor_size must be <= units={units}, got {motor_size}")
        k = jax.random.split(key, 12)
        n, i = units, input_size
        # the initial ranges of ncps
        self.gleak = _uniform(k[0], (n,), 0.001, 1.0)
        self.vleak = _uniform(k[1], (n,), -0.2, 0.2)
        self.cm = _uniform(k[2], (n,), 0.4, 0.6)
        self.sigma = _uniform(k[3], (n, n), 3.0, 8.0)
        self.mu = _uniform(k[4], (n, n), 0.3, 0.8)
        self.w = _uniform(k[5], (n, n), 0.001, 1.0)
        # synapse polarities: excitatory with probability 2/3, as ncps's wirings
        self.erev = jax.random.choice(k[6], jnp.array([-1.0, 1.0, 1.0]), (n, n))
        self.sensory_sigma = _uniform(k[7], (i, n), 3.0, 8.0)
        self.sensory_mu = _uniform(k[8], (i, n), 0.3, 0.8)
        self.sensory_w = _uniform(k[9], (i, n), 0.001, 1.0)
        self.sensory_erev = jax.random.choice(k[10], jnp.array([-1.0, 1.0, 1.0]), (i, n))
        self.input_w, self.input_b = jnp.ones(i), jnp.zeros(i)
        self.output_w, self.output_b = jnp.ones(motor_size), jnp.zeros(motor_size)
        self.ode_unfolds, self.epsilon = ode_unfolds, float(epsilon)

    @property
    def units(self) -> int:
        return self.gleak.shape[0]

    def sensory(self, x: Array) -> tuple[Array, Array]:
        """Σ_k ŵ σ Ê and Σ_k ŵ σ of the (mapped) input x."""
        u = x * self.input_w + self.input_b
        act = jax.nn.relu(self.sensory_w) * jax.nn.sigmoid(
            self.sensory_sigma * (u[:, None] - self.sensory_mu)
        )
        return jnp.sum(act * self.sensory_erev, axis=0), jnp.sum(act, axis=0)

    def _recurrent(self, v: Array) -> tuple[Array, Array]:
        act = jax.nn.relu(self.w) * jax.nn.sigmoid(self.sigma * (v[:, None] - self.mu))
        return jnp.sum(act * self.erev, axis=0), jnp.sum(act, axis=0)

    def vector_field(self, v: Array, drive: tuple[Array, Array]) -> Array:
        """dv/dt given the sensory drive ``sensory(x)`` (the ODE of the module docstring)."""
        num_s, den_s = drive
        num, den = self._recurrent(v)
        g = jax.nn.relu(self.gleak)
        cm = jnp.maximum(self.cm, 1e-3)  # a vanishing capacitance would make the ODE singular
        return (g * (self.vleak - v) + num + num_s - (den + den_s) * v) / cm

    def fused(self, x: Array, v: Array, elapsed, unfolds: int | None = None) -> Array:
        """ncps's fused semi-implicit solver over ``elapsed`` (``ode_unfolds`` sub-steps,
        or ``unfolds``)."""
        unfolds = self.ode_unfolds if unfolds is None else unfolds
        num_s, den_s = self.sensory(x)
        cm_t = jax.nn.relu(self.cm) / (elapsed / unfolds)
        g = jax.nn.relu(self.gleak)
        for _ in range(unfolds):
            num, den = self._recurrent(v)
            v = (cm_t * v + g * self.vleak + num + num_s) / (cm_t + g + den + den_s + self.epsilon)
        return v

    def output(self, v: Array) -> Array:
        m = self.output_w.shape[0]
        return v[:m] * self.output_w + self.output_b


class LTCODE(AbstractODE):
    """The LTC network with its input ``x`` held constant, as a System for ``simulate``."""

    cell: LTCCell
    x: Float[Array, " i"]
    name: ClassVar[str] = "ltc_ode"
    paper: ClassVar[str] = "19"
    reference: ClassVar[str] = "Hasani et al., AAAI 35, 7657 (2021)"
    default_dt: ClassVar[float] = 0.05

    def initial_state(self, key=None):
        return jnp.zeros(self.cell.units, jnp.result_type(self.x))

    def drift(self, t, y, args=None):
        return self.cell.vector_field(y, self.cell.sensory(self.x))


class LTC(eqx.Module):
    """An LTC network over an irregularly sampled sequence: ``model(xs, dts) -> (T, m)``.

    ``solver="fused"``: the ncps unfolding; ``"ode"``: :func:`jaxdyn.simulate` of
    :class:`LTCODE` over each interval (adaptive Tsit5 at ``rtol``/``atol``, gradients by
    diffrax's checkpointed adjoint).
    """

    cell: LTCCell
    solver: str = eqx.field(static=True)
    rtol: float = eqx.field(static=True)
    atol: float = eqx.field(static=True)

    def __init__(self, input_size, units, output_size, *, key, solver="fused", rtol=1e-4,
                 atol=1e-6, ode_unfolds=6):  # fmt: skip
        if solver not in LTC_SOLVERS:
            raise ValueError(f"LTC: solver must be one of {LTC_SOLVERS}, got {solver!r}")
        self.cell = LTCCell(input_size, units, output_size, ode_unfolds=ode_unfolds, key=key)
        self.solver, self.rtol, self.atol = solver, float(rtol), float(atol)

    def step(self, x: Array, v: Array, dt) -> Array:
        if self.solver == "fused":
            return self.cell.fused(x, v, dt)
        traj = simulate(LTCODE(self.cell, x), dt, y0=v, rtol=self.rtol, atol=self.atol,
                        max_steps=4096)  # fmt: skip
        return traj.ys[-1]

    def __call__(self, xs: Float[Array, "T i"], dts: Float[Array, " T"]) -> Float[Array, "T m"]:
        def body(v, inp):
            v = self.step(inp[0], v, inp[1])
            return v, self.cell.output(v)

        v0 = jnp.zeros(self.cell.units, xs.dtype)
        return jax.lax.scan(body, v0, (xs, dts))[1]


__all__ = ["LTC", "LTCCell", "LTCODE", "LTC_SOLVERS"]
