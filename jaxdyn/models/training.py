"""The one training loop of jaxdyn: optax updates, schedules, validation, hooks, checkpoints.

``train(loss_fn, model, batch_fn, optimizer=..., steps=..., key=...)`` minimises
``loss_fn(model, batch, key, **scalars)`` (a scalar, or ``(scalar, aux)``) over the
inexact-array leaves of ``model``:

* **Randomness.** Step ``i`` (0-based) draws everything from ``fold_in(key, i)``, split
  into a batch key and a loss key: ``batch = batch_fn(batch_key)``, and the loss's own
  randomness (probes, posterior samples, noise) comes from ``loss_key``. A run is a
  deterministic function of ``key``, and a run resumed from a checkpoint retraces the
  uninterrupted one bit for bit.
* **Schedules.** ``schedules={"beta": fn}`` passes ``beta=fn(i)`` to the loss at step
  ``i``, with ``i`` a traced integer: a KL weight or a penalty ramp changes every step
  without recompiling the step.
* **Validation.** ``validate(model) -> score`` (higher is better) runs every
  ``validate_every`` steps and after the last; the scores are logged (metric
  ``"valid"``) and the model with the highest score is kept as ``TrainResult.best``.
* **Hooks.** ``hooks=[(every, fn), ...]``: ``fn(step, model)`` runs after steps that are
  multiples of ``every`` and after the last; a mapping it returns is logged as metrics.
* **Checkpoints** (``checkpoint_dir``), every ``checkpoint_every`` steps, at the end
  and at ``stop_at``: a directory holding ``state-<step>.eqx`` (equinox serialisation of
  model, optimiser state and best model) and ``meta.json`` (step, the state file's name,
  loss and metric history, best score and step, and a fingerprint of the run), each
  written atomically, ``meta.json`` last: a checkpoint exists once ``meta.json`` names
  it, so an interruption at any moment leaves the previous complete one. A call with the
  same directory resumes; one whose fingerprint differs (another model, optimiser state,
  key, initial values, schedules or validation) raises rather than mixing runs.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
from jaxtyping import Array, PRNGKeyArray, PyTree
from tqdm.auto import tqdm

from ..core import atomic_write

#: bumped when the checkpoint layout changes; older checkpoints are refused
CHECKPOINT_FORMAT = 1


class Series(NamedTuple):
    """A logged metric: the steps at which it was measured and its values."""

    steps: np.ndarray
    values: np.ndarray


class Hook(NamedTuple):
    """``fn(step, model) -> mapping of numbers | None``, run every ``every`` steps."""

    every: int
    fn: Callable[[int, PyTree], Mapping[str, float] | None]


@dataclass(frozen=True)
class TrainResult:
    """What :func:`train` returns.

    Attributes:
        model: the model after the last step run; opt_state: its optimiser state.
        best: the model with the highest validation score (``model`` without validation);
        best_score, best_step: its score and step (NaN and -1 without validation).
        losses: the loss of every step from 0 (NumPy).
        metrics: logged metrics by name (``"valid"`` and the hooks'), as :class:`Series`.
        step: steps done (``steps``, or ``stop_at`` when that ended the call early).
        time_s: wall time of this call after its first step; compile_s: time of the
            first step (mostly compilation); resumed_from: the step a checkpoint resumed
            from (0 for a fresh run).
    """

    model: PyTree
    opt_state: PyTree
    best: PyTree
    best_score: float
    best_step: int
    losses: np.ndarray
    metrics: dict[str, Series] = field(default_factory=dict)
    step: int = 0
    time_s: float = 0.0
    compile_s: float = 0.0
    resumed_from: int = 0


def _split_loss(out):
    return out if isinstance(out, tuple) else (out, None)


def _build_step(loss_fn, optimizer, schedules: tuple[tuple[str, Callable], ...]):
    @eqx.filter_jit
    def step(model, opt_state, batch, key, i):
        scalars = {name: fn(i) for name, fn in schedules}

        def f(m):
            return _split_loss(loss_fn(m, batch, key, **scalars))

        (loss, _), grads = eqx.filter_value_and_grad(f, has_aux=True)(model)
        updates, opt_state = optimizer.update(
            grads, opt_state, eqx.filter(model, eqx.is_inexact_array)
        )
        return eqx.apply_updates(model, updates), opt_state, loss

    return step


@functools.lru_cache(maxsize=32)
def _cached_step(loss_fn, optimizer, schedules):
    return _build_step(loss_fn, optimizer, schedules)


def _step_fn(loss_fn, optimizer, schedules):
    """The jitted update, cached on its hashable ingredients so that repeated or resumed
    runs with the same loss and optimiser objects reuse one compiled step."""
    try:
        return _cached_step(loss_fn, optimizer, schedules)
    except TypeError:  # an unhashable loss (e.g. a Module holding arrays): no caching
        return _build_step(loss_fn, optimizer, schedules)


@jax.jit
def _step_keys(key, i):
    return jax.random.split(jax.random.fold_in(key, i))


def step_memory(loss_fn: Callable, model: PyTree, batch: PyTree, key: PRNGKeyArray) -> dict:
    """Compiled memory of one gradient evaluation, from XLA's ``memory_analysis``.

    Returns bytes of arguments, outputs and temporaries (the activations kept for the
    backward pass live in the temporaries) and their sum ``total``.
    """
    params, static = eqx.partition(model, eqx.is_inexact_array)

    def grad(p, b, k):
        f = lambda p: _split_loss(loss_fn(eqx.combine(p, static), b, k))[0]
        return jax.grad(f)(p)

    mem = jax.jit(grad).lower(params, batch, key).compile().memory_analysis()
    out = {
        "argument_bytes": int(mem.argument_size_in_bytes),
        "output_bytes": int(mem.output_size_in_bytes),
        "temp_bytes": int(mem.temp_size_in_bytes),
    }
    out["total"] = sum(out.values())
    return out


# ---------------------------------------------------------------------------- checkpoints


def fingerprint(model: PyTree, opt_state: PyTree, key: PRNGKeyArray, extra: Any = ()) -> str:
    """SHA-256 of a run's identity: the structure, shapes, dtypes and initial values of
    ``model`` and ``opt_state``, the key and ``extra`` (a JSON-able description)."""
    h = hashlib.sha256()
    leaves, treedef = jax.tree_util.tree_flatten((model, opt_state))
    h.update(str(treedef).encode())
    for x in leaves:
        if eqx.is_array(x):
            a = np.asarray(x)
            h.update(f"{a.shape}{a.dtype}".encode())
            h.update(np.ascontiguousarray(a).tobytes())
        else:
            h.update(repr(x).encode())
    k = jax.random.key_data(key) if jnp.issubdtype(key.dtype, jax.dtypes.prng_key) else key
    h.update(np.asarray(k).tobytes())
    h.update(json.dumps(extra, sort_keys=True).encode())
    return h.hexdigest()[:32]


@dataclass
class _State:
    """The loop's state between steps: what a checkpoint holds."""

    model: PyTree
    opt_state: PyTree
    best: PyTree
    best_score: float
    best_step: int
    step: int
    losses: list[float]
    metrics: dict[str, list[list[float]]]


def save_checkpoint(directory: Path, state: _State, fp: str) -> None:
    """Write ``state-<step>.eqx``, then ``meta.json`` naming it, then drop older states."""
    directory.mkdir(parents=True, exist_ok=True)
    name = f"state-{state.step:09d}.eqx"
    atomic_write(
        directory / name,
        lambda f: eqx.tree_serialise_leaves(f, (state.model, state.opt_state, state.best)),
    )
    meta = {
        "format": CHECKPOINT_FORMAT,
        "fingerprint": fp,
        "step": state.step,
        "state": name,
        "best_score": None if math.isnan(state.best_score) else state.best_score,
        "best_step": state.best_step,
        "losses": state.losses,
        "metrics": state.metrics,
    }
    atomic_write(directory / "meta.json", lambda f: f.write(json.dumps(meta)), mode="w")
    for old in directory.glob("state-*.eqx"):
        if old.name != name:
            old.unlink(missing_ok=True)


def load_checkpoint(directory: Path, like: _State, fp: str) -> _State | None:
    """The checkpoint in ``directory`` (None if there is none); refuses another run's."""
    meta_path = directory / "meta.json"
    if not meta_path.exists():
        return None
    meta = json.loads(meta_path.read_text())
    if meta.get("format") != CHECKPOINT_FORMAT or meta.get("fingerprint") != fp:
        raise ValueError(
            f"checkpoint_dir {str(directory)!r} holds a checkpoint of a different run "
            "(model, optimiser, key, initial values, schedules or validation differ); "
            "use a new directory or delete it"
        )
    model, opt_state, best = eqx.tree_deserialise_leaves(
        directory / meta["state"], (like.model, like.opt_state, like.best)
    )
    score = meta["best_score"]
    return _State(
        model=model,
        opt_state=opt_state,
        best=best,
        best_score=float("nan") if score is None else float(score),
        best_step=int(meta["best_step"]),
        step=int(meta["step"]),
        losses=[float(x) for x in meta["losses"]],
        metrics={k: [list(r) for r in v] for k, v in meta["metrics"].items()},
    )


# ---------------------------------------------------------------------------- the loop


def _check_every(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    return int(value)


def _strong(model: PyTree) -> PyTree:
    # Weak-typed leaves turn strong after the first update and would compile the step twice.
    return jax.tree_util.tree_map(
        lambda x: jnp.asarray(x, x.dtype) if eqx.is_inexact_array(x) else x, model
    )


def train(
    loss_fn: Callable[..., Any],
    model: PyTree,
    batch_fn: Callable[[PRNGKeyArray], PyTree],
    *,
    optimizer: optax.GradientTransformation,
    steps: int,
    key: PRNGKeyArray,
    schedules: Mapping[str, Callable[[Array], Any]] | None = None,
    validate: Callable[[PyTree], float] | None = None,
    validate_every: int = 100,
    hooks: Sequence[Hook | tuple[int, Callable]] = (),
    checkpoint_dir: str | os.PathLike | None = None,
    checkpoint_every: int = 100,
    stop_at: int | None = None,
    progress: bool = True,
    desc: str = "train",
    log_every: int = 10,
) -> TrainResult:
    """Minimise ``loss_fn(model, batch, key, **scalars)`` for ``steps`` optimiser steps.

    Args:
        loss_fn: scalar loss (or ``(loss, aux)``) of the model on one batch; it receives
            the step's schedule values as keyword arguments.
        model: an equinox Module (its inexact-array leaves are trained).
        batch_fn: ``batch_fn(key) -> batch``, deterministic in its key.
        optimizer: any optax transformation.
        steps: total optimiser steps (a resumed run continues up to this number).
        key: PRNG key; step i uses ``fold_in(key, i)`` (see the module docstring).
        schedules: ``{name: fn}``; the loss gets ``name=fn(i)`` at step i (i traced).
        validate: ``validate(model) -> score``, higher is better; the best model is kept.
        validate_every: validation cadence in steps (and after the last step).
        hooks: ``(every, fn)`` pairs; ``fn(step, model)`` may return metrics to log.
        checkpoint_dir: save (and resume from) checkpoints here, every
            ``checkpoint_every`` steps, after the last and at ``stop_at``.
        stop_at: end this call after this step (checkpointed), to split a run; calling
            again with the same arguments resumes it.
        progress: show a progress bar (steps/s, loss, validation score).
        desc: the bar's label and the name in error messages.
        log_every: how often the losses are fetched from the device (and checked finite).

    Raises:
        FloatingPointError: the loss became non-finite (naming the step).
    """
    if isinstance(steps, bool) or not isinstance(steps, int | np.integer) or steps < 0:
        raise ValueError(f"steps must be an integer >= 0, got {steps!r}")
    steps = int(steps)
    checkpoint_every = _check_every("checkpoint_every", checkpoint_every)
    validate_every = _check_every("validate_every", validate_every)
    log_every = _check_every("log_every", log_every)
    if stop_at is not None:
        stop_at = _check_every("stop_at", stop_at)
    hooks = [Hook(_check_every("hook interval", h[0]), h[1]) for h in hooks]
    if any(not callable(h.fn) for h in hooks):
        raise TypeError("hooks must be (every, fn) pairs with fn(step, model) callable")
    if validate is not None and not callable(validate):
        raise TypeError(f"validate must be a function model -> score, got {validate!r}")
    schedules = tuple(sorted((schedules or {}).items()))
    for name, fn in schedules:
        if not callable(fn):
            raise TypeError(f"schedules[{name!r}] must be a function of the step")

    model = _strong(model)
    opt_state = optimizer.init(eqx.filter(model, eqx.is_inexact_array))
    fp = fingerprint(
        model,
        opt_state,
        key,
        {"schedules": [n for n, _ in schedules], "validate": validate is not None},
    )
    state = _State(
        model=model,
        opt_state=opt_state,
        best=model if validate is not None else None,
        best_score=float("nan"),
        best_step=-1,
        step=0,
        losses=[],
        metrics={},
    )
    ckpt = Path(checkpoint_dir) if checkpoint_dir is not None else None
    if ckpt is not None:
        loaded = load_checkpoint(ckpt, state, fp)
        if loaded is not None:
            if loaded.step > steps:
                raise ValueError(
                    f"checkpoint_dir {str(ckpt)!r} holds step {loaded.step}, past steps={steps}"
                )
            state = loaded
    resumed_from = start = state.step
    end = steps if stop_at is None else min(steps, stop_at)
    update = _step_fn(loss_fn, optimizer, schedules)

    pending: list[Array] = []

    def sync(upto: int) -> None:
        """Fetch the pending losses (steps ``upto - len(pending)`` .. ``upto - 1``)."""
        if not pending:
            return
        values = [float(x) for x in jax.device_get(pending)]
        first = upto - len(values)
        for j, v in enumerate(values):
            if not math.isfinite(v):
                raise FloatingPointError(f"{desc}: non-finite loss ({v}) at step {first + j}")
        state.losses.extend(values)
        pending.clear()

    def log(name: str, step: int, value: float) -> None:
        state.metrics.setdefault(name, []).append([step, float(value)])

    bar = tqdm(
        total=steps, initial=start, desc=desc, unit="step", disable=not progress, leave=False
    )
    t_first = t_start = time.perf_counter()
    compile_s = 0.0
    model, opt_state = state.model, state.opt_state
    for i in range(start, end):
        kb, kl = _step_keys(key, i)
        model, opt_state, loss = update(model, opt_state, batch_fn(kb), kl, jnp.asarray(i))
        pending.append(loss)
        if i == start:
            jax.block_until_ready(loss)
            compile_s = time.perf_counter() - t_first
            t_start = time.perf_counter()
        done = i + 1
        last = done == steps
        is_validation = validate is not None and (done % validate_every == 0 or last)
        is_hook = [h for h in hooks if done % h.every == 0 or last]
        is_checkpoint = ckpt is not None and (done % checkpoint_every == 0 or last or done == end)
        if done % log_every == 0 or last or is_validation or is_hook or is_checkpoint:
            sync(done)
            bar.set_postfix(loss=f"{state.losses[-1]:.4g}", refresh=False)
        state.model, state.opt_state, state.step = model, opt_state, done
        if is_validation:
            score = float(validate(model))
            log("valid", done, score)
            if math.isnan(state.best_score) or score > state.best_score:
                state.best, state.best_score, state.best_step = model, score, done
            bar.set_postfix(
                loss=f"{state.losses[-1]:.4g}",
                valid=f"{score:.4g}",
                best=f"{state.best_score:.4g}",
                refresh=False,
            )
        for h in is_hook:
            for name, value in (h.fn(done, model) or {}).items():
                log(name, done, value)
        if is_checkpoint:
            save_checkpoint(ckpt, state, fp)
        bar.update(1)
    sync(end)
    bar.close()
    jax.block_until_ready(eqx.filter(model, eqx.is_array))
    return TrainResult(
        model=model,
        opt_state=opt_state,
        best=state.best if validate is not None else model,
        best_score=state.best_score,
        best_step=state.best_step,
        losses=np.asarray(state.losses),
        metrics={
            k: Series(np.asarray([r[0] for r in v], int), np.asarray([r[1] for r in v]))
            for k, v in state.metrics.items()
        },
        step=state.step,
        time_s=time.perf_counter() - t_start,
        compile_s=compile_s,
        resumed_from=resumed_from,
    )


__all__ = ["Hook", "Series", "TrainResult", "fingerprint", "step_memory", "train"]
