"""Figures of the glassy_stress experiment."""

from __future__ import annotations

import numpy as np
from matplotlib.colors import ListedColormap

from ...analysis.rheology import REGIMES
from ...plotting import figure

REGIME_COLORS = ("tab:blue", "tab:orange", "tab:red", "tab:green")


def fig_relaxation(relax: dict):
    """σ(t)/σ(0) after cessation for each pre-shear rate: solve (lines) and closed form
    (dashes), with the predicted minima."""
    fig, axes = figure(1, 1, panel=(6.0, 4.4))
    ax = axes[0, 0]
    cmap = __import__("matplotlib").colormaps["viridis"]
    n = len(relax["rates"])
    for i, (r, s, e, row) in enumerate(
        zip(relax["rates"], relax["sigma"], relax["exact"], relax["rows"], strict=True)
    ):
        c = cmap(i / max(1, n - 1))
        ax.loglog(relax["ts"], s / s[0], color=c, lw=2, label=f"pre-shear {r:g} 1/s")
        ax.loglog(relax["ts"], e / e[0], "k--", lw=0.8)
        t = row["t_min_theory"]
        if np.isfinite(t) and t < relax["ts"][-1]:
            ax.plot([t], [np.interp(np.log(t), np.log(relax["ts"]), s / s[0])], "o", color=c,
                    mec="k")  # fmt: skip
    ax.set(
        xlabel="time since flow cessation t (s)",
        ylabel=r"$\sigma(t)/\sigma(0)$",
        title="Constant strain: relaxation, then build-up (dashed: closed form; o: t*)",
    )
    ax.legend(fontsize=7)
    ax.grid(True, which="major", alpha=0.3)
    return fig


def fig_regimes(diagrams: list[dict], base):
    """Regime diagrams (simulated shape of σ(t)) with the closed-form boundaries."""
    fig, axes = figure(1, len(diagrams), panel=(5.2, 4.2))
    cmap = ListedColormap(REGIME_COLORS)
    for ax, d in zip(axes[0], diagrams, strict=True):
        ax.pcolormesh(
            d["rates"], d["values"], d["sim"].T, cmap=cmap, vmin=-0.5, vmax=3.5, shading="nearest"
        )
        wrong = d["sim"] != d["theory"]
        if wrong.any():
            rr, vv = np.meshgrid(d["rates"], d["values"], indexing="ij")
            ax.plot(rr[wrong], vv[wrong], "kx", ms=4, label="differs from closed form")
        k, tm = float(base.rejuvenation), float(base.tau_m)
        if d["axis"] == "hyperaging_exponent":
            a = float(base.aging_exponent)
            mu = np.linspace(d["values"][0], d["values"][-1], 400)
            hyper, sub = mu > 1.001, mu < 0.999
            # mu > 1: immediate build-up iff t_0 >= t*, i.e. rate <= a^(1/(mu-1)) / (k tau_m)
            ax.plot(a ** (1 / (mu[hyper] - 1)) / (k * tm), mu[hyper], "k-", lw=1.5,
                    label="closed-form boundaries")  # fmt: skip
            # mu < 1: overshoot iff a > (t_0/tau_m)^(1-mu), i.e. rate > a^(-1/(1-mu)) / (k tau_m)
            ax.plot(a ** (-1 / (1 - mu[sub])) / (k * tm), mu[sub], "k-", lw=1.5)
            ax.set_ylabel(r"hyper-aging exponent $\mu$")
        else:
            mu = float(base.hyperaging_exponent)
            a = np.linspace(max(d["values"][0], 1e-3), d["values"][-1], 400)
            ax.plot(a ** (1 / (mu - 1)) / (k * tm), a, "k-", lw=1.5,
                    label="closed-form boundary")  # fmt: skip
            ax.set_ylabel("aging exponent a")
        ax.set_xscale("log")
        ax.set(xlabel="pre-shear rate (1/s)", xlim=(d["rates"][0], d["rates"][-1]),
               ylim=(d["values"][0], d["values"][-1]),
               title=f"agreement with closed form {100 * d['agreement']:.1f}%")  # fmt: skip
        for i, name in enumerate(REGIMES):
            ax.plot([], [], "s", color=REGIME_COLORS[i], label=name)
        ax.legend(fontsize=7, loc="lower left")
    return fig


def fig_flow_curve(flow: dict):
    """Steady flow curve: pre-shear to steady state (o) and closed form (line)."""
    fig, axes = figure(1, 1)
    ax = axes[0, 0]
    ax.loglog(flow["rates"], flow["theory"], "k-", label="closed form")
    ax.loglog(flow["rates"], flow["sim"], "o", ms=4, label="sheared to steady state")
    if np.isfinite(flow["rate_min"]):
        ax.axvline(flow["rate_min"], color="tab:red", ls=":", label="local stress minimum")
    ax.set(xlabel="shear rate (1/s)", ylabel="steady shear stress (Pa)",
           title="Non-monotonic flow curve")  # fmt: skip
    ax.legend(fontsize=8)
    return fig


def fig_fit(rec: dict, fields):
    """Noisy curves and the fitted model; recovered parameters with Laplace errors."""
    fig, axes = figure(1, 2, panel=(5.0, 4.0))
    a1, a2 = axes[0]
    for r, d, f in zip(
        rec["example_rates"], rec["example_data"], rec["example_fitted"], strict=True
    ):
        (line,) = a1.loglog(rec["example_ts"], d, "o", ms=3, label=f"data, pre-shear {r:g} 1/s")
        a1.loglog(rec["example_ts"], f, "-", color=line.get_color())
    a1.set(xlabel="t (s)", ylabel=r"$\sigma$ (Pa)", title="Synthetic noisy curves and the fit")
    a1.legend(fontsize=7)
    x = np.arange(len(fields))
    ratio = rec["values"] / rec["true"]
    err = rec["errors"] / rec["true"]
    for j in range(ratio.shape[0]):
        a2.errorbar(x + 0.6 * (j / max(1, ratio.shape[0]) - 0.3), ratio[j], yerr=err[j],
                    fmt="o", ms=3, capsize=2, color="tab:blue", alpha=0.7)  # fmt: skip
    a2.plot(x, rec["start"] / rec["true"], "r*", ms=9, label="start")
    a2.axhline(1.0, color="k", lw=0.8)
    a2.set_xticks(x, [f.replace("_exponent", "") for f in fields], rotation=20)
    a2.set(ylabel="fitted / true (±1 Laplace s.e.)", title="Parameter recovery, replicate fits")
    a2.legend(fontsize=8)
    return fig
