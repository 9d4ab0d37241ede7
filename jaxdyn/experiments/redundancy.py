"""Synchronization and redundancy: error of coupled noisy gradient learners vs theory (paper 13).

For each graph (ring, complete, star, Erdős–Rényi) and each loss (quadratic: exact theory;
L2-regularised logistic regression: contraction bounds), one :func:`jaxdyn.core.sweep.sweep`
over coupling strength k x noise σ x seeds of :class:`RedundantGradientNetwork`, the graph
Laplacian a field of the base system. Each member starts at the optimum, runs a burn-in,
then time-averages |x̄ - x*|², |x_i - x*|² and the spread (1/n) Σ |x_i - x̄|². The quadratic
averages are compared with the exact stationary values, both of the SDE and of the Heun
chain actually simulated (whose difference is the discretisation bias); the logistic ones
with the upper and lower bounds. J. Bouvrie and J.-J. Slotine, Neural Comput. 23, 2915
(2011).
"""

from __future__ import annotations

from pathlib import Path

import jax
import jax.numpy as jnp
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from ..analysis.graphs import graph_laplacian, laplacian_spectrum  # noqa: E402
from ..core.grid import Grid  # noqa: E402
from ..core.sweep import status_counts, sweep  # noqa: E402
from ..systems.redundancy import (  # noqa: E402
    LogisticRegression,
    Quadratic,
    RedundantGradientNetwork,
    contraction_bounds,
    logistic_data,
    quadratic_theory,
    time_averaged_errors,
)
from .registry import number, register  # noqa: E402

QUICK = {
    "n": 8,
    "d": 2,
    "h": 1.0,
    "graphs": ["ring", "complete", "star", "erdos_renyi"],
    "k": [0.0, 0.1, 0.3, 1.0, 3.0, 10.0],
    "sigma": [0.3, 1.0],
    "sigma_ref": 1.0,
    "seeds": 12,
    "dt": 0.005,
    "max_rate_dt": 0.3,
    "t_burn": 5.0,
    "t_avg": 20.0,
    "every": 20,
    "reg": 0.5,
    "n_samples": 64,
    "seed": 0,
}
FULL = {
    **QUICK,
    "k": [0.0, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0],
    "sigma": [0.3, 1.0, 3.0],
    "seeds": 16,
    "dt": 0.005,
    "max_rate_dt": 0.2,
    "t_avg": 60.0,
    "every": 20,
}

QUANTITIES = ("mean_err", "node_avg", "spread")


def _member(config, dt):
    def fn(system, key):
        return time_averaged_errors(
            system,
            key,
            t_burn=config["t_burn"],
            t_avg=config["t_avg"],
            dt=dt,
            every=max(1, int(round(config["every"] * config["dt"] / dt))),
        )

    return fn


def _summaries(ds) -> dict[str, np.ndarray]:
    """Seed means and standard errors, shape (k, sigma) (+ node axis for node_err)."""
    s = ds.sizes["seed"]
    node = np.asarray(ds["node_err"])
    raw = {
        "mean_err": np.asarray(ds["mean_err"]),
        "node_avg": node.mean(axis=-1),
        "spread": np.asarray(ds["spread"]),
        "node_err": node,
    }
    out = {}
    for name, v in raw.items():
        out[name] = v.mean(axis=2)
        out[name + "_se"] = v.std(axis=2, ddof=1) / np.sqrt(s)
    return out


def _theory_grid(lap, hessian, ks, sigmas, dt=None):
    keys = ("mean", "node_avg", "spread", "node")
    res = {q: [] for q in keys}
    for k in ks:
        rows = [quadratic_theory(lap, hessian, k, s, dt=dt, scheme="heun") for s in sigmas]
        for q in keys:
            res[q].append([np.asarray(r[q]) for r in rows])
    return {q: np.asarray(v) for q, v in res.items()}


def _bounds_grid(system, ks, sigmas):
    names = ("mean_upper", "mean_lower", "spread_upper", "spread_lower", "node_avg_upper")
    res = {q: np.zeros((len(ks), len(sigmas))) for q in names}
    for i, k in enumerate(ks):
        for j, s in enumerate(sigmas):
            b = contraction_bounds(
                RedundantGradientNetwork(system.laplacian, system.objective, k=k, sigma=s)
            )
            for q in names:
                res[q][i, j] = float(b[q])
    return res


@register("redundancy", paper="13", quick=QUICK, full=FULL)
def run(config: dict, out: Path) -> dict:
    """Coupled redundant noisy gradient learners: error vs coupling, noise and graph."""
    n, d, h = config["n"], config["d"], config["h"]
    ks, sigmas = np.asarray(config["k"], float), np.asarray(config["sigma"], float)
    if config["sigma_ref"] not in config["sigma"]:
        raise ValueError(f"sigma_ref={config['sigma_ref']} must be one of sigma={sigmas}")
    j_ref = int(np.argmin(np.abs(sigmas - config["sigma_ref"])))
    key = jax.random.PRNGKey(config["seed"])
    k_graph, k_data, k_sim = jax.random.split(key, 3)

    hessian = h * jnp.eye(d)
    quad = Quadratic(jnp.linspace(1.0, -1.0, d), hessian)
    logistic = LogisticRegression(*logistic_data(k_data, config["n_samples"], d), config["reg"])
    grid = Grid.product(k=ks, sigma=sigmas)
    big_m = max(config["h"], float(logistic.curvature_bounds()[1]))

    per_graph = {}
    statuses = {}
    for g in config["graphs"]:
        lap = graph_laplacian(g, n, key=k_graph)
        lam = np.asarray(laplacian_spectrum(lap)[0])
        # Stiffest rate a = M + k λ_max: keep a dt ≤ max_rate_dt, so the Heun chain's
        # stationary bias, -(a dt)²/4 at most, stays small (and is removed exactly for the
        # quadratic loss by comparing with the chain's own stationary values).
        dt = min(config["dt"], config["max_rate_dt"] / (big_m + ks.max() * lam[-1]))
        fn = _member(config, dt)
        entry = {"laplacian": lap, "lambda": lam, "dt": dt}
        for label, obj in (("quadratic", quad), ("logistic", logistic)):
            base = RedundantGradientNetwork(lap, obj, k=1.0, sigma=1.0)
            ds = sweep(fn, base, grid, key=k_sim, seeds=config["seeds"], progress=False)
            statuses[f"{g}/{label}"] = status_counts(ds)
            entry[label] = _summaries(ds)
        entry["theory"] = _theory_grid(lap, hessian, ks, sigmas)
        entry["theory_chain"] = _theory_grid(lap, hessian, ks, sigmas, dt=dt)
        entry["bounds"] = _bounds_grid(
            RedundantGradientNetwork(lap, logistic, k=1.0, sigma=1.0), ks, sigmas
        )
        per_graph[g] = entry

    _save_summary(per_graph, ks, sigmas, out / "redundancy_summary.npz")
    results = _results(config, per_graph, ks, sigmas, j_ref, logistic)
    results["status"] = statuses
    _figure_vs_k(per_graph, ks, sigmas, j_ref, config, out / "redundancy_vs_k.png")
    _figure_logistic(per_graph, ks, sigmas, j_ref, config, out / "redundancy_logistic.png")
    m_strong = float(logistic.curvature_bounds()[0])
    _figure_collapse(per_graph, ks, sigmas, config, m_strong, out / "redundancy_collapse.png")
    return results


def _save_summary(per_graph, ks, sigmas, path):
    """Seed means/SEs, exact theory and bounds, arrays over (k, sigma), keyed graph/part/name."""
    arrays = {"k": ks, "sigma": sigmas}
    for g, e in per_graph.items():
        arrays[f"{g}/lambda"] = e["lambda"]
        for part in ("quadratic", "logistic", "theory", "theory_chain", "bounds"):
            for name, v in e[part].items():
                arrays[f"{g}/{part}/{name}"] = np.asarray(v)
    np.savez_compressed(path, **arrays)


def _rel(measured, theory):
    return np.abs(measured - theory) / theory


def _results(config, per_graph, ks, sigmas, j_ref, logistic) -> dict:
    n, d, h = config["n"], config["d"], config["h"]
    max_dev = {"vs_sde": 0.0, "vs_heun_chain": 0.0, "max_z_vs_chain": 0.0}
    per_quantity = {"mean_err": 0.0, "node_avg": 0.0, "spread": 0.0}
    zs = []
    points = []
    bound_viol = 0
    tight = {"mean_upper_over_measured": [], "spread_upper_over_measured": []}
    worst_bound_ratio = 0.0
    for g, e in per_graph.items():
        q, th, ch, b, lo = (
            e["quadratic"],
            e["theory"],
            e["theory_chain"],
            e["bounds"],
            e["logistic"],
        )
        pairs = (("mean_err", "mean"), ("node_avg", "node_avg"), ("spread", "spread"))
        for mq, tq in pairs:
            max_dev["vs_sde"] = max(max_dev["vs_sde"], float(_rel(q[mq], th[tq]).max()))
            max_dev["vs_heun_chain"] = max(
                max_dev["vs_heun_chain"], float(_rel(q[mq], ch[tq]).max())
            )
            per_quantity[mq] = max(per_quantity[mq], float(_rel(q[mq], th[tq]).max()))
            z = np.abs(q[mq] - ch[tq]) / np.maximum(q[mq + "_se"], 1e-300)
            zs.append(z.ravel())
            max_dev["max_z_vs_chain"] = max(max_dev["max_z_vs_chain"], float(z.max()))
        for i in sorted({0, int(np.argmin(np.abs(ks - 1.0))), len(ks) - 1}):
            points.append(
                {
                    "graph": g,
                    "k": float(ks[i]),
                    "sigma": float(sigmas[j_ref]),
                    "lambda_1": float(e["lambda"][1]),
                    **{
                        f"{mq}_measured": float(q[mq][i, j_ref])
                        for mq in ("mean_err", "node_avg", "spread")
                    },
                    **{
                        f"{tq}_theory": float(th[tq][i, j_ref])
                        for tq in ("mean", "node_avg", "spread")
                    },
                    "logistic_mean_measured": float(lo["mean_err"][i, j_ref]),
                    "logistic_mean_bound": [
                        float(b["mean_lower"][i, j_ref]),
                        float(b["mean_upper"][i, j_ref]),
                    ],
                    "logistic_spread_measured": float(lo["spread"][i, j_ref]),
                    "logistic_spread_bound": [
                        float(b["spread_lower"][i, j_ref]),
                        float(b["spread_upper"][i, j_ref]),
                    ],
                }
            )
        # Bound check with a 3-standard-error allowance for the sampling error; Heun's
        # stationary variance is deflated by at most (a dt)²/4 ≤ max_rate_dt²/4 (linear
        # modes), which only the lower bounds need to allow for.
        deflate = 1 - config["max_rate_dt"] ** 2 / 4
        for mq, bq in (("mean_err", "mean"), ("spread", "spread")):
            up, low = b[bq + "_upper"], b[bq + "_lower"]
            bound_viol += int(np.sum(lo[mq] - 3 * lo[mq + "_se"] > up))
            bound_viol += int(np.sum(lo[mq] + 3 * lo[mq + "_se"] < deflate * low))
            worst_bound_ratio = max(worst_bound_ratio, float((lo[mq] / up).max()))
        tight["mean_upper_over_measured"].append(
            float(b["mean_upper"][-1, j_ref] / lo["mean_err"][-1, j_ref])
        )
        tight["spread_upper_over_measured"].append(
            float(b["spread_upper"][-1, j_ref] / lo["spread"][-1, j_ref])
        )

    single = d * config["sigma_ref"] ** 2 / (2 * h)
    # Redundancy: the network mean's error is the single learner's divided by n.
    q_ref = np.concatenate([e["quadratic"]["mean_err"][:, j_ref] for e in per_graph.values()])
    m, big_m = (float(x) for x in logistic.curvature_bounds())
    return {
        "max_rel_dev_quadratic_vs_sde": number(
            max_dev["vs_sde"], note="all graphs, k, sigma; mean, node-average and spread errors"
        ),
        "max_rel_dev_quadratic_vs_heun_chain": number(
            max_dev["vs_heun_chain"],
            note="against the exact stationary values of the simulated Heun chain "
            "(discretisation bias removed): pure sampling error",
        ),
        "max_rel_dev_quadratic_by_quantity": per_quantity,
        "max_z_quadratic_vs_heun_chain": number(
            max_dev["max_z_vs_chain"],
            note="|measured - theory| / standard error over seeds, max over all points "
            "(the standard error is itself estimated from the seeds)",
        ),
        "rms_z_quadratic_vs_heun_chain": number(
            float(np.sqrt(np.mean(np.concatenate(zs) ** 2))),
            literature=1.0,
            note="about 1 (slightly above, Student-t) if the deviations are pure sampling error",
        ),
        "mean_error_reduction_n": number(
            single / float(np.mean(q_ref)),
            literature=n,
            note="E|x - x*|^2 of one uncoupled learner over E|xbar - x*|^2 of the network (1/n)",
        ),
        "logistic_bound_violations": number(
            bound_viol, literature=0, note="measured outside [lower, upper] by > 3 SE"
        ),
        "logistic_max_measured_over_upper": number(worst_bound_ratio),
        "logistic_upper_over_measured_at_kmax": {
            g: {"mean": a, "spread": s}
            for g, a, s in zip(
                per_graph,
                tight["mean_upper_over_measured"],
                tight["spread_upper_over_measured"],
                strict=True,
            )
        },
        "logistic_curvature": {"m": m, "M": big_m, "rho": float(logistic.hessian_lipschitz())},
        "lambda_1": {g: float(e["lambda"][1]) for g, e in per_graph.items()},
        "dt": {g: float(e["dt"]) for g, e in per_graph.items()},
        "points": points,
    }


def _x(ks):
    return np.where(ks > 0, ks, ks[ks > 0].min() / 3)


def _kaxis(ax, ks):
    ax.set_xscale("log")
    kpos = ks[ks > 0]
    ticks = [ks[ks > 0].min() / 3, *kpos]
    labels = ["0", *[f"{k:g}" for k in kpos]] if np.any(ks == 0) else [f"{k:g}" for k in kpos]
    ax.set_xticks(ticks if np.any(ks == 0) else list(kpos))
    ax.set_xticklabels(labels, fontsize=7)
    ax.set_xlabel("coupling strength k")


def _figure_vs_k(per_graph, ks, sigmas, j, config, path):
    graphs = list(per_graph)
    ncol = 2
    nrow = -(-len(graphs) // ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(10, 3.6 * nrow), squeeze=False, sharey=True)
    kfine = np.geomspace(ks[ks > 0].min() / 3, ks.max(), 100)
    hess = config["h"] * jnp.eye(config["d"])
    styles = (
        ("mean_err", "mean", "C0", "network mean |x̄-x*|²"),
        ("node_avg", "node_avg", "C1", "node error ⟨|x_i-x*|²⟩"),
        ("spread", "spread", "C2", "spread ⟨|x_i-x̄|²⟩"),
    )
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
        single = config["d"] * sigmas[j] ** 2 / (2 * config["h"])
        ax.axhline(single, color="gray", ls=":", lw=1, label="single learner dσ²/2h")
        ax.set_yscale("log")
        _kaxis(ax, ks)
        ax.set_title(f"{g} (n={config['n']}, λ₁={e['lambda'][1]:.2f})")
        ax.set_ylabel("stationary squared error")
    for ax in axes.ravel()[len(graphs) :]:
        ax.axis("off")
    axes[0, 0].legend(fontsize=7, loc="lower left")
    fig.suptitle(f"Quadratic loss, σ={sigmas[j]:g}: simulation (±2 SE) vs exact theory (lines)")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _figure_logistic(per_graph, ks, sigmas, j, config, path):
    g = "ring" if "ring" in per_graph else next(iter(per_graph))
    e = per_graph[g]
    lo, b = e["logistic"], e["bounds"]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4))
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
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _figure_collapse(per_graph, ks, sigmas, config, m_strong, path):
    n, d, h = config["n"], config["d"], config["h"]
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    for c, (g, e) in enumerate(per_graph.items()):
        lam1 = e["lambda"][1]
        sp = e["quadratic"]["spread"]
        norm = (d * sigmas[None, :] ** 2 / (2 * h)) * (n - 1) / n
        x = np.repeat((ks * lam1 / h)[:, None], len(sigmas), axis=1)
        pos = x > 0
        ax.plot(x[pos], (sp / norm)[pos], "o", color=f"C{c}", ms=4, label=f"{g} (quadratic)")
        # logistic: normalised by the k = 0 bound dσ²(n-1)/(2mn), against k λ₁ / m
        spl = e["logistic"]["spread"] / e["bounds"]["spread_upper"][0][None, :]
        xl = x * h / m_strong
        ax.plot(xl[pos], spl[pos], "x", color=f"C{c}", ms=5)
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
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
