"""Figures of the jaws experiment."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ...plotting import figure

COLORS = {
    "truth": "k",
    "plain": "C0",
    "global": "C1",
    "jaws": "C2",
    "unroll": "C3",
    "unroll_jaws": "C4",
    "unroll_long": "C5",
}


def fig_rollout(t: np.ndarray, curves: Mapping, variants: Sequence[str], *, nu, n_grid):
    """Median rollout error against time, and the energy spectra at the last time."""
    fig, axes = figure(1, 2, panel=(5.5, 4.0))
    a0, a1 = axes[0]
    for n in variants:
        err = np.where(np.isfinite(curves[n]), curves[n], np.nan)
        a0.semilogy(t, err, color=COLORS[n], label=n)
    a0.set(
        xlabel="time t",
        ylabel="median relative L2 error",
        title=f"Rollout error, Burgers ν={nu:g}, N={n_grid}",
    )
    a0.legend(fontsize=8)
    truth = curves["spectrum_truth"]
    m = np.arange(len(truth))
    a1.loglog(m[1:], truth[1:], "k", lw=2.5, label="truth")
    for n in variants:
        a1.loglog(m[1:], np.maximum(curves[f"spectrum_{n}"][1:], 1e-30), color=COLORS[n], label=n)
    a1.set(
        xlabel="wavenumber m",
        ylabel="energy |û_m|²",
        title=f"Energy spectrum at t={t[-1]:.2f}",
        ylim=(1e-14, None),
    )
    a1.legend(fontsize=8)
    return fig


def fig_shock(x, truth, snapshots: Mapping[str, np.ndarray], weights, *, t_mid: float):
    """One test sample at the shock time (rollouts vs truth) and the JAWS weight field
    (``weights``; an empty panel when None: no JAWS variant was trained)."""
    fig, axes = figure(2, 1, panel=(8.0, 3.0), sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    a0, a1 = axes[0, 0], axes[1, 0]
    a0.plot(x, truth, "k", lw=2.5, label="truth")
    for n, u in snapshots.items():
        a0.plot(x, u, color=COLORS[n], label=n)
    a0.set(ylabel="u", title=f"Test sample at t={t_mid:.2f} (rollout)")
    a0.legend(fontsize=8)
    if weights is not None:
        a1.semilogy(x, weights, color=COLORS["jaws"])
    a1.set(xlabel="x", ylabel="JAWS weight w(x)", title="Penalty weight (on the true state)")
    return fig


def fig_cost_ood(table: Mapping, variants: Sequence[str], *, steps, nu_ood, amp_ood, t_mid):
    """Training-step memory and time per variant, and out-of-distribution errors."""
    fig, axes = figure(1, 3, panel=(4.4, 3.8))
    a0, a1, a2 = axes[0]
    names = list(variants)
    pos = np.arange(len(names))
    cols = [COLORS[n] for n in names]
    a0.bar(pos, [table[n]["train_memory_mb"] for n in names], color=cols)
    a0.set(ylabel="MB", title="Training-step memory (XLA)")
    a1.bar(pos, [table[n]["train_time_s"] for n in names], color=cols)
    a1.set(ylabel="s", title=f"Training time ({steps} steps)")
    width = 0.4
    for j, (k, lab) in enumerate(
        (("ood_nu_rel_l2_mid", f"ν={nu_ood:g}"), ("ood_amp_rel_l2_mid", f"amplitude ×{amp_ood:g}"))
    ):
        vals = [min(table[n][k], 10.0) for n in names]
        a2.bar(pos + (j - 0.5) * width, vals, width, label=lab)
    a2.set(ylabel="median rel. L2", title=f"OOD error at t={t_mid:.2f}", yscale="log")
    a2.legend(fontsize=8)
    for a in (a0, a1, a2):
        a.set_xticks(pos, names, rotation=30, fontsize=8)
    return fig


def fig_seeds(per_seed: Mapping, variants: Sequence[str], *, dt: float):
    """Per-seed rollout error, time to failure and high-k energy of every variant (dots),
    with the mean ± standard error over seeds (bars)."""
    panels = (
        ("rel_l2_final", "median rel. L2 at the last step", "log"),
        ("t_fail", "median time to failure (error ≥ 1)", "linear"),
        ("high_k_energy_ratio", "high-k energy / truth", "log"),
    )
    fig, axes = figure(1, len(panels), panel=(4.4, 3.8))
    names = list(variants)
    for a, (k, title, scale) in zip(axes[0], panels, strict=True):
        for i, n in enumerate(names):
            v = np.asarray(per_seed[n][k], float) * (dt if k == "t_fail" else 1.0)
            a.plot(
                np.full(v.shape, i) + np.linspace(-0.15, 0.15, v.size),
                v,
                "o",
                color=COLORS[n],
                ms=4,
                alpha=0.7,
            )
            fin = v[np.isfinite(v)]
            if fin.size > 1:
                a.errorbar(
                    i + 0.3,
                    fin.mean(),
                    fin.std(ddof=1) / np.sqrt(fin.size),
                    fmt="_",
                    color="k",
                    capsize=3,
                )
        a.set(title=title, yscale=scale)
        a.set_xticks(np.arange(len(names)), names, rotation=30, fontsize=8)
    return fig


def fig_lam_sweep(sweep: Mapping, *, lam0: float, dt: float):
    """The contraction-dissipation trade-off: errors, time to failure, high-k energy and
    shock steepness against the penalty weight λ, for the global and JAWS penalties."""
    panels = (
        ("rel_l2_1", "one-step rel. L2", "log"),
        ("rel_l2_final", "rel. L2 at the last step", "log"),
        ("t_fail", "time to failure", "linear"),
        ("high_k_energy_ratio", "high-k energy / truth", "log"),
        ("shock_steepness_ratio", "shock steepness / truth", "linear"),
    )
    fig, axes = figure(1, len(panels), panel=(3.6, 3.4))
    lam = np.asarray(sweep["lam"], float)
    positive = lam[lam > 0]
    for a, (k, title, scale) in zip(axes[0], panels, strict=True):
        for n in ("global", "jaws"):
            v = np.asarray(sweep[n][k], float) * (dt if k == "t_fail" else 1.0)
            a.plot(lam, v, "o-", color=COLORS[n], label=n)
        a.axvline(lam0, color="0.6", ls=":", lw=1)
        a.set(title=title, yscale=scale, xlabel="λ")
        if positive.size:
            a.set_xscale("symlog", linthresh=positive.min())
            a.set_xlim(-0.3 * positive.min(), 2 * positive.max())
    axes[0][0].legend(fontsize=8)
    return fig
