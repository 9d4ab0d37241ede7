"""Phases and synchrony: Kuramoto order parameters and phases estimated from spike trains.

* :func:`order_parameter`: r e^{iψ} = (1/N) Σ_j e^{iθ_j} (Kuramoto 1984), over the last
  axis; r = 1 for perfect phase locking, r ~ N^{-1/2} for incoherence.
* :func:`group_order_parameters`: the mean within-group r and the phase-locking value of
  the groups' mean phases (|<e^{i(ψ_a - ψ_b)}>_t|), the two numbers of a
  binding-by-synchrony test (two objects, two synchronous groups; von der Malsburg 1981,
  Singer & Gray, Annu. Rev. Neurosci. 18, 555 (1995)).
* :func:`spike_phases`: a neuron's phase at time t from its recent spikes over a finite
  memory window: φ = 2π (t - t_last)/T̂ with T̂ the mean interspike interval of the
  spikes in [t - W, t] (a causal version of the linear-interpolation phase of spike
  trains, Pikovsky, Rosenblum & Kurths, "Synchronization", CUP 2001, §6.4.1); neurons
  with fewer than two spikes in the window have no phase (NaN).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike


def order_parameter(theta: ArrayLike) -> tuple[Array, Array]:
    """(r, ψ) of the phases along the last axis (NaN phases ignored)."""
    theta = jnp.asarray(theta)
    ok = jnp.isfinite(theta)
    z = jnp.sum(jnp.where(ok, jnp.exp(1j * jnp.where(ok, theta, 0.0)), 0.0), axis=-1)
    z = z / jnp.maximum(jnp.sum(ok, axis=-1), 1)
    return jnp.abs(z), jnp.angle(z)


def group_order_parameters(theta: ArrayLike, groups: ArrayLike) -> dict:
    """Within-group r (time average, then mean over groups) and between-group phase locking.

    ``theta`` has shape ``(T, N)``; ``groups`` ``(N,)`` integer labels, negative for nodes
    in no group. Returns ``within`` (mean over groups of <r_g>_t), ``within_each`` and
    ``between`` (mean over pairs of groups of |<e^{i(ψ_a - ψ_b)}>_t|: 1 when the groups
    keep a fixed phase difference, ~T^{-1/2} when their phases drift apart).
    """
    theta = np.asarray(theta, float)
    groups = np.asarray(groups)
    if theta.ndim != 2 or groups.shape != (theta.shape[1],):
        raise ValueError(f"theta must be (T, N) and groups (N,), got {theta.shape}, {groups.shape}")
    labels = [g for g in np.unique(groups) if g >= 0]
    if len(labels) < 1:
        raise ValueError("groups must label at least one group with a label >= 0")
    r, psi = {}, {}
    for g in labels:
        rg, pg = order_parameter(theta[:, groups == g])
        r[g], psi[g] = np.asarray(rg), np.asarray(pg)
    within_each = np.array([np.nanmean(r[g]) for g in labels])
    pairs = [(a, b) for i, a in enumerate(labels) for b in labels[i + 1 :]]
    plv = [np.abs(np.nanmean(np.exp(1j * (psi[a] - psi[b])))) for a, b in pairs]
    return {
        "within": float(np.mean(within_each)),
        "within_each": within_each,
        "between": float(np.mean(plv)) if plv else float("nan"),
    }


def spike_phases(
    times: ArrayLike, neurons: ArrayLike, n: int, t: ArrayLike, window: float
) -> tuple[Array, Array]:
    """Phases (and angular frequencies 2π/T̂) of ``n`` neurons at times ``t`` from spikes.

    ``times``/``neurons`` list the spikes (any order; ``inf`` times are padding). For each
    t, only spikes in [t - window, t] count (the memory window). Returns two arrays of
    shape ``t.shape + (n,)``, NaN where a neuron had fewer than two spikes in the window.
    """
    if not window > 0:
        raise ValueError(f"window must be positive, got {window}")
    times = jnp.asarray(times, float)
    neurons = jnp.asarray(neurons)
    t = jnp.asarray(t, float)
    onehot = neurons[:, None] == jnp.arange(n)[None, :]  # (S, n)

    def at(tt):
        inside = onehot & ((times <= tt) & (times >= tt - window))[:, None]
        count = jnp.sum(inside, axis=0)
        last = jnp.max(jnp.where(inside, times[:, None], -jnp.inf), axis=0)
        first = jnp.min(jnp.where(inside, times[:, None], jnp.inf), axis=0)
        ok = count >= 2
        period = jnp.where(ok, (last - first) / jnp.maximum(count - 1, 1), jnp.nan)
        phase = jnp.mod(2 * jnp.pi * (tt - last) / period, 2 * jnp.pi)
        return jnp.where(ok, phase, jnp.nan), jnp.where(ok, 2 * jnp.pi / period, jnp.nan)

    flat = jnp.reshape(t, (-1,))
    ph, fr = jax.lax.map(at, flat)
    return jnp.reshape(ph, t.shape + (n,)), jnp.reshape(fr, t.shape + (n,))


__all__ = ["group_order_parameters", "order_parameter", "spike_phases"]
