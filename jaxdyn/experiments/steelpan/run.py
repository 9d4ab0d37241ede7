"""The computation of the steelpan experiment (see the package docstring)."""

from __future__ import annotations

import equinox as eqx
import jax
import numpy as np
import optax

from ...data import espi
from ...models import fringe_detector as fd
from .._kit import Run, experiment, number
from .config import PRESETS, SteelpanConfig
from .figures import fig_examples, fig_noise

#: paper 5 (SPNet): ring-count accuracy on its synthetic test set
PAPER = {"ring_count_accuracy": 0.96}


def generator_kwargs(cfg: SteelpanConfig) -> dict:
    return {
        "shape": (cfg.image_size, cfg.image_size),
        "max_antinodes": cfg.max_antinodes,
        "max_rings": cfg.max_rings,
        "blur": cfg.blur,
        "background": cfg.background,
        "min_spacing": cfg.min_spacing,
    }


def make_loss(cell: float):
    def loss_fn(model: fd.FringeDetector, batch, key):
        images, targets = batch
        return fd.loss(model(images), targets, cell)

    return loss_fn


def batches(cfg: SteelpanConfig, grid: tuple[int, int], cell: float):
    """``batch_fn(key)``: ``cfg.batch`` fresh images, noise levels uniform in
    [0, ``train_noise_max``], and their target grids."""
    kw = generator_kwargs(cfg)

    def one(key, noise):
        image, labels = espi.generate(key, noise=noise, **kw)
        return image, fd.encode(labels, grid, cell)

    def batch_fn(key):
        k_img, k_noise = jax.random.split(key)
        noise = cfg.train_noise_max * jax.random.uniform(k_noise, (cfg.batch,))
        return jax.vmap(one)(jax.random.split(k_img, cfg.batch), noise)

    return batch_fn


@eqx.filter_jit
def _grids(model: fd.FringeDetector, images):
    return fd.activate(model(images), model.cell)


def detect(model: fd.FringeDetector, images, cfg: SteelpanConfig) -> list[dict]:
    """Decoded detections of every image (NMS at ``nms_distance``)."""
    grids = np.asarray(_grids(model, images))
    nms = cfg.nms_distance if cfg.nms_distance > 0 else None
    return [fd.decode(g, model.cell, threshold=cfg.threshold, nms_distance=nms) for g in grids]


def score(dets: list[dict], labels: dict, radius: float) -> dict:
    """Precision, recall, F1, centre error and ring-count accuracy over a set of images."""
    tot = {"tp": 0, "n_det": 0, "n_true": 0, "center_error_sum": 0.0}
    tot |= {"ring_correct": 0, "ring_abs_error_sum": 0.0}
    labels = {k: np.asarray(v) for k, v in labels.items()}
    for i, d in enumerate(dets):
        m = fd.match(d, {k: v[i] for k, v in labels.items()}, radius)
        for k in tot:
            tot[k] += m[k]
    tp = tot["tp"]
    p = tp / tot["n_det"] if tot["n_det"] else float("nan")
    r = tp / tot["n_true"] if tot["n_true"] else float("nan")
    return {
        "precision": p,
        "recall": r,
        "f1": 2 * p * r / (p + r) if tp else 0.0,
        "center_error_px": tot["center_error_sum"] / tp if tp else float("nan"),
        "ring_count_accuracy": tot["ring_correct"] / tp if tp else float("nan"),
        "ring_count_mae": tot["ring_abs_error_sum"] / tp if tp else float("nan"),
        "true_positives": tp,
        "detections": tot["n_det"],
        "regions": tot["n_true"],
    }


def evaluate(model, cfg: SteelpanConfig, key) -> dict:
    """The held-out set (at ``noise``) and the noise sweep: the same regions and noise
    pattern at every level (one key), so only the noise amplitude changes."""
    kw = generator_kwargs(cfg)
    images, labels = espi.generate_batch(key, cfg.n_test, noise=cfg.noise, **kw)
    dets = detect(model, images, cfg)
    held_out = score(dets, labels, cfg.match_radius)
    sweep = []
    for level in cfg.eval_noises:
        x, lab = espi.generate_batch(key, cfg.n_test, noise=level, **kw)
        sweep.append(score(detect(model, x, cfg), lab, cfg.match_radius))
    return {"held_out": held_out, "sweep": sweep, "images": images, "labels": labels, "dets": dets}


@experiment("steelpan", paper="5", presets=PRESETS)
def run(cfg: SteelpanConfig, ctx: Run) -> dict:
    """Counting fringes: a one-shot grid detector finds steelpan antinodes and counts rings."""
    if cfg.image_size % 2**cfg.stages:
        raise ValueError(
            f"image_size must be divisible by 2**stages = {2**cfg.stages}, got {cfg.image_size}"
        )
    shape = (cfg.image_size, cfg.image_size)
    espi.validate(
        shape,
        cfg.max_antinodes,
        cfg.max_rings,
        cfg.noise,
        cfg.blur,
        cfg.background,
        3.0,
        cfg.min_spacing,
    )
    n_max = espi.max_resolvable_rings(shape, cfg.max_antinodes, cfg.max_rings, cfg.min_spacing)
    k_model, k_train, k_test = jax.random.split(jax.random.PRNGKey(cfg.seed), 3)
    model = fd.FringeDetector(shape, cfg.stages, cfg.width, key=k_model)
    with ctx.stage("train"):
        opt = optax.adam(optax.cosine_decay_schedule(cfg.lr, cfg.steps, alpha=0.05))
        result = ctx.train(
            "detector",
            make_loss(model.cell),
            model,
            batches(cfg, model.grid, model.cell),
            optimizer=opt,
            steps=cfg.steps,
            key=k_train,
            log_every=max(1, min(50, cfg.steps)),
        )
        model = result.model
    with ctx.stage("evaluate"):
        ev = evaluate(model, cfg, k_test)
    held, sweep = ev["held_out"], ev["sweep"]
    n_show = min(8, cfg.n_test)
    with ctx.stage("figures"):
        dets = ev["dets"][:n_show]
        labels = {k: np.asarray(v)[:n_show] for k, v in ev["labels"].items()}
        ctx.savefig(fig_examples(np.asarray(ev["images"][:n_show]), labels, dets, cfg), "examples")
        ctx.savefig(fig_noise(cfg, sweep, PAPER), "accuracy_vs_noise")
    keys = ("precision", "recall", "f1", "center_error_px", "ring_count_accuracy", "ring_count_mae")
    ctx.save_arrays(
        "steelpan",
        losses=result.losses,
        eval_noises=np.asarray(cfg.eval_noises),
        **{k: np.asarray([s[k] for s in sweep], dtype=float) for k in keys},
    )
    tail = result.losses[-max(1, cfg.steps // 10) :]
    return {
        "ring_count_accuracy": number(
            held["ring_count_accuracy"],
            literature=PAPER["ring_count_accuracy"],
            note=f"matched detections whose rounded count is exact; noise {cfg.noise}, "
            f"{cfg.n_test} held-out {cfg.image_size}px images, rings 0..{n_max}",
        ),
        "precision": number(held["precision"], note=f"match radius {cfg.match_radius} px"),
        "recall": number(held["recall"]),
        "center_error_px": number(held["center_error_px"], note="mean over matches"),
        "held_out": held,
        "noise_sweep": {
            "noise": list(cfg.eval_noises),
            **{k: [s[k] for s in sweep] for k in keys},
        },
        "resolvable_max_rings": n_max,
        "train_loss_final": float(np.mean(tail)),
        "train_time_s": result.time_s + result.compile_s,
    }
