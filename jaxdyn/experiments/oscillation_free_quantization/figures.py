"""Figures of the oscillation_free_quantization experiment."""

from __future__ import annotations

import numpy as np

from ...plotting import figure

COLORS = {"lsq": "tab:red", "statsq": "tab:blue", "ofq": "tab:green"}
LABELS = {"lsq": "LSQ", "statsq": "StatsQ", "ofq": "OFQ (StatsQ+QKR+CGA)"}


def fig_oscillation(cfg, runs: dict):
    """Oscillating fraction of quantised weights over QAT, mean over seeds, per bit width."""
    fig, axes = figure(1, len(cfg.bits), panel=(4.2, 3.4))
    for ax, bits in zip(axes[0], cfg.bits, strict=True):
        for method in cfg.methods:
            rs = [runs[f"{method}_w{bits}_seed{s}"] for s in range(cfg.seeds)]
            osc = np.mean([r["osc"] for r in rs], axis=0)
            ax.plot(rs[0]["osc_steps"], 100 * osc, color=COLORS[method], label=LABELS[method])
        ax.axvline(cfg.qat_steps, color="k", ls=":", lw=1)
        ax.set(
            xlabel="QAT step",
            ylabel="oscillating weights (%)",
            title=f"W{bits}A{bits} (annealing after dotted line)",
        )
        ax.legend(fontsize=7)
    return fig


def fig_accuracy(cfg, summary: dict, fp_acc: float):
    """Final test accuracy per method and bit width (mean ± standard error over seeds)."""
    fig, axes = figure(1, 2, panel=(4.6, 3.6))
    a1, a2 = axes[0]
    width = 0.8 / len(cfg.methods)
    x = np.arange(len(cfg.bits))
    for i, method in enumerate(cfg.methods):
        acc = [summary[(method, b)]["acc_final"] for b in cfg.bits]
        osc = [summary[(method, b)]["osc_phase1_last_quarter"] for b in cfg.bits]
        err = lambda v: [np.std(a, ddof=1) / np.sqrt(a.size) if a.size > 1 else 0 for a in v]
        a1.bar(
            x + i * width,
            [100 * np.mean(a) for a in acc],
            width,
            yerr=[100 * e for e in err(acc)],
            color=COLORS[method],
            label=LABELS[method],
            capsize=3,
        )
        a2.bar(
            x + i * width,
            [100 * np.mean(a) for a in osc],
            width,
            yerr=[100 * e for e in err(osc)],
            color=COLORS[method],
            label=LABELS[method],
            capsize=3,
        )
    a1.axhline(100 * fp_acc, color="k", ls="--", lw=1, label="full precision")
    lo = min(100 * np.mean(summary[k]["acc_final"]) for k in summary)
    a1.set(
        xticks=x + width,
        xticklabels=[f"W{b}A{b}" for b in cfg.bits],
        ylabel="test accuracy (%)",
        ylim=(max(0, lo - 5), 100),
        title="digits 8x8, small ViT",
    )
    a1.legend(fontsize=7, loc="lower right")
    a2.set(
        xticks=x + width,
        xticklabels=[f"W{b}A{b}" for b in cfg.bits],
        ylabel="oscillating weights (%)",
        title="late constant-rate QAT",
    )
    return fig


def fig_boundary_histogram(cfg, runs: dict):
    """Distance of the latent weights from the nearest rounding boundary (level units)
    after the constant-rate phase, lowest bit width: oscillating weights sit at 0."""
    bits = min(cfg.bits)
    fig, axes = figure(1, 1, panel=(5.0, 3.6))
    ax = axes[0, 0]
    for method in cfg.methods:
        d = np.concatenate(
            [runs[f"{method}_w{bits}_seed{s}"]["boundary_distance"] for s in range(cfg.seeds)]
        )
        ax.hist(
            d,
            bins=50,
            range=(0, 0.5),
            histtype="step",
            density=True,
            color=COLORS[method],
            label=LABELS[method],
        )
    ax.set(
        xlabel="distance to the nearest rounding boundary (level spacings)",
        ylabel="density",
        title=f"W{bits}A{bits}: latent weights after the constant-rate phase",
    )
    ax.legend(fontsize=7)
    return fig
