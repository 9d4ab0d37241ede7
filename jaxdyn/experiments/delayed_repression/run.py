"""The computation of the delayed_repression experiment (see the package docstring)."""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ...analysis import continuation as cont
from ...analysis.stability import fit_hopf_amplitude, oscillation_amplitude, oscillation_period
from ...analysis.stats import wilson_interval
from ...core import Grid, simulate, status_counts
from ...systems.replicator import DelayedReplicator
from ...systems.repression_abm import ARCHITECTURES, RepressionABM, runaway_observables
from .._kit import Run, experiment, number
from .config import PRESETS, DelayedRepressionConfig
from .figures import fig_hopf_branch, fig_phase_diagram, fig_runaway_rates

#: paper 10's abstract: runaway rates of the three architectures
PAPER_RATES = {"fixed": (None, 0.0), "reactive": (8, 0.96), "qlearning": (20, 0.66)}


def tau_c(base: DelayedReplicator, k: float) -> float:
    """Closed-form Hopf delay of ``base`` with steepness ``k``."""
    return float(eqx.tree_at(lambda s: s.k, base, jnp.asarray(k)).critical_delay())


def omega_c(base: DelayedReplicator, k: float) -> float:
    """Closed-form Hopf frequency ω = A of ``base`` with steepness ``k``."""
    return float(eqx.tree_at(lambda s: s.k, base, jnp.asarray(k)).onset_frequency())


def phase_diagram(cfg: DelayedRepressionConfig, base: DelayedReplicator, ctx: Run) -> dict:
    """Oscillation amplitude over (τ, k) by ``sweep``; the delay is a grid axis."""
    taus = np.linspace(0.1, cfg.tau_max, cfg.phase_taus)
    ks = np.asarray(cfg.phase_ks, dtype=float)
    t1 = cfg.phase_t1
    ts = np.linspace(t1 - min(100.0, t1 / 3), t1, 401)

    def member(sys, key):
        traj = simulate(sys, t1, ts=ts, dt=cfg.dt, max_delay=cfg.tau_max, overlap_iters=0)
        return {"amp": 0.5 * (jnp.max(traj.ys) - jnp.min(traj.ys)), "status": traj.status}

    ds = ctx.sweep("phase", member, base, Grid.product(tau=taus, k=ks))
    return {
        "taus": taus,
        "ks": ks,
        "amp": ds["amp"].isel(seed=0).values,
        "theory": np.array([tau_c(base, k) for k in ks]),
        "status": status_counts(ds),
    }


def hopf_by_continuation(cfg: DelayedRepressionConfig, base: DelayedReplicator) -> dict:
    """The Hopf delay by continuation, with no simulation: the rest state x* continued in
    τ with the rightmost characteristic roots (Chebyshev discretisation of the DDE's
    generator), the Hopf point located on the characteristic equation, then continued in
    (τ, k) over the phase diagram's range of k (two-parameter continuation)."""
    with jax.enable_x64(True):  # Newton to 1e-12 needs double precision
        return _hopf_by_continuation(cfg, base)


def _hopf_by_continuation(cfg: DelayedRepressionConfig, base: DelayedReplicator) -> dict:
    tau0 = 0.2
    params = {k: float(v) for k, v in base.parameters().items()}
    sys0 = DelayedReplicator(**{**params, "tau": tau0})
    problem = cont.from_system(sys0, "tau")
    y0 = jnp.atleast_1d(sys0.equilibrium())
    branch = cont.continuation(
        problem,
        y0,
        tau0,
        p_min=0.05,
        p_max=cfg.tau_max,
        ds=0.1,
        ds_max=0.25,
        n_steps=40,
        n_eigs=6,
    )
    hopfs = [pt for pt in cont.bifurcations(problem, branch) if pt.kind == "hopf"]
    if not hopfs:
        raise RuntimeError("continuation in tau found no Hopf point of the delayed replicator")
    h = hopfs[0].point
    k0 = float(base.k)
    ks = np.asarray(cfg.phase_ks, dtype=float)
    problem_of = lambda k: cont.from_system(eqx.tree_at(lambda s: s.k, sys0, k), "tau")
    parts = []
    pad = 0.05 * (ks.max() - ks.min())
    for direction, bound in ((-1, ks.min() - pad), (1, ks.max() + pad)):
        if (bound - k0) * direction <= 0:
            continue
        curve = cont.hopf_curve(
            problem_of,
            h,
            k0,
            p_min=min(bound, k0),
            p_max=max(bound, k0),
            ds=0.1,
            ds_max=1.0,
            n_steps=80,
            direction=direction,
        )
        v = np.asarray(curve.valid)
        parts.append((np.asarray(curve.q)[v], np.asarray(curve.p)[v], np.asarray(curve.omega)[v]))
    k_curve = np.concatenate([p[0] for p in parts])
    order = np.argsort(k_curve)
    k_curve = k_curve[order]
    tau_curve = np.concatenate([p[1] for p in parts])[order]
    omega_curve = np.concatenate([p[2] for p in parts])[order]
    theory = np.array([tau_c(sys0, k) for k in k_curve])
    return {
        "tau_c": float(h.p),
        "omega": float(h.omega),
        "tau_c_theory": float(sys0.critical_delay()),
        "omega_theory": float(sys0.onset_frequency()),
        "k": k_curve,
        "tau": tau_curve,
        "omega_curve": omega_curve,
        "max_rel_error_curve": float(np.max(np.abs(tau_curve / theory - 1))),
        "max_rel_error_omega": float(
            np.max(np.abs(omega_curve / np.array([omega_c(sys0, k) for k in k_curve]) - 1))
        ),
    }


def onset_scan(cfg: DelayedRepressionConfig, base: DelayedReplicator, ctx: Run) -> dict:
    """Per steepness: amplitudes just above τ_c, long runs; the A² fit gives the onset."""
    factors = np.asarray(cfg.onset_factors, dtype=float)
    out = {}
    for k in cfg.onset_ks:
        sys_k = eqx.tree_at(lambda s: s.k, base, jnp.asarray(k))
        tc = float(sys_k.critical_delay())
        # Time in units of τ_c: the same number of periods and steps per delay for every k.
        t1 = cfg.onset_periods * 4 * tc
        dt = tc / max(8.0, round(tc / cfg.dt))
        ts = np.arange(t1 - 40 * tc, t1 + 1e-9, tc / 20)
        ts = ts[ts <= t1]

        def member(sys, key, ts=ts, t1=t1, dt=dt, tc=tc):
            traj = simulate(sys, t1, ts=ts, dt=dt, max_delay=1.2 * tc, overlap_iters=0)
            return {"x": traj.ys, "status": traj.status}

        taus = tc * np.concatenate([[0.97], factors])
        ds = ctx.sweep(f"onset_k{k:g}", member, sys_k, Grid.points(tau=taus))
        xs = ds["x"].isel(seed=0).values
        amp = oscillation_amplitude(xs, axis=1)
        fit = fit_hopf_amplitude(taus[1:], amp[1:], mu_c=tc)
        periods = np.array([oscillation_period(ts, x) for x in xs[1:]])
        out[float(k)] = {
            "tau_c_theory": tc,
            "tau_c_sim": fit["mu_onset"],
            "amp_below": float(amp[0]),
            "exponent": fit["exponent"],
            "period_onset_sim": float(np.polyval(np.polyfit(taus[1:], periods, 1), tc)),
            "period_onset_theory": float(sys_k.onset_period()),
            "taus": taus,
            "amp": amp,
            "periods": periods,
            "ts": ts,
            "x_example": xs[1 + len(factors) // 2],
            "status": status_counts(ds),
        }
    return out


def abm_rates(cfg: DelayedRepressionConfig, ctx: Run) -> dict:
    """Runaway rate vs delay for each architecture: a sweep of the ABM over delay x seeds."""
    delays = np.asarray(cfg.abm_delays, dtype=float)
    steps = cfg.abm_steps
    ts = np.arange(1.0, steps + 1.0)

    def member(model, key):
        traj = simulate(model, float(steps), key=key, ts=ts, observable=runaway_observables)
        ys = traj.ys
        return {
            "radical": ys["radical"],
            "runaway": ys["runaway"][-1],
            "runaway_time": ys["runaway_time"][-1],
            "status": traj.status,
        }

    rates, low, high, examples = {}, {}, {}, {}
    key = jax.random.PRNGKey(cfg.seed)
    for arch in ARCHITECTURES:
        model = RepressionABM(arch, max_delay=int(delays.max()) + 1)
        ds = ctx.sweep(
            f"abm_{arch}", member, model, Grid.product(delay=delays), key=key, seeds=cfg.abm_seeds
        )
        runaways = ds["runaway"].sum("seed").values
        rates[arch] = runaways / cfg.abm_seeds
        low[arch], high[arch] = wilson_interval(runaways, cfg.abm_seeds)
        examples[arch] = (
            ds["radical"].sel(delay=delays[np.argmin(np.abs(delays - 20))]).isel(seed=0).values
        )
    return {"delays": delays, "rates": rates, "low": low, "high": high, "examples": examples}


@experiment("delayed_repression", paper="10", presets=PRESETS)
def run(cfg: DelayedRepressionConfig, ctx: Run) -> dict:
    """Delayed replicator Hopf threshold and agent-based runaway hierarchy (paper 10)."""
    base = DelayedReplicator()
    k_default = float(base.k)
    if k_default not in cfg.onset_ks:
        raise ValueError(f"onset_ks must include the default steepness k={k_default:g}")
    with ctx.stage("phase_diagram"):
        phase = phase_diagram(cfg, base, ctx)
    with ctx.stage("continuation"):
        hopf = hopf_by_continuation(cfg, base)
    with ctx.stage("onset_scan"):
        onset = onset_scan(cfg, base, ctx)
    with ctx.stage("agent_model"):
        abm = abm_rates(cfg, ctx)
    with ctx.stage("figures"):
        ctx.savefig(
            fig_phase_diagram(phase, onset, lambda k: tau_c(base, k), hopf), "phase_diagram"
        )
        ctx.savefig(fig_hopf_branch(onset[k_default], k_default), "hopf_branch")
        ctx.savefig(fig_runaway_rates(abm, ARCHITECTURES), "runaway_rates")
    ctx.save_arrays(
        "delayed_repression",
        phase_taus=phase["taus"],
        phase_ks=phase["ks"],
        phase_amp=phase["amp"],
        abm_delays=abm["delays"],
        hopf_curve_k=hopf["k"],
        hopf_curve_tau=hopf["tau"],
        **{f"runaway_{a}": abm["rates"][a] for a in ARCHITECTURES},
    )

    d = onset[k_default]
    rel = {k: v["tau_c_sim"] / v["tau_c_theory"] - 1 for k, v in onset.items()}
    delays = abm["delays"]

    def at(arch, delay, what="rates"):
        return float(abm[what][arch][int(np.argmin(np.abs(delays - delay)))])

    from8 = delays >= 8
    i8 = int(np.argmin(np.where(from8, abm["rates"]["reactive"], np.inf)))
    n = cfg.abm_seeds
    return {
        "parameters": {
            "b": float(base.b),
            "c": float(base.c),
            "theta": float(base.theta),
            "k_default": k_default,
        },
        "tau_c": {
            f"k={k:g}": {
                "theory": v["tau_c_theory"],
                "simulated": v["tau_c_sim"],
                "relative_error": rel[k],
            }
            for k, v in onset.items()
        },
        "max_relative_error_tau_c": number(max(abs(r) for r in rel.values()), literature=0.0),
        "tau_c_continuation": number(
            hopf["tau_c"],
            literature=hopf["tau_c_theory"],
            note="Hopf delay at the default k by continuation in tau (characteristic equation)",
        ),
        "omega_continuation": number(hopf["omega"], literature=hopf["omega_theory"]),
        "hopf_curve_max_relative_error": number(
            hopf["max_rel_error_curve"],
            literature=0.0,
            note=f"two-parameter Hopf curve in (tau, k), {hopf['k'].size} points, k in "
            f"[{hopf['k'].min():g}, {hopf['k'].max():g}], vs tau_c = pi/(2A)",
        ),
        "hopf_curve_max_relative_error_omega": number(hopf["max_rel_error_omega"], literature=0.0),
        "amplitude_exponent": number(
            d["exponent"], literature=0.5, note="supercritical Hopf: A ~ (tau - tau_c)^(1/2)"
        ),
        "period_at_onset": number(
            d["period_onset_sim"],
            literature=d["period_onset_theory"],
            note="theory 2*pi/omega = 4*tau_c",
        ),
        "amplitude_just_below_tau_c": d["amp_below"],
        "phase_status": phase["status"],
        "runaway_rates": {
            a: {
                f"{int(dl)}": {"rate": r, "ci95": [lo, hi]}
                for dl, r, lo, hi in zip(
                    delays, abm["rates"][a], abm["low"][a], abm["high"][a], strict=True
                )
            }
            for a in ARCHITECTURES
        },
        "runaway_fixed_max": number(
            float(abm["rates"]["fixed"].max()),
            literature=0.0,
            note=f"max over delays; {n} runs per delay",
        ),
        "runaway_reactive_min_delay_ge_8": number(
            float(abm["rates"]["reactive"][i8]) if from8.any() else None,
            literature=0.96,
            note="paper: 96% runaway by delay >= 8 steps; 95% CI "
            f"[{abm['low']['reactive'][i8]:.3f}, {abm['high']['reactive'][i8]:.3f}], {n} runs",
        ),
        "runaway_qlearning_delay_20": number(
            at("qlearning", 20),
            literature=0.66,
            note=f"95% CI [{at('qlearning', 20, 'low'):.3f}, {at('qlearning', 20, 'high'):.3f}],"
            f" {n} runs",
        ),
        "runaway_reactive_delay_20": at("reactive", 20),
    }
