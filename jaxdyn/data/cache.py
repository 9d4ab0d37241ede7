"""Deterministic on-disk dataset cache keyed by a hash of the generating configuration.

``cached(name, config, make)`` returns ``make()``'s dictionary of arrays, computing it
only if ``<cache>/<name>-<hash>.npz`` does not exist yet. The hash is the SHA-256 of the
canonical JSON of ``{"name", "config"}`` (sorted keys), so the same configuration (which
must include the PRNG seed and any version tag of the generator) always maps to the same
file, and changing any field makes a new one. Files are written to a temporary name and
renamed into place, so concurrent or interrupted writers never leave a partial file.

The cache directory is ``$JAXDYN_CACHE`` if set, else ``.cache/jaxdyn`` under the
repository root.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..core import atomic_write

_REPO_ROOT = Path(__file__).resolve().parents[2]


def cache_dir() -> Path:
    """``$JAXDYN_CACHE``, or ``<repo>/.cache/jaxdyn``."""
    env = os.environ.get("JAXDYN_CACHE")
    return Path(env) if env else _REPO_ROOT / ".cache" / "jaxdyn"


def _canonical(x: Any) -> Any:
    if isinstance(x, Mapping):
        return {str(k): _canonical(v) for k, v in sorted(x.items(), key=lambda kv: str(kv[0]))}
    if isinstance(x, list | tuple):
        return [_canonical(v) for v in x]
    if isinstance(x, np.ndarray | np.generic):
        return _canonical(x.tolist())
    if isinstance(x, float):
        return repr(x)  # exact round trip: 0.1 and 0.1000000001 hash differently
    if x is None or isinstance(x, bool | int | str):
        return x
    raise TypeError(f"config values must be JSON-like (numbers, strings, lists, dicts), got {x!r}")


def config_hash(name: str, config: Mapping[str, Any]) -> str:
    """SHA-256 (hex, 16 characters) of the canonical JSON of ``name`` and ``config``."""
    text = json.dumps({"name": name, "config": _canonical(config)}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def cached(
    name: str,
    config: Mapping[str, Any],
    make: Callable[[], Mapping[str, Any]],
    *,
    directory: str | os.PathLike | None = None,
) -> dict[str, np.ndarray]:
    """Load dataset ``name`` for ``config`` from the cache, or ``make()`` and store it.

    ``make`` returns a mapping of array-likes; the result is always read back as NumPy
    arrays, so a cache hit and a miss return identical values.
    """
    if not name or any(c in name for c in "/\\"):
        raise ValueError(f"name must be a non-empty file-name stem, got {name!r}")
    root = Path(directory) if directory is not None else cache_dir()
    path = root / f"{name}-{config_hash(name, config)}.npz"
    if not path.exists():
        arrays = {k: np.asarray(v) for k, v in make().items()}
        root.mkdir(parents=True, exist_ok=True)
        atomic_write(path, lambda f: np.savez(f, **arrays))
        (root / f"{path.stem}.json").write_text(
            json.dumps({"name": name, "config": _canonical(config)}, indent=1)
        )
    with np.load(path) as f:
        return {k: f[k] for k in f.files}
