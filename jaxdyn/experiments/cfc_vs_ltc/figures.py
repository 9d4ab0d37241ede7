"""Figures of the cfc_vs_ltc experiment."""

from __future__ import annotations

import numpy as np

from ...plotting import figure

COLORS = {"cfc": "tab:blue", "ltc_ode": "tab:red", "ltc_fused": "tab:orange", "gru": "tab:gray"}
LABELS = {"cfc": "CfC", "ltc_ode": "LTC (ODE)", "ltc_fused": "LTC (fused)", "gru": "GRU+Δt"}


def fig_summary(results: dict, models):
    """Scores with 95 % intervals, and training/inference time per sequence (log)."""
    fig, axes = figure(1, 3, panel=(4.2, 3.4))
    a1, a2, a3 = axes[0]
    x = np.arange(len(models))
    for ax, task, key, label in (
        (a1, "parity", "accuracy", "test accuracy (parity)"),
        (a2, "pendulum", "nrmse", "test NRMSE of p (pendulum)"),
    ):
        vals = np.array([results[task][m][key] for m in models])
        ci = np.array([results[task][m]["ci95"] for m in models]).T
        ax.bar(x, vals, color=[COLORS[m] for m in models])
        ax.errorbar(x, vals, yerr=[vals - ci[0], ci[1] - vals], fmt="none", ecolor="k", capsize=3)
        ax.set(xticks=x, xticklabels=[LABELS[m] for m in models], ylabel=label)
    if "accuracy" in results["parity"][models[0]]:
        a1.axhline(0.5, color="k", ls=":", lw=1)
    w = 0.2
    for j, (task, what, hatch) in enumerate(
        [
            ("parity", "train", ""),
            ("parity", "infer", "//"),
            ("pendulum", "train", ".."),
            ("pendulum", "infer", "xx"),
        ]  # fmt: skip
    ):
        v = [results[task][m][f"{what}_ms_per_seq"] for m in models]
        a3.bar(x + (j - 1.5) * w, v, w, color=[COLORS[m] for m in models], hatch=hatch,
               edgecolor="k", label=f"{task} {what}")  # fmt: skip
    a3.set(xticks=x, xticklabels=[LABELS[m] for m in models], yscale="log",
           ylabel="ms per sequence")  # fmt: skip
    a3.legend(fontsize=7)
    return fig


def fig_losses(losses: dict):
    fig, axes = figure(1, 2)
    for ax, task in zip(axes[0], losses, strict=True):
        for m, v in losses[task].items():
            ax.plot(v, color=COLORS[m], label=LABELS[m], lw=1)
        ax.set(xlabel="step", ylabel="training loss", title=task, yscale="log")
        ax.legend(fontsize=8)
    return fig
