"""Paper 3: the feature-noise data model, the squared-ReLU patch CNN and SGD as a map."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxdyn
from jaxdyn.core import Grid
from jaxdyn.data.feature_noise import FeatureNoiseData
from jaxdyn.models.patch_cnn import PatchCNN, accuracy, square_loss
from jaxdyn.systems.benign_sgd import FeatureNoiseSGD


def test_data_model_statistics():
    data = FeatureNoiseData(weak=0.2, strong=1.5, rho=0.7, sigma=0.3, dim=40, patches=4)
    n = 20_000
    x, y, b = data.sample(jax.random.PRNGKey(0), n)
    x, y, b = np.asarray(x), np.asarray(y), np.asarray(b)
    assert x.shape == (n, 4, 40)
    # labels balanced, strong fraction rho (binomial: 4 standard deviations)
    assert abs(np.mean(y == 1) - 0.5) < 4 * math.sqrt(0.25 / n)
    assert abs(np.mean(b) - 0.7) < 4 * math.sqrt(0.21 / n)
    v, u = (np.asarray(f) for f in data.features())
    assert np.linalg.norm(v) == pytest.approx(0.2) and np.linalg.norm(u) == pytest.approx(1.5)
    assert v @ u == 0.0
    np.testing.assert_array_equal(x[:, 0], y[:, None] * v)
    np.testing.assert_array_equal(x[:, 1], (b * y)[:, None] * u)
    noise = x[:, 2:]
    assert np.all(noise[..., :2] == 0.0)  # orthogonal to both features
    var = noise[..., 2:].var()
    assert var == pytest.approx(0.09, rel=0.01)  # σ² per coordinate (3.2e6 samples)
    assert abs(noise[..., 2:].mean()) < 4 * 0.3 / math.sqrt(noise[..., 2:].size)
    xw, yw, bw = data.sample(jax.random.PRNGKey(1), 100, weak_only=True)
    assert np.all(np.asarray(bw) == 0) and np.all(np.asarray(xw)[:, 1] == 0)


def test_patch_cnn_matches_its_definition_and_finite_differences():
    key = jax.random.PRNGKey(2)
    model = PatchCNN.init(key, dim=5, width=3, scale=0.7)
    x = jax.random.normal(jax.random.PRNGKey(3), (4, 3, 5))
    W = np.asarray(model.weight)
    want = []
    for xi in np.asarray(x):
        f = 0.0
        for j, sign in ((0, 1.0), (1, -1.0)):
            for r in range(3):
                for p in range(3):
                    f += sign * max(0.0, W[j, r] @ xi[p]) ** 2 / 3
        want.append(f)
    np.testing.assert_allclose(np.asarray(model(x)), want, rtol=1e-12)
    y = jnp.array([1.0, -1.0, 1.0, -1.0])
    g = jax.grad(square_loss)(model, x, y).weight
    h = 1e-6
    e = np.zeros_like(W)
    e[1, 2, 4] = h
    fd = (square_loss(PatchCNN(W + e), x, y) - square_loss(PatchCNN(W - e), x, y)) / (2 * h)
    np.testing.assert_allclose(float(g[1, 2, 4]), float(fd), rtol=1e-6)
    assert float(accuracy(model, x, jnp.sign(model(x)))) == 1.0
    v = jnp.zeros(5).at[0].set(2.0)
    np.testing.assert_allclose(
        float(model.alignment(v)), 0.5 * (W[0, :, 0].mean() - W[1, :, 0].mean()), rtol=1e-12
    )


def test_one_sgd_step_is_a_gradient_step_on_the_drawn_minibatch():
    sys = FeatureNoiseSGD(lr=0.7, dim=12, n_train=10, batch=4, n_test=8)
    state = sys.initial_state(jax.random.PRNGKey(4))
    key = jax.random.PRNGKey(5)
    new = sys.step(0.0, state, key)
    idx = jax.random.permutation(key, 10)[:4]
    g = jax.grad(square_loss)(state["model"], state["x"][idx], state["y"][idx])
    np.testing.assert_allclose(
        np.asarray(new["model"].weight), np.asarray(state["model"].weight - 0.7 * g.weight)
    )
    assert new["x"] is state["x"]  # the data ride along unchanged


def test_large_step_oscillates_where_small_step_descends():
    # full batch: a deterministic map; the small step decreases the loss at every step
    # (a descent method below the stability edge), the large one does not
    base = FeatureNoiseSGD(dim=40, n_train=20, batch=20, n_test=10)
    ts = np.arange(0.0, 301.0)

    def member(sys, key):
        return {
            "loss": jaxdyn.simulate(sys, 300.0, key=key, ts=ts, observable=sys.observables).ys[
                "loss"
            ]
        }

    ds = jaxdyn.sweep(member, base, Grid.points(lr=[0.5, 16.0]), seeds=2, progress=False)
    loss = ds["loss"].values  # (lr, seed, time)
    rises = np.mean(np.diff(loss, axis=-1) > 1e-12, axis=-1)
    assert np.all(rises[0] == 0.0)
    assert np.all(rises[1] > 0.01)
    assert np.all(np.isfinite(loss))


@pytest.mark.slow
def test_large_learning_rate_learns_the_weak_feature():
    base = FeatureNoiseSGD()

    def member(sys, key):
        ys = jaxdyn.simulate(sys, 3000.0, key=key, observable=sys.test_accuracy).ys
        return {k: v[-1] for k, v in ys.items()}

    ds = jaxdyn.sweep(member, base, Grid.points(lr=[0.5, 16.0]), seeds=4, progress=False)
    weak = ds["acc_weak"].mean("seed").values
    assert weak[1] - weak[0] > 0.2


BAD = [
    (lambda: FeatureNoiseSGD(lr=-1.0), "lr"),
    (lambda: FeatureNoiseSGD(lr=float("nan")), "lr"),
    (lambda: FeatureNoiseSGD(lr=1e4), "lr"),
    (lambda: FeatureNoiseSGD(rho=1.5), "rho"),
    (lambda: FeatureNoiseSGD(weak=-0.1), "weak"),
    (lambda: FeatureNoiseSGD(sigma=float("inf")), "sigma"),
    (lambda: FeatureNoiseSGD(n_train=10, batch=20), "batch"),
    (lambda: FeatureNoiseSGD(dim=2), "dim"),
    (lambda: FeatureNoiseData(strong=-1.0), "strong"),
    (lambda: FeatureNoiseData(patches=2), "patches"),
]


@pytest.mark.parametrize("make, match", BAD)
def test_bad_input_names_the_argument(make, match):
    with pytest.raises(ValueError, match=match):
        make()
