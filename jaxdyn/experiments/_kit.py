"""The experiment kit: registration, the run context, owned output directories, results.

An experiment is a function ``run(config, ctx) -> dict`` registered with
:func:`experiment` together with its typed config presets (``tiny`` for the smoke test,
``quick`` for CI and the demo, ``full`` for the committed results)::

    @experiment("sync1d", paper="1", presets={"tiny": ..., "quick": ..., "full": ...})
    def run(cfg: Sync1DConfig, ctx: Run) -> dict: ...

Everything an experiment writes goes through its :class:`Run` context, which

* writes every file atomically and remembers it (``results.json`` lists exactly the files
  this run wrote, never a glob of the directory);
* keeps sweep stores, training checkpoints and cached stages under ``OUT/_state/`` so an
  interrupted run resumes where it stopped (``ctx.sweep``, ``ctx.train``, ``ctx.cached``);
* prints each stage and times it (``ctx.stage``), with progress bars on long work,
  unless the run is quiet; stage timings land in ``results.json["timings"]``.

:func:`run_experiment` owns the output directory: it checks it is a writable directory
before computing, refuses one that holds another experiment's run (or, without
``fresh``, the same experiment with another configuration), and with ``fresh`` removes
the previous run's files and state.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import platform
import shutil
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..core import atomic_path, atomic_write, sweep, write_json
from ._config import Config, parse_overrides

PRESETS = ("tiny", "quick", "full")
MARKER = ".jaxdyn-run.json"
STATE = "_state"
RunFn = Callable[[Config, "Run"], dict]


@dataclasses.dataclass(frozen=True)
class Experiment:
    name: str
    paper: str
    run: RunFn
    presets: Mapping[str, Config]
    description: str = ""

    @property
    def config_cls(self) -> type[Config]:
        return type(self.presets["quick"])


_REGISTRY: dict[str, Experiment] = {}


def experiment(name: str, *, paper: str, presets: Mapping[str, Config]):
    """Decorator registering ``run(config, ctx) -> results`` as experiment ``name``."""
    missing = [p for p in PRESETS if p not in presets]
    if missing:
        raise ValueError(f"experiment {name!r}: presets {missing} are missing")
    classes = {type(c) for c in presets.values()}
    if len(classes) != 1 or not issubclass(next(iter(classes)), Config):
        raise TypeError(f"experiment {name!r}: every preset must be the same Config class")

    def deco(fn: RunFn) -> RunFn:
        doc = (fn.__doc__ or "").strip().splitlines()
        _REGISTRY[name] = Experiment(name, paper, fn, dict(presets), doc[0] if doc else "")
        return fn

    return deco


def _discover() -> None:
    import importlib
    import pkgutil

    from jaxdyn import experiments

    for mod in pkgutil.iter_modules(experiments.__path__):
        if not mod.name.startswith("_"):
            importlib.import_module(f"jaxdyn.experiments.{mod.name}")


def names() -> list[str]:
    _discover()
    return sorted(_REGISTRY)


def get(name: str) -> Experiment:
    _discover()
    if name not in _REGISTRY:
        raise KeyError(f"unknown experiment {name!r}; available: {', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[name]


def number(value: Any, literature: Any = None, note: str | None = None) -> dict:
    """A key number for results.json, with the literature value beside it."""
    out = {"value": plain(value)}
    if literature is not None:
        out["literature"] = plain(literature)
    if note:
        out["note"] = note
    return out


class Run:
    """What an experiment's ``run`` receives besides its config: where and how to write.

    Attributes:
        name: the experiment's name; out: its output directory; config: the config;
        quiet: no stage lines or progress bars; files: relative paths written so far;
        timings: seconds per stage (``<stage>_s``).
    """

    def __init__(self, name: str, out: Path, config: Config, *, quiet: bool = False):
        self.name, self.out, self.config, self.quiet = name, Path(out), config, quiet
        self.files: list[str] = []
        self.timings: dict[str, float] = {}
        self.resumed: list[str] = []

    # ------------------------------------------------------------------ progress
    def log(self, message: str) -> None:
        if not self.quiet:
            print(f"[{self.name}] {message}", file=sys.stderr, flush=True)

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Print the stage, time it into ``timings[name + "_s"]``."""
        self.log(f"{name} ...")
        t0 = time.perf_counter()
        yield
        dt = time.perf_counter() - t0
        self.timings[f"{name}_s"] = round(self.timings.get(f"{name}_s", 0.0) + dt, 2)
        self.log(f"{name} done in {dt:.1f} s")

    @property
    def progress(self) -> bool:
        return not self.quiet

    # ------------------------------------------------------------------ resumable work
    def state_dir(self, kind: str, name: str) -> Path:
        return self.out / STATE / kind / name

    def sweep(self, name: str, fn, system, grid, **kw):
        """:func:`jaxdyn.sweep` with its store in the run's state: resumes after a crash."""
        store = self.state_dir("sweeps", name)
        if store.exists() and any(store.glob("chunk_*.npz")):
            self.resumed.append(f"sweep {name}")
            self.log(f"sweep {name}: resuming from {store}")
        kw.setdefault("progress", self.progress)
        return sweep(fn, system, grid, store=store, **kw)

    def train(self, name: str, loss_fn, model, batch_fn, **kw):
        """:func:`jaxdyn.models.train` checkpointing into the run's state."""
        from ..models.training import train

        ckpt = self.state_dir("train", name)
        if (ckpt / "meta.json").exists():
            self.resumed.append(f"training {name}")
            self.log(f"training {name}: resuming from its checkpoint")
        kw.setdefault("progress", self.progress)
        kw.setdefault("desc", name)
        return train(loss_fn, model, batch_fn, checkpoint_dir=ckpt, **kw)

    def cached(self, name: str, compute: Callable[[], Mapping[str, Any]]) -> dict[str, Any]:
        """``compute()`` (a dict of arrays and numbers), stored in the run's state so that a
        resumed run does not redo it. Use for stages that are neither sweeps nor training."""
        # Not with_suffix: a name with a dot ("sweep_1.5Hz") would lose its tail.
        path = self.state_dir("cache", f"{name}.npz")
        if path.exists():
            with np.load(path, allow_pickle=False) as f:
                self.resumed.append(f"stage {name}")
                return {k: (f[k].item() if f[k].ndim == 0 else f[k]) for k in f.files}
        result = dict(compute())
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, lambda fh: np.savez(fh, **{k: np.asarray(v) for k, v in result.items()}))
        return result

    # ------------------------------------------------------------------ outputs
    def _record(self, path: Path) -> Path:
        rel = str(path.relative_to(self.out))
        if rel not in self.files:
            self.files.append(rel)
        return path

    def path(self, name: str) -> Path:
        """Where output ``name`` goes (its parent directory is created)."""
        p = self.out / name
        p.parent.mkdir(parents=True, exist_ok=True)
        return p

    def savefig(self, fig, name: str, dpi: int | None = None) -> Path:
        """Save a matplotlib figure as ``name`` (PNG) atomically, close it, record it."""
        from ..plotting import savefig

        path = self.path(name if name.endswith(".png") else f"{name}.png")
        with atomic_path(path) as tmp:
            savefig(fig, tmp, dpi=dpi, format="png")
        return self._record(path)

    def save_dataset(self, ds, name: str) -> Path:
        """Write an xarray Dataset as netCDF (h5netcdf) atomically and record it."""
        path = self.path(name if name.endswith(".nc") else f"{name}.nc")
        with atomic_path(path) as tmp:
            ds.to_netcdf(tmp, engine="h5netcdf")
        return self._record(path)

    def save_arrays(self, name: str, **arrays: Any) -> Path:
        """Write arrays as ``.npz`` atomically and record it."""
        path = self.path(name if name.endswith(".npz") else f"{name}.npz")
        atomic_write(path, lambda f: np.savez(f, **{k: np.asarray(v) for k, v in arrays.items()}))
        return self._record(path)

    def save_json(self, name: str, obj: Any) -> Path:
        path = self.path(name if name.endswith(".json") else f"{name}.json")
        write_json(path, plain(obj))
        return self._record(path)

    def save_bytes(self, name: str, data: bytes) -> Path:
        """Write raw bytes (audio, MIDI, ...) atomically and record them."""
        path = self.path(name)
        atomic_write(path, lambda f: f.write(data))
        return self._record(path)


# ---------------------------------------------------------------------------- the runner


def prepare_out(out: Path, exp: Experiment, config: Config, preset: str, fresh: bool) -> None:
    """Check and claim the output directory before any computation (see module docstring)."""
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {str(out)!r} is a file, not a directory")
    for parent in out.parents:
        if parent.exists():
            if not parent.is_dir():
                raise ValueError(f"--out {str(out)!r}: {str(parent)!r} is a file")
            break
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ValueError(f"--out {str(out)!r}: cannot create it ({err.strerror})") from None
    try:
        with atomic_path(out / ".write-test"):
            pass
        (out / ".write-test").unlink(missing_ok=True)
    except OSError as err:
        raise ValueError(f"--out {str(out)!r} is not writable ({err.strerror})") from None

    marker = out / MARKER
    claim = {"experiment": exp.name, "preset": preset, "config_hash": config.hash()}
    if marker.exists():
        old = json.loads(marker.read_text())
        if old.get("experiment") != exp.name:
            raise ValueError(
                f"--out {str(out)!r} holds a run of experiment {old.get('experiment')!r}; "
                "choose another directory"
            )
        if old != claim:
            if not fresh:
                raise ValueError(
                    f"--out {str(out)!r} holds a {exp.name} run with another configuration "
                    f"(preset {old.get('preset')!r}); add --fresh to replace it, or choose "
                    "another directory"
                )
        if fresh:
            clean(out)
    elif any(p.name != ".write-test" for p in out.iterdir()) and (out / "results.json").exists():
        raise ValueError(
            f"--out {str(out)!r} holds results that jaxdyn did not write for {exp.name}; "
            "choose another directory"
        )
    write_json(marker, claim)


def clean(out: Path) -> None:
    """Remove a previous run's state and the files its results.json lists."""
    shutil.rmtree(out / STATE, ignore_errors=True)
    results = out / "results.json"
    if results.exists():
        try:
            listed = json.loads(results.read_text()).get("files", [])
        except json.JSONDecodeError:
            listed = []
        for rel in listed:
            (out / rel).unlink(missing_ok=True)
        results.unlink()


def plan_run(
    name: str,
    out: str | os.PathLike | None = None,
    *,
    preset: str = "quick",
    overrides: list[str] | None = None,
    config: Config | None = None,
    fresh: bool = False,
) -> tuple[Experiment, Config, Path, str]:
    """Validate everything about a run and claim its directory; compute nothing.

    Every bad input (unknown experiment or preset, a ``--set`` value of the wrong type or
    out of range, an unusable ``--out``) raises ``KeyError``/``ValueError`` here, before
    any file but the directory's claim is written.
    """
    exp = get(name)
    if preset not in exp.presets:
        raise ValueError(f"preset must be one of {list(exp.presets)}, got {preset!r}")
    if config is None:
        config = parse_overrides(exp.presets[preset], overrides or [])
    elif not isinstance(config, exp.config_cls):
        raise TypeError(f"config must be a {exp.config_cls.__name__}")
    out = Path(out if out is not None else f"runs/{name}")
    prepare_out(out, exp, config, preset, fresh)
    return exp, config, out, preset


def execute(exp: Experiment, config: Config, out: Path, preset: str, quiet: bool = False) -> dict:
    """Run a planned experiment and write its results.json (see :func:`run_experiment`)."""
    ctx = Run(exp.name, out, config, quiet=quiet)
    t0 = time.perf_counter()
    results = exp.run(config, ctx)
    payload = {
        "experiment": exp.name,
        "paper": exp.paper,
        "preset": preset,
        "config": config.to_dict(),
        "config_hash": config.hash(),
        "results": plain(results),
        "files": sorted(ctx.files),
        "timings": ctx.timings,
        "resumed": ctx.resumed,
        "elapsed_s": round(time.perf_counter() - t0, 2),
        "machine": machine(),
    }
    write_json(out / "results.json", payload)
    return payload


def run_experiment(
    name: str,
    out: str | os.PathLike | None = None,
    *,
    preset: str = "quick",
    overrides: list[str] | None = None,
    config: Config | None = None,
    fresh: bool = False,
    quiet: bool = False,
) -> dict:
    """Run experiment ``name`` into ``out`` (default ``runs/NAME``); return results.json.

    ``overrides`` are ``key=value`` strings applied to the preset (validated first);
    ``config`` replaces the preset altogether. A rerun into the same directory with the
    same configuration resumes finished sweeps, training and cached stages; ``fresh``
    starts over.
    """
    exp, config, out, preset = plan_run(
        name, out, preset=preset, overrides=overrides, config=config, fresh=fresh
    )
    return execute(exp, config, out, preset, quiet=quiet)


@dataclasses.dataclass(frozen=True)
class RunRecord:
    """A finished run read back by :func:`load_run`."""

    path: Path
    experiment: str
    preset: str
    config: Config
    results: dict
    files: list[str]
    timings: dict

    @property
    def figures(self) -> list[Path]:
        return [self.path / f for f in self.files if f.endswith(".png")]

    def dataset(self, name: str):
        """Open a netCDF file the run wrote (``name`` with or without ``.nc``)."""
        import xarray as xr

        rel = name if name.endswith(".nc") else f"{name}.nc"
        if rel not in self.files:
            nc = [f for f in self.files if f.endswith(".nc")]
            raise KeyError(f"run has no dataset {name!r}; it wrote {nc}")
        return xr.open_dataset(self.path / rel, engine="h5netcdf")

    def arrays(self, name: str) -> dict[str, np.ndarray]:
        rel = name if name.endswith(".npz") else f"{name}.npz"
        with np.load(self.path / rel) as f:
            return {k: f[k] for k in f.files}


def load_run(path: str | os.PathLike) -> RunRecord:
    """Read a finished run's results, config and file list back as Python objects."""
    path = Path(path)
    results = path / "results.json"
    if not results.exists():
        raise FileNotFoundError(f"{str(path)!r} holds no results.json (not a finished run)")
    payload = json.loads(results.read_text())
    exp = get(payload["experiment"])
    config = exp.config_cls(
        **{k: tuple(v) if isinstance(v, list) else v for k, v in payload["config"].items()}
    )
    return RunRecord(
        path=path,
        experiment=payload["experiment"],
        preset=payload.get("preset", ""),
        config=config,
        results=payload["results"],
        files=payload.get("files", []),
        timings=payload.get("timings", {}),
    )


def summary_table(payload: dict) -> str:
    """The measured-versus-literature lines of a results payload, as plain text."""
    rows = []

    def walk(prefix: str, obj: Any) -> None:
        if isinstance(obj, dict) and "value" in obj and set(obj) <= {"value", "literature", "note"}:
            rows.append((prefix, obj["value"], obj.get("literature")))
        elif isinstance(obj, dict):
            for k, v in obj.items():
                if k != "timings":
                    walk(f"{prefix}.{k}" if prefix else str(k), v)

    walk("", payload.get("results", {}))
    if not rows:
        return "(no key numbers)"
    width = min(44, max(len(r[0]) for r in rows))
    lines = [f"{'quantity':{width}s}  {'measured':>14s}  {'literature':>12s}"]
    for name, value, lit in rows:
        lines.append(f"{name[:width]:{width}s}  {_fmt(value):>14s}  {_fmt(lit):>12s}")
    return "\n".join(lines)


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, list):
        return f"[{len(v)} values]" if len(v) > 3 else ", ".join(_fmt(x) for x in v)
    return str(v)


def machine() -> dict:
    import jax

    from jaxdyn import __version__

    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "jax": jax.__version__,
        "jaxdyn": __version__,
        "backend": jax.default_backend(),
        "devices": [str(d) for d in jax.devices()],
    }


def plain(x: Any) -> Any:
    """JSON-ready copy: arrays to lists, numpy scalars to Python numbers, non-finite to None."""
    if isinstance(x, Mapping):
        return {str(k): plain(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [plain(v) for v in x]
    if isinstance(x, Config):
        return x.to_dict()
    if hasattr(x, "__array__") and not isinstance(x, str | bytes):
        arr = np.asarray(x)
        if arr.ndim == 0:
            return plain(arr.item())
        return plain(arr.tolist())
    if isinstance(x, float) and not np.isfinite(x):
        return None
    return x


__all__ = [
    "Experiment",
    "PRESETS",
    "Run",
    "RunRecord",
    "experiment",
    "get",
    "load_run",
    "names",
    "number",
    "plain",
    "plan_run",
    "execute",
    "run_experiment",
    "summary_table",
]
