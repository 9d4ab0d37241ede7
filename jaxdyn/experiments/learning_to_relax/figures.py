"""Figures of the learning_to_relax experiment.

Each takes ``played``: per sequence, the trials' cost tables ``costs`` (trials, T, K), the
costs at Young's ω* ``young`` (trials, T), the learners' ``arms`` (trials, T) by name, the
``contexts`` and the Jacobi radii ``rho_j`` (trials, T).
"""

from __future__ import annotations

import numpy as np

from ...analysis.stats import t_interval
from ...plotting import figure
from ...solvers.sor import optimal_omega

COLORS = {"Tsallis-INF": "C0", "Exp3": "C1", "ChebCB": "C2"}
TITLES = {
    "high_variance": "shifted Laplacians, c ~ -0.15 + 0.6 Beta(0.5, 1.5)",
    "low_variance": "shifted Laplacians, c ~ -0.15 + 0.6 Beta(2, 6)",
    "heat": "Crank-Nicolson heat, κ(t)",
}


def _incurred(costs, arms):
    return np.take_along_axis(costs, arms[..., None], axis=-1)[..., 0]


def _band(ax, ts, x, color, label):
    """Trial mean and 95 % t-interval band of curves ``x`` (trials, T)."""
    mean, lo, hi = t_interval(x, axis=0)
    ax.plot(ts, mean, color=color, label=label)
    ax.fill_between(ts, lo, hi, color=color, alpha=0.25, lw=0)


def fig_regret(played: dict, cfg):
    """Regret vs the best fixed ω in hindsight and vs Young's ω* of each instance."""
    fig, axes = figure(len(played), 2, panel=(5.0, 3.75))
    for row, (seq, res) in enumerate(played.items()):
        costs = np.asarray(res["costs"], float)
        n_trials, T = costs.shape[:2]
        ts = np.arange(1, T + 1)
        best = np.min(np.cumsum(costs, axis=1), axis=2)
        young = np.cumsum(np.asarray(res["young"], float), axis=1)
        for col, (ref, which) in enumerate(
            ((best, "best fixed ω in hindsight"), (young, "Young's ω* of each instance"))
        ):
            ax = axes[row, col]
            top = 1.0
            for name, arms in res["arms"].items():
                reg = np.cumsum(_incurred(costs, np.asarray(arms)), axis=1) - ref
                _band(ax, ts, reg, COLORS[name], name)
                top = max(top, float(np.abs(reg[:, -1]).mean()))
            ax.plot(ts, top * np.sqrt(ts / T), "k--", lw=1, label="∝ √t")
            ax.plot(ts, top * ts / T, "k:", lw=1, label="∝ t")
            ax.set_xscale("log")
            # the contextual learner beats the best fixed ω, and Young's ω*: negative regret
            ax.set_yscale("symlog", linthresh=max(10.0, top / 300))
            ax.axhline(0.0, color="gray", lw=0.5)
            ax.set_xlabel("instance t")
            ax.set_ylabel("regret [SOR iterations]")
            ax.set_title(f"{TITLES[seq]}\nregret vs {which}", fontsize=9)
            ax.legend(fontsize=7, loc="upper left")
    fig.suptitle(
        f"Learning to relax: mean and 95% interval over {n_trials} trials (T = {T}, m = {cfg.m})"
    )
    return fig


def fig_cumulative(played: dict, omegas: np.ndarray, cfg):
    """Average iterations per instance so far, learners against fixed ω and Young's ω*
    (the paper's total-cost comparison, normalised by t)."""
    fig, axes = figure(1, len(played), panel=(5.0, 4.0))
    for ax, (seq, res) in zip(axes[0], played.items(), strict=True):
        costs = np.asarray(res["costs"], float)
        T = costs.shape[1]
        ts = np.arange(1, T + 1)
        for j, w in enumerate(cfg.fixed_omegas):
            i = int(np.argmin(np.abs(omegas - w)))
            avg = np.cumsum(costs[:, :, i], axis=1).mean(axis=0) / ts
            ax.plot(ts, avg, color=f"C{3 + j}", ls="--", lw=1, label=f"ω = {omegas[i]:.2f}")
        young = np.cumsum(np.asarray(res["young"], float), axis=1).mean(axis=0) / ts
        ax.plot(ts, young, "k", lw=1.5, label="Young ω* (instance-optimal)")
        for name, arms in res["arms"].items():
            paid = _incurred(costs, np.asarray(arms))
            _band(ax, ts, np.cumsum(paid, axis=1) / ts, COLORS[name], name)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("instance t")
        ax.set_ylabel("mean SOR iterations per instance so far")
        ax.set_title(TITLES[seq], fontsize=9)
        ax.legend(fontsize=7, loc="upper right", ncol=2)
    fig.suptitle("cumulative cost / t (learners: mean and 95% interval over trials)")
    return fig


def fig_omega_history(played: dict, omegas: np.ndarray, learners):
    """Chosen ω over the sequence (trial 0, moving average) against the instance optima."""
    fig, axes = figure(1, len(played), panel=(5.5, 3.8))
    for ax, (seq, res) in zip(axes[0], played.items(), strict=True):
        costs = np.asarray(res["costs"])[0]
        T = costs.shape[0]
        ts = np.arange(T)
        win = max(1, T // 50)

        def smooth(x, win=win):
            return np.convolve(x, np.ones(win) / win, mode="valid")

        w_opt = omegas[np.argmin(costs, axis=1)]
        ax.plot(ts[win - 1 :], smooth(w_opt), "k", lw=1.5, label="instance-optimal (grid)")
        for name in learners:
            w = omegas[np.asarray(res["arms"][name])[0]]
            ax.plot(ts[win - 1 :], smooth(w), color=COLORS[name], lw=1.5, label=name)
        ax.axhline(omegas[np.argmin(costs.sum(0))], color="gray", ls="--", label="best fixed")
        ax.set_xlabel("instance t")
        ax.set_ylabel(f"chosen ω (trial 0, {win}-instance average)")
        ax.set_title(TITLES[seq], fontsize=9)
        ax.legend(fontsize=7, loc="lower right")
    fig.suptitle("chosen ω over the instance sequence")
    return fig


def fig_iterations_vs_omega(played: dict, omegas: np.ndarray, tol: float):
    """Iterations vs ω for five instances across the context range, with Young's ω*."""
    fig, axes = figure(1, len(played), panel=(5.0, 4.0))
    for ax, (seq, res) in zip(axes[0], played.items(), strict=True):
        costs, ctx, rho = (np.asarray(res[k])[0] for k in ("costs", "contexts", "rho_j"))
        order = np.argsort(ctx)
        picks = order[np.linspace(0, len(ctx) - 1, 5).astype(int)]
        label = "c" if seq != "heat" else "κ"
        for j, t in enumerate(picks):
            ax.plot(omegas, costs[t], "-o", ms=3, color=f"C{j}", label=f"{label} = {ctx[t]:.3f}")
            ax.axvline(float(optimal_omega(rho[t])), color=f"C{j}", ls=":", lw=1)
        ax.set_yscale("log")
        ax.set_xlabel("ω")
        ax.set_ylabel(f"SOR iterations to tol {tol:g}")
        ax.set_title(TITLES[seq] + "\n(dotted: Young's ω*)", fontsize=9)
        ax.legend(fontsize=7)
    fig.suptitle("iterations vs ω for instances across the context range")
    return fig


def fig_tuning(sens: dict, cfg, rates: dict):
    """Total cost / best fixed ω against each learner's rate: tuning trials (solid) and
    evaluation trials (dashed), mean and 95 % interval; the rate used is marked."""
    fig, axes = figure(1, len(rates), panel=(4.6, 3.8))
    for ax, (name, (field, sweep_field)) in zip(axes[0], rates.items(), strict=True):
        xs = np.asarray(getattr(cfg, sweep_field), float)
        for j, (seq, parts) in enumerate(sens.items()):
            for part, ls in (("tune", "-"), ("eval", "--")):
                mean, lo, hi = t_interval(parts[part][name], axis=1)
                ax.errorbar(
                    xs,
                    mean,
                    yerr=[mean - lo, hi - mean],
                    fmt="o" + ls,
                    ms=3,
                    capsize=2,
                    color=f"C{j}",
                    label=f"{seq} ({part})",
                )
        ax.axvline(getattr(cfg, field), color="k", ls=":", label="used")
        ax.axhline(1.0, color="gray", lw=0.5)
        ax.set_xscale("log")
        ax.set_xlabel(field)
        ax.set_ylabel("total / best fixed ω")
        ax.set_title(name, fontsize=10)
        ax.legend(fontsize=6)
    fig.suptitle("learning-rate sweep (losses = iterations / max_iter)")
    return fig
