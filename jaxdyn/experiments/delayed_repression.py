"""Delayed repression: Hopf threshold of the delayed replicator and ABM runaway (paper 10).

Stage 1 (:mod:`jaxdyn.systems.replicator`): dx/dt = x(1-x)[b - c s(x(t-τ))] with a
sigmoid alarm of steepness k. Closed form: τ_c = π/(2A), A = x*(1-x*) k b (1-b/c), onset
angular frequency ω = A (period 4 τ_c). Checked by

* a phase diagram of the oscillation amplitude over (delay τ, steepness k), a ``sweep``
  with the delay as a grid axis, with the closed-form boundary drawn on it;
* for each k, a scan of τ just above the predicted τ_c: A² = a (τ - τ_c,sim) (Hopf normal
  form) gives the simulated onset, compared with theory;
* for the default k, the amplitude exponent (A ∝ (τ - τ_c)^γ, γ = 1/2 if supercritical)
  and the period extrapolated to onset vs 2π/ω.

Stage 2 (:mod:`jaxdyn.systems.repression_abm`): N = 240 agents on a small-world network,
runaway rate against the institutional delay for non-reactive, reactive and Q-learning
agents (sweep over delay x seeds, each run a ``lax.scan``), beside the paper's numbers.
"""

from __future__ import annotations

from pathlib import Path

import equinox as eqx
import jax.numpy as jnp
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from ..analysis.stability import (  # noqa: E402
    fit_hopf_amplitude,
    oscillation_amplitude,
    oscillation_period,
)
from ..core.delay import simulate_delay  # noqa: E402
from ..core.grid import Grid  # noqa: E402
from ..core.sweep import status_counts, sweep  # noqa: E402
from ..systems.replicator import DelayedReplicator  # noqa: E402
from ..systems.repression_abm import ARCHITECTURES, RepressionABM  # noqa: E402
from .registry import number, register  # noqa: E402

#: paper 10's abstract: runaway rates of the three architectures
PAPER_RATES = {"fixed": (None, 0.0), "reactive": (8, 0.96), "qlearning": (20, 0.66)}

QUICK = dict(
    phase_taus=16,
    phase_ks=[4.0, 6.0, 8.0, 12.0, 16.0, 24.0],
    phase_t1=300.0,
    tau_max=4.5,
    dt=0.05,
    onset_ks=[6.0, 8.0, 16.0],
    onset_factors=[1.02, 1.04, 1.06, 1.08, 1.1],
    onset_periods=250.0,
    abm_delays=[0, 2, 4, 6, 8, 12, 16, 20],
    abm_seeds=24,
    abm_steps=800,
)
FULL = dict(
    phase_taus=40,
    phase_ks=[4.0, 5.0, 6.0, 7.0, 8.0, 10.0, 12.0, 14.0, 16.0, 20.0, 24.0],
    phase_t1=600.0,
    tau_max=4.5,
    dt=0.025,
    onset_ks=[4.0, 6.0, 8.0, 12.0, 16.0, 24.0],
    onset_factors=[1.01, 1.02, 1.03, 1.04, 1.06, 1.08, 1.1],
    onset_periods=500.0,
    abm_delays=[0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 18, 20],
    abm_seeds=200,
    abm_steps=800,
)


def _amplitude_member(t1: float, dt: float, max_delay: float, tail: float):
    ts = np.linspace(t1 - tail, t1, 401)

    def member(sys, key):
        traj = simulate_delay(sys, t1, ts=ts, dt=dt, max_delay=max_delay, overlap_iters=0)
        return {"amp": 0.5 * (jnp.max(traj.ys) - jnp.min(traj.ys)), "status": traj.status}

    return member


def phase_diagram(config: dict, base: DelayedReplicator) -> dict:
    """Amplitude over (τ, k) by ``sweep``; the delay is a grid axis."""
    taus = np.linspace(0.1, config["tau_max"], config["phase_taus"])
    ks = np.asarray(config["phase_ks"], dtype=float)
    t1 = float(config["phase_t1"])
    member = _amplitude_member(t1, config["dt"], config["tau_max"], tail=min(100.0, t1 / 3))
    ds = sweep(member, base, Grid.product(tau=taus, k=ks), progress=False)
    theory = np.array([_tau_c(base, k) for k in ks])
    return {
        "taus": taus,
        "ks": ks,
        "amp": ds["amp"].values[..., 0],
        "theory": theory,
        "status": status_counts(ds),
    }


def _tau_c(base: DelayedReplicator, k: float) -> float:
    return float(eqx.tree_at(lambda s: s.k, base, jnp.asarray(k)).critical_delay())


def onset_scan(config: dict, base: DelayedReplicator) -> dict:
    """Per steepness: amplitudes just above τ_c, long runs; A² fit gives the onset."""
    ks = np.asarray(config["onset_ks"], dtype=float)
    factors = np.asarray(config["onset_factors"], dtype=float)
    out = {}
    for k in ks:
        sys_k = eqx.tree_at(lambda s: s.k, base, jnp.asarray(k))
        tc = float(sys_k.critical_delay())
        # Time in units of τ_c: the same number of periods and steps per delay for every k.
        t1 = config["onset_periods"] * 4 * tc
        dt = tc / max(8.0, round(tc / config["dt"]))
        ts = np.arange(t1 - 40 * tc, t1 + 1e-9, tc / 20)

        def member(sys, key, ts=ts, t1=t1, dt=dt, tc=tc):
            traj = simulate_delay(sys, t1, ts=ts, dt=dt, max_delay=1.2 * tc, overlap_iters=0)
            return {"x": traj.ys, "status": traj.status}

        taus = tc * np.concatenate([[0.97], factors])
        ds = sweep(member, sys_k, Grid.points(tau=taus), progress=False)
        xs = ds["x"].values[:, 0]
        amp = oscillation_amplitude(xs, axis=1)
        fit = fit_hopf_amplitude(taus[1:], amp[1:], mu_c=tc)
        periods = np.array([oscillation_period(ts, x) for x in xs[1:]])
        p_onset = float(np.polyval(np.polyfit(taus[1:], periods, 1), tc))
        out[float(k)] = {
            "tau_c_theory": tc,
            "tau_c_sim": fit["mu_onset"],
            "amp_below": float(amp[0]),
            "exponent": fit["exponent"],
            "period_onset_sim": p_onset,
            "period_onset_theory": float(sys_k.onset_period()),
            "taus": taus,
            "amp": amp,
            "periods": periods,
            "ts": ts,
            "x_example": xs[1 + len(factors) // 2],
            "status": status_counts(ds),
        }
    return out


def abm_rates(config: dict) -> dict:
    """Runaway rate vs delay for each architecture: sweep over delay x seeds."""
    delays = np.asarray(config["abm_delays"], dtype=float)
    rates, examples = {}, {}
    for arch in ARCHITECTURES:
        model = RepressionABM(arch, steps=config["abm_steps"], max_delay=int(delays.max()) + 1)
        ds = sweep(
            lambda m, key: m.run(key),
            model,
            Grid.product(delay=delays),
            seeds=config["abm_seeds"],
            progress=False,
        )
        rates[arch] = ds["runaway"].values.mean(axis=1)
        i20 = int(np.argmin(np.abs(delays - 20)))
        examples[arch] = ds["radical"].values[i20, 0]
    return {"delays": delays, "rates": rates, "examples": examples}


def _figures(out: Path, phase: dict, onset: dict, abm: dict, k_default: float) -> None:
    # 1. Phase diagram with the closed-form boundary.
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    mesh = ax.pcolormesh(
        phase["taus"], phase["ks"], phase["amp"].T, shading="nearest", cmap="magma"
    )
    fig.colorbar(mesh, ax=ax, label="oscillation amplitude of x")
    kk = np.linspace(phase["ks"].min(), phase["ks"].max(), 200)
    base = DelayedReplicator()
    ax.plot([_tau_c(base, k) for k in kk], kk, "c-", lw=2, label=r"theory $\tau_c=\pi/(2A)$")
    ks_on = np.array(sorted(onset))
    ax.plot(
        [onset[k]["tau_c_sim"] for k in ks_on],
        ks_on,
        "wo",
        mec="k",
        label=r"simulated onset ($A^2$ fit)",
    )
    ax.set(
        xlabel=r"institutional delay $\tau$",
        ylabel="alarm steepness k",
        title="Delayed replicator: Hopf boundary",
        xlim=(phase["taus"][0], phase["taus"][-1]),
    )
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "phase_diagram.png", dpi=110)
    plt.close(fig)

    # 2. Supercritical branch: amplitude law and period at onset.
    d = onset[k_default]
    tc = d["tau_c_theory"]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(9.6, 3.8))
    above = d["taus"] > tc
    x = d["taus"][above] / tc - 1
    a1.loglog(x, d["amp"][above], "o", label="simulation")
    c = np.exp(np.mean(np.log(d["amp"][above]) - 0.5 * np.log(x)))
    a1.loglog(x, c * np.sqrt(x), "k--", label=r"$\propto(\tau-\tau_c)^{1/2}$")
    a1.set(
        xlabel=r"$(\tau-\tau_c)/\tau_c$",
        ylabel="amplitude",
        title=f"k={k_default:g}: fitted exponent {d['exponent']:.3f}",
    )
    a1.legend()
    a2.plot(d["taus"][1:] / tc, d["periods"] / tc, "o", label="simulated period")
    a2.plot(
        [1.0], [d["period_onset_theory"] / tc], "r*", ms=14, label=r"theory $2\pi/\omega=4\tau_c$"
    )
    a2.set(xlabel=r"$\tau/\tau_c$", ylabel=r"period / $\tau_c$", title="Period at onset")
    a2.legend()
    fig.tight_layout()
    fig.savefig(out / "hopf_branch.png", dpi=110)
    plt.close(fig)

    # 3. Runaway rates of the three architectures, with the paper's numbers.
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.9))
    colors = {"fixed": "tab:gray", "reactive": "tab:red", "qlearning": "tab:blue"}
    labels = {"fixed": "non-reactive", "reactive": "reactive", "qlearning": "Q-learning"}
    for arch in ARCHITECTURES:
        a1.plot(
            abm["delays"], 100 * abm["rates"][arch], "o-", color=colors[arch], label=labels[arch]
        )
    a1.plot([8], [96], "*", color=colors["reactive"], ms=15, mec="k", label="paper: 96% (d≥8)")
    a1.plot([20], [66], "*", color=colors["qlearning"], ms=15, mec="k", label="paper: 66% (d=20)")
    a1.axhline(0, color=colors["fixed"], ls=":", lw=1)
    a1.set(
        xlabel="institutional delay (steps)",
        ylabel="runaway rate (%)",
        title="N=240 agents: runaway vs delay",
        ylim=(-3, 103),
    )
    a1.legend(fontsize=8)
    for arch in ARCHITECTURES:
        a2.plot(abm["examples"][arch], color=colors[arch], lw=1, label=labels[arch])
    a2.axhline(0.9, color="k", ls="--", lw=0.8)
    a2.set(xlabel="step", ylabel="radical fraction", title="one run at delay 20")
    a2.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "runaway_rates.png", dpi=110)
    plt.close(fig)


@register("delayed_repression", paper="10", quick=QUICK, full=FULL)
def run(config: dict, out: Path) -> dict:
    """Delayed replicator Hopf threshold and agent-based runaway hierarchy (paper 10)."""
    base = DelayedReplicator()
    k_default = float(base.k)
    if k_default not in [float(k) for k in config["onset_ks"]]:
        raise ValueError(f"onset_ks must include the default steepness k={k_default}")
    phase = phase_diagram(config, base)
    onset = onset_scan(config, base)
    abm = abm_rates(config)
    _figures(out, phase, onset, abm, k_default)
    np.savez(
        out / "delayed_repression.npz",
        phase_taus=phase["taus"],
        phase_ks=phase["ks"],
        phase_amp=phase["amp"],
        abm_delays=abm["delays"],
        **{f"runaway_{a}": abm["rates"][a] for a in ARCHITECTURES},
    )

    d = onset[k_default]
    rel = {k: v["tau_c_sim"] / v["tau_c_theory"] - 1 for k, v in onset.items()}
    delays = abm["delays"]

    def rate_at(arch, delay):
        return float(abm["rates"][arch][int(np.argmin(np.abs(delays - delay)))])

    reactive_from_8 = abm["rates"]["reactive"][delays >= 8]
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
        "max_relative_error_tau_c": number(max(abs(r) for r in rel.values())),
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
            a: dict(zip(delays.tolist(), abm["rates"][a].tolist(), strict=True))
            for a in ARCHITECTURES
        },
        "runaway_fixed_max": number(float(abm["rates"]["fixed"].max()), literature=0.0),
        "runaway_reactive_min_delay_ge_8": number(
            float(reactive_from_8.min()) if reactive_from_8.size else float("nan"),
            literature=0.96,
            note="paper: 96% runaway by delay >= 8 steps",
        ),
        "runaway_qlearning_delay_20": number(rate_at("qlearning", 20), literature=0.66),
        "runaway_reactive_delay_20": rate_at("reactive", 20),
    }
