"""The one training loop: determinism, resume, schedules, validation, hooks, checkpoints."""

import json

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from jaxdyn.experiments import Config, Run
from jaxdyn.models import Hook, train


class Quadratic(eqx.Module):
    w: jax.Array


TARGET = jnp.array([1.0, -2.0, 0.5])
DATA = jax.random.normal(jax.random.PRNGKey(1), (32, 3))


def _loss(model, batch, key, *, beta):
    # A noisy quadratic: the batch and the loss key both enter, beta weights a penalty.
    noise = 0.1 * jax.random.normal(key, model.w.shape)
    fit = jnp.mean((batch @ (model.w - TARGET) + noise[0]) ** 2)
    return fit + beta * jnp.sum(model.w**2)


def _batch(key):
    return DATA[jax.random.randint(key, (8,), 0, DATA.shape[0])]


def _validate(model):
    # Deterministic in the model and non-monotone along training.
    return float(-jnp.sum((model.w - TARGET) ** 2) + 0.3 * jnp.sin(20 * model.w[0]))


OPT = optax.adam(5e-2)
SCHED = {"beta": lambda i: 0.1 * jnp.exp(-i / 10.0)}
KW = dict(
    optimizer=OPT,
    steps=40,
    key=jax.random.PRNGKey(3),
    schedules=SCHED,
    validate=_validate,
    validate_every=5,
    checkpoint_every=7,
    progress=False,
)


def _run(**kw):
    model = Quadratic(jnp.zeros(3))
    return train(_loss, model, _batch, **{**KW, **kw})


def _same(a, b):
    for x, y in zip(
        jax.tree_util.tree_leaves(eqx.filter(a, eqx.is_array)),
        jax.tree_util.tree_leaves(eqx.filter(b, eqx.is_array)),
        strict=True,
    ):
        np.testing.assert_array_equal(x, y)


@pytest.fixture(scope="module")
def straight():
    return _run()


def test_resumed_run_is_bit_identical_to_an_uninterrupted_one(straight, tmp_path):
    first = _run(checkpoint_dir=tmp_path, stop_at=18)
    assert first.step == 18 and first.resumed_from == 0
    meta = json.loads((tmp_path / "meta.json").read_text())
    assert meta["step"] == 18 and len(meta["losses"]) == 18
    assert [p.name for p in tmp_path.glob("state-*.eqx")] == [meta["state"]]
    resumed = _run(checkpoint_dir=tmp_path)
    assert resumed.resumed_from == 18 and resumed.step == 40
    _same(straight.model, resumed.model)
    _same(straight.opt_state, resumed.opt_state)
    _same(straight.best, resumed.best)
    np.testing.assert_array_equal(straight.losses, resumed.losses)
    for name in ("steps", "values"):
        np.testing.assert_array_equal(
            getattr(straight.metrics["valid"], name), getattr(resumed.metrics["valid"], name)
        )
    assert (straight.best_score, straight.best_step) == (resumed.best_score, resumed.best_step)
    # A finished checkpoint is a finished run: nothing is recomputed.
    again = _run(checkpoint_dir=tmp_path)
    assert again.resumed_from == 40
    _same(straight.model, again.model)


def test_the_loss_sees_the_schedule_without_recompiling():
    traces = []

    def loss(model, batch, key, *, beta, ramp):
        traces.append(1)  # runs at trace time only
        return beta + ramp + 0.0 * jnp.sum(model.w)

    res = train(
        loss,
        Quadratic(jnp.zeros(3)),
        _batch,
        optimizer=optax.sgd(0.1),
        steps=25,
        key=jax.random.PRNGKey(0),
        schedules={"beta": lambda i: jnp.minimum(1.0, i / 10), "ramp": lambda i: 100.0 * i},
        log_every=4,
        progress=False,
    )
    i = np.arange(25)
    np.testing.assert_allclose(res.losses, np.minimum(1.0, i / 10) + 100.0 * i, rtol=1e-12)
    assert len(traces) == 1


def test_best_model_is_the_argmax_of_the_validation_scores(straight):
    valid = straight.metrics["valid"]
    np.testing.assert_array_equal(valid.steps, np.arange(5, 41, 5))
    assert np.unique(valid.values).size == valid.values.size
    j = int(np.argmax(valid.values))
    assert 0 < j < len(valid.values) - 1  # neither the first nor the last: a real choice
    assert straight.best_step == valid.steps[j]
    assert straight.best_score == valid.values[j]
    # Retrain up to that step: the kept model is the model of that step.
    at_best = _run(steps=int(valid.steps[j]), validate=None)
    _same(straight.best, at_best.model)
    assert _validate(straight.best) == straight.best_score


def test_step_keys_are_fold_in_of_the_run_key():
    seen = []

    def loss(model, batch, key):
        return jnp.sum(model.w) * 0.0 + jnp.sum(batch) + jnp.sum(jax.random.key_data(key))

    def batch_fn(key):
        seen.append(np.asarray(key))
        return jnp.zeros(())

    key = jax.random.PRNGKey(7)
    train(
        loss,
        Quadratic(jnp.zeros(1)),
        batch_fn,
        optimizer=optax.sgd(0.1),
        steps=3,
        key=key,
        progress=False,
    )
    for i, k in enumerate(seen):
        kb, _ = jax.random.split(jax.random.fold_in(key, i))
        np.testing.assert_array_equal(k, kb)


def test_hooks_run_every_n_steps_and_log_metrics():
    calls = []

    def hook(step, model):
        calls.append(step)
        return {"w0": float(model.w[0])}

    res = _run(validate=None, steps=23, hooks=[Hook(10, hook), (4, lambda s, m: None)])
    assert calls == [10, 20, 23]
    np.testing.assert_array_equal(res.metrics["w0"].steps, [10, 20, 23])
    assert res.metrics["w0"].values[-1] == float(res.model.w[0])
    assert "valid" not in res.metrics and np.isnan(res.best_score)
    _same(res.best, res.model)


def test_checkpoint_of_another_run_is_refused(tmp_path):
    _run(checkpoint_dir=tmp_path, steps=3)
    with pytest.raises(ValueError, match="different run"):
        _run(checkpoint_dir=tmp_path, key=jax.random.PRNGKey(4))
    with pytest.raises(ValueError, match="different run"):
        _run(checkpoint_dir=tmp_path, schedules={"beta": lambda i: 0.0, "other": lambda i: 0.0})
    with pytest.raises(ValueError, match="different run"):
        train(_loss, Quadratic(jnp.ones(3)), _batch, **{**KW, "checkpoint_dir": tmp_path})
    with pytest.raises(ValueError, match="past steps"):
        _run(checkpoint_dir=tmp_path, steps=2)


def test_non_finite_loss_names_the_step():
    def loss(model, batch, key):
        return jnp.log(model.w[0] - 0.5)  # the update drives w below 0.5: log of < 0

    with pytest.raises(FloatingPointError, match="non-finite loss .* at step"):
        train(
            loss,
            Quadratic(jnp.ones(1)),
            _batch,
            optimizer=optax.sgd(1.0),
            steps=5,
            key=jax.random.PRNGKey(0),
            progress=False,
            log_every=1,
        )


@pytest.mark.parametrize(
    "kw, match",
    [
        ({"steps": -1}, "steps"),
        ({"checkpoint_every": 0}, "checkpoint_every"),
        ({"validate_every": 0}, "validate_every"),
        ({"stop_at": 0}, "stop_at"),
        ({"log_every": 0}, "log_every"),
        ({"hooks": [(0, lambda s, m: None)]}, "hook"),
    ],
)
def test_bad_arguments_are_named(kw, match):
    with pytest.raises(ValueError, match=match):
        _run(**kw)


def test_run_context_trains_resumably(tmp_path):
    class Cfg(Config):
        pass

    ctx = Run("toy", tmp_path, Cfg(), quiet=True)
    first = ctx.train("fit", _loss, Quadratic(jnp.zeros(3)), _batch, **{**KW, "stop_at": 9})
    assert first.step == 9 and ctx.resumed == []
    ctx = Run("toy", tmp_path, Cfg(), quiet=True)
    done = ctx.train("fit", _loss, Quadratic(jnp.zeros(3)), _batch, **KW)
    assert ctx.resumed == ["training fit"] and done.resumed_from == 9
    assert (tmp_path / "_state" / "train" / "fit" / "meta.json").exists()
