"""Synthetic ESPI (electronic speckle pattern interferometry) images of steelpan drums.

After the synthetic training set of S. H. Hawley and A. C. Morrison's "SPNet" (paper 5,
"counting fringes"): a vibrating steelpan note seen through ESPI shows each antinode
region as an elliptical patch of concentric interference fringes; the number of bright
rings measures the vibration amplitude. An image here holds 0..``max_antinodes`` such
regions, each an ellipse (centre, semi-axes a ≥ b, angle θ of the major axis) whose
intensity inside is

    I(r) = cos²(π (n + ½) r),   r = √((u/a)² + (v/b)²)  (the normalised elliptical radius),

a bright centre (r = 0) and exactly ``n`` bright rings at r = k/(n + ½), k = 1..n,
falling to dark at the edge (r = 1), so the ring count is the number of intensity
maxima met walking from the centre to the edge along any radius, and a region with
n = 0 is a bright blob (still visible, still detectable). Outside the regions a
wave-like background fringe pattern (amplitude ``background``, random direction, period
and phase) stands in for the residual fringes of the un-vibrating drum; the image is then
blurred with a Gaussian of ``blur`` pixels and carries additive Gaussian noise of standard
deviation ``noise`` (the intensity scale is [0, 1]).

Placement: the image is divided into an L x L layout of blocks, L = ⌈√max_antinodes⌉,
and each region sits inside its own block (a random permutation of blocks), so regions
never overlap. Rings must stay resolvable: the ring count is drawn uniformly from
0..n_max with n_max = min(``max_rings``, ⌊a_max/``min_spacing`` - ½⌋) (a_max the largest
semi-axis that fits a block), and the minor semi-axis of a region with n rings is at
least (n + ½)·``min_spacing`` pixels, so that rings are at least ``min_spacing`` pixels
apart everywhere. :func:`max_resolvable_rings` gives n_max for a configuration.

Everything is pure ``jax.numpy``, deterministic in the key, and jit/vmap-able (the sizes,
``max_antinodes``, ``max_rings``, ``blur``, ``min_axis`` and ``min_spacing`` are static;
``noise`` and ``background`` may be traced, so one compiled generator serves a sweep of
noise levels). Labels (``centers`` as (row, col) pixels, ``axes`` (a, b), ``angles`` θ
in [0, π) measured from the column axis towards the row axis, ``rings`` and the validity
``mask``) have a fixed length ``max_antinodes``; entries past the image's count are zero
and masked.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, PRNGKeyArray

from ..core import is_concrete

LABEL_KEYS = ("centers", "axes", "angles", "rings", "mask")


def _check_number(name: str, value: Any, lo: float, hi: float) -> None:
    if not is_concrete(value):
        return
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number in [{lo}, {hi}], got {value!r}") from None
    if not np.all(np.isfinite(arr)) or np.any(arr < lo) or np.any(arr > hi):
        raise ValueError(f"{name} must be a finite number in [{lo}, {hi}], got {value!r}")


def _check_int(name: str, value: Any, lo: int, hi: float = math.inf) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or not lo <= value <= hi:
        raise ValueError(f"{name} must be an integer in [{lo}, {hi}], got {value!r}")
    return int(value)


def _check_shape(shape: Any) -> tuple[int, int]:
    if not isinstance(shape, tuple | list) or len(shape) != 2:
        raise ValueError(f"shape must be (height, width) with each in [16, 1024], got {shape!r}")
    return (_check_int("shape[0]", shape[0], 16, 1024), _check_int("shape[1]", shape[1], 16, 1024))


def layout_size(max_antinodes: int) -> int:
    """Blocks per side of the placement layout."""
    return max(1, math.ceil(math.sqrt(max_antinodes)))


def max_semi_axis(shape: tuple[int, int], max_antinodes: int) -> float:
    """The largest semi-axis a region may have (it fits its block with a margin)."""
    L = layout_size(max_antinodes)
    return 0.45 * min(shape[0], shape[1]) / L


def max_resolvable_rings(
    shape: tuple[int, int] = (64, 64),
    max_antinodes: int = 4,
    max_rings: int = 11,
    min_spacing: float = 2.5,
) -> int:
    """n_max: the largest ring count drawn for this configuration (see the module)."""
    a_max = max_semi_axis(tuple(shape), max_antinodes)
    return int(max(0, min(max_rings, math.floor(a_max / min_spacing - 0.5))))


def validate(
    shape, max_antinodes, max_rings, noise, blur, background, min_axis, min_spacing
) -> tuple[int, int]:
    """Check the generator's arguments; raise ``ValueError`` naming the first bad one."""
    shape = _check_shape(shape)
    _check_int("max_antinodes", max_antinodes, 0, 64)
    _check_int("max_rings", max_rings, 0, 100)
    _check_number("noise", noise, 0.0, 10.0)
    _check_number("blur", blur, 0.0, 10.0)
    _check_number("background", background, 0.0, 1.0)
    _check_number("min_spacing", min_spacing, 0.5, 100.0)
    a_max = max_semi_axis(shape, max(max_antinodes, 1))
    _check_number("min_axis", min_axis, 1.0, a_max)
    return shape


def sample_labels(
    key: PRNGKeyArray,
    *,
    shape: tuple[int, int] = (64, 64),
    max_antinodes: int = 4,
    max_rings: int = 11,
    min_axis: float = 3.0,
    min_spacing: float = 2.5,
) -> dict[str, Array]:
    """Random antinode labels (fixed length ``max_antinodes``, masked); see the module."""
    A = max_antinodes
    H, W = shape
    L = layout_size(A)
    bh, bw = H / L, W / L
    a_max = max_semi_axis(shape, A)
    n_max = max_resolvable_rings(shape, A, max_rings, min_spacing)
    if A == 0:
        z = jnp.zeros((0,))
        return {
            "centers": jnp.zeros((0, 2)),
            "axes": jnp.zeros((0, 2)),
            "angles": z,
            "rings": jnp.zeros((0,), jnp.int32),
            "mask": jnp.zeros((0,), bool),
        }
    k_n, k_perm, k_rings, k_a, k_b, k_th, k_pos = jax.random.split(key, 7)
    count = jax.random.randint(k_n, (), 0, A + 1)
    mask = jnp.arange(A) < count
    blocks = jax.random.permutation(k_perm, L * L)[:A]
    rings = jax.random.randint(k_rings, (A,), 0, n_max + 1)
    b_lo = jnp.maximum(min_axis, (rings + 0.5) * min_spacing)
    a = b_lo + (a_max - b_lo) * jax.random.uniform(k_a, (A,))
    b_from = jnp.maximum(b_lo, 0.6 * a)
    b = b_from + (a - b_from) * jax.random.uniform(k_b, (A,))
    theta = jnp.pi * jax.random.uniform(k_th, (A,))
    # centre: anywhere in the block that keeps the ellipse's bounding circle (radius a) in it
    u = jax.random.uniform(k_pos, (A, 2))
    row0 = (blocks // L) * bh
    col0 = (blocks % L) * bw
    row = row0 + a + (bh - 2 * a) * u[:, 0]
    col = col0 + a + (bw - 2 * a) * u[:, 1]
    m = mask.astype(a.dtype)
    return {
        "centers": jnp.stack([row, col], -1) * m[:, None],
        "axes": jnp.stack([a, b], -1) * m[:, None],
        "angles": theta * m,
        "rings": jnp.where(mask, rings, 0).astype(jnp.int32),
        "mask": mask,
    }


def elliptical_radius(labels: dict[str, Array], rows: Array, cols: Array) -> Array:
    """r of every point (rows, cols; same shape P) for every region: shape (A, *P).
    Masked regions get r = inf."""
    c = labels["centers"]
    expand = (slice(None),) + (None,) * rows.ndim
    dy = rows[None] - c[:, 0][expand]
    dx = cols[None] - c[:, 1][expand]
    th = labels["angles"][expand]
    u = dx * jnp.cos(th) + dy * jnp.sin(th)
    v = -dx * jnp.sin(th) + dy * jnp.cos(th)
    a = jnp.where(labels["mask"], labels["axes"][:, 0], 1.0)[expand]
    b = jnp.where(labels["mask"], labels["axes"][:, 1], 1.0)[expand]
    r = jnp.sqrt((u / a) ** 2 + (v / b) ** 2)
    return jnp.where(labels["mask"][expand], r, jnp.inf)


def fringes(labels: dict[str, Array], rows: Array, cols: Array) -> tuple[Array, Array]:
    """(intensity of the regions, inside mask) at the points (rows, cols): noise-free,
    blur-free, without background; regions never overlap, so the sum is exact."""
    r = elliptical_radius(labels, rows, cols)
    expand = (slice(None),) + (None,) * rows.ndim
    n = labels["rings"].astype(r.dtype)[expand]
    inside = r < 1.0
    inten = jnp.where(inside, jnp.cos(jnp.pi * (n + 0.5) * jnp.minimum(r, 1.0)) ** 2, 0.0)
    return jnp.sum(inten, 0), jnp.any(inside, 0)


def _gaussian_blur(img: Array, sigma: float) -> Array:
    if sigma <= 0:
        return img
    radius = max(1, math.ceil(3 * sigma))
    x = np.arange(-radius, radius + 1, dtype=float)
    k = np.exp(-0.5 * (x / sigma) ** 2)
    k = k / k.sum()
    pad = jnp.pad(img, radius, mode="reflect")
    H, W = img.shape
    # separable, as a sum of 2r + 1 shifted slices per axis: a short kernel this way is
    # ~10x faster on the CPU than a vmapped jnp.convolve (lowered to a batched conv)
    rows = sum(float(k[j]) * pad[j : j + H, :] for j in range(2 * radius + 1))
    return sum(float(k[j]) * rows[:, j : j + W] for j in range(2 * radius + 1))


def render(
    key: PRNGKeyArray,
    labels: dict[str, Array],
    *,
    shape: tuple[int, int] = (64, 64),
    noise: float | Array = 0.1,
    blur: float = 0.7,
    background: float | Array = 0.3,
) -> Array:
    """The image (H, W) of ``labels``: fringes, background pattern, blur, noise.

    ``key`` draws the background pattern and the noise only (not the regions)."""
    H, W = shape
    rows, cols = jnp.meshgrid(jnp.arange(H, dtype=float), jnp.arange(W, dtype=float), indexing="ij")
    img, inside = fringes(labels, rows, cols)
    k_dir, k_per, k_ph, k_noise = jax.random.split(key, 4)
    phi = 2 * jnp.pi * jax.random.uniform(k_dir)
    period = jax.random.uniform(k_per, minval=6.0, maxval=16.0)
    phase = 2 * jnp.pi * jax.random.uniform(k_ph)
    wave = 0.5 * (
        1 + jnp.cos(2 * jnp.pi * (cols * jnp.cos(phi) + rows * jnp.sin(phi)) / period + phase)
    )
    img = jnp.where(inside, img, background * wave)
    img = _gaussian_blur(img, blur)
    return img + noise * jax.random.normal(k_noise, img.shape, img.dtype)


@functools.partial(
    jax.jit,
    static_argnames=("shape", "max_antinodes", "max_rings", "blur", "min_axis", "min_spacing"),
)
def _generate(
    key, noise, background, *, shape, max_antinodes, max_rings, blur, min_axis, min_spacing
):
    k_lab, k_img = jax.random.split(key)
    labels = sample_labels(
        k_lab,
        shape=shape,
        max_antinodes=max_antinodes,
        max_rings=max_rings,
        min_axis=min_axis,
        min_spacing=min_spacing,
    )
    img = render(k_img, labels, shape=shape, noise=noise, blur=blur, background=background)
    return img, labels


def generate(
    key: PRNGKeyArray,
    *,
    shape: tuple[int, int] = (64, 64),
    max_antinodes: int = 4,
    max_rings: int = 11,
    noise: float | Array = 0.1,
    blur: float = 0.7,
    background: float | Array = 0.3,
    min_axis: float = 3.0,
    min_spacing: float = 2.5,
) -> tuple[Array, dict[str, Array]]:
    """One synthetic ESPI image (H, W) and its labels, deterministic in ``key``.

    The regions are drawn from one half of ``key`` and the background and noise from the
    other, so images generated from one key at several ``noise`` levels show the same
    regions and the same noise pattern, scaled.
    """
    shape = validate(
        shape, max_antinodes, max_rings, noise, blur, background, min_axis, min_spacing
    )
    return _generate(
        key,
        jnp.asarray(noise, dtype=float),
        jnp.asarray(background, dtype=float),
        shape=shape,
        max_antinodes=max_antinodes,
        max_rings=max_rings,
        blur=float(blur),
        min_axis=float(min_axis),
        min_spacing=float(min_spacing),
    )


@functools.partial(
    jax.jit,
    static_argnames=("n", "shape", "max_antinodes", "max_rings", "blur", "min_axis", "min_spacing"),
)
def _generate_batch(key, noise, background, *, n, **static):
    keys = jax.vmap(lambda i: jax.random.fold_in(key, i))(jnp.arange(n))
    return jax.vmap(lambda k: _generate(k, noise, background, **static))(keys)


def generate_batch(
    key: PRNGKeyArray,
    n: int,
    *,
    shape: tuple[int, int] = (64, 64),
    max_antinodes: int = 4,
    max_rings: int = 11,
    noise: float | Array = 0.1,
    blur: float = 0.7,
    background: float | Array = 0.3,
    min_axis: float = 3.0,
    min_spacing: float = 2.5,
) -> tuple[Array, dict[str, Array]]:
    """``n`` images (n, H, W) and labels (leading axis n): image i is
    ``generate(fold_in(key, i), ...)`` (one compiled program per configuration)."""
    n = _check_int("n", n, 1, 10**7)
    shape = validate(
        shape, max_antinodes, max_rings, noise, blur, background, min_axis, min_spacing
    )
    return _generate_batch(
        key,
        jnp.asarray(noise, dtype=float),
        jnp.asarray(background, dtype=float),
        n=n,
        shape=shape,
        max_antinodes=max_antinodes,
        max_rings=max_rings,
        blur=float(blur),
        min_axis=float(min_axis),
        min_spacing=float(min_spacing),
    )


__all__ = [
    "LABEL_KEYS",
    "elliptical_radius",
    "fringes",
    "generate",
    "generate_batch",
    "layout_size",
    "max_resolvable_rings",
    "max_semi_axis",
    "render",
    "sample_labels",
    "validate",
]
