"""Multi-device sweeps: 1 against 2 host devices, ``shard_map`` against a partitioned ``jit``.

``sweep`` splits each chunk of members evenly over ``jax.devices()``. This script runs
the same sweeps with one and with two XLA host devices (``XLA_FLAGS=
--xla_force_host_platform_device_count=D``, one intra-op thread per device, so D devices
use D cores), each configuration in a fresh worker process, and with two devices both
ways of partitioning the chunk: ``shard_map`` (each device solves its own members: the
default) and a plain ``jit`` with ``NamedSharding`` in and out, which leaves the
partitioning of the vmapped solve to XLA's SPMD partitioner (diffrax issues report
adaptive solves running far slower that way than under ``pmap``).

Workloads (one chunk per device count, wall time, median of 5 after the first call):

* Lorenz ensemble, 2^16 members (the DiffEqGPU setup of ``bench_lorenz_ensemble``,
  float32): fixed-step Tsit5 dt = 1e-3, adaptive Tsit5 rtol = atol = 1e-8 with
  ``batch="vmap"`` and with ``batch="inside"``;
* sync1d columnar rings (L = 64, 64 members, Tsit5 rtol 1e-6, t = 30, W² at 12 times).

Goal (issue "Fast ensembles and cheap gradients"): the sharded sweep scales, i.e. two
devices on two cores at least 1.6x faster than one, with the faster partitioning kept
as the default. Run: ``.venv/bin/python benchmarks/bench_devices.py [--quick]`` (about 2
minutes; ``--quick`` uses 2^12 Lorenz members).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import _common  # noqa: E402

LOG2 = 12 if "--quick" in sys.argv else 16
N_LORENZ = 2**LOG2


def workloads():
    import jax.numpy as jnp
    import numpy as np

    from jaxdyn import Grid, simulate
    from jaxdyn.systems import Lorenz, Sync1D

    rho = np.linspace(0.0, 21.0, N_LORENZ)
    lorenz = Lorenz(sigma=10.0, rho=0.0, beta=8 / 3)

    def fixed(system, key):
        return simulate(system, 1.0, adaptive=False, dt=1e-3)

    def adaptive(system, key):
        return simulate(system, 1.0, rtol=1e-8, atol=1e-8)

    ts = np.geomspace(0.3, 30.0, 12)
    ring = Sync1D(L=64, K=1.0, sigma=0.3, a=1.0, randomness="columnar")

    def rings(system, key):
        return simulate(
            system,
            30.0,
            key=key,
            ts=ts,
            rtol=1e-6,
            atol=1e-8,
            observable=lambda t, y: jnp.var(y[0]),
        )

    lz = Grid.points(rho=rho)
    return {
        f"Lorenz 2^{LOG2} fixed": (fixed, lorenz, lz, {"chunk_size": N_LORENZ}),
        f"Lorenz 2^{LOG2} adaptive, vmap": (
            adaptive,
            lorenz,
            lz,
            {"chunk_size": N_LORENZ, "batch": "vmap"},
        ),
        f"Lorenz 2^{LOG2} adaptive, inside": (
            adaptive,
            lorenz,
            lz,
            {"chunk_size": N_LORENZ, "batch": "inside", "bundle": 256},
        ),
        "sync1d L=64 x 64, vmap": (
            rings,
            ring,
            Grid.product(K=np.linspace(0.8, 1.2, 8)),
            {"chunk_size": 64, "seeds": 8, "batch": "vmap"},
        ),
    }


def worker(partition: str) -> dict:
    import functools

    import jax

    jax.config.update("jax_enable_x64", False)
    import jaxdyn.core._sweep as sweep_module
    from jaxdyn import sweep

    if partition == "jit":
        sweep_module._build_runner = functools.partial(
            sweep_module._build_runner, use_shard_map=False
        )
    out = {}
    for name, (fn, system, grid, kw) in workloads().items():

        def call(fn=fn, system=system, grid=grid, kw=kw):
            ds = sweep(fn, system, grid, progress=False, **kw)
            return ds

        t0 = time.perf_counter()
        ds = call()
        first = time.perf_counter() - t0
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            call()
            times.append(time.perf_counter() - t0)
        out[name] = {
            "first_call_s": first,
            "wall_s": sorted(times)[2],
            "status_ok": int((ds["status"].values == 0).sum()),
            "members": int(ds["status"].size),
        }
    out["devices"] = len(jax.devices())
    return out


def run_worker(devices: int, partition: str) -> dict:
    env = dict(os.environ)
    env["XLA_FLAGS"] = (
        f"--xla_force_host_platform_device_count={devices} "
        "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
    )
    env["OMP_NUM_THREADS"] = "1"
    cmd = [sys.executable, __file__, "--worker", partition, *sys.argv[1:]]
    res = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--worker", choices=["shard_map", "jit"])
    p.add_argument("--quick", action="store_true", help="2^12 Lorenz members")
    args = p.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker)))
        return
    load0 = _common.load_average()
    configs = {
        "1 device": run_worker(1, "shard_map"),
        "2 devices, shard_map": run_worker(2, "shard_map"),
        "2 devices, jit + NamedSharding": run_worker(2, "jit"),
    }
    names = [k for k in configs["1 device"] if k != "devices"]
    print(f"{'workload':32s} " + " ".join(f"{c:>32s}" for c in configs))
    goals, rows = [], []
    for name in names:
        cells = []
        one = configs["1 device"][name]["wall_s"]
        for c, res in configs.items():
            r = res[name]
            cells.append(
                f"{r['wall_s']:.3f} s ({one / r['wall_s']:.2f}x; 1st {r['first_call_s']:.1f} s)"
            )
            rows.append(
                {"workload": name, "config": c, **r, "speedup_vs_1_device": one / r["wall_s"]}
            )
        print(f"{name:32s} " + " ".join(f"{x:>32s}" for x in cells))
        best = max(configs[c][name]["wall_s"] ** -1 for c in configs if c != "1 device")
        goals.append(
            _common.goal(
                f"{name}: 2 devices / 1 device speed (faster partitioning)", one * best, 1.6
            )
        )
    print("\ngoals:")
    print(_common.goals_text(goals))
    summary = "README: 2 host devices vs 1 (2-core CPU): " + "; ".join(
        f"{r['workload']} {r['config'].split(', ')[-1]} {r['speedup_vs_1_device']:.2f}x"
        for r in rows
        if r["config"] != "1 device"
    )
    print(summary)
    path = _common.write(
        "devices",
        {
            "benchmark": "devices",
            "machine": _common.machine("numpy"),
            "threads": "1 intra-op thread per host device",
            "load_average_start": load0,
            "load_average_end": _common.load_average(),
            "rows": rows,
            "goals": goals,
            "summary": summary,
        },
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
