"""SGD on the feature-noise data as a discrete-time system (paper 3).

One step of the map is one SGD step on the two-layer squared-ReLU CNN of
:mod:`jaxdyn.models.patch_cnn` with the square loss,

    W_{k+1} = W_k - η ∇_W (1/2B) Σ_{i∈B_k} (y_i - f(W_k, x_i))²,

the minibatch B_k of ``batch`` distinct training examples drawn from the step's key
(``batch = n_train`` is full-batch gradient descent). The state holds the network and
the data it sees: the training set drawn once from the initial-state key, plus a test
set from the same distribution and a weak-only test set (no strong feature), so that
:meth:`FeatureNoiseSGD.observables` measures generalisation inside ``simulate`` and a
``sweep`` over (learning rate, signal strengths) x seeds is one vmapped computation.

The claim of M. Lu, B. Wu, X. Yang and D. Zou, "Benign oscillation of stochastic
gradient descent with large learning rates" (ICLR 2024): with a large learning rate the
iterates oscillate (the strong-feature direction is too sharp for the step) and the
network learns the weak feature, so it classifies weak-only examples; with a small one
it fits the strong feature (and memorises noise) and does not.
"""

from __future__ import annotations

from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray, PyTree

from ..core import AbstractMap, check_int
from ..data.feature_noise import FeatureNoiseData
from ..models.patch_cnn import PatchCNN, accuracy, square_loss


class FeatureNoiseSGD(AbstractMap):
    """Minibatch SGD on the feature-noise model; parameters η and the data's strengths.

    Defaults: d = 200, n = 50 (noise can be memorised: σ² d/n = 0.01 exceeds the weak
    feature's (1-ρ)|v|² = 0.008 per-step share), |v| = 0.2, |u| = 1, ρ = 0.8, σ = 0.05,
    m = 10 filters per sign, σ₀ = 0.01, full batch (``batch = n_train``; smaller batches
    give SGD), η = 16, in the oscillating regime (the strong direction's fixed point is
    unstable above η ≈ 12 and training diverges above η ≈ 19).
    """

    lr: Float[Array, ""]
    weak: Float[Array, ""]
    strong: Float[Array, ""]
    rho: Float[Array, ""]
    sigma: Float[Array, ""]
    init_scale: Float[Array, ""]
    dim: int = eqx.field(static=True)
    patches: int = eqx.field(static=True)
    width: int = eqx.field(static=True)
    n_train: int = eqx.field(static=True)
    batch: int = eqx.field(static=True)
    n_test: int = eqx.field(static=True)

    name: ClassVar[str] = "feature_noise_sgd"
    paper: ClassVar[str] = "3"
    reference: ClassVar[str] = (
        "M. Lu, B. Wu, X. Yang and D. Zou, 'Benign oscillation of stochastic gradient "
        "descent with large learning rates', ICLR 2024 (arXiv:2310.17074)"
    )
    param_ranges: ClassVar[dict[str, tuple[float, float]]] = {
        "lr": (0.0, 1e3),
        "weak": (0.0, 1e3),
        "strong": (0.0, 1e3),
        "rho": (0.0, 1.0),
        "sigma": (0.0, 1e3),
        "init_scale": (0.0, 10.0),
    }
    t_char: ClassVar[float] = 50.0

    def __init__(
        self,
        lr=16.0,
        weak=0.2,
        strong=1.0,
        rho=0.8,
        sigma=0.05,
        init_scale=0.01,
        *,
        dim: int = 200,
        patches: int = 3,
        width: int = 10,
        n_train: int = 50,
        batch: int = 50,
        n_test: int = 1000,
    ):
        self.lr = jnp.asarray(lr, dtype=float)
        self.weak = jnp.asarray(weak, dtype=float)
        self.strong = jnp.asarray(strong, dtype=float)
        self.rho = jnp.asarray(rho, dtype=float)
        self.sigma = jnp.asarray(sigma, dtype=float)
        self.init_scale = jnp.asarray(init_scale, dtype=float)
        self.dim = check_int("dim", dim, 3)
        self.patches = check_int("patches", patches, 3)
        self.width = check_int("width", width, 1)
        self.n_train = check_int("n_train", n_train, 1)
        self.batch = check_int("batch", batch, 1, self.n_train)
        self.n_test = check_int("n_test", n_test, 1)

    def data(self) -> FeatureNoiseData:
        """The data model at this system's strengths (traced values pass unvalidated)."""
        return FeatureNoiseData(
            self.weak, self.strong, self.rho, self.sigma, self.dim, self.patches
        )

    def initial_state(self, key: PRNGKeyArray | None = None) -> PyTree[Array]:
        """Network at N(0, σ₀²), a training set, a test set and a weak-only test set."""
        key = jax.random.PRNGKey(0) if key is None else key
        kw, kd, kt, kv = jax.random.split(key, 4)
        data = self.data()
        x, y, b = data.sample(kd, self.n_train)
        xt, yt, _ = data.sample(kt, self.n_test)
        xw, yw, _ = data.sample(kv, self.n_test, weak_only=True)
        model = PatchCNN(self.init_scale * jax.random.normal(kw, (2, self.width, self.dim)))
        return {"model": model, "x": x, "y": y, "b": b, "xt": xt, "yt": yt, "xw": xw, "yw": yw}

    def step(self, t, state, key, args=None):
        idx = jax.random.permutation(key, self.n_train)[: self.batch]
        grads = jax.grad(square_loss)(state["model"], state["x"][idx], state["y"][idx])
        model = jax.tree_util.tree_map(lambda w, g: w - self.lr * g, state["model"], grads)
        return {**state, "model": model}

    def observables(self, t, state) -> dict[str, Array]:
        """Training losses (all / strong / weak-only examples), alignment with v and u."""
        model = state["model"]
        v, u = self.data().features()
        strong = state["b"] > 0
        residual = jnp.square(state["y"] - model(state["x"]))
        n_strong = jnp.maximum(jnp.sum(strong), 1)
        n_weak = jnp.maximum(jnp.sum(~strong), 1)
        return {
            "loss": 0.5 * jnp.mean(residual),
            "loss_strong": 0.5 * jnp.sum(jnp.where(strong, residual, 0.0)) / n_strong,
            "loss_weak": 0.5 * jnp.sum(jnp.where(strong, 0.0, residual)) / n_weak,
            "align_weak": model.alignment(v),
            "align_strong": model.alignment(u),
        }

    def test_accuracy(self, t, state) -> dict[str, Array]:
        """Accuracy on the test set and on the weak-only test set."""
        model = state["model"]
        return {
            "acc": accuracy(model, state["xt"], state["yt"]),
            "acc_weak": accuracy(model, state["xw"], state["yw"]),
        }


__all__ = ["FeatureNoiseSGD"]
