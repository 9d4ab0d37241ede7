"""Spiking-network throughput: jaxdyn (LIFNetwork, clock-mode events) vs Brian2.

The same network on both: N leaky integrate-and-fire neurons (τ = 10 ms, θ = 1,
v_reset = 0, τ_ref = 2 ms, drives uniform in [1.2, 1.6]) on a pixel-grid scaffold with
delta synapses w = 0.02 (v_post += w per presynaptic spike), dt = 0.1 ms, simulated for T.
Throughput is neuron-steps per second, N T/dt divided by the warm run time (compilation
excluded on both sides: Brian2 runs a short network first so that its code is built).

jaxdyn integrates with Heun's method (two drift evaluations per step) and locates every
spike inside its step (cubic Hermite on the threshold condition); Brian2 uses its
``exact`` update of the linear membrane equation (one exponential step) and records
spikes at the grid. Brian2 2.9 needs NumPy < 2, so it runs in its own virtual
environment (``python3.11 -m venv .cache/brian2-venv && .cache/brian2-venv/bin/pip install
brian2 "numpy<2"``; override with BRIAN2_PYTHON); without one its rows are skipped.
Goal (issue 18): jaxdyn at least equal to Brian2's best code-generation target.

``--quick``: N = 1024, T = 200 ms (``make bench``); default N = 4096, T = 1000 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import jax

jax.config.update("jax_enable_x64", False)

import diffrax as dfx  # noqa: E402
import equinox as eqx  # noqa: E402
import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks._common import goal, goals_text, load_average, machine, write  # noqa: E402
from jaxdyn import simulate  # noqa: E402
from jaxdyn.systems.lif import LIFNetwork, scaffold_adjacency  # noqa: E402

DT = 0.1

BRIAN2 = r"""
import json, sys, time, numpy as np
from brian2 import (NeuronGroup, Synapses, SpikeMonitor, Network, ms, prefs, defaultclock,
                    set_device)
target, T, path = sys.argv[1], float(sys.argv[2]), sys.argv[3]
prefs.codegen.target = target
d = np.load(path)
drive, pre, post, w = d["drive"], d["pre"], d["post"], float(d["w"])
defaultclock.dt = 0.1 * ms

def build():
    g = NeuronGroup(len(drive), "dv/dt = (I - v) / (10*ms) : 1 (unless refractory)\nI : 1",
                    threshold="v > 1", reset="v = 0", refractory=2 * ms, method="exact")
    g.I = drive
    s = Synapses(g, g, on_pre="v_post += %g" % w)
    s.connect(i=pre, j=post)
    m = SpikeMonitor(g)
    return Network(g, s, m), m

net, _ = build()
net.run(5 * ms)  # builds (and for cython compiles) the code
net, mon = build()
t0 = time.perf_counter()
net.run(T * ms)
print(json.dumps({"time_s": time.perf_counter() - t0, "spikes": int(mon.num_spikes)}))
"""


def network(n: int, key) -> tuple[LIFNetwork, np.ndarray]:
    a = scaffold_adjacency("grid", n)
    drive = np.asarray(jax.random.uniform(key, (n,), minval=1.2, maxval=1.6))
    net = LIFNetwork(drive=drive, weights=0.02 * a, tau=10.0, theta=1.0, tau_ref=2.0)
    return net, a


def run_jaxdyn(net: LIFNetwork, T: float, repeat: int) -> dict:
    max_ev = int(2 * net.n * (T * 0.1 + 2))
    ev = net.spikes(max_events=max_ev, mode="clock")

    @eqx.filter_jit
    def go(net):
        traj = simulate(net, T, dt=DT, adaptive=False, events=ev, solver=dfx.Heun())
        return traj.events.count, traj.ys[-1]

    t0 = time.perf_counter()
    jax.block_until_ready(go(net))
    compile_s = time.perf_counter() - t0
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        count, _ = jax.block_until_ready(go(net))
        times.append(time.perf_counter() - t0)
    return {"time_s": min(times), "median_s": float(np.median(times)), "compile_s": compile_s,
            "events": int(count)}  # fmt: skip


def run_brian2(python: str, target: str, net: LIFNetwork, a: np.ndarray, T: float) -> dict | None:
    pre, post = np.nonzero(a)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "net.npz"
        np.savez(path, drive=np.asarray(net.drive), pre=pre, post=post, w=0.02)
        env = {**os.environ, "PYTHONNOUSERSITE": "1"}
        out = subprocess.run([python, "-c", BRIAN2, target, str(T), str(path)],
                             capture_output=True, text=True, env=env, timeout=1800)  # fmt: skip
    if out.returncode != 0:
        print(f"brian2 ({target}) failed: {out.stderr[-800:]}")
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    n, T = (1024, 200.0) if args.quick else (4096, 1000.0)
    net, a = network(n, jax.random.PRNGKey(0))
    steps = n * T / DT
    rows = []
    jd = run_jaxdyn(net, T, repeat=3)
    # events: spikes plus ends of refractoriness (two per spike)
    rows.append({"name": "jaxdyn clock events (Heun)", **jd, "spikes": jd["events"] // 2})
    python = os.environ.get("BRIAN2_PYTHON", str(ROOT / ".cache/brian2-venv/bin/python"))
    if Path(python).exists():
        for target in ("numpy", "cython"):
            r = run_brian2(python, target, net, a, T)
            if r is not None:
                rows.append({"name": f"brian2 {target} (exact)", **r})
    else:
        print(f"no Brian2 interpreter at {python}: Brian2 rows skipped")
    for r in rows:
        r["neuron_steps_per_s"] = steps / r["time_s"]
    print(f"N = {n} LIF neurons, T = {T} ms, dt = {DT} ms ({steps:.3g} neuron-steps)")
    print(
        f"{'method':32s} {'time [s]':>10s} {'neuron-steps/s':>15s} {'spikes':>9s}"
        f" {'vs jaxdyn':>10s}"
    )
    for r in rows:
        print(f"{r['name']:32s} {r['time_s']:10.4g} {r['neuron_steps_per_s']:15.4g} "
              f"{r['spikes']:9d} {r['time_s'] / rows[0]['time_s']:9.2f}x")  # fmt: skip
    goals = []
    brian = rows[1:]
    if brian:
        best = max(r["neuron_steps_per_s"] for r in brian)
        goals.append(
            goal("jaxdyn / best Brian2 throughput", rows[0]["neuron_steps_per_s"] / best, 1.0)
        )
        print(goals_text(goals))
    path = write("spiking_quick" if args.quick else "spiking", {
        "machine": machine("brian2"), "load_average": load_average(), "n": n, "T_ms": T,
        "dt_ms": DT, "rows": rows, "goals": goals,
    })  # fmt: skip
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
