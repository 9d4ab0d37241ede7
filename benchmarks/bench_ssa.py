"""Exact SSA ensembles: jaxdyn (simulate, vmapped) vs GillesPy2 (C++ and NumPy) vs NumPy loops.

Throughput in reactions per second at equal statistics: every method simulates the same
network (same propensities, ``"rate"`` convention) from the same initial state over the
same time with the same save times, for N = 10^2 .. 10^5 trajectories. Reactions per
trajectory are counted by jaxdyn (and by the NumPy loops themselves); peers whose
cost grows linearly in N (one trajectory after another) are timed on a smaller ensemble
and extrapolated, which the table says.

Networks (paper 6): Schlögl at Ω = 20 from x = 60 (t = 2) and the Brusselator at Ω = 200
from (200, 500) (t = 2).

Peers:
* GillesPy2 ``SSACSolver`` (compiled C++; one process runs the trajectories in turn) and
  ``NumPySSASolver``, with the same propensity expressions as strings;
* a plain NumPy Gillespie loop (one trajectory at a time, textbook direct method);
* a vectorised NumPy loop (all trajectories advanced together, masked), the strongest
  NumPy peer.

XLA is pinned to one thread, like every peer (the fair per-core comparison on a shared
machine). Throughput is given per CPU second (the process's and its children's: the
C++ solver runs in a child process) and per wall second; on a loaded machine the wall
times measure the load, so the goal (10x the fastest of GillesPy2 and the NumPy loop,
largest N) is judged per CPU second. ``--quick``: N up to 10^4 and fewer repeats.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._common import goal, goals_text, load_average, machine, single_thread, write  # noqa: E402

single_thread()

import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

import jaxdyn  # noqa: E402
from jaxdyn.systems import Brusselator, Schlogl  # noqa: E402

T1 = 2.0
TS = np.linspace(0.0, T1, 11)
NETWORKS = {
    "schlogl": (Schlogl(omega=20.0), np.array([60])),
    "brusselator": (Brusselator(omega=200.0), np.array([200, 500])),
}


def cpu_now() -> float:
    own = time.process_time()
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own + kids.ru_utime + kids.ru_stime


def timed(fn, repeat: int) -> tuple[float, float]:
    """Min wall and min CPU seconds over ``repeat`` calls (after one warm-up)."""
    fn()
    walls, cpus = [], []
    for _ in range(repeat):
        c0, t0 = cpu_now(), time.perf_counter()
        fn()
        walls.append(time.perf_counter() - t0)
        cpus.append(cpu_now() - c0)
    return min(walls), min(cpus)


# ----------------------------------------------------------------------------- jaxdyn


def jax_runner(net, x0):
    y0 = jnp.asarray(x0)
    sim = jax.jit(
        jax.vmap(lambda k: jaxdyn.simulate(net, T1, key=k, ts=TS, y0=y0)),
    )
    return sim


# ----------------------------------------------------------------------------- NumPy loops


def numpy_propensities(name, net):
    c = np.asarray(net.mass_action_coefficients())
    if name == "schlogl":
        return lambda x: np.stack(
            [
                c[0] + 0 * x[..., 0],
                c[1] * x[..., 0],
                c[2] * x[..., 0] * (x[..., 0] - 1),
                c[3] * x[..., 0] * (x[..., 0] - 1) * (x[..., 0] - 2),
            ],
            axis=-1,
        )
    return lambda x: np.stack(
        [
            c[0] + 0 * x[..., 0],
            c[1] * x[..., 0],
            c[2] * x[..., 0] * (x[..., 0] - 1) * x[..., 1],
            c[3] * x[..., 0],
        ],
        axis=-1,
    )


def numpy_loop(name, net, x0, n, seed=0):
    """The textbook direct method, one trajectory at a time. Returns (saves, jumps)."""
    prop = numpy_propensities(name, net)
    nu = net.stoichiometry()
    rng = np.random.default_rng(seed)
    out = np.empty((n, len(TS), len(x0)), dtype=int)
    jumps = 0
    for m in range(n):
        x, t, i = np.array(x0, dtype=float), 0.0, 0
        while i < len(TS):
            a = prop(x)
            a0 = a.sum()
            t_next = t + rng.exponential(1.0 / a0) if a0 > 0 else np.inf
            while i < len(TS) and TS[i] < t_next:
                out[m, i] = x
                i += 1
            if i == len(TS):
                break
            j = np.searchsorted(np.cumsum(a), rng.random() * a0, side="right")
            x = x + nu[min(j, len(a) - 1)]
            t = t_next
            jumps += 1
    return out, jumps


def numpy_vectorised(name, net, x0, n, seed=0):
    """All trajectories advanced together (masked), NumPy arrays. Returns (saves, jumps)."""
    prop = numpy_propensities(name, net)
    nu = net.stoichiometry()
    rng = np.random.default_rng(seed)
    x = np.tile(np.asarray(x0, dtype=float), (n, 1))
    t = np.zeros(n)
    out = np.empty((n, len(TS), len(x0)), dtype=int)
    jumps = 0
    for i, ts in enumerate(TS):
        waiting = np.ones(n, dtype=bool)  # members whose next jump may still come before ts
        while True:
            a = prop(x)
            a0 = a.sum(axis=1)
            tau = rng.exponential(1.0, n) / np.where(a0 > 0, a0, np.inf)
            active = waiting & (t + tau <= ts)
            waiting = active  # a jump drawn past ts ends the member's interval
            if not active.any():
                break
            u = rng.random(n) * a0
            j = np.minimum((np.cumsum(a, axis=1) < u[:, None]).sum(axis=1), len(nu) - 1)
            x[active] += nu[j[active]]
            t[active] += tau[active]
            jumps += int(active.sum())
        out[:, i] = x
        t[:] = ts  # memoryless: no jump in (t, ts], so the next one is Exp(a0) after ts
    return out, jumps


# ----------------------------------------------------------------------------- GillesPy2


def gillespy_model(name, net, x0):
    # SCons must be found next to this interpreter for the C++ build (a venv's bin/).
    os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"]
    import gillespy2 as gp

    c = [float(v) for v in np.asarray(net.mass_action_coefficients())]
    model = gp.Model(name=name)
    model.add_parameter([gp.Parameter(name=f"c{i}", expression=v) for i, v in enumerate(c)])
    if name == "schlogl":
        model.add_species([gp.Species(name="X", initial_value=int(x0[0]), mode="discrete")])
        rx = [
            ({}, {"X": 1}, "c0"),
            ({"X": 1}, {}, "c1*X"),
            ({"X": 2}, {"X": 3}, "c2*X*(X-1)"),
            ({"X": 3}, {"X": 2}, "c3*X*(X-1)*(X-2)"),
        ]
    else:
        model.add_species(
            [
                gp.Species(name="X", initial_value=int(x0[0]), mode="discrete"),
                gp.Species(name="Y", initial_value=int(x0[1]), mode="discrete"),
            ]
        )
        rx = [
            ({}, {"X": 1}, "c0"),
            ({"X": 1}, {"Y": 1}, "c1*X"),
            ({"X": 2, "Y": 1}, {"X": 3}, "c2*X*(X-1)*Y"),
            ({"X": 1}, {}, "c3*X"),
        ]
    for k, (r, p, expr) in enumerate(rx):
        model.add_reaction(
            gp.Reaction(name=f"r{k}", reactants=r, products=p, propensity_function=expr)
        )
    model.timespan(TS)
    return model


def gillespy_solvers(model):
    import gillespy2 as gp

    solvers = {}
    for label, cls in (
        ("GillesPy2 SSACSolver (C++)", gp.SSACSolver),
        ("GillesPy2 NumPySSASolver", gp.NumPySSASolver),
    ):
        try:
            solver = cls(model=model)
            model.run(solver=solver, number_of_trajectories=1, seed=1)
            solvers[label] = solver
        except Exception as err:  # a solver that does not build or run here is reported
            print(f"  {label}: unavailable ({type(err).__name__}: {str(err)[:80]})")
    return solvers


# ----------------------------------------------------------------------------- main


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    sizes = [100, 1000, 10_000] if args.quick else [100, 1000, 10_000, 100_000]
    repeat = 2 if args.quick else 3
    rows, goals = [], []
    for name, (net, x0) in NETWORKS.items():
        print(f"\n== {name} ==", flush=True)
        sim = jax_runner(net, x0)
        model = None
        try:
            model = gillespy_model(name, net, x0)
            solvers = gillespy_solvers(model)
        except ImportError:
            solvers = {}
            print("  GillesPy2 not installed: pip install -e '.[bench]'")
        for n in sizes:
            keys = jax.random.split(jax.random.PRNGKey(n), n)
            t0 = time.perf_counter()
            traj = jax.block_until_ready(sim(keys))
            first = time.perf_counter() - t0
            jumps = float(np.asarray(traj.num_steps, dtype=float).sum())
            per_traj = jumps / n
            wall, cpu = timed(lambda keys=keys: jax.block_until_ready(sim(keys)), repeat)
            entry = {
                "network": name,
                "trajectories": n,
                "reactions_per_trajectory": per_traj,
                "methods": {
                    "jaxdyn simulate (vmap)": {
                        "wall_s": wall,
                        "cpu_s": cpu,
                        "first_call_s": first,
                        "reactions_per_s": jumps / wall,
                        "reactions_per_cpu_s": jumps / cpu,
                        "extrapolated_from": None,
                    }
                },
            }
            peers = {
                "NumPy loop (one trajectory at a time)": (
                    lambda m: numpy_loop(name, net, x0, m),
                    20,
                ),
                "NumPy vectorised over trajectories": (
                    lambda m: numpy_vectorised(name, net, x0, m),
                    10_000,
                ),
            }
            for label, solver in solvers.items():
                cap = 2000 if "C++" in label else 10
                peers[label] = (
                    lambda m, solver=solver: model.run(
                        solver=solver, number_of_trajectories=m, seed=7
                    ),
                    cap,
                )
            for label, (fn, cap) in peers.items():
                m = min(n, cap)
                w, c = timed(lambda fn=fn, m=m: fn(m), 1 if m < n else repeat)
                scale = n / m
                entry["methods"][label] = {
                    "wall_s": w * scale,
                    "cpu_s": c * scale,
                    "reactions_per_s": per_traj * n / (w * scale),
                    "reactions_per_cpu_s": per_traj * n / (c * scale),
                    "extrapolated_from": m if m < n else None,
                }
            rows.append(entry)
            ours = entry["methods"]["jaxdyn simulate (vmap)"]
            listed = {
                k: v
                for k, v in entry["methods"].items()
                if k != "jaxdyn simulate (vmap)" and "vectorised" not in k
            }
            for basis in ("cpu", "wall"):
                field = "reactions_per_cpu_s" if basis == "cpu" else "reactions_per_s"
                best = max(listed, key=lambda k, field=field: listed[k][field])
                entry[f"speedup_{basis}"] = {
                    "peer": best,
                    "vs_fastest_listed_peer": ours[field] / listed[best][field],
                    "vs_numpy_vectorised": ours[field]
                    / entry["methods"]["NumPy vectorised over trajectories"][field],
                }
            print(f"  N = {n}: {per_traj:.0f} reactions per trajectory")
            for k, v in entry["methods"].items():
                ext = (
                    f" (extrapolated from {v['extrapolated_from']})"
                    if v["extrapolated_from"]
                    else ""
                )
                print(
                    f"    {k:42s} {v['reactions_per_cpu_s'] / 1e6:9.3f} M reactions/cpu-s "
                    f"{v['reactions_per_s'] / 1e6:9.3f} M/wall-s  cpu {v['cpu_s']:9.3f} s{ext}"
                )
            sp = entry["speedup_cpu"]
            print(
                f"    speedup per CPU second vs the fastest listed peer ({sp['peer']}): "
                f"{sp['vs_fastest_listed_peer']:.1f}x (wall: "
                f"{entry['speedup_wall']['vs_fastest_listed_peer']:.1f}x)",
                flush=True,
            )
        largest = rows[-1]
        goals.append(
            goal(
                f"{name}: jaxdyn SSA reactions per CPU second / fastest of GillesPy2 and the "
                f"NumPy loop, N = {largest['trajectories']}",
                largest["speedup_cpu"]["vs_fastest_listed_peer"],
                10.0,
            )
        )
    print("\nGoals:\n" + goals_text(goals))
    payload = {
        "benchmark": "ssa",
        "machine": machine("gillespy2"),
        "load_average": load_average(),
        "xla_threads": 1,
        "t1": T1,
        "save_times": len(TS),
        "rows": rows,
        "goals": goals,
        "gpu": "not measured (no GPU on this machine)",
    }
    print(f"wrote {write('ssa_quick' if args.quick else 'ssa', payload)}")


if __name__ == "__main__":
    main()
