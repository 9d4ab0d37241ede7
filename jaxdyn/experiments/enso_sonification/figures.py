"""Figures of the enso_sonification experiment."""

from __future__ import annotations

import numpy as np

from ...analysis.sonification import scale_cents
from ...plotting import figure

REGIME_COLORS = {"damped": "tab:blue", "sustained": "tab:red"}


def fig_onsets(ro: dict, dao: dict):
    """Growth rates through zero and amplitudes beyond onset, for both oscillators."""
    fig, axes = figure(2, 2)
    a, b = axes[0]
    a.plot(ro["mus"], ro["growth_theory"], "k-", label="theory: tr J / 2")
    a.plot(ro["mus"], ro["growth"], "o", label="simulated (1e-4 perturbation)")
    a.axhline(0, color="gray", lw=0.8)
    a.axvline(ro["mu_c"], color="c", ls="--", label=r"$\mu_c=(c+r)/(\gamma b_0)$")
    a.set(
        xlabel=r"coupling $\mu$",
        ylabel="growth rate (per 2 months)",
        title="Recharge oscillator: Hopf in the coupling",
    )
    a.legend(fontsize=8)
    b.plot(ro["mus"], ro["amp"] ** 2, "o-", label=r"amplitude$^2$ of T (deterministic)")
    b.axvline(ro["mu_c"], color="c", ls="--")
    b2 = b.twinx()
    ok = np.isfinite(ro["periods"]) & (ro["mus"] > ro["mu_c"])
    b2.plot(ro["mus"][ok], ro["periods"][ok] / 6.0, "s", color="tab:orange", label="period (yr)")
    b2.plot(
        [ro["mu_c"]],
        [ro["period_onset_theory"] / 6.0],
        "*",
        color="tab:orange",
        ms=14,
        mec="k",
        label=r"theory $2\pi/\omega_c$",
    )
    b2.set_ylabel("period (years)")
    b.set(xlabel=r"coupling $\mu$", ylabel=r"$A^2$", title="Amplitude and period beyond onset")
    b.legend(fontsize=8, loc="upper left")
    b2.legend(fontsize=8, loc="lower right")
    c, d = axes[1]
    c.plot(dao["taus"], dao["growth_theory"], "k-", label="theory: Lambert W root")
    c.plot(dao["taus"], dao["growth"], "o", label="simulated")
    c.axhline(0, color="gray", lw=0.8)
    c.axvline(dao["tau_c"], color="c", ls="--", label=r"$\tau_c$ closed form")
    c.set(xlabel=r"delay $\tau$", ylabel="growth rate", title="Delayed-action oscillator")
    c.legend(fontsize=8)
    d.plot(dao["taus"], dao["amp"], "o-")
    d.axvline(dao["tau_c"], color="c", ls="--")
    d.set(
        xlabel=r"delay $\tau$",
        ylabel="oscillation amplitude of T",
        title="finite amplitude just past onset",
    )
    return fig


def fig_index(idx: dict, spec: dict, linear_period_years: float, onset_period_units: float):
    """A stretch of the synthetic index in both regimes and the mean Welch spectra."""
    fig, axes = figure(1, 2, panel=(5.6, 3.8))
    a, b = axes[0]
    years = idx["months"] / 12.0
    span = years <= min(60.0, years[-1])
    for r, name in enumerate(("damped", "sustained")):
        a.plot(
            years[span],
            idx["index"][r, 0][span] + (0 if r == 0 else 8),
            lw=0.8,
            color=REGIME_COLORS[name],
            label=name,
        )
        b.loglog(
            spec[name]["f"][1:],
            spec[name]["p"][1:],
            color=REGIME_COLORS[name],
            label=f"{name}: peak {spec[name]['peak']:.2f} yr",
        )
    a.set(
        xlabel="year",
        ylabel="index (K); sustained shifted by 8 K",
        title="Synthetic Niño-3.4-like index",
    )
    a.legend(fontsize=8)
    b.loglog(
        spec["damped"]["theory_f"],
        spec["damped"]["theory_p"],
        "k--",
        lw=1,
        label="damped: exact linear-SDE spectrum",
    )
    b.axvline(
        1 / linear_period_years,
        color=REGIME_COLORS["damped"],
        ls=":",
        label=f"linear period {linear_period_years:.2f} yr",
    )
    b.axvline(
        6.0 / onset_period_units,
        color=REGIME_COLORS["sustained"],
        ls=":",
        label=f"onset period {onset_period_units / 6:.2f} yr",
    )
    b.set(xlabel="frequency (1/yr)", ylabel="power (K$^2$ yr)", title="Welch spectra (mean)")
    b.legend(fontsize=8)
    return fig


def fig_rqa(rq: dict, measures: tuple[str, ...]):
    """RQA measures per regime (mean ± s.e. over realisations) and two recurrence plots."""
    fig, axes = figure(1, 3, panel=(4.2, 3.6))
    a = axes[0, 0]
    shown = [m for m in measures if m != "RR"]
    x = np.arange(len(shown))
    for k, name in enumerate(("damped", "sustained")):
        vals = np.array([np.mean(rq["measures"][name][m]) for m in shown])
        errs = np.array(
            [
                np.std(rq["measures"][name][m], ddof=1) / np.sqrt(len(rq["measures"][name][m]))
                for m in shown
            ]
        )
        a.bar(
            x + (k - 0.5) * 0.38,
            vals,
            0.38,
            yerr=errs,
            capsize=2,
            color=REGIME_COLORS[name],
            label=name,
        )
    a.set_xticks(x, shown)
    a.set_yscale("log")
    a.set(title="RQA (mean ± s.e.)")
    a.legend(fontsize=8)
    for ax, name in zip(axes[0, 1:], ("damped", "sustained"), strict=True):
        ax.imshow(rq["example"][name], cmap="binary", origin="lower", interpolation="nearest")
        ax.set(title=f"recurrence plot, {name}", xlabel="month", ylabel="month")
    return fig


def fig_pitch_time(x: np.ndarray, audio: dict, octaves: int):
    """Index, and the pitch of each note on the slendro and pelog scales (size = loudness)."""
    fig, axes = figure(3, 1, panel=(9.0, 2.4), sharex=True)
    years = np.arange(x.size) / 12.0
    axes[0, 0].plot(years, x, "k-", lw=0.8)
    axes[0, 0].set(ylabel="index (K)", title="Sonified stretch of the synthetic index")
    for ax, scale in zip(axes[1:, 0], ("slendro", "pelog"), strict=True):
        s = audio[scale]
        for c in scale_cents(scale, octaves):
            ax.axhline(c, color="0.85", lw=0.6, zorder=0)
        ax.scatter(
            years,
            s["cents"],
            s=4 + 30 * s["amps"] ** 2,
            c=s["amps"],
            cmap="viridis",
            vmin=0,
            vmax=1,
        )
        ax.set(ylabel="cents above base", title=f"{scale}: pitch (colour/size = thermocline depth)")
    axes[-1, 0].set_xlabel("year")
    return fig
