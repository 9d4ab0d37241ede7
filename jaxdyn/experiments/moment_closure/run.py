"""The computation of the moment_closure experiment (see the package docstring)."""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ...analysis import cme_exact
from ...analysis import moments as mo
from ...analysis.fsp import FSP
from ...analysis.stats import mean_and_sem
from ...core import Grid, simulate, status_counts
from ...systems.chemical_networks import Brusselator, Dimerisation, Schlogl
from .._kit import Run, experiment, number
from .config import PRESETS, MomentClosureConfig
from .figures import fig_bistable, fig_monostable, fig_oscillatory, fig_phase_diagram

KINDS = ("monostable", "bistable", "oscillatory")
#: the step budget of one long-time run of the moment equations (a run that needs more
#: is stiff or blowing up: it is classified as diverged)
MAX_STEPS = 100_000
#: initial concentrations (zero variance) of the runs of each kind; counts >= 1 so that
#: the log-normal closure (which needs positive moments) starts from the same points
INITIAL = {
    "monostable": ((0.1,), (0.7,)),
    "bistable": ((0.25,), (1.0,), (2.0,), (3.0,), (4.0,)),
    "oscillatory": ((0.5, 1.0), (1.5, 2.0)),
}


def network(kind: str, convention: str = "rate"):
    if kind == "monostable":
        return Dimerisation(convention=convention)
    if kind == "bistable":
        return Schlogl(convention=convention)
    return Brusselator(convention=convention)


def initial_states(eqs: mo.MomentEquations, kind: str, omega) -> jax.Array:
    means = jnp.maximum(omega * jnp.asarray(INITIAL[kind], dtype=float), 1.0)
    return jax.vmap(eqs.state)(means)


def closure_scan(ctx: Run, kind, convention, order, closure, omegas, t1) -> dict:
    """Long-time behaviour of one closure over the Ω grid (a sweep; one compile)."""

    def member(net, key):
        eqs = mo.MomentEquations(net, order=order, closure=closure)
        y0 = initial_states(eqs, kind, net.omega)
        return jax.vmap(lambda y: mo.long_time(eqs, y, t1=t1, max_steps=MAX_STEPS))(y0)

    name = f"{kind}_{convention}_{closure}{order}"
    ds = ctx.sweep(
        name,
        member,
        network(kind, convention),
        Grid.product(omega=np.asarray(omegas, dtype=float)),
        chunk_size=len(omegas),
        batch="vmap",
    )
    categories, fixed, amplitude, basins = [], [], [], []
    for om in omegas:
        point = ds.sel(omega=om).isel(seed=0)
        summary = {k: point[k].values for k in point.data_vars if k != "num_steps"}
        cat, points = mo.classify(summary)
        categories.append(cat)
        fixed.append(points)
        amplitude.append(float(np.max(summary["amplitude"])))
        basins.append(_basins(summary, points))
    return {
        "categories": categories,
        "fixed": fixed,
        "amplitude": np.array(amplitude),
        "basins": basins,
    }


def _basins(summary: dict, points: np.ndarray) -> np.ndarray:
    """For each initial condition, the index of the fixed point it reached (-1: none)."""
    out = np.full(len(summary["fixed"]), -1)
    for c, y in enumerate(summary["fixed"]):
        for k, z in enumerate(points):
            if summary["newton_ok"][c] and np.all(np.abs(y - z) <= 1e-6 * (1 + np.abs(z))):
                out[c] = k
    return out


def window(categories: list[str], omegas) -> dict:
    """The validity window on the grid: the Ω of valid points and the brackets around it."""
    om = np.asarray(omegas, dtype=float)
    ok = np.array([c == "valid" for c in categories])
    if not ok.any():
        return {"valid_from": None, "valid_to": None, "invalid_below": None, "invalid_above": None}
    first, last = int(np.argmax(ok)), int(len(ok) - 1 - np.argmax(ok[::-1]))
    return {
        "valid_from": float(om[first]),
        "valid_to": float(om[last]),
        "invalid_below": float(om[first - 1]) if first > 0 else None,
        "invalid_above": float(om[last + 1]) if last + 1 < len(om) else None,
    }


# ----------------------------------------------------------------------------- monostable


def monostable(cfg: MomentClosureConfig, ctx: Run) -> dict:
    omegas = np.asarray(cfg.omegas_mono, dtype=float)
    base = network("monostable")
    a = np.array([cme_exact.dimerisation_parameter(base.__class__(omega=o)) for o in omegas])
    exact_mean, exact_var = cme_exact.dimerisation_stationary(a)
    out = {"omegas": omegas, "exact_mean": exact_mean, "exact_var": exact_var, "variants": {}}
    for closure in cfg.closures:
        for order in cfg.orders:
            scan = closure_scan(ctx, "monostable", "rate", order, closure, omegas, cfg.t1_mono)
            means = np.array([p[0, 0] if len(p) else np.nan for p in scan["fixed"]])
            var = np.array([p[0, 1] if len(p) else np.nan for p in scan["fixed"]])
            valid = np.array([c == "valid" for c in scan["categories"]])
            entry = {
                **scan,
                "mean": means,
                "var": var,
                "rel_err_mean": np.where(valid, means / exact_mean - 1, np.nan),
                "rel_err_var": np.where(valid, var / exact_var - 1, np.nan),
                **window(scan["categories"], omegas),
            }
            entry["threshold"] = _threshold(cfg, entry, order, closure)
            out["variants"][f"{closure}{order}"] = entry
    # Ground truth by SSA at the smallest size: the CME is fine where closures fail.
    omega = float(omegas[0])
    ts = np.linspace(10.0, 30.0, 21)

    def member(net, key):
        traj = simulate(net, 30.0, key=key, ts=ts)
        return {"x": traj.ys[:, 0], "status": traj.status}

    ds = ctx.sweep(
        "monostable_ssa",
        member,
        base,
        Grid.product(omega=[omega]),
        seeds=cfg.ssa_trajectories,
        chunk_size=min(cfg.ssa_trajectories, 1024),
        key=jax.random.PRNGKey(cfg.seed),
    )
    x = ds["x"].sel(omega=omega).values.astype(float)  # (seed, time)
    per_run = x.mean(axis=1)
    out["ssa"] = {
        "omega": omega,
        "mean": float(x.mean()),
        "sem": float(mean_and_sem(per_run)[1]),
        "var": float(x.var()),
        "exact_mean": float(exact_mean[0]),
        "exact_var": float(exact_var[0]),
        "status": status_counts(ds),
    }
    return out


def _threshold(cfg, entry, order, closure) -> dict | None:
    """Ω (and the CME mean) where the closure starts to be valid, refined by bisection."""
    lo, hi = entry["invalid_below"], entry["valid_from"]
    if lo is None or hi is None:
        return None
    if cfg.bisect:
        base = network("monostable")

        @jax.jit
        def probe(omega):
            net = eqx.tree_at(lambda n: n.omega, base, omega)
            eqs = mo.MomentEquations(net, order=order, closure=closure)
            y0 = initial_states(eqs, "monostable", omega)
            return jax.vmap(lambda y: mo.long_time(eqs, y, t1=cfg.t1_mono, max_steps=MAX_STEPS))(y0)

        def valid(omega):
            return mo.classify(probe(jnp.asarray(omega)))[0] == "valid"

        omega_c = mo.validity_threshold(valid, lo, hi, rtol=1e-5)
    else:
        omega_c = float(np.sqrt(lo * hi))
    a_c = cme_exact.dimerisation_parameter(Dimerisation(omega=omega_c))
    mean_c, _ = cme_exact.dimerisation_stationary(a_c)
    return {"omega": omega_c, "a": a_c, "cme_mean": float(mean_c), "bisected": cfg.bisect}


# ----------------------------------------------------------------------------- bistable


def bistable(cfg: MomentClosureConfig, ctx: Run) -> dict:
    omegas = np.asarray(cfg.omegas_bi, dtype=float)
    if not np.any(np.isclose(omegas, cfg.big_omega_bi)):
        raise ValueError(f"big_omega_bi={cfg.big_omega_bi} must be one of omegas_bi")
    cme = [stationary(Schlogl(omega=o), (5 * o + 40,)) for o in omegas]
    out = {
        "omegas": omegas,
        "cme_mean": np.array([c.mean[0] for c in cme]),
        "cme_var": np.array([c.variance[0] for c in cme]),
        "cme_modes": np.array([_modes(c.p) for c in cme]),
        "variants": {},
    }
    for closure in cfg.closures:
        for order in cfg.orders:
            scan = closure_scan(ctx, "bistable", "rate", order, closure, omegas, cfg.t1_bi)
            scan["count"] = np.array([len(p) for p in scan["fixed"]])
            out["variants"][f"{closure}{order}"] = {**scan, **window(scan["categories"], omegas)}
    # The closure's fixed points at one large size (a point of the scan) against the
    # CME's single law.
    big = float(cfg.big_omega_bi)
    law = stationary(Schlogl(omega=big), (5 * big + 40,))
    first = out["variants"][f"{cfg.closures[0]}{cfg.orders[0]}"]
    fixed = first["fixed"][int(np.argmin(np.abs(omegas - big)))]
    out["big"] = {
        "omega": big,
        "closure": f"{cfg.closures[0]}{cfg.orders[0]}",
        "p": law.p,
        "cme_mean": float(law.mean[0]),
        "cme_var": float(law.variance[0]),
        "cme_modes": _modes(law.p),
        "fixed_means": fixed[:, 0],
        "fixed_vars": fixed[:, 1],
        "basin": first["basins"][int(np.argmin(np.abs(omegas - big)))],
        "initial": [float(np.maximum(big * p[0], 1.0)) for p in INITIAL["bistable"]],
    }
    # SSA from the two extreme starts reaches the same (FSP) law at a moderate size: one
    # sweep over the initial concentration (common random numbers across the two).
    omega = float(cfg.ssa_omega_bi)
    net = Schlogl(omega=omega)
    fsp = stationary(net, (5 * omega + 60,), tol=1e-10)
    ts = np.array([cfg.ssa_t1_bi])

    def member(sys, key):
        # The grid sets the one-species φ0 as a scalar: give it back its vector shape.
        sys = eqx.tree_at(lambda n: n.phi0, sys, jnp.reshape(sys.phi0, (1,)))
        traj = simulate(sys, cfg.ssa_t1_bi, key=key, ts=ts)
        return {"x": traj.ys[-1, 0], "status": traj.status}

    ds = ctx.sweep(
        "bistable_ssa",
        member,
        net,
        Grid.product(phi0=[0.0, 4.0]),
        seeds=cfg.ssa_trajectories,
        chunk_size=min(2 * cfg.ssa_trajectories, 1024),
        key=jax.random.PRNGKey(cfg.seed + 1),
    )
    samples = {
        label: ds["x"].sel(phi0=phi).values.astype(int)
        for label, phi in (("low", 0.0), ("high", 4.0))
    }
    cdf = np.cumsum(fsp.p)
    ks = {}
    for label, x in samples.items():
        emp = np.searchsorted(np.sort(x), np.arange(len(cdf)), side="right") / len(x)
        ks[label] = float(np.max(np.abs(emp - cdf)))
    out["ssa"] = {
        "omega": omega,
        "t1": cfg.ssa_t1_bi,
        "samples": samples,
        "fsp_p": fsp.p,
        "ks": ks,
        "ks_5pct": 1.36 / np.sqrt(cfg.ssa_trajectories),
        "means": {k: float(v.mean()) for k, v in samples.items()},
        "cme_mean": float(fsp.mean[0]),
    }
    return out


def stationary(net, box, tol: float = 1e-8):
    """The FSP stationary law, enlarging the box (x1.5) until its outflow is below tol."""
    box = tuple(int(b) for b in box)
    for _ in range(8):
        try:
            return FSP(net, box).stationary(tol=tol)
        except ValueError:
            box = tuple(int(1.5 * b) for b in box)
    return FSP(net, box).stationary(tol=tol)


def _modes(p: np.ndarray) -> int:
    """Number of local maxima of a 1-D law (above 1e-6 of its peak)."""
    q = np.concatenate([[-1.0], p, [-1.0]])
    peak = (q[1:-1] > q[:-2]) & (q[1:-1] >= q[2:]) & (p > 1e-6 * p.max())
    return int(peak.sum())


# ----------------------------------------------------------------------------- oscillatory


def oscillatory(cfg: MomentClosureConfig, ctx: Run) -> dict:
    omegas = np.asarray(cfg.omegas_osc, dtype=float)
    out = {"omegas": omegas, "variants": {}, "cme_var": {}}
    for c, convention in enumerate(cfg.conventions):
        # The other conventions with the first closure only (its orders): enough to show
        # how the validity window moves, at a fraction of the compile time.
        for closure in cfg.closures if c == 0 else cfg.closures[:1]:
            for order in cfg.orders:
                scan = closure_scan(
                    ctx, "oscillatory", convention, order, closure, omegas, cfg.t1_osc
                )
                key = f"{convention}:{closure}{order}"
                out["variants"][key] = {**scan, **window(scan["categories"], omegas)}
        # The CME's stationary variance where a box is affordable.
        out["cme_var"][convention] = {
            float(o): float(
                stationary(
                    Brusselator(omega=o, convention=convention), (6 * o + 20, 12 * o + 40)
                ).variance[0]
            )
            for o in omegas
            if o <= 10.0
        }
    # Time series at one size: SSA ensemble mean (damped) vs the closures (sustained?).
    omega = float(cfg.osc_omega)
    convention = cfg.conventions[0]
    net = Brusselator(omega=omega, convention=convention)
    x0 = np.round(omega * np.asarray(INITIAL["oscillatory"][0]))
    ts = np.linspace(0.0, cfg.osc_t1, 241)
    series = {}
    for order in cfg.orders:
        eqs = mo.MomentEquations(net, order=order, closure="normal")
        traj = simulate(
            eqs, cfg.osc_t1, ts=ts, y0=eqs.state(x0), rtol=1e-8, atol=1e-8, max_steps=MAX_STEPS
        )
        series[f"normal{order}"] = np.asarray(traj.ys[:, 0])
    y0 = jnp.asarray(x0, dtype=int)

    def member(sys, key):
        traj = simulate(sys, cfg.osc_t1, key=key, ts=ts, y0=y0)
        return {"x": traj.ys[:, 0], "status": traj.status}

    ds = ctx.sweep(
        "oscillatory_ssa",
        member,
        net,
        Grid.product(omega=[omega]),
        seeds=cfg.ssa_trajectories,
        chunk_size=min(cfg.ssa_trajectories, 512),
        key=jax.random.PRNGKey(cfg.seed + 2),
    )
    x = ds["x"].sel(omega=omega).values.astype(float)  # (seed, time)
    mean, sem = mean_and_sem(x, axis=0)
    late = ts >= 0.6 * cfg.osc_t1
    out["series"] = {
        "omega": omega,
        "convention": convention,
        "ts": ts,
        "ssa_mean": mean,
        "ssa_sem": sem,
        "closures": series,
        "ssa_late_amplitude": float(np.ptp(mean[late]) / np.mean(mean[late])),
        "closure_late_amplitude": {
            k: float(np.ptp(v[late]) / np.mean(v[late])) for k, v in series.items()
        },
        "ssa_status": status_counts(ds),
    }
    return out


# ----------------------------------------------------------------------------- the run


@experiment("moment_closure", paper="6", presets=PRESETS)
def run(cfg: MomentClosureConfig, ctx: Run) -> dict:
    """When moment closures lie: monostable, bistable and oscillatory networks (paper 6)."""
    with jax.enable_x64(True):  # moments span ~10 orders of magnitude; Newton to 1e-10
        with ctx.stage("monostable"):
            mono = monostable(cfg, ctx)
        with ctx.stage("bistable"):
            bi = bistable(cfg, ctx)
        with ctx.stage("oscillatory"):
            osc = oscillatory(cfg, ctx)
    with ctx.stage("figures"):
        ctx.savefig(fig_monostable(mono), "monostable")
        ctx.savefig(fig_bistable(bi), "bistable")
        ctx.savefig(fig_oscillatory(osc), "oscillatory")
        ctx.savefig(fig_phase_diagram(mono, bi, osc, cfg), "phase_diagram")
    ctx.save_arrays(
        "moment_closure",
        mono_omegas=mono["omegas"],
        mono_exact_mean=mono["exact_mean"],
        bi_omegas=bi["omegas"],
        bi_cme_mean=bi["cme_mean"],
        osc_ts=osc["series"]["ts"],
        osc_ssa_mean=osc["series"]["ssa_mean"],
        **{f"osc_{k}": v for k, v in osc["series"]["closures"].items()},
    )
    return summarize(cfg, mono, bi, osc)


def summarize(cfg, mono, bi, osc) -> dict:
    exact = mo.dimerisation_normal2_threshold()
    res: dict = {"monostable": {}, "bistable": {}, "oscillatory": {}}
    for key, v in mono["variants"].items():
        res["monostable"][key] = {
            "categories": dict(zip(map(str, mono["omegas"]), v["categories"], strict=True)),
            "threshold": v["threshold"],
            "max_abs_rel_err_mean_valid": _nanmax(np.abs(v["rel_err_mean"])),
            "max_abs_rel_err_var_valid": _nanmax(np.abs(v["rel_err_var"])),
        }
    n2 = mono["variants"].get("normal2", {}).get("threshold")
    if n2 is not None:
        res["monostable_threshold_normal2_a"] = number(
            n2["a"],
            literature=exact["a"],
            note="a = k1 Ω²/k2 where the 2nd-order normal closure's physical steady state "
            "appears (closed form: min of 4μ(2μ-1)(μ-1)/(4μ-5))",
        )
        res["monostable_threshold_normal2_cme_mean"] = n2["cme_mean"]
    s = mono["ssa"]
    res["monostable_ssa_mean"] = number(
        s["mean"],
        literature=s["exact_mean"],
        note=f"SSA at Ω={s['omega']:g} (where closures fail), ± {s['sem']:.3g} (SEM over runs)",
    )
    res["monostable_ssa_var"] = number(s["var"], literature=s["exact_var"])
    for key, v in bi["variants"].items():
        res["bistable"][key] = {
            "categories": dict(zip(map(str, bi["omegas"]), v["categories"], strict=True)),
            "fixed_points": dict(zip(map(str, bi["omegas"]), v["count"].tolist(), strict=True)),
            "valid_window": [v["valid_from"], v["valid_to"]],
        }
    b = bi["big"]
    res["bistable_big_omega"] = {
        "omega": b["omega"],
        "closure": b["closure"],
        "closure_fixed_means": b["fixed_means"],
        "closure_fixed_vars": b["fixed_vars"],
        "basins": dict(zip(map(str, b["initial"]), b["basin"].tolist(), strict=True)),
        "cme_mean": b["cme_mean"],
        "cme_var": b["cme_var"],
        "cme_modes": b["cme_modes"],
    }
    res["bistable_cme_modes"] = dict(
        zip(map(str, bi["omegas"]), bi["cme_modes"].tolist(), strict=True)
    )
    ss = bi["ssa"]
    res["bistable_ssa_same_law"] = number(
        max(ss["ks"].values()),
        note=f"KS distance of SSA (from x=0 and x=4Ω, Ω={ss['omega']:g}, t={ss['t1']:g}) to the "
        f"FSP law; 5% critical value {ss['ks_5pct']:.3f}",
    )
    for key, v in osc["variants"].items():
        res["oscillatory"][key] = {
            "categories": dict(zip(map(str, osc["omegas"]), v["categories"], strict=True)),
            "late_amplitude": dict(
                zip(map(str, osc["omegas"]), v["amplitude"].tolist(), strict=True)
            ),
            "valid_window": [v["valid_from"], v["valid_to"]],
        }
    se = osc["series"]
    res["oscillatory_series"] = {
        "omega": se["omega"],
        "convention": se["convention"],
        "ssa_late_relative_amplitude": se["ssa_late_amplitude"],
        "closure_late_relative_amplitude": se["closure_late_amplitude"],
        "ssa_status": se["ssa_status"],
    }
    res["oscillatory_cme_var"] = osc["cme_var"]
    return res


def _nanmax(x) -> float | None:
    x = np.asarray(x, dtype=float)
    return float(np.nanmax(x)) if np.any(np.isfinite(x)) else None
