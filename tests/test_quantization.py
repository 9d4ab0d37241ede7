"""Paper 18: quantisers, straight-through gradients, the oscillation tracker, CGA and QKR."""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxdyn.models.quantization import (
    LSQQuantizer,
    OscillationTracker,
    StatsQuantizer,
    cga_freeze_mask,
    grad_scale,
    level_range,
    round_ste,
)
from jaxdyn.models.vit import ViT, accuracy, freeze_confident, quantize


def test_round_ste_rounds_forward_and_passes_gradients_straight_through():
    x = jnp.array([-1.6, -0.4, 0.2, 0.5001, 2.49])
    np.testing.assert_array_equal(round_ste(x), jnp.round(x))
    g = jax.grad(lambda x: jnp.sum(round_ste(x) * jnp.arange(5.0)))(x)
    np.testing.assert_array_equal(g, jnp.arange(5.0))
    np.testing.assert_allclose(jax.grad(lambda x: grad_scale(x, 0.25) * 3.0)(2.0), 0.75)


@pytest.mark.parametrize("bits", [2, 3, 4])
def test_lsq_level_set_and_its_gradients(bits):
    qn, qp = level_range(bits, signed=True)
    assert (qn, qp) == (2 ** (bits - 1), 2 ** (bits - 1) - 1)
    s = 0.3
    q = LSQQuantizer(s, bits)
    x = jnp.linspace(-3.0, 3.0, 2001) * (qn + 1) * s / 3.0
    levels = np.unique(np.asarray(q.levels(x)))
    np.testing.assert_array_equal(levels, np.arange(-qn, qp + 1))
    np.testing.assert_allclose(np.unique(np.asarray(q(x))), levels * s, atol=1e-12)
    # ∂q/∂x = 1 inside the clipping range, 0 outside
    gx = jax.grad(lambda x: jnp.sum(q(x)))(x)
    v = np.asarray(x) / s
    inside = (v > -qn) & (v < qp)
    away = (np.abs(v + qn) > 1e-9) & (np.abs(v - qp) > 1e-9)  # the clip's kinks are ties
    np.testing.assert_array_equal(np.asarray(gx)[away], np.asarray(inside, float)[away])
    # ∂q/∂s = (⌊x/s⌉ - x/s) inside, -Q_N / Q_P outside, times g = 1/√(N Q_P)
    xs = jnp.array([0.31, -0.2, 5.0, -5.0])
    g = 1.0 / np.sqrt(xs.size * qp)
    per = jax.jacobian(lambda st: LSQQuantizer(st, bits)(xs))(jnp.asarray(s))
    v = np.asarray(xs) / s
    want = np.where(v >= qp, qp, np.where(v <= -qn, -qn, np.round(v) - v)) * g
    np.testing.assert_allclose(np.asarray(per), want, rtol=1e-9)


def test_lsq_init_is_twice_the_mean_magnitude_over_root_qp():
    w = jax.random.normal(jax.random.PRNGKey(0), (6, 40))
    q = LSQQuantizer.init(w, 3, axis=0)
    assert q.step.shape == (6, 1)
    want = 2 * np.mean(np.abs(np.asarray(w)), axis=1, keepdims=True) / np.sqrt(3)
    np.testing.assert_allclose(np.asarray(q.step), want, rtol=1e-7)


@pytest.mark.parametrize("bits", [1, 2, 3, 4])
def test_statsq_levels_are_symmetric_half_integers_of_the_mean_magnitude(bits):
    w = jax.random.normal(jax.random.PRNGKey(1), (5, 400))
    q = StatsQuantizer(bits)
    n = 2 ** (bits - 1)
    scale = 2 * np.mean(np.abs(np.asarray(w)), axis=1, keepdims=True)
    out = np.asarray(q(w)) / scale
    want = (np.arange(-n, n) + 0.5) / n
    for row in out:
        np.testing.assert_allclose(np.unique(np.round(row, 12)), want, atol=1e-12)
    np.testing.assert_array_equal(np.unique(np.asarray(q.levels(w))), np.arange(-n, n))
    # plain straight-through: the gradient is the identity, with no clipping mask
    g = jax.grad(lambda w: jnp.sum(q(w) * 3.0))(w)
    np.testing.assert_array_equal(np.asarray(g), 3.0)


def _track(sequence, momentum=0.1):
    tracker = OscillationTracker(momentum=momentum, threshold=0.05)
    state = tracker.init(jnp.asarray(sequence[0], float))
    for x in sequence[1:]:
        state = tracker.update(state, jnp.asarray(x, float))
    return tracker, state


def test_tracker_on_synthetic_flip_patterns():
    m = 0.1
    # one weight per column: constant, alternating, a staircase, a flip after a pause
    seq = np.array(
        [
            [0, 0, 0, 0],
            [0, 1, 1, 1],
            [0, 0, 2, 1],
            [0, 1, 3, 1],
            [0, 0, 4, 0],
            [0, 1, 5, 0],
        ]
    )
    tracker, state = _track(seq, m)
    np.testing.assert_array_equal(np.asarray(state.count), [0, 4, 0, 1])
    # alternating: oscillations at steps 2..5 (the first change has no previous direction)
    want = sum(m * (1 - m) ** (5 - t) for t in range(2, 6))
    np.testing.assert_allclose(float(state.frequency[1]), want, rtol=1e-12)
    # the flip after a pause (up at step 1, down at step 4) is an oscillation at step 4
    np.testing.assert_allclose(float(state.frequency[3]), m * (1 - m), rtol=1e-12)
    assert float(tracker.fraction(state)) == pytest.approx(0.5)  # columns 1 and 3 > 0.05


def test_cga_freezes_weights_far_from_a_rounding_boundary():
    scaled = jnp.array([0.0, 0.45, 0.55, 1.0, -0.52, 2.3, 1.62])
    mask = np.asarray(cga_freeze_mask(scaled, 0.1))
    np.testing.assert_array_equal(mask, [True, False, False, True, False, True, True])
    assert not np.any(np.asarray(cga_freeze_mask(scaled, 0.5)))


def _model(key=0):
    return ViT(8, 2, 16, 1, 2, 32, 10, key=jax.random.PRNGKey(key))


@eqx.filter_jit
def _forward(model, x):
    return model(x)


def test_query_key_reparameterisation_is_exact_in_full_precision():
    attn = _model().blocks[0].attn
    x = jax.random.normal(jax.random.PRNGKey(2), (3, 17, 16))
    q = attn.q(x).reshape(3, 17, 2, 8).transpose(0, 2, 1, 3)
    k = attn.k(x).reshape(3, 17, 2, 8).transpose(0, 2, 1, 3)
    direct = jnp.einsum("bhtd,bhsd->bhts", q, k)
    via_qk = jnp.einsum("btd,hdf,bsf->bhts", x, attn.qk_matrix(), x)
    np.testing.assert_allclose(np.asarray(via_qk), np.asarray(direct), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("method", ["lsq", "statsq", "ofq"])
def test_quantized_vit_weights_lie_on_their_level_sets(method):
    model = _model()
    x = jax.random.normal(jax.random.PRNGKey(3), (32, 8, 8))
    qm = quantize(model, method, 3, x)
    for layer in qm.linears():
        if method == "ofq" and layer.name.endswith((".q", ".k")):
            assert layer.weight_quant is not None  # inputs still quantised via q's act_quant
        w = np.asarray(layer.effective_weight())
        if isinstance(layer.weight_quant, StatsQuantizer):
            scale = 2 * np.mean(np.abs(np.asarray(layer.weight)), axis=1, keepdims=True)
            units = w / scale * 4  # n = 4 at 3 bits: levels at half-integers in [-4, 4)
            np.testing.assert_allclose(units - np.floor(units), 0.5, atol=1e-9)
        else:
            units = w / np.abs(np.asarray(layer.weight_quant.step))
            np.testing.assert_allclose(units, np.round(units), atol=1e-9)
            assert np.round(units).min() >= -4 and np.round(units).max() <= 3
    levels = qm.weight_levels()
    if method == "ofq":
        assert "blocks.0.attn.qk" in levels and "blocks.0.attn.q" not in levels
        assert levels["blocks.0.attn.qk"].shape == (2, 16, 16)
    logits = _forward(qm, x)
    assert logits.shape == (32, 10) and np.all(np.isfinite(np.asarray(logits)))


@pytest.mark.slow
def test_eight_bit_lsq_model_is_close_to_full_precision():
    model = _model()
    x = jax.random.normal(jax.random.PRNGKey(4), (64, 8, 8))
    qm = quantize(model, "lsq", 8, x)
    fp, q = np.asarray(_forward(model, x)), np.asarray(_forward(qm, x))
    assert np.max(np.abs(q - fp)) < 0.05 * np.max(np.abs(fp))


def test_straight_through_gradient_of_a_quantised_layer_is_the_fp_gradient_at_q_w():
    model = quantize(_model(), "statsq", 2, jax.random.normal(jax.random.PRNGKey(5), (16, 8, 8)))
    layer = model.blocks[0].fc1
    x = jax.random.normal(jax.random.PRNGKey(6), (4, 17, 16))
    y = jax.random.normal(jax.random.PRNGKey(7), (4, 17, 32))
    xq = layer.quantize_input(x)
    g_ste = jax.jit(
        jax.grad(lambda w: jnp.sum((eqx.tree_at(lambda m: m.weight, layer, w)(x) - y) ** 2))
    )(layer.weight)
    wq = layer.effective_weight()
    g_fp = jax.grad(lambda w: jnp.sum((xq @ w.T + jnp.broadcast_to(layer.bias, y.shape) - y) ** 2))(
        wq
    )
    np.testing.assert_allclose(np.asarray(g_ste), np.asarray(g_fp), rtol=1e-10, atol=1e-12)


def test_cga_freeze_stops_the_gradient_of_confident_weights():
    model = quantize(_model(), "ofq", 2, jax.random.normal(jax.random.PRNGKey(8), (16, 8, 8)))
    frozen_model, fraction = freeze_confident(model, 0.2)
    assert 0.3 < fraction < 0.9  # about 60 % of uniformly spread fractional parts
    x = jax.random.normal(jax.random.PRNGKey(9), (8, 8, 8))
    grads = eqx.filter_jit(eqx.filter_grad(lambda m: jnp.sum(m(x) ** 2)))(frozen_model)
    layer, g = frozen_model.blocks[0].fc2, grads.blocks[0].fc2.weight
    assert np.all(np.asarray(g)[np.asarray(layer.frozen)] == 0.0)
    assert np.any(np.asarray(g)[~np.asarray(layer.frozen)] != 0.0)
    assert frozen_model.blocks[0].attn.q.frozen is None  # QKR: W_q, W_k keep training


def test_accuracy_counts_correct_predictions():
    model = _model()
    x = jax.random.normal(jax.random.PRNGKey(10), (20, 8, 8))
    pred = np.asarray(jnp.argmax(_forward(model, x), -1))
    labels = pred.copy()
    labels[:5] = (labels[:5] + 1) % 10
    assert accuracy(model, x, labels, batch=7) == pytest.approx(0.75)


BAD = [
    (lambda: LSQQuantizer(0.1, 0), ValueError, "bits"),
    (lambda: LSQQuantizer(0.1, 9), ValueError, "bits"),
    (lambda: LSQQuantizer(0.1, 1), ValueError, "bits"),
    (lambda: LSQQuantizer(0.1, 2.5), TypeError, "bits"),
    (lambda: StatsQuantizer(True), TypeError, "bits"),
    (lambda: OscillationTracker(momentum=0.0), ValueError, "momentum"),
    (lambda: OscillationTracker(threshold=1.5), ValueError, "threshold"),
    (lambda: cga_freeze_mask(jnp.zeros(3), 0.7), ValueError, "boundary"),
    (lambda: quantize(_model(), "dorefa", 2, jnp.zeros((2, 8, 8))), ValueError, "method"),
    (lambda: quantize(_model(), "lsq", 1, jnp.zeros((2, 8, 8))), ValueError, "bits"),
    (lambda: ViT(patch=3, key=jax.random.PRNGKey(0)), ValueError, "patch"),
    (lambda: ViT(dim=30, heads=4, key=jax.random.PRNGKey(0)), ValueError, "heads"),
]


@pytest.mark.parametrize("make, error, match", BAD)
def test_bad_input_names_the_argument(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_digits_split_is_stratified_and_standardised():
    pytest.importorskip("sklearn")
    from jaxdyn.data.digits import load_digits

    d = load_digits(test_fraction=0.2, seed=0)
    assert d["train_x"].shape[1:] == (8, 8) and len(d["train_x"]) + len(d["test_x"]) == 1797
    counts = np.bincount(d["test_y"], minlength=10)
    assert counts.min() >= 35 and counts.max() <= 37
    np.testing.assert_allclose(d["train_x"].mean(), 0.0, atol=1e-12)
    np.testing.assert_allclose(d["train_x"].std(), 1.0, rtol=1e-12)
    with pytest.raises(ValueError, match="test_fraction"):
        load_digits(test_fraction=1.5)
