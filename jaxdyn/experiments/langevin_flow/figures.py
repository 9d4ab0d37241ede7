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


def fig_latents(truth, aligned: Mapping[str, np.ndarray], n_obs: int, r2, n_show: int = 6):
    """Test trials in the x-z plane (truth vs LangevinFlow's affinely aligned latents) and
    one trial's aligned latents against time for each model (training seed 0); ``r2`` is
    each model's latent R²."""
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


def fig_summary(table: Mapping, diffs: Mapping, histories: Mapping, metrics_: tuple):
    """Test co-bps, fp-bps and rate R² of every method (trained models: mean over training
    seeds with the 95 % interval over seeds, seeds as dots), LangevinFlow's paired
    differences to each baseline, and the validation co-bps during training."""
    names = ["null", "smoothing", "lfads", "langevin_flow", "oracle"]
    fig, axes = figure(1, len(metrics_) + 2, panel=(3.9, 3.7))
    for ax, metric in zip(axes[0, : len(metrics_)], metrics_, strict=True):
        for i, n in enumerate(names):
            v = table[n][metric]
            if isinstance(v, Mapping):
                ax.bar(i, v["mean"], color=COLORS[n])
                if v["ci95"] is not None:
                    lo, hi = v["ci95"]
                    ax.errorbar(
                        i,
                        v["mean"],
                        yerr=[[v["mean"] - lo], [hi - v["mean"]]],
                        color="k",
                        capsize=3,
                    )
                ax.plot(np.full(len(v["seeds"]), i), v["seeds"], "k.", ms=3)
                label = v["mean"]
            else:
                ax.bar(i, v, color=COLORS[n])
                label = v
            ax.text(i, label, f"{label:.3f}", ha="center", va="bottom", fontsize=7, clip_on=True)
        lab = metric.replace("_", "-").replace("rate-r2", "rate R² (observed bins)")
        ax.set_xticks(range(len(names)), names, rotation=30)
        ax.set(ylabel=lab, title=f"Test {lab}")
        if metric == "rate_r2":
            ax.set_ylim(-0.1, 1.05)
    ax = axes[0, len(metrics_)]
    xs = np.arange(len(metrics_))
    for j, other in enumerate(("lfads", "smoothing")):
        d = diffs[f"lf_minus_{other}"]
        means = np.array([d[m]["mean"] for m in metrics_])
        if d[metrics_[0]]["ci95"] is not None:
            err = np.array(
                [[d[m]["mean"] - d[m]["ci95"][0], d[m]["ci95"][1] - d[m]["mean"]] for m in metrics_]
            ).T
        else:
            err = None
        ax.errorbar(
            xs + 0.15 * (2 * j - 1),
            means,
            yerr=err,
            fmt="o",
            capsize=3,
            color=COLORS[other],
            label=f"LangevinFlow - {other}",
        )
    ax.axhline(0.0, color="gray", lw=0.8)
    ax.set_xticks(xs, [m.replace("_", "-") for m in metrics_])
    ax.set_yscale("symlog", linthresh=0.01)
    ax.set(title="Paired differences (95% over seeds)", ylabel="difference")
    ax.legend(fontsize=7)
    ax = axes[0, len(metrics_) + 1]
    for name, runs in histories.items():
        for s, metrics in enumerate(runs):
            valid = metrics["valid"]
            ax.plot(
                valid.steps,
                valid.values,
                "o-",
                ms=2,
                lw=1,
                alpha=0.8,
                color=COLORS[name],
                label=name if s == 0 else None,
            )
    oracle = table["oracle"]["co_bps"]
    ax.axhline(oracle, color="k", ls="--", label="oracle (test)")
    ax.set(
        xlabel="training step", ylabel="validation co-bps", title="Training progress (every seed)"
    )
    ax.legend(fontsize=7)
    return fig
