"""The computation of the redundancy experiment (see the package docstring)."""

from __future__ import annotations

import diffrax as dfx
import jax
import jax.numpy as jnp
import numpy as np

from ...analysis.averages import burn_in_saves, time_average
from ...analysis.graphs import graph_laplacian, laplacian_spectrum
from ...core import Grid, simulate, status_counts
from ...systems.redundancy import (
    LogisticRegression,
    Quadratic,
    RedundantGradientNetwork,
    contraction_bounds,
    errors,
    logistic_data,
    quadratic_theory,
)
from .._kit import Run, experiment, number
from .config import PRESETS, RedundancyConfig
from .figures import fig_collapse, fig_logistic, fig_vs_k

QUANTITIES = ("mean_err", "node_avg", "spread")
#: measured quantity -> key of quadratic_theory / contraction_bounds
THEORY = {"mean_err": "mean", "node_avg": "node_avg", "spread": "spread"}


def member_fn(cfg: RedundancyConfig, dt: float):
    """``fn(system, key)`` of a sweep: Heun steps of ``dt`` from the optimum, burn-in, then
    the time averages of :func:`~jaxdyn.systems.redundancy.errors` saved on the step grid.

    Saves are ``cfg.every`` steps apart at the largest step ``cfg.dt``, i.e. at the same
    times whatever the (smaller) step of a stiffer graph.
    """
    every = max(1, int(round(cfg.every * cfg.dt / dt)))
    t1, ts = burn_in_saves(dt, cfg.t_burn, cfg.t_avg, every)

    def member(system, key):
        traj = simulate(
            system,
            t1,
            key=key,
            ts=ts,
            dt=dt,
            # diffrax's Heun: for additive noise its stationary bias is only O((a dt)²)
            solver=dfx.Heun(),
            observable=lambda t, y: errors(y, system.objective.x_star),
        )
        return {**time_average(traj), "status": traj.status}

    return member


def seed_summaries(ds) -> dict[str, np.ndarray]:
    """Seed means and standard errors of the time averages, arrays over (k, σ) (and node)."""
    ds = ds.rename({"node_err_dim0": "node"})
    ds["node_avg"] = ds["node_err"].mean("node")
    n = ds.sizes["seed"]
    mean = ds.mean("seed")
    se = ds.std("seed", ddof=1) / np.sqrt(n)
    out = {}
    for name in (*QUANTITIES, "node_err"):
        out[name] = mean[name].transpose("k", "sigma", ...).values
        out[name + "_se"] = se[name].transpose("k", "sigma", ...).values
    return out


def theory_grid(lap, hessian, ks, sigmas, dt=None) -> dict[str, np.ndarray]:
    """Exact stationary errors (of the SDE, or of the Heun chain of step ``dt``) over (k, σ)."""
    keys = ("mean", "node_avg", "spread", "node")
    res = {q: [] for q in keys}
    for k in ks:
        rows = [quadratic_theory(lap, hessian, k, s, dt=dt, scheme="heun") for s in sigmas]
        for q in keys:
            res[q].append([np.asarray(r[q]) for r in rows])
    return {q: np.asarray(v) for q, v in res.items()}


def bounds_grid(lap, objective, ks, sigmas) -> dict[str, np.ndarray]:
    """Contraction bounds over (k, σ) for a strongly convex ``objective``."""
    names = ("mean_upper", "mean_lower", "spread_upper", "spread_lower", "node_avg_upper")
    res = {q: np.zeros((len(ks), len(sigmas))) for q in names}
    for i, k in enumerate(ks):
        for j, s in enumerate(sigmas):
            b = contraction_bounds(RedundantGradientNetwork(lap, objective, k=k, sigma=s))
            for q in names:
                res[q][i, j] = float(b[q])
    return res


def simulate_graphs(cfg: RedundancyConfig, ctx: Run) -> tuple[dict, dict, LogisticRegression]:
    """Per graph and loss, one sweep over k x σ x seeds; seed summaries, theory and bounds."""
    ks, sigmas = np.asarray(cfg.k, float), np.asarray(cfg.sigma, float)
    k_graph, k_data, k_sim = jax.random.split(jax.random.PRNGKey(cfg.seed), 3)
    hessian = cfg.h * jnp.eye(cfg.d)
    quad = Quadratic(jnp.linspace(1.0, -1.0, cfg.d), hessian)
    logistic = LogisticRegression(*logistic_data(k_data, cfg.n_samples, cfg.d), cfg.reg)
    big_m = max(cfg.h, float(logistic.curvature_bounds()[1]))
    grid = Grid.product(k=ks, sigma=sigmas)

    per_graph, statuses = {}, {}
    for g in cfg.graphs:
        lap = graph_laplacian(g, cfg.n, key=k_graph)
        lam = np.asarray(laplacian_spectrum(lap)[0])
        # Stiffest rate a = M + k λ_max: keep a dt ≤ max_rate_dt, so the Heun chain's
        # stationary bias, -(a dt)²/4 at most, stays small (and is removed exactly for the
        # quadratic loss by comparing with the chain's own stationary values).
        dt = min(cfg.dt, cfg.max_rate_dt / (big_m + ks.max() * lam[-1]))
        fn = member_fn(cfg, dt)
        entry = {"laplacian": lap, "lambda": lam, "dt": dt}
        for label, obj in (("quadratic", quad), ("logistic", logistic)):
            base = RedundantGradientNetwork(lap, obj, k=1.0, sigma=1.0)
            ds = ctx.sweep(f"{g}_{label}", fn, base, grid, key=k_sim, seeds=cfg.seeds)
            statuses[f"{g}/{label}"] = status_counts(ds)
            entry[label] = seed_summaries(ds)
        entry["theory"] = theory_grid(lap, hessian, ks, sigmas)
        entry["theory_chain"] = theory_grid(lap, hessian, ks, sigmas, dt=dt)
        entry["bounds"] = bounds_grid(lap, logistic, ks, sigmas)
        per_graph[g] = entry
    return per_graph, statuses, logistic


def summary_arrays(per_graph: dict, ks, sigmas) -> dict[str, np.ndarray]:
    """Seed means/SEs, exact theory and bounds, arrays over (k, σ), keyed graph/part/name."""
    arrays = {"k": ks, "sigma": sigmas}
    for g, e in per_graph.items():
        arrays[f"{g}/lambda"] = e["lambda"]
        for part in ("quadratic", "logistic", "theory", "theory_chain", "bounds"):
            for name, v in e[part].items():
                arrays[f"{g}/{part}/{name}"] = np.asarray(v)
    return arrays


def _rel(measured, theory):
    return np.abs(measured - theory) / theory


def key_numbers(cfg: RedundancyConfig, per_graph, ks, sigmas, j_ref, logistic) -> dict:
    """Agreement with the exact quadratic theory, the logistic bounds, selected points."""
    max_dev = {"vs_sde": 0.0, "vs_heun_chain": 0.0, "max_z_vs_chain": 0.0}
    per_quantity = dict.fromkeys(QUANTITIES, 0.0)
    zs, points = {mq: [] for mq in QUANTITIES}, []
    bound_viol = 0
    tight = {"mean_upper_over_measured": [], "spread_upper_over_measured": []}
    worst_bound_ratio = 0.0
    for g, e in per_graph.items():
        q, th, ch = e["quadratic"], e["theory"], e["theory_chain"]
        b, lo = e["bounds"], e["logistic"]
        for mq, tq in THEORY.items():
            max_dev["vs_sde"] = max(max_dev["vs_sde"], float(_rel(q[mq], th[tq]).max()))
            max_dev["vs_heun_chain"] = max(
                max_dev["vs_heun_chain"], float(_rel(q[mq], ch[tq]).max())
            )
            per_quantity[mq] = max(per_quantity[mq], float(_rel(q[mq], th[tq]).max()))
            z = (q[mq] - ch[tq]) / np.maximum(q[mq + "_se"], 1e-300)
            zs[mq].append(z.ravel())
            max_dev["max_z_vs_chain"] = max(max_dev["max_z_vs_chain"], float(np.abs(z).max()))
        for i in sorted({0, int(np.argmin(np.abs(ks - 1.0))), len(ks) - 1}):
            points.append(
                {
                    "graph": g,
                    "k": float(ks[i]),
                    "sigma": float(sigmas[j_ref]),
                    "lambda_1": float(e["lambda"][1]),
                    **{f"{mq}_measured": float(q[mq][i, j_ref]) for mq in QUANTITIES},
                    **{f"{tq}_theory": float(th[tq][i, j_ref]) for tq in THEORY.values()},
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
        deflate = 1 - cfg.max_rate_dt**2 / 4
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

    single = cfg.d * cfg.sigma_ref**2 / (2 * cfg.h)
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
            float(np.sqrt(np.mean(np.concatenate([np.concatenate(v) for v in zs.values()]) ** 2))),
            literature=1.0,
            note="about 1 (slightly above, Student-t) if the deviations are independent "
            "sampling errors; the points share random numbers (see z_by_quantity)",
        ),
        # Every graph, k and σ uses the same keys, and the network mean x̄ does not feel the
        # coupling: the mean errors of all points are nearly one realisation per seed, so
        # their z-scores move together; the signed mean z shows it.
        "z_by_quantity": {
            mq: {
                "points": int(np.concatenate(v).size),
                "rms": float(np.sqrt(np.mean(np.concatenate(v) ** 2))),
                "max_abs": float(np.abs(np.concatenate(v)).max()),
                "mean_signed": float(np.mean(np.concatenate(v))),
            }
            for mq, v in zs.items()
        },
        "mean_error_reduction_n": number(
            single / float(np.mean(q_ref)),
            literature=cfg.n,
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


@experiment("redundancy", paper="13", presets=PRESETS)
def run(cfg: RedundancyConfig, ctx: Run) -> dict:
    """Coupled redundant noisy gradient learners: error vs coupling, noise and graph."""
    ks, sigmas = np.asarray(cfg.k, float), np.asarray(cfg.sigma, float)
    if cfg.sigma_ref not in cfg.sigma:
        raise ValueError(f"sigma_ref={cfg.sigma_ref} must be one of sigma={cfg.sigma}")
    if not np.any(ks > 0):
        raise ValueError(f"k must hold at least one coupling > 0, got {cfg.k}")
    j_ref = int(np.argmin(np.abs(sigmas - cfg.sigma_ref)))
    with ctx.stage("simulate"):
        per_graph, statuses, logistic = simulate_graphs(cfg, ctx)
    ctx.save_arrays("redundancy_summary", **summary_arrays(per_graph, ks, sigmas))
    results = key_numbers(cfg, per_graph, ks, sigmas, j_ref, logistic)
    results["status"] = statuses
    with ctx.stage("figures"):
        ctx.savefig(fig_vs_k(per_graph, ks, sigmas, j_ref, cfg), "redundancy_vs_k")
        ctx.savefig(fig_logistic(per_graph, ks, sigmas, j_ref), "redundancy_logistic")
        m_strong = float(logistic.curvature_bounds()[0])
        ctx.savefig(fig_collapse(per_graph, ks, sigmas, cfg, m_strong), "redundancy_collapse")
    return results
