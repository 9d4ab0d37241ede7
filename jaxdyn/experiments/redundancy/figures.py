"""Figures of the redundancy experiment."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from ...plotting import figure
from ...systems.redundancy import quadratic_theory


def _x(ks):
    """k = 0 drawn a third of the smallest positive k to the left (log axis)."""
    return np.where(ks > 0, ks, ks[ks > 0].min() / 3)


def _kaxis(ax, ks):
    ax.set_xscale("log")
    kpos = ks[ks > 0]
    if np.any(ks == 0):
        ax.set_xticks([kpos.min() / 3, *kpos])
        ax.set_xticklabels(["0", *[f"{k:g}" for k in kpos]], fontsize=7)
    else:
        ax.set_xticks(list(kpos))
        ax.set_xticklabels([f"{k:g}" for k in kpos], fontsize=7)
    ax.minorticks_off()
    ax.set_xlabel("coupling strength k")


def fig_vs_k(per_graph: dict, ks, sigmas, j: int, cfg):
    """Quadratic loss: mean, node and spread errors vs k per graph, with the exact theory."""
    graphs = list(per_graph)
    ncol = 2
    nrow = -(-len(graphs) // ncol)
    fig, axes = figure(nrow, ncol, panel=(5.0, 3.6), sharey=True)
    kfine = np.geomspace(ks[ks > 0].min() / 3, ks.max(), 100)
    hess = cfg.h * jnp.eye(cfg.d)
    styles = (
        ("mean_err", "mean", "C0", "network mean |x̄-x*|²"),
        ("node_avg", "node_avg", "C1", "node error ⟨|x_i-x*|²⟩"),
        ("spread", "spread", "C2", "spread ⟨|x_i-x̄|²⟩"),
    )
    single = cfg.d * sigmas[j] ** 2 / (2 * cfg.h)
    for ax, g in zip(axes.ravel(), graphs, strict=False):
        e = per_graph[g]
        q = e["quadratic"]
        th = [quadratic_theory(e["laplacian"], hess, k, sigmas[j]) for k in kfine]
        for mq, tq, c, label in styles:
            ax.errorbar(
                _x(ks),
                q[mq][:, j],
                yerr=2 * q[mq + "_se"][:, j],
                fmt="o",
                color=c,
                ms=4,
                capsize=2,
                label=label + " (sim)",
            )
            ax.plot(kfine, [float(t[tq]) for t in th], "-", color=c, lw=1)
        if g == "star":
            ax.plot(_x(ks), q["node_err"][:, j, 0], "v", color="C3", ms=4, label="hub node (sim)")
            ax.plot(kfine, [float(t["node"][0]) for t in th], "-", color="C3", lw=0.8)
            ax.legend(fontsize=7, loc="lower left")
        ax.axhline(single, color="gray", ls=":", lw=1, label="single learner dσ²/2h")
        ax.set_yscale("log")
        _kaxis(ax, ks)
        ax.set_title(f"{g} (n={cfg.n}, λ₁={e['lambda'][1]:.2f})")
        ax.set_ylabel("stationary squared error")
    for ax in axes.ravel()[len(graphs) :]:
        ax.axis("off")
    axes[0, 0].legend(fontsize=7, loc="lower left")
    fig.suptitle(f"Quadratic loss, σ={sigmas[j]:g}: simulation (±2 SE) vs exact theory (lines)")
    return fig


def fig_logistic(per_graph: dict, ks, sigmas, j: int):
    """Logistic regression on the ring (or the first graph): simulation vs the bounds."""
    g = "ring" if "ring" in per_graph else next(iter(per_graph))
    e = per_graph[g]
    lo, b = e["logistic"], e["bounds"]
    fig, axes = figure(1, 2, panel=(5.5, 4.0))
    a1, a2 = axes[0]
    for mq, bq, c, label in (
        ("mean_err", "mean", "C0", "mean |x̄-x*|²"),
        ("spread", "spread", "C2", "spread"),
    ):
        a1.errorbar(
            _x(ks),
            lo[mq][:, j],
            yerr=2 * lo[mq + "_se"][:, j],
            fmt="o",
            color=c,
            ms=4,
            capsize=2,
            label=label + " (sim)",
        )
        a1.fill_between(
            _x(ks),
            b[bq + "_lower"][:, j],
            b[bq + "_upper"][:, j],
            color=c,
            alpha=0.2,
            label=label + " bounds",
        )
        a1.plot(_x(ks), b[bq + "_upper"][:, j], "-", color=c, lw=1)
    a1.set_yscale("log")
    _kaxis(a1, ks)
    a1.set_ylabel("stationary squared error")
    a1.set_title(f"logistic regression on a {g}, σ={sigmas[j]:g}: sim vs contraction bounds")
    a1.legend(fontsize=7)
    for i, marker in ((0, "o"), (len(ks) - 1, "s")):
        for mq, bq, c in (("mean_err", "mean", "C0"), ("spread", "spread", "C2")):
            a2.errorbar(
                sigmas,
                lo[mq][i],
                yerr=2 * lo[mq + "_se"][i],
                fmt=marker,
                color=c,
                ms=5,
                capsize=2,
                label=f"{mq} k={ks[i]:g}",
            )
            a2.plot(sigmas, b[bq + "_upper"][i], "-" if i else "--", color=c, lw=1)
    a2.set_xscale("log")
    a2.set_yscale("log")
    a2.set_xticks(sigmas)
    a2.set_xticklabels([f"{s:g}" for s in sigmas])
    a2.minorticks_off()
    a2.set_xlabel("noise σ")
    a2.set_ylabel("stationary squared error")
    a2.set_title("vs noise (lines: upper bounds; dashed k=0, solid k max)")
    a2.legend(fontsize=7)
    return fig


def fig_collapse(per_graph: dict, ks, sigmas, cfg, m_strong: float):
    """Spread over its uncoupled value against k λ₁ / h, every graph, both losses."""
    n, d, h = cfg.n, cfg.d, cfg.h
    fig, axes = figure(1, 1, panel=(6.5, 4.5))
    ax = axes[0, 0]
    for c, (g, e) in enumerate(per_graph.items()):
        lam1 = e["lambda"][1]
        sp = e["quadratic"]["spread"]
        norm = (d * sigmas[None, :] ** 2 / (2 * h)) * (n - 1) / n
        x = np.repeat((ks * lam1 / h)[:, None], len(sigmas), axis=1)
        pos = x > 0
        ax.plot(x[pos], (sp / norm)[pos], "o", color=f"C{c}", ms=4, label=f"{g} (quadratic)")
        # logistic: normalised by the k = 0 bound dσ²(n-1)/(2mn), against k λ₁ / m
        spl = e["logistic"]["spread"] / e["bounds"]["spread_upper"][0][None, :]
        ax.plot((x * h / m_strong)[pos], spl[pos], "x", color=f"C{c}", ms=5)
    xf = np.geomspace(1e-3, 1e3, 200)
    ax.plot(xf, 1 / (1 + xf), "k-", lw=1, label="bound 1/(1 + kλ₁/h) (exact: complete)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    xs = ks[ks > 0].min() * min(e["lambda"][1] for e in per_graph.values()) / h
    ax.set_xlim(xs / 2, None)
    ax.set_xlabel("k λ₁ / h   (logistic: / m)")
    ax.set_ylabel("spread / its uncoupled value")
    ax.set_title("Spread collapses on k λ₁ (o quadratic, x logistic)")
    ax.legend(fontsize=7)
    return fig
