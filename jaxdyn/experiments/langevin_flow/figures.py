"""Figures of the langevin_flow experiment."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ...plotting import figure

COLORS = {
    "null": "gray",
    "smoothing": "C2",
    "lfads": "C1",
    "langevin_flow": "C0",
    "oracle": "k",
}


def fig_latents(truth, aligned: Mapping[str, np.ndarray], n_obs: int, rows, n_show: int = 6):
    """Test trials in the x-z plane (truth vs LangevinFlow's affinely aligned latents) and
    one trial's aligned latents against time for each model."""
    names = list(aligned)
    fig, axes = figure(1, 1 + len(names), panel=(4.4, 4.0))
    ax = axes[0, 0]
    for i in range(min(n_show, len(truth))):
        ax.plot(
            truth[i, :, 0],
            truth[i, :, 2],
            "k",
            lw=1.2,
            alpha=0.8,
            label="true Lorenz" if i == 0 else None,
        )
        ax.plot(
            aligned["langevin_flow"][i, :, 0],
            aligned["langevin_flow"][i, :, 2],
            color=COLORS["langevin_flow"],
            lw=1.0,
            ls="--",
            label="LangevinFlow (aligned)" if i == 0 else None,
        )
    r2 = {n: rows[n]["latent_r2"] for n in names}
    ax.set(
        xlabel="x (z-scored)",
        ylabel="z (z-scored)",
        title=f"Test trials, x-z plane (latent R² = {r2['langevin_flow']:.2f})",
    )
    ax.legend(fontsize=8)
    for j, name in enumerate(names):
        ax = axes[0, 1 + j]
        for c, lab in enumerate("xyz"):
            ax.plot(truth[0, :, c], color=f"C{c}", lw=1.5, label=f"true {lab}")
            ax.plot(aligned[name][0, :, c], color=f"C{c}", lw=1.2, ls="--")
        ax.axvline(n_obs - 0.5, color="gray", ls=":", label="forward window")
        ax.set(
            xlabel="bin",
            ylabel="state (z-scored)",
            title=f"{name}: aligned latents (dashed), R² = {r2[name]:.2f}",
        )
        ax.legend(fontsize=7, ncol=2)
    return fig


def fig_rates_raster(te: Mapping, rates: Mapping, heldout, n_obs: int, trial: int = 0):
    """One test trial: spikes, true rates and the rates each model infers."""
    panels = [("spikes", te["spikes"][trial]), ("true rates", te["rates"][trial])]
    panels += [(name, rates[name][trial]) for name in ("langevin_flow", "lfads", "smoothing")]
    vmax = np.percentile(te["rates"][trial], 99)
    fig, axes = figure(1, len(panels), panel=(3.0, 3.8), sharey=True)
    im = None
    for ax, (title, img) in zip(axes[0], panels, strict=True):
        im = ax.imshow(
            img.T,
            aspect="auto",
            origin="lower",
            cmap="magma",
            vmin=0,
            vmax=vmax if title != "spikes" else None,
            interpolation="nearest",
        )
        ax.axhline(heldout[0] - 0.5, color="c", lw=1)
        ax.axvline(n_obs - 0.5, color="w", ls=":", lw=1)
        ax.set(title=title, xlabel="bin")
    axes[0, 0].set_ylabel("neuron (above cyan line: held out)")
    fig.colorbar(im, ax=axes[0].tolist(), shrink=0.8, label="counts / bin")
    fig.suptitle(
        f"Test trial {trial}: rates inferred from held-in spikes vs truth "
        "(dotted: start of the forward window)"
    )
    return fig


def fig_summary(rows: Mapping, histories: Mapping):
    """Test co-bps and fp-bps of every method, and the validation co-bps during training."""
    fig, axes = figure(1, 3, panel=(4.4, 3.8))
    names = ["null", "smoothing", "lfads", "langevin_flow", "oracle"]
    for ax, metric in zip(axes[0, :2], ("co_bps", "fp_bps"), strict=True):
        vals = [rows[n][metric] for n in names]
        ax.bar(names, vals, color=[COLORS[n] for n in names])
        label = metric.replace("_", "-")
        ax.set(ylabel=f"{label} (bits/spike)", title=f"Test {label}")
        ax.tick_params(axis="x", rotation=30)
        for i, v in enumerate(vals):
            ax.text(i, v, f"{v:.3f}", ha="center", va="bottom", fontsize=8)
    ax = axes[0, 2]
    for name, metrics in histories.items():
        valid = metrics["valid"]
        ax.plot(valid.steps, valid.values, "o-", color=COLORS[name], label=name)
    ax.axhline(rows["oracle"]["co_bps"], color="k", ls="--", label="oracle (test)")
    ax.set(xlabel="training step", ylabel="validation co-bps", title="Training progress")
    ax.legend(fontsize=8)
    return fig
