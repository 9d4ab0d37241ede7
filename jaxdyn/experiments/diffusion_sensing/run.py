"""The computation of the diffusion_sensing experiment (see the package docstring)."""

from __future__ import annotations

import diffrax
import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ...analysis import cell_bulk as cb
from ...analysis import continuation as cont
from ...analysis.stability import fit_hopf_amplitude, oscillation_amplitude
from ...core import Grid, simulate, status_counts
from ...systems.cell_bulk import CellBulkODE, CellBulkRadial, selkov, selkov_rest_state
from .._kit import Run, experiment, number
from .config import PRESETS, DiffusionSensingConfig
from .figures import fig_gcep, fig_phase_diagram, fig_simulation, fig_validation

#: the large-D reference (κ ≈ 1 to 1e-4)
D_LARGE = 1e4


def _hopfs(problem, branch) -> list:
    return [pt.point for pt in cont.bifurcations(problem, branch) if pt.kind == "hopf"]


def ode_branch(cfg: DiffusionSensingConfig, base: CellBulkODE) -> dict:
    """Steady state of the reduced ODE continued in the cell density, Hopf points located."""
    problem = cont.from_system(base, "density")
    rho0 = 0.01
    y0 = cont.equilibrium(problem, base.initial_state(), rho0).y
    branch = cont.continuation(
        problem,
        y0,
        rho0,
        p_min=rho0 / 2,
        p_max=cfg.density_max,
        ds=0.02,
        ds_max=0.5,
        n_steps=160,
    )
    hopfs = _hopfs(problem, branch)
    b = branch.trimmed()
    return {
        "density": b.p,
        "U": b.y[:, 0],
        "u1": b.y[:, 1],
        "stable": np.asarray(b.stable),
        "hopf_density": np.array([float(h.p) for h in hopfs]),
        "hopf_omega": np.array([float(h.omega) for h in hopfs]),
        "hopfs": hopfs,
    }


def phase_diagram(cfg: DiffusionSensingConfig, base: CellBulkODE, ode: dict, ctx: Run) -> dict:
    """Hopf boundary in (density, d2) by two-parameter continuation, and a brute-force map
    of the oscillation amplitude from simulations of the reduced ODE underneath."""
    lo, hi = cfg.d2_range
    d2_0 = float(base.d2)
    problem_of = lambda d2: cont.from_system(eqx.tree_at(lambda s: s.d2, base, d2), "density")
    curves = []
    for h in ode["hopfs"][:1]:
        for direction in (1, -1):
            c = cont.hopf_curve(
                problem_of,
                h,
                d2_0,
                p_min=lo,
                p_max=hi,
                ds=0.01,
                ds_max=0.05,
                n_steps=300,
                direction=direction,
            )
            v = np.asarray(c.valid)
            curves.append((np.asarray(c.p)[v], np.asarray(c.q)[v], np.asarray(c.omega)[v]))
    # one line: the downward part reversed, then the upward part
    dens = np.concatenate([curves[1][0][::-1], curves[0][0]]) if curves else np.zeros(0)
    d2s = np.concatenate([curves[1][1][::-1], curves[0][1]]) if curves else np.zeros(0)
    # brute force: amplitude of u1 at the end of long runs
    densities = np.geomspace(0.05, cfg.density_max, cfg.grid_density)
    d2_values = np.linspace(lo, hi, cfg.grid_d2)
    t1 = cfg.sim_t1
    ts = np.linspace(0.75 * t1, t1, 301)

    def member(sys, key):
        traj = simulate(sys, t1, ts=ts, observable=lambda t, y: y[1], rtol=1e-7, atol=1e-9)
        return {"amp": 0.5 * (jnp.max(traj.ys) - jnp.min(traj.ys)), "status": traj.status}

    ds = ctx.sweep("amplitude_map", member, base, Grid.product(density=densities, d2=d2_values))
    amp = ds["amp"].isel(seed=0).transpose("density", "d2").values
    return {
        "curve_density": dens,
        "curve_d2": d2s,
        "densities": densities,
        "d2": d2_values,
        "amp": amp,
        "status": status_counts(ds),
    }


def classify(pd: dict, ode_base: CellBulkODE) -> dict:
    """Linear stability at each map point (eigenvalues at the steady state reached by
    Newton from the isolated rest state) against the simulated amplitude."""
    unstable = np.zeros_like(pd["amp"], dtype=bool)
    for i, rho in enumerate(pd["densities"]):
        for j, d2 in enumerate(pd["d2"]):
            s = eqx.tree_at(
                lambda s: (s.density, s.d2), ode_base, (jnp.asarray(rho), jnp.asarray(d2))
            )
            problem = cont.from_system(s, "d2")
            eq = cont.equilibrium(problem, s.initial_state(), d2)
            unstable[i, j] = bool(np.max(np.asarray(problem.eigenvalues(eq.y, d2)).real) > 0)
    oscillating = pd["amp"] > 1e-3
    return {"unstable": unstable, "agree": float(np.mean(unstable == oscillating))}


def gcep_curves(cfg: DiffusionSensingConfig, ctx: Run) -> dict:
    """Synchronous-mode Hopf point of N cells on a ring (unit disk) in d2 as D varies:
    continued in (log10 D, d2) from the large-D limit, beside the reduced ODE's curve."""
    n = cfg.ring_cells
    centres = cb.ring(n, 0.5)
    rho = n / np.pi
    ode = CellBulkODE(density=rho, D=D_LARGE, eps=cfg.ring_eps)
    problem = cont.from_system(ode, "d2")
    lo, hi = cfg.d2_range
    y0 = cont.equilibrium(problem, ode.initial_state(), lo).y
    branch = cont.continuation(
        problem, y0, lo, p_min=lo, p_max=hi, ds=0.01, ds_max=0.05, n_steps=120
    )
    hopfs = _hopfs(problem, branch)
    if not hopfs:
        return {"found": False}
    h = hopfs[0]
    u_h = np.asarray(h.y)
    g = cb.make_gcep(centres, 1.0, param="d2", D=D_LARGE, eps=cfg.ring_eps)
    flux = float(ode.kappa()) * 2 * np.pi * (float(ode.d1) * u_h[0] - float(h.p) * u_h[1])
    y_g = jnp.concatenate(
        [jnp.full(n, flux / (2 * np.pi * D_LARGE)), jnp.full(n, u_h[1]), jnp.full(n, u_h[2])]
    )
    eq = cont.equilibrium(g, y_g, h.p)
    hg = cont.locate_hopf(g, eq.y, h.p, h.omega, v=g.mode(0))
    log_lo, log_hi = cfg.log_d_range
    curve = cont.hopf_curve(
        cb.WithParam(g, "log_D"),
        hg,
        np.log10(D_LARGE),
        p_min=log_lo,
        p_max=np.log10(D_LARGE),
        ds=0.05,
        ds_max=0.25,
        n_steps=80,
        direction=-1,
    )
    v = np.asarray(curve.valid)
    ode_of = lambda q: cont.from_system(eqx.tree_at(lambda s: s.D, ode, 10.0**q), "d2")
    ode_curve = cont.hopf_curve(
        ode_of,
        h,
        np.log10(D_LARGE),
        p_min=log_lo,
        p_max=np.log10(D_LARGE),
        ds=0.05,
        ds_max=0.25,
        n_steps=80,
        direction=-1,
    )
    w = np.asarray(ode_curve.valid)
    # asynchronous modes at the synchronous Hopf point: is ℳ(iω) singular for them?
    async_sv = []
    for k in range(1, n // 2 + 1):
        mk = g.mode(k)
        m = np.asarray(g.characteristic(1j * hg.omega, hg.y, hg.p))
        async_sv.append(float(np.abs(np.conj(mk) @ m @ mk)))
    return {
        "found": True,
        "n_cells": n,
        "log_D": np.asarray(curve.q)[v],
        "d2": np.asarray(curve.p)[v],
        "omega": np.asarray(curve.omega)[v],
        "ode_log_D": np.asarray(ode_curve.q)[w],
        "ode_d2": np.asarray(ode_curve.p)[w],
        "d2_large_D_gcep": float(hg.p),
        "d2_large_D_ode": float(h.p),
        "async_response": np.array(async_sv),
    }


def validation(cfg: DiffusionSensingConfig, ctx: Run) -> dict:
    """Hopf point in the domain radius R (one cell at the centre, density 1/(πR²)) from
    the full PDE-ODE model (finite volumes, located by continuation), the GCEP and the
    reduced ODE, for each D and ε."""
    out = {"D": [], "eps": [], "R_dns": [], "R_gcep": [], "R_ode": [], "omega_dns": []}
    for D in cfg.val_D:
        for eps in cfg.val_eps:
            ode = CellBulkODE(D=D, eps=eps)
            problem = cont.from_system(ode, "density")
            y0 = cont.equilibrium(problem, ode.initial_state(), 0.01).y
            branch = cont.continuation(
                problem,
                y0,
                0.01,
                p_min=0.005,
                p_max=cfg.density_max,
                ds=0.02,
                ds_max=0.5,
                n_steps=160,
            )
            hopfs = _hopfs(problem, branch)
            radii = [1 / np.sqrt(np.pi * float(h.p)) for h in hopfs]
            radii = [r for r in radii if r > 10 * eps]
            if not radii:
                continue
            # the highest-density Hopf point (it exists for every D here), so that each
            # D compares the same point
            r_ode = min(radii)
            dns = CellBulkRadial(R=1.3 * r_ode, D=D, eps=eps, n=cfg.val_cells)
            prob_r = cont.from_system(dns, "R")
            e = cont.equilibrium(prob_r, dns.initial_state(), 1.3 * r_ode)
            br = cont.continuation(
                prob_r,
                e.y,
                1.3 * r_ode,
                p_min=0.7 * r_ode,
                p_max=2 * r_ode,
                ds=0.01 * r_ode,
                ds_max=0.05 * r_ode,
                n_steps=80,
                direction=-1,
                n_eigs=6,
                # the stiff discretised PDE (eigenvalues ~ D / (ε h)²) carries rounding
                # residuals far above 1e-7 at fine grids
                res_tol=1e-5,
            )
            hd = _hopfs(prob_r, br)
            if not hd:
                continue
            hd = hd[0]
            r_gcep = np.nan
            if cfg.gcep:  # (the GCEP is slow to compile: the tiny preset skips it)
                g = cb.make_gcep(np.zeros((1, 2)), float(hd.p), param="R", D=D, eps=eps)
                eq = cont.equilibrium(g, g.guess(), hd.p)
                hg = cont.locate_hopf(g, eq.y, hd.p, hd.omega, v=jnp.ones(1, complex))
                r_gcep = float(hg.p) if bool(hg.converged) else np.nan
            out["D"].append(D)
            out["eps"].append(eps)
            out["R_dns"].append(float(hd.p))
            out["R_gcep"].append(r_gcep)
            out["R_ode"].append(r_ode)
            out["omega_dns"].append(float(hd.omega))
    return {k: np.asarray(v, dtype=float) for k, v in out.items()}


def direct_simulation(cfg: DiffusionSensingConfig, val: dict) -> dict:
    """The full model simulated (implicit Kvaerno5) at R = R_c (1 + offset): growth or decay
    of the oscillation on either side of the Hopf point found by continuation."""
    D, eps = cfg.val_D[0], cfg.val_eps[min(1, len(cfg.val_eps) - 1)]
    sel = (val["D"] == D) & (val["eps"] == eps)
    r_c = float(val["R_dns"][sel][0])
    radii = r_c * (1.0 + np.asarray(cfg.dns_offsets))
    t1 = cfg.dns_t1
    ts = np.linspace(0.0, t1, int(4 * t1) + 1)
    base = CellBulkRadial(R=r_c, D=D, eps=eps, n=cfg.val_cells)
    problem = cont.from_system(base, "R")

    @jax.jit
    def run(radius):
        # from the steady state (Newton) plus a small kick: the oscillation grows on the
        # unstable side and decays on the stable one
        y0 = cont.equilibrium(problem, base.initial_state(), radius).y
        y0 = y0.at[-2].add(1e-3)
        s = eqx.tree_at(lambda s: s.R, base, radius)
        tr = simulate(
            s,
            t1,
            y0=y0,
            ts=ts,
            solver=diffrax.Kvaerno5(),
            rtol=1e-6,
            atol=1e-9,
            max_steps=400_000,
            observable=lambda t, y: y[-2],
        )
        return tr.ys, tr.status

    series, status = [], []
    for radius in radii:
        ys, st = run(jnp.asarray(radius))
        series.append(np.asarray(ys))
        status.append(int(st))
    series = np.stack(series)
    tail = ts >= 0.75 * t1
    amp = oscillation_amplitude(series[:, tail], axis=1)
    osc = amp > 2e-3
    onset = np.nan
    if osc.sum() >= 2:
        # oscillations live on the small-R (high-density) side: fit in μ = -R
        onset = -fit_hopf_amplitude(-radii[osc], amp[osc])["mu_onset"]
    return {
        "D": D,
        "eps": eps,
        "R_c": r_c,
        "radii": radii,
        "ts": ts,
        "u1": series,
        "amp": amp,
        "R_onset_sim": float(onset),
        "status": status,
    }


@experiment("diffusion_sensing", paper="4", presets=PRESETS)
def run(cfg: DiffusionSensingConfig, ctx: Run) -> dict:
    """Cells coupled through a diffusive bulk: quorum sensing, GCEP and full model (paper 4)."""
    with jax.enable_x64(True):
        return _run(cfg, ctx)


def _run(cfg: DiffusionSensingConfig, ctx: Run) -> dict:
    base = CellBulkODE(D=D_LARGE)
    with ctx.stage("ode_continuation"):
        ode = ode_branch(cfg, base)
    with ctx.stage("phase_diagram"):
        pd = phase_diagram(cfg, base, ode, ctx)
        cls = classify(pd, base)
    gc = {"found": False}
    if cfg.gcep:
        with ctx.stage("gcep"):
            gc = gcep_curves(cfg, ctx)
    with ctx.stage("validation"):
        val = validation(cfg, ctx)
    with ctx.stage("direct_simulation"):
        sim = direct_simulation(cfg, val)
    with ctx.stage("figures"):
        ctx.savefig(fig_phase_diagram(ode, pd, cls), "phase_diagram")
        if gc["found"]:
            ctx.savefig(fig_gcep(gc), "gcep_hopf_curves")
        ctx.savefig(fig_validation(val), "validation")
        ctx.savefig(fig_simulation(sim), "direct_simulation")
    ctx.save_arrays(
        "diffusion_sensing",
        branch_density=ode["density"],
        branch_u1=ode["u1"],
        curve_density=pd["curve_density"],
        curve_d2=pd["curve_d2"],
        map_density=pd["densities"],
        map_d2=pd["d2"],
        map_amp=pd["amp"],
        **{f"val_{k}": v for k, v in val.items()},
        sim_radii=sim["radii"],
        sim_amp=sim["amp"],
    )
    u_rest = selkov_rest_state(base.alpha, base.mu)
    rel = np.abs(val["R_dns"] / val["R_gcep"] - 1)
    by_eps = {
        f"D={D:g}": {
            f"eps={e:g}": {
                "R_dns": float(rd),
                "R_gcep": float(rg),
                "R_ode": float(ro),
                "rel_dns_vs_gcep": float(abs(rd / rg - 1)),
                "rel_gcep_vs_ode": float(abs(rg / ro - 1)),
            }
            for Dv, e, rd, rg, ro in zip(
                val["D"], val["eps"], val["R_dns"], val["R_gcep"], val["R_ode"], strict=True
            )
            if Dv == D
        }
        for D in np.unique(val["D"])
    }
    # convergence in ε at the first D: slope of log |R_dns/R_gcep - 1| vs log ε
    sel = val["D"] == val["D"][0]
    sel &= np.isfinite(rel)
    slope = (
        float(np.polyfit(np.log(val["eps"][sel]), np.log(rel[sel]), 1)[0])
        if sel.sum() >= 2
        else None
    )
    out = {
        "parameters": {k: float(v) for k, v in base.parameters().items()},
        "isolated_cell_trace": number(
            float(
                np.trace(jax.jacfwd(lambda u: selkov(u, base.alpha, base.mu, base.zeta))(u_rest))
            ),
            note="trace of an uncoupled cell's Jacobian at rest (< 0: quiescent)",
        ),
        "quorum_onset_density": number(
            float(ode["hopf_density"][0]) if ode["hopf_density"].size else None,
            note="reduced ODE (D -> inf): Hopf point where oscillations switch on",
        ),
        "quenching_density": number(
            float(ode["hopf_density"][1]) if ode["hopf_density"].size > 1 else None,
            note="reduced ODE: Hopf point where high density quenches the oscillations",
        ),
        "hopf_omega": [float(w) for w in ode["hopf_omega"]],
        "map_agreement_linear_vs_simulation": number(
            cls["agree"],
            literature=1.0,
            note="fraction of the (density, d2) map where simulated oscillation (amp > 1e-3) "
            "matches linear instability",
        ),
        "map_status": pd["status"],
        "validation": by_eps,
        "dns_vs_gcep_max_rel": number(
            float(np.nanmax(rel)) if np.isfinite(rel).any() else None,
            note="over all (D, eps): |R_full / R_GCEP - 1|",
        ),
        "dns_vs_gcep_convergence_slope_in_eps": number(
            slope, note="log-log slope of |R_dns/R_gcep - 1| vs eps at the first D"
        ),
        "simulated_onset_R": number(
            sim["R_onset_sim"],
            literature=sim["R_c"],
            note=f"A^2 fit of simulated amplitudes (D={sim['D']:g}, eps={sim['eps']:g}) vs the "
            "Hopf point of the same discretisation by continuation",
        ),
        "simulation_status": sim["status"],
    }
    if gc["found"]:
        out["gcep"] = {
            "n_cells": gc["n_cells"],
            "d2_hopf_large_D_gcep": number(gc["d2_large_D_gcep"], literature=gc["d2_large_D_ode"]),
            "d2_hopf_smallest_D": float(gc["d2"][-1]) if gc["d2"].size else None,
            "log_D_smallest": float(gc["log_D"][-1]) if gc["log_D"].size else None,
            "async_response_at_sync_hopf": gc["async_response"].tolist(),
        }
    return out
