"""The computation of the learning_to_relax experiment (see the package docstring)."""

from __future__ import annotations

import functools

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ...analysis.bootstrap import bootstrap_interval
from ...analysis.stats import t_interval
from ...core import member_key, simulate
from ...solvers.bandits import ChebCB, Exp3, TsallisINF, regret_exponent, run_online
from ...solvers.sor import Stencil5, iteration_table, optimal_omega, sor_solve
from ...systems.heat2d import Heat2D
from .._kit import Run, experiment, number
from .config import PRESETS, LearningToRelaxConfig
from .figures import (
    fig_cumulative,
    fig_iterations_vs_omega,
    fig_omega_history,
    fig_regret,
    fig_tuning,
)

LEARNERS = ("Tsallis-INF", "Exp3", "ChebCB")
#: Beta(a, b) of the diagonal shift c = shift_min + shift_width Beta(a, b) (Khodak et al.)
SHIFT_BETA = {"high_variance": (0.5, 1.5), "low_variance": (2.0, 6.0)}
#: the rate parameter of each learner, its config field and its sweep's config field
RATES = {
    "Tsallis-INF": ("tsallis_eta0", "tune_tsallis_eta0"),
    "Exp3": ("exp3_eta_scale", "tune_exp3_eta_scale"),
    "ChebCB": ("cheb_gamma0", "tune_cheb_gamma0"),
}
#: instances per SOR batch: sorted by ρ_J, so a batch's while-loop waits for few laggards.
#: Measured on 1000 high-variance instances x 20 ω (2-core CPU): 100 -> 13.4 s, 25 -> 8.4 s,
#: 10 -> 11.0 s (below 25 the per-iteration overhead wins over the saved laggard sweeps).
CHUNK = 25


# ---------------------------------------------------------------- instance sequences


def shifted_sequence(key, m: int, n: int, shift_min: float, shift_width: float, beta):
    """Khodak et al.'s shifted Laplacians A_t = -Δ + c_t I (unscaled 5-point stencil:
    diagonal 4 + c_t, neighbours -1) with c_t = shift_min + shift_width Beta(a, b) i.i.d.
    and b_t ~ N(0, I). Returns diagonals, off-diagonals, right-hand sides, contexts c_t and
    Jacobi radii ρ_J = 4 cos(πh) / (4 + c_t).

    The paper draws b_t from a radially truncated normal (|b| ≤ √n); SOR's iteration count
    to a relative residual does not depend on |b|, so the plain normal is equivalent.
    """
    h = 1.0 / (m + 1)
    kc, kb = jax.random.split(key)
    c = shift_min + shift_width * jax.random.beta(kc, beta[0], beta[1], (n,))
    rhs = jax.random.normal(kb, (n, m, m))
    rho_j = 4.0 * jnp.cos(jnp.pi * h) / (4.0 + c)
    return 4.0 + c, jnp.ones(n), rhs, c, rho_j


def heat_sequence(key, m: int, n: int, kappa0, amplitude, courant, period_steps):
    """The n Crank-Nicolson systems of :class:`Heat2D` from a random smooth initial field.

    ``simulate`` runs the CN map with the observable :meth:`Heat2D.instance`, which records
    each step's system: diagonal 1 + 2 s_n, off-diagonal s_n / 2, s_n = dt κ_{n+1} / h².
    Returns diagonals, off-diagonals, right-hand sides, contexts κ_{n+1}, Jacobi radii.
    """
    h = 1.0 / (m + 1)
    dt = courant * h**2 / kappa0
    heat = Heat2D(m=m, kappa0=kappa0, amplitude=amplitude, period=period_steps * dt, top=1.0, dt=dt)
    traj = simulate(
        heat, n * dt, y0=heat.initial_state(key), ts=dt * np.arange(n), observable=heat.instance
    )
    kappas, rhs = traj.ys["kappa"], traj.ys["rhs"]
    s = dt * kappas / h**2
    return 1.0 + 2.0 * s, 0.5 * s, rhs, kappas, heat.jacobi_radius(kappas, dt)


def instances(cfg: LearningToRelaxConfig, seq: str, key):
    """(diags, offs, rhs, contexts, ρ_J) of one trial of sequence ``seq``."""
    if seq == "heat":
        return heat_sequence(
            key,
            cfg.m,
            cfg.n_instances,
            cfg.heat_kappa0,
            cfg.heat_amplitude,
            cfg.heat_courant,
            cfg.heat_period_steps,
        )
    return shifted_sequence(
        key, cfg.m, cfg.n_instances, cfg.shift_min, cfg.shift_width, SHIFT_BETA[seq]
    )


def context_range(cfg: LearningToRelaxConfig, seq: str) -> tuple[float, float]:
    if seq == "heat":
        return (
            cfg.heat_kappa0 * (1 - cfg.heat_amplitude),
            cfg.heat_kappa0 * (1 + cfg.heat_amplitude),
        )
    return (cfg.shift_min, cfg.shift_min + cfg.shift_width)


# ---------------------------------------------------------------- the cost tables


@functools.partial(jax.jit, static_argnames=("m", "tol", "max_iter"))
def _chunk_costs(diags, offs, rhs, w_young, omegas, *, m, tol, max_iter):
    grid = iteration_table(m, diags, offs, rhs, omegas, tol=tol, max_iter=max_iter)
    young = jax.vmap(
        lambda d, e, b, w: sor_solve(Stencil5(m, d, e), b, w, tol=tol, max_iter=max_iter).iterations
    )(diags, offs, rhs, w_young)
    return grid, young


def cost_table(cfg: LearningToRelaxConfig, diags, offs, rhs, rho_j, omegas):
    """SOR iterations of every instance at every ω of the grid, ``(T, K)``, and at the
    instance's own Young ω* = 2/(1 + √(1 - ρ_J²)) (not rounded to the grid), ``(T,)``.

    Instances are solved in batches of similar ρ_J (a vmapped while-loop runs until its
    slowest member), which makes the table several times cheaper than one batch.
    """
    rho_j = np.asarray(rho_j)
    order = np.argsort(rho_j)
    T = len(order)
    pad = np.concatenate([order, np.full(-T % CHUNK, order[-1])])
    chunk = min(CHUNK, T)
    w_young = np.asarray(optimal_omega(jnp.asarray(rho_j)))
    grid, young = [], []
    for i in range(0, len(pad), chunk):
        idx = pad[i : i + chunk]
        g, y = _chunk_costs(
            jnp.asarray(diags)[idx],
            jnp.asarray(offs)[idx],
            jnp.asarray(rhs)[idx],
            jnp.asarray(w_young)[idx],
            omegas,
            m=cfg.m,
            tol=cfg.tol,
            max_iter=cfg.max_iter,
        )
        grid.append(np.asarray(g))
        young.append(np.asarray(y))
    costs = np.empty((T, len(omegas)), np.int64)
    costs_young = np.empty(T, np.int64)
    costs[pad[:T]] = np.concatenate(grid)[:T]
    costs_young[pad[:T]] = np.concatenate(young)[:T]
    return costs, costs_young


def trial_tables(cfg: LearningToRelaxConfig, seq: str, keys, omegas, ctx: Run, tag: str) -> dict:
    """The cost tables of the trials with instance keys ``keys`` (each a resumable stage)."""
    out = {"costs": [], "young": [], "contexts": [], "rho_j": []}
    for i, k in enumerate(keys):

        def compute(k=k):
            d, e, b, c, r = instances(cfg, seq, k)
            costs, young = cost_table(cfg, d, e, b, r, omegas)
            return {"costs": costs, "young": young, "contexts": np.asarray(c), "rho_j": r}

        res = ctx.cached(f"table_{seq}_{tag}{i}", compute)
        for name in out:
            out[name].append(np.asarray(res[name]))
    return {name: np.stack(v) for name, v in out.items()}


# ---------------------------------------------------------------- learners


def make_learner(cfg: LearningToRelaxConfig, name: str, span, rate: float | None = None):
    """Learner ``name`` with the config's rate (or ``rate``)."""
    K = cfg.n_omegas
    rate = getattr(cfg, RATES[name][0]) if rate is None else float(rate)
    if name == "Tsallis-INF":
        return TsallisINF(K, eta0=rate)
    if name == "Exp3":
        return Exp3(K, eta_scale=rate)
    return ChebCB(K, tuple(span), degree=cfg.cheb_degree, gamma0=rate)


@eqx.filter_jit
def _play(learner, losses, contexts, keys):
    return jax.vmap(lambda lo, c, k: run_online(learner, lo, k, c).arms)(losses, contexts, keys)


def play(learner, cfg: LearningToRelaxConfig, tables: dict, keys) -> np.ndarray:
    """Arms ``(trials, T)`` of ``learner`` on each trial's table, bandit feedback."""
    losses = jnp.asarray(tables["costs"], dtype=float) / cfg.max_iter
    return np.asarray(_play(learner, losses, jnp.asarray(tables["contexts"], float), keys))


def incurred(costs, arms) -> np.ndarray:
    """Cost of the arm drawn at each instance, ``(trials, T)``."""
    return np.take_along_axis(np.asarray(costs), np.asarray(arms)[..., None], axis=-1)[..., 0]


def best_fixed_total(costs) -> np.ndarray:
    """Total cost of the best fixed ω in hindsight of each trial, ``(trials,)``."""
    return np.asarray(costs).sum(axis=1).min(axis=1)


def sensitivity(cfg: LearningToRelaxConfig, seq: str, tables: dict, keys) -> dict:
    """Total cost / best fixed ω of every learner at every rate of its sweep, per trial."""
    span = context_range(cfg, seq)
    best = best_fixed_total(tables["costs"])
    out = {}
    for name, (_, sweep_field) in RATES.items():
        ratios = []
        for rate in getattr(cfg, sweep_field):
            arms = play(make_learner(cfg, name, span, rate), cfg, tables, keys)
            ratios.append(incurred(tables["costs"], arms).sum(axis=1) / best)
        out[name] = np.stack(ratios)  # (rates, trials)
    return out


# ---------------------------------------------------------------- summaries


def interval(x) -> dict:
    """Mean and 95 % Student-t interval over trials."""
    mean, lo, hi = t_interval(np.asarray(x, float))
    return {"mean": float(mean), "ci95": [float(lo), float(hi)]}


def regret_vs_best_fixed(costs, paid) -> np.ndarray:
    """Cumulative cost minus the best fixed ω in hindsight of each prefix, ``(trials, T)``."""
    best = np.min(np.cumsum(np.asarray(costs, float), axis=1), axis=2)
    return np.cumsum(np.asarray(paid, float), axis=1) - best


def exponent_interval(regret, key, n_boot: int = 400) -> dict:
    """Growth exponent of the trial-mean regret curve and its bootstrap interval over trials."""

    def stat(idx):
        p = regret_exponent(regret[idx].mean(axis=0))
        return np.nan if p is None else p

    value = stat(np.arange(len(regret)))
    lo, hi = bootstrap_interval(stat, len(regret), key, n_boot=n_boot)
    return {"mean": value, "ci95": [float(lo), float(hi)]}


def summarise(cfg: LearningToRelaxConfig, tables: dict, arms: dict, omegas, key) -> dict:
    """Per-trial totals of every policy and, per learner, its savings and ratios with
    95 % intervals over trials."""
    costs = np.asarray(tables["costs"], float)
    T = costs.shape[1]
    idx_fixed = {w: int(np.argmin(np.abs(omegas - w))) for w in cfg.fixed_omegas}
    i_gs = int(np.argmin(np.abs(omegas - 1.0)))
    gs = costs[:, :, i_gs].sum(axis=1)
    totals = {"Gauss-Seidel (ω=1)": gs}
    for i in idx_fixed.values():
        if i != i_gs:
            totals[f"fixed ω={omegas[i]:.2f}"] = costs[:, :, i].sum(axis=1)
    best = best_fixed_total(costs)
    totals["best fixed ω (hindsight)"] = best
    young = np.asarray(tables["young"], float).sum(axis=1)
    totals["Young ω* per instance"] = young
    oracle_t = costs.min(axis=2)
    totals["instance-optimal on the grid"] = oracle_t.sum(axis=1)
    best_omega = omegas[np.argmin(costs.sum(axis=1), axis=1)]
    tail = slice(int(0.8 * T), T)
    learners = {}
    for n, (name, a) in enumerate(arms.items()):
        paid = incurred(costs, a)
        tot = paid.sum(axis=1)
        totals[name] = tot
        regret = regret_vs_best_fixed(costs, paid)
        learners[name] = {
            "total": interval(tot),
            "saved_vs_gauss_seidel": interval(1 - tot / gs),
            "over_best_fixed": interval(tot / best),
            "over_young": interval(tot / young),
            "over_grid_optimal": interval(tot / totals["instance-optimal on the grid"]),
            "last_fifth_over_best_fixed": interval(
                paid[:, tail].sum(axis=1)
                / np.min(costs[:, tail].sum(axis=1), axis=1)  # best fixed ω of the tail
            ),
            "last_fifth_over_young": interval(
                paid[:, tail].sum(axis=1) / np.asarray(tables["young"])[:, tail].sum(axis=1)
            ),
            "regret_vs_best_fixed_at_T": interval(regret[:, -1]),
            "regret_per_instance_first_tenth": interval(regret[:, T // 10 - 1] / (T // 10)),
            "regret_per_instance_at_T": interval(regret[:, -1] / T),
            "regret_exponent_vs_best_fixed": exponent_interval(regret, jax.random.fold_in(key, n)),
        }
    return {
        "trials": int(costs.shape[0]),
        "totals": {k: interval(v) for k, v in totals.items()},
        "best_fixed_omega": {
            "values": sorted({round(float(w), 4) for w in best_omega}),
            "most_common": float(
                omegas[np.bincount(np.argmin(costs.sum(axis=1), axis=1)).argmax()]
            ),
        },
        "fixed_saved_vs_gauss_seidel": {
            "best fixed ω (hindsight)": interval(1 - best / gs),
            "Young ω* per instance": interval(1 - young / gs),
        },
        "capped_share": float(np.mean(costs >= cfg.max_iter)),
        "learners": learners,
        "_per_trial": totals,
    }


def tuning_summary(cfg: LearningToRelaxConfig, sens: dict) -> dict:
    """Per learner: the sweep's mean ratio to the best fixed ω on the tuning and the
    evaluation trials of each sequence, and the rate the tuning trials select (the smallest
    geometric mean of the ratio over the paper's two shift distributions, or over every
    sequence when neither is run)."""
    out = {}
    for name, (field, sweep_field) in RATES.items():
        rates = np.asarray(getattr(cfg, sweep_field), float)
        per_seq = {
            seq: {
                part: {
                    "mean": s[name].mean(axis=1).tolist(),
                    "ci95": [
                        t_interval(s[name], axis=1)[1].tolist(),
                        t_interval(s[name], axis=1)[2].tolist(),
                    ],
                }
                for part, s in parts.items()
            }
            for seq, parts in sens.items()
        }
        chosen_on = [q for q in SHIFT_BETA if q in sens] or list(sens)
        score = np.mean([np.log(sens[q]["tune"][name].mean(axis=1)) for q in chosen_on], axis=0)
        out[name] = {
            "parameter": field,
            "values": rates.tolist(),
            "selected_by_tuning_trials": float(rates[int(np.argmin(score))]),
            "used": float(getattr(cfg, field)),
            "selected_on": chosen_on,
            "ratio_to_best_fixed": per_seq,
        }
    return out


def key_numbers(results: dict) -> dict:
    out = {}
    for seq, r in results.items():
        ts, ex, cb = (r["learners"][n] for n in LEARNERS)

        def fmt(d):
            return f"{d['mean']:.3f} [{d['ci95'][0]:.3f}, {d['ci95'][1]:.3f}]"

        n = f"mean [95% t-interval] over {r['trials']} trials"
        out[seq] = {
            "tsallis_over_best_fixed": number(
                ts["over_best_fixed"]["mean"],
                literature="-> 1 as T grows (Khodak et al. 2024: near the best fixed ω)",
                note=f"total iterations / best fixed ω in hindsight, {n}: "
                + fmt(ts["over_best_fixed"]),
            ),
            "tsallis_regret_exponent": number(
                ts["regret_exponent_vs_best_fixed"]["mean"],
                literature="< 1 (sublinear regret vs the best fixed ω)",
                note="slope of log(trial-mean regret) vs log t over t >= T/10; 95% bootstrap "
                "interval over trials "
                f"[{ts['regret_exponent_vs_best_fixed']['ci95'][0]:.3f}, "
                f"{ts['regret_exponent_vs_best_fixed']['ci95'][1]:.3f}]",
            ),
            "chebcb_over_young": number(
                cb["over_young"]["mean"],
                literature="-> 1 (ChebCB asymptotically instance-optimal)",
                note=f"total / Young's ω* of each instance (the paper's instance-optimal), {n}: "
                + fmt(cb["over_young"]),
            ),
            "chebcb_over_best_fixed": number(
                cb["over_best_fixed"]["mean"],
                literature="< 1 (the contextual learner beats every fixed ω)",
                note=f"{n}: " + fmt(cb["over_best_fixed"]),
            ),
            "saved_vs_gauss_seidel": {
                name: number(
                    d["saved_vs_gauss_seidel"]["mean"],
                    note=f"1 - total / Gauss-Seidel total, {n}: " + fmt(d["saved_vs_gauss_seidel"]),
                )
                for name, d in zip(LEARNERS, (ts, ex, cb), strict=True)
            },
            "exp3_over_best_fixed": number(
                ex["over_best_fixed"]["mean"], note=f"{n}: " + fmt(ex["over_best_fixed"])
            ),
        }
    return out


# ---------------------------------------------------------------- the experiment


@experiment("learning_to_relax", paper="21", presets=PRESETS)
def run(cfg: LearningToRelaxConfig, ctx: Run) -> dict:
    """Bandit tuning of SOR's ω over shifted-Laplacian and heat-equation instance sequences."""
    lam_min = 4.0 * (1.0 - np.cos(np.pi / (cfg.m + 1)))
    if any(s in SHIFT_BETA for s in cfg.sequences) and not cfg.shift_min > -lam_min:
        raise ValueError(
            f"shift_min must be > -{lam_min:.4f} (the smallest eigenvalue of -Δ at m={cfg.m}) "
            f"so that every A_t is positive definite; got {cfg.shift_min}"
        )
    # tol = 1e-8 is below float32 resolution of the residual: SOR runs in double precision.
    with jax.enable_x64(True):
        return _run(cfg, ctx)


def _run(cfg: LearningToRelaxConfig, ctx: Run) -> dict:
    omegas = np.linspace(cfg.omega_min, cfg.omega_max, cfg.n_omegas)
    om = jnp.asarray(omegas)
    root = jax.random.PRNGKey(cfg.seed)
    results, played, sens = {}, {}, {}
    for s, seq in enumerate(cfg.sequences):
        k_eval, k_tune = jax.random.split(jax.random.fold_in(root, s))
        # trial i: member_key(k, i) split into the instances' key and the learners' key
        ev = [jax.random.split(member_key(k_eval, i)) for i in range(cfg.trials)]
        tu = [jax.random.split(member_key(k_tune, i)) for i in range(cfg.tune_trials)]
        with ctx.stage(f"tables_{seq}"):
            tables = trial_tables(cfg, seq, [k[0] for k in ev], om, ctx, "trial")
        learner_keys = jnp.stack([k[1] for k in ev])
        span = context_range(cfg, seq)
        with ctx.stage(f"learners_{seq}"):
            arms = ctx.cached(
                f"arms_{seq}",
                lambda t=tables, k=learner_keys, sp=span: {
                    n: play(make_learner(cfg, n, sp), cfg, t, k) for n in LEARNERS
                },
            )
        if cfg.tune_trials:
            with ctx.stage(f"tuning_{seq}"):
                tune = trial_tables(cfg, seq, [k[0] for k in tu], om, ctx, "tune")
                tune_keys = jnp.stack([k[1] for k in tu])

                def compute(t=tune, tk=tune_keys, e=tables, ek=learner_keys, q=seq):
                    # tuning and evaluation trials in one batch: one compilation per rate
                    both = {n: np.concatenate([t[n], e[n]]) for n in ("costs", "contexts")}
                    res = sensitivity(cfg, q, both, jnp.concatenate([tk, ek]))
                    n_tune = len(tk)
                    return {
                        **{f"tune/{n}": v[:, :n_tune] for n, v in res.items()},
                        **{f"eval/{n}": v[:, n_tune:] for n, v in res.items()},
                    }

                flat = ctx.cached(f"sensitivity_{seq}", compute)
                sens[seq] = {
                    part: {n: flat[f"{part}/{n}"] for n in LEARNERS} for part in ("tune", "eval")
                }
        results[seq] = summarise(cfg, tables, arms, omegas, jax.random.fold_in(root, 100 + s))
        played[seq] = {**tables, "arms": arms}
        ctx.save_arrays(
            f"costs_{seq}",
            costs=tables["costs"],
            young=tables["young"],
            omegas=omegas,
            contexts=tables["contexts"],
            **{f"arms_{n}": a for n, a in arms.items()},
        )
    with ctx.stage("figures"):
        ctx.savefig(fig_regret(played, cfg), "regret")
        ctx.savefig(fig_cumulative(played, omegas, cfg), "cumulative_cost")
        ctx.savefig(fig_omega_history(played, omegas, LEARNERS), "omega_history")
        ctx.savefig(fig_iterations_vs_omega(played, omegas, cfg.tol), "iterations_vs_omega")
        if sens:
            ctx.savefig(fig_tuning(sens, cfg, RATES), "tuning")
    out = {"key_numbers": key_numbers(results)}
    for seq, r in results.items():
        r.pop("_per_trial")
        out[seq] = r
    if sens:
        out["tuning"] = tuning_summary(cfg, sens)
    return out
