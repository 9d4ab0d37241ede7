"""The computation of the acceleration experiment (see the package docstring)."""

from __future__ import annotations

import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ...analysis.acceleration import (
    envelope_rate,
    find_period,
    heavy_ball_cycle,
    sbc_bound,
    sbc_quadratic_solution,
)
from ...core import Grid, simulate, status_counts
from ...systems.objectives import LessardCounterexample, conditioned_quadratic
from ...systems.optimizer_flows import (
    GradientFlow,
    HeavyBallFlow,
    NesterovFlow,
    NesterovSCFlow,
    SlowFastMomentum,
)
from ...systems.optimizer_maps import METHODS, HeavyBall, Nesterov, NesterovConvex
from ...systems.redundancy import LogisticRegression, Quadratic, logistic_data
from .._kit import Run, experiment, number
from .config import PRESETS, AccelerationConfig
from .figures import fig_high_resolution, fig_lrp, fig_rates, fig_sbc, fig_slow_fast

TIGHT = dict(rtol=1e-10, atol=1e-12, max_steps=1_000_000)
#: iterates below this are converged (the LRP basin scan)
CONVERGED = 1e-8


def _position(t, y):
    return y[0] if y.ndim == 2 else y


def _slope(x, y) -> float:
    """Least-squares slope of log y against log x."""
    return float(np.polyfit(np.log(np.asarray(x)), np.log(np.asarray(y)), 1)[0])


# ---------------------------------------------------------------------------- SBC ODE


def sbc_stage(cfg: AccelerationConfig) -> dict:
    """The SBC ODE vs its Bessel solution and the 1/t² bound; NAG-C vs the ODE as s -> 0."""
    lam = np.geomspace(cfg.sbc_lambda_min, 1.0, cfg.sbc_dim)
    f = Quadratic(np.zeros(cfg.sbc_dim), np.diag(lam))
    x0 = np.ones(cfg.sbc_dim)
    ts = np.linspace(0.0, cfg.sbc_t1, cfg.sbc_points)
    sim = simulate(
        NesterovFlow(objective=f, x0=x0), cfg.sbc_t1, ts=ts, observable=_position, **TIGHT
    )
    xs = np.asarray(sim.ys)
    exact = sbc_quadratic_solution(ts, lam, x0)
    gap = 0.5 * np.sum(lam * xs**2, axis=1)
    bound = sbc_bound(ts, np.linalg.norm(x0))
    err_low, err_hr, nag_paths = [], [], []
    for s in cfg.nagc_steps:
        h = math.sqrt(s)
        K = int(round(cfg.nagc_t1 / h))
        ks = np.arange(K + 1.0)
        disc = np.asarray(
            simulate(NesterovConvex(s, f, x0), float(K), ts=ks, observable=_position).ys
        )
        ode = sbc_quadratic_solution(ks * h, lam, x0)
        hr = simulate(
            NesterovFlow(3.0, s, f, x0), K * h, ts=ks * h, observable=_position, **TIGHT
        ).ys
        err_low.append(np.abs(disc - ode).max())
        err_hr.append(np.abs(disc - np.asarray(hr)).max())
        nag_paths.append((ks * h, 0.5 * np.sum(lam * disc**2, axis=1)))
    pos = ts > 0
    return {
        "lam": lam,
        "ts": ts,
        "sim": xs,
        "exact": exact,
        "gap": gap,
        "bound": bound,
        "max_error": float(np.abs(xs - exact).max()),
        "max_bound_ratio": float(np.max(gap[pos] / bound[pos])),
        "nagc_steps": np.asarray(cfg.nagc_steps),
        "nagc_err_sbc": np.asarray(err_low),
        "nagc_err_hr": np.asarray(err_hr),
        "nagc_t": nag_paths[0][0],
        "nagc_gap": nag_paths[0][1],
        "status": int(sim.status),
    }


# ---------------------------------------------------------------------------- linear rates


def _rate_window(errors: np.ndarray, theory: float, block: int) -> float:
    """Measured rate over the stretch where the error is still far above underflow."""
    bad = np.flatnonzero(~np.isfinite(errors) | (errors > 1e250))
    if bad.size:  # a divergent run: measure before the overflow
        errors = errors[: bad[0]]
    k_max = errors.size - 1
    if 0 < theory < 1:
        k_max = min(k_max, int(200 * math.log(10) / -math.log(theory)))
    k_max = max(k_max, 4 * block)
    return envelope_rate(errors[: k_max + 1], block=block, start=k_max // 4, polynomial=True)


def rates_stage(cfg: AccelerationConfig) -> dict:
    """Each tuned method on 2-D quadratics of condition number κ (vmapped over κ):
    textbook rate, worst-case spectral radius of the iteration matrix, measured rate."""
    kappas = np.geomspace(2.0, cfg.kappa_max, cfg.kappas)
    N = cfg.rate_steps
    ks = np.arange(N + 1.0)
    block = max(1, N // 300)
    out: dict = {"kappas": kappas}

    @eqx.filter_jit
    def errors(stacked):
        run = lambda s: simulate(s, float(N), ts=ks, observable=s.error).ys
        return eqx.filter_vmap(run)(stacked)

    for name, cls in METHODS.items():
        systems = [cls.tuned(conditioned_quadratic(k), x0=np.ones(2)) for k in kappas]
        stacked = jax.tree_util.tree_map(lambda *xs: jnp.stack(xs), *systems)
        errs = np.asarray(errors(stacked))
        theory = np.array([cls.theory_rate(k) for k in kappas])
        out[f"{name}_theory"] = theory
        out[f"{name}_spectral"] = np.array(
            [float(s.worst_case_rate(1.0, k)) for s, k in zip(systems, kappas, strict=True)]
        )
        out[f"{name}_measured"] = np.array(
            [_rate_window(e, r, block) for e, r in zip(errs, theory, strict=True)]
        )
    return out


def _alpha_max(name: str, beta: float, L: float) -> float:
    """1.1 x the largest stable step on [m, L] (GD 2/L, HB 2(1+β)/L, NAG (2+2β)/((1+2β)L))."""
    edge = {
        "gradient_descent": 2.0,
        "heavy_ball": 2.0 * (1.0 + beta),
        "nesterov": (2.0 + 2.0 * beta) / (1.0 + 2.0 * beta),
    }[name]
    return 1.1 * edge / L


def step_stage(cfg: AccelerationConfig, ctx: Run) -> dict:
    """Rate against the step size α (momentum at its tuned value), a sweep per method."""
    kappa = cfg.step_kappa
    f = conditioned_quadratic(kappa)
    N = cfg.step_iters
    ks = np.arange(N + 1.0)

    def member(system, key):
        traj = simulate(system, float(N), ts=ks, observable=system.error)
        return {"err": traj.ys, "status": traj.status}

    out: dict = {"kappa": kappa}
    for name in ("gradient_descent", "heavy_ball", "nesterov"):
        base = METHODS[name].tuned(f, x0=np.ones(2))
        beta = float(getattr(base, "beta", 0.0))
        hi = _alpha_max(name, beta, kappa)
        alphas = np.linspace(hi / cfg.step_alphas, hi, cfg.step_alphas)
        ds = ctx.sweep(f"step_{name}", member, base, Grid.product(alpha=alphas), progress=False)
        errs = ds["err"].isel(seed=0).values
        theory = np.array(
            [
                float(
                    eqx.tree_at(lambda s: s.alpha, base, jnp.asarray(a)).worst_case_rate(1, kappa)
                )
                for a in alphas
            ]
        )
        out[f"{name}_alpha"] = alphas
        out[f"{name}_theory"] = theory
        out[f"{name}_measured"] = np.array(
            [_rate_window(e, r, max(1, N // 100)) for e, r in zip(errs, theory, strict=True)]
        )
        out[f"{name}_tuned_alpha"] = float(base.alpha)
        out[f"{name}_status"] = status_counts(ds)
    return out


# ---------------------------------------------------------------------------- high resolution


def high_resolution_stage(cfg: AccelerationConfig) -> dict:
    """Heavy ball and NAG-SC (α = s, β = (1-√(μs))/(1+√(μs))) against the low-resolution
    ODE and the two high-resolution ODEs at t = k√s: sup-norm distances."""
    m, kappa = 0.1, 10.0
    f = conditioned_quadratic(kappa, dim=2, m=m)
    x0 = np.ones(2)
    rows = {k: [] for k in ("hb_low", "hb_hb", "hb_nag", "nag_low", "nag_hb", "nag_nag")}
    paths = {}
    for i, s in enumerate(cfg.hr_steps):
        h = math.sqrt(s)
        K = int(round(cfg.hr_t1 / h))
        ks = np.arange(K + 1.0)
        beta = (1 - math.sqrt(m * s)) / (1 + math.sqrt(m * s))
        hb = np.asarray(
            simulate(HeavyBall(s, beta, f, x0), float(K), ts=ks, observable=_position).ys
        )
        nag = np.asarray(
            simulate(Nesterov(s, beta, f, x0), float(K), ts=ks, observable=_position).ys
        )
        kw = dict(ts=ks * h, observable=_position, **TIGHT)
        low = np.asarray(simulate(HeavyBallFlow(m, 0.0, f, x0), K * h, **kw).ys)
        hb_ode = np.asarray(simulate(HeavyBallFlow(m, s, f, x0), K * h, **kw).ys)
        nag_ode = np.asarray(simulate(NesterovSCFlow(m, s, f, x0), K * h, **kw).ys)
        err = lambda a, b: float(np.abs(a - b).max())
        for key, (a, b) in {
            "hb_low": (hb, low),
            "hb_hb": (hb, hb_ode),
            "hb_nag": (hb, nag_ode),
            "nag_low": (nag, low),
            "nag_hb": (nag, hb_ode),
            "nag_nag": (nag, nag_ode),
        }.items():
            rows[key].append(err(a, b))
        if i == 0:
            paths = {"hb": hb, "nag": nag, "low": low, "hb_ode": hb_ode, "nag_ode": nag_ode}
    return {
        "steps": np.asarray(cfg.hr_steps),
        **{k: np.asarray(v) for k, v in rows.items()},
        **{f"path_{k}": v for k, v in paths.items()},
    }


# ---------------------------------------------------------------------------- LRP cycle


def lrp_stage(cfg: AccelerationConfig) -> dict:
    """Tuned methods on the Lessard-Recht-Packard function: heavy ball's cycle (exact),
    the outcome from a grid of starts, and the paths from x₀ = 3.3."""
    lrp = LessardCounterexample()
    N = cfg.lrp_iters
    x0s = np.linspace(-6.0, 6.0, cfg.lrp_starts)
    tail_ts = np.arange(N - 12.0, N + 1.0)
    out: dict = {"x0s": x0s}
    for name in ("heavy_ball", "nesterov", "triple_momentum", "gradient_descent"):
        method = METHODS[name].tuned(lrp)

        @jax.jit
        def tails(x0s, method=method):
            def one(x0):
                y0 = jnp.stack([x0[None], x0[None]])
                return simulate(
                    method, float(N), y0=y0, ts=tail_ts, observable=lambda t, y: method.output(y)[0]
                ).ys

            return jax.vmap(one)(x0s)

        tail = np.asarray(tails(jnp.asarray(x0s)))
        converged = np.max(np.abs(tail), axis=1) < CONVERGED
        periods = np.array([find_period(t, max_period=4, tol=1e-8) for t in tail])
        out[f"{name}_converged"] = converged
        out[f"{name}_period"] = periods
        path = simulate(
            method,
            float(N),
            y0=jnp.full((2, 1), 3.3),
            ts=np.arange(N + 1.0),
            observable=lambda t, y, method=method: method.output(y)[0],
        ).ys
        out[f"{name}_path"] = np.asarray(path)
    hb = HeavyBall.tuned(lrp)
    last = out["heavy_ball_path"][-3:]
    pieces = [LessardCounterexample.PIECES[LessardCounterexample.piece(x)] for x in last]
    cycle = heavy_ball_cycle(
        float(hb.alpha), float(hb.beta), [p[1] for p in pieces], [p[2] for p in pieces]
    )
    out["cycle"] = cycle["points"]
    out["floquet"] = cycle["floquet"]
    out["cycle_error"] = float(np.abs(np.sort(cycle["points"]) - np.sort(last)).max())
    out["cycle_period"] = find_period(out["heavy_ball_path"], max_period=6, tol=1e-10)
    return out


# ---------------------------------------------------------------------------- slow manifold


def slow_fast_stage(cfg: AccelerationConfig, ctx: Run) -> dict:
    """SlowFastMomentum on an L2-regularised logistic loss over (ε, η): distance to the
    critical and first-order slow manifolds, and the distance from gradient flow (from
    x₀) and from Fenichel's reduced flow (from the fibre's base point)."""
    z, labels = logistic_data(jax.random.PRNGKey(cfg.seed), 64, 2, scale=2.0)
    f = LogisticRegression(z, labels, reg=0.1)
    T = cfg.gsp_t1
    ts = np.linspace(0.0, T, cfg.gsp_points)
    late = jnp.asarray(ts >= 1.0)
    base = SlowFastMomentum(objective=f, x0=np.asarray(f.x_star) + 1.0)

    def member(system, key):
        kw = dict(ts=ts, **TIGHT)
        traj = simulate(system, T, **kw)
        ys = traj.ys
        flow = simulate(GradientFlow(0.0, system.objective, system.x0), T, **kw).ys
        reduced = GradientFlow(
            2.0 * system.eps * (1.0 - system.eta), system.objective, system.fibre_base_point()
        )
        red = simulate(reduced, T, **kw).ys
        xs = ys[:, 0]
        dist = lambda order: jax.vmap(lambda y: system.distance_to_manifold(0.0, y, order))(ys)
        return {
            "err_flow": jnp.max(jnp.linalg.norm(xs - flow, axis=1)),
            "err_reduced": jnp.max(jnp.where(late, jnp.linalg.norm(xs - red, axis=1), 0.0)),
            "d0": dist(0),
            "d1": dist(1),
            "status": traj.status,
        }

    grid = Grid.product(eps=np.asarray(cfg.gsp_eps), eta=np.array([0.0, 1.0]))
    ds = ctx.sweep("slow_fast", member, base, grid, progress=False)
    eps = np.asarray(cfg.gsp_eps)
    out: dict = {"eps": eps, "ts": ts, "status": status_counts(ds)}
    lt = ts >= 1.0
    for eta in (0.0, 1.0):
        sel = ds.sel(eta=eta).isel(seed=0)
        tag = f"eta{int(eta)}"
        out[f"err_flow_{tag}"] = sel["err_flow"].values
        out[f"err_reduced_{tag}"] = sel["err_reduced"].values
        out[f"d0_{tag}"] = sel["d0"].values
        out[f"d1_{tag}"] = sel["d1"].values
        out[f"d0_late_{tag}"] = sel["d0"].values[:, lt].max(axis=1)
        out[f"d1_late_{tag}"] = sel["d1"].values[:, lt].max(axis=1)
    return out


# ---------------------------------------------------------------------------- the experiment


@experiment("acceleration", paper="17", presets=PRESETS)
def run(cfg: AccelerationConfig, ctx: Run) -> dict:
    """Optimisation methods as dynamical systems: ODE limits, rates, cycles, slow manifolds."""
    # The references are exact to ~1e-10 and the rates are read off errors spanning
    # hundreds of decades: double precision throughout.
    with jax.enable_x64(True):
        return _run(cfg, ctx)


def _run(cfg: AccelerationConfig, ctx: Run) -> dict:
    with ctx.stage("sbc"):
        sbc = ctx.cached("sbc", lambda: sbc_stage(cfg))
    with ctx.stage("rates"):
        rates = ctx.cached("rates", lambda: rates_stage(cfg))
    with ctx.stage("step_sizes"):
        steps = step_stage(cfg, ctx)
    with ctx.stage("high_resolution"):
        hr = ctx.cached("high_resolution", lambda: high_resolution_stage(cfg))
    with ctx.stage("lessard"):
        lrp = ctx.cached("lessard", lambda: lrp_stage(cfg))
    with ctx.stage("slow_fast"):
        gsp = slow_fast_stage(cfg, ctx)
    with ctx.stage("figures"):
        ctx.savefig(fig_sbc(sbc), "sbc_bessel")
        ctx.savefig(fig_rates(rates, steps, list(METHODS)), "rates")
        ctx.savefig(fig_high_resolution(hr), "high_resolution")
        ctx.savefig(fig_lrp(lrp), "lessard_cycle")
        ctx.savefig(fig_slow_fast(gsp), "slow_manifold")
    ctx.save_arrays(
        "acceleration",
        kappas=rates["kappas"],
        **{k: v for k, v in rates.items() if k != "kappas"},
        gsp_eps=gsp["eps"],
        **{f"gsp_{k}": gsp[k] for k in gsp if k.startswith("err_")},
    )

    kappas = rates["kappas"]
    rate_results = {}
    for name in METHODS:
        th, sp, me = (rates[f"{name}_{k}"] for k in ("theory", "spectral", "measured"))
        asymptote = -1.0 if name == "gradient_descent" else -0.5
        rate_results[name] = {
            "max_rel_dev_spectral_vs_theory": number(
                float(np.max(np.abs(sp / th - 1))), literature=0.0
            ),
            "max_rel_dev_measured_1_minus_rate": number(
                float(np.max(np.abs((1 - me) / (1 - th) - 1))),
                literature=0.0,
                note="relative deviation of 1 - rho (measured on simulated iterates) from theory",
            ),
            "slope_log_1_minus_rate_vs_log_kappa": number(
                _slope(kappas, 1 - me),
                literature=_slope(kappas, 1 - th),
                note=f"literature: the theory's slope on the same kappa grid (asymptotically "
                f"{asymptote:g})",
            ),
        }
    step_results = {
        name: {
            "max_abs_dev_measured_vs_spectral": float(
                np.max(np.abs(steps[f"{name}_measured"] - steps[f"{name}_theory"]))
            ),
            "best_alpha_measured": float(
                steps[f"{name}_alpha"][np.argmin(steps[f"{name}_measured"])]
            ),
            "tuned_alpha": steps[f"{name}_tuned_alpha"],
        }
        for name in ("gradient_descent", "heavy_ball", "nesterov")
    }
    hr_rows = {
        k: hr[k].tolist() for k in ("hb_low", "hb_hb", "hb_nag", "nag_low", "nag_hb", "nag_nag")
    }
    fates = {
        name: {
            "fraction_converged": float(np.mean(lrp[f"{name}_converged"])),
            "fraction_on_a_cycle": float(
                np.mean(lrp[f"{name}_period"] > 0) - np.mean(lrp[f"{name}_converged"])
            ),
        }
        for name in ("heavy_ball", "nesterov", "triple_momentum", "gradient_descent")
    }
    gsp_res = {
        "slope_err_gradient_flow_eta0": number(
            _slope(gsp["eps"], gsp["err_flow_eta0"]), literature=1.0
        ),
        "slope_err_gradient_flow_eta1": number(
            _slope(gsp["eps"], gsp["err_flow_eta1"]), literature=1.0
        ),
        "slope_err_reduced_flow_eta0": number(
            _slope(gsp["eps"], gsp["err_reduced_eta0"]),
            literature=2.0,
            note="Fenichel reduced flow x' = -grad f - eps Hess grad f from the fibre base point",
        ),
        "slope_err_reduced_flow_eta1": number(
            _slope(gsp["eps"], gsp["err_reduced_eta1"]), literature=2.0
        ),
        "slope_distance_critical_manifold_eta0": number(
            _slope(gsp["eps"], gsp["d0_late_eta0"]), literature=1.0
        ),
        "slope_distance_slow_manifold_eta0": number(
            _slope(gsp["eps"], gsp["d1_late_eta0"]), literature=2.0
        ),
        "distance_critical_manifold_eta1_per_eps": number(
            gsp["d0_late_eta1"].tolist(),
            literature=np.exp(-1.0 / gsp["eps"]).tolist(),
            note="max over t >= 1 of |v + grad f| with Hessian damping: the boundary layer "
            "e^(-t/eps) |z0| only (literature: e^(-1/eps)), down to round-off; M0 is invariant",
        ),
        "status": gsp["status"],
    }
    return {
        "sbc": {
            "max_error_vs_bessel": number(
                sbc["max_error"],
                literature=0.0,
                note="x(t) = 2 J1(sqrt(lam) t)/(sqrt(lam) t) x0 per eigen-direction",
            ),
            "max_ratio_to_bound": number(
                sbc["max_bound_ratio"],
                literature="<= 1",
                note="(f(x(t)) - f*) / (2 |x0 - x*|^2 / t^2)",
            ),
            "nagc_order_in_s_vs_sbc_ode": number(
                _slope(sbc["nagc_steps"], sbc["nagc_err_sbc"]), literature=0.5
            ),
            "nagc_error_vs_sbc_ode": sbc["nagc_err_sbc"].tolist(),
            "nagc_error_vs_high_resolution_ode": sbc["nagc_err_hr"].tolist(),
            "nagc_steps": sbc["nagc_steps"].tolist(),
        },
        "rates_vs_kappa": {"kappas": kappas.tolist(), **rate_results},
        "rates_vs_step_size": {"kappa": steps["kappa"], **step_results},
        "high_resolution": {
            "steps": hr["steps"].tolist(),
            "sup_distance": hr_rows,
            "note": "hb_nag = heavy-ball iterates vs the NAG-SC high-resolution ODE, etc.",
        },
        "lessard_recht_packard": {
            "heavy_ball_period": number(lrp["cycle_period"], literature=3),
            "cycle_points": sorted(np.asarray(lrp["cycle"]).tolist()),
            "cycle_floquet_multiplier": lrp["floquet"],
            "cycle_exact_vs_simulated": lrp["cycle_error"],
            "outcomes_from_starts_in_[-6,6]": fates,
        },
        "slow_manifold": gsp_res,
    }
