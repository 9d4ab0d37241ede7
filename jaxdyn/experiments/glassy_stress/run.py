"""The computation of the glassy_stress experiment (see the package docstring)."""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax

from ...analysis.rheology import curve_minimum, stress_regime
from ...core import AbstractTransform, Grid, fit, simulate, status_counts
from ...systems.maxwell_aging import REGIMES, AgingMaxwell
from .._kit import Run, experiment, number
from .config import PRESETS, GlassyStressConfig
from .figures import fig_fit, fig_flow_curve, fig_regimes, fig_relaxation

#: the parameters recovered by the fit (every parameter that shapes σ(t) at constant strain)
FIT_FIELDS = ("modulus", "aging_exponent", "hyperaging_exponent", "tau_m", "rejuvenation")


class Log(AbstractTransform):
    """c = exp(u): positive parameters spanning decades move at one rate in u."""

    def forward(self, u):
        return jnp.exp(u)

    def inverse(self, c):
        return jnp.log(c)


def _times(cfg: GlassyStressConfig, t_end: float | None = None) -> np.ndarray:
    return np.geomspace(1e-4, t_end or cfg.t_end, cfg.n_times)


def stress_curve(system: AgingMaxwell, ts, rtol: float, max_steps: int = 4096):
    """σ(t) at constant strain after steady pre-shear, by the adaptive solve (an absolute
    tolerance far below any stress: fast pre-shear leaves minima many decades deep)."""
    ts = jnp.asarray(ts)
    traj = simulate(
        system, ts[-1], ts=ts, observable=system.stress, rtol=rtol, atol=1e-300, max_steps=max_steps
    )
    return traj.ys, traj.status


def relaxation_curves(cfg: GlassyStressConfig, base: AgingMaxwell, ctx: Run) -> dict:
    """σ(t) for each pre-shear rate: solve vs closed form, minimum time and depth."""
    ts = _times(cfg)

    def member(sys, key):
        sigma, status = stress_curve(sys, ts, cfg.rtol)
        return {"sigma": sigma, "status": status}

    rates = np.asarray(cfg.rates, float)
    ds = ctx.sweep("relaxation", member, base, Grid.product(shear_rate=rates))
    sigma = ds["sigma"].isel(seed=0).values
    exact = np.stack([_at(base, shear_rate=r).stress_closed_form(ts) for r in rates])
    rows = []
    for r, s in zip(rates, sigma, strict=True):
        sys_r = _at(base, shear_rate=r)
        t_min, s_min = curve_minimum(ts, s)
        rows.append(
            {
                "rate": r,
                "t_min_sim": t_min,
                "t_min_theory": float(sys_r.minimum_time()),
                "depth": s_min / s[0] if np.isfinite(s_min) else float("nan"),
                "buildup": s[-1] / s_min if np.isfinite(s_min) else float("nan"),
                "regime_sim": int(stress_regime(s)),
                "regime_theory": int(sys_r.regime()),
            }
        )
    return {
        "ts": ts,
        "rates": rates,
        "sigma": sigma,
        "exact": exact,
        "max_rel_error": float(np.max(np.abs(sigma / exact - 1))),
        "rows": rows,
        "status": status_counts(ds),
    }


def _at(base: AgingMaxwell, **values) -> AgingMaxwell:
    names = tuple(values)
    return eqx.tree_at(
        lambda s: [getattr(s, n) for n in names], base, [jnp.asarray(values[n]) for n in names]
    )


def regime_diagram(cfg: GlassyStressConfig, base: AgingMaxwell, ctx: Run, axis: str) -> dict:
    """Shape of σ(t) over (pre-shear rate, ``axis``), simulated and in closed form.

    The closed-form regime counts a minimum (or overshoot) only if it falls inside the
    simulated window, so that the two classify the same curves."""
    rates = np.geomspace(1e-2, 1e3, cfg.diagram_rates)
    if axis == "hyperaging_exponent":
        values = np.linspace(0.6, 2.4, cfg.diagram_mus)
    else:
        values = np.linspace(0.05, 1.5, cfg.diagram_as)
    ts = _times(cfg)

    def member(sys, key):
        sigma, status = stress_curve(sys, ts, cfg.rtol)
        t_extremum = sys.minimum_age() - sys.age_at_cessation()
        theory = sys.regime()
        outside = ((theory == 1) | (theory == 3)) & ~(t_extremum < ts[-1])
        # A minimum past the window looks like relaxation; an overshoot past it, like build-up.
        theory = jnp.where(outside, jnp.where(theory == 1, 0, 2), theory)
        return {"sim": stress_regime(sigma), "theory": theory, "status": status}

    grid = Grid.product(**{"shear_rate": rates, axis: values})
    ds = ctx.sweep(f"regimes_{axis}", member, base, grid)
    sim = ds["sim"].isel(seed=0).values
    theory = ds["theory"].isel(seed=0).values
    return {
        "axis": axis,
        "rates": rates,
        "values": values,
        "sim": sim,
        "theory": theory,
        "agreement": float(np.mean(sim == theory)),
        "counts": {REGIMES[i]: int(np.sum(sim == i)) for i in range(len(REGIMES))},
        "status": status_counts(ds),
    }


def flow_curve(base: AgingMaxwell, ctx: Run) -> dict:
    """Steady flow curve σ_ss(γ̇) by pre-shearing from rest to steady state (simulate with
    ``args=rate``), against the closed form and its minimum."""
    rates = np.geomspace(1e-2, 1e4, 25)

    def steady(rate):
        sys = _at(base, shear_rate=rate)
        # From a young sample at rest, shear for many steady-state ages: t_a -> 1/(k rate).
        y0 = jnp.stack([jnp.asarray(0.0), 0.2 / (base.rejuvenation * rate)])
        t1 = 40.0 / (base.rejuvenation * rate) + 40.0 * sys.tau(1 / (base.rejuvenation * rate))
        traj = simulate(sys, t1, y0=y0, args=rate, rtol=1e-10, atol=1e-30, max_steps=50_000)
        y = traj.ys[-1]
        return sys.stress(t1, y) + base.viscosity * rate, traj.status

    def compute():
        sims, status = jax.vmap(steady)(jnp.asarray(rates))
        return {
            "rates": rates,
            "sim": np.asarray(sims),
            "theory": np.asarray(base.steady_stress(rates)),
            "status": np.asarray(status),
        }

    out = ctx.cached("flow_curve", compute)
    out["rate_min"] = float(base.flow_curve_minimum())
    out["max_rel_error"] = float(np.max(np.abs(out["sim"] / out["theory"] - 1)))
    return out


def synthetic_data(cfg: GlassyStressConfig, truth: AgingMaxwell, key) -> dict:
    """Noisy stress curves σ_obs = σ exp(ε), ε ~ N(0, s²), at the fit's pre-shear rates."""
    ts = np.geomspace(1e-2, min(cfg.t_end, 300.0), cfg.fit_points)
    rates = np.asarray(cfg.fit_rates, float)
    clean = np.stack([_at(truth, shear_rate=r).stress_closed_form(ts) for r in rates])
    eps = cfg.fit_noise * np.asarray(jax.random.normal(key, clean.shape))
    return {"ts": ts, "rates": rates, "clean": clean, "data": clean * np.exp(eps)}


def fit_curves(cfg: GlassyStressConfig, truth: AgingMaxwell, data: dict, start: AgingMaxwell):
    """Gradient fit of every parameter through the adaptive solve (``jaxdyn.fit``), the
    negative log-likelihood of log-normal noise; Laplace standard errors."""
    ts = jnp.asarray(data["ts"])
    rates = jnp.asarray(data["rates"])
    log_data = jnp.log(jnp.asarray(data["data"]))
    s2 = cfg.fit_noise**2

    def loss(model):
        def one(rate):
            # A small step budget (the curves need far fewer) bounds the adjoint's work.
            sigma, _ = stress_curve(_at(model, shear_rate=rate), ts, cfg.rtol, max_steps=512)
            return jnp.log(sigma)

        resid = jax.vmap(one)(rates) - log_data
        return 0.5 * jnp.sum(resid**2) / s2

    res = fit(
        loss,
        start,
        FIT_FIELDS,
        transforms={f: Log() for f in FIT_FIELDS},
        # The parameters are strongly correlated (a narrow valley): quasi-Newton steps,
        # each at most 0.2 in log-parameter space, cross it where Adam crawls.
        optimizer=optax.chain(
            optax.scale_by_lbfgs(memory_size=10),
            optax.clip_by_global_norm(0.2),
            optax.scale(-cfg.fit_lr),
        ),
        steps=cfg.fit_steps,
    )
    return res, float(loss(truth))


def parameter_recovery(cfg: GlassyStressConfig, truth: AgingMaxwell, ctx: Run) -> dict:
    """Replicate fits to independent noisy data sets, from a perturbed start: fitted values,
    Laplace errors, z-scores and the coverage of the ±1σ and ±2σ intervals."""
    factors = np.array([1.3, 0.8, 1.1, 0.75, 1.3])
    start = _at(
        truth, **{f: float(getattr(truth, f)) * c for f, c in zip(FIT_FIELDS, factors, strict=True)}
    )
    key = jax.random.PRNGKey(cfg.seed)

    def compute():
        values, errors, losses, first = [], [], [], None
        for i in range(cfg.fit_replicates):
            data = synthetic_data(cfg, truth, jax.random.fold_in(key, i))
            res, loss_truth = fit_curves(cfg, truth, data, start)
            values.append([float(res.params[f]) for f in FIT_FIELDS])
            se = res.stderr or {f: np.nan for f in FIT_FIELDS}
            errors.append([float(se[f]) for f in FIT_FIELDS])
            losses.append([float(res.history[-1]), loss_truth])
            if first is None:
                fitted = np.stack(
                    [
                        np.asarray(_at(res.model, shear_rate=r).stress_closed_form(data["ts"]))
                        for r in data["rates"]
                    ]
                )
                first = {**data, "fitted": fitted, "history": res.history}
        return {
            "values": np.asarray(values),
            "errors": np.asarray(errors),
            "losses": np.asarray(losses),
            **{f"example_{k}": v for k, v in first.items()},
        }

    out = ctx.cached("fit", compute)
    true = np.array([float(getattr(truth, f)) for f in FIT_FIELDS])
    z = (out["values"] - true) / out["errors"]
    out["true"] = true
    out["start"] = true * factors
    out["z"] = z
    return out


@experiment("glassy_stress", paper="14", presets=PRESETS)
def run(cfg: GlassyStressConfig, ctx: Run) -> dict:
    """Stress build-up at constant strain in an aging Maxwell model (paper 14)."""
    with jax.enable_x64(True):  # σ spans decades; the Laplace Hessian needs double precision
        base = AgingMaxwell()
        with ctx.stage("relaxation"):
            relax = relaxation_curves(cfg, base, ctx)
        with ctx.stage("regime_diagrams"):
            diag_mu = regime_diagram(cfg, base, ctx, "hyperaging_exponent")
            diag_a = regime_diagram(cfg, base, ctx, "aging_exponent")
        with ctx.stage("flow_curve"):
            flow = flow_curve(base, ctx)
        with ctx.stage("fit"):
            rec = parameter_recovery(cfg, base, ctx)
        with ctx.stage("figures"):
            ctx.savefig(fig_relaxation(relax), "relaxation")
            ctx.savefig(fig_regimes([diag_mu, diag_a], base), "regimes")
            ctx.savefig(fig_flow_curve(flow), "flow_curve")
            ctx.savefig(fig_fit(rec, FIT_FIELDS), "fit")
        ctx.save_arrays(
            "glassy_stress",
            ts=relax["ts"],
            rates=relax["rates"],
            sigma=relax["sigma"],
            sigma_closed_form=relax["exact"],
            regimes_mu_sim=diag_mu["sim"],
            regimes_mu_theory=diag_mu["theory"],
            regimes_a_sim=diag_a["sim"],
            regimes_a_theory=diag_a["theory"],
            fit_values=rec["values"],
            fit_errors=rec["errors"],
        )
        return summarise(cfg, base, relax, diag_mu, diag_a, flow, rec)


def summarise(cfg, base, relax, diag_mu, diag_a, flow, rec) -> dict:
    rows = relax["rows"]
    with_min = [r for r in rows if r["t_min_theory"] < cfg.t_end]
    t_err = [abs(r["t_min_sim"] / r["t_min_theory"] - 1) for r in with_min]
    z = rec["z"]
    ok = np.isfinite(z)
    return {
        "parameters": {k: float(v) for k, v in base.parameters().items()},
        "closed_form_max_relative_error": number(
            relax["max_rel_error"],
            literature=0.0,
            note=f"adaptive Tsit5 (rtol {cfg.rtol:g}) vs sigma(0)(t_a/t_0)^a exp(-I(t))",
        ),
        "minimum_time_max_relative_error": number(
            max(t_err) if t_err else None,
            literature=0.0,
            note="minimum of the solved curve (parabola in log t) vs t* - t_0, "
            "t* = tau_m a^(-1/(mu-1))",
        ),
        "by_preshear_rate": {
            f"{r['rate']:g}": {
                "t_min": number(r["t_min_sim"], literature=r["t_min_theory"]),
                "depth_sigma_min_over_sigma0": r["depth"],
                "buildup_sigma_end_over_sigma_min": r["buildup"],
                "regime": REGIMES[r["regime_sim"]],
            }
            for r in rows
        },
        "regime_agreement_mu": number(
            diag_mu["agreement"],
            literature=1.0,
            note=f"{diag_mu['sim'].size} runs over (rate, mu); counts {diag_mu['counts']}",
        ),
        "regime_agreement_a": number(
            diag_a["agreement"],
            literature=1.0,
            note=f"{diag_a['sim'].size} runs over (rate, a); counts {diag_a['counts']}",
        ),
        "flow_curve_max_relative_error": number(flow["max_rel_error"], literature=0.0),
        "flow_curve_minimum_rate": flow["rate_min"],
        "fit": {
            f: {
                "true": float(rec["true"][i]),
                "fitted_first": float(rec["values"][0, i]),
                "stderr_first": float(rec["errors"][0, i]),
                "mean_abs_z": float(np.nanmean(np.abs(z[:, i]))),
            }
            for i, f in enumerate(FIT_FIELDS)
        },
        "fit_coverage_1sigma": number(
            float(np.mean(np.abs(z[ok]) < 1)) if ok.any() else None,
            literature=0.683,
            note=f"{cfg.fit_replicates} data sets x {len(FIT_FIELDS)} parameters; Laplace errors",
        ),
        "fit_coverage_2sigma": number(
            float(np.mean(np.abs(z[ok]) < 2)) if ok.any() else None, literature=0.954
        ),
        "fit_loss_minus_loss_at_truth": float(np.mean(rec["losses"][:, 0] - rec["losses"][:, 1])),
        "status": {"relaxation": relax["status"], "regimes": diag_mu["status"]},
    }
