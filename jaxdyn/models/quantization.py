"""Quantisation-aware training: quantisers, straight-through estimators, oscillation
tracking and confidence-guided annealing (paper 18).

Fake quantisation maps a real tensor onto a grid of 2^b levels in the forward pass and
passes gradients "straight through" the rounding:

* :func:`round_ste` rounds in the forward pass with the identity as its derivative
  (Y. Bengio, N. Léonard and A. Courville, arXiv:1308.3432 (2013));
* :class:`LSQQuantizer`, learned step size quantisation (S. K. Esser et al., "Learned step
  size quantization", ICLR 2020): q(x) = s · clip(⌊x/s⌉, -Q_N, Q_P) with a *learned* step
  s (per output channel for weights, per tensor for activations), levels
  {-2^{b-1}, ..., 2^{b-1}-1} (signed) or {0, ..., 2^b - 1}, the STE on the rounding,
  so ∂q/∂x = 1 inside the clipping range and 0 outside, ∂q/∂s = ⌊x/s⌉ - x/s inside and
  ±Q at the ends, the step's gradient scaled by g = 1/√(N Q_P) and the step initialised
  to 2⟨|x|⟩/√Q_P;
* :class:`StatsQuantizer`, the statistics-based weight quantiser (StatsQ) of S.-Y. Liu,
  Z. Liu and K.-T. Cheng, "Oscillation-free quantization for low-bit vision transformers",
  ICML 2023 (paper 18): the scale is not learned but recomputed from the weights at
  every step, s = 2 ⟨|w|⟩ per output row (no gradient through it); w/s is clipped to
  [-1, 1) and mapped to the 2^b levels (k + ½)/n, k = -n..n-1, n = 2^{b-1} (no zero
  level), with a plain straight-through gradient. Its levels move only as fast as the
  weights' mean magnitude, where LSQ's move with a separately learned step: the paper's
  diagnosis of why learnable scales aggravate oscillation.

:class:`OscillationTracker` counts oscillations as in M. Nagel et al., "Overcoming
oscillations in quantization-aware training", ICML 2022 (the measure paper 18 reports): a
weight oscillates at step t when its integer level changes in the direction opposite to
its previous change; the frequency is an exponential moving average
f_t = m o_t + (1 - m) f_{t-1}. :func:`cga_freeze_mask` gives the weights that
confidence-guided annealing (CGA, paper 18) freezes: those whose scaled value lies farther
than ``boundary`` (in units of the level spacing) from every rounding boundary.
"""

from __future__ import annotations

from typing import NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Bool, Float

#: bit widths the quantisers accept
BITS = (1, 2, 3, 4, 5, 6, 7, 8)


def check_bits(bits: int) -> int:
    """Validate a bit width (an integer in 1..8; the signed LSQ grid needs >= 2)."""
    if isinstance(bits, bool) or not isinstance(bits, int | np.integer):
        raise TypeError(f"bits must be an integer, got {type(bits).__name__}")
    if int(bits) not in BITS:
        raise ValueError(f"bits must be an integer in [1, 8], got {bits}")
    return int(bits)


def round_ste(x: Array) -> Array:
    """⌊x⌉ in the forward pass, the identity in the backward pass (straight-through)."""
    return x + jax.lax.stop_gradient(jnp.round(x) - x)


def floor_ste(x: Array) -> Array:
    """⌊x⌋ forward, identity backward."""
    return x + jax.lax.stop_gradient(jnp.floor(x) - x)


def grad_scale(x: Array, scale: ArrayLike) -> Array:
    """x in the forward pass, gradient multiplied by ``scale`` in the backward pass."""
    y = x * scale
    return jax.lax.stop_gradient(x - y) + y


def level_range(bits: int, signed: bool) -> tuple[int, int]:
    """(Q_N, Q_P): the integer grid is {-Q_N, ..., Q_P}."""
    bits = check_bits(bits)
    if signed:
        if bits < 2:
            raise ValueError("bits must be >= 2 for a signed LSQ grid (got 1)")
        return 2 ** (bits - 1), 2 ** (bits - 1) - 1
    return 0, 2**bits - 1


class LSQQuantizer(eqx.Module):
    """Learned step size quantiser; ``step`` broadcasts against the input (per channel or
    per tensor). Call it to fake-quantise; :meth:`levels` gives the integer levels."""

    step: Float[Array, "..."]
    bits: int = eqx.field(static=True)
    signed: bool = eqx.field(static=True)
    #: leading axes of the input that index examples (left out of the count N of g)
    batch_axes: int = eqx.field(static=True)

    def __init__(self, step: ArrayLike, bits: int, signed: bool = True, batch_axes: int = 0):
        self.bits = check_bits(bits)
        self.signed = bool(signed)
        level_range(self.bits, self.signed)
        self.step = jnp.asarray(step, dtype=float)
        self.batch_axes = int(batch_axes)

    @classmethod
    def init(
        cls,
        x: ArrayLike,
        bits: int,
        signed: bool = True,
        axis: int | None = None,
        batch_axes: int = 0,
    ) -> LSQQuantizer:
        """Step 2⟨|x|⟩/√Q_P (Esser et al.), per slice along ``axis`` (None: per tensor);
        ``batch_axes`` leading axes index examples (activations: 1)."""
        _, qp = level_range(bits, signed)
        x = jnp.asarray(x, dtype=float)
        if axis is None:
            mean = jnp.mean(jnp.abs(x))
        else:
            other = tuple(i for i in range(x.ndim) if i != axis % x.ndim)
            mean = jnp.mean(jnp.abs(x), axis=other, keepdims=True)
        return cls(2.0 * mean / np.sqrt(qp) + 1e-8, bits, signed, batch_axes)

    def _scaled(self, x: Array) -> tuple[Array, Array]:
        qn, qp = level_range(self.bits, self.signed)
        per_example = int(np.prod(x.shape[self.batch_axes :]))
        n = per_example / max(1, self.step.size)
        s = grad_scale(jnp.abs(self.step) + 1e-12, 1.0 / np.sqrt(n * qp))
        return jnp.clip(x / s, -qn, qp), s

    def __call__(self, x: Array) -> Array:
        v, s = self._scaled(x)
        return round_ste(v) * s

    def levels(self, x: Array) -> Array:
        """The integer level of each entry (no gradient)."""
        v, _ = self._scaled(jax.lax.stop_gradient(x))
        return jnp.round(v)

    def scaled(self, x: Array) -> Array:
        """x/s clipped to the grid, in units of the level spacing (no gradient)."""
        return self._scaled(jax.lax.stop_gradient(x))[0]


class StatsQuantizer(eqx.Module):
    """StatsQ weight quantiser: scale 2⟨|w|⟩ over the last axis, recomputed every call."""

    bits: int = eqx.field(static=True)

    def __init__(self, bits: int):
        self.bits = check_bits(bits)

    def scale(self, w: Array) -> Array:
        return jax.lax.stop_gradient(2.0 * jnp.mean(jnp.abs(w), axis=-1, keepdims=True) + 1e-12)

    def _unit(self, w: Array) -> Array:
        """w/s clipped to [-1, 1), times n: the integer level is its floor."""
        n = 2.0 ** (self.bits - 1)
        c = jnp.clip(w / self.scale(w), -1.0, 1.0 - 1e-6)
        return c * n

    def __call__(self, w: Array) -> Array:
        n = 2.0 ** (self.bits - 1)
        q = (jnp.floor(self._unit(jax.lax.stop_gradient(w))) + 0.5) / n * self.scale(w)
        return w + jax.lax.stop_gradient(q - w)  # straight-through, no clipping mask

    def levels(self, w: Array) -> Array:
        return jnp.floor(self._unit(jax.lax.stop_gradient(w)))

    def scaled(self, w: Array) -> Array:
        """The value whose floor is the level, shifted so that levels sit at integers
        (boundaries at half-integers, as for LSQ's rounding)."""
        return self._unit(jax.lax.stop_gradient(w)) - 0.5


def cga_freeze_mask(scaled: Array, boundary: float) -> Bool[Array, "..."]:
    """True where a weight is confident: its scaled value (levels at integers, rounding
    boundaries at half-integers) is farther than ``boundary`` from every boundary."""
    if not 0.0 <= boundary <= 0.5:
        raise ValueError(f"boundary must lie in [0, 0.5] (level spacings), got {boundary}")
    frac = scaled - jnp.floor(scaled)  # in [0, 1): boundary at 1/2
    return jnp.abs(frac - 0.5) > boundary


class TrackerState(NamedTuple):
    """Per-weight oscillation statistics (arrays shaped like the tracked weights)."""

    prev_level: Array
    prev_direction: Array
    frequency: Array
    count: Array
    steps: Array


class OscillationTracker(eqx.Module):
    """EMA of integer-level direction flips (Nagel et al. 2022), a pure state update.

    ``init(levels)`` starts a state; ``update(state, levels)`` records one step: a weight
    oscillates when its level changes opposite to its last change. ``fraction(state)``
    is the share of weights whose frequency exceeds ``threshold``.
    """

    momentum: float = 0.01
    threshold: float = 0.005

    def __check_init__(self):
        if not 0.0 < self.momentum <= 1.0:
            raise ValueError(f"momentum must lie in (0, 1], got {self.momentum}")
        if not 0.0 <= self.threshold < 1.0:
            raise ValueError(f"threshold must lie in [0, 1), got {self.threshold}")

    def init(self, levels: Array) -> TrackerState:
        z = jnp.zeros_like(levels, dtype=float)
        return TrackerState(jnp.asarray(levels, float), z, z, z, jnp.asarray(0))

    def update(self, state: TrackerState, levels: Array) -> TrackerState:
        levels = jnp.asarray(levels, float)
        direction = jnp.sign(levels - state.prev_level)
        oscillated = (direction * state.prev_direction) < 0
        freq = self.momentum * oscillated + (1.0 - self.momentum) * state.frequency
        prev_dir = jnp.where(direction != 0, direction, state.prev_direction)
        return TrackerState(levels, prev_dir, freq, state.count + oscillated, state.steps + 1)

    def fraction(self, state: TrackerState) -> Array:
        return jnp.mean(state.frequency > self.threshold)


__all__ = [
    "BITS",
    "LSQQuantizer",
    "OscillationTracker",
    "StatsQuantizer",
    "TrackerState",
    "cga_freeze_mask",
    "check_bits",
    "floor_ste",
    "grad_scale",
    "level_range",
    "round_ste",
]
