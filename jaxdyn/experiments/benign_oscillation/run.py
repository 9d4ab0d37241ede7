"""The computation of the benign_oscillation experiment (see the package docstring)."""

from __future__ import annotations

import jax
import numpy as np

from ...analysis.stats import mean_and_sem, wilson_interval
from ...core import Grid, simulate, status_counts
from ...systems.benign_sgd import FeatureNoiseSGD
from .._kit import Run, experiment, number
from .config import PRESETS, BenignOscillationConfig
from .figures import fig_accuracy, fig_phase, fig_training

#: paper 3's toy experiment: weak-only test accuracy, large vs small learning rate
PAPER = {"large": 0.99, "small": 0.94}


def system(cfg: BenignOscillationConfig, lr: float) -> FeatureNoiseSGD:
    return FeatureNoiseSGD(
        lr,
        cfg.weak,
        cfg.strong,
        cfg.rho,
        cfg.sigma,
        dim=cfg.dim,
        n_train=cfg.n_train,
        batch=min(cfg.batch, cfg.n_train),
        width=cfg.width,
        n_test=cfg.n_test,
    )


def _save_times(steps: int, every: int) -> np.ndarray:
    return np.unique(np.append(np.arange(0, steps + 1, every), steps)).astype(float)


def comparison(cfg: BenignOscillationConfig, ctx: Run) -> dict:
    """Small vs large learning rate, every seed (vmapped): losses and alignments at every
    step, test accuracies every ``acc_every`` steps."""
    T = cfg.steps
    ts = np.arange(0.0, T + 1.0)
    ts_acc = _save_times(T, cfg.acc_every)

    def member(sys, key):
        curves = simulate(sys, float(T), key=key, ts=ts, observable=sys.observables)
        acc = simulate(sys, float(T), key=key, ts=ts_acc, observable=sys.test_accuracy).ys
        return {**curves.ys, **acc, "status": curves.status}

    ds = ctx.sweep(
        "compare",
        member,
        system(cfg, cfg.lr_large),
        Grid.points(lr=[cfg.lr_small, cfg.lr_large]),
        seeds=cfg.seeds,
        key=jax.random.PRNGKey(cfg.seed),
        chunk_size=2 * cfg.seeds,
    )
    out = {k: ds[k].values for k in ds.data_vars if k != "status"}
    out["ts"], out["ts_acc"] = ts, ts_acc
    out["status"] = status_counts(ds)
    return out


def control(cfg: BenignOscillationConfig, ctx: Run) -> dict | None:
    """A stable learning rate given the large rate's budget η·steps: is the large rate's
    advantage the oscillation or only a longer effective time?"""
    if cfg.lr_control <= 0:
        return None
    T = int(round(cfg.steps * cfg.lr_large / cfg.lr_control))
    ts = _save_times(T, max(1, T // 40))

    def member(sys, key):
        obs = lambda t, y: {**sys.observables(t, y), **sys.test_accuracy(t, y)}
        traj = simulate(sys, float(T), key=key, ts=ts, observable=obs)
        return {**traj.ys, "status": traj.status}

    ds = ctx.sweep(
        "control",
        member,
        system(cfg, cfg.lr_control),
        Grid.points(lr=[cfg.lr_control]),
        seeds=cfg.seeds,
        key=jax.random.PRNGKey(cfg.seed),
        chunk_size=cfg.seeds,
    )
    out = {k: ds[k].values[0] for k in ds.data_vars if k != "status"}
    out["ts"], out["steps"] = ts, T
    return out


def phase_diagram(cfg: BenignOscillationConfig, ctx: Run) -> dict:
    """Final accuracies and alignments over (learning rate, weak-feature norm) x seeds."""
    T = cfg.phase_steps

    def member(sys, key):
        obs = lambda t, y: {**sys.observables(t, y), **sys.test_accuracy(t, y)}
        traj = simulate(sys, float(T), key=key, observable=obs)
        return {**{k: v[-1] for k, v in traj.ys.items()}, "status": traj.status}

    grid = Grid.product(lr=np.asarray(cfg.phase_lrs), weak=np.asarray(cfg.phase_weaks))
    ds = ctx.sweep(
        "phase",
        member,
        system(cfg, cfg.lr_large),
        grid,
        seeds=cfg.phase_seeds,
        key=jax.random.PRNGKey(cfg.seed + 1),
        chunk_size=64,
    )
    # A member whose state went non-finite is flagged by its status (its loss and accuracy
    # are not NaN but meaningless): it counts as diverged and stays out of the means.
    ok = ds["status"] == 0
    out = {
        k: ds[k].where(ok).mean("seed").values
        for k in ("acc", "acc_weak", "align_weak", "align_strong", "loss")
    }
    out["diverged"] = 1.0 - ok.mean("seed").values
    out["lrs"], out["weaks"] = np.asarray(cfg.phase_lrs), np.asarray(cfg.phase_weaks)
    out["status"] = status_counts(ds)
    return out


def _oscillation(loss: np.ndarray) -> dict[str, np.ndarray]:
    """Per member: the fraction of steps at which the training loss went up, and the mean
    |Δ log L| per step (both 0 for a monotone descent)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        dlog = np.abs(np.diff(np.log(loss), axis=-1))
    return {
        "increase_fraction": np.mean(np.diff(loss, axis=-1) > 0, axis=-1),
        "mean_abs_dlog": np.nanmean(dlog, axis=-1),
    }


def _ms(x) -> dict:
    x = np.asarray(x, dtype=float)
    if x.size < 2:
        return {"mean": float(np.mean(x)), "sem": None}
    m, se = mean_and_sem(x)
    return {"mean": float(m), "sem": float(se)}


def _acc_summary(acc: np.ndarray, n_test: int) -> dict:
    """Mean ± standard error over seeds and the pooled 95 % Wilson interval."""
    correct = int(np.round(np.sum(acc) * n_test))
    lo, hi = wilson_interval(correct, acc.size * n_test)
    return {**_ms(acc), "wilson95_pooled": [float(lo), float(hi)], "per_seed": acc.tolist()}


@experiment("benign_oscillation", paper="3", presets=PRESETS)
def run(cfg: BenignOscillationConfig, ctx: Run) -> dict:
    """Benign oscillation: large-step SGD learns the weak feature that small steps miss."""
    with ctx.stage("comparison"):
        cmp = comparison(cfg, ctx)
    with ctx.stage("control"):
        ctl = control(cfg, ctx)
    with ctx.stage("phase_diagram"):
        phase = phase_diagram(cfg, ctx)
    osc = _oscillation(cmp["loss"])
    with ctx.stage("figures"):
        ctx.savefig(fig_training(cmp, cfg, ctl), "training")
        ctx.savefig(fig_phase(phase, cfg), "phase_diagram")
        ctx.savefig(fig_accuracy(cmp, cfg, ctl, PAPER), "accuracy")
    ctx.save_arrays(
        "benign_oscillation",
        ts_acc=cmp["ts_acc"],
        acc=cmp["acc"],
        acc_weak=cmp["acc_weak"],
        align_weak_final=cmp["align_weak"][..., -1],
        align_strong_final=cmp["align_strong"][..., -1],
        phase_acc_weak=phase["acc_weak"],
        phase_align_weak=phase["align_weak"],
        phase_lrs=phase["lrs"],
        phase_weaks=phase["weaks"],
    )

    final = {}
    for i, name in enumerate(("small", "large")):
        final[name] = {
            "lr": (cfg.lr_small, cfg.lr_large)[i],
            "test_accuracy": _acc_summary(cmp["acc"][i, :, -1], cfg.n_test),
            "weak_only_test_accuracy": _acc_summary(cmp["acc_weak"][i, :, -1], cfg.n_test),
            "weak_alignment_final": _ms(cmp["align_weak"][i, :, -1]),
            "strong_alignment_final": _ms(cmp["align_strong"][i, :, -1]),
            "train_loss_final": _ms(cmp["loss"][i, :, -1]),
            "train_loss_strong_examples_final": _ms(cmp["loss_strong"][i, :, -1]),
            "train_loss_weak_only_examples_final": _ms(cmp["loss_weak"][i, :, -1]),
            "loss_increase_fraction": _ms(osc["increase_fraction"][i]),
            "loss_mean_abs_dlog_per_step": _ms(osc["mean_abs_dlog"][i]),
        }
    diff = cmp["acc_weak"][1, :, -1] - cmp["acc_weak"][0, :, -1]
    res = {
        "comparison": final,
        "weak_only_accuracy_large_minus_small": _ms(diff),
        "weak_only_accuracy_large": number(
            final["large"]["weak_only_test_accuracy"]["mean"],
            literature=PAPER["large"],
            note=f"lr={cfg.lr_large}, {cfg.seeds} seeds x {cfg.n_test} test examples",
        ),
        "weak_only_accuracy_small": number(
            final["small"]["weak_only_test_accuracy"]["mean"],
            literature=PAPER["small"],
            note=f"lr={cfg.lr_small}",
        ),
        "status": cmp["status"],
    }
    if ctl is not None:
        res["control_same_budget"] = {
            "lr": cfg.lr_control,
            "steps": ctl["steps"],
            "weak_only_test_accuracy": _acc_summary(ctl["acc_weak"][:, -1], cfg.n_test),
            "test_accuracy": _acc_summary(ctl["acc"][:, -1], cfg.n_test),
            "weak_alignment_final": _ms(ctl["align_weak"][:, -1]),
            "train_loss_final": _ms(ctl["loss"][:, -1]),
        }
    res["phase_diagram"] = {
        "lrs": phase["lrs"].tolist(),
        "weaks": phase["weaks"].tolist(),
        "weak_only_accuracy[lr][weak]": np.round(phase["acc_weak"], 4).tolist(),
        "weak_alignment[lr][weak]": np.round(phase["align_weak"], 4).tolist(),
        "diverged_fraction[lr][weak]": phase["diverged"].tolist(),
        "status": phase["status"],
    }
    return res
