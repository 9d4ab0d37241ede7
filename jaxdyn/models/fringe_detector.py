"""A compact one-shot, grid-based fringe detector (paper 5, after Hawley & Morrison's SPNet).

The image (H, W) is mapped by a small CNN (``stages`` blocks of a 3x3 convolution and a
stride-2 3x3 convolution, channel width doubling each block, then a 3x3 and a 1x1 head)
to an S x S grid, S = H / 2^stages, each cell predicting (the YOLO recipe, one object per
cell) six numbers:

* objectness logit: does the centre of an antinode region fall in this cell;
* centre offset within the cell, (row, col), through a sigmoid (fractions of a cell);
* semi-axes (a, b) as log(axis / cell size);
* the ring count, regressed directly (rounded when read).

:func:`encode` turns labels of :mod:`jaxdyn.data.espi` into the target grid in the
*activated* representation (objectness 0/1, offsets in [0, 1), axes in pixels, rings) that
:func:`activate` gives the network's raw output, and :func:`decode` reads detections out of
such a grid, so ``decode(encode(labels))`` returns the labels. :func:`loss` is binary
cross-entropy on objectness over every cell (object cells up-weighted) plus, over the
cells holding an object, squared error on the offsets and log-axes and a Huber loss on
the ring count.
:func:`match` scores detections against labels (greedy by score, by centre distance).
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
from jaxtyping import Array, PRNGKeyArray

#: channels of a grid cell: objectness, centre offset (row, col), semi-axes (a, b), rings
CHANNELS = ("objectness", "offset_row", "offset_col", "axis_a", "axis_b", "rings")


class FringeDetector(eqx.Module):
    """``model(image (H, W)) -> raw grid (S, S, 6)``; see the module docstring."""

    blocks: list
    head: list
    stages: int = eqx.field(static=True)
    image_size: tuple[int, int] = eqx.field(static=True)

    def __init__(
        self,
        image_size: tuple[int, int] = (64, 64),
        stages: int = 3,
        width: int = 16,
        *,
        key: PRNGKeyArray,
    ):
        H, W = image_size
        if not isinstance(stages, int) or not 1 <= stages <= 6:
            raise ValueError(f"stages must be an integer in [1, 6], got {stages!r}")
        if H % 2**stages or W % 2**stages:
            raise ValueError(
                f"image_size must be divisible by 2**stages = {2**stages}, got {image_size}"
            )
        if not isinstance(width, int) or not 1 <= width <= 1024:
            raise ValueError(f"width must be an integer in [1, 1024], got {width!r}")
        keys = jax.random.split(key, 2 * stages + 2)
        blocks, c_in = [], 1
        for i in range(stages):
            c = width * 2**i
            blocks.append(
                (
                    eqx.nn.Conv2d(c_in, c, 3, padding=1, key=keys[2 * i]),
                    eqx.nn.Conv2d(c, c, 3, stride=2, padding=1, key=keys[2 * i + 1]),
                )
            )
            c_in = c
        self.blocks = blocks
        self.head = [
            eqx.nn.Conv2d(c_in, c_in, 3, padding=1, key=keys[-2]),
            eqx.nn.Conv2d(c_in, len(CHANNELS), 1, key=keys[-1]),
        ]
        self.stages = stages
        self.image_size = (int(H), int(W))

    @property
    def grid(self) -> tuple[int, int]:
        return (self.image_size[0] // 2**self.stages, self.image_size[1] // 2**self.stages)

    @property
    def cell(self) -> float:
        return float(2**self.stages)

    def __call__(self, image: Array) -> Array:
        """Raw grid (S, S, 6) of one image (H, W), or (B, S, S, 6) of a batch (B, H, W).

        Call it on a batch rather than ``vmap`` it when training: a vmapped convolution's
        weight gradient is formed per image and then summed, ~20 % slower on the CPU."""
        x = (image - 0.5)[..., None, :, :]
        batched = x.ndim == 4
        x = x if batched else x[None]
        for conv, down in self.blocks:
            x = jax.nn.relu(_conv(conv, x))
            x = jax.nn.relu(_conv(down, x))
        x = jax.nn.relu(_conv(self.head[0], x))
        out = jnp.moveaxis(_conv(self.head[1], x), 1, -1)
        return out if batched else out[0]


def _conv(layer: eqx.nn.Conv2d, x: Array) -> Array:
    """``layer`` applied to a batch (B, C, H, W) in one convolution."""
    y = jax.lax.conv_general_dilated(
        x, layer.weight, layer.stride, layer.padding, dimension_numbers=("NCHW", "OIHW", "NCHW")
    )
    return y + layer.bias[None]


def encode(labels: dict[str, Array], grid: tuple[int, int], cell: float) -> Array:
    """Target grid (S, S, 6), activated representation, of one image's labels (jit-able).

    Each valid region goes to the cell holding its centre; masked ones are dropped."""
    c = labels["centers"]
    idx = jnp.floor(c / cell).astype(jnp.int32)
    off = c / cell - idx
    values = jnp.concatenate(
        [
            jnp.ones_like(off[:, :1]),
            off,
            labels["axes"],
            labels["rings"].astype(c.dtype)[:, None],
        ],
        axis=-1,
    )
    rows = jnp.where(labels["mask"], idx[:, 0], grid[0])  # out of range: dropped
    target = jnp.zeros((*grid, len(CHANNELS)), c.dtype)
    return target.at[rows, idx[:, 1]].set(values, mode="drop")


def activate(raw: Array, cell: float) -> Array:
    """The network's raw grid in the target representation: probability, offsets in
    (0, 1), axes in pixels, rings."""
    return jnp.concatenate(
        [
            jax.nn.sigmoid(raw[..., :3]),
            cell * jnp.exp(raw[..., 3:5]),
            raw[..., 5:],
        ],
        axis=-1,
    )


def loss(
    raw: Array,
    target: Array,
    cell: float,
    *,
    positive_weight: float = 4.0,
    geometry_weight: float = 5.0,
    ring_weight: float = 1.0,
    huber_delta: float = 1.0,
) -> Array:
    """Detection loss of raw grids (..., S, S, 6) against target grids of the same shape.

    Mean BCE on objectness over every cell (cells holding an object weighted
    ``positive_weight``: they are few), plus (summed over the cells holding an object,
    divided by their number) ``geometry_weight`` x squared error of offsets and log-axes
    and ``ring_weight`` x Huber loss of the ring count."""
    obj = target[..., 0]
    bce = optax.sigmoid_binary_cross_entropy(raw[..., 0], obj)
    bce = jnp.mean(bce * (1.0 + (positive_weight - 1.0) * obj))
    n_pos = jnp.maximum(obj.sum(), 1.0)
    off = jax.nn.sigmoid(raw[..., 1:3]) - target[..., 1:3]
    safe_axes = jnp.where(obj[..., None] > 0, target[..., 3:5], cell)
    log_axes = raw[..., 3:5] - jnp.log(safe_axes / cell)
    geo = jnp.sum(off**2, -1) + jnp.sum(log_axes**2, -1)
    ring = optax.huber_loss(raw[..., 5], target[..., 5], delta=huber_delta)
    return bce + jnp.sum(obj * (geometry_weight * geo + ring_weight * ring)) / n_pos


def decode(
    grid: Array | np.ndarray,
    cell: float,
    *,
    threshold: float = 0.5,
    nms_distance: float | None = None,
) -> dict[str, np.ndarray]:
    """Detections of one activated grid (S, S, 6), highest score first.

    Cells with objectness ≥ ``threshold`` give a detection (score, centre (row, col) in
    pixels, axes (a, b), rings (the regressed, unrounded count)); with ``nms_distance``,
    a detection whose centre lies within that many pixels of a higher-scoring one is
    suppressed."""
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold must lie in [0, 1], got {threshold!r}")
    if nms_distance is not None and not nms_distance >= 0:
        raise ValueError(f"nms_distance must be None or >= 0, got {nms_distance!r}")
    g = np.asarray(grid, dtype=float)
    if g.ndim != 3 or g.shape[-1] != len(CHANNELS):
        raise ValueError(f"grid must have shape (S, S, {len(CHANNELS)}), got {g.shape}")
    rows, cols = np.nonzero(g[..., 0] >= threshold)
    scores = g[rows, cols, 0]
    order = np.argsort(-scores, kind="stable")
    rows, cols, scores = rows[order], cols[order], scores[order]
    centers = (np.stack([rows, cols], -1) + g[rows, cols, 1:3]) * cell
    keep = np.ones(rows.size, bool)
    if nms_distance is not None:
        for i in range(rows.size):
            if keep[i]:
                d = np.linalg.norm(centers[i + 1 :] - centers[i], axis=-1)
                keep[i + 1 :] &= d > nms_distance
    return {
        "scores": scores[keep],
        "centers": centers[keep].reshape(-1, 2),
        "axes": g[rows, cols, 3:5][keep].reshape(-1, 2),
        "rings": g[rows, cols, 5][keep],
    }


def match(detections: dict[str, np.ndarray], labels: dict, radius: float) -> dict[str, float]:
    """Greedy matching (highest score first) of detections to one image's valid regions
    whose centres lie within ``radius`` pixels. Returns counts (true positives,
    detections, regions), the summed centre error of the matches, and the number of
    matches whose rounded ring count equals the true one."""
    mask = np.asarray(labels["mask"], bool)
    true_c = np.asarray(labels["centers"], float)[mask]
    true_n = np.asarray(labels["rings"])[mask]
    used = np.zeros(true_c.shape[0], bool)
    tp, err, ring_ok, ring_abs = 0, 0.0, 0, 0.0
    for c, n in zip(detections["centers"], detections["rings"], strict=True):
        if true_c.shape[0] == 0:
            break
        d = np.linalg.norm(true_c - c, axis=-1)
        d[used] = np.inf
        j = int(np.argmin(d))
        if d[j] <= radius:
            used[j] = True
            tp += 1
            err += float(d[j])
            ring_ok += int(np.rint(n) == true_n[j])
            ring_abs += float(abs(n - true_n[j]))
    return {
        "tp": tp,
        "n_det": int(len(detections["scores"])),
        "n_true": int(true_c.shape[0]),
        "center_error_sum": err,
        "ring_correct": ring_ok,
        "ring_abs_error_sum": ring_abs,
    }


__all__ = ["CHANNELS", "FringeDetector", "activate", "decode", "encode", "loss", "match"]
