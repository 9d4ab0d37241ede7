"""Crash-safe files: atomic writes, and the store of finished sweep chunks.

Every file jaxdyn writes goes through :func:`atomic_write` or :func:`atomic_path`: the
content goes to a temporary name beside the target and is renamed into place
(``os.replace`` is atomic on POSIX), so a reader sees the old file or the complete new
one, never a partial write, whatever interrupts the process.

A :class:`ChunkStore` holds one ``.npz`` per finished chunk and a manifest with the
sweep's fingerprint and a human-readable description of it. Reopening the directory for a
different sweep is an error that names what differs, never a silent mix of results.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it onto ``path``.

    For writers that want a file name rather than a file object (netCDF, savefig).
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write(path: str | os.PathLike, write: Callable[[IO], object], mode: str = "wb") -> None:
    """Call ``write(f)`` on a temporary file beside ``path``, then rename it into place.

    Every on-disk artefact of jaxdyn (sweep chunks, checkpoints, dataset caches,
    results, figures) goes through here or :func:`atomic_path`.
    """
    with atomic_path(path) as tmp, open(tmp, mode) as f:
        write(f)


def write_json(path: str | os.PathLike, obj: Any) -> None:
    """Atomically write ``obj`` as indented JSON."""
    atomic_write(path, lambda f: f.write(json.dumps(obj, indent=2) + "\n"), mode="w")


class ChunkStore:
    """Finished chunks of one sweep in a directory, with a manifest that identifies it.

    Args:
        path: the directory (created if missing).
        fingerprint: content hash of the sweep (function, system, grid, key, seeds, ...).
        n_chunks: how the members are chunked.
        description: human-readable account of the sweep, stored in the manifest and
            compared key by key when the fingerprints differ.
        resumable: False when the fingerprint could not see everything the sweep depends
            on; then chunks already on disk are refused rather than trusted.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        fingerprint: str,
        n_chunks: int,
        description: dict | None = None,
        resumable: bool = True,
    ):
        self.path = Path(path)
        if self.path.exists() and not self.path.is_dir():
            raise ValueError(f"store {str(self.path)!r} exists and is not a directory")
        self.path.mkdir(parents=True, exist_ok=True)
        manifest = self.path / "manifest.json"
        meta = {
            "fingerprint": fingerprint,
            "n_chunks": n_chunks,
            "description": description or {},
        }
        if manifest.exists():
            old = json.loads(manifest.read_text())
            if old.get("fingerprint") != fingerprint or old.get("n_chunks") != n_chunks:
                changed = _changed(old.get("description", {}), meta["description"])
                if old.get("n_chunks") != n_chunks:
                    changed.append("chunking")
                raise ValueError(
                    f"store {str(self.path)!r} holds chunks of a different sweep (differs in: "
                    f"{', '.join(changed) or 'the member function or values it reads'}); "
                    "use a new directory or delete this one"
                )
            if not resumable and self.n_done():
                raise ValueError(
                    f"store {str(self.path)!r} holds chunks, but this sweep reads values its "
                    "fingerprint cannot verify (see the warning above); pass version= to "
                    "name the sweep explicitly, or delete the store"
                )
        write_json(manifest, meta)

    def _file(self, i: int) -> Path:
        return self.path / f"chunk_{i:06d}.npz"

    def done(self, i: int) -> bool:
        return self._file(i).exists()

    def n_done(self) -> int:
        return len(list(self.path.glob("chunk_*.npz")))

    def load(self, i: int) -> dict[str, np.ndarray]:
        with np.load(self._file(i)) as f:
            return {k: f[k] for k in f.files}

    def save(self, i: int, arrays: dict[str, np.ndarray]) -> None:
        atomic_write(self._file(i), lambda f: np.savez(f, **arrays))


def _changed(old: dict, new: dict) -> list[str]:
    keys = sorted(set(old) | set(new))
    return [k for k in keys if old.get(k) != new.get(k)]


__all__ = ["ChunkStore", "atomic_path", "atomic_write", "write_json"]
