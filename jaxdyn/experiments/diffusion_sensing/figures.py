"""Figures of the diffusion_sensing experiment."""

from __future__ import annotations

import numpy as np

from ...plotting import figure


def fig_phase_diagram(ode: dict, pd: dict, cls: dict):
    """Left: steady state vs density with stability and Hopf points; right: the Hopf boundary
    in (density, d2) by continuation over the simulated amplitude map."""
    fig, axes = figure(1, 2, panel=(5.0, 3.9))
    a1, a2 = axes[0]
    st = ode["stable"]
    a1.semilogx(ode["density"], np.where(st, ode["u1"], np.nan), "b-", label="stable")
    a1.semilogx(ode["density"], np.where(~st, ode["u1"], np.nan), "r--", label="unstable")
    for rho in ode["hopf_density"]:
        a1.axvline(rho, color="k", ls=":", lw=0.8)
    a1.set(xlabel="cell density N/|Ω|", ylabel="steady $u_1$", title="Reduced ODE (D → ∞)")
    a1.legend(fontsize=8)
    mesh = a2.pcolormesh(pd["densities"], pd["d2"], pd["amp"].T, shading="nearest", cmap="magma")
    fig.colorbar(mesh, ax=a2, label="simulated amplitude of $u_1$")
    a2.plot(pd["curve_density"], pd["curve_d2"], "c-", lw=2, label="Hopf curve (continuation)")
    a2.set_xscale("log")
    a2.set(
        xlabel="cell density N/|Ω|",
        ylabel="secretion permeability $d_2$",
        title=f"Quorum sensing lobe (linear vs simulation agree: {100 * cls['agree']:.0f}%)",
        xlim=(pd["densities"][0], pd["densities"][-1]),
        ylim=(pd["d2"][0], pd["d2"][-1]),
    )
    a2.legend(fontsize=8, loc="upper left")
    return fig


def fig_gcep(gc: dict):
    """Synchronous-mode Hopf curve of the ring in (D, d2): GCEP vs the reduced ODE."""
    fig, axes = figure(1, 1, panel=(5.4, 4.0))
    ax = axes[0, 0]
    ax.plot(10 ** gc["log_D"], gc["d2"], "b-", lw=2, label=f"GCEP, {gc['n_cells']} cells on a ring")
    ax.plot(10 ** gc["ode_log_D"], gc["ode_d2"], "k--", label="reduced ODE (large D)")
    ax.set_xscale("log")
    ax.set(xlabel="bulk diffusivity D", ylabel="$d_2$ at the Hopf point", title="Synchronous mode")
    ax.legend(fontsize=8)
    return fig


def fig_validation(val: dict):
    """Hopf radius from the full model vs the GCEP (as ε shrinks) and GCEP vs ODE (as D grows)."""
    fig, axes = figure(1, 2, panel=(4.8, 3.8))
    a1, a2 = axes[0]
    for D in np.unique(val["D"]):
        sel = val["D"] == D
        a1.loglog(
            val["eps"][sel],
            np.abs(val["R_dns"][sel] / val["R_gcep"][sel] - 1),
            "o-",
            label=f"D={D:g}",
        )
    a1.set(xlabel="cell radius ε", ylabel="|R_full / R_GCEP - 1|", title="Full model vs GCEP")
    a1.legend(fontsize=8)
    for e in np.unique(val["eps"]):
        sel = val["eps"] == e
        a2.loglog(
            val["D"][sel],
            np.abs(val["R_gcep"][sel] / val["R_ode"][sel] - 1),
            "s-",
            label=f"ε={e:g}",
        )
    a2.set(xlabel="bulk diffusivity D", ylabel="|R_GCEP / R_ODE - 1|", title="GCEP vs reduced ODE")
    a2.legend(fontsize=8)
    return fig


def fig_simulation(sim: dict):
    """Direct simulations of the full model on either side of the Hopf point."""
    fig, axes = figure(1, 2, panel=(5.0, 3.6))
    a1, a2 = axes[0]
    for r, u in zip(sim["radii"], sim["u1"], strict=True):
        a1.plot(sim["ts"], u, lw=0.8, label=f"R/R_c = {r / sim['R_c']:.2f}")
    a1.set(
        xlabel="t",
        ylabel="$u_1$ of the cell",
        title=f"Full model, D={sim['D']:g}, ε={sim['eps']:g}",
    )
    a1.legend(fontsize=7)
    a2.plot(sim["radii"] / sim["R_c"], sim["amp"], "o-")
    a2.axvline(1.0, color="k", ls=":", label="Hopf (continuation)")
    if np.isfinite(sim["R_onset_sim"]):
        a2.axvline(sim["R_onset_sim"] / sim["R_c"], color="r", ls="--", label="A² fit")
    a2.set(xlabel="R / R_c", ylabel="late amplitude", title="Onset from simulation")
    a2.legend(fontsize=8)
    return fig
