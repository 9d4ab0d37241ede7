"""Parameter sweeps: a grid x seeds, chunked, sharded, resumable, labelled.

Member ``m`` of a sweep is grid point ``m // seeds`` run with seed ``m % seeds``. Its
key is :func:`member_key` ``(key, seed) = fold_in(key, seed)``: it depends on nothing but
the seed index, so results are
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
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import xarray as xr
from jax.sharding import Mesh, NamedSharding, PartitionSpec
from jaxtyping import Array, PRNGKeyArray
from tqdm.auto import tqdm

from ._fingerprint import fingerprint
from ._grid import Grid
from ._store import ChunkStore, atomic_path
from ._system import AbstractSystem, check_ranges
from ._trajectory import STATUS_NAMES, Trajectory
from .integrators import BATCH_MODES, batching

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
    version: str | None = None,
    batch: str = "auto",
    bundle: int = 64,
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
            The store is identified by a content fingerprint of ``fn`` (its code, the
            values its closures and globals hold, recursively), of the system (all
            fields, static ones included, and its class's code), the grid, key, seeds and
            chunking: resuming with any of them changed is refused, naming what changed.
        version: an explicit name for the sweep, required to resume when ``fn`` reads a
            value the fingerprint cannot see (a warning says which); you then vouch that
            the sweep is unchanged.
        batch: how a chunk's members are solved together: ``"vmap"`` (each member its
            own solve, vectorised), ``"inside"`` (adaptive ODE solves become one solve of
            the chunk with the batch inside the vector field, one shared step and the
            max over members of their error norms; see
            :mod:`jaxdyn.core.integrators._batched`) or ``"auto"`` (the default,
            which is ``"vmap"``). For adaptive ODE sweeps pass ``"inside"``: on one CPU
            thread the 64-member sync1d columnar sweep at rtol 1e-6 takes 0.26 s with
            it against 0.40 s with ``"vmap"``, equal to the best hand-written
            batch-inside diffrax (``docs/benchmarks.md``). ``"auto"`` does not pick it
            because chunks then hold whole bundles (``chunk_size`` rounds up to a
            multiple of ``bundle``), which would override a memory bound set with
            ``chunk_size``, and because it is forward-only.
            ``"inside"`` is forward-only; a member whose solve fails is re-solved on
            its own, so statuses stay per member.
        bundle: with ``batch="inside"``, members are solved together in bundles of this
            many consecutive members (member m in bundle m // bundle, whatever the chunk
            size or device count; chunks hold whole bundles), so the shared step sizes,
            and hence the numbers, do not depend on the chunking or the devices.
        progress: show a progress bar (members, members/s, ETA).
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
    if (
        isinstance(chunk_size, bool)
        or not isinstance(chunk_size, int | np.integer)
        or chunk_size < 1
    ):
        raise ValueError(f"chunk_size must be a positive integer, got {chunk_size!r}")
    if not callable(fn):
        raise TypeError(f"fn must be a function fn(system, key), got {type(fn).__name__}")
    if not isinstance(system, AbstractSystem):
        raise TypeError(f"system must be a jaxdyn System, got {type(system).__name__}")
    if version is not None and not isinstance(version, str):
        raise TypeError(f"version must be a string, got {type(version).__name__}")
    if batch not in BATCH_MODES:
        raise ValueError(f"batch must be one of {BATCH_MODES}, got {batch!r}")
    _check_fields(system, grid)
    key = jax.random.PRNGKey(0) if key is None else key
    devices = list(devices or jax.devices())
    n_dev = len(devices)
    n_members = len(grid) * seeds
    mode = "vmap" if batch == "auto" else batch
    if isinstance(bundle, bool) or not isinstance(bundle, int | np.integer) or bundle < 1:
        raise ValueError(f"bundle must be a positive integer, got {bundle!r}")
    group = int(min(bundle, n_members)) if mode == "inside" else 1
    unit = group * n_dev  # a chunk holds whole bundles, split evenly over the devices
    chunk_size = int(min(chunk_size, n_members))
    chunk_size = -(-chunk_size // unit) * unit
    n_chunks = -(-n_members // chunk_size)

    names = grid.names
    run_chunk = _chunk_runner(fn, names, system, tuple(devices), mode, group)
    dyn = eqx.filter(system, eqx.is_array)

    chunks = None
    if store is not None:
        fp = fingerprint(
            fn, system, grid.values, grid.dims, key, seeds, version, (mode, group), names=_ROLES
        )
        if fp.unhashable and version is None:
            warnings.warn(
                "sweep: the fingerprint of this sweep cannot see "
                + "; ".join(fp.unhashable[:3])
                + ": it will not resume from its store unless you pass version=",
                stacklevel=2,
            )
        chunks = ChunkStore(
            store,
            fp.digest,
            n_chunks,
            _describe(fn, system, grid, key, seeds, chunk_size, version, fp.unhashable)
            | {"batch": mode, "bundle": group},
            resumable=not fp.unhashable or version is not None,
        )
    results: list[dict[str, np.ndarray] | None] = [None] * n_chunks
    todo = []
    for i in range(n_chunks):
        if chunks is not None and chunks.done(i):
            results[i] = chunks.load(i)
        else:
            todo.append(i)

    done_before = n_members - sum(min(chunk_size, n_members - i * chunk_size) for i in todo)
    bar = tqdm(
        total=n_members,
        initial=done_before,
        unit="member",
        desc=f"sweep {type(system).__name__}",
        disable=not progress,
        leave=False,
    )
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
        bar.update(valid)
    bar.close()

    flat = {k: np.concatenate([r[k] for r in results]) for k in results[0]}
    ds = _dataset(flat, grid, seeds, type(system).__name__)
    ds.attrs["batch"] = mode
    ds.attrs["bundle"] = group
    if store is not None:
        with atomic_path(os.path.join(store, "dataset.nc")) as tmp:
            ds.to_netcdf(tmp, engine="h5netcdf")
    return ds


def _chunk_runner(
    fn: MemberFn,
    names: tuple[str, ...],
    system: AbstractSystem,
    devices: tuple,
    mode: str,
    group: int,
):
    """The compiled chunk function, built once per (fn, system structure, devices, mode).

    The system's arrays and the key are arguments, not constants baked into the trace,
    so a second sweep of the same function over the same kind of system (other parameter
    values, another key or grid) reuses the compiled executable.
    """
    static = eqx.filter(system, eqx.is_array, inverse=True)
    try:
        hash((fn, static))
    except TypeError:  # an unhashable closure or field: build afresh (still correct)
        return _build_runner(fn, names, static, devices, mode, group)
    return _cached_runner(fn, names, static, devices, mode, group)


def _build_runner(fn, names, static, devices, mode, group: int, use_shard_map: bool = True):
    """``jit(vmap(member))`` over the chunk, each device taking its slice of members.

    With several devices the vmapped member runs under ``shard_map``: each device solves
    its own members, so a batched-inside solve shares its step size among one device's
    members only and no device waits on another's error norm at every step
    (``use_shard_map=False`` lets XLA partition a plain ``jit`` instead;
    ``benchmarks/bench_devices.py`` compares the two: within noise on 2 CPU cores). The
    batching ``mode`` is fixed when the chunk is traced.
    """
    dtype = jnp.result_type(float)
    where = lambda s: [getattr(s, n) for n in names]

    def member(dyn, key, values, seed):
        system = eqx.combine(dyn, static)
        system = eqx.tree_at(where, system, [values[n].astype(dtype) for n in names])
        return _as_dict(fn(system, member_key(key, seed)))

    members = jax.vmap(member, in_axes=(None, None, 0, 0))
    if mode == "inside":
        vmapped = members

        def members(dyn, key, values, seeds):
            n = seeds.shape[0]
            split_up = lambda v: v.reshape((n // group, group) + v.shape[1:])
            out = jax.lax.map(
                lambda vs: vmapped(dyn, key, *vs),
                (jax.tree_util.tree_map(split_up, values), split_up(seeds)),
            )
            return jax.tree_util.tree_map(lambda o: o.reshape((n,) + o.shape[2:]), out)

    mesh = Mesh(np.asarray(devices), ("members",))
    split, whole = PartitionSpec("members"), PartitionSpec()
    if use_shard_map and len(devices) > 1:
        members = jax.shard_map(
            members,
            mesh=mesh,
            in_specs=(whole, whole, split, split),
            out_specs=split,
            check_vma=False,
        )
    compiled = jax.jit(
        members,
        in_shardings=tuple(NamedSharding(mesh, s) for s in (whole, whole, split, split)),
        out_shardings=NamedSharding(mesh, split),
    )

    def run(*a):
        with batching(mode):  # read while tracing (the first call)
            return compiled(*a)

    return run


_cached_runner = functools.lru_cache(maxsize=64)(_build_runner)


def member_key(key: PRNGKeyArray, seed: int | Array) -> PRNGKeyArray:
    """The key that :func:`sweep` gives seed ``seed`` (the same at every grid point).

    Experiments that need to know what a member drew (e.g. the disorder of a columnar
    ring) derive it with this function rather than re-deriving the scheme.
    """
    return jax.random.fold_in(key, seed)


def _check_fields(system: AbstractSystem, grid: Grid) -> None:
    fields = system.sweepable()
    for n in grid.names:
        if n not in fields:
            raise ValueError(
                f"grid parameter {n!r} is not a sweepable field of {type(system).__name__}; "
                f"sweepable fields: {sorted(fields)}"
            )
    check_ranges(type(system).__name__, system.param_ranges, grid.values)


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


_ROLES = (
    "member function",
    "system",
    "grid values",
    "grid dims",
    "key",
    "seeds",
    "version",
    "batch",
)


def _describe(fn, system, grid, key, seeds, chunk_size, version, unhashable) -> dict:
    """What the manifest says about a sweep, for people (and for naming what changed)."""
    fields = {}
    for name in system.__dataclass_fields__:
        v = getattr(system, name)
        fields[name] = _short(v)
    closure = {}
    code = getattr(fn, "__code__", None)
    for name, cell in zip(getattr(code, "co_freevars", ()), fn.__closure__ or (), strict=False):
        try:
            closure[name] = _short(cell.cell_contents)
        except ValueError:
            pass
    return {
        "function": f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}",
        "function captures": closure,
        "system": f"{type(system).__module__}.{type(system).__qualname__}",
        "system fields": fields,
        "grid": {"dims": list(grid.dims), "shape": list(grid.shape)}
        | {n: _short(v) for n, v in grid.values.items()},
        "seeds": int(seeds),
        "key": np.asarray(jax.random.key_data(key) if _typed(key) else key).tolist(),
        "chunk_size": int(chunk_size),
        "version": version,
        "jaxdyn": _jaxdyn_version(),
        "unverified": list(unhashable),
    }


def _typed(key) -> bool:
    return jax.dtypes.issubdtype(getattr(key, "dtype", np.float32), jax.dtypes.prng_key)


def _short(v: Any) -> Any:
    if isinstance(v, bool | int | float | str) or v is None:
        return v
    if isinstance(v, np.ndarray | jax.Array) and not isinstance(v, jax.core.Tracer):
        a = np.asarray(v)
        if a.size <= 8:
            return a.tolist()
        return f"{a.dtype}{list(a.shape)} sha256:{hashlib.sha256(a.tobytes()).hexdigest()[:12]}"
    if callable(v):
        return getattr(v, "__qualname__", type(v).__qualname__)
    return type(v).__qualname__


def _jaxdyn_version() -> str:
    from jaxdyn import __version__

    return __version__


def status_counts(ds: xr.Dataset) -> dict[str, int]:
    """How many members ended with each status."""
    st = np.asarray(ds["status"]).ravel()
    return {name: int(np.sum(st == i)) for i, name in enumerate(STATUS_NAMES)}


__all__ = ["MemberFn", "member_key", "status_counts", "sweep"]
