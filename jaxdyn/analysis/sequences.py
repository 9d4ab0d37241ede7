"""Statistics of discrete output sequences (emissions of an HMM or of a generator).

For sequences o_t in {0, ..., O-1} (an array ``(n, T)``):

* ``marginals``: P(o);
* ``transitions``: the empirical output transition matrix P(o_{t+1} | o_t);
* ``dwell``: the mean run length of each output (time spent in it before switching);
* ``volatility``: the fraction of steps at which the output changes.

:func:`event_triggered_average` averages a signal around given event times (the
transition-triggered activity that picks out "kick neurons" in paper 23).
"""

from __future__ import annotations

import numpy as np
from jaxtyping import ArrayLike


def emission_statistics(outputs: ArrayLike, n_outputs: int) -> dict:
    o = np.asarray(outputs)
    if o.ndim != 2 or o.shape[1] < 2:
        raise ValueError(f"outputs must be (n sequences, T >= 2), got {o.shape}")
    if o.min() < 0 or o.max() >= n_outputs:
        raise ValueError(f"outputs must lie in [0, {n_outputs}), got [{o.min()}, {o.max()}]")
    marg = np.bincount(o.ravel(), minlength=n_outputs) / o.size
    counts = np.zeros((n_outputs, n_outputs))
    np.add.at(counts, (o[:, :-1].ravel(), o[:, 1:].ravel()), 1.0)
    trans = counts / np.maximum(counts.sum(1, keepdims=True), 1.0)
    dwell = np.zeros(n_outputs)
    runs = [[] for _ in range(n_outputs)]
    for seq in o:
        edges = np.flatnonzero(np.diff(seq)) + 1
        starts = np.concatenate([[0], edges])
        lengths = np.diff(np.concatenate([starts, [len(seq)]]))
        for s, L in zip(starts[1:-1], lengths[1:-1], strict=True):  # complete runs only
            runs[seq[s]].append(L)
    dwell = np.array([np.mean(r) if r else np.nan for r in runs])
    return {
        "marginals": marg,
        "transitions": trans,
        "dwell": dwell,
        "volatility": float(np.mean(o[:, 1:] != o[:, :-1])),
    }


def event_triggered_average(signal: ArrayLike, events: ArrayLike, window: int) -> np.ndarray:
    """Mean of ``signal[t + k]`` (``signal`` ``(T, ...)``) over event times t, for
    k = -window..window; events too close to the ends are skipped. Shape (2w+1, ...)."""
    x = np.asarray(signal)
    ev = np.asarray(events, int)
    ev = ev[(ev >= window) & (ev < len(x) - window)]
    if ev.size == 0:
        return np.full((2 * window + 1,) + x.shape[1:], np.nan)
    return np.mean(np.stack([x[e - window : e + window + 1] for e in ev]), axis=0)


__all__ = ["emission_statistics", "event_triggered_average"]
