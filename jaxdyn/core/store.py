"""Crash-safe storage of finished sweep chunks.

Each chunk is one ``.npz`` file, written to a temporary name and renamed into place
(``os.replace`` is atomic on POSIX), so a chunk on disk is always complete. A manifest
holds a fingerprint of the sweep; reopening the directory for a different sweep is an
error rather than a silent mix of results.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

import numpy as np


class ChunkStore:
    def __init__(self, path: str | os.PathLike, fingerprint: str, n_chunks: int):
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        manifest = self.path / "manifest.json"
        meta = {"fingerprint": fingerprint, "n_chunks": n_chunks}
        if manifest.exists():
            old = json.loads(manifest.read_text())
            if old != meta:
                raise ValueError(
                    f"store {str(self.path)!r} holds chunks of a different sweep "
                    f"(fingerprint or chunking differs); use a new directory or delete it"
                )
        else:
            atomic_write(manifest, lambda f: f.write(json.dumps(meta)), mode="w")

    def _file(self, i: int) -> Path:
        return self.path / f"chunk_{i:06d}.npz"

    def done(self, i: int) -> bool:
        return self._file(i).exists()

    def load(self, i: int) -> dict[str, np.ndarray]:
        with np.load(self._file(i)) as f:
            return {k: f[k] for k in f.files}

    def save(self, i: int, arrays: dict[str, np.ndarray]) -> None:
        atomic_write(self._file(i), lambda f: np.savez(f, **arrays))


def atomic_write(path: str | os.PathLike, write: Callable[[IO], object], mode: str = "wb") -> None:
    """Call ``write(f)`` on a temporary file beside ``path``, then rename it into place.

    The rename is atomic on POSIX: readers see the old file or the complete new one, never
    a partial write, whatever interrupts the process. Every on-disk artefact of jaxdyn
    (sweep chunks, checkpoints, dataset caches) goes through here.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, mode) as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
