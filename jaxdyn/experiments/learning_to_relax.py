"""Learning to relax: bandit tuning of SOR's ω over a sequence of linear systems (paper 21).

Khodak, Chow, Balcan & Talwalkar, "Learning to Relax: Setting Solver Parameters Across a
Sequence of Linear System Instances", ICLR 2024. Two instance sequences are solved by
red-black SOR (zero initial guess, relative residual tolerance ``tol``):

* ``shifted``: A_t = -Δ_h + c_t I on an m x m grid, c_t = s_t / h² with
  s_t ~ U[shift_min, shift_max] i.i.d. (a dimensionless shift: ρ_J = 4 cos(πh)/(4 + s_t)),
  b_t ~ N(0, I); the context is s_t.
* ``heat``: the Crank-Nicolson systems of u_t = κ(t) Δu (:class:`~jaxdyn.systems.heat2d.Heat2D`)
  with κ(t) = κ0 (1 + a sin(2π t / P)), dt = heat_courant h² / κ0; the context is κ_{n+1}.

The expensive part, the iteration table cost[t, k] of every instance t and every ω_k of
the grid, is computed once per sequence by a vmapped SOR (:func:`iteration_table`); all
learners and comparators are then played on this table with bandit feedback (a learner
only sees the entry of the arm it draws), each learner as one ``lax.scan``, seeds vmapped.
Learners: Tsallis-INF, Exp3 and the contextual ChebCB (:mod:`jaxdyn.solvers.bandits`);
comparators: Gauss-Seidel (ω = 1), a fixed default ω, Young's ω* of each instance (nearest
grid value), the best fixed ω in hindsight and the instance-optimal oracle.
"""

from __future__ import annotations

from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from ..solvers.bandits import ChebCB, Exp3, TsallisINF, regret_curves, run_online
from ..solvers.sor import iteration_table, optimal_omega
from ..systems.heat2d import Heat2D
from .registry import number, register

_COMMON = dict(
    m=16,
    n_omegas=20,
    omega_min=1.0,
    omega_max=1.95,
    tol=1e-8,
    max_iter=500,
    shift_min=0.0,
    shift_max=1.5,
    heat_kappa0=1.0,
    heat_amplitude=0.9,
    heat_courant=20.0,
    heat_period_steps=200,
    cheb_degree=3,
    cheb_gamma0=100.0,
    default_omega=1.5,
    seed=0,
)

LEARNERS = ("Tsallis-INF", "Exp3", "ChebCB")


def shifted_sequence(key, m: int, n: int, shift_min: float, shift_max: float):
    """Diagonals, off-diagonals, right-hand sides and contexts s_t of A_t = -Δ_h + (s_t/h²) I."""
    h = 1.0 / (m + 1)
    ks, kb = jax.random.split(key)
    s = jax.random.uniform(ks, (n,), minval=shift_min, maxval=shift_max)
    rhs = jax.random.normal(kb, (n, m, m))
    diags = (4.0 + s) / h**2
    offs = jnp.full(n, 1.0 / h**2)
    rho_j = 4.0 * np.cos(np.pi * h) / (4.0 + s)
    return diags, offs, rhs, s, rho_j


def heat_sequence(key, m: int, n: int, kappa0, amplitude, courant, period_steps):
    """The CN systems of Heat2D: diagonals 1 + 2 s_n, off-diagonals s_n / 2, s_n = dt κ_n / h²."""
    h = 1.0 / (m + 1)
    dt = courant * h**2 / kappa0
    heat = Heat2D(m=m, kappa0=kappa0, amplitude=amplitude, period=period_steps * dt, top=1.0)
    _, kappas, rhs = heat.crank_nicolson(heat.initial_state(key), dt, n)
    s = dt * kappas / h**2
    return 1.0 + 2.0 * s, 0.5 * s, rhs, kappas, heat.jacobi_radius(kappas, dt)


def _nearest(omegas, values):
    return jnp.argmin(jnp.abs(values[:, None] - omegas[None, :]), axis=1)


def play(costs, contexts, context_range, rho_j, omegas, config, key) -> dict:
    """Run every learner (vmapped over seeds) and every comparator on one cost table."""
    costs = jnp.asarray(costs, dtype=float)
    losses = costs / config["max_iter"]
    K = len(omegas)
    learners = {
        "Tsallis-INF": TsallisINF(K),
        "Exp3": Exp3(K),
        "ChebCB": ChebCB(
            K, context_range, degree=config["cheb_degree"], gamma0=config["cheb_gamma0"]
        ),
    }
    keys = jax.random.split(key, config["seeds"])
    runs = {}
    for name, learner in learners.items():
        fn = jax.jit(jax.vmap(lambda k, lr=learner: run_online(lr, losses, k, contexts)))
        runs[name] = fn(keys)
    T = costs.shape[0]
    idx = jnp.arange(T)
    fixed = {
        "Gauss-Seidel (ω=1)": costs[idx, _nearest(omegas, jnp.ones(T))],
        f"fixed ω={config['default_omega']}": costs[
            idx, _nearest(omegas, jnp.full(T, config["default_omega"]))
        ],
        "Young ω*(instance)": costs[idx, _nearest(omegas, optimal_omega(rho_j))],
        "best fixed ω (hindsight)": costs[:, jnp.argmin(jnp.sum(costs, axis=0))],
        "instance-optimal (oracle)": jnp.min(costs, axis=1),
    }
    return {"runs": runs, "fixed": fixed, "costs": costs, "rho_j": jnp.asarray(rho_j)}


def _fit_exponent(ts, regret):
    """Least-squares slope of log R(t) vs log t over t ≥ T/10 (R clipped at 1 iteration).

    None when R(T) ≤ 0: the learner beats the comparator and there is no growth to fit.
    """
    if regret[-1] <= 0:
        return None
    sel = ts >= ts[-1] / 10
    return float(np.polyfit(np.log(ts[sel]), np.log(np.maximum(regret[sel], 1.0)), 1)[0])


def summarise(res: dict, omegas, config) -> dict:
    costs = res["costs"]
    T = costs.shape[0]
    ts = np.arange(1, T + 1)
    gs_total = float(jnp.sum(res["fixed"]["Gauss-Seidel (ω=1)"]))
    default_total = float(jnp.sum(res["fixed"][f"fixed ω={config['default_omega']}"]))
    out = {"totals": {}, "learners": {}}
    for name, c in res["fixed"].items():
        out["totals"][name] = float(jnp.sum(c))
    out["best_fixed_omega"] = float(omegas[int(jnp.argmin(jnp.sum(costs, axis=0)))])
    for name, r in res["runs"].items():
        incurred = costs[jnp.arange(T)[None, :], r.arms]
        curves = regret_curves(costs, incurred)
        tot = np.asarray(curves["cumulative"][:, -1])
        rb = np.asarray(jnp.mean(curves["vs_best_fixed"], axis=0))
        ro = np.asarray(jnp.mean(curves["vs_oracle"], axis=0))
        tail = slice(int(0.8 * T), T)
        oracle_tail = float(jnp.mean(res["fixed"]["instance-optimal (oracle)"][tail]))
        out["learners"][name] = {
            "total_mean": float(tot.mean()),
            "total_std": float(tot.std()),
            "regret_vs_best_fixed": float(rb[-1]),
            "regret_vs_oracle": float(ro[-1]),
            "regret_exponent_vs_best_fixed": _fit_exponent(ts, rb),
            "regret_exponent_vs_oracle": _fit_exponent(ts, ro),
            "saved_vs_gauss_seidel": 1.0 - float(tot.mean()) / gs_total,
            "saved_vs_default_omega": 1.0 - float(tot.mean()) / default_total,
            # mean iterations per instance over the last fifth, relative to the oracle
            "last_fifth_cost_over_oracle": float(jnp.mean(incurred[:, tail])) / oracle_tail,
        }
        out["totals"][name] = float(tot.mean())
    return out


@register(
    "learning_to_relax",
    paper="21",
    quick=dict(_COMMON, n_instances=500, seeds=8),
    full=dict(_COMMON, n_instances=5000, seeds=16),
)
def run(config: dict, out: Path) -> dict:
    """Bandit tuning of SOR's ω over shifted-Laplacian and heat-equation instance sequences."""
    # tol = 1e-8 is below float32 resolution of the residual: SOR runs in double precision.
    with jax.enable_x64(True):
        return _run(config, out)


def _run(config: dict, out: Path) -> dict:
    key = jax.random.PRNGKey(config["seed"])
    k_shift, k_heat, k_play = jax.random.split(key, 3)
    m, n = config["m"], config["n_instances"]
    omegas = jnp.linspace(config["omega_min"], config["omega_max"], config["n_omegas"])
    table = jax.jit(
        lambda d, e, b: iteration_table(
            m, d, e, b, omegas, tol=config["tol"], max_iter=config["max_iter"]
        )
    )
    seqs = {
        "shifted": shifted_sequence(k_shift, m, n, config["shift_min"], config["shift_max"]),
        "heat": heat_sequence(
            k_heat,
            m,
            n,
            config["heat_kappa0"],
            config["heat_amplitude"],
            config["heat_courant"],
            config["heat_period_steps"],
        ),
    }
    ranges = {
        "shifted": (config["shift_min"], config["shift_max"]),
        "heat": (
            config["heat_kappa0"] * (1 - config["heat_amplitude"]),
            config["heat_kappa0"] * (1 + config["heat_amplitude"]),
        ),
    }
    results, played, contexts = {}, {}, {}
    for i, (name, (diags, offs, rhs, ctx, rho_j)) in enumerate(seqs.items()):
        costs = table(diags, offs, rhs)
        if int(jnp.max(jnp.min(costs, axis=1))) >= config["max_iter"]:
            raise RuntimeError(f"{name}: some instance hits max_iter at every ω; raise max_iter")
        res = play(costs, ctx, ranges[name], rho_j, omegas, config, jax.random.fold_in(k_play, i))
        played[name], contexts[name] = res, np.asarray(ctx)
        results[name] = summarise(res, omegas, config)
        results[name]["capped_share"] = float(jnp.mean(costs >= config["max_iter"]))
        np.savez_compressed(
            out / f"costs_{name}.npz",
            costs=np.asarray(costs),
            omegas=np.asarray(omegas),
            contexts=np.asarray(ctx),
        )
    _figures(played, contexts, omegas, config, out)
    return _key_numbers(results)


def _key_numbers(results: dict) -> dict:
    out = {}
    for seq, r in results.items():
        ts = r["learners"]["Tsallis-INF"]
        cb = r["learners"]["ChebCB"]
        out[seq] = {
            "totals_iterations": r["totals"],
            "best_fixed_omega": r["best_fixed_omega"],
            "learners": r["learners"],
            "tsallis_regret_exponent": number(
                ts["regret_exponent_vs_best_fixed"],
                literature="< 1 (sublinear regret vs best fixed ω, Khodak et al. 2024)",
                note="slope of log regret vs best fixed ω against log T, t ≥ T/10",
            ),
            "chebcb_last_fifth_cost_over_oracle": number(
                cb["last_fifth_cost_over_oracle"],
                literature="→ 1 as T → ∞ (ChebCB asymptotically instance-optimal)",
            ),
            "tsallis_saved_vs_gauss_seidel": ts["saved_vs_gauss_seidel"],
            "chebcb_saved_vs_gauss_seidel": cb["saved_vs_gauss_seidel"],
            "tsallis_saved_vs_default_omega": ts["saved_vs_default_omega"],
            "chebcb_saved_vs_default_omega": cb["saved_vs_default_omega"],
            "capped_share": r["capped_share"],
        }
    return out


_COLORS = {"Tsallis-INF": "C0", "Exp3": "C1", "ChebCB": "C2"}
_TITLES = {"shifted": "shifted Laplacians -Δ_h + c_t I", "heat": "Crank-Nicolson heat, κ(t)"}


def _figures(played: dict, contexts: dict, omegas, config, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    om = np.asarray(omegas)
    # 1. regret curves, log-log, median with 10-90% band across seeds
    fig, axes = plt.subplots(2, 2, figsize=(10, 7.5), constrained_layout=True)
    for row, (seq, res) in enumerate(played.items()):
        costs = res["costs"]
        T = costs.shape[0]
        ts = np.arange(1, T + 1)
        for col, kind in enumerate(("vs_best_fixed", "vs_oracle")):
            ax = axes[row, col]
            top = 1.0
            for name, r in res["runs"].items():
                incurred = costs[jnp.arange(T)[None, :], r.arms]
                reg = np.asarray(regret_curves(costs, incurred)[kind])
                lo, med, hi = np.percentile(reg, [10, 50, 90], axis=0)
                if col == 1:
                    lo, med, hi = (np.maximum(x, 1e-1) for x in (lo, med, hi))
                ax.plot(ts, med, color=_COLORS[name], label=name)
                ax.fill_between(ts, lo, hi, color=_COLORS[name], alpha=0.2)
                top = max(top, float(hi[-1]))
            if kind == "vs_oracle":
                young = np.cumsum(
                    np.asarray(res["fixed"]["Young ω*(instance)"] - jnp.min(costs, axis=1))
                )
                ax.plot(
                    ts, np.maximum(young, 1e-1), color="k", lw=1.5, label="Young ω* (knows ρ_J)"
                )
            ref = top * np.sqrt(ts / T)
            ax.plot(ts, ref, "k--", lw=1, label="∝ √T")
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
            ax.set_title(f"{_TITLES[seq]}\nregret vs {which}", fontsize=10)
            ax.legend(fontsize=8, loc="upper left")
    fig.suptitle(
        f"Learning to relax: {config['seeds']} seeds, median and 10-90% band, m={config['m']}"
    )
    fig.savefig(out / "regret.png", dpi=90)
    plt.close(fig)

    # 2. chosen ω: smoothed over the whole sequence (top), and the last instances (bottom)
    fig, axes = plt.subplots(2, 2, figsize=(11, 7), constrained_layout=True)
    for col, (seq, res) in enumerate(played.items()):
        costs = np.asarray(res["costs"])
        T = costs.shape[0]
        ts = np.arange(T)
        w_opt = om[np.argmin(costs, axis=1)]
        win = max(1, T // 25)

        def smooth(x, win=win):
            return np.convolve(x, np.ones(win) / win, mode="valid")

        ax = axes[0, col]
        ax.plot(ts[win - 1 :], smooth(w_opt), "k", lw=1.5, label="instance-optimal")
        for name in LEARNERS:
            mean_w = om[np.asarray(res["runs"][name].arms)].mean(axis=0)
            ax.plot(ts[win - 1 :], smooth(mean_w), color=_COLORS[name], lw=2, label=name)
        ax.axhline(om[np.argmin(costs.sum(0))], color="gray", ls="--", label="best fixed")
        ax.set_xlabel("instance t")
        ax.set_ylabel(f"chosen ω (seed mean, {win}-step average)")
        ax.set_title(_TITLES[seq], fontsize=10)
        ax.legend(fontsize=8, loc="lower right")

        ax = axes[1, col]
        last = ts[-min(T, 150) :]
        ax.plot(last, w_opt[last], "o", mfc="none", color="k", ms=6, label="instance-optimal")
        for name, mk in (("ChebCB", "x"), ("Tsallis-INF", ".")):
            arms = np.asarray(res["runs"][name].arms[0])
            ax.plot(last, om[arms[last]], mk, color=_COLORS[name], ms=5, label=f"{name} (seed 0)")
        ax.set_xlabel("instance t (last instances)")
        ax.set_ylabel("chosen ω")
        ax.legend(fontsize=8, loc="lower right")
    fig.suptitle("chosen ω over the instance sequence")
    fig.savefig(out / "omega_history.png", dpi=90)
    plt.close(fig)

    # 3. iterations vs ω for a few instances spanning the context range
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), constrained_layout=True)
    for ax, (seq, res) in zip(axes, played.items(), strict=True):
        costs = np.asarray(res["costs"])
        ctx = contexts[seq]
        order = np.argsort(ctx)
        picks = order[np.linspace(0, len(ctx) - 1, 5).astype(int)]
        label = "s = c h²" if seq == "shifted" else "κ"
        for j, t in enumerate(picks):
            ax.plot(om, costs[t], "-o", ms=3, color=f"C{j}", label=f"{label} = {ctx[t]:.2f}")
            ax.axvline(float(optimal_omega(res["rho_j"][t])), color=f"C{j}", ls=":", lw=1)
        ax.set_yscale("log")
        ax.set_xlabel("ω")
        ax.set_ylabel(f"SOR iterations to tol {config['tol']:g}")
        ax.set_title(_TITLES[seq] + " (dotted: Young's ω*)", fontsize=10)
        ax.legend(fontsize=8)
    fig.suptitle("iterations vs ω for instances across the context range")
    fig.savefig(out / "iterations_vs_omega.png", dpi=90)
    plt.close(fig)
