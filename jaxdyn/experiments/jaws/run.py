"""The computation of the jaws experiment (see the package docstring)."""

from __future__ import annotations

import functools

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax

from ...analysis.fields import (
    blown_up,
    energy_spectrum,
    failure_step,
    growth_rate,
    periodic_distance,
    relative_l2,
    steepest_front,
)
from ...analysis.stats import mean_and_sem, t_interval
from ...data.burgers import BurgersDataConfig, burgers_dataset
from ...models.fno import FNO1d, FNOStep
from ...models.jacobian import jaws_weights, unrolled_loss
from ...models.training import step_memory
from .._kit import Run, experiment, number
from .config import PRESETS, VARIANTS, JawsConfig
from .figures import fig_cost_ood, fig_lam_sweep, fig_rollout, fig_seeds, fig_shock

#: a rollout "blows up" if it goes non-finite or exceeds 3 max|u_true|
BLOWUP_FACTOR = 3.0
#: a rollout "fails" once its relative L2 error reaches 1: no better than predicting u = 0
FAIL_ERROR = 1.0


def variant_setup(name: str, cfg: JawsConfig) -> tuple[str, int, bool]:
    """(loss kind, unrolled steps K, heteroscedastic head) of a variant."""
    return {
        "plain": ("mse", 1, False),
        "global": ("global", 1, False),
        "jaws": ("jaws", 1, True),
        "unroll": ("mse", cfg.k_short, False),
        "unroll_jaws": ("jaws", cfg.k_short, True),
        "unroll_long": ("mse", cfg.k_long, False),
    }[name]


def burgers(cfg: JawsConfig, seed: int, n_traj: int, nu: float, amplitude: float) -> np.ndarray:
    """A cached data set on the model grid, float32: (n_traj, horizon + 1, n_grid)."""
    data = BurgersDataConfig(
        seed=seed,
        n_traj=n_traj,
        nu=nu,
        amplitude=amplitude,
        n_steps=cfg.horizon,
        dt_save=cfg.dt_model,
        n_solver=cfg.n_solver,
        n_grid=cfg.n_grid,
        dt_solver=min(1e-3, 0.5 / cfg.n_solver),
    )
    return burgers_dataset(data)["u"].astype(np.float32)


def rollout_metrics(pred: np.ndarray, true: np.ndarray, mid: int) -> dict:
    """Error against time, blow-up, shock fidelity at step ``mid`` and late-time spectra."""
    err = relative_l2(pred, true)  # (B, T)
    T = err.shape[-1]
    t_fail = failure_step(err, FAIL_ERROR)
    n = true.shape[-1]
    i_p, s_p = steepest_front(pred[:, mid])
    i_t, s_t = steepest_front(true[:, mid])
    e_true, e_pred = energy_spectrum(true[:, -1]), energy_spectrum(pred[:, -1])
    high = slice(n // 8, n // 2)
    return {
        "rel_l2_t": np.median(err, axis=0),
        "rel_l2_final": float(np.median(err[:, -1])),
        "rel_l2_final_all": err[:, -1],
        "rel_l2_mid": float(np.median(err[:, mid])),
        "blowup_rate": float(np.mean(blown_up(pred, true, BLOWUP_FACTOR))),
        # in model steps; a sample that never fails counts as the horizon (censored)
        "t_fail": float(np.median(t_fail)),
        "fail_rate": float(np.mean(t_fail < T)),
        # of the median error, per model step, over the second half of the rollout
        "growth_rate": growth_rate(np.arange(T - T // 2), np.median(err, axis=0)[T // 2 :]),
        "shock_pos_err": float(np.median(periodic_distance(i_p, i_t, n))),
        "shock_steepness_ratio": float(np.nanmedian(s_p / s_t)),
        "high_k_energy_ratio": float(np.sum(e_pred[high]) / np.sum(e_true[high])),
        "spectrum_pred": e_pred,
        "spectrum_true": e_true,
    }


@eqx.filter_jit
def rollout(model, u0, n: int):
    """Autoregressive rollouts of a batch of initial states: (B, n, N)."""
    return jax.vmap(lambda u: model.rollout(u, n))(u0)


@functools.partial(jax.jit, static_argnames=("batch", "k"))
def _windows(key, data, *, batch: int, k: int):
    """``batch`` random windows of k + 1 consecutive states of random trajectories."""
    ka, kb = jax.random.split(key)
    traj = jax.random.randint(ka, (batch,), 0, data.shape[0])
    t0 = jax.random.randint(kb, (batch,), 0, data.shape[1] - k)
    idx = t0[:, None] + jnp.arange(k + 1)[None, :]
    return data[traj[:, None], idx]


def train_variant(
    cfg: JawsConfig, ctx: Run, data: dict, key, name: str, *, seed: int = 0, lam=None
) -> tuple[dict, eqx.Module]:
    """Train one step-map variant and score its rollouts (test and both OOD sets).

    Seed 0 draws the trunk initialisation from ``fold_in(key, 999)`` and the training
    stream from the variant's index in VARIANTS, so adding seeds or variants never
    changes an earlier run; seed r > 0 does the same from ``fold_in(key, 10_000 + r)``.
    ``lam`` overrides the config's penalty weight (the λ sweep).
    """
    base = key if seed == 0 else jax.random.fold_in(key, 10_000 + seed)
    lam = cfg.lam if lam is None else lam
    kind, k, hetero = variant_setup(name, cfg)
    _, tkey = jax.random.split(jax.random.fold_in(base, VARIANTS.index(name)))
    model = FNOStep(
        cfg.width,
        cfg.modes,
        cfg.layers,
        key=jax.random.fold_in(base, 999),
        heteroscedastic=hetero,
        dtype=jnp.float32,
    )
    loss = unrolled_loss(kind, lam, k)
    train_j = jnp.asarray(data["train"])

    def batch_fn(kb, k=k):
        return _windows(kb, train_j, batch=cfg.batch, k=k)

    mem = step_memory(loss, model, batch_fn(tkey), tkey)
    opt = optax.adam(optax.cosine_decay_schedule(cfg.lr, cfg.steps, alpha=0.05))
    run_name = name + (f"_seed{seed}" if seed else "") + ("" if lam == cfg.lam else f"_lam{lam:g}")
    res = ctx.train(run_name, loss, model, batch_fn, optimizer=opt, steps=cfg.steps, key=tkey)
    mid = cfg.horizon // 4
    test = data["test"]
    m = rollout_metrics(
        np.asarray(rollout(res.model, jnp.asarray(test[:, 0]), cfg.horizon)), test[:, 1:], mid
    )
    for ood_name in ("ood_nu", "ood_amp"):
        ood = data[ood_name]
        p = np.asarray(rollout(res.model, jnp.asarray(ood[:, 0]), cfg.horizon))
        om = rollout_metrics(p, ood[:, 1:], mid)
        m[f"{ood_name}_rel_l2_mid"] = om["rel_l2_mid"]
        m[f"{ood_name}_blowup_rate"] = om["blowup_rate"]
        m[f"{ood_name}_fail_rate"] = om["fail_rate"]
    mean, sem = mean_and_sem(m.pop("rel_l2_final_all"))
    m.update(
        rel_l2_final_mean=float(mean),
        rel_l2_final_sem=float(sem),
        train_time_s=res.time_s,
        compile_s=res.compile_s,
        train_memory_mb=mem["total"] / 2**20,
        final_loss=float(np.mean(res.losses[-10:])),
        unroll_k=k,
    )
    return m, res.model


#: per-seed metrics whose mean, SEM and paired difference to ``plain`` are reported
SEED_METRICS = (
    "rel_l2_mid",
    "rel_l2_final",
    "t_fail",
    "fail_rate",
    "growth_rate",
    "high_k_energy_ratio",
    "shock_steepness_ratio",
    "ood_nu_rel_l2_mid",
    "ood_amp_rel_l2_mid",
    "blowup_rate",
    "ood_nu_fail_rate",
    "ood_amp_fail_rate",
    "ood_amp_blowup_rate",
)


def step_maps(cfg: JawsConfig, ctx: Run, data: dict, key) -> tuple[dict, dict, dict, dict]:
    """Train every variant over ``cfg.seeds`` seeds (same data, optimiser, batch, steps;
    within a seed the same initialisation). Returns the table (seed 0's row, as a
    one-seed run reports it, plus ``seeds_mean``/``seeds_sem`` of SEED_METRICS), the
    seed-0 curves and models, and the per-seed values of SEED_METRICS."""
    table, curves, models, per_seed = {}, {}, {}, {}
    for name in cfg.variants:
        rows = []
        for r in range(cfg.seeds):
            m, model = train_variant(cfg, ctx, data, key, name, seed=r)
            if r == 0:
                models[name] = model
                curves[name] = m["rel_l2_t"]
                curves[f"spectrum_{name}"] = m["spectrum_pred"]
                curves["spectrum_truth"] = m["spectrum_true"]
            for k in ("rel_l2_t", "spectrum_pred", "spectrum_true"):
                m.pop(k)
            rows.append(m)
        per_seed[name] = {k: np.array([row[k] for row in rows]) for k in SEED_METRICS}
        table[name] = dict(rows[0])
        if cfg.seeds > 1:
            stats = {k: mean_and_sem(v) for k, v in per_seed[name].items()}
            table[name]["seeds_mean"] = {k: float(v[0]) for k, v in stats.items()}
            table[name]["seeds_sem"] = {k: float(v[1]) for k, v in stats.items()}
    return table, curves, models, per_seed


def paired_differences(per_seed: dict, reference: str = "plain") -> dict:
    """Mean and 95 % Student-t interval over seeds of (variant - reference) for each
    metric: seed r of every variant shares its initialisation, so the pairs cancel
    seed-to-seed variation. Empty with fewer than two seeds or no reference."""
    if reference not in per_seed:
        return {}
    out = {}
    for name, metrics in per_seed.items():
        if name == reference:
            continue
        row = {}
        for k, v in metrics.items():
            d = v - per_seed[reference][k]
            if np.sum(np.isfinite(d)) < 2:
                continue
            mean, lo, hi = t_interval(d)
            row[k] = {"mean": float(mean), "ci95": [float(lo), float(hi)]}
        out[name] = row
    return out


def lam_sweep(cfg: JawsConfig, ctx: Run, data: dict, key) -> dict:
    """The contraction-dissipation trade-off: the global and JAWS variants (seed 0)
    trained at each λ of ``cfg.lam_sweep``; per λ the one-step and final errors, the
    time to failure, the high-wavenumber energy and the shock steepness."""
    keys = ("rel_l2_1", "rel_l2_final", "t_fail", "high_k_energy_ratio", "shock_steepness_ratio")
    out = {}
    for name in ("global", "jaws"):
        rows = []
        for lam in cfg.lam_sweep:
            m, _ = train_variant(cfg, ctx, data, key, name, lam=lam)
            m["rel_l2_1"] = float(m["rel_l2_t"][0])
            rows.append([m[k] for k in keys])
        out[name] = {k: [row[i] for row in rows] for i, k in enumerate(keys)}
    out["lam"] = list(cfg.lam_sweep)
    return out


def classic_map(cfg: JawsConfig, ctx: Run, key) -> dict:
    """The classic FNO map u0 -> u(t = 1) at ν = 0.1, relative-L2 loss (Li et al. 2021)."""
    n = cfg.classic_train + cfg.classic_test
    data = BurgersDataConfig(
        seed=cfg.seed + 10,
        n_traj=n,
        nu=0.1,
        n_steps=1,
        dt_save=1.0,
        n_solver=cfg.classic_n_solver,
        n_grid=cfg.classic_s,
        dt_solver=min(1e-3, 0.5 / cfg.classic_n_solver),
    )
    u = burgers_dataset(data)["u"].astype(np.float32)
    x, y = jnp.asarray(u[:, 0]), jnp.asarray(u[:, 1])
    ntr = cfg.classic_train
    model = FNO1d(
        1,
        1,
        cfg.classic_width,
        cfg.modes,
        cfg.layers,
        key=jax.random.fold_in(key, 7),
        dtype=jnp.float32,
    )

    def rel(pred, y):
        return jnp.linalg.norm(pred - y, axis=-1) / jnp.linalg.norm(y, axis=-1)

    def loss(m, b, k):
        pred = jax.vmap(lambda u: m(u[None])[0])(b[0])
        return jnp.mean(rel(pred, b[1]))  # relative L2 loss, as Li et al. train

    def batch_fn(kb):
        i = jax.random.randint(kb, (min(20, ntr),), 0, ntr)
        return x[i], y[i]

    lr = cfg.lr if cfg.classic_lr is None else cfg.classic_lr
    opt = optax.adam(optax.cosine_decay_schedule(lr, cfg.classic_steps, alpha=0.02))
    res = ctx.train(
        "classic",
        loss,
        model,
        batch_fn,
        optimizer=opt,
        steps=cfg.classic_steps,
        key=jax.random.fold_in(key, 8),
    )
    pred = jax.vmap(lambda u: res.model(u[None])[0])(x[ntr:])
    err = rel(pred, y[ntr:])
    _, sem = mean_and_sem(np.asarray(err))
    return {"rel_l2": float(jnp.mean(err)), "rel_l2_sem": float(sem), "time_s": res.time_s}


@experiment("jaws", paper="16", presets=PRESETS)
def run(cfg: JawsConfig, ctx: Run) -> dict:
    """JAWS vs plain / global-Jacobian / unrolled FNO step maps on shock-forming Burgers."""
    H, s = cfg.horizon, cfg.seed
    with ctx.stage("data"):
        data = {
            "train": burgers(cfg, s, cfg.n_train, cfg.nu, 1.0),
            "test": burgers(cfg, s + 1, cfg.n_test, cfg.nu, 1.0),
            "ood_nu": burgers(cfg, s + 2, cfg.n_test, cfg.nu_ood, 1.0),
            "ood_amp": burgers(cfg, s + 3, cfg.n_test, cfg.nu, cfg.amp_ood),
        }
    key = jax.random.PRNGKey(s)
    mid = H // 4
    with ctx.stage("step_maps"):
        table, curves, models, per_seed = step_maps(cfg, ctx, data, key)
    sweep = None
    if cfg.lam_sweep:
        with ctx.stage("lam_sweep"):
            sweep = lam_sweep(cfg, ctx, data, key)
    with ctx.stage("classic_map"):
        classic = classic_map(cfg, ctx, key)

    with ctx.stage("figures"):
        t = cfg.dt_model * np.arange(1, H + 1)
        ctx.savefig(
            fig_rollout(t, curves, cfg.variants, nu=cfg.nu, n_grid=cfg.n_grid), "jaws_rollout"
        )
        u0 = jnp.asarray(data["test"][:1, 0])
        shown = [n for n in ("plain", "global", "jaws", "unroll_jaws") if n in models]
        snapshots = {n: np.asarray(rollout(models[n], u0, mid + 1))[0, -1] for n in shown}
        hetero = next(n for n in ("jaws", "unroll_jaws", None) if n is None or n in models)
        weights = None
        if hetero is not None:
            _, logvar = models[hetero].mean_and_logvar(jnp.asarray(data["test"][0, mid]))
            weights = np.asarray(jaws_weights(logvar))
        ctx.savefig(
            fig_shock(
                np.arange(cfg.n_grid) / cfg.n_grid,
                data["test"][0, mid + 1],
                snapshots,
                weights,
                t_mid=(mid + 1) * cfg.dt_model,
            ),
            "jaws_shock",
        )
        ctx.savefig(
            fig_cost_ood(
                table,
                cfg.variants,
                steps=cfg.steps,
                nu_ood=cfg.nu_ood,
                amp_ood=cfg.amp_ood,
                t_mid=(mid + 1) * cfg.dt_model,
            ),
            "jaws_cost_ood",
        )
        if cfg.seeds > 1:
            ctx.savefig(fig_seeds(per_seed, cfg.variants, dt=cfg.dt_model), "jaws_seeds")
        if sweep is not None:
            ctx.savefig(fig_lam_sweep(sweep, lam0=cfg.lam, dt=cfg.dt_model), "jaws_lam_sweep")
    ctx.save_arrays(
        "jaws_curves",
        t=t,
        **{f"rel_l2_{n}": curves[n] for n in cfg.variants},
        **{k: v for k, v in curves.items() if k.startswith("spectrum_")},
    )

    results: dict = {"table": table}
    results["classic_rel_l2"] = number(
        classic["rel_l2"],
        literature=2e-3,
        note=(
            f"u0 -> u(1), nu=0.1, s={cfg.classic_s}, {cfg.classic_train} training samples, "
            f"{cfg.classic_steps} Adam steps (SEM over test samples "
            f"{classic['rel_l2_sem']:.1e}); literature: FNO with 1000 samples at "
            "s=1024-8192 (Li et al. 2021, as quoted in the task brief)"
        ),
    )
    results["classic_train_time_s"] = classic["time_s"]
    for name in ("rel_l2_final", "blowup_rate", "high_k_energy_ratio", "train_memory_mb"):
        results[name] = {n: table[n][name] for n in cfg.variants}
    results["rel_l2_vs_time"] = {n: curves[n] for n in cfg.variants}
    results["t_fail_steps"] = {n: table[n]["t_fail"] for n in cfg.variants}
    if cfg.seeds > 1:
        results["per_seed"] = per_seed
        results["vs_plain"] = paired_differences(per_seed)
    if sweep is not None:
        results["lam_sweep"] = sweep
    return results
