"""Experiments: one per paper, registered by name, each with quick and full configs.

An experiment module defines ``run(config: dict, out: Path) -> dict`` and registers it::

    @register("sync1d", paper="1", quick={"L": 64}, full={"L": 1024})
    def run(config, out): ...

``run`` writes its figures and dataset into ``out`` and returns the key numbers;
:func:`run_experiment` adds the configuration and timing and writes ``results.json``.
A key number with a literature value is written as ``number(value, literature=...)``.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import platform
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

RunFn = Callable[[dict, Path], dict]


@dataclass(frozen=True)
class Experiment:
    name: str
    paper: str
    run: RunFn
    quick: Mapping[str, Any]
    full: Mapping[str, Any]
    description: str = field(default="")


_REGISTRY: dict[str, Experiment] = {}


def register(name: str, *, paper: str, quick: Mapping[str, Any], full: Mapping[str, Any]):
    """Decorator registering ``run(config, out) -> results`` as experiment ``name``."""
    if set(quick) != set(full):
        raise ValueError(f"experiment {name!r}: quick and full configs must have the same keys")

    def deco(fn: RunFn) -> RunFn:
        doc = (fn.__doc__ or "").strip().splitlines()
        _REGISTRY[name] = Experiment(
            name, paper, fn, dict(quick), dict(full), doc[0] if doc else ""
        )
        return fn

    return deco


def _discover() -> None:
    from jaxdyn import experiments

    for mod in pkgutil.iter_modules(experiments.__path__):
        if mod.name not in {"registry"} and not mod.name.startswith("_"):
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
    out = {"value": _plain(value)}
    if literature is not None:
        out["literature"] = _plain(literature)
    if note:
        out["note"] = note
    return out


def parse_overrides(exp: Experiment, pairs: list[str], base: Mapping[str, Any]) -> dict:
    """Apply ``key=value`` strings to a config, casting to each default's type."""
    config = dict(base)
    for pair in pairs:
        if "=" not in pair:
            raise ValueError(f"--set expects key=value, got {pair!r}")
        key, raw = pair.split("=", 1)
        if key not in config:
            raise ValueError(
                f"unknown --set key {key!r} for experiment {exp.name!r}; "
                f"valid keys: {', '.join(sorted(config))}"
            )
        config[key] = _cast(raw, config[key], key)
    return config


def _cast(raw: str, default: Any, key: str) -> Any:
    try:
        if isinstance(default, bool):
            if raw.lower() not in {"true", "false", "1", "0"}:
                raise ValueError
            return raw.lower() in {"true", "1"}
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
        if isinstance(default, list | tuple):
            conv = type(default[0]) if default else float
            return [conv(x) for x in raw.split(",") if x]
        return raw
    except ValueError:
        raise ValueError(f"--set {key}: cannot read {raw!r} as {type(default).__name__}") from None


def run_experiment(
    name: str, out: str | Path, *, quick: bool = False, overrides: list[str] | None = None
) -> dict:
    """Run experiment ``name`` into directory ``out``; returns what results.json holds."""
    exp = get(name)
    config = parse_overrides(exp, overrides or [], exp.quick if quick else exp.full)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    results = exp.run(config, out)
    payload = {
        "experiment": name,
        "paper": exp.paper,
        "mode": "quick" if quick else "full",
        "config": _plain(config),
        "results": _plain(results),
        "figures": sorted(p.name for p in out.glob("*.png")),
        "elapsed_s": round(time.perf_counter() - t0, 2),
        "machine": _machine(),
    }
    (out / "results.json").write_text(json.dumps(payload, indent=2) + "\n")
    return payload


def _machine() -> dict:
    import jax

    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "jax": jax.__version__,
        "backend": jax.default_backend(),
        "devices": [str(d) for d in jax.devices()],
    }


def _plain(x: Any) -> Any:
    """JSON-ready copy: arrays to lists, numpy scalars to Python numbers."""
    if isinstance(x, Mapping):
        return {str(k): _plain(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_plain(v) for v in x]
    if hasattr(x, "__array__") and not isinstance(x, str | bytes):
        arr = np.asarray(x)
        return arr.item() if arr.ndim == 0 else arr.tolist()
    if isinstance(x, float) and not np.isfinite(x):
        return None
    return x
