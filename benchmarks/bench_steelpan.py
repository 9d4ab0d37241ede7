"""Synthetic ESPI data and fringe-detector training (paper 5) against NumPy and PyTorch.

1. Data generation, images per second, of the steelpan experiment's images (64 x 64 and
   128 x 128, up to 4 antinode regions, blur 0.5 px, background fringes, noise 0.1):
   * ``jaxdyn espi.generate_batch``: one jit-compiled, vmapped program per batch;
   * ``NumPy + scikit-image loop``: what a user would write: labels from a NumPy
     ``Generator`` (the same distributions), the fringe pattern and background evaluated
     on the pixel grid with NumPy, ``skimage.filters.gaussian`` for the blur, a Python
     loop over images.
   Equal answers: both renderers draw the same labels and the same background parameters
   and noise (taken from the JAX keys) and must give the same image to float32 round-off
   (the maximum difference is printed and stored).
2. Training, optimiser steps per second of the experiment's detector
   (:class:`jaxdyn.models.fringe_detector.FringeDetector`: 3 conv blocks of width 16-64 on
   64 x 64 images, batch 24, Adam, the experiment's detection loss):
   * ``jaxdyn train (fresh images each step)``: the experiment's path: every step
     generates its batch and takes an Adam step, all in one compiled step;
   * ``jaxdyn train (fixed batch)``: the same loop on one pre-generated batch;
   * ``PyTorch (fixed batch)``: the same network (weights copied from the equinox model,
     forward outputs checked equal) and the same loss, ``torch.optim.Adam``;
   * ``PyTorch + NumPy images each step``: the alternative pipeline end to end, fresh
     images from the NumPy generator each step;
   * ``... forward only``: the network's forward pass on the batch (no gradient), to
     separate the forward from the backward pass.

Everything runs on one thread (``single_thread``; ``torch.set_num_threads(1)``). Run
``.venv/bin/python benchmarks/bench_steelpan.py [--quick]`` (needs the ``bench`` extra:
torch, scikit-image).
"""

from __future__ import annotations

import argparse
import math
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from _common import load_average, machine, single_thread, table, timeit_many, write  # noqa: E402

single_thread()

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402
import skimage.filters  # noqa: E402
import torch  # noqa: E402

from jaxdyn.data import espi  # noqa: E402
from jaxdyn.models import fringe_detector as fd  # noqa: E402
from jaxdyn.models.training import train  # noqa: E402

torch.set_num_threads(1)

GEN = {"max_antinodes": 4, "max_rings": 11, "blur": 0.5, "background": 0.3, "min_spacing": 3.0}
NOISE = 0.1


# ------------------------------------------------------------------ NumPy generator
def numpy_labels(rng: np.random.Generator, shape, max_antinodes, max_rings, min_spacing):
    """The distributions of :func:`jaxdyn.data.espi.sample_labels`, drawn with NumPy."""
    A, (H, W) = max_antinodes, shape
    L = espi.layout_size(A)
    bh, bw = H / L, W / L
    a_max = espi.max_semi_axis(shape, A)
    n_max = espi.max_resolvable_rings(shape, A, max_rings, min_spacing)
    count = rng.integers(0, A + 1)
    blocks = rng.permutation(L * L)[:count]
    rings = rng.integers(0, n_max + 1, count)
    b_lo = np.maximum(3.0, (rings + 0.5) * min_spacing)
    a = b_lo + (a_max - b_lo) * rng.random(count)
    b_from = np.maximum(b_lo, 0.6 * a)
    b = b_from + (a - b_from) * rng.random(count)
    theta = np.pi * rng.random(count)
    u = rng.random((count, 2))
    row = (blocks // L) * bh + a + (bh - 2 * a) * u[:, 0]
    col = (blocks % L) * bw + a + (bw - 2 * a) * u[:, 1]
    return {"centers": np.stack([row, col], -1), "axes": np.stack([a, b], -1),
            "angles": theta, "rings": rings}  # fmt: skip


def numpy_render(labels, shape, blur, background, wave_params, noise_field):
    """The image of ``labels`` (fringes inside the ellipses, a background wave outside,
    Gaussian blur with reflecting edges, additive noise), in NumPy and scikit-image."""
    H, W = shape
    rows, cols = np.meshgrid(np.arange(H, dtype=float), np.arange(W, dtype=float), indexing="ij")
    img = np.zeros(shape)
    inside = np.zeros(shape, bool)
    for (r0, c0), (a, b), th, n in zip(
        labels["centers"], labels["axes"], labels["angles"], labels["rings"], strict=True
    ):
        dy, dx = rows - r0, cols - c0
        u = dx * np.cos(th) + dy * np.sin(th)
        v = -dx * np.sin(th) + dy * np.cos(th)
        r = np.sqrt((u / a) ** 2 + (v / b) ** 2)
        m = r < 1.0
        img[m] += np.cos(np.pi * (n + 0.5) * r[m]) ** 2
        inside |= m
    phi, period, phase = wave_params
    wave = 0.5 * (
        1 + np.cos(2 * np.pi * (cols * np.cos(phi) + rows * np.sin(phi)) / period + phase)
    )
    img = np.where(inside, img, background * wave)
    # jaxdyn's kernel has radius ceil(3 sigma) and mirrors about the edge pixel (scipy's
    # 'mirror'); the same truncation here, so both compute the same convolution
    truncate = math.ceil(3 * blur) / blur
    img = skimage.filters.gaussian(img, sigma=blur, mode="mirror", truncate=truncate)
    return img + noise_field


def numpy_generate(rng, n, shape):
    out = np.empty((n, *shape), np.float32)
    for i in range(n):
        lab = numpy_labels(rng, shape, GEN["max_antinodes"], GEN["max_rings"], GEN["min_spacing"])
        wave = (2 * np.pi * rng.random(), rng.uniform(6.0, 16.0), 2 * np.pi * rng.random())
        noise = NOISE * rng.standard_normal(shape)
        out[i] = numpy_render(lab, shape, GEN["blur"], GEN["background"], wave, noise)
    return out


def equal_answers(shape, n=8) -> float:
    """Largest |jaxdyn image - NumPy image| over ``n`` images rendered from the same labels,
    background parameters and noise (those taken from jaxdyn's keys)."""
    key = jax.random.PRNGKey(7)
    worst = 0.0
    for i in range(n):
        k = jax.random.fold_in(key, i)
        img, lab = espi.generate(k, shape=shape, noise=NOISE, **GEN)
        # the key split of espi._generate / espi.render, to recover the same draws
        _, k_img = jax.random.split(k)
        k_dir, k_per, k_ph, k_noise = jax.random.split(k_img, 4)
        wave = (
            float(2 * jnp.pi * jax.random.uniform(k_dir)),
            float(jax.random.uniform(k_per, minval=6.0, maxval=16.0)),
            float(2 * jnp.pi * jax.random.uniform(k_ph)),
        )
        noise = NOISE * np.asarray(jax.random.normal(k_noise, shape, img.dtype), float)
        m = np.asarray(lab["mask"])
        lab_np = {k2: np.asarray(v, float)[m] for k2, v in lab.items() if k2 != "mask"}
        ref = numpy_render(lab_np, shape, GEN["blur"], GEN["background"], wave, noise)
        worst = max(worst, float(np.max(np.abs(ref - np.asarray(img, float)))))
    return worst


def bench_generation(quick: bool):
    rows, checks = [], {}
    for size in (64, 128):
        shape = (size, size)
        n = 256 if quick else 1024
        n_np = max(16, n // 8)  # the loop is slow: time fewer images, scale per image
        key = jax.random.PRNGKey(0)
        rng = np.random.default_rng(0)
        fns = {
            f"jaxdyn espi.generate_batch {size}x{size}": lambda s=shape, n=n: jax.block_until_ready(
                espi.generate_batch(key, n, shape=s, noise=NOISE, **GEN)
            ),
            f"NumPy + scikit-image loop {size}x{size}": lambda s=shape: numpy_generate(
                rng, n_np, s
            ),
        }
        times = timeit_many(fns, repeat=3 if quick else 5, warmup=1)
        for name, t in times.items():
            count = n if name.startswith("jaxdyn") else n_np
            rows.append({"name": name, "time_s": t / count * n, "images_per_s": count / t})
        checks[f"max_abs_diff_{size}"] = equal_answers(shape)
    return rows, checks


# ------------------------------------------------------------------ training
class TorchDetector(torch.nn.Module):
    """The same architecture as :class:`FringeDetector`, weights copied from it."""

    def __init__(self, model: fd.FringeDetector):
        super().__init__()

        def conv(layer):
            w = np.asarray(layer.weight)
            c = torch.nn.Conv2d(
                w.shape[1],
                w.shape[0],
                w.shape[2],
                stride=tuple(layer.stride),
                padding=int(layer.padding[0][0]),
            )
            with torch.no_grad():
                c.weight.copy_(torch.from_numpy(w.copy()))
                c.bias.copy_(torch.from_numpy(np.array(layer.bias).reshape(-1)))
            return c

        layers = []
        for c1, c2 in model.blocks:
            layers += [conv(c1), torch.nn.ReLU(), conv(c2), torch.nn.ReLU()]
        layers += [conv(model.head[0]), torch.nn.ReLU(), conv(model.head[1])]
        self.net = torch.nn.Sequential(*layers)

    def forward(self, images):  # (B, H, W) -> (B, S, S, 6)
        return self.net((images - 0.5)[:, None]).permute(0, 2, 3, 1)


def torch_loss(raw, target, cell, positive_weight=4.0, geometry_weight=5.0, ring_weight=1.0):
    """:func:`jaxdyn.models.fringe_detector.loss` in PyTorch."""
    obj = target[..., 0]
    bce = torch.nn.functional.binary_cross_entropy_with_logits(raw[..., 0], obj, reduction="none")
    bce = torch.mean(bce * (1.0 + (positive_weight - 1.0) * obj))
    n_pos = torch.clamp(obj.sum(), min=1.0)
    off = torch.sigmoid(raw[..., 1:3]) - target[..., 1:3]
    safe_axes = torch.where(
        obj[..., None] > 0, target[..., 3:5], torch.full_like(obj[..., None], cell)
    )
    log_axes = raw[..., 3:5] - torch.log(safe_axes / cell)
    geo = (off**2).sum(-1) + (log_axes**2).sum(-1)
    ring = torch.nn.functional.huber_loss(raw[..., 5], target[..., 5], reduction="none", delta=1.0)
    return bce + torch.sum(obj * (geometry_weight * geo + ring_weight * ring)) / n_pos


def bench_training(quick: bool):
    steps = 20 if quick else 100
    batch, size = 24, 64
    shape = (size, size)
    model = fd.FringeDetector(shape, 3, 16, key=jax.random.PRNGKey(1))
    grid, cell = model.grid, model.cell

    def fresh(key):
        k_img, k_noise = jax.random.split(key)
        noise = 0.3 * jax.random.uniform(k_noise, (batch,))

        def one(k, s):
            image, labels = espi.generate(k, shape=shape, noise=s, **GEN)
            return image, fd.encode(labels, grid, cell)

        return jax.vmap(one)(jax.random.split(k_img, batch), noise)

    fixed = jax.jit(fresh)(jax.random.PRNGKey(2))

    def loss_fn(m, b, key):
        return fd.loss(m(b[0]), b[1], cell)

    opt = optax.adam(2e-3)

    def ours(batch_fn):
        def go():
            r = train(loss_fn, model, batch_fn, optimizer=opt, steps=steps,
                      key=jax.random.PRNGKey(3), progress=False, log_every=steps)  # fmt: skip
            jax.block_until_ready(r.model)

        return go

    net = TorchDetector(model)
    x = torch.from_numpy(np.array(fixed[0]))
    y = torch.from_numpy(np.array(fixed[1]))
    with torch.no_grad():
        diff_out = float(np.max(np.abs(net(x).numpy() - np.asarray(model(fixed[0])))))
        diff_loss = abs(float(torch_loss(net(x), y, cell)) - float(loss_fn(model, fixed, None)))

    def theirs(fresh_numpy: bool):
        rng = np.random.default_rng(0)

        def go():
            net_t = TorchDetector(model)
            opt_t = torch.optim.Adam(net_t.parameters(), lr=2e-3)
            for _ in range(steps):
                if fresh_numpy:  # images from NumPy; targets are cheap, so reuse the fixed ones
                    xb = torch.from_numpy(numpy_generate(rng, batch, shape))
                else:
                    xb = x
                opt_t.zero_grad()
                loss = torch_loss(net_t(xb), y, cell)
                loss.backward()
                opt_t.step()

        return go

    fwd = jax.jit(lambda m, im: m(im))

    def torch_forward():
        with torch.no_grad():
            for _ in range(steps):
                net(x)

    fns = {
        "jaxdyn forward only": lambda: [
            jax.block_until_ready(fwd(model, fixed[0])) for _ in range(steps)
        ],
        "PyTorch forward only": torch_forward,
        "jaxdyn train (fresh images each step)": ours(fresh),
        "jaxdyn train (fixed batch)": ours(lambda k: fixed),
        "PyTorch (fixed batch)": theirs(False),
        "PyTorch + NumPy images each step": theirs(True),
    }
    times = timeit_many(fns, repeat=3, warmup=1)
    rows = [{"name": k, "time_s": t / steps, "steps_per_s": steps / t} for k, t in times.items()]
    checks = {"max_abs_diff_forward": diff_out, "abs_diff_loss": diff_loss}
    return rows, checks, {"steps": steps, "batch": batch, "image": size, "stages": 3, "width": 16}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    print("== synthetic ESPI images (one thread)", flush=True)
    gen_rows, gen_checks = bench_generation(args.quick)
    for size in (64, 128):
        rows = [r for r in gen_rows if r["name"].endswith(f"{size}x{size}")]
        print(table(rows, f"jaxdyn espi.generate_batch {size}x{size}"))
    for r in gen_rows:
        print(f"  {r['name']:44s} {r['images_per_s']:10.4g} images/s")
    print("  equal answers, max |jaxdyn - NumPy|:", gen_checks)
    print("== detector training (one thread)", flush=True)
    tr_rows, tr_checks, tr_cfg = bench_training(args.quick)
    print(table(tr_rows, "jaxdyn train (fresh images each step)"))
    print("  (forward-only rows: time per forward pass)")
    for r in tr_rows:
        print(f"  {r['name']:44s} {r['steps_per_s']:10.4g} steps/s")
    print("  equal answers:", tr_checks)
    g64 = {r["name"].split(" ")[0]: r["images_per_s"] for r in gen_rows if "64x64" in r["name"]}
    tr = {r["name"]: r["steps_per_s"] for r in tr_rows}
    fixed_ratio = tr["jaxdyn train (fixed batch)"] / tr["PyTorch (fixed batch)"]
    fresh_ratio = (
        tr["jaxdyn train (fresh images each step)"] / tr["PyTorch + NumPy images each step"]
    )
    fwd_ratio = tr["jaxdyn forward only"] / tr["PyTorch forward only"]
    print(
        f"README: steelpan images {g64['jaxdyn'] / g64['NumPy']:.1f}x NumPy+scikit-image (64x64); "
        f"detector training {fixed_ratio:.2f}x PyTorch's steps/s on a fixed batch, "
        f"{fresh_ratio:.2f}x with fresh images each step; forward pass {fwd_ratio:.2f}x"
    )
    payload = {
        "machine": machine("optax", "torch", "scikit-image"),
        "load_average": load_average(),
        "quick": args.quick,
        "generation": {"config": GEN | {"noise": NOISE}, "rows": gen_rows, "checks": gen_checks},
        "training": {"config": tr_cfg, "rows": tr_rows, "checks": tr_checks},
    }
    path = write("steelpan_quick" if args.quick else "steelpan", payload)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
