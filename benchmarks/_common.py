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


# --- helpers added for the solver benchmarks (bench_sync1d_*, bench_lorenz_ensemble) ---


def single_thread() -> None:
    """Pin XLA (and BLAS/OpenMP) to one thread; call before importing jax or torch.

    On a small machine shared with other jobs, multi-threaded runtimes spin and
    pre-empt each other and timings become noise; one thread per library is the fair,
    reproducible comparison (torch: call ``torch.set_num_threads(1)`` as well).
    """
    flags = os.environ.get("XLA_FLAGS", "")
    if "intra_op_parallelism_threads" not in flags:
        flags += " --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
    os.environ["XLA_FLAGS"] = flags.strip()
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ.setdefault(var, "1")


def timeit_runs(
    fns: dict[str, Callable[[], object]], *, repeat: int = 5, warmup: int = 1
) -> dict[str, list[float]]:
    """All ``repeat`` wall times of each ``fns[name]()``, the repeats taken round-robin.

    Interleaving the peers spreads slow drifts of a shared machine's load over all of
    them alike, instead of penalising whichever happened to run during a busy spell.
    Each ``fn`` must block until its work is done (``jax.block_until_ready``).
    """
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return times


def timeit_many(
    fns: dict[str, Callable[[], object]], *, repeat: int = 5, warmup: int = 1
) -> dict[str, float]:
    """Median wall time of each ``fns[name]()`` (see :func:`timeit_runs`)."""
    runs = timeit_runs(fns, repeat=repeat, warmup=warmup)
    return {name: statistics.median(ts) for name, ts in runs.items()}


def table_min_median(rows: list[dict], ref: str) -> str:
    """Rows ``{"name", "min_s", "median_s"}``: both times and both ratios to row ``ref``.

    On a shared, overloaded machine the minimum over repeats is the least disturbed
    measurement of each peer's own cost; the median is shown beside it.
    """
    base = next(r for r in rows if r["name"] == ref)
    head = (
        f"{'method':42s} {'min [s]':>10s} {'median [s]':>11s} {'min ratio':>10s} {'med ratio':>10s}"
    )
    lines = [head + f"   (ratios: time / time of '{ref}')"]
    for r in rows:
        lines.append(
            f"{r['name']:42s} {r['min_s']:10.4g} {r['median_s']:11.4g} "
            f"{r['min_s'] / base['min_s']:9.2f}x {r['median_s'] / base['median_s']:9.2f}x"
        )
    return "\n".join(lines)


def load_average() -> list[float] | None:
    """1, 5 and 15 minute load averages (how busy the shared machine was)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def goal(name: str, measured: float, target: float, *, higher_is_better: bool = True) -> dict:
    """A performance goal with its pass/fail verdict, for the result file."""
    ok = measured >= target if higher_is_better else measured <= target
    return {
        "goal": name,
        "measured": measured,
        "target": target,
        "higher_is_better": higher_is_better,
        "pass": bool(ok),
    }


def goals_text(goals: list[dict]) -> str:
    lines = []
    for g in goals:
        cmp = ">=" if g.get("higher_is_better", True) else "<="
        verdict = "PASS" if g["pass"] else "FAIL"
        target = f"(target {cmp} {g['target']:g})"
        lines.append(f"  [{verdict}] {g['goal']}: {g['measured']:.3g} {target}")
    return "\n".join(lines)


def timeit_wall_cpu(
    fns: dict[str, Callable[[], object]], *, repeat: int = 5, warmup: int = 1
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Wall and process-CPU times of each ``fns[name]()``, repeats taken round-robin.

    With every library pinned to one thread (:func:`single_thread`), the process CPU
    time is what a peer costs even when an overloaded machine keeps it waiting for a
    core; the wall time is returned beside it. Returns ``(wall, cpu)``, each a dict of
    lists of seconds.
    """
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    wall: dict[str, list[float]] = {name: [] for name in fns}
    cpu: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            c0, t0 = time.process_time(), time.perf_counter()
            fn()
            wall[name].append(time.perf_counter() - t0)
            cpu[name].append(time.process_time() - c0)
    return wall, cpu


class CompileClock:
    """Time jax spends tracing, lowering and compiling the functions named ``names``.

    Listens to jax's compile-time monitoring events. ``seconds`` sums their wall
    durations; ``cpu_at_last_compile`` is the process CPU time when the last backend
    compile finished, so that ``process_time() - cpu_at_last_compile`` is the CPU spent
    after compiling (running the compiled code and post-processing).
    """

    EVENTS = (
        "/jax/core/compile/jaxpr_trace_duration",
        "/jax/core/compile/jaxpr_to_mlir_module_duration",
        "/jax/core/compile/backend_compile_duration",
    )

    def __init__(
        self, names: tuple[str, ...] = ("member", "jit(member)", "members", "jit(members)")
    ):
        import jax

        self.names = names
        self.seconds = 0.0
        self.cpu_at_last_compile: float | None = None
        jax.monitoring.register_event_duration_secs_listener(self._listen)

    def _listen(self, event: str, duration: float, **kwargs) -> None:
        # Only the outermost function is counted: nested jits are traced inside it.
        if event in self.EVENTS and kwargs.get("fun_name") in self.names:
            self.seconds += duration
            if event == self.EVENTS[-1]:
                self.cpu_at_last_compile = time.process_time()

    def measure(self, fn: Callable[[], object]) -> dict:
        """Run ``fn()`` once: wall, CPU, compile wall, and CPU after the last compile."""
        s0, c0, t0 = self.seconds, time.process_time(), time.perf_counter()
        self.cpu_at_last_compile = None
        fn()
        wall, c1 = time.perf_counter() - t0, time.process_time()
        after = c1 - (self.cpu_at_last_compile or c0)
        return {
            "wall_s": wall,
            "cpu_s": c1 - c0,
            "compile_wall_s": self.seconds - s0,
            "run_wall_s": wall - (self.seconds - s0),
            "cpu_after_compile_s": after,
        }


def table_cpu_wall(rows: list[dict], ref: str) -> str:
    """Rows ``{"name", "cpu_s", "wall_min_s", "wall_median_s"}`` with CPU-time ratios to ``ref``.

    ``cpu_s`` is the median process CPU time (one thread per library), the robust cost
    on a shared machine; the wall-clock minimum and median are shown beside it.
    """
    base = next(r for r in rows if r["name"] == ref)["cpu_s"]
    lines = [
        f"{'method':44s} {'CPU [s]':>9s} {'ratio':>8s} {'wall min':>9s} {'wall med':>9s}"
        f"   (ratio: CPU time / CPU time of '{ref}')"
    ]
    for r in rows:
        lines.append(
            f"{r['name']:44s} {r['cpu_s']:9.4g} {r['cpu_s'] / base:7.2f}x "
            f"{r['wall_min_s']:9.4g} {r['wall_median_s']:9.4g}"
        )
    return "\n".join(lines)
