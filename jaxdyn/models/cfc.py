"""Closed-form continuous-time (CfC) cells and sequence models (paper 19).

Hasani et al., "Closed-form continuous-time neural networks", Nature Machine
Intelligence 4, 992 (2022) (arXiv:2106.13898). The liquid time-constant ODE
dx/dt = -[w_τ + f(x, I)] x + f(x, I) A has no closed-form solution for a time-varying
input; the paper's tightly bounded approximation of its solution over an interval t,

    x(t) ≈ (x_0 - A) e^{-[w_τ + f(x, I)] t} f(-x, -I) + A,                 (paper eq. 2)

becomes, with the exponential replaced by a sigmoidal time gate and f, g, h neural heads
on a shared backbone (paper eqs. 9-10):

    default ("CfC"):  x(t) = σ(-f t) ⊙ g + [1 - σ(-f t)] ⊙ h
    no_gate:          x(t) = g + σ(-f t) ⊙ h
    pure (eq. 2):     x(t) = -A e^{-(|w_τ| + |f|) t} f + A,

where g = tanh(W_g z), h = tanh(W_h z), the time gate is σ(t_a(z) t + t_b(z)) and z is the
backbone's output on [input, state]. The parametrisation (layer names, the LeCun tanh
1.7159 tanh(0.666 x), ``ff1``/``ff2``/``time_a``/``time_b``) follows the reference
implementation, the ``ncps`` package, so that weights carry over one to one (tested to
float32 round-off against ``ncps.torch.CfCCell``).
"""

from __future__ import annotations

from collections.abc import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray

CFC_MODES = ("default", "no_gate", "pure")


def lecun_tanh(x: Array) -> Array:
    """LeCun's scaled tanh, 1.7159 tanh(0.666 x) (the ncps backbone default)."""
    return 1.7159 * jnp.tanh(0.666 * x)


ACTIVATIONS: dict[str, Callable[[Array], Array]] = {
    "lecun_tanh": lecun_tanh,
    "tanh": jnp.tanh,
    "relu": jax.nn.relu,
    "silu": jax.nn.silu,
    "gelu": lambda x: jax.nn.gelu(x, approximate=False),
}


def _xavier_linear(n_in: int, n_out: int, key: PRNGKeyArray) -> eqx.nn.Linear:
    """A Linear layer with Glorot-uniform weights (ncps initialises this way)."""
    k1, k2 = jax.random.split(key)
    lin = eqx.nn.Linear(n_in, n_out, key=k2)
    lim = jnp.sqrt(6.0 / (n_in + n_out))
    w = jax.random.uniform(k1, (n_out, n_in), minval=-lim, maxval=lim)
    return eqx.tree_at(lambda layer: layer.weight, lin, w)


class CfCCell(eqx.Module):
    """One CfC update h -> x(t) for input ``x`` held over an elapsed time ``t`` (see module).

    Args:
        input_size, hidden_size: sizes (>= 1).
        mode: "default" (gated), "no_gate" or "pure" (the direct solution, eq. 2).
        backbone_units, backbone_layers: the shared backbone (0 layers: heads read
            [input, state] directly).
        activation: backbone nonlinearity (``ACTIVATIONS``).
        key: PRNG key of the initial weights.
    """

    backbone: tuple[eqx.nn.Linear, ...]
    ff1: eqx.nn.Linear
    ff2: eqx.nn.Linear | None
    time_a: eqx.nn.Linear | None
    time_b: eqx.nn.Linear | None
    w_tau: Float[Array, " n"] | None
    A: Float[Array, " n"] | None
    mode: str = eqx.field(static=True)
    activation: str = eqx.field(static=True)

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        *,
        mode: str = "default",
        backbone_units: int = 128,
        backbone_layers: int = 1,
        activation: str = "lecun_tanh",
        key: PRNGKeyArray,
    ):
        for name, v, lo in (
            ("input_size", input_size, 1),
            ("hidden_size", hidden_size, 1),
            ("backbone_units", backbone_units, 1),
            ("backbone_layers", backbone_layers, 0),
        ):
            if isinstance(v, bool) or not isinstance(v, int) or v < lo:
                raise ValueError(f"CfCCell: {name} must be an integer >= {lo}, got {v!r}")
        if mode not in CFC_MODES:
            raise ValueError(f"CfCCell: mode must be one of {CFC_MODES}, got {mode!r}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"CfCCell: activation must be one of {tuple(ACTIVATIONS)}")
        keys = jax.random.split(key, backbone_layers + 4)
        n_cat = input_size + hidden_size
        layers = []
        for i in range(backbone_layers):
            layers.append(
                _xavier_linear(n_cat if i == 0 else backbone_units, backbone_units, keys[i])
            )
        self.backbone = tuple(layers)
        width = backbone_units if backbone_layers else n_cat
        k = keys[backbone_layers:]
        self.ff1 = _xavier_linear(width, hidden_size, k[0])
        self.mode, self.activation = mode, activation
        if mode == "pure":
            self.ff2 = self.time_a = self.time_b = None
            self.w_tau = jnp.zeros(hidden_size)
            self.A = jnp.ones(hidden_size)
        else:
            self.ff2 = _xavier_linear(width, hidden_size, k[1])
            self.time_a = _xavier_linear(width, hidden_size, k[2])
            self.time_b = _xavier_linear(width, hidden_size, k[3])
            self.w_tau = self.A = None

    @property
    def hidden_size(self) -> int:
        return self.ff1.out_features

    def __call__(self, x: Float[Array, " i"], h: Float[Array, " n"], t) -> Float[Array, " n"]:
        z = jnp.concatenate([x, h])
        act = ACTIVATIONS[self.activation]
        for layer in self.backbone:
            z = act(layer(z))
        ff1 = self.ff1(z)
        if self.mode == "pure":
            return -self.A * jnp.exp(-t * (jnp.abs(self.w_tau) + jnp.abs(ff1))) * ff1 + self.A
        ff1, ff2 = jnp.tanh(ff1), jnp.tanh(self.ff2(z))
        gate = jax.nn.sigmoid(self.time_a(z) * t + self.time_b(z))
        if self.mode == "no_gate":
            return ff1 + gate * ff2
        return ff1 * (1.0 - gate) + gate * ff2


class CfC(eqx.Module):
    """A CfC cell run over an irregularly sampled sequence, with a linear readout.

    ``model(xs, dts)`` with ``xs`` of shape ``(T, input_size)`` and the elapsed times
    ``dts`` ``(T,)`` returns the readout at every step, ``(T, output_size)``.
    """

    cell: CfCCell
    readout: eqx.nn.Linear

    def __init__(self, input_size: int, hidden_size: int, output_size: int, *, key, **cell_kw):
        k1, k2 = jax.random.split(key)
        self.cell = CfCCell(input_size, hidden_size, key=k1, **cell_kw)
        self.readout = eqx.nn.Linear(hidden_size, output_size, key=k2)

    def __call__(self, xs: Float[Array, "T i"], dts: Float[Array, " T"]) -> Float[Array, "T o"]:
        def step(h, inp):
            x, dt = inp
            h = self.cell(x, h, dt)
            return h, self.readout(h)

        h0 = jnp.zeros(self.cell.hidden_size, xs.dtype)
        return jax.lax.scan(step, h0, (xs, dts))[1]


class TimeGRU(eqx.Module):
    """The standard-RNN baseline: a GRU whose input is [x, Δt] (the elapsed time as a
    feature, the usual treatment of irregular sampling by discrete RNNs), linear readout."""

    cell: eqx.nn.GRUCell
    readout: eqx.nn.Linear

    def __init__(self, input_size: int, hidden_size: int, output_size: int, *, key):
        k1, k2 = jax.random.split(key)
        self.cell = eqx.nn.GRUCell(input_size + 1, hidden_size, key=k1)
        self.readout = eqx.nn.Linear(hidden_size, output_size, key=k2)

    def __call__(self, xs: Float[Array, "T i"], dts: Float[Array, " T"]) -> Float[Array, "T o"]:
        def step(h, inp):
            h = self.cell(jnp.concatenate([inp[0], inp[1][None]]), h)
            return h, self.readout(h)

        h0 = jnp.zeros(self.cell.hidden_size, xs.dtype)
        return jax.lax.scan(step, h0, (xs, dts))[1]


__all__ = ["ACTIVATIONS", "CFC_MODES", "CfC", "CfCCell", "TimeGRU", "lecun_tanh"]
