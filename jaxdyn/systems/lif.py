"""Leaky integrate-and-fire neurons on a connectivity scaffold, with spikes as events.

Neuron i (Lapicque 1907; Gerstner, Kistler, Naud & Paninski, "Neuronal Dynamics",
CUP 2014, §1.3):

    τ dv_i/dt = -v_i + R I_i(t)            (outside the refractory period)
    v_i -> v_reset when v_i crosses θ, then v_i is held for τ_ref,
    v_j -> v_j + w_ij for every synapse i -> j (delta synapses; weights[i, j]).

The drive R I_i(t) = drive_i + a cos(φ_i(t)) is a constant part plus an optional top-down
modulation by oscillator phases φ_i(t) passed as ``args = (t_grid, phases)`` (sampled on
a grid, linearly interpolated); that is how the spiking-by-synchronisation network of
paper 7 (:mod:`jaxdyn.models.s2net`) couples a Kuramoto layer to the spikes.

The state is ``(3, N)``: potentials v, time since the last spike s (ds/dt = 1), and a
refractory flag r (1 while refractory; dv/dt is multiplied by 1 - r). Spikes are
:class:`jaxdyn.Event` s with 2N components (:meth:`LIFNetwork.spikes`): v_i - θ_i (spike:
v_i -> v_reset, s_i -> 0, r_i -> 1, v_j += w_ji) and s_i - τ_ref (end of refractoriness:
r_i -> 0). Because the refractory switch is a state variable flipped by a reset, an
exact-mode solve has no step straddling a switch (the hybrid-automaton formulation).
With constant drive and no coupling the firing rate is 1/(τ_ref + τ ln(RI/(RI - θ)))
for RI > θ (with v_reset = 0), which ``tests/test_spiking_sync.py`` checks.
"""

from __future__ import annotations

from typing import ClassVar

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float, Int

from ..core import AbstractODE, Event, check_int

SCAFFOLDS = ("grid", "ring", "all", "none")


def scaffold_adjacency(kind: str, n: int, *, cols: int | None = None) -> np.ndarray:
    """Symmetric 0/1 adjacency of a connectivity scaffold on ``n`` nodes.

    ``"grid"``: a ``(n // cols) x cols`` pixel lattice, 4-neighbour (``cols`` defaults to
    the integer square root, which must divide n); ``"ring"``: nearest neighbours on a
    cycle; ``"all"``: all-to-all; ``"none"``: no edges.
    """
    n = check_int("n", n, 1)
    if kind not in SCAFFOLDS:
        raise ValueError(f"scaffold must be one of {SCAFFOLDS}, got {kind!r}")
    a = np.zeros((n, n))
    if kind == "all":
        a = 1.0 - np.eye(n)
    elif kind == "ring" and n > 1:
        i = np.arange(n)
        a[i, (i + 1) % n] = a[(i + 1) % n, i] = 1.0
        np.fill_diagonal(a, 0.0)
    elif kind == "grid":
        cols = int(round(np.sqrt(n))) if cols is None else check_int("cols", cols, 1)
        if n % cols:
            raise ValueError(f"grid scaffold: cols={cols} must divide n={n}")
        rows = n // cols
        idx = np.arange(n).reshape(rows, cols)
        for u, v in ((idx[:, :-1], idx[:, 1:]), (idx[:-1, :], idx[1:, :])):
            a[u.ravel(), v.ravel()] = a[v.ravel(), u.ravel()] = 1.0
    return a


class LIFNetwork(AbstractODE):
    """N leaky integrate-and-fire neurons with delta synapses (see the module docstring).

    ``weights`` is a dense (N, N) matrix (weights[i, j]: synapse i -> j), stored as the
    edge list of its non-zero entries (``pre``, ``post``, ``w``); ``w`` may replace the
    edge weights (e.g. in a sweep).
    """

    drive: Float[Array, " n"]
    w: Float[Array, " e"]
    pre: Int[Array, " e"]
    post: Int[Array, " e"]
    tau: Float[Array, ""]
    theta: Float[Array, ""]
    v_reset: Float[Array, ""]
    tau_ref: Float[Array, ""]
    mod_amp: Float[Array, ""]

    name: ClassVar[str] = "lif_network"
    paper: ClassVar[str] = "7"
    reference: ClassVar[str] = (
        "Leaky integrate-and-fire (Gerstner et al., Neuronal Dynamics, 2014, §1.3); "
        "spiking layer of S2-Net (paper 7)"
    )
    param_ranges: ClassVar[dict[str, tuple[float, float]]] = {
        "tau": (1e-4, 1e4),
        "drive": (-1e3, 1e3),
        "w": (-1e3, 1e3),
        "theta": (1e-6, 1e3),
        "v_reset": (-1e3, 1e3),
        "tau_ref": (0.0, 1e4),
        "mod_amp": (0.0, 1e3),
    }
    default_dt: ClassVar[float] = 0.1
    t_char: ClassVar[float] = 50.0

    def __init__(self, drive=(1.5, 1.2, 2.0, 1.1), weights=None, tau=10.0, theta=1.0,
                 v_reset=0.0, tau_ref=2.0, mod_amp=0.0, w=None):  # fmt: skip
        self.drive = jnp.asarray(drive, dtype=float)
        if self.drive.ndim != 1 or self.drive.shape[0] < 1:
            raise ValueError(
                f"LIFNetwork: drive must be a non-empty 1-D array, got {self.drive.shape}"
            )
        n = self.drive.shape[0]
        # Synapses as an edge list (pre -> post, weight w): a spike costs O(out-degree),
        # not O(N) as a dense matrix-vector product would.
        weights = np.zeros((n, n)) if weights is None else np.asarray(weights, dtype=float)
        if weights.shape != (n, n):
            raise ValueError(f"LIFNetwork: weights must have shape ({n}, {n}), got {weights.shape}")
        pre, post = np.nonzero(weights)
        self.pre, self.post = jnp.asarray(pre, jnp.int32), jnp.asarray(post, jnp.int32)
        # ``w`` replaces the edges' weights (the swept/trained parameter)
        self.w = jnp.asarray(weights[pre, post] if w is None else w, dtype=float)
        self.tau = jnp.asarray(tau, dtype=float)
        self.theta = jnp.asarray(theta, dtype=float)
        self.v_reset = jnp.asarray(v_reset, dtype=float)
        self.tau_ref = jnp.asarray(tau_ref, dtype=float)
        self.mod_amp = jnp.asarray(mod_amp, dtype=float)

    def __check_init__(self):
        super().__check_init__()
        if np.all([not isinstance(x, jax.core.Tracer) for x in (self.theta, self.v_reset)]):
            if not float(self.v_reset) < float(self.theta):
                raise ValueError(
                    f"LIFNetwork: v_reset must lie below the threshold theta={float(self.theta)}, "
                    f"got {float(self.v_reset)}"
                )

    @property
    def n(self) -> int:
        return self.drive.shape[0]

    def initial_state(self, key=None):
        """v = v_reset (or uniform in [v_reset, θ) with a key), not refractory."""
        if key is None:
            v = jnp.full(self.n, self.v_reset)
        else:
            v = jax.random.uniform(key, (self.n,), minval=self.v_reset, maxval=self.theta)
        s = jnp.full(self.n, self.tau_ref + 1.0)
        return jnp.stack([v, s, jnp.zeros(self.n)])

    def current(self, t, args=None) -> Array:
        """R I(t): the drive, plus a cos(φ(t)) when ``args = (t_grid, phases)``."""
        if args is None:
            return self.drive
        t_grid, phases = args
        phi = jax.vmap(lambda p: jnp.interp(t, t_grid, p), in_axes=1)(phases)
        return self.drive + self.mod_amp * jnp.cos(phi)

    def drift(self, t, y, args=None):
        v, r = y[0], y[2]
        dv = (1.0 - r) * (self.current(t, args) - v) / self.tau
        return jnp.stack([dv, jnp.ones_like(v), jnp.zeros_like(r)])

    def spikes(self, max_events: int = 4096, mode: str = "clock") -> Event:
        """Spikes (components 0..N-1) and ends of refractoriness (N..2N-1) as one Event."""
        n = self.n

        def condition(t, y, args):
            return jnp.concatenate([y[0] - self.theta, y[1] - self.tau_ref])

        def reset(t, y, fired, args):
            spike, ends = fired[:n], fired[n:]
            # v_j += w_ij for every synapse i -> j whose presynaptic neuron i spiked
            kick = jax.ops.segment_sum(self.w * spike[self.pre], self.post, num_segments=n)
            v = jnp.where(spike, self.v_reset, y[0] + kick * (1.0 - y[2]))
            s = jnp.where(spike, 0.0, y[1])
            r = jnp.where(spike, 1.0, jnp.where(ends, 0.0, y[2]))
            return jnp.stack([v, s, r])

        return Event(condition, reset, max_events=check_int("max_events", max_events, 1),
                     direction="up", mode=mode)  # fmt: skip

    def rate(self) -> Array:
        """Closed-form firing rate of each uncoupled neuron under its constant drive."""
        rel = (self.drive - self.v_reset) / (self.drive - self.theta)
        isi = self.tau_ref + self.tau * jnp.log(jnp.where(self.drive > self.theta, rel, 1.0))
        return jnp.where(self.drive > self.theta, 1.0 / isi, 0.0)


def spike_raster(events, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(times, neuron) of the spikes in an EventRecord of :meth:`LIFNetwork.spikes`."""
    k = min(int(events.count), events.times.shape[0])
    t, i = np.asarray(events.times[:k]), np.asarray(events.index[:k])
    keep = i < n
    return t[keep], i[keep]


__all__ = ["SCAFFOLDS", "LIFNetwork", "scaffold_adjacency", "spike_raster"]
