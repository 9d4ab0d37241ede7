"""Figures of the wavelet_mcmc experiment."""

from __future__ import annotations

import numpy as np

from ...plotting import figure


def fig_scalogram(ex: dict, tpl, cfg):
    """The example series and its scalogram with both 95 % contours and the cone."""
    fig, axes = figure(2, 1, panel=(9.0, 3.0), gridspec_kw={"height_ratios": [1, 2]})
    t, period = np.asarray(ex["t"]), np.asarray(ex["period"])
    axes[0, 0].plot(t, np.asarray(ex["x"]), "k-", lw=0.6)
    axes[0, 0].set(
        ylabel="x",
        title="non-stationary red + white noise with a wave packet "
        f"(period {ex['packet_period']:g})",
    )
    ax = axes[1, 0]
    power = np.log2(np.asarray(ex["power"]) + 1e-12)
    ax.contourf(t, np.log2(period), power, levels=30, cmap="viridis")
    ax.contour(
        t,
        np.log2(period),
        np.asarray(ex["pvalue"]),
        levels=[1 - cfg.level],
        colors="w",
        linewidths=1.2,
    )
    ax.contour(
        t,
        np.log2(period),
        np.asarray(ex["ar1_ratio"]),
        levels=[1.0],
        colors="r",
        linewidths=0.8,
        linestyles="--",
    )
    coi = np.log2(np.maximum(np.asarray(ex["coi"]), period[0]))
    ax.fill_between(t, coi, np.log2(period[-1]), color="k", alpha=0.3, hatch="x")
    ax.axhline(np.log2(ex["packet_period"]), color="c", lw=0.8, ls=":")
    ax.set(
        xlabel="time (samples)",
        ylabel="log2 period",
        ylim=(np.log2(period[0]), np.log2(period[-1])),
        title="95% local significance: MCMC background (white), fixed AR(1) (red dashed)",
    )
    ax.invert_yaxis()
    return fig


def fig_posterior(ex: dict, cfg):
    """Posterior bands of ln A(t), α(t), ln C(t) with the injected noise's values."""
    fig, axes = figure(1, 3, panel=(4.2, 3.3))
    tau = np.linspace(-1, 1, np.asarray(ex["log_amp_curve"]).shape[-1])
    truth = {
        "log_amp_curve": ex["true_log_amp"],
        "index_curve": np.full(tau.shape, cfg.red_index),
        "log_white_curve": ex["true_log_white"],
    }
    labels = {
        "log_amp_curve": "ln A(t) (red amplitude)",
        "index_curve": "alpha(t) (index)",
        "log_white_curve": "ln C(t) (white level)",
    }
    for ax, key in zip(axes[0], labels, strict=True):
        c = np.asarray(ex[key])
        lo, med, hi = np.quantile(c, [0.05, 0.5, 0.95], axis=0)
        ax.fill_between(tau, lo, hi, color="tab:blue", alpha=0.3, label="posterior 90%")
        ax.plot(tau, med, "b-", label="posterior median")
        ax.plot(tau, np.asarray(truth[key]) * np.ones_like(tau), "k--", label="injected")
        ax.set(xlabel="normalised time", title=labels[key])
    axes[0, 0].legend(fontsize=7)
    return fig


def fig_detection(maps: dict, by_snr: dict, qpo_by_snr, cfg):
    """Detection probability over (period, S/N) for both backgrounds, and vs S/N."""
    fig, axes = figure(1, 3, panel=(4.4, 3.6))
    bins = np.asarray(sorted(cfg.snrs))
    for ax, (name, title) in zip(
        axes[0, :2], (("det_mcmc", "MCMC background"), ("det_ar1", "fixed AR(1)")), strict=True
    ):
        mesh = ax.pcolormesh(
            np.arange(len(bins)),
            np.arange(len(cfg.periods)),
            maps[name],
            vmin=0,
            vmax=1,
            cmap="magma",
            shading="nearest",
        )
        ax.set(
            xticks=range(len(bins)),
            xticklabels=[f"{b:g}" for b in bins],
            yticks=range(len(cfg.periods)),
            yticklabels=[f"{p:g}" for p in cfg.periods],
            xlabel="frequency-domain S/N",
            ylabel="period (samples)",
            title=title,
        )
        fig.colorbar(mesh, ax=ax, label="detection rate")
    ax = axes[0, 2]
    for name, color, label in (("det_mcmc", "tab:blue", "MCMC"), ("det_ar1", "tab:red", "AR(1)")):
        for table, ls, kind in ((by_snr, "-", "sine"), (qpo_by_snr, ":", "QPO")):
            if not table:
                continue
            x = np.array([float(k) for k in table])
            r = np.array([table[k][name]["rate"] for k in table])
            ci = np.array([table[k][name]["ci95"] for k in table])
            ax.errorbar(
                x,
                r,
                yerr=[r - ci[:, 0], ci[:, 1] - r],
                fmt="o" + ls,
                color=color,
                capsize=2,
                label=f"{label}, {kind}",
            )
    ax.axvline(2.0, color="k", lw=0.8, ls="--", label="paper: robust from S/N = 2")
    ax.set(
        xlabel="frequency-domain S/N",
        ylabel="detection rate (95% CI)",
        ylim=(-0.05, 1.05),
        title="all periods pooled",
    )
    ax.legend(fontsize=7)
    return fig


def fig_false_detection(noise_by_period: dict, pixel_fp: dict, cfg):
    """False detections in pure noise vs the tested period, and local false positives."""
    fig, axes = figure(1, 2, panel=(4.6, 3.6))
    ax = axes[0, 0]
    p = np.array([float(k) for k in noise_by_period])
    for name, color, label in (
        ("det_mcmc", "tab:blue", "MCMC background"),
        ("det_ar1", "tab:red", "fixed AR(1)"),
    ):
        r = np.array([noise_by_period[k][name]["rate"] for k in noise_by_period])
        ci = np.array([noise_by_period[k][name]["ci95"] for k in noise_by_period])
        ax.errorbar(
            p, r, yerr=[r - ci[:, 0], ci[:, 1] - r], fmt="o-", color=color, capsize=2, label=label
        )
    ax.axhline(1 - cfg.level, color="k", ls="--", label="nominal")
    ax.set(
        xscale="log",
        xlabel="tested period (samples)",
        ylabel="false-detection rate",
        title="pure noise, global test",
    )
    ax.legend(fontsize=8)
    ax = axes[0, 1]
    x = np.arange(2)
    ax.bar(x - 0.2, [pixel_fp["fp_mcmc_early"], pixel_fp["fp_mcmc_late"]], 0.4, label="MCMC")
    ax.bar(x + 0.2, [pixel_fp["fp_ar1_early"], pixel_fp["fp_ar1_late"]], 0.4, label="AR(1)")
    ax.axhline(1 - cfg.level, color="k", ls="--", label="nominal")
    ax.set(
        xticks=x,
        xticklabels=["first half", "second half"],
        ylabel="local power above the 95% level",
        title="pure noise, pointwise",
    )
    ax.legend(fontsize=8)
    return fig
