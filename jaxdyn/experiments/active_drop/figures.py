"""Figures of the active_drop experiment."""

from __future__ import annotations

import numpy as np

from ...plotting import figure

COLORS = {
    "motionless": "tab:gray",
    "steady": "tab:blue",
    "stopped_extensile": "tab:green",
    "stopped_contractile": "tab:olive",
    "unsteady": "tab:red",
}


def fig_thresholds(lin: dict, thr: dict):
    """Left: threshold Pe of each mode vs the mobility ratio; right: mode-1 threshold vs R."""
    fig, axes = figure(1, 2, panel=(4.8, 3.8))
    a1, a2 = axes[0]
    m = np.where(lin["m"] > 0, lin["m"], np.nan)
    x0 = np.nanmin(m) / 3 if np.any(np.isfinite(m)) else 0.1
    x = np.where(np.isfinite(m), m, x0)
    from ...analysis.active_drop import mode_threshold

    for j, n in enumerate(lin["modes"]):
        (line,) = a1.semilogx(x, lin["pe"][:, j], "o", label=f"mode {n}")
        theory = [4.0 if n == 1 else mode_threshold(int(n), mv, 1.0) for mv in lin["m"]]
        a1.semilogx(x, theory, "-", color=line.get_color(), lw=0.8)
    a1.set(
        xlabel=r"mobility ratio $M_D/M_M$ (leftmost: 0)",
        ylabel="threshold Péclet number",
        title="Thresholds: continuation (o), closed form (-)",
    )
    a1.legend(fontsize=8)
    a2.plot(1 / thr["r_max"], thr["pe"], "o", label="continuation")
    rr = np.linspace(0, 1 / thr["r_max"].min(), 50)
    with np.errstate(divide="ignore"):
        from ...analysis.active_drop import truncated_threshold

        exact = [truncated_threshold(1 / v) if v > 0 else 4.0 for v in rr]
    a2.plot(rr, exact, "k-", lw=1, label="closed form on [1, R]")
    a2.plot([0], [4.0], "r*", ms=12, label="Pe = 4 (MLB 2013)")
    a2.set(xlabel="1 / R", ylabel="mode-1 threshold", title="Onset of self-propulsion")
    a2.legend(fontsize=8)
    return fig


def fig_regimes(sw: dict, regimes):
    """Regime of each nonlinear run over (Pe, m)."""
    fig, axes = figure(1, 1, panel=(5.6, 4.0))
    ax = axes[0, 0]
    yy = np.arange(sw["m"].size)
    for r in regimes:
        sel = sw["regime"] == r
        if sel.any():
            i, j = np.nonzero(sel)
            ax.scatter(sw["Pe"][i], yy[j], s=90, color=COLORS[r], label=r.replace("_", " "))
    rr = sw.get("regime_random")
    if rr is not None:  # random starts: small markers just above their point
        for s in range(rr.shape[2]):
            for r in regimes:
                i, j = np.nonzero(rr[:, :, s] == r)
                ax.scatter(sw["Pe"][i], yy[j] + 0.25 + 0.1 * s, s=25, marker="v",
                           color=COLORS[r])  # fmt: skip
    ax.set_yticks(yy, [f"{m:g}" for m in sw["m"]])
    title = "Regimes (▼: random starts)" if rr is not None else "Regimes"
    ax.set(xlabel="Péclet number", ylabel=r"mobility ratio $M_D/M_M$", title=title)
    ax.legend(fontsize=8, loc="upper left")
    return fig


def fig_velocity(sw: dict):
    """Swimming velocity U(t) of every run, one panel per mobility ratio."""
    nm = sw["m"].size
    fig, axes = figure(1, nm, panel=(4.4, 3.4))
    for j in range(nm):
        ax = axes[0, j]
        for i, pe in enumerate(sw["Pe"]):
            ax.plot(sw["ts"], sw["U"][i, j], lw=0.8, label=f"Pe={pe:g} ({sw['regime'][i, j]})")
        ax.set(xlabel="t (a²/D)", ylabel="U", title=f"m = {sw['m'][j]:g}")
        ax.legend(fontsize=6)
    return fig
