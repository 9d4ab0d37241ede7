"""Deterministic on-disk dataset cache keyed by the generating configuration's hash.

``cached(name, config, make)`` returns ``make()``'s dictionary of arrays, computing it
only if ``<cache>/<name>-<config.hash()>.npz`` does not exist yet. ``config`` is a typed,
frozen :class:`jaxdyn.experiments.Config` (validated fields, the PRNG ``seed`` among
them), and :meth:`Config.hash` is the one way a configuration is hashed in jaxdyn: the
same hash names experiment runs and dataset files. The same configuration therefore
always maps to the same file and changing any field (or the config class) makes a new
one; a generator whose output changes for the same configuration bumps the version in
``name``. Files are written atomically (a temporary name renamed into place), so
concurrent or interrupted writers never leave a partial file; a JSON sidecar records the
configuration in readable form.

The cache directory is ``$JAXDYN_CACHE`` if set, else ``.cache/jaxdyn`` under the
repository root.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..core import atomic_write, write_json
from ..experiments._config import Config

_REPO_ROOT = Path(__file__).resolve().parents[2]


def cache_dir() -> Path:
    """``$JAXDYN_CACHE``, or ``<repo>/.cache/jaxdyn``."""
    env = os.environ.get("JAXDYN_CACHE")
    return Path(env) if env else _REPO_ROOT / ".cache" / "jaxdyn"


def cache_path(name: str, config: Config, directory: str | os.PathLike | None = None) -> Path:
    """Where dataset ``name`` of ``config`` is (or would be) stored."""
    if not isinstance(name, str) or not name or any(c in name for c in "/\\"):
        raise ValueError(f"name must be a non-empty file-name stem, got {name!r}")
    if not isinstance(config, Config):
        raise TypeError(
            "config must be a jaxdyn.experiments.Config (its hash() names the file), "
            f"got {type(config).__name__}"
        )
    root = Path(directory) if directory is not None else cache_dir()
    return root / f"{name}-{config.hash()}.npz"


def cached(
    name: str,
    config: Config,
    make: Callable[[], Mapping[str, Any]],
    *,
    directory: str | os.PathLike | None = None,
) -> dict[str, np.ndarray]:
    """Load dataset ``name`` for ``config`` from the cache, or ``make()`` and store it.

    ``make`` returns a mapping of array-likes; the result is always read back as NumPy
    arrays, so a cache hit and a miss return identical values.
    """
    path = cache_path(name, config, directory)
    if not path.exists():
        arrays = {k: np.asarray(v) for k, v in make().items()}
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, lambda f: np.savez(f, **arrays))
        write_json(
            path.with_suffix(".json"),
            {"name": name, "class": type(config).__qualname__, "config": config.to_dict()},
        )
    with np.load(path) as f:
        return {k: f[k] for k in f.files}


__all__ = ["cache_dir", "cache_path", "cached"]
