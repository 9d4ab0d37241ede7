"""Figures of the rnn_hmm experiment."""

from __future__ import annotations

import numpy as np

from ...plotting import figure


def fig_statistics(comparisons: dict):
    names = list(comparisons)
    fig, axes = figure(1, 3, panel=(4.2, 3.4))
    a1, a2, a3 = axes[0]
    x = np.arange(len(names))
    vh = [comparisons[n]["volatility"][0] for n in names]
    vr = [comparisons[n]["volatility"][1] for n in names]
    a1.bar(x - 0.2, vh, 0.4, label="HMM")
    a1.bar(x + 0.2, vr, 0.4, label="RNN")
    a1.set(xticks=x, xticklabels=names, ylabel="volatility")
    a1.legend()
    for n in names:
        h, r = (
            comparisons[n]["hmm"]["transitions"].ravel(),
            comparisons[n]["rnn"]["transitions"].ravel(),
        )
        a2.plot(h, r, "o", ms=4, label=n)
        dh, dr = comparisons[n]["hmm"]["dwell"], comparisons[n]["rnn"]["dwell"]
        a3.plot(dh, dr, "s", ms=4, label=n)
    for ax, lab in ((a2, "P(o'|o)"), (a3, "dwell time")):
        lim = ax.get_xlim()
        ax.plot(lim, lim, "k:")
        ax.set(xlabel=f"HMM {lab}", ylabel=f"RNN {lab}")
    a2.legend(fontsize=7)
    return fig


def fig_dynamics(dyn: dict):
    fig, axes = figure(1, 3, panel=(4.2, 3.4))
    a1, a2, a3 = axes[0]
    for pc, m in zip(dyn["pcs"], dyn["mode_example"], strict=True):
        a1.scatter(pc[:, 0], pc[:, 1], c=m, s=3, cmap="viridis")
    a1.plot(*dyn["fp_pc"], "r*", ms=14, label="noiseless fixed point")
    a1.set(xlabel="PC 1", ylabel="PC 2", title="noisy orbits (colour: likely output)")
    a1.legend(fontsize=7)
    a2.plot(dyn["noise_scales"], dyn["orbit_size"], "o-")
    a2.set(xlabel="input s.d. / training s.d.", ylabel=r"mean $|h - h^*|$", title="orbit size")
    a3.plot(dyn["speed_example"][0], lw=1, label=r"$|F(h)-h|$")
    ch = np.flatnonzero(np.diff(dyn["mode_example"][0])) + 1
    for c in ch:
        a3.axvline(c, color="r", lw=0.5)
    a3.set(xlabel="t", ylabel="deterministic speed", title="speed; red: output changes")
    return fig


def fig_kick(kick: dict):
    fig, axes = figure(1, 2)
    a1, a2 = axes[0]
    w = (kick["tta"].shape[0] - 1) // 2
    lags = np.arange(-w, w + 1)
    for u in kick["kick"]:
        a1.plot(lags, kick["tta"][:, u], "r-", lw=1)
    for u in kick["control"]:
        a1.plot(lags, kick["tta"][:, u], "k-", lw=0.5, alpha=0.5)
    a1.set(xlabel="steps from output change", ylabel="activity", title="red: kick neurons")
    labels = ["intact", "silenced", "silenced_control", "overdriven"]
    a2.bar(range(4), [kick[k]["volatility"] for k in labels], color=["gray", "r", "k", "orange"])
    a2.set(xticks=range(4), xticklabels=["intact", "silence kick", "silence random", "over-drive"],
           ylabel="volatility")  # fmt: skip
    return fig
