"""The computation of the active_drop experiment (see the package docstring)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from ...analysis import continuation as cont
from ...analysis.active_drop import (
    REGIMES,
    ModeProblem,
    classify,
    mode2_coefficient,
    mode_threshold,
    truncated_threshold,
)
from ...analysis.lyapunov import largest_lyapunov
from ...core import Grid, simulate, status_counts
from ...systems.active_drop import ActiveDrop
from .._kit import Run, experiment, number
from .config import PRESETS, ActiveDropConfig
from .figures import fig_regimes, fig_thresholds, fig_velocity


def first_instability(problem: ModeProblem, pe_max: float) -> tuple[str, float, float]:
    """Continue the motionless state in Pe; the first special point (kind, Pe, ω)."""
    n = problem.drop.n_r - 1
    branch = cont.continuation(
        problem,
        jnp.zeros(n),
        0.5,
        p_min=0.25,
        p_max=pe_max,
        ds=0.5,
        ds_max=2.0,
        n_steps=int(pe_max) + 20,
        n_eigs=4,
    )
    for pt in cont.bifurcations(problem, branch):
        omega = float(pt.point.omega) if pt.kind == "hopf" else 0.0
        return pt.kind, pt.p, omega
    return "none", float("nan"), float("nan")


def linear_stability(cfg: ActiveDropConfig) -> dict:
    """Threshold Pe of each Legendre mode for each mobility ratio (continuation)."""
    pe = np.full((len(cfg.lin_m), len(cfg.lin_modes)), np.nan)
    kinds = np.empty(pe.shape, dtype=object)
    for i, m in enumerate(cfg.lin_m):
        drop = ActiveDrop(
            Pe=1.0,
            m=m,
            eta=cfg.eta,
            n_modes=max(cfg.lin_modes) + 1,
            n_r=cfg.lin_n_r,
            r_max=cfg.lin_r_max,
        )
        for j, n in enumerate(cfg.lin_modes):
            kind, p, _ = first_instability(ModeProblem(drop, n), cfg.lin_pe_max)
            pe[i, j], kinds[i, j] = p, kind
    return {
        "m": np.asarray(cfg.lin_m),
        "modes": np.asarray(cfg.lin_modes),
        "pe": pe,
        "kinds": kinds,
    }


def mode1_threshold(cfg: ActiveDropConfig) -> dict:
    """Mode-1 threshold on [1, R] by continuation vs the closed form; extrapolated to R = ∞."""
    radii = np.asarray(cfg.threshold_r_max, dtype=float)
    ours, exact = [], []
    for r_max in radii:
        # the linear stage's resolution: the same shapes, one compilation
        drop = ActiveDrop(
            Pe=1.0,
            m=1.0,
            eta=cfg.eta,
            n_modes=max(cfg.lin_modes) + 1,
            n_r=cfg.lin_n_r,
            r_max=r_max,
        )
        _, p, _ = first_instability(ModeProblem(drop, 1), 20.0)
        ours.append(p)
        exact.append(truncated_threshold(r_max))
    ours, exact = np.asarray(ours), np.asarray(exact)
    # Pe_c(R) = Pe_c(∞) + a / R + b / R²: the intercept is the unbounded domain's threshold
    design = np.stack([np.ones_like(radii), 1 / radii, 1 / radii**2], axis=1)
    k = min(3, radii.size)
    coef = np.linalg.lstsq(design[:, :k], ours, rcond=None)[0]
    return {"r_max": radii, "pe": ours, "exact": exact, "extrapolated": float(coef[0])}


def nonlinear_sweep(cfg: ActiveDropConfig, ctx: Run) -> dict:
    """Runs over (Pe, m): velocity U(t) and the mode-2 flow b_2(t), and the regime of each,
    from the deterministic start (a small mode-1 and mode-2 perturbation of the motionless
    drop) and from ``starts`` random ones."""
    base = ActiveDrop(
        Pe=cfg.pe_values[0],
        m=cfg.sweep_m[0],
        eta=cfg.eta,
        n_modes=cfg.n_modes,
        n_r=cfg.n_r,
        r_max=cfg.r_max,
    )
    ts = np.linspace(0.0, cfg.t1, 401)
    tail = ts >= (1 - cfg.tail) * cfg.t1

    def run_from(drop, y0):
        obs = lambda t, y: jnp.stack([drop.velocity(y), mode2_coefficient(drop, y)])
        traj = simulate(drop, cfg.t1, y0=y0, ts=ts, dt=cfg.dt, observable=obs)
        return {"U": traj.ys[:, 0], "b2": traj.ys[:, 1], "status": traj.status}

    grid = Grid.product(Pe=np.asarray(cfg.pe_values), m=np.asarray(cfg.sweep_m))

    def regimes(ds):
        u = ds["U"].transpose("Pe", "m", "seed", ...).values
        b2 = ds["b2"].transpose("Pe", "m", "seed", ...).values
        reg = np.vectorize(lambda i, j, s: classify(u[i, j, s, tail], b2[i, j, s, tail]))(
            *np.indices(u.shape[:3])
        )
        return u, b2, reg

    ds = ctx.sweep("regimes", lambda d, k: run_from(d, d.initial_state()), base, grid)
    u, b2, reg = regimes(ds)
    out = {
        "ts": ts,
        "Pe": np.asarray(cfg.pe_values),
        "m": np.asarray(cfg.sweep_m),
        "U": u[:, :, 0],
        "b2": b2[:, :, 0],
        "regime": reg[:, :, 0],
        "status": status_counts(ds),
        "base": base,
    }
    if cfg.starts:
        ds_r = ctx.sweep(
            "regimes_random_starts",
            lambda d, k: run_from(d, d.initial_state(k)),
            base,
            grid,
            seeds=cfg.starts,
            key=jax.random.PRNGKey(cfg.seed),
        )
        _, _, out["regime_random"] = regimes(ds_r)
        out["status_random"] = status_counts(ds_r)
    return out


def lyapunov(cfg: ActiveDropConfig, sweep: dict) -> list[dict]:
    """Largest Lyapunov exponent (two-trajectory Benettin, the runs' own ETDRK4 step) from
    the end of the deterministic runs: every unsteady one, and the steady or stopped run
    at the largest Pe of each m as a control (its exponent must not be positive)."""
    if cfg.lyapunov_t <= 0:
        return []
    picks = [tuple(ij) for ij in np.argwhere(sweep["regime"] == "unsteady")]
    for j in range(sweep["m"].size):
        if (sweep["Pe"].size - 1, j) not in picks:
            picks.append((sweep["Pe"].size - 1, j))
    t_renorm = max(1, round(1.0 / cfg.dt)) * cfg.dt
    n = max(1, round(cfg.lyapunov_t / t_renorm))
    out = []
    for i, j in picks:
        drop = ActiveDrop(
            Pe=sweep["Pe"][i],
            m=sweep["m"][j],
            eta=cfg.eta,
            n_modes=cfg.n_modes,
            n_r=cfg.n_r,
            r_max=cfg.r_max,
        )
        y = simulate(drop, cfg.t1, dt=cfg.dt).ys[-1]
        lam = largest_lyapunov(drop, n * t_renorm, t_renorm=t_renorm, y0=y, dt=cfg.dt)
        out.append(
            {
                "Pe": float(sweep["Pe"][i]),
                "m": float(sweep["m"][j]),
                "regime": str(sweep["regime"][i, j]),
                "exponent": float(lam),
            }
        )
    return out


@experiment("active_drop", paper="22", presets=PRESETS)
def run(cfg: ActiveDropConfig, ctx: Run) -> dict:
    """A chemically active drop: thresholds, regimes and chaos (paper 22)."""
    with jax.enable_x64(True):
        return _run(cfg, ctx)


def _run(cfg: ActiveDropConfig, ctx: Run) -> dict:
    with ctx.stage("linear_stability"):
        lin = linear_stability(cfg)
    with ctx.stage("mode1_threshold"):
        thr = mode1_threshold(cfg)
    with ctx.stage("nonlinear_sweep"):
        sw = nonlinear_sweep(cfg, ctx)
    with ctx.stage("lyapunov"):
        lyap = lyapunov(cfg, sw)
    with ctx.stage("figures"):
        ctx.savefig(fig_thresholds(lin, thr), "thresholds")
        ctx.savefig(fig_regimes(sw, REGIMES), "regimes")
        ctx.savefig(fig_velocity(sw), "velocity")
    ctx.save_arrays(
        "active_drop",
        lin_m=lin["m"],
        lin_modes=lin["modes"],
        lin_pe=lin["pe"],
        thr_r_max=thr["r_max"],
        thr_pe=thr["pe"],
        sweep_pe=sw["Pe"],
        sweep_m=sw["m"],
        sweep_ts=sw["ts"],
        sweep_U=sw["U"],
        sweep_b2=sw["b2"],
    )
    higher = {}
    for j, n in enumerate(lin["modes"]):
        if n < 2:
            continue
        col = lin["pe"][:, j]
        ok = np.isfinite(col)
        higher[f"mode_{n}"] = {
            f"m={m:g}": number(
                float(p) if np.isfinite(p) else None,
                literature=mode_threshold(int(n), m, cfg.eta),
                note="closed form 2(n+1)/k_n (unbounded domain)",
            )
            for m, p in zip(lin["m"], col, strict=True)
        }
        higher[f"mode_{n}"]["decreases_with_m"] = bool(
            ok.sum() >= 2 and np.all(np.diff(col[ok]) < 0)
        )
    out = {
        "mode1_threshold": {
            f"R={r:g}": {"continuation": float(p), "closed_form": float(e)}
            for r, p, e in zip(thr["r_max"], thr["pe"], thr["exact"], strict=True)
        },
        "mode1_threshold_max_rel_error": number(
            float(np.max(np.abs(thr["pe"] / thr["exact"] - 1)))
        ),
        "mode1_threshold_extrapolated": number(
            thr["extrapolated"],
            literature=4.0,
            note="Michelin, Lauga & Bartolo 2013: Pe_c = 4 for the isotropic phoretic particle",
        ),
        "higher_mode_thresholds": higher,
        "kinds": {
            f"m={m:g}": list(map(str, row)) for m, row in zip(lin["m"], lin["kinds"], strict=True)
        },
        "regimes": {
            f"Pe={p:g}": {f"m={m:g}": str(sw["regime"][i, j]) for j, m in enumerate(sw["m"])}
            for i, p in enumerate(sw["Pe"])
        },
        "regime_counts": {r: int(np.sum(sw["regime"] == r)) for r in REGIMES},
        "sweep_status": sw["status"],
    }
    if "regime_random" in sw:
        rr = sw["regime_random"]
        out["regimes_random_starts"] = {
            f"Pe={p:g}": {f"m={m:g}": list(map(str, rr[i, j])) for j, m in enumerate(sw["m"])}
            for i, p in enumerate(sw["Pe"])
        }
        out["multistable"] = [
            f"Pe={p:g}, m={m:g}"
            for i, p in enumerate(sw["Pe"])
            for j, m in enumerate(sw["m"])
            if len({sw["regime"][i, j], *rr[i, j]}) > 1
        ]
        out["sweep_status_random_starts"] = sw["status_random"]
    if lyap:
        out["largest_lyapunov"] = [
            number(
                r["exponent"],
                note=f"Pe={r['Pe']:g}, m={r['m']:g} ({r['regime']}); > 0 indicates chaos",
            )
            for r in lyap
        ]
    return out
