"""Figures of the boltzmann_mixture experiment."""

from __future__ import annotations

import numpy as np

from ...plotting import figure
from ...solvers.fast_spectral import VelocityGrid

STAGE_LABELS = {
    "light_thermalisation": "light thermalisation",
    "momentum_exchange": "momentum exchange",
    "heavy_thermalisation": "heavy thermalisation",
    "temperature_exchange": "temperature exchange",
}
STAGE_COLORS = {
    "light_thermalisation": "tab:blue",
    "momentum_exchange": "tab:green",
    "heavy_thermalisation": "tab:orange",
    "temperature_exchange": "tab:red",
}


def _curves(ax_T, ax_u, t, o, ex, mu, title, rates=None):
    ok = t > 0
    tt = t[ok]
    for (a, b), ls, lab in (((0, 0), "-", "x"), ((1, 1), "--", "y")):
        ax_T.semilogx(tt, o["T_light"][ok, a, b], ls, color="tab:blue", label=f"light $T_{lab}$")
        ax_T.semilogx(tt, o["T_heavy"][ok, a, b], ls, color="tab:red", label=f"heavy $T_{lab}$")
        ax_T.semilogx(tt, ex["T_light"][ok, a, b], ":", color="k", lw=0.8)
        ax_T.semilogx(tt, ex["T_heavy"][ok, a, b], ":", color="k", lw=0.8)
    eps = np.sqrt(mu)
    for src, ls in ((o, "-"), (ex, ":")):
        rel = src["u_light"][ok, 0] - eps * src["u_heavy"][ok, 0]
        # momentum ε n_l u_l + n_h u_h (densities 1), and the heavy species' share of it
        total = eps * src["u_light"][:, 0] + src["u_heavy"][:, 0]
        share = src["u_heavy"][ok, 0] / total[ok]
        kw = {"color": "k", "lw": 0.8} if ls == ":" else {}
        ax_u.semilogx(
            tt,
            rel / rel[0],
            ls,
            **({"color": "tab:blue"} | kw),
            label=None if ls == ":" else r"relative drift $(u_l - \varepsilon u_h)$, normalised",
        )
        ax_u.semilogx(
            tt,
            share,
            ls,
            **({"color": "tab:red"} | kw),
            label=None if ls == ":" else "heavy share of the momentum",
        )
    if rates is not None:
        for k in ("light_thermalisation", "heavy_thermalisation", "temperature_exchange"):
            for ax in (ax_T, ax_u):
                ax.axvline(1.0 / rates[k], color=STAGE_COLORS[k], lw=0.8, alpha=0.6)
    ax_T.set(title=title, ylabel="temperature")
    ax_u.set(title=title, ylabel="momentum exchange", ylim=(-0.05, 1.05))


def fig_epochs(ep: dict, exacts: dict, per_mu: dict, mass_ratios, direct: dict, direct_exact: dict):
    """Temperatures and mean velocities on a log time axis: three epochs per mass ratio."""
    mus = list(mass_ratios)
    rows = len(mus) + len(direct)
    fig, axes = figure(rows, 2, panel=(5.2, 2.6))
    for r, mu in enumerate(mus):
        i = int(np.argmin(np.abs(ep["mus"] - mu)))
        o = {k: ep[k][i] for k in ("T_light", "T_heavy", "u_light", "u_heavy")}
        _curves(
            axes[r, 0],
            axes[r, 1],
            ep["t"],
            o,
            exacts[ep["mus"][i]],
            mu,
            f"AP scheme, mass ratio {mu:g}",
            per_mu[ep["mus"][i]]["theory"]["exact"],
        )
    for j, (mu, d) in enumerate(direct.items()):
        r = len(mus) + j
        _curves(
            axes[r, 0],
            axes[r, 1],
            d["t"],
            d,
            direct_exact[mu],
            mu,
            f"direct spectral, mass ratio {mu:g}",
        )
    axes[0, 0].legend(fontsize=7, ncol=2)
    axes[0, 1].legend(fontsize=7)
    for ax in axes[-1]:
        ax.set_xlabel("t (light collision times)")
    fig.suptitle(
        "Epochal relaxation (dotted: exact Maxwell-molecule moments; vertical lines: "
        "1/γ of light thermalisation, heavy thermalisation, temperature exchange)",
        fontsize=9,
    )
    return fig


def fig_stage_times(mus: np.ndarray, stage_t: dict, slopes: dict):
    """Duration of each stage against ε = √μ, with the theoretical power laws."""
    fig, axes = figure(1, 1, panel=(5.4, 4.2))
    ax = axes[0, 0]
    eps = np.sqrt(mus)
    expected = {
        "light_thermalisation": 0,
        "momentum_exchange": 0,
        "heavy_thermalisation": -1,
        "temperature_exchange": -2,
    }
    for k, ts in stage_t.items():
        ok = np.isfinite(ts)
        if not ok.any():
            continue
        ax.loglog(
            eps[ok],
            ts[ok],
            "o-",
            color=STAGE_COLORS[k],
            label=f"{STAGE_LABELS[k]}: slope {_fmt(slopes[k])} (theory {expected[k]})",
        )
        j = np.nonzero(ok)[0][-1]
        ref = ts[j] * (eps / eps[j]) ** expected[k]
        ax.loglog(eps, ref, ":", color=STAGE_COLORS[k], lw=1)
    ax.set(
        xlabel=r"$\varepsilon = \sqrt{m_l/m_h}$",
        ylabel="time to fall to 1% (light collision times)",
        title="Stage durations scale as ε⁰, ε⁻¹, ε⁻²",
    )
    ax.legend(fontsize=7)
    return fig


def fig_ap_convergence(conv: dict, expl: dict, slow_step: float):
    """AP at a fixed slow step as μ -> 0, and where an explicit RK4 scheme is stable."""
    fig, axes = figure(1, 2, panel=(5.2, 4.0))
    a1, a2 = axes[0]
    mus = conv["mus"]
    a1.loglog(
        mus, np.maximum(conv["error_exact"], 1e-16), "o-", label="AP vs exact moments (finite μ)"
    )
    a1.loglog(mus, np.maximum(conv["error_limit"], 1e-16), "s-", label="AP vs limiting equations")
    a1.loglog(
        mus, np.maximum(conv["distance"], 1e-16), "^-", label="max |f - limit Maxwellian| / max"
    )
    a1.loglog(mus, 2 * mus * np.max(conv["error_exact"]) / np.max(2 * mus), "k:", lw=1, label="∝ μ")
    a1.set(
        xlabel="mass ratio μ",
        ylabel="temperature error",
        title=f"AP scheme, fixed step μ·dt = {slow_step:g} (all runs stable)",
    )
    a1.legend(fontsize=7)
    M, D = np.meshgrid(expl["mus"], expl["dts"], indexing="ij")
    S = M * D
    st = expl["stable"]
    a2.loglog(M[st], S[st], "o", color="tab:green", label="explicit RK4 stable")
    a2.loglog(M[~st], S[~st], "x", color="tab:red", label="explicit RK4 blows up")
    a2.loglog(
        mus,
        np.full_like(mus, slow_step),
        "s",
        mfc="none",
        color="tab:blue",
        label="AP runs (stable)",
    )
    a2.set(
        xlabel="mass ratio μ",
        ylabel="step in slow time μ·dt",
        title="Explicit steps must shrink ∝ μ; the AP step need not",
    )
    a2.legend(fontsize=7)
    return fig


def fig_cost(cost_rows, cost, ap_curve: tuple[np.ndarray, np.ndarray], ap_measured=None):
    """Run time and memory to reach the temperature equilibrium, direct vs AP."""
    fig, axes = figure(1, 2, panel=(5.2, 4.0))
    a1, a2 = axes[0]
    mu = np.array([r["mass_ratio"] for r in cost_rows])
    est = np.array([r["direct_total_cpu_s_estimated"] for r in cost_rows])
    meas = [
        (r["mass_ratio"], r["direct_total_cpu_s_measured"])
        for r in cost_rows
        if r["direct_total_cpu_s_measured"] is not None
    ]
    a1.loglog(
        mu,
        est,
        "o--",
        mfc="none",
        color="tab:red",
        label="direct spectral (per-RHS time x RHS count)",
    )
    if meas:
        m = np.array(meas, dtype=float)
        a1.loglog(m[:, 0], m[:, 1], "o", color="tab:red", label="direct spectral, measured run")
    if len(mu) >= 2:
        ref = est[-1] * (mu / mu[-1]) ** -2.5
        a1.loglog(mu, ref, ":", color="k", lw=1, label=r"$\propto \mu^{-5/2}$ (derived)")
    a1.loglog(*ap_curve, "-", color="tab:blue", label="AP scheme (per-step time x steps)")
    if ap_measured is not None:
        a1.loglog(*ap_measured, "s", color="tab:blue", label="AP scheme, measured (per member)")
    a1.set(
        xlabel="mass ratio μ",
        ylabel="CPU time to equilibrium [s]",
        title="Cost at equal resolution (points per thermal speed)",
    )
    a1.legend(fontsize=7)
    a2.loglog(mu, cost["memory"] / 2**20, "o--", color="tab:red", label="direct: one RHS")
    a2.loglog(
        ap_curve[0],
        np.full_like(ap_curve[0], cost["ap_memory"] / 2**20),
        "-",
        color="tab:blue",
        label="AP: one step",
    )
    a2.set(xlabel="mass ratio μ", ylabel="memory [MiB] (XLA buffers of one call)", title="Memory")
    a2.legend(fontsize=7)
    return fig


def fig_distributions(ep: dict, i_mu: int, cfg, times=(0.0, 2.0, 200.0, 2e4)):
    """f_l(v) and f_h(w) at chosen times (the nearest saved snapshots), one mass ratio."""
    grid = VelocityGrid(cfg.n_v, cfg.v_max)
    v = grid.v
    snaps = ep["snap_f"][i_mu]
    snap_t = ep["snap_t"]
    picks = sorted({int(np.argmin(np.abs(np.log1p(snap_t) - np.log1p(t)))) for t in times})
    picks.append(len(snap_t) - 1) if picks[-1] != len(snap_t) - 1 else None
    fig, axes = figure(2, len(picks), panel=(2.6, 2.6))
    mu = ep["mus"][i_mu]
    lim = 3.5
    for c, k in enumerate(picks):
        for r, (name, unit) in enumerate((("light", "v"), ("heavy", "w"))):
            ax = axes[r, c]
            ax.contourf(v, v, snaps[k][r].T, levels=14, cmap="viridis")
            ax.set(xlim=(-lim, lim), ylim=(-lim, lim), aspect="equal")
            ax.set_title(f"{name}, t = {snap_t[k]:.3g}", fontsize=9)
            ax.set_xlabel(f"${unit}_x$")
            if c == 0:
                ax.set_ylabel(f"${unit}_y$")
    fig.suptitle(f"Velocity distributions, mass ratio μ = {mu:g} (own thermal units)", fontsize=10)
    return fig


def _fmt(x) -> str:
    return "n/a" if x is None or not np.isfinite(x) else f"{x:.2f}"


def _cmap(n):
    import matplotlib

    cm = matplotlib.colormaps["viridis"]
    return [cm(x) for x in np.linspace(0, 1, max(n, 2))]
