"""Parameter sweeps: a grid x seeds, chunked, sharded, resumable, labelled.

Member ``m`` of a sweep is grid point ``m // seeds`` run with seed ``m % seeds``. Its
key is ``fold_in(key, seed)``: it depends on nothing but the seed index, so results are
identical whatever the chunk size or the number of devices, and every grid point sees
the same random numbers for the same seed (common random numbers, which makes phase
diagrams smooth in the swept parameters).

Members are evaluated in chunks of ``chunk_size``: one ``jit(vmap(fn))`` compiled once
(the last chunk is padded to the same size), its batch axis sharded over all
``jax.devices()``. Each finished chunk is written atomically to ``store`` and skipped when
the sweep is run again, so an interrupted sweep resumes where it stopped.
"""

from __future__ import annotations

import functools
import hashlib
import os
import time
from collections.abc import Callable, Mapping
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import xarray as xr
from jax.sharding import Mesh, NamedSharding, PartitionSpec
from jaxtyping import Array, PRNGKeyArray, PyTree
from tqdm.auto import tqdm

from .grid import Grid
from .simulate import STATUS_NAMES, Trajectory
from .store import ChunkStore
from .system import AbstractSystem, check_ranges

MemberFn = Callable[[AbstractSystem, PRNGKeyArray], "Trajectory | Mapping[str, Array]"]


def sweep(
    fn: MemberFn,
    system: AbstractSystem,
    grid: Grid,
    *,
    key: PRNGKeyArray | None = None,
    seeds: int = 1,
    chunk_size: int = 256,
    store: str | os.PathLike | None = None,
    progress: bool = True,
    devices: list | None = None,
) -> xr.Dataset:
    """Run ``fn(system_at_point, key)`` for every grid point and seed.

    Args:
        fn: ``fn(system, key) -> Trajectory | dict of arrays``, traced once and
            vectorised over members; typically a call to :func:`simulate`.
        system: the base system; the grid replaces the fields it names.
        grid: a :class:`Grid` whose names are (array) fields of ``system``.
        key: base PRNG key (default ``PRNGKey(0)``).
        seeds: realisations per grid point (a ``seed`` dimension in the result).
        chunk_size: members per compiled batch; rounded up to a multiple of the device
            count. Bounds memory: pick the largest that fits.
        store: directory for finished chunks (resumable); ``None`` keeps all in memory.
        progress: show a progress bar (chunks, members/s, ETA).
        devices: devices to shard over (default: all of ``jax.devices()``).

    Returns:
        ``xarray.Dataset`` with one dimension per grid axis (or ``point``), then
        ``seed``, then ``time`` and the outputs' own dimensions. ``status`` holds the
        per-member solver status (``status.attrs["flag_meanings"]``).
    """
    if not isinstance(grid, Grid):
        raise TypeError(f"grid must be a jaxdyn Grid, got {type(grid).__name__}")
    if not isinstance(seeds, int | np.integer) or seeds < 1:
        raise ValueError(f"seeds must be a positive integer, got {seeds!r}")
    if not isinstance(chunk_size, int | np.integer) or chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive integer, got {chunk_size!r}")
    _check_fields(system, grid)
    key = jax.random.PRNGKey(0) if key is None else key
    devices = list(devices or jax.devices())
    n_dev = len(devices)
    n_members = len(grid) * seeds
    chunk_size = int(min(chunk_size, n_members))
    chunk_size = -(-chunk_size // n_dev) * n_dev
    n_chunks = -(-n_members // chunk_size)

    names = grid.names
    run_chunk = _chunk_runner(fn, names, system, tuple(devices))
    dyn = eqx.filter(system, eqx.is_array)

    chunks = (
        ChunkStore(store, _fingerprint(fn, system, grid, key, seeds, chunk_size), n_chunks)
        if store is not None
        else None
    )
    results: list[dict[str, np.ndarray] | None] = [None] * n_chunks
    todo = []
    for i in range(n_chunks):
        if chunks is not None and chunks.done(i):
            results[i] = chunks.load(i)
        else:
            todo.append(i)

    bar = tqdm(
        total=n_chunks,
        initial=n_chunks - len(todo),
        unit="chunk",
        desc=f"sweep {type(system).__name__}",
        disable=not progress,
    )
    t_start, done_members = time.perf_counter(), 0
    for i in todo:
        idx = np.arange(i * chunk_size, (i + 1) * chunk_size)
        idx = np.minimum(idx, n_members - 1)  # pad the last chunk by repeating a member
        values = {n: jnp.asarray(grid.values[n][idx // seeds]) for n in names}
        out = run_chunk(dyn, key, values, jnp.asarray(idx % seeds))
        valid = min(chunk_size, n_members - i * chunk_size)
        arrays = {k: np.asarray(v)[:valid] for k, v in out.items()}
        if chunks is not None:
            chunks.save(i, arrays)
        results[i] = arrays
        done_members += valid
        bar.set_postfix(members_per_s=f"{done_members / (time.perf_counter() - t_start):.3g}")
        bar.update()
    bar.close()

    flat = {k: np.concatenate([r[k] for r in results]) for k in results[0]}
    ds = _dataset(flat, grid, seeds, type(system).__name__)
    if store is not None:
        ds.to_netcdf(os.path.join(store, "dataset.nc"), engine="h5netcdf")
    return ds


def _chunk_runner(fn: MemberFn, names: tuple[str, ...], system: AbstractSystem, devices: tuple):
    """``jit(vmap(member))`` for a chunk, built once per (fn, system structure, devices).

    The system's arrays and the key are arguments, not constants baked into the trace,
    so a second sweep of the same function over the same kind of system (other parameter
    values, another key or grid) reuses the compiled executable.
    """
    static = eqx.filter(system, eqx.is_array, inverse=True)
    try:
        hash((fn, static))
    except TypeError:  # an unhashable closure or field: build afresh (still correct)
        return _build_runner(fn, names, static, devices)
    return _cached_runner(fn, names, static, devices)


def _build_runner(fn, names, static, devices):
    dtype = jnp.result_type(float)
    where = lambda s: [getattr(s, n) for n in names]

    def member(dyn, key, values, seed):
        system = eqx.combine(dyn, static)
        system = eqx.tree_at(where, system, [values[n].astype(dtype) for n in names])
        return _as_dict(fn(system, jax.random.fold_in(key, seed)))

    mesh = Mesh(np.asarray(devices), ("members",))
    split = NamedSharding(mesh, PartitionSpec("members"))
    whole = NamedSharding(mesh, PartitionSpec())
    return jax.jit(
        jax.vmap(member, in_axes=(None, None, 0, 0)),
        in_shardings=(whole, whole, split, split),
        out_shardings=split,
    )


_cached_runner = functools.lru_cache(maxsize=64)(_build_runner)


def _check_fields(system: AbstractSystem, grid: Grid) -> None:
    fields = {f for f in system.__dataclass_fields__ if not _is_static(system, f)}
    for n in grid.names:
        if n not in fields:
            raise ValueError(
                f"grid parameter {n!r} is not a sweepable field of {type(system).__name__}; "
                f"sweepable fields: {sorted(fields)}"
            )
    check_ranges(type(system).__name__, system.param_ranges, grid.values)


def _is_static(system, name: str) -> bool:
    return bool(system.__dataclass_fields__[name].metadata.get("static", False))


def _as_dict(out: Trajectory | Mapping[str, Array]) -> dict[str, Array]:
    if isinstance(out, Trajectory):
        ys = out.ys if isinstance(out.ys, Mapping) else {"y": out.ys}
        return {"time": out.ts, "status": out.status, "num_steps": out.num_steps, **ys}
    if not isinstance(out, Mapping):
        raise TypeError(f"sweep fn must return a Trajectory or a dict, got {type(out).__name__}")
    return dict(out)


def _dataset(flat: dict[str, np.ndarray], grid: Grid, seeds: int, owner: str) -> xr.Dataset:
    lead = grid.shape + (seeds,)
    lead_dims = grid.dims + ("seed",)
    coords: dict[str, Any] = dict(grid.coords)
    coords["seed"] = np.arange(seeds)
    time = flat.pop("time", None)
    if time is not None:
        coords["time"] = time[0]
    data_vars = {}
    for name, arr in flat.items():
        rest = arr.shape[1:]
        dims = list(lead_dims)
        for j in range(len(rest)):
            if j == 0 and time is not None and rest[0] == time.shape[1] and name != "status":
                dims.append("time")
            else:
                dims.append(f"{name}_dim{j}")
        data_vars[name] = (dims, arr.reshape(lead + rest))
    ds = xr.Dataset(data_vars, coords=coords, attrs={"system": owner})
    if "status" in ds:
        ds["status"].attrs.update(
            flag_values=list(range(len(STATUS_NAMES))), flag_meanings=" ".join(STATUS_NAMES)
        )
    return ds


def _fingerprint(fn, system, grid: Grid, key, seeds: int, chunk_size: int) -> str:
    h = hashlib.sha256()
    h.update(type(system).__qualname__.encode())
    h.update(getattr(fn, "__qualname__", repr(fn)).encode())
    code = getattr(fn, "__code__", None)
    if code is not None:
        h.update(code.co_code)
        h.update(repr(code.co_consts).encode())
    # Values a closure captured (save times, tolerances) change results: hash them too.
    for cell in getattr(fn, "__closure__", None) or ():
        try:
            v = cell.cell_contents
        except ValueError:
            continue
        if isinstance(v, int | float | str | bool | np.ndarray | jax.Array):
            h.update(np.asarray(v).tobytes() if not isinstance(v, str) else v.encode())
    for leaf in jax.tree_util.tree_leaves(system):
        h.update(np.asarray(leaf).tobytes())
    for n, v in grid.values.items():
        h.update(n.encode())
        h.update(v.tobytes())
    h.update(str(grid.dims).encode())
    h.update(np.asarray(jax.random.key_data(key)).tobytes())
    h.update(f"{seeds}/{chunk_size}".encode())
    return h.hexdigest()


def status_counts(ds: xr.Dataset) -> dict[str, int]:
    """How many members ended with each status."""
    st = np.asarray(ds["status"]).ravel()
    return {name: int(np.sum(st == i)) for i, name in enumerate(STATUS_NAMES)}


__all__ = ["sweep", "status_counts", "MemberFn", "PyTree"]
