"""Figures of the imaginary_qpo experiment."""

from __future__ import annotations

import numpy as np

from ...analysis.spectra import coherence, phase_lag, rebin_log
from ...plotting import figure

FIELD_LABELS = {
    "freq": "centroid (Hz)",
    "width": "FWHM (Hz)",
    "rms1": "rms, band 1",
    "rms2": "rms, band 2",
    "lag": "phase lag (rad)",
}


def fig_spectra(cs, model, model0, truth):
    """PS of both bands, Re and Im of the CS (f x P), intrinsic coherence and phase lag,
    with the joint fit (total and components) and the fit without the QPO."""
    fig, axes = figure(2, 3, panel=(4.6, 3.6))
    rb = rebin_log(cs, 0.03)
    f = np.asarray(rb.freq)
    fm = np.geomspace(float(cs.freq[0]), float(cs.freq[-1]), 800)
    s1, s2, g = (np.asarray(a) for a in model.spectra(fm))
    l1, l2 = (np.asarray(a) for a in model.components(fm))
    n1, n2 = float(cs.noise1), float(cs.noise2)
    err = np.sqrt(np.asarray(rb.m))
    panels = [
        (
            axes[0, 0],
            np.asarray(rb.power1) - n1,
            np.asarray(rb.power1) / err,
            s1 - n1,
            l1,
            "PS band 1 (noise subtracted)",
        ),
        (
            axes[0, 1],
            np.asarray(rb.power2) - n2,
            np.asarray(rb.power2) / err,
            s2 - n2,
            l2,
            "PS band 2 (noise subtracted)",
        ),
    ]
    for ax, y, e, tot, comps, title in panels:
        ax.errorbar(f, f * y, yerr=f * e, fmt=".", ms=3, color="k", lw=0.6, label="simulated")
        ax.plot(fm, fm * tot, "r-", label="joint fit")
        for i, c in enumerate(comps):
            ax.plot(fm, fm * c, "--", lw=0.9, label=("QPO" if i == len(comps) - 1 else None))
        ax.set(
            xscale="log",
            yscale="log",
            xlabel="frequency (Hz)",
            ylabel=r"$f\,P(f)$",
            title=title,
            ylim=(1e-4, None),
        )
        ax.legend(fontsize=7)
    ax = axes[0, 2]
    d_re, d_im = (np.asarray(a) for a in rb.cross_err())
    ax.errorbar(
        f,
        f * np.real(rb.cross),
        yerr=f * d_re,
        fmt=".",
        ms=3,
        color="tab:blue",
        lw=0.6,
        label="Re CS",
    )
    ax.errorbar(
        f,
        f * np.imag(rb.cross),
        yerr=f * d_im,
        fmt=".",
        ms=3,
        color="tab:orange",
        lw=0.6,
        label="Im CS",
    )
    ax.plot(fm, fm * g.real, "b-", lw=1)
    ax.plot(fm, fm * g.imag, "-", color="darkorange", lw=1)
    ax.set(xscale="log", xlabel="frequency (Hz)", ylabel=r"$f\,C(f)$", title="Cross spectrum")
    ax.axhline(0, color="k", lw=0.5)
    ax.legend(fontsize=7)
    coh, coh_err = (np.asarray(a) for a in coherence(rb, intrinsic=True))
    lag, lag_err = (np.asarray(a) for a in phase_lag(rb))
    ax = axes[1, 0]
    ok = np.isfinite(coh_err) & (coh_err > 0)
    ax.errorbar(f[ok], coh[ok], yerr=coh_err[ok], fmt=".", ms=3, color="k", lw=0.6)
    ax.plot(fm, np.asarray(model.coherence(fm)), "r-", label="model with QPO")
    ax.plot(fm, np.asarray(model0.coherence(fm)), "c--", label="model without QPO")
    ax.set(
        xscale="log",
        xlabel="frequency (Hz)",
        ylabel=r"intrinsic coherence $\gamma^2$",
        ylim=(0.0, 1.2),
        title="Coherence",
        xlim=(0.1, 20),
    )
    ax.legend(fontsize=7)
    ax = axes[1, 1]
    ax.errorbar(f, lag, yerr=lag_err, fmt=".", ms=3, color="k", lw=0.6)
    ax.plot(fm, np.asarray(model.phase_lag(fm)), "r-", label="model with QPO")
    ax.plot(fm, np.asarray(model0.phase_lag(fm)), "c--", label="model without QPO")
    ax.set(
        xscale="log",
        xlabel="frequency (Hz)",
        ylabel="phase lag (rad)",
        title="Lags",
        xlim=(0.1, 20),
        ylim=(-1, 2),
    )
    ax.legend(fontsize=7)
    ax = axes[1, 2]
    ax.plot(fm, np.asarray(truth.coherence(fm)), "k-", label="injected coherence")
    ax.plot(fm, np.asarray(truth.phase_lag(fm)), "k:", label="injected lag")
    ax.set(xscale="log", xlabel="frequency (Hz)", title="Injected model", xlim=(0.1, 20))
    ax.legend(fontsize=7)
    return fig


def fig_sweep(table: dict, cfg):
    """Detection rate vs QPO frequency (PS1, PS2, joint) and recovered centroid and lag."""
    fig, axes = figure(1, 3, panel=(4.4, 3.6))
    f0 = np.array([float(k) for k in table])
    for name, color, label in (
        ("joint", "tab:red", "joint PS+CS fit"),
        ("ps1", "tab:blue", "PS band 1"),
        ("ps2", "tab:green", "PS band 2"),
    ):
        r = np.array([table[k][f"detected_{name}"]["rate"] for k in table])
        ci = np.array([table[k][f"detected_{name}"]["ci95"] for k in table])
        axes[0, 0].errorbar(
            f0, r, yerr=[r - ci[:, 0], ci[:, 1] - r], fmt="o-", color=color, capsize=2, label=label
        )
    axes[0, 0].set(
        xlabel="QPO centroid (Hz)",
        ylabel=f"detection rate (>= {cfg.detect_sigma:g} sigma)",
        ylim=(-0.05, 1.05),
        title="What is detectable (95% CI)",
    )
    axes[0, 0].invert_xaxis()
    axes[0, 0].legend(fontsize=8)
    axes[0, 1].plot(f0, [table[k]["freq_median"] for k in table], "o", label="recovered (median)")
    axes[0, 1].plot(f0, f0, "k--", label="injected")
    axes[0, 1].set(xlabel="injected centroid (Hz)", ylabel="recovered centroid (Hz)")
    axes[0, 1].legend(fontsize=8)
    axes[0, 2].plot(f0, [table[k]["lag_median"] for k in table], "o", label="recovered (median)")
    axes[0, 2].axhline(cfg.qpo_lag, color="k", ls="--", label="injected")
    axes[0, 2].set(
        xlabel="injected centroid (Hz)", ylabel="QPO phase lag (rad)", ylim=(-np.pi, np.pi)
    )
    axes[0, 2].legend(fontsize=8)
    return fig


def fig_posterior(samples: dict, truth, qpo: int):
    """NUTS posterior of the QPO's parameters (joint fit) with the injected values."""
    fig, axes = figure(1, len(samples), panel=(3.0, 2.8))
    for ax, (name, s) in zip(axes[0], samples.items(), strict=True):
        ax.hist(s, bins=30, color="tab:gray")
        ax.axvline(float(getattr(truth, name)[qpo]), color="r", lw=2, label="injected")
        ax.set(xlabel=FIELD_LABELS[name], yticks=[])
    axes[0, 0].legend(fontsize=8)
    return fig
