"""Dynamical phase diagram of synchronization in one dimension (paper 1).

R. Gutiérrez and R. Cuerno, "Dynamical phase diagram of synchronization in one
dimension: universal behavior from Edwards-Wilkinson to random deposition through
Kardar-Parisi-Zhang", arXiv:2604.06040 (2026).

For a ring of L phase oscillators (:mod:`jaxdyn.systems.sync1d`) with white noise or
columnar disorder, the experiment

1. sweeps coupling K x randomness σ x non-oddity a (``jaxdyn.core.sweep``), saving the
   unwrapped phases at log- and linearly-spaced times and reducing them on the fly to
   the roughness W²(t), the phase-slip count, the skewness of the phase profile and the
   frequency-locked fraction;
2. classifies every grid point (:func:`classify`): not synchronized (locked fraction
   < 1/2) grows as random deposition (white noise, β = 1/2) or linear growth (columnar,
   β = 1); synchronized points with phase slips are "distorted"; slip-free synchronized
   points are EW or KPZ (or their columnar counterparts) according to whether β_eff
   exceeds the exact linear-theory exponent in the same window (a ≠ 0 only);
3. compares the exact locking threshold K_c (a = 0, any winding, from
   :func:`jaxdyn.analysis.sync.locking_threshold`) with simulated locking;
4. measures α from W_sat against L for EW and columnar EW;
5. fits K and a to a synthetic columnar W(t) curve by gradient descent through the
   solver (:func:`jaxdyn.core.fit.fit`).
"""

from __future__ import annotations

import time
from pathlib import Path

import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np
import optax
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch

from ..analysis.roughness import (
    EXPONENTS,
    columnar_linear_w2,
    ew_linear_w2,
    growth_exponent,
    is_saturated,
    local_slopes,
    roughness2,
    roughness_exponent,
    saturation_time,
    saturation_value,
)
from ..analysis.sync import kpz_coupling, locking_threshold
from ..core.fit import Positive, fit
from ..core.grid import Grid
from ..core.simulate import simulate
from ..core.sweep import status_counts, sweep
from ..plotting import log_heatmap, loglog, reference_slope, savefig
from ..systems.sync1d import Sync1D
from .registry import number, register

TWO_PI = 2.0 * np.pi

#: regime labels (index = category code in the phase-diagram arrays)
REGIMES = {
    "white": ["random deposition", "phase slips", "EW", "KPZ"],
    "columnar": ["linear growth", "phase slips", "columnar EW", "columnar KPZ"],
}
REGIME_COLORS = ["0.55", "#f4a259", "#3d7ab8", "#c8423b"]
LITERATURE_BETA = {
    "random deposition": EXPONENTS["random_deposition"]["beta"],
    "linear growth": EXPONENTS["linear_growth"]["beta"],
    "EW": EXPONENTS["EW"]["beta"],
    "KPZ": EXPONENTS["KPZ"]["beta"],
    "columnar EW": EXPONENTS["columnar_EW"]["beta"],
    "columnar KPZ": None,  # see docs/sync1d.md: not retrieved, reported as measured
}

QUICK = {
    "L": 64,
    "K": [0.25, 0.5, 1.0, 2.0, 4.0],
    "sigma": [0.05, 0.1, 0.2, 0.4, 0.8],
    "a": [0.0, 4.0],
    "seeds": 10,
    "t1": 200.0,
    "dt_white": 0.015,
    "n_log": 40,
    "n_lin": 60,
    "chunk_size": 128,
    "kpz_excess": 0.04,
    "alpha_L": [16, 32, 64],
    "alpha_seeds": 8,
    "lock_L": 32,
    "lock_seeds": 4,
    "lock_t1": 1000.0,
    "fit_L": 16,
    "fit_realisations": 4,
    "fit_steps": 100,
    "fit_t1": 30.0,
    "fit_dt": 0.1,
}
FULL = {
    "L": 512,
    "K": list(np.round(np.geomspace(0.25, 8.0, 11), 4)),
    "sigma": list(np.round(np.geomspace(0.02, 1.6, 11), 4)),
    "a": [0.0, 0.5, 1.0, 2.0, 4.0],
    "seeds": 32,
    "t1": 20000.0,
    "dt_white": 0.005,
    "n_log": 80,
    "n_lin": 400,
    "chunk_size": 1024,
    "kpz_excess": 0.04,
    "alpha_L": [32, 64, 128, 256, 512],
    "alpha_seeds": 64,
    "lock_L": 256,
    "lock_seeds": 16,
    "lock_t1": 20000.0,
    "fit_L": 64,
    "fit_realisations": 16,
    "fit_steps": 200,
    "fit_t1": 200.0,
    "fit_dt": 0.05,
}


def save_times(t1: float, n_log: int, n_lin: int, t_min: float = 0.05) -> np.ndarray:
    """Log-spaced saves (for W(t)) merged with linear ones (to count phase slips late)."""
    ts = np.concatenate([np.geomspace(t_min, t1, n_log), np.linspace(t1 / n_lin, t1, n_lin)])
    return np.unique(np.round(ts, 10))


def _phases(t, y):
    return y[0] if isinstance(y, tuple | list) else y


def member_fn(ts: np.ndarray, dt_white: float):
    """``fn(system, key)`` for :func:`sweep`: simulate, then reduce the phases on the fly.

    Returns W², the skewness of θ - θ̄, the phase-slip count since the previous save (all
    per save time), the frequency-locked fraction and the spread of mean frequencies
    over the second half of the run.
    """
    ts = np.asarray(ts, dtype=float)
    t1 = float(ts[-1])
    i_lock = int(np.searchsorted(ts, t1 / 2))
    window = float(ts[-1] - ts[i_lock])

    def fn(system, key):
        white = system.is_stochastic
        tr = simulate(
            system,
            t1,
            key=key,
            ts=jnp.asarray(ts),
            observable=_phases,
            dt=dt_white if white else 0.05,
            rtol=1e-5,
            atol=1e-6,
            max_steps=None if white else 400_000,
        )
        th = tr.ys
        dev = th - th.mean(axis=-1, keepdims=True)
        w2 = jnp.mean(dev**2, axis=-1)
        skew = jnp.mean(dev**3, axis=-1) / jnp.maximum(w2, 1e-300) ** 1.5
        n = jnp.round((jnp.roll(th, -1, axis=-1) - th) / TWO_PI)
        slips = jnp.concatenate([jnp.zeros(1), jnp.abs(jnp.diff(n, axis=0)).sum(axis=-1)])
        om = (th[-1] - th[i_lock]) / window
        locked = jnp.mean(jnp.abs(om - om.mean()) < np.pi / window)
        return {
            "time": jnp.asarray(ts),
            "status": tr.status,
            "W2": w2,
            "skew": skew,
            "slips": slips,
            "locked_frac": locked,
            "freq_spread": jnp.std(om),
        }

    return fn


def growth_window(ts: np.ndarray, K: float, t_sat: float) -> np.ndarray:
    """Saves in the scaling window 1/K <= t <= 10/K, cut at t_sat/3 when W saturated.

    Below ~1/K each oscillator still grows on its own (random deposition or linear
    growth); the collective scaling regime starts once the coupling acts.
    """
    t_hi = 10.0 / K if not np.isfinite(t_sat) else min(10.0 / K, t_sat / 3.0)
    return (ts >= 1.0 / K) & (ts <= t_hi)


def classify(ds, randomness: str, kpz_excess: float) -> dict[str, np.ndarray]:
    """Per grid point (K, σ, a): W(t), β_eff, W_sat, t_sat, locking, slips and regime code.

    Codes (see ``REGIMES``): 0 not synchronized (locked fraction < 1/2); 1 synchronized
    with phase slips (any slip per oscillator above 1 %, or some oscillator unlocked);
    3 KPZ class when a ≠ 0 (λ = 2Ka ≠ 0) and β_eff exceeds the exact linear (EW) theory's
    effective exponent *in the same window and size* by more than ``kpz_excess``;
    2 otherwise (EW class). Comparing with the lattice linear theory rather than with 1/4
    or 3/4 removes the finite-size and lattice corrections, which at L = 64 are as large
    as the EW-KPZ difference itself. ``beta`` is measured over :func:`growth_window`;
    ``beta_late`` over the last decade of the run, [t1/10, t1], which is where the
    desynchronized regimes (random deposition, linear growth) are asymptotic.
    """
    ts = ds["time"].values
    w2 = ds["W2"].values  # (K, sigma, a, seed, T)
    W = np.sqrt(np.nanmean(w2, axis=3))
    Ks, sigmas, As = ds["K"].values, ds["sigma"].values, ds["a"].values
    L = int(ds.attrs["L"])
    shape = W.shape[:3]
    beta = np.full(shape, np.nan)
    beta_lin = np.full(shape, np.nan)
    beta_late = np.full(shape, np.nan)
    wsat = np.full(shape, np.nan)
    tsat = np.full(shape, np.nan)
    skew = np.full(shape, np.nan)
    code = np.zeros(shape, dtype=int)
    locked = ds["locked_frac"].values.mean(axis=3)
    slips_per_osc = ds["slips"].values.sum(axis=-1).mean(axis=3) / L
    linear = ew_linear_w2 if randomness == "white" else columnar_linear_w2
    for i, j, k in np.ndindex(shape):
        w = W[i, j, k]
        if not np.all(np.isfinite(w)):
            continue
        if is_saturated(ts, w):
            wsat[i, j, k] = saturation_value(ts, w)
            tsat[i, j, k] = saturation_time(ts, w, wsat[i, j, k])
        late = ts >= ts[-1] / 10
        beta_late[i, j, k] = growth_exponent(ts[late], w[late])
        sel = growth_window(ts, Ks[i], tsat[i, j, k])
        if sel.sum() >= 3:
            beta[i, j, k] = growth_exponent(ts[sel], w[sel])
            beta_lin[i, j, k] = growth_exponent(
                ts[sel], np.sqrt(linear(ts[sel], L, Ks[i], sigmas[j]))
            )
            skew[i, j, k] = np.nanmean(ds["skew"].values[i, j, k][:, sel])
        if locked[i, j, k] < 0.5:
            code[i, j, k] = 0
        elif slips_per_osc[i, j, k] > 0.01 or locked[i, j, k] < 0.999:
            code[i, j, k] = 1
        elif As[k] != 0 and beta[i, j, k] - beta_lin[i, j, k] > kpz_excess:
            code[i, j, k] = 3
        else:
            code[i, j, k] = 2
    g = kpz_coupling(Ks[:, None, None], sigmas[None, :, None], As[None, None, :], randomness)
    return {
        "W": W,
        "beta": beta,
        "beta_linear": beta_lin,
        "beta_late": beta_late,
        "W_sat": wsat,
        "t_sat": tsat,
        "locked": locked,
        "slips_per_osc": slips_per_osc,
        "skew": skew,
        "code": code,
        "g": g,
    }


# ------------------------------------------------------------------------------ sub-runs


def run_phase_diagram(config: dict, randomness: str, key) -> tuple:
    ts = save_times(config["t1"], config["n_log"], config["n_lin"])
    base = Sync1D(L=config["L"], K=1.0, sigma=0.1, a=0.0, randomness=randomness)
    grid = Grid.product(K=config["K"], sigma=config["sigma"], a=config["a"])
    ds = sweep(
        member_fn(ts, config["dt_white"]),
        base,
        grid,
        key=key,
        seeds=config["seeds"],
        chunk_size=config["chunk_size"],
        progress=False,
    )
    ds.attrs["L"] = config["L"]
    ds.attrs["randomness"] = randomness
    return ds, classify(ds, randomness, config["kpz_excess"])


def sweep_member_disorder(key, seeds: int, L: int) -> np.ndarray:
    """The unit-σ frequencies ξ that sweep member ``seed`` of a columnar sweep draws."""
    out = []
    for s in range(seeds):
        k = jax.random.fold_in(key, s)
        init_key, _ = jax.random.split(k)
        out.append(np.asarray(jax.random.normal(init_key, (L,))))
    return np.stack(out)


def locking_vs_theory(ds, key, config) -> dict:
    """Simulated locking at a = 0 against the exact threshold K_c = σ κ(ξ) (any winding)."""
    L, seeds = config["L"], config["seeds"]
    xi = sweep_member_disorder(key, seeds, L)
    kappa = np.array([locking_threshold(x, winding=None) for x in xi])
    ia = int(np.argmin(np.abs(ds["a"].values)))
    Ks, sigmas = ds["K"].values, ds["sigma"].values
    locked_sim = ds["locked_frac"].values[:, :, ia, :] == 1.0  # (K, sigma, seed)
    predicted = Ks[:, None, None] > sigmas[None, :, None] * kappa[None, None, :]
    agree = float(np.mean(locked_sim == predicted))
    return {"kappa": kappa, "agreement": agree, "n": int(predicted.size)}


def locking_check(config: dict, key) -> dict:
    """Rings at 0.9 K_c and 1.1 K_c (a = 0, σ = 1, several realisations): do they lock?"""
    L, n, t1 = config["lock_L"], config["lock_seeds"], config["lock_t1"]
    ts = np.linspace(t1 / 300, t1, 300)
    keys = jax.random.split(key, n)
    kc, kc0 = [], []
    for k in keys:
        init_key, _ = jax.random.split(k)
        xi = np.asarray(jax.random.normal(init_key, (L,)))
        kc.append(locking_threshold(xi, winding=None))
        kc0.append(locking_threshold(xi, winding=0))
    kc = np.array(kc)
    factors = np.array([0.9, 1.1])

    def one(K, k):
        s = Sync1D(L=L, K=K, sigma=1.0, a=0.0, randomness="columnar")
        th = simulate(
            s, t1, key=k, ts=jnp.asarray(ts), observable=_phases, rtol=1e-6, max_steps=1_000_000
        ).ys
        i = int(np.searchsorted(ts, t1 / 2))
        om = (th[-1] - th[i]) / (ts[-1] - ts[i])
        return jnp.all(jnp.abs(om - om.mean()) < np.pi / (ts[-1] - ts[i]))

    Kgrid = (factors[:, None] * kc[None, :]).ravel()
    kk = jnp.stack([keys] * len(factors)).reshape(-1, *keys.shape[1:])
    locked = np.asarray(jax.jit(jax.vmap(one))(jnp.asarray(Kgrid), kk)).reshape(len(factors), n)
    return {"K_c": kc, "K_c_winding0": np.array(kc0), "factors": factors, "locked": locked}


def alpha_run(config: dict, randomness: str, key) -> dict:
    """W_sat against L at a = 0 (synchronized, linear regime) and the fitted α."""
    sizes = config["alpha_L"]
    white = randomness == "white"
    K, sigma = 1.0, (0.3 if white else 0.02)
    wsat, wsat_theory = [], []
    for L in sizes:
        lam1 = 4 * K * np.sin(np.pi / L) ** 2
        # white: the slowest mode's variance is within e^-6 of saturation at 3/λ_1, and the
        # saturated tail [t1/2, t1] is time-averaged; columnar needs (1 - e^{-λ_1 t})² ≈ 1
        t1 = (3.0 if white else 8.0) / lam1
        ts = np.linspace(t1 / 2, t1, 12) if white else np.array([t1])
        sysL = Sync1D(L=L, K=K, sigma=sigma, a=0.0, randomness=randomness)

        def f(system, k, ts=ts, t1=t1):
            return simulate(
                system,
                t1,
                key=k,
                ts=jnp.asarray(ts),
                observable=roughness2,
                dt=0.05,
                rtol=1e-6,
                atol=1e-9,
            )

        seeds = config["alpha_seeds"] * (1 if white else 4)  # columnar solves are cheap
        ds = sweep(f, sysL, Grid.points(K=[K]), key=key, seeds=seeds, progress=False)
        wsat.append(np.sqrt(np.mean(ds["y"].values[0])))
        fn = ew_linear_w2 if white else columnar_linear_w2
        wsat_theory.append(float(np.sqrt(np.mean(fn(ts, L, K, sigma)))))
    return {
        "L": np.array(sizes),
        "W_sat": np.array(wsat),
        "W_sat_theory": np.array(wsat_theory),
        "alpha": roughness_exponent(sizes, wsat),
    }


def fit_demo(config: dict, key) -> dict:
    """Recover K and a from synthetic columnar growth curves by gradient descent.

    The data are the roughness log <W²>(t) and the mean phase θ̄(t) (the interface's mean
    height). W(t) alone is statistically invariant under (a, ω, θ) -> (-a, -ω, -θ), so it
    depends on a only at second order and leaves a long, flat K-a valley; the mean height
    grows with the non-odd coupling at first order, K a Σ(2 - cos φ), as the excess
    velocity of a KPZ interface does, and pins a (with its sign).

    The columnar ring is an ODE once the key fixes the frequencies, so the same keys give
    the same realisations for every (K, a) and the loss is smooth in both. σ = 0.3 puts
    the rings (L = 16) near, but above, their locking thresholds, where the phase
    differences are O(1) and the non-odd part of the coupling shapes W(t). A fixed-step
    Tsit5 solve (dt well inside its stability limit for K, a = O(1)) keeps reverse-mode
    differentiation cheap.
    """
    L, n = config["fit_L"], config["fit_realisations"]
    sigma, K_true, a_true = 0.3, 1.0, 1.0
    true = Sync1D(L=L, K=K_true, sigma=sigma, a=a_true, randomness="columnar")
    ts_np = np.geomspace(0.3, config["fit_t1"], 24)
    ts = jnp.asarray(ts_np)
    keys = jax.random.split(key, n)

    def observe(t, y):
        return roughness2(t, y), jnp.mean(y[0])

    def curves(system):
        w2, hbar = jax.vmap(
            lambda k: (
                simulate(
                    system,
                    float(ts_np[-1]),
                    key=k,
                    ts=ts,
                    observable=observe,
                    adaptive=False,
                    dt=config["fit_dt"],
                ).ys
            )
        )(keys)
        return jnp.log(jnp.mean(w2, axis=0)), jnp.mean(hbar, axis=0)

    data_w, data_h = jax.jit(curves)(true)
    h_scale = jnp.mean(data_h**2)

    def loss(m):
        log_w2, hbar = curves(m)
        return jnp.mean((log_w2 - data_w) ** 2) + jnp.mean((hbar - data_h) ** 2) / h_scale

    init = Sync1D(L=L, K=1.5, sigma=sigma, a=0.3, randomness="columnar")
    # Adam with a learning rate decaying 0.1 -> 0.01 settles into the minimum
    lr = optax.exponential_decay(0.1, transition_steps=config["fit_steps"], decay_rate=0.1)
    res = fit(
        loss,
        init,
        ["K", "a"],
        transforms={"K": Positive()},
        optimizer=optax.adam(lr),
        steps=config["fit_steps"],
        curvature=False,
    )
    curve = lambda m: jax.jit(curves)(m)[0]
    return {
        "ts": np.asarray(ts),
        "data": np.asarray(data_w),
        "initial": np.asarray(curve(init)),
        "fitted": np.asarray(curve(res.model)),
        "history": res.history,
        "K_true": K_true,
        "a_true": a_true,
        "K_fit": float(res.params["K"]),
        "a_fit": float(res.params["a"]),
    }


# ------------------------------------------------------------------------------- figures


def fig_regimes(results: dict, config: dict, lock: dict | None, out: Path) -> str:
    As = config["a"]
    fig, axes = plt.subplots(2, len(As), figsize=(4.2 * len(As), 7.4), squeeze=False)
    for r, randomness in enumerate(("white", "columnar")):
        c = results[randomness]
        for k, a in enumerate(As):
            ax = axes[r, k]
            log_heatmap(
                ax,
                config["K"],
                config["sigma"],
                c["code"][:, :, k].T,
                xlabel="coupling K",
                ylabel="randomness σ",
                cmap=ListedColormap(REGIME_COLORS),
                vmin=-0.5,
                vmax=3.5,
            )
            for i, K in enumerate(config["K"]):
                for j, s in enumerate(config["sigma"]):
                    b = (c["beta_late"] if c["code"][i, j, k] == 0 else c["beta"])[i, j, k]
                    if np.isfinite(b):
                        ax.text(K, s, f"{b:.2f}", ha="center", va="center", fontsize=7, color="w")
            if randomness == "columnar" and a == 0 and lock is not None:
                kappa = np.median(lock["kappa"])
                ss = np.geomspace(min(config["sigma"]) / 2, max(config["sigma"]) * 2, 10)
                ax.plot(ss * kappa, ss, "w--", lw=1.5, label="exact $K_c$ (median)")
                ax.set_xlim(min(config["K"]) / 1.5, max(config["K"]) * 1.5)
                ax.set_ylim(min(config["sigma"]) / 1.5, max(config["sigma"]) * 1.5)
                ax.legend(loc="lower right", fontsize=7)
            ax.set_title(f"{randomness} randomness, a = {a:g}", fontsize=10)
    handles = [
        Patch(color=REGIME_COLORS[i], label=f"{REGIMES['white'][i]} / {REGIMES['columnar'][i]}")
        for i in range(4)
    ]
    fig.legend(handles=handles, loc="lower center", ncol=4, fontsize=8, frameon=False)
    fig.suptitle(
        f"Dynamical phase diagram, L = {config['L']}: numbers are β_eff over "
        "1/K <= t <= 10/K (desynchronized: over the last decade)",
        fontsize=11,
    )
    fig.tight_layout(rect=(0, 0.04, 1, 0.97))
    return savefig(fig, out / "phase_diagram.png")


def fig_saturation(results: dict, config: dict, out: Path) -> str:
    As = config["a"]
    fig, axes = plt.subplots(2, 2 * len(As), figsize=(3.6 * 2 * len(As), 6.6), squeeze=False)
    for r, randomness in enumerate(("white", "columnar")):
        c = results[randomness]
        for k, a in enumerate(As):
            log_heatmap(
                axes[r, 2 * k],
                config["K"],
                config["sigma"],
                np.log10(c["W_sat"][:, :, k]).T,
                xlabel="K",
                ylabel="σ",
                cmap="magma",
                cbar_label="log10 W_sat",
            )
            axes[r, 2 * k].set_title(f"{randomness}, a={a:g}: saturation value", fontsize=9)
            log_heatmap(
                axes[r, 2 * k + 1],
                config["K"],
                config["sigma"],
                np.log10(c["t_sat"][:, :, k]).T,
                xlabel="K",
                ylabel="σ",
                cmap="cividis",
                cbar_label="log10 t_sat",
            )
            axes[r, 2 * k + 1].set_title(f"{randomness}, a={a:g}: saturation time", fontsize=9)
    fig.suptitle("Saturation values and times (grey: no saturation by t1)", fontsize=11)
    fig.tight_layout()
    return savefig(fig, out / "saturation.png")


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


def _representative(c: dict, code: int, idx: np.ndarray) -> tuple[int, int, int]:
    """A grid point showing a regime clearly.

    Desynchronized: weakest coupling, strongest randomness; KPZ: largest excess of β_eff
    over the linear theory; otherwise the strongest coupling, weakest randomness.
    """
    pts = [tuple(p) for p in idx]
    if code == 0:
        return min(pts, key=lambda p: (p[0], -p[1]))
    if code == 3:
        return max(pts, key=lambda p: np.nan_to_num(c["beta"][p] - c["beta_linear"][p], nan=-9))
    return max(pts, key=lambda p: (p[0], -p[1], -p[2]))


def fig_width_curves(results: dict, config: dict, out: Path) -> str:
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.4))
    for ax, randomness in zip(axes, ("white", "columnar"), strict=True):
        c = results[randomness]
        ts = results[f"{randomness}_ts"]
        for code in range(4):
            idx = np.argwhere(c["code"] == code)
            if not len(idx):
                continue
            i, j, k = _representative(c, code, idx)
            name = REGIMES[randomness][code]
            b = c["beta_late"][i, j, k] if code == 0 else c["beta"][i, j, k]
            ax.plot(
                ts,
                c["W"][i, j, k],
                color=REGIME_COLORS[code],
                lw=2,
                label=f"{name}: K={config['K'][i]:g}, σ={config['sigma'][j]:g}, "
                f"a={config['a'][k]:g}, β_eff={b:.2f}",
            )
            beta_ref = LITERATURE_BETA.get(name)
            if beta_ref is not None:
                K = config["K"][i]
                t_a, t_b = (ts[-1] / 10, ts[-1]) if code == 0 else (1 / K, 10 / K)
                w0 = np.exp(np.interp(np.log(t_a), np.log(ts), np.log(c["W"][i, j, k])))
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
        ax.set_title(f"{randomness} randomness, L = {config['L']}")
    fig.suptitle(
        "W(t) in each regime; dashed: literature slopes over the window where β_eff is measured",
        fontsize=11,
    )
    fig.tight_layout()
    return savefig(fig, out / "width_curves.png")


def fig_slips(results: dict, config: dict, out: Path) -> str:
    """W(t) and local slopes at fixed σ across K: the distortion by phase slips."""
    fig, axes = plt.subplots(2, 2, figsize=(11, 7.5), sharex=True)
    for col, randomness in enumerate(("white", "columnar")):
        c = results[randomness]
        ts = results[f"{randomness}_ts"]
        k = 0  # a = 0 (the first non-oddity)
        # the σ row with the most distinct regimes across K (ties: the strongest σ)
        n_codes = [len(set(c["code"][:, jj, k])) + jj / 100 for jj in range(len(config["sigma"]))]
        j = int(np.argmax(n_codes))
        cmap = plt.get_cmap("viridis")
        for i, K in enumerate(config["K"]):
            col_i = cmap(i / max(1, len(config["K"]) - 1))
            label = (
                f"K={K:g}: {REGIMES[randomness][c['code'][i, j, k]]}, "
                f"{c['slips_per_osc'][i, j, k]:.2g} slips/osc"
            )
            axes[0, col].plot(ts, c["W"][i, j, k], color=col_i, label=label)
            tb, wb = log_binned(ts, c["W"][i, j, k])
            axes[1, col].plot(tb, local_slopes(tb, wb), color=col_i, marker=".")
        loglog(axes[0, col], None, "W(t)")
        axes[0, col].legend(fontsize=7)
        axes[0, col].set_title(f"{randomness}, σ = {config['sigma'][j]:g}, a = {config['a'][k]:g}")
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
    fig.tight_layout()
    return savefig(fig, out / "phase_slips.png")


def fig_fit_and_locking(
    fitres: dict, lockres: dict, alphas: dict, lock_grid_agreement: float, out: Path
) -> str:
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.2))
    ax = axes[0]
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
    ax.set_title("Gradient fit through the ODE solver (columnar)")
    ins = ax.inset_axes([0.62, 0.1, 0.35, 0.3])
    ins.semilogy(fitres["history"])
    ins.set_xlabel("step", fontsize=7)
    ins.set_ylabel("loss", fontsize=7)
    ins.tick_params(labelsize=6)

    ax = axes[1]
    for n, f in enumerate(lockres["factors"]):
        ax.scatter(
            np.full(lockres["locked"].shape[1], f) + 0.01 * np.arange(lockres["locked"].shape[1]),
            lockres["locked"][n].astype(float),
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

    ax = axes[2]
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
    ax.set_title("Roughness exponent (a = 0)")
    fig.tight_layout()
    return savefig(fig, out / "fit_locking_alpha.png")


# ---------------------------------------------------------------------------- experiment


@register("sync1d", paper="1", quick=QUICK, full=FULL)
def run(config: dict, out: Path) -> dict:
    """Dynamical phase diagram of 1D synchronization: RD/LG, EW, KPZ and phase slips."""
    out = Path(out)
    key = jax.random.PRNGKey(2026)
    k_white, k_col, k_alpha, k_lock, k_fit = jax.random.split(key, 5)
    timings = {}
    results: dict = {}
    for randomness, k in (("white", k_white), ("columnar", k_col)):
        t0 = time.perf_counter()
        ds, c = run_phase_diagram(config, randomness, k)
        results[randomness] = c
        results[f"{randomness}_ts"] = ds["time"].values
        results[f"{randomness}_ds"] = ds
        timings[f"sweep_{randomness}_s"] = round(time.perf_counter() - t0, 1)
        ds.to_netcdf(out / f"sweep_{randomness}.nc", engine="h5netcdf")

    t0 = time.perf_counter()
    lock_grid = locking_vs_theory(results["columnar_ds"], k_col, config)
    lock = locking_check(config, k_lock)
    timings["locking_s"] = round(time.perf_counter() - t0, 1)

    t0 = time.perf_counter()
    alphas = {r: alpha_run(config, r, k_alpha) for r in ("white", "columnar")}
    timings["alpha_s"] = round(time.perf_counter() - t0, 1)

    t0 = time.perf_counter()
    fitres = fit_demo(config, k_fit)
    timings["fit_s"] = round(time.perf_counter() - t0, 1)

    fig_regimes(results, config, lock_grid, out)
    fig_saturation(results, config, out)
    fig_width_curves(results, config, out)
    fig_slips(results, config, out)
    fig_fit_and_locking(fitres, lock, alphas, lock_grid["agreement"], out)

    summary = {}
    for randomness in ("white", "columnar"):
        c = results[randomness]
        for code, name in enumerate(REGIMES[randomness]):
            sel = c["code"] == code
            betas = (c["beta_late"] if code == 0 else c["beta"])[sel]
            betas = betas[np.isfinite(betas)]
            summary[f"beta[{name}]"] = number(
                float(np.median(betas)) if betas.size else None,
                literature=LITERATURE_BETA.get(name),
                note=f"median β_eff over {int(sel.sum())} grid points classified {name!r}"
                + (" (last decade of the run)" if code == 0 else " (1/K <= t <= 10/K)")
                + (
                    " (cKPZ literature value not retrieved: see docs/sync1d.md)"
                    if name == "columnar KPZ"
                    else ""
                ),
            )
    summary["alpha[EW]"] = number(
        alphas["white"]["alpha"],
        literature=0.5,
        note=f"W_sat vs L over L={config['alpha_L']}, white, a=0",
    )
    summary["alpha[columnar EW]"] = number(
        alphas["columnar"]["alpha"],
        literature=1.5,
        note=f"W_sat vs L over L={config['alpha_L']}, a=0",
    )
    summary["locking_agreement"] = number(
        lock_grid["agreement"],
        literature=1.0,
        note=f"fraction of {lock_grid['n']} (K, σ, seed) members at a=0 where simulated "
        "locking equals K > K_c (exact, any winding)",
    )
    summary["locked_at_1.1Kc"] = number(
        float(lock["locked"][1].mean()),
        literature=1.0,
        note=f"{config['lock_seeds']} rings, L={config['lock_L']}",
    )
    summary["locked_at_0.9Kc"] = number(
        float(lock["locked"][0].mean()),
        literature=0.0,
        note=f"{config['lock_seeds']} rings, L={config['lock_L']}",
    )
    summary["K_c_over_sigma"] = number(
        lock["K_c"].tolist(), note="exact thresholds (any winding), σ=1"
    )
    summary["fit_K"] = number(
        fitres["K_fit"],
        literature=fitres["K_true"],
        note="fitted vs true coupling (synthetic columnar W(t))",
    )
    summary["fit_a"] = number(
        fitres["a_fit"], literature=fitres["a_true"], note="fitted vs true non-oddity"
    )
    summary["fit_final_loss"] = float(fitres["history"][-1])
    summary["regime_counts"] = {
        r: {name: int(np.sum(results[r]["code"] == i)) for i, name in enumerate(REGIMES[r])}
        for r in ("white", "columnar")
    }
    summary["status_counts"] = {r: status_counts(results[f"{r}_ds"]) for r in ("white", "columnar")}
    summary["timings"] = timings
    return summary
