"""Figures of the benign_oscillation experiment."""

from __future__ import annotations

import numpy as np

from ...plotting import figure

COLORS = {"small": "tab:blue", "large": "tab:red", "control": "tab:gray"}


def _band(ax, x, y, color, label):
    m = np.nanmean(y, axis=0)
    se = np.nanstd(y, axis=0) / np.sqrt(max(1, y.shape[0]))
    ax.plot(x, m, color=color, label=label)
    ax.fill_between(x, m - se, m + se, color=color, alpha=0.25, lw=0)


def fig_training(c: dict, cfg, ctl: dict | None):
    """Loss (seed 0), alignments and test accuracies over training, small vs large rate."""
    fig, axes = figure(2, 2, panel=(4.8, 3.5))
    (a1, a2), (a3, a4) = axes
    ts = c["ts"]
    labels = {"small": f"η={cfg.lr_small:g}", "large": f"η={cfg.lr_large:g}"}
    for i, name in enumerate(("small", "large")):
        col = COLORS[name]
        a1.semilogy(ts, c["loss"][i, 0], color=col, lw=0.8, label=f"{labels[name]}: all")
        a1.semilogy(ts, c["loss_strong"][i, 0], color=col, ls="--", lw=0.8, label="strong examples")
        a1.semilogy(ts, c["loss_weak"][i, 0], color=col, ls=":", lw=0.8, label="weak-only examples")
        _band(a2, ts, c["align_weak"][i], col, f"{labels[name]}: weak v")
        a2.plot(ts, np.mean(c["align_strong"][i], 0), color=col, ls="--", label="strong u")
        _band(a3, c["ts_acc"], c["acc_weak"][i], col, f"{labels[name]}: weak-only test")
        a3.plot(c["ts_acc"], np.mean(c["acc"][i], 0), color=col, ls="--", label="all test")
    if ctl is not None:
        scale = cfg.lr_control / cfg.lr_large  # plot against the large rate's η·k
        a2.plot(
            ctl["ts"] * scale,
            np.mean(ctl["align_weak"], 0),
            color=COLORS["control"],
            label=f"η={cfg.lr_control:g}, steps x{1 / scale:g} (time-rescaled)",
        )
        a3.plot(
            ctl["ts"] * scale,
            np.mean(ctl["acc_weak"], 0),
            color=COLORS["control"],
            label=f"η={cfg.lr_control:g}, time-rescaled",
        )
    a1.set(xlabel="step", ylabel="training loss (seed 0)", title="square loss")
    a1.legend(fontsize=6, ncol=2)
    a2.set(xlabel="step", ylabel="mean filter alignment", title="feature learning")
    a2.legend(fontsize=6)
    a3.set(
        xlabel="step",
        ylabel="test accuracy",
        title=f"{cfg.seeds} seeds (mean ± s.e.)",
        ylim=(0.4, 1.02),
    )
    a3.legend(fontsize=6)
    n = min(400, ts.size)
    a4.semilogy(ts[:n], c["loss"][1, 0, :n], color=COLORS["large"], lw=0.8, label=labels["large"])
    a4.semilogy(ts[:n], c["loss"][0, 0, :n], color=COLORS["small"], lw=0.8, label=labels["small"])
    a4.set(xlabel="step", ylabel="training loss", title="oscillation (first steps, seed 0)")
    a4.legend(fontsize=7)
    return fig


def fig_phase(p: dict, cfg):
    """Weak-only test accuracy and weak alignment over (learning rate, weak norm)."""
    fig, axes = figure(1, 2, panel=(4.6, 3.6))
    a1, a2 = axes[0]
    x = np.arange(p["lrs"].size)
    y = np.arange(p["weaks"].size)
    m1 = a1.pcolormesh(x, y, p["acc_weak"].T, shading="nearest", cmap="viridis", vmin=0.5, vmax=1.0)
    fig.colorbar(m1, ax=a1, label="weak-only test accuracy")
    m2 = a2.pcolormesh(x, y, np.nan_to_num(p["align_weak"].T), shading="nearest", cmap="magma")
    fig.colorbar(m2, ax=a2, label="weak-feature alignment")
    for ax in (a1, a2):
        ax.set_xticks(x, [f"{v:g}" for v in p["lrs"]])
        ax.set_yticks(y, [f"{v:g}" for v in p["weaks"]])
        ax.set(xlabel="learning rate η", ylabel="|v| (weak feature)")
    for i in range(p["lrs"].size):
        for j in range(p["weaks"].size):
            if p["diverged"][i, j] > 0:
                a1.text(i, j, "div", ha="center", va="center", color="w", fontsize=7)
    a1.set_title(f"{cfg.phase_steps} steps, {cfg.phase_seeds} seeds")
    a2.set_title("mean filter alignment with v")
    return fig


def fig_accuracy(c: dict, cfg, ctl: dict | None, paper: dict):
    """Final test accuracy (all / weak-only), mean ± s.e. over seeds, beside the paper."""
    fig, axes = figure(1, 1, panel=(5.0, 3.6))
    ax = axes[0, 0]
    rows = [
        ("small", c["acc"][0, :, -1], c["acc_weak"][0, :, -1], f"η={cfg.lr_small:g}"),
        ("large", c["acc"][1, :, -1], c["acc_weak"][1, :, -1], f"η={cfg.lr_large:g}"),
    ]
    if ctl is not None:
        rows.append(
            (
                "control",
                ctl["acc"][:, -1],
                ctl["acc_weak"][:, -1],
                f"η={cfg.lr_control:g}, same η·steps",
            )
        )
    for k, (name, acc, accw, _) in enumerate(rows):
        for j, (vals, hatch) in enumerate(((acc, ""), (accw, "//"))):
            se = np.std(vals, ddof=1) / np.sqrt(vals.size) if vals.size > 1 else 0.0
            ax.bar(
                k + 0.38 * j,
                100 * np.mean(vals),
                0.36,
                yerr=100 * se,
                color=COLORS[name],
                hatch=hatch,
                alpha=0.85,
                capsize=3,
            )
    ax.plot([0.38], [100 * paper["small"]], "k*", ms=12, label="paper (weak-only, toy)")
    ax.plot([1.38], [100 * paper["large"]], "k*", ms=12)
    ax.set_xticks([k + 0.19 for k in range(len(rows))], [r[3] for r in rows])
    ax.set(ylabel="test accuracy (%): plain = all, hatched = weak-only", ylim=(40, 101))
    ax.legend(fontsize=7, loc="lower left")
    return fig
