"""Synthetic ESPI images, the one-shot fringe detector, and their contracts (paper 5)."""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.scipy.ndimage import map_coordinates

from jaxdyn.data import espi
from jaxdyn.experiments.steelpan import SteelpanConfig
from jaxdyn.models import fringe_detector as fd

CLEAN = {"noise": 0.0, "blur": 0.0, "background": 0.0}


def _labels(centers, axes, angles, rings, mask=None):
    n = len(rings)
    return {
        "centers": jnp.asarray(centers, dtype=float),
        "axes": jnp.asarray(axes, dtype=float),
        "angles": jnp.asarray(angles, dtype=float),
        "rings": jnp.asarray(rings, dtype=jnp.int32),
        "mask": jnp.asarray([True] * n if mask is None else mask),
    }


def _local_maxima(profile: np.ndarray) -> int:
    p = np.asarray(profile)
    return int(np.sum((p[1:-1] > p[:-2]) & (p[1:-1] >= p[2:])))


@pytest.mark.parametrize("rings", [0, 1, 3, 6])
def test_maxima_along_the_major_axis_count_the_rings(rings, key):
    """Hand-made region on the pixel grid: walking along the major axis from the centre
    meets exactly ``rings`` intensity maxima before the edge (the centre excluded)."""
    labels = _labels([[32.0, 32.0]], [[28.0, 16.0]], [0.0], [rings])
    img = np.asarray(espi.render(key, labels, shape=(64, 64), **CLEAN))
    profile = img[32, 32 : 32 + 29]  # centre to the edge, along the columns (θ = 0)
    assert _local_maxima(profile) == rings
    assert profile[0] == pytest.approx(1.0)  # a bright centre
    # rotated by 90°: the same count down the rows
    rot = _labels([[32.0, 32.0]], [[28.0, 16.0]], [np.pi / 2], [rings])
    img = np.asarray(espi.render(key, rot, shape=(64, 64), **CLEAN))
    assert _local_maxima(img[32 : 32 + 29, 32]) == rings


def test_generated_labels_agree_with_the_rendered_rings():
    """Random images without noise, blur or background: along each region's major axis
    (bilinear samples of the image) the intensity rises through ½ once per ring."""
    kw = dict(shape=(96, 96), max_antinodes=4, max_rings=11, min_spacing=4.0, **CLEAN)
    images, labels = espi.generate_batch(jax.random.PRNGKey(3), 6, **kw)
    images, labels = np.asarray(images), {k: np.asarray(v) for k, v in labels.items()}
    t = np.linspace(0.0, 0.999, 600)
    checked = set()
    for i in range(images.shape[0]):
        for j in np.flatnonzero(labels["mask"][i]):
            (r, c), a, th = labels["centers"][i, j], labels["axes"][i, j, 0], labels["angles"][i, j]
            pts = np.stack([r + t * a * np.sin(th), c + t * a * np.cos(th)])
            prof = np.asarray(map_coordinates(jnp.asarray(images[i]), list(pts), order=1))
            ups = int(np.sum((prof[1:] > 0.5) & (prof[:-1] <= 0.5)))
            assert ups == labels["rings"][i, j], (i, j)
            checked.add(int(labels["rings"][i, j]))
    assert len(checked) >= 3  # several ring counts were exercised


def test_labels_are_consistent():
    kw = dict(shape=(64, 64), max_antinodes=4, max_rings=11, min_spacing=3.0)
    _, lab = espi.generate_batch(jax.random.PRNGKey(7), 50, **kw)
    lab = {k: np.asarray(v) for k, v in lab.items()}
    m = lab["mask"]
    n_max = espi.max_resolvable_rings((64, 64), 4, 11, 3.0)
    assert n_max == 4
    assert 0 < m.sum() < m.size
    assert np.all(lab["rings"][m] <= n_max) and np.all(lab["rings"][m] >= 0)
    assert np.all(lab["axes"][m][:, 0] >= lab["axes"][m][:, 1])  # a >= b
    # minor axis leaves (n + ½) rings at least min_spacing apart
    assert np.all(lab["axes"][m][:, 1] >= (lab["rings"][m] + 0.5) * 3.0 - 1e-9)
    # masked entries are zero; every region lies inside the image
    assert np.all(lab["rings"][~m] == 0) and np.all(lab["axes"][~m] == 0)
    c, a = lab["centers"][m], lab["axes"][m][:, :1]
    assert np.all(c - a >= 0) and np.all(c + a <= 64)
    # regions never overlap: centres further apart than the sum of their major semi-axes
    for i in range(m.shape[0]):
        idx = np.flatnonzero(m[i])
        for p in idx:
            for q in idx[idx > p]:
                d = np.linalg.norm(lab["centers"][i, p] - lab["centers"][i, q])
                assert d > lab["axes"][i, p, 0] + lab["axes"][i, q, 0]


def test_determinism_noise_level_and_batching():
    k = jax.random.PRNGKey(11)
    a, la = espi.generate(k, noise=0.2)
    b, lb = espi.generate(k, noise=0.2)
    np.testing.assert_array_equal(a, b)
    for name in espi.LABEL_KEYS:
        np.testing.assert_array_equal(la[name], lb[name])
    c, _ = espi.generate(jax.random.PRNGKey(12), noise=0.2)
    assert not np.allclose(a, c)
    # the same key at another noise level: same regions, the same noise pattern scaled
    z, lz = espi.generate(k, noise=0.0)
    np.testing.assert_array_equal(la["centers"], lz["centers"])
    resid = np.asarray(a - z)
    assert np.std(resid) == pytest.approx(0.2, rel=0.05)
    np.testing.assert_allclose(np.asarray(espi.generate(k, noise=0.4)[0] - z), 2 * resid, atol=1e-9)
    # generate_batch is image i = generate(fold_in(key, i))
    xs, ls = espi.generate_batch(k, 3, noise=0.2)
    one, l1 = espi.generate(jax.random.fold_in(k, 2), noise=0.2)
    np.testing.assert_allclose(xs[2], one, atol=1e-12)
    np.testing.assert_array_equal(ls["rings"][2], l1["rings"])


def test_zero_antinodes_gives_background_only(key):
    img, lab = espi.generate(key, max_antinodes=0, noise=0.0, blur=0.0, background=0.3)
    assert lab["mask"].shape == (0,) and lab["rings"].shape == (0,)
    img = np.asarray(img)
    assert img.min() >= 0.0 and img.max() <= 0.3 + 1e-12
    assert img.max() > 0.25 and img.min() < 0.05  # the fringe pattern spans its range
    blank, _ = espi.generate(key, max_antinodes=0, noise=0.0, blur=0.0, background=0.0)
    np.testing.assert_array_equal(blank, np.zeros((64, 64)))
    # outside every region of a populated image, only the background pattern is left
    img, lab = espi.generate(key, max_antinodes=4, noise=0.0, blur=0.0, background=0.0)
    rows, cols = jnp.meshgrid(jnp.arange(64.0), jnp.arange(64.0), indexing="ij")
    outside = np.all(np.asarray(espi.elliptical_radius(lab, rows, cols)) >= 1.0, axis=0)
    assert np.all(np.asarray(img)[outside] == 0.0)


def _cells_labels():
    # three regions in distinct cells of an 8x8 grid of 8-pixel cells, one masked out
    return _labels(
        [[12.5, 40.25], [50.0, 9.75], [33.0, 60.5], [5.0, 5.0]],
        [[6.0, 4.0], [9.5, 7.0], [3.0, 3.0], [4.0, 4.0]],
        [0.3, 1.0, 2.0, 0.0],
        [3, 7, 0, 2],
        mask=[True, True, True, False],
    )


def test_encode_decode_round_trip():
    labels = _cells_labels()
    target = fd.encode(labels, (8, 8), 8.0)
    assert target.shape == (8, 8, 6)
    assert float(target[..., 0].sum()) == 3.0
    assert float(target[1, 5, 0]) == 1.0  # (12.5, 40.25) lies in cell (1, 5)
    dets = fd.decode(target, 8.0, threshold=0.5)
    order = np.argsort(dets["centers"][:, 0])
    keep = np.asarray(labels["mask"])
    want = np.argsort(np.asarray(labels["centers"])[keep][:, 0])
    np.testing.assert_allclose(
        dets["centers"][order], np.asarray(labels["centers"])[keep][want], atol=1e-12
    )
    np.testing.assert_allclose(
        dets["axes"][order], np.asarray(labels["axes"])[keep][want], atol=1e-12
    )
    np.testing.assert_array_equal(dets["rings"][order], np.asarray(labels["rings"])[keep][want])
    np.testing.assert_array_equal(dets["scores"], [1.0, 1.0, 1.0])
    # scored against its own labels: perfect
    m = fd.match(dets, labels, radius=0.5)
    assert m["tp"] == m["n_det"] == m["n_true"] == 3 and m["ring_correct"] == 3
    assert m["center_error_sum"] == pytest.approx(0.0, abs=1e-9)


def test_decode_threshold_and_nms():
    grid = np.zeros((8, 8, 6))
    grid[2, 2] = [0.9, 0.5, 0.5, 4.0, 3.0, 2.0]  # centre (20, 20)
    grid[2, 3] = [0.7, 0.5, 0.1, 4.0, 3.0, 5.0]  # centre (20, 24.8): 4.8 px away
    grid[6, 6] = [0.4, 0.5, 0.5, 4.0, 3.0, 1.0]  # below threshold
    d = fd.decode(grid, 8.0, threshold=0.5)
    np.testing.assert_allclose(d["scores"], [0.9, 0.7])
    np.testing.assert_allclose(d["centers"], [[20.0, 20.0], [20.0, 24.8]])
    d = fd.decode(grid, 8.0, threshold=0.5, nms_distance=5.0)
    np.testing.assert_allclose(d["scores"], [0.9])
    np.testing.assert_allclose(d["rings"], [2.0])
    assert fd.decode(grid, 8.0, threshold=0.3, nms_distance=4.0)["scores"].size == 3
    # activate maps raw outputs to this representation
    raw = np.zeros((1, 1, 6))
    np.testing.assert_allclose(fd.activate(jnp.asarray(raw), 8.0)[0, 0], [0.5, 0.5, 0.5, 8, 8, 0])


def test_loss_gradient_matches_finite_differences():
    # built in one compiled program (initialising layer by layer compiles every op)
    build = eqx.filter_jit(lambda k: fd.FringeDetector((16, 16), stages=2, width=2, key=k))
    model = build(jax.random.PRNGKey(0))
    images = jax.random.uniform(jax.random.PRNGKey(1), (3, 16, 16))
    labels = [
        _labels([[5.0, 9.0]], [[4.0, 3.0]], [0.5], [2]),
        _labels([[10.5, 3.2]], [[3.0, 3.0]], [0.0], [0]),
        _labels([[0.0, 0.0]], [[1.0, 1.0]], [0.0], [0], mask=[False]),  # empty image
    ]
    targets = jnp.stack([fd.encode(lab, model.grid, model.cell) for lab in labels])
    assert float(targets[..., 0].sum()) == 2.0

    @eqx.filter_jit
    def f(m):
        return fd.loss(jax.vmap(m)(images), targets, model.cell)

    grads = eqx.filter_jit(eqx.filter_grad(f))(model)
    for where, index in (
        (lambda m: m.head[1].bias, (0, 0, 0)),  # objectness
        (lambda m: m.head[1].bias, (5, 0, 0)),  # ring count
        (lambda m: m.head[1].weight, (3, 1, 0, 0)),  # a semi-axis
    ):
        eps = 1e-6
        base = where(model)

        def shifted(h, where=where, base=base, index=index):
            return f(eqx.tree_at(where, model, base.at[index].add(h)))

        fd_grad = (shifted(eps) - shifted(-eps)) / (2 * eps)
        assert float(where(grads)[index]) == pytest.approx(float(fd_grad), rel=1e-5, abs=1e-9)
    # a perfect prediction costs (almost) nothing; the untrained model much more
    raw = jnp.zeros((3, *model.grid, 6))
    obj = targets[..., 0]
    perfect = raw.at[..., 0].set(30.0 * (2 * obj - 1))
    off = jnp.clip(targets[..., 1:3], 1e-9, 1 - 1e-9)
    perfect = perfect.at[..., 1:3].set(jnp.log(off / (1 - off)))
    axes = jnp.where(obj[..., None] > 0, targets[..., 3:5], model.cell)
    perfect = perfect.at[..., 3:5].set(jnp.log(axes / model.cell))
    perfect = perfect.at[..., 5].set(targets[..., 5])
    assert float(fd.loss(perfect, targets, model.cell)) < 1e-6
    assert float(f(model)) > 0.1


def test_model_output_shape():
    model = eqx.filter_eval_shape(fd.FringeDetector, (64, 64), 3, 2, key=jax.random.PRNGKey(0))
    assert model.grid == (8, 8) and model.cell == 8.0
    assert eqx.filter_eval_shape(model, jnp.zeros((64, 64))).shape == (8, 8, 6)


def test_batched_call_equals_per_image_and_matches_equinox_conv():
    """The batched forward pass is the per-image one, and each layer is eqx's Conv2d."""
    model = fd.FringeDetector((32, 32), 2, 4, key=jax.random.PRNGKey(0))
    x = jax.random.uniform(jax.random.PRNGKey(1), (3, 32, 32))
    batched = model(x)
    assert batched.shape == (3, 8, 8, 6)
    np.testing.assert_allclose(batched, jax.vmap(model)(x), rtol=1e-5, atol=1e-6)
    conv = model.blocks[0][1]  # the stride-2 layer
    h = jax.random.normal(jax.random.PRNGKey(2), (4, 32, 32))
    np.testing.assert_allclose(fd._conv(conv, h[None])[0], conv(h), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "kw, name",
    [
        ({"noise": -0.1}, "noise"),
        ({"noise": float("nan")}, "noise"),
        ({"max_antinodes": -1}, "max_antinodes"),
        ({"max_antinodes": 2.5}, "max_antinodes"),
        ({"max_rings": -2}, "max_rings"),
        ({"shape": (8, 8)}, "shape"),
        ({"shape": (64,)}, "shape"),
        ({"blur": -1.0}, "blur"),
        ({"background": 1.5}, "background"),
        ({"min_spacing": 0.0}, "min_spacing"),
        ({"min_axis": 40.0}, "min_axis"),
    ],
)
def test_generator_rejects_bad_arguments(kw, name, key):
    with pytest.raises(ValueError, match=name):
        espi.generate(key, **kw)


def test_other_bad_inputs_raise_naming_the_argument(key):
    with pytest.raises(ValueError, match="n must"):
        espi.generate_batch(key, 0)
    with pytest.raises(ValueError, match="noise"):
        espi.generate_batch(key, 2, noise=-1.0)
    with pytest.raises(ValueError, match="threshold"):
        fd.decode(np.zeros((8, 8, 6)), 8.0, threshold=1.5)
    with pytest.raises(ValueError, match="nms_distance"):
        fd.decode(np.zeros((8, 8, 6)), 8.0, nms_distance=-1.0)
    with pytest.raises(ValueError, match="grid"):
        fd.decode(np.zeros((8, 8, 5)), 8.0)
    with pytest.raises(ValueError, match="image_size"):
        fd.FringeDetector((60, 64), stages=3, key=key)
    with pytest.raises(ValueError, match="stages"):
        fd.FringeDetector((64, 64), stages=0, key=key)
    with pytest.raises(ValueError, match="'noise'"):
        SteelpanConfig(noise=-1.0)
