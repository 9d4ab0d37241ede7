"""Figures of the acceleration experiment."""

from __future__ import annotations

import numpy as np

from ...plotting import figure, loglog

COLORS = {
    "gradient_descent": "tab:gray",
    "heavy_ball": "tab:red",
    "nesterov": "tab:blue",
    "triple_momentum": "tab:green",
}
LABELS = {
    "gradient_descent": "gradient descent",
    "heavy_ball": "heavy ball",
    "nesterov": "Nesterov",
    "triple_momentum": "triple momentum",
}


def fig_sbc(d: dict):
    """SBC ODE vs its Bessel solution; f - f* against the 1/t² bound; NAG-C vs the ODE."""
    fig, axes = figure(1, 3)
    a1, a2, a3 = axes[0]
    ts = d["ts"]
    for i in range(d["sim"].shape[1]):
        a1.plot(ts, d["exact"][:, i], "-", lw=1.5, label=rf"$\lambda$={d['lam'][i]:.3g}")
        a1.plot(ts[::10], d["sim"][::10, i], "k.", ms=3)
    a1.set(
        xlabel="t",
        ylabel=r"$x_i(t)$",
        title=r"SBC ODE (dots) vs $2J_1(\sqrt{\lambda}t)/(\sqrt{\lambda}t)$",
    )
    a1.legend(fontsize=7)
    pos = ts > 0
    loglog(a2, "t", r"$f(x(t)) - f^*$")
    a2.plot(ts[pos], d["gap"][pos], label="SBC ODE")
    a2.plot(ts[pos], d["bound"][pos], "k--", label=r"bound $2|x_0-x^*|^2/t^2$")
    nt, ng = d["nagc_t"], d["nagc_gap"]
    a2.plot(
        nt[nt > 0],
        ng[nt > 0],
        ":",
        color="tab:orange",
        label=f"NAG-C, s={d['nagc_steps'][0]:g}, t=k√s",
    )
    a2.set_ylim(max(1e-12, d["gap"][pos].min() / 10), None)
    a2.legend(fontsize=7)
    loglog(a3, "step size s", r"sup $|x_k - X(k\sqrt{s})|$")
    a3.plot(d["nagc_steps"], d["nagc_err_sbc"], "o-", label="vs SBC ODE (low resolution)")
    a3.plot(d["nagc_steps"], d["nagc_err_hr"], "s-", label="vs high-resolution NAG-C ODE")
    s = d["nagc_steps"]
    a3.plot(s, d["nagc_err_sbc"][0] * np.sqrt(s / s[0]), "k:", label=r"$\propto\sqrt{s}$")
    a3.legend(fontsize=7)
    a3.set_title("NAG-C tends to its ODE")
    return fig


def fig_rates(rates: dict, steps: dict, methods):
    """1 - rate vs κ (theory, spectral radius, measured); rate vs step size at fixed κ."""
    fig, axes = figure(1, 2, panel=(5.2, 4.0))
    a1, a2 = axes[0]
    k = rates["kappas"]
    loglog(a1, r"condition number $\kappa$", r"$1-\rho$ (per iteration)")
    for name in methods:
        c = COLORS[name]
        a1.plot(k, 1 - rates[f"{name}_theory"], "-", color=c, label=LABELS[name])
        a1.plot(k, 1 - rates[f"{name}_spectral"], "o", mfc="none", color=c, ms=7)
        a1.plot(k, 1 - rates[f"{name}_measured"], "x", color=c, ms=5)
    a1.plot([], [], "ko", mfc="none", label="spectral radius of T(λ)")
    a1.plot([], [], "kx", label="measured (simulated iterates)")
    a1.set_title(r"worst-case rates on quadratics: $1/\kappa$ vs $1/\sqrt{\kappa}$")
    a1.legend(fontsize=7)
    for name in ("gradient_descent", "heavy_ball", "nesterov"):
        c = COLORS[name]
        L = steps["kappa"]
        a2.plot(
            steps[f"{name}_alpha"] * L, steps[f"{name}_theory"], "-", color=c, label=LABELS[name]
        )
        a2.plot(steps[f"{name}_alpha"] * L, steps[f"{name}_measured"], "x", color=c, ms=4)
        a2.axvline(steps[f"{name}_tuned_alpha"] * L, color=c, ls=":", lw=1)
    a2.axhline(1.0, color="k", lw=0.8)
    a2.set(
        xlabel=r"step size $\alpha L$",
        ylabel=r"rate $\rho$",
        title=rf"$\kappa$={steps['kappa']:g}: theory (lines) vs measured (x)",
        ylim=(0.5, 1.3),
    )
    a2.legend(fontsize=7)
    return fig


def fig_high_resolution(d: dict):
    """Heavy ball and NAG-SC vs the low- and high-resolution ODEs."""
    fig, axes = figure(1, 2)
    a1, a2 = axes[0]
    a1.plot(d["path_low"][:, 0], d["path_low"][:, 1], "k-", lw=1, label="low-res ODE (both)")
    a1.plot(
        d["path_hb_ode"][:, 0],
        d["path_hb_ode"][:, 1],
        "-",
        color="tab:red",
        lw=1,
        label="HB high-res ODE",
    )
    a1.plot(
        d["path_nag_ode"][:, 0],
        d["path_nag_ode"][:, 1],
        "-",
        color="tab:blue",
        lw=1,
        label="NAG-SC high-res ODE",
    )
    a1.plot(
        d["path_hb"][::3, 0], d["path_hb"][::3, 1], ".", color="tab:red", ms=2, label="heavy ball"
    )
    a1.plot(
        d["path_nag"][::3, 0], d["path_nag"][::3, 1], ".", color="tab:blue", ms=2, label="NAG-SC"
    )
    a1.set(xlabel=r"$x_1$", ylabel=r"$x_2$", title=f"κ=10, s={d['steps'][0]:g}")
    a1.legend(fontsize=7)
    loglog(a2, "step size s", r"sup distance at $t=k\sqrt{s}$")
    s = d["steps"]
    for key, style, label in (
        ("hb_hb", "o-", "HB vs HB high-res"),
        ("hb_nag", "o--", "HB vs NAG high-res"),
        ("hb_low", "o:", "HB vs low-res"),
        ("nag_nag", "s-", "NAG vs NAG high-res"),
        ("nag_hb", "s--", "NAG vs HB high-res"),
        ("nag_low", "s:", "NAG vs low-res"),
    ):
        color = "tab:red" if key.startswith("hb") else "tab:blue"
        a2.plot(s, d[key], style, color=color, label=label, ms=4)
    a2.legend(fontsize=7)
    a2.set_title("each method is closest to its own high-res ODE")
    return fig


def fig_lrp(d: dict):
    """Heavy ball's cycle on the Lessard-Recht-Packard function; other methods converge."""
    fig, axes = figure(1, 3)
    a1, a2, a3 = axes[0]
    for name in ("heavy_ball", "nesterov", "triple_momentum", "gradient_descent"):
        p = np.abs(d[f"{name}_path"])
        a1.semilogy(
            np.arange(p.size), np.maximum(p, 1e-300), color=COLORS[name], label=LABELS[name]
        )
    a1.set(
        xlabel="iteration k",
        ylabel=r"$|x_k - x^*|$",
        title=r"tuned methods from $x_0=3.3$",
        ylim=(1e-16, 1e2),
    )
    a1.legend(fontsize=7)
    hb = d["heavy_ball_path"]
    a2.plot(hb[:-1], hb[1:], ".-", color="tab:red", lw=0.5, ms=3, label="heavy-ball iterates")
    c = np.asarray(d["cycle"])
    a2.plot(c, np.roll(c, -1), "k*", ms=12, label="exact period-3 cycle")
    for edge in (1.0, 2.0):
        a2.axvline(edge, color="gray", ls=":", lw=0.8)
    a2.set(xlabel=r"$x_k$", ylabel=r"$x_{k+1}$", title=f"Floquet multiplier {d['floquet']:.3f}")
    a2.legend(fontsize=7)
    x0s = d["x0s"]
    for i, name in enumerate(("heavy_ball", "nesterov", "triple_momentum", "gradient_descent")):
        conv = d[f"{name}_converged"]
        a3.scatter(x0s[conv], np.full(conv.sum(), i), s=6, color=COLORS[name], marker="o")
        a3.scatter(x0s[~conv], np.full((~conv).sum(), i), s=10, color="k", marker="x")
    a3.set_yticks(
        range(4),
        [LABELS[n] for n in ("heavy_ball", "nesterov", "triple_momentum", "gradient_descent")],
    )
    a3.set(xlabel=r"$x_0 = x_{-1}$", title="converged (dots) / not (x)")
    return fig


def fig_slow_fast(d: dict):
    """Collapse onto the slow manifold and the orders in ε of the reduction."""
    fig, axes = figure(1, 2)
    a1, a2 = axes[0]
    ts = d["ts"]
    for i, e in enumerate(d["eps"]):
        a1.semilogy(ts, np.maximum(d["d0_eta0"][i], 1e-16), "-", color=f"C{i}", label=f"ε={e:g}")
        a1.semilogy(ts, np.maximum(d["d0_eta1"][i], 1e-16), "--", color=f"C{i}")
    a1.set(
        xlabel="t",
        ylabel=r"$|v + \nabla f(x)|$",
        title="distance to $M_0$: η=0 (solid), η=1 (dashed)",
        ylim=(1e-14, None),
    )
    a1.legend(fontsize=7)
    e = d["eps"]
    loglog(a2, "ε", "sup error")
    a2.plot(e, d["err_flow_eta0"], "o-", label="|x - gradient flow|, η=0")
    a2.plot(e, d["err_flow_eta1"], "o--", label="|x - gradient flow|, η=1")
    a2.plot(e, d["err_reduced_eta0"], "s-", label="|x - reduced flow|, η=0 (t≥1)")
    a2.plot(e, d["err_reduced_eta1"], "s--", label="|x - reduced flow|, η=1 (t≥1)")
    a2.plot(e, d["d1_late_eta0"], "^-", label=r"dist. to $M_\varepsilon$ (1st order), η=0")
    a2.plot(e, d["err_flow_eta0"][0] * e / e[0], "k:", lw=1, label=r"$\propto\varepsilon$")
    a2.plot(
        e, d["err_reduced_eta0"][0] * (e / e[0]) ** 2, "k-.", lw=1, label=r"$\propto\varepsilon^2$"
    )
    a2.legend(fontsize=6)
    a2.set_title("Fenichel reduction: orders in ε")
    return fig
