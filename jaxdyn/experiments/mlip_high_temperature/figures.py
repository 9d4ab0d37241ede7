"""Figures of the mlip_high_temperature experiment."""

from __future__ import annotations

import math

import numpy as np

from ...models import mlip
from ...plotting import figure

COLORS = {"low": "tab:blue", "co": "tab:orange", "reference": "k"}
LABELS = {"low": "low-T data only", "co": "co-trained (low + high T)", "reference": "reference LJ"}


def _temps(cfg) -> tuple[float, ...]:
    return (cfg.t_low, *cfg.t_high)


def _tcolor(i: int, n: int):
    """Colour of the i-th of n temperatures, cold (dark blue) to hot (yellow-orange)."""
    return __import__("matplotlib").colormaps["plasma"](0.05 + 0.75 * i / max(1, n - 1))


def fig_data(data: dict, cfg):
    """The reference data: largest atomic force per configuration (with the curation
    thresholds) and closest approach per configuration, at each temperature."""
    fig, axes = figure(1, 2, panel=(4.6, 3.4))
    a1, a2 = axes[0]
    temps = _temps(cfg)
    for i, t in enumerate(temps):
        c = _tcolor(i, len(temps))
        d = data[t]["train"]
        a1.hist(
            mlip.max_force(d["forces"]),
            bins=30,
            histtype="step",
            lw=1.5,
            color=c,
            label=f"T = {t:g}",
        )
        a2.hist(d["min_distance"], bins=30, histtype="step", lw=1.5, color=c, label=f"T = {t:g}")
    for th in sorted({cfg.force_threshold, *cfg.sweep_thresholds} - {None}):
        style = "-" if th == cfg.force_threshold else ":"
        a1.axvline(th, color="k", ls=style, lw=0.8)
    a1.set(
        xlabel=r"max$_i\,|F_i|$ per configuration ($\epsilon/\sigma$)",
        ylabel="configurations",
        title="Largest force (lines: curation thresholds)",
    )
    a2.axvline(cfg.fail_distance, color="k", ls="--", lw=0.8, label="MD failure distance")
    a2.set(
        xlabel=r"closest approach min $r_{ij}/\sigma_{ab}$",
        ylabel="configurations",
        title="Closest pair per configuration",
    )
    a1.legend(fontsize=7)
    a2.legend(fontsize=7)
    return fig


def fig_errors(models: dict, cfg):
    """Held-out energy MAE per atom and force MAE vs temperature, mean ± std over seeds."""
    fig, axes = figure(1, 2, panel=(4.4, 3.4))
    temps = np.asarray(_temps(cfg))
    for ax, key, unit in (
        (axes[0, 0], "energy_mae_per_atom", r"energy MAE per atom ($\epsilon$)"),
        (axes[0, 1], "force_mae", r"force MAE ($\epsilon/\sigma$)"),
    ):
        for v, fits in models.items():
            vals = np.array([[f["errors"][t][key] for t in temps] for f in fits])
            ax.errorbar(
                temps,
                vals.mean(0),
                yerr=vals.std(0),
                fmt="o-",
                capsize=3,
                color=COLORS[v],
                label=LABELS[v],
            )
        ax.axvspan(temps[0] - 0.1, temps[0] + 0.1, color="0.9")
        ax.set(xlabel="temperature of the held-out set", ylabel=unit, yscale="log")
        ax.legend(fontsize=7)
    axes[0, 0].set_title("Energies (shaded: the low-T 'foundation' data)")
    axes[0, 1].set_title("Forces")
    return fig


def fig_parity(models: dict, data: dict, cfg, species, box):
    """Predicted vs reference energy per atom on the held-out sets (first seed)."""
    fig, axes = figure(1, len(models), panel=(4.0, 3.8))
    temps = _temps(cfg)
    n = cfg.n_particles
    for ax, (v, fits) in zip(axes[0], models.items(), strict=True):
        lo, hi = math.inf, -math.inf
        for i, t in enumerate(temps):
            d = data[t]["test"]
            e, _ = mlip.predict(fits[0]["model"], d["positions"], species, box)
            x, y = d["energies"] / n, e / n
            ax.plot(x, y, ".", ms=3, color=_tcolor(i, len(temps)), label=f"T = {t:g}")
            lo, hi = min(lo, x.min(), y.min()), max(hi, x.max(), y.max())
        ax.plot([lo, hi], [lo, hi], "k-", lw=0.8)
        ax.set(xlabel=r"reference $E/N$ ($\epsilon$)", ylabel=r"predicted $E/N$", title=LABELS[v])
        ax.legend(fontsize=7)
    return fig


def fig_stability(stab: dict, times: np.ndarray, cfg):
    """Fraction of high-temperature MD runs not yet failed vs time, per model kind."""
    fig, axes = figure(1, len(cfg.t_high), panel=(4.2, 3.4))
    for ax, t in zip(axes[0], cfg.t_high, strict=True):
        ref = stab[t]["reference"]
        ax.plot(
            times,
            ref["survival"],
            "--",
            color=COLORS["reference"],
            lw=1.5,
            zorder=3,
            label=LABELS["reference"],
        )
        for v in ("low", "co"):
            surv = np.mean([s["survival"] for s in stab[t][v]], axis=0)
            ax.plot(times, surv, "-", color=COLORS[v], lw=2, label=LABELS[v])
            for s in stab[t][v]:
                ax.plot(times, s["survival"], "-", color=COLORS[v], lw=0.6, alpha=0.4)
        ax.set(
            xlabel=r"MD time ($\tau$)",
            ylabel="fraction of runs not failed",
            ylim=(-0.03, 1.03),
            title=f"Langevin MD at T = {t:g}",
        )
        ax.legend(fontsize=7)
    return fig


def fig_curation(sweep: dict, data: dict, cfg):
    """Curation threshold sweep (co-trained models): data kept, high-T errors, stability."""
    fig, axes = figure(1, 3, panel=(3.8, 3.3))
    a1, a2, a3 = axes[0]
    ths = list(sweep)
    finite = [th for th in ths if th is not None]
    x_inf = 1.5 * max(finite) if finite else 1.0
    xs = np.array([x_inf if th is None else th for th in ths])
    order = np.argsort(xs)
    xs = xs[order]
    ths = [ths[i] for i in order]
    temps = _temps(cfg)
    for i, t in enumerate(temps):
        kept = [sweep[th]["fits"][0]["kept"][t] for th in ths]
        a1.plot(xs, kept, "o-", color=_tcolor(i, len(temps)), label=f"T = {t:g}")
    t_top = max(cfg.t_high)
    for key, style, lab in (
        ("energy_mae_per_atom", "o-", r"energy MAE/atom ($\epsilon$)"),
        ("force_mae", "s--", r"force MAE / 100 ($\epsilon/\sigma$)"),
    ):
        scale = 0.01 if key == "force_mae" else 1.0
        for t, c in ((cfg.t_low, "tab:blue"), (t_top, "tab:red")):
            vals = [scale * np.mean([f["errors"][t][key] for f in sweep[th]["fits"]]) for th in ths]
            a2.plot(xs, vals, style, color=c, label=f"{lab}, T = {t:g}")
    stable = [np.mean([s["stable_fraction"] for s in sweep[th]["stability"]]) for th in ths]
    a3.plot(xs, stable, "o-", color="tab:orange")
    labels = ["none" if th is None else f"{th:g}" for th in ths]
    for ax in (a1, a2, a3):
        ax.set_xticks(xs, labels, rotation=30)
        ax.set_xlabel(r"curation threshold on max $|F_i|$ ($\epsilon/\sigma$)")
    a1.set(ylabel="fraction of training data kept", ylim=(-0.03, 1.03), title="Data kept")
    a2.set(ylabel="held-out error", yscale="log", title="Errors of co-trained models")
    a3.set(
        ylabel="fraction of runs stable", ylim=(-0.03, 1.03), title=f"MD stability at T = {t_top:g}"
    )
    a1.legend(fontsize=7)
    a2.legend(fontsize=6)
    return fig
