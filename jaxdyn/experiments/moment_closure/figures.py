"""Figures of the moment_closure experiment."""

from __future__ import annotations

import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch

from ...analysis.moments import CATEGORIES
from ...plotting import figure

COLORS = {
    "valid": "#4daf4a",
    "multiple": "#377eb8",
    "oscillating": "#984ea3",
    "unphysical": "#ff7f00",
    "diverged": "#e41a1c",
}
ORDER_STYLE = {2: "o-", 3: "s--", 4: "^:", 5: "v-.", 6: "d-"}


def fig_monostable(mono: dict):
    """Closure means/variances vs the exact Bessel solution; invalid sizes left out."""
    fig, axes = figure(1, 2, panel=(5.2, 3.9))
    a1, a2 = axes[0]
    om = mono["omegas"]
    a1.plot(om, mono["exact_mean"], "k-", lw=2, label="CME (exact, Bessel)")
    a2.plot(om, mono["exact_var"], "k-", lw=2, label="CME (exact, Bessel)")
    for key, v in mono["variants"].items():
        if not key.startswith("normal"):
            continue
        order = int(key[-1])
        ok = np.array([c == "valid" for c in v["categories"]])
        style = ORDER_STYLE.get(order, "o-")
        a1.plot(om[ok], v["mean"][ok], style, ms=4, label=f"normal closure, order {order}")
        a2.plot(om[ok], v["var"][ok], style, ms=4, label=f"normal closure, order {order}")
        if v["threshold"] is not None:
            for ax in (a1, a2):
                ax.axvline(v["threshold"]["omega"], color="gray", ls=":", lw=1)
    s = mono["ssa"]
    a1.errorbar([s["omega"]], [s["mean"]], yerr=[2 * s["sem"]], fmt="r*", ms=10, label="SSA")
    for ax, what in ((a1, "stationary mean"), (a2, "stationary variance")):
        ax.set(xscale="log", yscale="log", xlabel="system size Ω", ylabel=what)
        ax.grid(alpha=0.3)
    a1.set_title("∅→X, 2X→∅: closures exist only above a threshold")
    a1.legend(fontsize=7)
    return fig


def fig_bistable(bi: dict):
    """The CME's single bimodal law vs the closure's initial-condition-dependent fixed points."""
    fig, axes = figure(1, 2, panel=(5.2, 3.9))
    a1, a2 = axes[0]
    b = bi["big"]
    x = np.arange(len(b["p"]))
    a1.plot(x, b["p"], "k-", label=f"CME stationary law (FSP), Ω={b['omega']:g}")
    for k, (m, v) in enumerate(zip(b["fixed_means"], b["fixed_vars"], strict=True)):
        starts = [f"{s:g}" for s, bas in zip(b["initial"], b["basin"], strict=True) if bas == k]
        g = np.exp(-((x - m) ** 2) / (2 * v)) / np.sqrt(2 * np.pi * v) if v > 0 else 0 * x
        a1.plot(
            x, g, "--", label=f"normal-2 fixed point {k}: mean {m:.0f} (from x0={','.join(starts)})"
        )
    a1.set(xlabel="molecules", ylabel="probability", title="Schlögl: one law, several closures")
    a1.legend(fontsize=7)
    om = bi["omegas"]
    for key, v in bi["variants"].items():
        order = int(key[-1])
        a2.plot(om, v["count"], ORDER_STYLE.get(order, "o-"), label=key)
    a2.plot(om, bi["cme_modes"], "k-", lw=2, label="modes of the CME law")
    a2.set(
        xscale="log",
        xlabel="system size Ω",
        ylabel="distinct fixed points reached",
        title="closure fixed points vs initial condition",
    )
    a2.legend(fontsize=7)
    return fig


def fig_oscillatory(osc: dict):
    """SSA ensemble mean (damped) against the closures' means at one system size."""
    fig, axes = figure(1, 1, panel=(6.4, 4.0))
    ax = axes[0, 0]
    se = osc["series"]
    ts = se["ts"]
    ax.fill_between(
        ts, se["ssa_mean"] - 2 * se["ssa_sem"], se["ssa_mean"] + 2 * se["ssa_sem"], alpha=0.3
    )
    ax.plot(ts, se["ssa_mean"], "k-", lw=1.5, label="SSA ensemble mean (CME)")
    for key, y in se["closures"].items():
        ax.plot(ts, y, ORDER_STYLE.get(int(key[-1]), "-")[1:] or "-", label=f"closure {key}")
    ax.set(
        xlabel="time",
        ylabel="mean of X",
        title=f"Brusselator, Ω={se['omega']:g} ({se['convention']} convention)",
    )
    ax.legend(fontsize=8)
    return fig


def fig_phase_diagram(mono: dict, bi: dict, osc: dict, cfg):
    """Category of each closure (rows) at each system size (columns), per network."""
    panels = [
        ("monostable (dimerisation)", mono["omegas"], mono["variants"], mono["exact_mean"]),
        ("bistable (Schlögl)", bi["omegas"], bi["variants"], bi["cme_mean"]),
    ]
    for conv in cfg.conventions:
        sub = {k.split(":")[1]: v for k, v in osc["variants"].items() if k.startswith(conv + ":")}
        panels.append((f"oscillatory (Brusselator, {conv})", osc["omegas"], sub, osc["omegas"]))
    heights = [0.32 * len(p[2]) + 0.9 for p in panels]
    fig, axes = figure(
        len(panels), 1, panel=(7.5, sum(heights) / len(panels)), height_ratios=heights
    )
    cmap = ListedColormap([COLORS[c] for c in CATEGORIES])
    for ax, (title, om, variants, means) in zip(axes[:, 0], panels, strict=True):
        rows = list(variants)
        grid = np.array([[CATEGORIES.index(c) for c in variants[r]["categories"]] for r in rows])
        ax.imshow(grid, cmap=cmap, vmin=-0.5, vmax=len(CATEGORIES) - 0.5, aspect="auto")
        ax.set_yticks(range(len(rows)), rows, fontsize=7)
        ax.set_xticks(
            range(len(om)),
            [f"{o:g}\n({m:.3g})" for o, m in zip(om, means, strict=True)],
            fontsize=6,
        )
        ax.set_title(title, fontsize=9)
    axes[-1, 0].set_xlabel("system size Ω (CME stationary mean of X)")
    handles = [Patch(color=COLORS[c], label=c) for c in CATEGORIES]
    fig.legend(handles=handles, loc="outside lower center", ncol=len(CATEGORIES), fontsize=8)
    return fig
