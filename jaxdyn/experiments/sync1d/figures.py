"""Figures of the sync1d experiment: each takes the classified phase diagrams (one
``xarray.Dataset`` per kind of randomness, dims K, σ, a, time) or the side results, and
returns a matplotlib figure."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch

from ...analysis.roughness import EXPONENTS, local_slopes
from ...plotting import figure, log_heatmap, loglog, reference_slope

RANDOMNESS = ("white", "columnar")
#: regime labels (index = category code of the classification)
REGIMES = {
    "white": ["random deposition", "phase slips", "EW", "KPZ"],
    "columnar": ["linear growth", "phase slips", "columnar EW", "columnar KPZ"],
}
REGIME_COLORS = ["0.55", "#f4a259", "#3d7ab8", "#c8423b"]
#: literature growth exponent of each regime (drawn as reference slopes, quoted in results)
LITERATURE_BETA = {
    "random deposition": EXPONENTS["random_deposition"]["beta"],
    "linear growth": EXPONENTS["linear_growth"]["beta"],
    "EW": EXPONENTS["EW"]["beta"],
    "KPZ": EXPONENTS["KPZ"]["beta"],
    "columnar EW": EXPONENTS["columnar_EW"]["beta"],
    "columnar KPZ": None,  # see docs/sync1d.md: not retrieved, reported as measured
}


def _beta(point: xr.Dataset) -> xr.DataArray:
    """β_eff as classified: over the last decade when desynchronized, else the window."""
    return xr.where(point["code"] == 0, point["beta_late"], point["beta"])


def fig_regimes(regimes: dict[str, xr.Dataset], kappa: float):
    """Regime of every (K, σ) cell per a, with β_eff printed; the exact K_c = κσ line."""
    As = regimes["white"]["a"].values
    fig, axes = figure(2, len(As), panel=(4.2, 3.7))
    for r, randomness in enumerate(RANDOMNESS):
        c = regimes[randomness]
        Ks, sigmas = c["K"].values, c["sigma"].values
        for k, a in enumerate(As):
            ax, panel = axes[r, k], c.sel(a=a)
            log_heatmap(
                ax,
                Ks,
                sigmas,
                panel["code"].transpose("sigma", "K").values,
                xlabel="coupling K",
                ylabel="randomness σ",
                cmap=ListedColormap(REGIME_COLORS),
                vmin=-0.5,
                vmax=3.5,
            )
            beta = _beta(panel)
            for K in Ks:
                for s in sigmas:
                    b = float(beta.sel(K=K, sigma=s))
                    if np.isfinite(b):
                        ax.text(K, s, f"{b:.2f}", ha="center", va="center", fontsize=7, color="w")
            if randomness == "columnar" and a == 0:
                ss = np.geomspace(sigmas.min() / 2, sigmas.max() * 2, 10)
                ax.plot(ss * kappa, ss, "w--", lw=1.5, label="exact $K_c$ (median)")
                ax.set_xlim(Ks.min() / 1.5, Ks.max() * 1.5)
                ax.set_ylim(sigmas.min() / 1.5, sigmas.max() * 1.5)
                ax.legend(loc="lower right", fontsize=7)
            ax.set_title(f"{randomness} randomness, a = {a:g}", fontsize=10)
    handles = [
        Patch(color=REGIME_COLORS[i], label=f"{REGIMES['white'][i]} / {REGIMES['columnar'][i]}")
        for i in range(4)
    ]
    fig.legend(handles=handles, loc="outside lower center", ncol=4, fontsize=8, frameon=False)
    fig.suptitle(
        f"Dynamical phase diagram, L = {regimes['white'].attrs['L']}: numbers are β_eff over "
        "1/K <= t <= 10/K (desynchronized: over the last decade)",
        fontsize=11,
    )
    return fig


def fig_saturation(regimes: dict[str, xr.Dataset]):
    """Saturation value W_sat and time t_sat over (K, σ) for each a."""
    As = regimes["white"]["a"].values
    fig, axes = figure(2, 2 * len(As), panel=(3.6, 3.3))
    for r, randomness in enumerate(RANDOMNESS):
        c = regimes[randomness]
        for k, a in enumerate(As):
            panel = c.sel(a=a)
            for col, (var, cmap, what) in enumerate(
                (("W_sat", "magma", "saturation value"), ("t_sat", "cividis", "saturation time"))
            ):
                ax = axes[r, 2 * k + col]
                log_heatmap(
                    ax,
                    c["K"].values,
                    c["sigma"].values,
                    np.log10(panel[var].transpose("sigma", "K").values),
                    xlabel="K",
                    ylabel="σ",
                    cmap=cmap,
                    cbar_label=f"log10 {var}",
                )
                ax.set_title(f"{randomness}, a={a:g}: {what}", fontsize=9)
    fig.suptitle("Saturation values and times (grey: no saturation by t1)", fontsize=11)
    return fig


def _representative(c: xr.Dataset, code: int) -> dict[str, int] | None:
    """A grid point showing a regime clearly, as indices by name (None if none has it).

    Desynchronized: weakest coupling, strongest randomness; KPZ: largest excess of β_eff
    over the linear theory; otherwise the strongest coupling, weakest randomness.
    """
    dims = ("K", "sigma", "a")
    pts = [tuple(p) for p in np.argwhere(c["code"].transpose(*dims).values == code)]
    if not pts:
        return None
    if code == 0:
        best = min(pts, key=lambda p: (p[0], -p[1]))
    elif code == 3:
        excess = (c["beta"] - c["beta_linear"]).transpose(*dims).values
        best = max(pts, key=lambda p: np.nan_to_num(excess[p], nan=-9))
    else:
        best = max(pts, key=lambda p: (p[0], -p[1], -p[2]))
    return dict(zip(dims, (int(i) for i in best), strict=True))


def fig_width_curves(regimes: dict[str, xr.Dataset]):
    """W(t) of one point per regime, with the literature slope over its fit window."""
    fig, axes = figure(1, 2, panel=(5.5, 4.4))
    for ax, randomness in zip(axes[0], RANDOMNESS, strict=True):
        c = regimes[randomness]
        ts = c["time"].values
        for code in range(4):
            where = _representative(c, code)
            if where is None:
                continue
            p = c.isel(where)
            K, s, a = (float(p[n]) for n in ("K", "sigma", "a"))
            name = REGIMES[randomness][code]
            w = p["W"].values
            ax.plot(
                ts,
                w,
                color=REGIME_COLORS[code],
                lw=2,
                label=f"{name}: K={K:g}, σ={s:g}, a={a:g}, β_eff={float(_beta(p)):.2f}",
            )
            beta_ref = LITERATURE_BETA.get(name)
            if beta_ref is not None:
                t_a, t_b = (ts[-1] / 10, ts[-1]) if code == 0 else (1 / K, 10 / K)
                w0 = np.exp(np.interp(np.log(t_a), np.log(ts), np.log(w)))
                reference_slope(
                    ax,
                    beta_ref,
                    (t_a, t_b),
                    0.5 * w0,
                    color=REGIME_COLORS[code],
                    lw=1.5,
                    label=f"{name} β = {beta_ref:.3g} (reference)",
                )
        loglog(ax, "t", "W(t)")
        ax.legend(fontsize=7)
        ax.set_title(f"{randomness} randomness, L = {c.attrs['L']}")
    fig.suptitle(
        "W(t) in each regime; dashed: literature slopes over the window where β_eff is measured",
        fontsize=11,
    )
    return fig


def log_binned(t: np.ndarray, w: np.ndarray, n_bins: int = 24) -> tuple[np.ndarray, np.ndarray]:
    """Average log W in log-spaced time bins: tames the noise of few realisations."""
    edges = np.geomspace(t[0], t[-1] * (1 + 1e-9), n_bins + 1)
    idx = np.digitize(t, edges) - 1
    tb, wb = [], []
    for b in range(n_bins):
        m = idx == b
        if m.any():
            tb.append(np.exp(np.mean(np.log(t[m]))))
            wb.append(np.exp(np.mean(np.log(w[m]))))
    return np.array(tb), np.array(wb)


def fig_slips(regimes: dict[str, xr.Dataset]):
    """W(t) and local slopes at fixed σ across K (a = 0): the distortion by phase slips."""
    fig, axes = figure(2, 2, panel=(5.5, 3.75), sharex=True)
    for col, randomness in enumerate(RANDOMNESS):
        c = regimes[randomness].sel(a=0.0)
        ts = c["time"].values
        # the σ row with the most distinct regimes across K (ties: the strongest σ)
        n_codes = [
            len(set(c["code"].isel(sigma=j).values.tolist())) + j / 100
            for j in range(c.sizes["sigma"])
        ]
        row = c.isel(sigma=int(np.argmax(n_codes)))
        cmap = plt.get_cmap("viridis")
        n_K = row.sizes["K"]
        for i in range(n_K):
            p = row.isel(K=i)
            color = cmap(i / max(1, n_K - 1))
            label = (
                f"K={float(p['K']):g}: {REGIMES[randomness][int(p['code'])]}, "
                f"{float(p['slips_per_osc']):.2g} slips/osc"
            )
            w = p["W"].values
            axes[0, col].plot(ts, w, color=color, label=label)
            tb, wb = log_binned(ts, w)
            axes[1, col].plot(tb, local_slopes(tb, wb), color=color, marker=".")
        loglog(axes[0, col], None, "W(t)")
        axes[0, col].legend(fontsize=7)
        axes[0, col].set_title(f"{randomness}, σ = {float(row['sigma']):g}, a = 0")
        axes[1, col].set_xscale("log")
        axes[1, col].set_xlabel("t")
        axes[1, col].set_ylabel("local slope d log W / d log t")
        axes[1, col].set_ylim(-0.3, 1.5)
        for b, lab in ((0.25, "1/4"), (0.5, "1/2"), (0.75, "3/4"), (1.0, "1")):
            axes[1, col].axhline(b, color="k", lw=0.6, ls=":")
            axes[1, col].text(ts[0], b + 0.02, lab, fontsize=7)
        axes[1, col].grid(alpha=0.3)
    fig.suptitle(
        "Scaling distorted by phase slips near the desynchronization boundary "
        "(local slopes of log-binned W)"
    )
    return fig


#: Tracy-Widom GOE (flat initial condition) skewness and excess kurtosis
#: (M. Prähofer and H. Spohn, Physica A 279, 342 (2000))
TW_GOE = {"skew": 0.2935, "kurt": 0.1652}


def fig_kpz_collapse(regimes: dict[str, xr.Dataset], kappa: float):
    """β_eff - β_linear, skewness and excess kurtosis against the KPZ coupling g (all
    synchronized points, both randomness kinds), and β_eff against K/K_c at a = 0
    (columnar): the collapse the paper discusses and the distortion by phase slips."""
    fig, axes = figure(1, 4, panel=(4.0, 3.4))
    axes = np.ravel(axes)
    markers = {"white": "o", "columnar": "s"}
    for randomness in RANDOMNESS:
        c = regimes[randomness]
        sync = (c["code"] >= 2).values
        g = c["g"].transpose(*c["code"].dims).values
        for ax, (name, ref) in zip(
            axes[:3],
            (("beta", None), ("skew_late", TW_GOE["skew"]), ("kurt_late", TW_GOE["kurt"])),
            strict=True,
        ):
            y = c[name].values - (c["beta_linear"].values if name == "beta" else 0.0)
            ok = sync & np.isfinite(y) & (g > 0)
            ax.scatter(
                g[ok],
                y[ok],
                c=np.broadcast_to(c["a"].values, c["code"].shape)[ok],
                marker=markers[randomness],
                cmap="viridis",
                vmin=0,
                vmax=float(c["a"].max()),
                s=14,
                label=randomness,
                edgecolors="none",
            )
            if ref is not None:
                ax.axhline(ref, color="k", ls="--", lw=0.8)
    axes[0].set_ylabel("β_eff - β_linear (same window)")
    axes[1].set_ylabel("skewness, t1/10 <= t <= t_sat/3")
    axes[2].set_ylabel("excess kurtosis, same window")
    for ax in axes[:3]:
        ax.set_xscale("log")
        ax.set_xlabel("KPZ coupling g")
        ax.grid(alpha=0.3)
    axes[1].legend(fontsize=7, title="dashed: TW-GOE", title_fontsize=7)
    c = regimes["columnar"].sel(a=0.0)
    Kc = c["sigma"] * kappa
    x = (c["K"] / Kc).transpose("K", "sigma").values
    b = c["beta"].transpose("K", "sigma").values
    slips = c["slips_per_osc"].transpose("K", "sigma").values
    ok = np.isfinite(b)
    sc = axes[3].scatter(x[ok], b[ok], c=np.log10(slips[ok] + 1e-4), cmap="magma", s=16)
    fig.colorbar(sc, ax=axes[3], label="log10(slips per oscillator)")
    axes[3].axvline(1.0, color="k", lw=0.8)
    axes[3].axhline(EXPONENTS["columnar_EW"]["beta"], color="k", ls=":", lw=0.8)
    axes[3].set_xscale("log")
    axes[3].set_xlabel("K / K_c (columnar, a = 0, median κ)")
    axes[3].set_ylabel("β_eff over 1/K <= t <= 10/K")
    axes[3].grid(alpha=0.3)
    fig.suptitle(
        f"KPZ coupling as a collapse variable and Tracy-Widom statistics "
        f"(L = {regimes['white'].attrs['L']}; colour: a)",
        fontsize=11,
    )
    return fig


def fig_fit_and_locking(fitres: dict, lockres: dict, alphas: dict, lock_grid_agreement: float):
    """The gradient fit of (K, a), locking at 0.9/1.1 K_c, and W_sat against L."""
    fig, axes = figure(1, 3, panel=(4.7, 4.2))
    ax = axes[0, 0]
    ts = fitres["ts"]
    ax.plot(ts, np.exp(fitres["data"] / 2), "ko", ms=4, label="synthetic data (K=1, a=1)")
    ax.plot(ts, np.exp(fitres["initial"] / 2), "C1--", label="initial guess (K=1.5, a=0.3)")
    ax.plot(
        ts,
        np.exp(fitres["fitted"] / 2),
        "C0-",
        label=f"fit: K={fitres['K_fit']:.3f}, a={fitres['a_fit']:.3f}",
    )
    loglog(ax, "t", "W(t)")
    ax.legend(fontsize=8)
    ax.set_title("Gradient fit through the ODE solver (columnar)", fontsize=10)
    ins = ax.inset_axes([0.62, 0.1, 0.35, 0.3])
    ins.semilogy(fitres["history"])
    ins.set_xlabel("step", fontsize=7)
    ins.set_ylabel("loss", fontsize=7)
    ins.tick_params(labelsize=6)

    ax = axes[0, 1]
    locked = np.asarray(lockres["locked"])
    for n, f in enumerate(lockres["factors"]):
        ax.scatter(
            np.full(locked.shape[1], f) + 0.01 * np.arange(locked.shape[1]),
            locked[n].astype(float),
            s=40,
            color="C2" if f > 1 else "C3",
        )
    ax.axvline(1.0, color="k", ls="--")
    ax.set_xlabel("K / K_c (exact, any winding)")
    ax.set_ylabel("frequency locked (1 = yes)")
    ax.set_ylim(-0.2, 1.2)
    ax.set_title(
        f"Locking: theory vs simulation (phase diagram: {lock_grid_agreement:.1%} agree)",
        fontsize=10,
    )

    ax = axes[0, 2]
    for n, (randomness, al) in enumerate(alphas.items()):
        ax.plot(
            al["L"], al["W_sat"], "o", color=f"C{n}", label=f"{randomness}: α = {al['alpha']:.2f}"
        )
        ax.plot(
            al["L"],
            al["W_sat_theory"],
            "-",
            color=f"C{n}",
            alpha=0.5,
            label=f"{randomness}: exact linear theory",
        )
    loglog(ax, "L", "W_sat")
    ax.legend(fontsize=8)
    ax.set_title("Roughness exponent (a = 0)", fontsize=10)
    return fig
