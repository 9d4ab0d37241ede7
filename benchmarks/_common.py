"""Shared helpers for benchmark scripts: timing, machine description, result files.

Every benchmark prints a table of times and ratios against its peers measured in the
same run, a one-line summary for the README, and writes the same numbers to
``benchmarks/results/NAME.json``.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

RESULTS = Path(__file__).parent / "results"


def timeit(fn: Callable[[], object], *, repeat: int = 5, warmup: int = 1) -> float:
    """Median wall time of ``fn()`` in seconds, after ``warmup`` untimed calls.

    ``fn`` must block until its work is done (call ``jax.block_until_ready``).
    """
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def gpu_model() -> str | None:
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=10,
        )
        return out.stdout.strip().splitlines()[0] if out.returncode == 0 else None
    except (OSError, subprocess.SubprocessError, IndexError):
        return None


def versions(*packages: str) -> dict[str, str]:
    out = {}
    for p in packages:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            out[p] = "not installed"
    return out


def machine(*packages: str) -> dict:
    import jax

    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "gpu": gpu_model(),
        "jax_backend": jax.default_backend(),
        "python": platform.python_version(),
        "versions": versions("jax", "jaxlib", "diffrax", "equinox", *packages),
    }


def table(rows: list[dict], ref: str, columns: tuple[str, ...] = ("time_s",)) -> str:
    """Format rows ``{"name", "time_s", ...}`` with each row's time ratio to row ``ref``."""
    base = next(r for r in rows if r["name"] == ref)["time_s"]
    lines = [f"{'method':40s} {'time [s]':>12s} {'vs ' + ref:>16s}"]
    for r in rows:
        t = r["time_s"]
        ratio = "n/a" if t is None else f"{t / base:.2f}x"
        ts = "n/a" if t is None else f"{t:.4g}"
        lines.append(f"{r['name']:40s} {ts:>12s} {ratio:>16s}")
    return "\n".join(lines)


def write(name: str, payload: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2) + "\n")
    return path
