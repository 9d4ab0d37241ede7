"""JAWS: spatially-adaptive Jacobian regularisation of FNO rollouts on viscous Burgers (paper 16).

Data: 1-D viscous Burgers (:mod:`jaxdyn.systems.burgers`) on [0, 1), Gaussian-random-field
initial conditions N(0, 625(-Δ + 25 I)^{-2}) (Li et al. 2021), solved pseudo-spectrally
with ETDRK4 on ``n_solver`` points and subsampled to the model grid; shock-forming
ν = ``nu`` for the step maps; out-of-distribution sets at a lower viscosity and a larger
initial amplitude. Everything is cached on disk (:mod:`jaxdyn.data.cache`).

Models (:class:`jaxdyn.models.fno.FNOStep`, residual FNO step maps u_n -> u_{n+1}), all with
the same data, optimiser, batch size and number of steps:

* ``plain``: one-step MSE;
* ``global``: MSE + λ ||J||_F²/N (Hutchinson, one Rademacher probe);
* ``jaws``: heteroscedastic NLL + λ (1/N) Σ_x w(x) ρ(x) (see :mod:`jaxdyn.models.jacobian`);
* ``unroll``/``unroll_jaws``: K-step unrolled trajectory loss (short horizon) without/with
  the JAWS terms at every unrolled step;
* ``unroll_long``: the long-horizon (K_long) unrolled MSE baseline.

Plus the classic FNO map u0 -> u(t = 1) at ν = 0.1 (Li et al. 2021).

Metrics: rollout relative L2 error against time, late-time energy spectra, shock fidelity
(position and steepness of the steepest negative gradient), blow-up rate, OOD error,
training memory (XLA memory analysis of one gradient step) and time.
"""

from __future__ import annotations

import time
from pathlib import Path

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax

from ..data.cache import cached
from ..models.fno import FNO1d, FNOStep
from ..models.jacobian import gaussian_nll, hutchinson_row_norms, jaws_penalty
from ..models.training import step_memory, train
from ..systems.burgers import make_dataset
from .registry import number, register

QUICK = dict(
    nu=0.01,
    n_solver=256,
    n_grid=64,
    dt_model=0.02,
    horizon=100,
    n_train=32,
    n_test=16,
    nu_ood=0.005,
    amp_ood=1.5,
    width=20,
    modes=16,
    layers=3,
    steps=500,
    batch=16,
    lr=3e-3,
    lam=1e-4,
    k_short=3,
    k_long=16,
    classic_n_solver=256,
    classic_s=64,
    classic_train=256,
    classic_test=64,
    classic_steps=300,
    seed=0,
)
FULL = dict(
    nu=0.01,
    n_solver=1024,
    n_grid=128,
    dt_model=0.01,
    horizon=300,
    n_train=256,
    n_test=64,
    nu_ood=0.005,
    amp_ood=1.5,
    width=32,
    modes=16,
    layers=4,
    steps=5000,
    batch=64,
    lr=2e-3,
    lam=1e-4,
    k_short=4,
    k_long=32,
    classic_n_solver=2048,
    classic_s=1024,
    classic_train=1000,
    classic_test=200,
    classic_steps=5000,
    seed=0,
)
VARIANTS = ("plain", "global", "jaws", "unroll", "unroll_jaws", "unroll_long")
BLOWUP_FACTOR = 3.0  # a rollout "blows up" if it goes non-finite or exceeds 3 max|u_true|


def _data(config, name, seed, n_traj, nu, amplitude, n_steps, dt_save, n_solver, n_grid):
    gen = dict(
        seed=seed,
        n_traj=n_traj,
        nu=nu,
        amplitude=amplitude,
        n_steps=n_steps,
        dt_save=dt_save,
        n_solver=n_solver,
        n_grid=n_grid,
        dt_solver=min(1e-3, 0.5 / n_solver),
        version=1,
    )
    make = lambda: make_dataset(**{k: v for k, v in gen.items() if k != "version"})
    return cached(f"burgers-{name}", gen, make)["u"].astype(np.float32)


# ---------------------------------------------------------------- losses
def _mse_step(model, u, y, key, lam):
    pred = model(u)
    loss = jnp.mean((pred - y) ** 2)
    if lam > 0:
        loss = loss + lam * jnp.mean(hutchinson_row_norms(model, u, key))
    return loss, pred


def _jaws_step(model, u, y, key, lam):
    mean, logvar, pen = jaws_penalty(model.mean_and_logvar, u, key)
    return gaussian_nll(y, mean, logvar) + lam * pen, mean


def make_loss(kind: str, lam: float, k: int):
    """Loss of a batch of windows (B, k + 1, n): mean over the k unrolled steps."""
    step = _jaws_step if kind == "jaws" else _mse_step
    lam_eff = 0.0 if kind == "mse" else lam

    def one(model, window, key):
        def body(u, inp):
            y, kk = inp
            loss, pred = step(model, u, y, kk, lam_eff)
            return pred, loss

        keys = jax.random.split(key, k)
        _, losses = jax.lax.scan(body, window[0], (window[1:], keys))
        return jnp.mean(losses)

    def loss(model, batch, key):
        keys = jax.random.split(key, batch.shape[0])
        return jnp.mean(jax.vmap(one, in_axes=(None, 0, 0))(model, batch, keys))

    return loss


def _variant_setup(name, config):
    lam, ks, kl = config["lam"], config["k_short"], config["k_long"]
    return {
        "plain": ("mse", 1, False),
        "global": ("global", 1, False),
        "jaws": ("jaws", 1, True),
        "unroll": ("mse", ks, False),
        "unroll_jaws": ("jaws", ks, True),
        "unroll_long": ("mse", kl, False),
    }[name] + (lam,)


# ---------------------------------------------------------------- metrics
@eqx.filter_jit
def _rollout(model, u0, n):
    return jax.vmap(lambda u: model.rollout(u, n))(u0)


def _rel_l2(pred, true):
    """Per-sample, per-time ||pred - true|| / ||true||; non-finite -> inf."""
    err = np.linalg.norm(pred - true, axis=-1) / np.linalg.norm(true, axis=-1)
    return np.where(np.isfinite(err), err, np.inf)


def _spectrum(u):
    """Mean energy spectrum |û_m|² (Fourier-series normalisation) over samples."""
    uh = np.fft.rfft(np.nan_to_num(u, nan=0.0, posinf=0.0, neginf=0.0), axis=-1) / u.shape[-1]
    return np.mean(np.abs(uh) ** 2, axis=0)


def _shock(u):
    """Position (index) and value of the steepest negative gradient (centred differences)."""
    n = u.shape[-1]
    du = (np.roll(u, -1, axis=-1) - np.roll(u, 1, axis=-1)) * n / 2.0
    i = np.argmin(np.nan_to_num(du, nan=np.inf), axis=-1)
    return i, np.take_along_axis(du, i[..., None], axis=-1)[..., 0]


def _metrics(pred, true, mid):
    err = _rel_l2(pred, true)  # (B, T)
    bound = BLOWUP_FACTOR * np.max(np.abs(true))
    blown = ~np.all(np.isfinite(pred), axis=(1, 2)) | (
        np.nanmax(np.abs(np.nan_to_num(pred, nan=np.inf)), axis=(1, 2)) > bound
    )
    n = true.shape[-1]
    i_p, s_p = _shock(pred[:, mid])
    i_t, s_t = _shock(true[:, mid])
    d = np.abs(i_p - i_t)
    pos_err = np.minimum(d, n - d) / n
    e_true, e_pred = _spectrum(true[:, -1]), _spectrum(pred[:, -1])
    high = slice(n // 8, n // 2)
    return {
        "rel_l2_t": np.median(err, axis=0),
        "rel_l2_final": float(np.median(err[:, -1])),
        "rel_l2_mid": float(np.median(err[:, mid])),
        "blowup_rate": float(np.mean(blown)),
        "shock_pos_err": float(np.median(pos_err)),
        "shock_steepness_ratio": float(np.nanmedian(s_p / s_t)),
        "high_k_energy_ratio": float(np.sum(e_pred[high]) / np.sum(e_true[high])),
        "spectrum_pred": e_pred,
        "spectrum_true": e_true,
    }


# ---------------------------------------------------------------- experiment
@register("jaws", paper="16", quick=QUICK, full=FULL)
def run(config: dict, out: Path) -> dict:
    """JAWS vs plain / global-Jacobian / unrolled FNO step maps on shock-forming Burgers."""
    t_start = time.perf_counter()
    c = config
    seed, H, dt = c["seed"], c["horizon"], c["dt_model"]
    grid = dict(dt_save=dt, n_solver=c["n_solver"], n_grid=c["n_grid"])
    train_u = _data(c, "train", seed, c["n_train"], c["nu"], 1.0, H, **grid)
    test_u = _data(c, "test", seed + 1, c["n_test"], c["nu"], 1.0, H, **grid)
    ood_nu = _data(c, "ood-nu", seed + 2, c["n_test"], c["nu_ood"], 1.0, H, **grid)
    ood_amp = _data(c, "ood-amp", seed + 3, c["n_test"], c["nu"], c["amp_ood"], H, **grid)
    t_data = time.perf_counter() - t_start

    train_j = jnp.asarray(train_u)
    opt = optax.adam(optax.cosine_decay_schedule(c["lr"], c["steps"], alpha=0.05))
    key = jax.random.PRNGKey(seed)
    mid = H // 4
    results: dict = {"data_time_s": t_data}
    table, curves, spectra, models = {}, {}, {}, {}
    for v_i, name in enumerate(VARIANTS):
        kind, k, hetero, lam = _variant_setup(name, c)
        mkey, tkey = jax.random.split(jax.random.fold_in(key, v_i))
        # All variants start from the same trunk initialisation.
        model = FNOStep(
            c["width"],
            c["modes"],
            c["layers"],
            key=jax.random.fold_in(key, 999),
            heteroscedastic=hetero,
            dtype=jnp.float32,
        )
        loss = make_loss(kind, lam, k)

        def batch_fn(kb, k=k):
            ka, kb2 = jax.random.split(kb)
            traj = jax.random.randint(ka, (c["batch"],), 0, train_j.shape[0])
            t0 = jax.random.randint(kb2, (c["batch"],), 0, H - k + 1)
            idx = t0[:, None] + jnp.arange(k + 1)[None, :]
            return train_j[traj[:, None], idx]

        mem = step_memory(loss, model, batch_fn(tkey), tkey)
        res = train(
            loss,
            model,
            batch_fn,
            optimizer=opt,
            steps=c["steps"],
            key=tkey,
            desc=f"jaws:{name}",
        )
        models[name] = res.model
        pred = np.asarray(_rollout(res.model, jnp.asarray(test_u[:, 0]), H))
        m = _metrics(pred, test_u[:, 1:], mid)
        for ood_name, ood in (("ood_nu", ood_nu), ("ood_amp", ood_amp)):
            p = np.asarray(_rollout(res.model, jnp.asarray(ood[:, 0]), H))
            om = _metrics(p, ood[:, 1:], mid)
            m[f"{ood_name}_rel_l2_mid"] = om["rel_l2_mid"]
            m[f"{ood_name}_blowup_rate"] = om["blowup_rate"]
        curves[name] = m.pop("rel_l2_t")
        spectra[name] = m.pop("spectrum_pred")
        spectra["truth"] = m.pop("spectrum_true")
        m.update(
            train_time_s=res.time_s,
            compile_s=res.compile_s,
            train_memory_mb=mem["total"] / 2**20,
            final_loss=float(np.mean(res.losses[-10:])),
            unroll_k=k,
        )
        table[name] = m

    classic = _classic(c, key)
    results.update(
        table=table,
        classic_rel_l2=number(
            classic["rel_l2"],
            literature=2e-3,
            note=(
                f"u0 -> u(1), nu=0.1, s={c['classic_s']}, {c['classic_train']} training "
                f"samples, {c['classic_steps']} Adam steps; literature: FNO with 1000 "
                "samples at s=1024-8192 (Li et al. 2021, as quoted in the task brief)"
            ),
        ),
        classic_train_time_s=classic["time_s"],
    )
    for key_name in ("rel_l2_final", "blowup_rate", "high_k_energy_ratio", "train_memory_mb"):
        results[key_name] = {n: table[n][key_name] for n in VARIANTS}
    results["rel_l2_vs_time"] = {n: curves[n] for n in VARIANTS}
    _figures(out, c, test_u, models, curves, spectra, table, mid)
    return results


def _classic(c, key):
    n = c["classic_train"] + c["classic_test"]
    data = cached(
        "burgers-classic",
        dict(seed=c["seed"] + 10, n=n, n_solver=c["classic_n_solver"], s=c["classic_s"], v=1),
        lambda: make_dataset(
            c["seed"] + 10,
            n,
            nu=0.1,
            n_solver=c["classic_n_solver"],
            n_grid=c["classic_s"],
            dt_save=1.0,
            n_steps=1,
            dt_solver=min(1e-3, 0.5 / c["classic_n_solver"]),
        ),
    )["u"].astype(np.float32)
    x, y = jnp.asarray(data[:, 0]), jnp.asarray(data[:, 1])
    ntr = c["classic_train"]
    model = FNO1d(
        1, 1, c["width"], c["modes"], c["layers"], key=jax.random.fold_in(key, 7), dtype=jnp.float32
    )

    def rel(pred, y):
        return jnp.linalg.norm(pred - y, axis=-1) / jnp.linalg.norm(y, axis=-1)

    def loss(m, b, k):
        pred = jax.vmap(lambda u: m(u[None])[0])(b[0])
        return jnp.mean(rel(pred, b[1]))  # relative L2 loss, as Li et al. train

    def batch_fn(kb):
        i = jax.random.randint(kb, (min(20, ntr),), 0, ntr)
        return x[i], y[i]

    opt = optax.adam(optax.cosine_decay_schedule(c["lr"], c["classic_steps"], alpha=0.02))
    res = train(
        loss,
        model,
        batch_fn,
        optimizer=opt,
        steps=c["classic_steps"],
        key=jax.random.fold_in(key, 8),
        desc="jaws:classic",
    )
    pred = jax.vmap(lambda u: res.model(u[None])[0])(x[ntr:])
    return {"rel_l2": float(jnp.mean(rel(pred, y[ntr:]))), "time_s": res.time_s}


# ---------------------------------------------------------------- figures
_COLORS = {
    "truth": "k",
    "plain": "C0",
    "global": "C1",
    "jaws": "C2",
    "unroll": "C3",
    "unroll_jaws": "C4",
    "unroll_long": "C5",
}


def _figures(out, c, test_u, models, curves, spectra, table, mid):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = c["dt_model"] * np.arange(1, c["horizon"] + 1)
    fig, ax = plt.subplots(1, 2, figsize=(11, 4))
    for n in VARIANTS:
        ax[0].semilogy(
            t, np.where(np.isfinite(curves[n]), curves[n], np.nan), color=_COLORS[n], label=n
        )
    ax[0].set(
        xlabel="time t",
        ylabel="median relative L2 error",
        title=f"Rollout error, Burgers ν={c['nu']}, N={c['n_grid']}",
    )
    ax[0].legend(fontsize=8)
    m = np.arange(len(spectra["truth"]))
    ax[1].loglog(m[1:], spectra["truth"][1:], "k", lw=2.5, label="truth")
    for n in VARIANTS:
        ax[1].loglog(m[1:], np.maximum(spectra[n][1:], 1e-30), color=_COLORS[n], label=n)
    ax[1].set(
        xlabel="wavenumber m",
        ylabel="energy |û_m|²",
        title=f"Energy spectrum at t={t[-1]:.2f}",
        ylim=(1e-14, None),
    )
    ax[1].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "jaws_rollout.png", dpi=90)
    plt.close(fig)

    # Shock snapshot of one test sample, and the JAWS weight field along it.
    x = np.arange(c["n_grid"]) / c["n_grid"]
    u0 = jnp.asarray(test_u[:1, 0])
    fig, ax = plt.subplots(2, 1, figsize=(8, 6), sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    ax[0].plot(x, test_u[0, mid + 1], "k", lw=2.5, label="truth")
    for n in ("plain", "global", "jaws", "unroll_jaws"):
        ax[0].plot(
            x, np.asarray(_rollout(models[n], u0, mid + 1))[0, -1], color=_COLORS[n], label=n
        )
    ax[0].set(ylabel="u", title=f"Test sample at t={(mid + 1) * c['dt_model']:.2f} (rollout)")
    ax[0].legend(fontsize=8)
    _, logvar = models["jaws"].mean_and_logvar(jnp.asarray(test_u[0, mid]))
    w = np.asarray(jax.nn.softmax(-logvar) * logvar.shape[-1])
    ax[1].semilogy(x, w, color=_COLORS["jaws"])
    ax[1].set(xlabel="x", ylabel="JAWS weight w(x)", title="Penalty weight (on the true state)")
    fig.tight_layout()
    fig.savefig(out / "jaws_shock.png", dpi=90)
    plt.close(fig)

    fig, ax = plt.subplots(1, 3, figsize=(13, 3.8))
    names = list(VARIANTS)
    pos = np.arange(len(names))
    cols = [_COLORS[n] for n in names]
    ax[0].bar(pos, [table[n]["train_memory_mb"] for n in names], color=cols)
    ax[0].set(ylabel="MB", title="Training-step memory (XLA)")
    ax[1].bar(pos, [table[n]["train_time_s"] for n in names], color=cols)
    ax[1].set(ylabel="s", title=f"Training time ({c['steps']} steps)")
    wbar = 0.4
    for j, (k, lab) in enumerate(
        (
            ("ood_nu_rel_l2_mid", f"ν={c['nu_ood']}"),
            ("ood_amp_rel_l2_mid", f"amplitude ×{c['amp_ood']}"),
        )
    ):
        vals = [min(table[n][k], 10.0) for n in names]
        ax[2].bar(pos + (j - 0.5) * wbar, vals, wbar, label=lab)
    ax[2].set(
        ylabel="median rel. L2",
        title=f"OOD error at t={(mid + 1) * c['dt_model']:.2f}",
        yscale="log",
    )
    ax[2].legend(fontsize=8)
    for a in ax:
        a.set_xticks(pos, names, rotation=30, fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "jaws_cost_ood.png", dpi=90)
    plt.close(fig)
