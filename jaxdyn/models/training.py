"""A small, reusable training loop for equinox models (optax, checkpoint/resume, tqdm).

``train(loss_fn, model, batch_fn, optimizer=..., steps=..., key=...)`` minimises
``loss_fn(model, batch, key)`` (a scalar, or ``(scalar, aux)``) over the inexact-array
leaves of ``model``. Every random draw of step ``i`` comes from ``fold_in(key, i)``:
the batch from ``batch_fn(batch_key)`` and the loss's own randomness (probes, noise)
from a second subkey, so a run is a deterministic function of ``key`` and a run resumed
from a checkpoint retraces the uninterrupted one exactly.

Checkpoints are a directory holding ``state.eqx`` (``eqx.tree_serialise_leaves`` of the
model and optimiser state) and ``meta.json`` (step, loss history, a fingerprint of the
run), both written atomically; a call with the same directory resumes from the last
checkpoint, and one whose fingerprint differs raises rather than mixing runs.
"""

from __future__ import annotations

import functools
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
from jaxtyping import PRNGKeyArray, PyTree
from tqdm.auto import tqdm

from ..core import atomic_write


@dataclass(frozen=True)
class TrainResult:
    """model: trained model; losses: per-step loss (NumPy); time_s: wall time of this call
    after its first step; compile_s: time of the first step (mostly compilation);
    resumed_from: the step a checkpoint resumed from (0 for a fresh run)."""

    model: PyTree
    opt_state: PyTree
    losses: np.ndarray
    time_s: float
    compile_s: float
    resumed_from: int


def _split_loss(out):
    return out if isinstance(out, tuple) else (out, None)


def make_step(loss_fn: Callable, optimizer: optax.GradientTransformation):
    """The jitted update ``(model, opt_state, batch, key) -> (model, opt_state, loss)``.

    Cached on ``(loss_fn, optimizer)`` when both are hashable, so repeated or resumed runs
    with the same objects reuse one compiled step.
    """
    try:
        return _cached_step(loss_fn, optimizer)
    except TypeError:  # an unhashable loss (e.g. a Module holding arrays): no caching
        return _build_step(loss_fn, optimizer)


@functools.lru_cache(maxsize=32)
def _cached_step(loss_fn, optimizer):
    return _build_step(loss_fn, optimizer)


def _build_step(loss_fn, optimizer):

    @eqx.filter_jit
    def step(model, opt_state, batch, key):
        def f(m):
            return _split_loss(loss_fn(m, batch, key))

        (loss, _), grads = eqx.filter_value_and_grad(f, has_aux=True)(model)
        updates, opt_state = optimizer.update(
            grads, opt_state, eqx.filter(model, eqx.is_inexact_array)
        )
        return eqx.apply_updates(model, updates), opt_state, loss

    return step


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


def save_checkpoint(directory: Path, model, opt_state, step: int, losses, fingerprint: str):
    directory.mkdir(parents=True, exist_ok=True)
    atomic_write(
        directory / "state.eqx", lambda f: eqx.tree_serialise_leaves(f, (model, opt_state))
    )
    meta = {"step": step, "losses": [float(x) for x in losses], "fingerprint": fingerprint}
    # meta.json is written last: a checkpoint is complete once it names the step.
    atomic_write(directory / "meta.json", lambda f: f.write(json.dumps(meta)), mode="w")


def load_checkpoint(directory: Path, model, opt_state, fingerprint: str):
    meta_path = directory / "meta.json"
    if not meta_path.exists():
        return None
    meta = json.loads(meta_path.read_text())
    if meta["fingerprint"] != fingerprint:
        raise ValueError(
            f"checkpoint directory {str(directory)!r} belongs to a different run "
            "(model structure, optimiser or key differ); use a new directory or delete it"
        )
    model, opt_state = eqx.tree_deserialise_leaves(directory / "state.eqx", (model, opt_state))
    return model, opt_state, int(meta["step"]), list(meta["losses"])


def _fingerprint(model, opt_state, key) -> str:
    shapes = jax.tree_util.tree_map(
        lambda x: (tuple(x.shape), str(x.dtype)) if eqx.is_array(x) else repr(x),
        (model, opt_state),
    )
    k = np.asarray(
        jax.random.key_data(key) if jnp.issubdtype(key.dtype, jax.dtypes.prng_key) else key
    )
    return repr(
        (jax.tree_util.tree_structure(shapes), jax.tree_util.tree_leaves(shapes), k.tolist())
    )


def train(
    loss_fn: Callable[[PyTree, PyTree, PRNGKeyArray], Any],
    model: PyTree,
    batch_fn: Callable[[PRNGKeyArray], PyTree],
    *,
    optimizer: optax.GradientTransformation,
    steps: int,
    key: PRNGKeyArray,
    checkpoint_dir: str | os.PathLike | None = None,
    checkpoint_every: int = 100,
    progress: bool = True,
    desc: str = "train",
    log_every: int = 10,
) -> TrainResult:
    """Minimise ``loss_fn(model, batch, key)`` for ``steps`` optimiser steps.

    Args:
        loss_fn: scalar loss (or ``(loss, aux)``) of the model on one batch.
        model: an equinox Module (its inexact-array leaves are trained).
        batch_fn: ``batch_fn(key) -> batch``, deterministic in its key.
        optimizer: any optax transformation.
        steps: total optimiser steps (a resumed run continues up to this number).
        key: PRNG key; step i uses ``fold_in(key, i)``.
        checkpoint_dir: save (and resume from) checkpoints here, every
            ``checkpoint_every`` steps and at the end.
        progress: show a tqdm bar with the running loss.
    """
    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}")
    if checkpoint_every < 1:
        raise ValueError(f"checkpoint_every must be >= 1, got {checkpoint_every}")
    opt_state = optimizer.init(eqx.filter(model, eqx.is_inexact_array))
    start, losses = 0, []
    ckpt = Path(checkpoint_dir) if checkpoint_dir is not None else None
    fp = _fingerprint(model, opt_state, key)
    if ckpt is not None:
        loaded = load_checkpoint(ckpt, model, opt_state, fp)
        if loaded is not None:
            model, opt_state, start, losses = loaded
            losses = losses[:steps]
    resumed_from = start
    step = make_step(loss_fn, optimizer)
    pending = []
    t_first = t_start = time.perf_counter()
    compile_s = 0.0
    bar = tqdm(total=steps, initial=min(start, steps), desc=desc, disable=not progress, leave=False)
    for i in range(start, steps):
        kb, kl = jax.random.split(jax.random.fold_in(key, i))
        model, opt_state, loss = step(model, opt_state, batch_fn(kb), kl)
        pending.append(loss)
        if i == start:
            jax.block_until_ready(loss)
            compile_s = time.perf_counter() - t_first
            t_start = time.perf_counter()
        done = i + 1
        if done % log_every == 0 or done == steps or (ckpt and done % checkpoint_every == 0):
            losses.extend(float(x) for x in jax.device_get(pending))
            pending = []
            bar.set_postfix(loss=f"{losses[-1]:.3e}")
        bar.update(1)
        if ckpt is not None and (done % checkpoint_every == 0 or done == steps):
            save_checkpoint(ckpt, model, opt_state, done, losses, fp)
    bar.close()
    jax.block_until_ready(eqx.filter(model, eqx.is_array))
    return TrainResult(
        model=model,
        opt_state=opt_state,
        losses=np.asarray(losses),
        time_s=time.perf_counter() - t_start,
        compile_s=compile_s,
        resumed_from=resumed_from,
    )
