"""The computation of the enso_sonification experiment (see the package docstring)."""

from __future__ import annotations

import diffrax as dfx
import jax
import jax.numpy as jnp
import numpy as np

from ...analysis.enso import envelope_growth_rate, nino34_index, ou_spectrum, spectral_peak
from ...analysis.recurrence import recurrence_matrix, rqa, theiler_window
from ...analysis.sonification import SCALE_SOURCES, SCALES, sonify
from ...analysis.stability import (
    fit_hopf_amplitude,
    linear_dde_rightmost_root,
    oscillation_amplitude,
    oscillation_period,
)
from ...analysis.stats import mean_and_sem
from ...core import Grid, simulate, status_counts
from ...systems.delayed_oscillator import DelayedActionOscillator
from ...systems.recharge_oscillator import (
    KELVIN_PER_UNIT,
    METRES_PER_UNIT,
    MONTHS_PER_UNIT,
    RechargeOscillator,
)
from .._kit import Run, experiment, number
from .config import PRESETS, EnsoConfig
from .figures import fig_index, fig_onsets, fig_pitch_time, fig_rqa

#: one month in the recharge oscillator's time unit (2 months)
MONTH = 1.0 / MONTHS_PER_UNIT
MEASURES = ("DET", "L", "ENTR", "LAM", "TT", "RR")


def zero_crossing(x: np.ndarray, y: np.ndarray) -> float:
    """x where y changes sign (linear interpolation between the bracketing points)."""
    s = np.nonzero(np.diff(np.sign(y)) != 0)[0]
    if s.size == 0:
        return float("nan")
    i = int(s[0])
    return float(x[i] - y[i] * (x[i + 1] - x[i]) / (y[i + 1] - y[i]))


def recharge_onset(cfg: EnsoConfig, base: RechargeOscillator, ctx: Run) -> dict:
    """Deterministic runs over μ: growth of a small perturbation, amplitude, period."""
    mu_c = float(base.onset_coupling())
    mus = mu_c * np.asarray(cfg.ro_factors)
    ts_tail = np.arange(cfg.ro_t1 - min(400.0, cfg.ro_t1 / 2), cfg.ro_t1 + 1e-9, MONTH)
    ts_grow = np.arange(0.0, cfg.growth_t1 + 1e-9, MONTH)
    dt = cfg.dt

    def member(sys, key):
        tail = simulate(sys, cfg.ro_t1, ts=ts_tail, key=key, dt=dt, solver=dfx.Heun())
        grow = simulate(
            sys,
            cfg.growth_t1,
            ts=ts_grow,
            key=key,
            dt=dt,
            solver=dfx.Heun(),
            y0=jnp.array([1e-4, 0.0]),
        )
        return {"T": tail.ys[:, 0], "Tg": grow.ys[:, 0], "status": tail.status}

    quiet = RechargeOscillator(mu=base.mu, sigma_T=0.0, sigma_h=0.0)
    ds = ctx.sweep("recharge_onset", member, quiet, Grid.points(mu=mus))
    T = ds["T"].isel(seed=0).values
    Tg = ds["Tg"].isel(seed=0).values
    skip = ts_grow > 0.1 * cfg.growth_t1
    growth = np.array([envelope_growth_rate(ts_grow[skip], x[skip]) for x in Tg])
    growth_theory = np.array([float(RechargeOscillator(mu=m).growth_rate()) for m in mus])
    amp = oscillation_amplitude(T, axis=1)
    above = mus > mu_c
    periods = np.array([oscillation_period(ts_tail, x) for x in T])
    # the normal form A² ∝ μ - μ_c holds near onset: fit within 6 % of μ_c when possible
    close = above & (mus <= 1.06 * mu_c + 1e-12)
    fit_sel = close if close.sum() >= 3 else above
    fit = fit_hopf_amplitude(mus[fit_sel], amp[fit_sel], mu_c=mu_c)
    near = above & (mus < mu_c * 1.06)
    sel = near if near.sum() >= 2 else above
    period_onset = float(np.polyval(np.polyfit(mus[sel], periods[sel], 1), mu_c))
    return {
        "mu_c": mu_c,
        "mus": mus,
        "growth": growth,
        "growth_theory": growth_theory,
        "mu_c_growth": zero_crossing(mus, growth),
        "mu_c_amplitude": fit["mu_onset"],
        "exponent": fit["exponent"],
        "amp": amp,
        "periods": periods,
        "period_onset_sim": period_onset,
        "period_onset_theory": float(base.onset_period()),
        "status": status_counts(ds),
    }


def delayed_onset(cfg: EnsoConfig, ctx: Run) -> dict:
    """Delay scan of the delayed-action oscillator: growth rates and amplitudes."""
    base = DelayedActionOscillator()
    tau_c = base.critical_delay()
    taus = tau_c * np.asarray(cfg.dao_factors)
    h = tau_c / cfg.dao_steps_per_tau
    t1 = cfg.dao_t1 * tau_c
    t_grow = t1 / 3
    ts_tail = np.linspace(t1 - min(60 * tau_c, t1 / 2), t1, 2001)
    ts_grow = np.linspace(0.0, t_grow, 2001)
    max_delay = float(taus.max()) * 1.001
    eps = 1e-4

    def member(sys, key):
        tail = simulate(sys, t1, ts=ts_tail, dt=h, max_delay=max_delay, overlap_iters=0)
        x0 = sys.equilibrium() + eps
        grow = simulate(
            sys,
            t_grow,
            ts=ts_grow,
            dt=h,
            max_delay=max_delay,
            overlap_iters=0,
            y0=x0,
            history=lambda t: x0,
        )
        return {"T": tail.ys, "Tg": grow.ys, "status": tail.status}

    ds = ctx.sweep("delayed_onset", member, base, Grid.points(tau=taus))
    T = ds["T"].isel(seed=0).values
    Tg = ds["Tg"].isel(seed=0).values
    Te = float(base.equilibrium())
    skip = ts_grow > 0.1 * t_grow
    growth = np.array([envelope_growth_rate(ts_grow[skip], x[skip], Te) for x in Tg])
    al, be = (float(v) for v in base.linear_coefficients())
    growth_theory = np.real(linear_dde_rightmost_root(al, be, taus))
    return {
        "tau_c": tau_c,
        "taus": taus,
        "growth": growth,
        "growth_theory": growth_theory,
        "tau_c_growth": zero_crossing(taus, growth),
        "amp": oscillation_amplitude(T, axis=1),
        "periods": np.array([oscillation_period(ts_tail, x) for x in T]),
        "period_onset_theory": base.onset_period(),
        "equilibrium": Te,
        "status": status_counts(ds),
    }


def synthetic_index(cfg: EnsoConfig, base: RechargeOscillator, ctx: Run) -> dict:
    """Monthly stochastic runs in the two regimes, seeds x regime, and their indices."""
    mu_c = float(base.onset_coupling())
    months = int(round((cfg.index_years + cfg.spinup_years) * 12))
    t1 = months * MONTH
    ts = np.arange(int(round(cfg.spinup_years * 12)), months + 1) * MONTH

    def member(sys, key):
        tr = simulate(sys, t1, ts=ts, key=key, dt=cfg.dt, solver=dfx.Heun())
        return {"T": tr.ys[:, 0], "h": tr.ys[:, 1], "status": tr.status}

    grid = Grid.points(
        mu=[cfg.damped_factor * mu_c, cfg.sustained_factor * mu_c],
        sigma_T=[cfg.sigma_damped, cfg.sigma_sustained],
    )
    ds = ctx.sweep("index", member, base, grid, key=jax.random.PRNGKey(cfg.seed), seeds=cfg.seeds)
    T = ds["T"].values  # (regime, seed, month)
    h = ds["h"].values
    index = nino34_index(T, KELVIN_PER_UNIT)
    depth = nino34_index(h, METRES_PER_UNIT)
    return {
        "months": np.arange(index.shape[-1]),
        "index": index,
        "depth": depth,
        "mus": np.asarray(grid.values["mu"]),
        "status": status_counts(ds),
    }


def regime_rqa(cfg: EnsoConfig, index: np.ndarray) -> dict:
    """RQA of every realisation of both regimes (fixed rate, Theiler window)."""

    def one(x):
        R = recurrence_matrix(x, recurrence_rate=cfg.rqa_rate, dim=cfg.rqa_dim, delay=cfg.rqa_delay)
        return rqa(theiler_window(R, cfg.rqa_theiler))

    f = jax.jit(lambda xs: jax.lax.map(one, xs))
    out = {}
    example = {}
    for r, name in enumerate(("damped", "sustained")):
        m = {k: np.asarray(v) for k, v in f(jnp.asarray(index[r])).items()}
        out[name] = {k: m[k] for k in MEASURES}
        example[name] = np.asarray(
            theiler_window(
                recurrence_matrix(
                    index[r, 0][-240:],
                    recurrence_rate=cfg.rqa_rate,
                    dim=cfg.rqa_dim,
                    delay=cfg.rqa_delay,
                ),
                cfg.rqa_theiler,
            )
        )
    return {"measures": out, "example": example}


@experiment("enso_sonification", paper="11", presets=PRESETS)
def run(cfg: EnsoConfig, ctx: Run) -> dict:
    """ENSO oscillators' Hopf onsets, a synthetic Niño-3.4 index, RQA and gamelan sonification."""
    with jax.enable_x64(True):
        return _run(cfg, ctx)


def _run(cfg: EnsoConfig, ctx: Run) -> dict:
    base = RechargeOscillator()
    with ctx.stage("recharge_onset"):
        ro = recharge_onset(cfg, base, ctx)
    with ctx.stage("delayed_onset"):
        dao = delayed_onset(cfg, ctx)
    with ctx.stage("index"):
        idx = synthetic_index(cfg, base, ctx)
    with ctx.stage("spectra"):
        spec = {}
        for r, name in enumerate(("damped", "sustained")):
            f, p, _ = spectral_peak(idx["index"][r], segment_years=min(40.0, cfg.index_years))
            mean_p = p.mean(axis=0)
            spec[name] = {"f": f, "p": mean_p, "peak": float(1.0 / f[1 + np.argmax(mean_p[1:])])}
        damped = RechargeOscillator(mu=idx["mus"][0])
        lam = np.linalg.eigvals(np.asarray(damped.jacobian()))
        linear_period_years = float(2 * np.pi / np.max(np.abs(lam.imag)) * MONTHS_PER_UNIT / 12)
        # exact spectrum of the linearised damped model (per year; K²/(1/yr)), with the
        # 3-month running mean's transfer function, on a fine grid and at Welch's points
        per_year = 12.0 / MONTHS_PER_UNIT
        J = np.asarray(damped.jacobian()) * per_year
        B = np.diag([cfg.sigma_damped, 0.0]) * np.sqrt(per_year) * KELVIN_PER_UNIT
        f_fine = np.linspace(0.01, 2.0, 4000)
        run_mean = lambda f: ((1 + 2 * np.cos(2 * np.pi * f / 12.0)) / 3.0) ** 2
        theory = ou_spectrum(J, B, f_fine) * run_mean(f_fine)
        spec["damped"]["theory_f"] = f_fine
        spec["damped"]["theory_p"] = theory
        theory_peak_years = float(1.0 / f_fine[np.argmax(theory)])
    with ctx.stage("rqa"):
        rq = regime_rqa(cfg, idx["index"])
    with ctx.stage("sonification"):
        n_notes = min(idx["index"].shape[-1], int(round(cfg.sonify_years * 12)))
        x = idx["index"][0, 0][-n_notes:]
        depth = idx["depth"][0, 0][-n_notes:]
        audio = {}
        for scale in ("slendro", "pelog"):
            s = sonify(
                x,
                depth,
                scale,
                octaves=cfg.octaves,
                note_duration=cfg.note_seconds,
                sample_rate=cfg.sample_rate,
            )
            ctx.save_bytes(f"enso_{scale}.wav", s["wav"])
            ctx.save_bytes(f"enso_{scale}.mid", s["midi"])
            audio[scale] = s
    with ctx.stage("figures"):
        ctx.savefig(fig_onsets(ro, dao), "onsets")
        ctx.savefig(fig_index(idx, spec, linear_period_years, ro["period_onset_theory"]), "index")
        ctx.savefig(fig_rqa(rq, MEASURES), "rqa")
        ctx.savefig(fig_pitch_time(x, audio, cfg.octaves), "pitch_time")
    ctx.save_arrays(
        "enso",
        ro_mus=ro["mus"],
        ro_growth=ro["growth"],
        ro_amp=ro["amp"],
        dao_taus=dao["taus"],
        dao_growth=dao["growth"],
        dao_amp=dao["amp"],
        index=idx["index"],
        depth=idx["depth"],
        **{f"cents_{k}": v["cents"] for k, v in audio.items()},
        **{f"amps_{k}": v["amps"] for k, v in audio.items()},
    )

    def stat(regime, k):
        m, se = mean_and_sem(rq["measures"][regime][k])
        return {"mean": float(m), "sem": float(se)}

    years = lambda units: units * MONTHS_PER_UNIT / 12
    return {
        "recharge_oscillator": {
            "mu_c_theory": ro["mu_c"],
            "mu_c_growth_rate": number(
                ro["mu_c_growth"],
                literature=ro["mu_c"],
                note="zero of the simulated growth rate of a 1e-4 perturbation",
            ),
            "mu_c_amplitude_fit": number(
                ro["mu_c_amplitude"], literature=ro["mu_c"], note="A^2 = a (mu - mu_c) fit"
            ),
            "amplitude_exponent": number(ro["exponent"], literature=0.5),
            "period_at_onset_years": number(
                years(ro["period_onset_sim"]),
                literature=years(ro["period_onset_theory"]),
                note="theory 2 pi / omega_c; simulated periods extrapolated to mu_c",
            ),
            "status": ro["status"],
        },
        "delayed_action_oscillator": {
            "tau_c_theory": dao["tau_c"],
            "tau_c_growth_rate": number(
                dao["tau_c_growth"],
                literature=dao["tau_c"],
                note="zero of the simulated growth rate of a 1e-4 perturbation",
            ),
            "period_at_onset_theory": dao["period_onset_theory"],
            "amplitude_below_above": [float(a) for a in dao["amp"]],
            "status": dao["status"],
        },
        "index": {
            "regimes_mu_over_mu_c": [cfg.damped_factor, cfg.sustained_factor],
            "std_K": {
                "damped": float(idx["index"][0].std()),
                "sustained": float(idx["index"][1].std()),
            },
            "spectral_peak_years": {
                "damped": number(
                    spec["damped"]["peak"],
                    literature=theory_peak_years,
                    note="peak of the exact spectrum of the linearised SDE (Welch bins are "
                    f"1/{min(40.0, cfg.index_years):g} per year wide); linear period "
                    f"2 pi/Im(lambda) = {linear_period_years:.2f} yr",
                ),
                "sustained": number(
                    spec["sustained"]["peak"],
                    literature=years(ro["period_onset_theory"]),
                    note="onset period 2 pi / omega_c (the cycle lengthens beyond onset)",
                ),
            },
            "status": idx["status"],
        },
        "rqa": {r: {k: stat(r, k) for k in MEASURES} for r in ("damped", "sustained")},
        "sonification": {
            "scales_cents": {k: list(SCALES[k]) for k in ("slendro", "pelog")},
            "scale_sources": SCALE_SOURCES,
            "notes": int(n_notes),
            "seconds": float(n_notes * cfg.note_seconds),
        },
    }
