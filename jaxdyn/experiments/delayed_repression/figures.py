"""Figures of the delayed_repression experiment."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ...plotting import figure

COLORS = {"fixed": "tab:gray", "reactive": "tab:red", "qlearning": "tab:blue"}
LABELS = {"fixed": "non-reactive", "reactive": "reactive", "qlearning": "Q-learning"}


def fig_phase_diagram(
    phase: dict, onset: dict, tau_c: Callable[[float], float], hopf: dict | None = None
):
    """Amplitude over (τ, k) with the closed-form Hopf boundary, the two-parameter
    continuation of the Hopf point (``hopf``) and the located onsets."""
    fig, axes = figure(1, 1, panel=(6.4, 4.6))
    ax = axes[0, 0]
    mesh = ax.pcolormesh(
        phase["taus"], phase["ks"], phase["amp"].T, shading="nearest", cmap="magma"
    )
    fig.colorbar(mesh, ax=ax, label="oscillation amplitude of x")
    kk = np.linspace(phase["ks"].min(), phase["ks"].max(), 200)
    ax.plot([tau_c(k) for k in kk], kk, "c-", lw=4, alpha=0.6, label=r"theory $\tau_c=\pi/(2A)$")
    if hopf is not None:
        ax.plot(hopf["tau"], hopf["k"], "b--", lw=1.5, label="Hopf curve (continuation)")
    ks_on = np.array(sorted(onset))
    ax.plot(
        [onset[k]["tau_c_sim"] for k in ks_on],
        ks_on,
        "wo",
        mec="k",
        label=r"simulated onset ($A^2$ fit)",
    )
    ax.set(
        xlabel=r"institutional delay $\tau$",
        ylabel="alarm steepness k",
        title="Delayed replicator: Hopf boundary",
        xlim=(phase["taus"][0], phase["taus"][-1]),
        ylim=(phase["ks"].min(), phase["ks"].max()),
    )
    ax.legend(loc="upper right", fontsize=8)
    return fig


def fig_hopf_branch(d: dict, k: float):
    """Amplitude law and period at onset for one steepness."""
    tc = d["tau_c_theory"]
    fig, axes = figure(1, 2)
    a1, a2 = axes[0]
    above = d["taus"] > tc
    x = d["taus"][above] / tc - 1
    a1.loglog(x, d["amp"][above], "o", label="simulation")
    c = np.exp(np.mean(np.log(d["amp"][above]) - 0.5 * np.log(x)))
    a1.loglog(x, c * np.sqrt(x), "k--", label=r"$\propto(\tau-\tau_c)^{1/2}$")
    a1.set(
        xlabel=r"$(\tau-\tau_c)/\tau_c$",
        ylabel="amplitude",
        title=f"k={k:g}: fitted exponent {d['exponent']:.3f}",
    )
    a1.legend()
    a2.plot(d["taus"][1:] / tc, d["periods"] / tc, "o", label="simulated period")
    a2.plot(
        [1.0], [d["period_onset_theory"] / tc], "r*", ms=14, label=r"theory $2\pi/\omega=4\tau_c$"
    )
    a2.set(xlabel=r"$\tau/\tau_c$", ylabel=r"period / $\tau_c$", title="Period at onset")
    a2.legend()
    return fig


def fig_runaway_rates(abm: dict, architectures) -> dict:
    """Runaway rate vs delay (95 % Wilson intervals) with the paper's numbers; one run each."""
    fig, axes = figure(1, 2, panel=(5.0, 3.9))
    a1, a2 = axes[0]
    for arch in architectures:
        r = 100 * abm["rates"][arch]
        err = 100 * np.stack(
            [abm["rates"][arch] - abm["low"][arch], abm["high"][arch] - abm["rates"][arch]]
        )
        a1.errorbar(
            abm["delays"], r, yerr=err, fmt="o-", capsize=2, color=COLORS[arch], label=LABELS[arch]
        )
    a1.plot([8], [96], "*", color=COLORS["reactive"], ms=15, mec="k", label="paper: 96% (d≥8)")
    a1.plot([20], [66], "*", color=COLORS["qlearning"], ms=15, mec="k", label="paper: 66% (d=20)")
    a1.axhline(0, color=COLORS["fixed"], ls=":", lw=1)
    a1.set(
        xlabel="institutional delay (steps)",
        ylabel="runaway rate (%), 95% CI",
        title="N=240 agents: runaway vs delay",
        ylim=(-3, 103),
    )
    a1.legend(fontsize=8)
    for arch in architectures:
        a2.plot(abm["examples"][arch], color=COLORS[arch], lw=1, label=LABELS[arch])
    a2.axhline(0.9, color="k", ls="--", lw=0.8)
    a2.set(xlabel="step", ylabel="radical fraction", title="one run at delay 20")
    a2.legend(fontsize=8)
    return fig
