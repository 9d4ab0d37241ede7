"""Figures of the learning_to_relax experiment.

Each takes ``played``: per sequence, the cost table ``costs`` (T, K), the learners'
``arms`` (seeds, T) by name, the comparators' per-instance costs ``fixed``, the
``contexts`` and the Jacobi radii ``rho_j``.
"""

from __future__ import annotations

import numpy as np

from ...plotting import figure
from ...solvers.bandits import regret_curves
from ...solvers.sor import optimal_omega

COLORS = {"Tsallis-INF": "C0", "Exp3": "C1", "ChebCB": "C2"}
TITLES = {"shifted": "shifted Laplacians -Δ_h + c_t I", "heat": "Crank-Nicolson heat, κ(t)"}


def _incurred(costs, arms):
    return costs[np.arange(costs.shape[0])[None, :], arms]


def fig_regret(played: dict, cfg):
    """Regret vs the best fixed ω and vs the oracle, log-log, median and 10-90% band."""
    fig, axes = figure(len(played), 2, panel=(5.0, 3.75))
    for row, (seq, res) in enumerate(played.items()):
        costs = res["costs"]
        T = costs.shape[0]
        ts = np.arange(1, T + 1)
        for col, kind in enumerate(("vs_best_fixed", "vs_oracle")):
            ax = axes[row, col]
            top = 1.0
            for name, arms in res["arms"].items():
                reg = np.asarray(regret_curves(costs, _incurred(costs, arms))[kind])
                lo, med, hi = np.percentile(reg, [10, 50, 90], axis=0)
                if col == 1:
                    lo, med, hi = (np.maximum(x, 1e-1) for x in (lo, med, hi))
                ax.plot(ts, med, color=COLORS[name], label=name)
                ax.fill_between(ts, lo, hi, color=COLORS[name], alpha=0.2)
                top = max(top, float(hi[-1]))
            if kind == "vs_oracle":
                young = np.cumsum(res["fixed"]["Young ω*(instance)"] - np.min(costs, axis=1))
                ax.plot(
                    ts, np.maximum(young, 1e-1), color="k", lw=1.5, label="Young ω* (knows ρ_J)"
                )
            ax.plot(ts, top * np.sqrt(ts / T), "k--", lw=1, label="∝ √T")
            ax.plot(ts, top * ts / T, "k:", lw=1, label="∝ T")
            ax.set_xscale("log")
            if col == 0:
                # the contextual learner can beat the best fixed ω: negative regret
                ax.set_yscale("symlog", linthresh=100.0)
                ax.axhline(0.0, color="gray", lw=0.5)
            else:
                ax.set_yscale("log")
                ax.set_ylim(bottom=max(1.0, top * 1e-3))
            ax.set_xlabel("instance t")
            ax.set_ylabel("regret [SOR iterations]")
            which = "best fixed ω in hindsight" if col == 0 else "instance-optimal ω"
            ax.set_title(f"{TITLES[seq]}\nregret vs {which}", fontsize=10)
            ax.legend(fontsize=8, loc="upper left")
    fig.suptitle(f"Learning to relax: {cfg.seeds} seeds, median and 10-90% band, m={cfg.m}")
    return fig


def fig_omega_history(played: dict, omegas: np.ndarray, learners):
    """Chosen ω over the sequence (smoothed, seed mean) and over the last instances."""
    fig, axes = figure(2, len(played), panel=(5.5, 3.5))
    for col, (seq, res) in enumerate(played.items()):
        costs = res["costs"]
        T = costs.shape[0]
        ts = np.arange(T)
        w_opt = omegas[np.argmin(costs, axis=1)]
        win = max(1, T // 25)

        def smooth(x, win=win):
            return np.convolve(x, np.ones(win) / win, mode="valid")

        ax = axes[0, col]
        ax.plot(ts[win - 1 :], smooth(w_opt), "k", lw=1.5, label="instance-optimal")
        for name in learners:
            mean_w = omegas[res["arms"][name]].mean(axis=0)
            ax.plot(ts[win - 1 :], smooth(mean_w), color=COLORS[name], lw=2, label=name)
        ax.axhline(omegas[np.argmin(costs.sum(0))], color="gray", ls="--", label="best fixed")
        ax.set_xlabel("instance t")
        ax.set_ylabel(f"chosen ω (seed mean, {win}-step average)")
        ax.set_title(TITLES[seq], fontsize=10)
        ax.legend(fontsize=8, loc="lower right")

        ax = axes[1, col]
        last = ts[-min(T, 150) :]
        ax.plot(last, w_opt[last], "o", mfc="none", color="k", ms=6, label="instance-optimal")
        for name, mk in (("ChebCB", "x"), ("Tsallis-INF", ".")):
            arms = res["arms"][name][0]
            ax.plot(
                last, omegas[arms[last]], mk, color=COLORS[name], ms=5, label=f"{name} (seed 0)"
            )
        ax.set_xlabel("instance t (last instances)")
        ax.set_ylabel("chosen ω")
        ax.legend(fontsize=8, loc="lower right")
    fig.suptitle("chosen ω over the instance sequence")
    return fig


def fig_iterations_vs_omega(played: dict, omegas: np.ndarray, tol: float):
    """Iterations vs ω for five instances across the context range, with Young's ω*."""
    fig, axes = figure(1, len(played), panel=(5.5, 4.0))
    for ax, (seq, res) in zip(axes[0], played.items(), strict=True):
        costs, ctx = res["costs"], res["contexts"]
        order = np.argsort(ctx)
        picks = order[np.linspace(0, len(ctx) - 1, 5).astype(int)]
        label = "s = c h²" if seq == "shifted" else "κ"
        for j, t in enumerate(picks):
            ax.plot(omegas, costs[t], "-o", ms=3, color=f"C{j}", label=f"{label} = {ctx[t]:.2f}")
            ax.axvline(float(optimal_omega(res["rho_j"][t])), color=f"C{j}", ls=":", lw=1)
        ax.set_yscale("log")
        ax.set_xlabel("ω")
        ax.set_ylabel(f"SOR iterations to tol {tol:g}")
        ax.set_title(TITLES[seq] + " (dotted: Young's ω*)", fontsize=10)
        ax.legend(fontsize=8)
    fig.suptitle("iterations vs ω for instances across the context range")
    return fig
