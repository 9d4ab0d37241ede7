"""Lorenz parameter ensemble, the DiffEqGPU benchmark setup, on CPU (GPU path prepared).

Problem (Utkarsh et al., "Automated translation and accelerated solving of differential
equation on multiple GPU platforms", the DiffEqGPU.jl ensemble benchmark): Lorenz with
σ = 10, β = 8/3 and ρ = linspace(0, 21, N), u(0) = (1, 0, 0), t in [0, 1], float32
(x64 is NOT enabled), only u(1) saved:

* (a) fixed steps: Tsit5 with dt = 1e-3 (1000 steps; Tsit5 as in DiffEqGPU's fixed-step
  GPUTsit5 runs, not RK4);
* (b) adaptive: Tsit5 with rtol = atol = 1e-8 (below float32 resolution for |u| ~ 10, as
  in the original benchmark; every member still finishes with status ok).

Peers, all in float32 on one CPU thread: jaxdyn ``sweep`` over ``Grid.points(rho=...)``
(one chunk of N members; the compile in its first call at each N is measured with jax's
compile-time events and reported apart), jaxdyn ``simulate`` under one
``jit(vmap(...))``, plain diffrax ``jit(vmap(diffeqsolve))`` (saving with
``SaveAt(t1=True)``; for N <= 2^12 also with ``SaveAt(ts=[t1])`` as a diagnostic), and
torchode (Tsit5, batched (N, 3), ``FixedStepController`` / ``IntegralController``).
Times are process CPU times (see ``_common.timeit_wall_cpu``). Agreement: max
|u(1) - u_jaxdyn(1)| over the ensemble.

Default run: N = 2^4, 2^8, 2^12, 2^14, 2^16; ``--quick``: N up to 2^12; ``--max-log2``
caps N. ``--gpu`` runs N up to 2^23 on a GPU (jax on the GPU backend, torchode on CUDA
when available); without a GPU the flag is refused.

Run: ``.venv/bin/python benchmarks/bench_lorenz_ensemble.py [--quick | --gpu]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import _common  # noqa: E402

if "--gpu" not in sys.argv:
    _common.single_thread()

import diffrax as dfx  # noqa: E402
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

from jaxdyn import Grid, simulate, sweep  # noqa: E402
from jaxdyn.systems import Lorenz  # noqa: E402

SIGMA, BETA, T1, DT, TOL = 10.0, 8.0 / 3.0, 1.0, 1e-3, 1e-8
MODES = ("fixed", "adaptive")


COMPILE = _common.CompileClock()


def solve_kwargs(mode):
    if mode == "fixed":
        return dict(dt=DT, adaptive=False, solver=dfx.Tsit5())
    return dict(dt=DT, adaptive=True, rtol=TOL, atol=TOL, solver=dfx.Tsit5())


def jaxdyn_member(mode):
    kw = solve_kwargs(mode)

    def member(system, key):
        return simulate(system, T1, **kw)

    return member


def lorenz_vf(t, u, rho):
    x, y, z = u[0], u[1], u[2]
    return jnp.stack([SIGMA * (y - x), x * (rho - z) - y, x * y - BETA * z])


def diffrax_vmap(mode, saveat=None):
    if mode == "fixed":
        ctrl, max_steps = dfx.ConstantStepSize(), int(round(T1 / DT)) + 2
    else:
        ctrl, max_steps = dfx.PIDController(rtol=TOL, atol=TOL), 100_000

    def one(rho):
        sol = dfx.diffeqsolve(
            dfx.ODETerm(lorenz_vf),
            dfx.Tsit5(),
            0.0,
            T1,
            DT,
            jnp.array([1.0, 0.0, 0.0]),
            rho,
            saveat=saveat or dfx.SaveAt(t1=True),
            stepsize_controller=ctrl,
            max_steps=max_steps,
            throw=False,
        )
        return sol.ys[-1], sol.stats["num_accepted_steps"]

    return jax.jit(jax.vmap(one))


def diffrax_batch(mode):
    """The batch inside the vector field by hand: one (N, 3) state, one shared step size,
    the error norm the max over members of each member's RMS (equal accuracy to vmap)."""

    def vf(t, u, rho):
        x, y, z = u[:, 0], u[:, 1], u[:, 2]
        return jnp.stack([SIGMA * (y - x), x * (rho - z) - y, x * y - BETA * z], -1)

    def norm(e):
        return jnp.sqrt(jnp.max(jnp.mean(e**2, axis=-1)))

    if mode == "fixed":
        ctrl, max_steps = dfx.ConstantStepSize(), int(round(T1 / DT)) + 2
    else:
        ctrl, max_steps = dfx.PIDController(rtol=TOL, atol=TOL, norm=norm), 100_000

    @jax.jit
    def run(rho):
        u0 = jnp.zeros((rho.shape[0], 3), rho.dtype).at[:, 0].set(1.0)
        sol = dfx.diffeqsolve(
            dfx.ODETerm(vf),
            dfx.Tsit5(),
            0.0,
            T1,
            DT,
            u0,
            rho,
            saveat=dfx.SaveAt(t1=True),
            stepsize_controller=ctrl,
            max_steps=max_steps,
            throw=False,
        )
        return sol.ys[-1]

    return run


def torchode_solver(mode, device):
    import torch
    import torchode as to

    def f(t, u, rho):
        x, y, z = u[:, 0], u[:, 1], u[:, 2]
        return torch.stack([SIGMA * (y - x), x * (rho - z) - y, x * y - BETA * z], -1)

    term = to.ODETerm(f, with_args=True)
    if mode == "fixed":
        ctrl = to.FixedStepController()
    else:
        ctrl = to.IntegralController(atol=TOL, rtol=TOL, term=term)
    solver = to.AutoDiffAdjoint(to.Tsit5(term=term), ctrl)

    def run(rho):
        n = rho.shape[0]
        y0 = torch.zeros(n, 3, dtype=torch.float32, device=device)
        y0[:, 0] = 1.0
        t_eval = torch.tensor([[0.0, T1]], dtype=torch.float32, device=device).repeat(n, 1)
        with torch.no_grad():
            sol = solver.solve(
                to.InitialValueProblem(y0=y0, t_eval=t_eval),
                dt0=torch.full((n,), DT, dtype=torch.float32, device=device),
                args=rho,
            )
        if device != "cpu":
            torch.cuda.synchronize()
        return sol.ys[:, -1].cpu().numpy(), sol.stats["n_steps"].cpu().numpy(), sol.status

    return run


def bench_size(n, mode, repeat, n_sweep_calls, torch_device, use_torch):
    rho_np = np.linspace(0.0, 21.0, n)
    rho = jnp.asarray(rho_np, dtype=jnp.float32)
    base = Lorenz(sigma=SIGMA, rho=0.0, beta=BETA)
    grid = Grid.points(rho=rho_np)
    member = jaxdyn_member(mode)
    out, sweep_calls = {}, []

    def run_sweep():
        def call():
            ds = sweep(member, base, grid, progress=False, chunk_size=n, bundle=n)
            out["jaxdyn sweep"] = np.asarray(ds["y"]).reshape(n, 3)
            out["status"] = np.asarray(ds["status"]).ravel()
            out["steps"] = np.asarray(ds["num_steps"]).ravel()
            out["batch"] = ds.attrs["batch"]

        sweep_calls.append(COMPILE.measure(call))

    def run_sweep_vmap():
        ds = sweep(member, base, grid, progress=False, chunk_size=n, batch="vmap")
        out["jaxdyn sweep, batch=vmap"] = np.asarray(ds["y"]).reshape(n, 3)

    sim = jax.jit(jax.vmap(lambda r: member(eqx_rho(base, r), None).ys[-1]))
    dv = diffrax_vmap(mode)

    def run_sim():
        out["jaxdyn simulate"] = np.asarray(jax.block_until_ready(sim(rho)))

    def run_dv():
        ys, steps = jax.block_until_ready(dv(rho))
        out["diffrax vmap"] = np.asarray(ys)

    db = diffrax_batch(mode)

    def run_db():
        out["diffrax batch-in-VF"] = np.asarray(jax.block_until_ready(db(rho)))

    fns = {
        "jaxdyn simulate, jit(vmap)": run_sim,
        VMAP_SWEEP: run_sweep_vmap,
        "diffrax vmap (hand-written)": run_dv,
        BATCH_VF: run_db,
    }
    if mode == "adaptive":
        # the chunk as one system: one step size for all, every member within tolerance
        def run_sweep_inside():
            ds = sweep(member, base, grid, progress=False, chunk_size=n, batch="inside")
            out["jaxdyn sweep, batch=inside"] = np.asarray(ds["y"]).reshape(n, 3)

        fns[INSIDE_SWEEP] = run_sweep_inside
    if n <= 2**12:
        # Diagnostic: the same solve saved the way simulate() saves t1 (SaveAt(ts=[t1], fn)).
        dv_ts = diffrax_vmap(mode, dfx.SaveAt(ts=jnp.array([T1]), fn=lambda t, y, a: y))

        def run_dv_ts():
            ys, _ = jax.block_until_ready(dv_ts(rho))
            out["diffrax vmap, SaveAt(ts=[t1])"] = np.asarray(ys)

        fns[DV_TS] = run_dv_ts
    if use_torch:
        import torch

        rho_t = torch.tensor(rho_np, dtype=torch.float32, device=torch_device)
        tode = torchode_solver(mode, torch_device)

        def run_torch():
            ys, steps, status = tode(rho_t)
            out["torchode"] = ys
            out["torchode steps"] = steps
            out["torchode status"] = int(status.max())

        fns["torchode Tsit5 (batched)"] = run_torch
    # Time a few sweep() calls first: the first at each N compiles, and jax's compile-time
    # events separate that part from the run. They must run before the other rows, whose
    # batch="vmap" sweep builds the same chunk runner (jaxdyn keeps it, and an earlier
    # version of this script reported the first call's compile as 0 s).
    for _ in range(n_sweep_calls):
        run_sweep()
    wall, cpu = _common.timeit_wall_cpu(fns, repeat=repeat, warmup=1)
    wall["jaxdyn sweep (per call)"] = [c["wall_s"] for c in sweep_calls]
    cpu["jaxdyn sweep (per call)"] = [c["cpu_s"] for c in sweep_calls]
    wall["jaxdyn sweep (steady, compile excluded)"] = [c["run_wall_s"] for c in sweep_calls]
    cpu["jaxdyn sweep (steady, compile excluded)"] = [c["cpu_after_compile_s"] for c in sweep_calls]
    ref = out["jaxdyn sweep"]
    agree = {
        k: float(np.max(np.abs(out[v] - ref)))
        for k, v in [
            ("jaxdyn simulate", "jaxdyn simulate"),
            ("jaxdyn sweep, batch=vmap", "jaxdyn sweep, batch=vmap"),
            ("jaxdyn sweep, batch=inside", "jaxdyn sweep, batch=inside"),
            ("diffrax vmap", "diffrax vmap"),
            ("diffrax batch-in-VF", "diffrax batch-in-VF"),
            ("torchode", "torchode"),
            ("diffrax vmap, SaveAt(ts=[t1])", "diffrax vmap, SaveAt(ts=[t1])"),
        ]
        if v in out
    }
    return {
        "N": n,
        "mode": mode,
        "cpu_s": {k: float(np.median(v)) for k, v in cpu.items()},
        "wall_min_s": {k: float(np.min(v)) for k, v in wall.items()},
        "wall_median_s": {k: float(np.median(v)) for k, v in wall.items()},
        "cpu_all_s": {k: [float(x) for x in v] for k, v in cpu.items()},
        "wall_all_s": {k: [float(x) for x in v] for k, v in wall.items()},
        "compile_s_per_sweep_call": float(np.median([c["compile_wall_s"] for c in sweep_calls])),
        "compile_s_first_sweep_call": float(sweep_calls[0]["compile_wall_s"]),
        "sweep_batch_mode": out["batch"],
        "max_abs_diff_u1_vs_jaxdyn": agree,
        "status_ok": int(np.sum(out["status"] == 0)),
        "steps_min_max": [int(out["steps"].min()), int(out["steps"].max())],
        "torchode_steps_min_max": (
            [int(out["torchode steps"].min()), int(out["torchode steps"].max())]
            if "torchode steps" in out
            else None
        ),
        "torchode_status_max": out.get("torchode status"),
    }


def eqx_rho(base, r):
    import equinox as eqx

    return eqx.tree_at(lambda m: m.rho, base, r)


DV_TS = "diffrax vmap, SaveAt(ts=[t1])*"
VMAP_SWEEP = "jaxdyn sweep, batch=vmap (steady)"
INSIDE_SWEEP = "jaxdyn sweep, batch=inside (steady)"
BATCH_VF = "diffrax batch-in-VF (hand-written)"
ROWS = [
    "jaxdyn sweep (steady, compile excluded)",
    "jaxdyn sweep (per call)",
    VMAP_SWEEP,
    INSIDE_SWEEP,
    "jaxdyn simulate, jit(vmap)",
    "diffrax vmap (hand-written)",
    BATCH_VF,
    DV_TS,
    "torchode Tsit5 (batched)",
]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="N up to 2^12 (< ~1 min idle CPU)")
    p.add_argument("--gpu", action="store_true", help="GPU run, N up to 2^23")
    p.add_argument("--max-log2", type=int, default=None, help="largest N = 2^k")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--no-torch", action="store_true", help="skip torchode (large N)")
    args = p.parse_args()

    gpu = _common.gpu_model()
    if args.gpu and jax.default_backend() != "gpu":
        sys.exit(
            f"--gpu needs jax on a GPU backend (found {jax.default_backend()!r}, "
            f"nvidia-smi: {gpu!r}); install jax[cuda12] and torch with CUDA and rerun."
        )
    torch_device = "cpu"
    if args.gpu:
        import torch

        torch_device = "cuda" if torch.cuda.is_available() else "cpu"
    else:
        import torch

        torch.set_num_threads(1)
    top = args.max_log2 or (23 if args.gpu else 12 if args.quick else 16)
    # Every fourth power of 2, then every second one from 2^12: each size costs a fresh
    # sweep compile (seconds), so the small sizes are sampled sparsely.
    ks = [k for k in (4, 8, 12) if k <= top] + list(range(14, top + 1, 2 if not args.gpu else 1))
    if ks[-1] != top:
        ks.append(top)
    # torchode runs on the CPU in a GPU run only up to 2^16 (beyond, minutes per solve).
    torch_top = 23 if torch_device == "cuda" else 16
    load0 = _common.load_average()
    t_start = time.perf_counter()
    results = []
    for mode in MODES:
        for k in ks:
            n = 2**k
            use_torch = not args.no_torch and k <= torch_top
            # Large ensembles take tens of seconds per solve on one CPU thread: fewer repeats.
            big = k > 12 and not args.gpu
            r = bench_size(
                n, mode, 1 if big else args.repeat, 1 if big else 2, torch_device, use_torch
            )
            r["repeat"], r["sweep_calls"] = (1, 1) if big else (args.repeat, 2)
            results.append(r)
            tm = r["cpu_s"]
            line = " ".join(
                f"{name.split(' (')[0].split(',')[0]}={tm[name]:.3g}s"
                for name in ROWS
                if name in tm
            )
            print(f"[{mode:8s} N=2^{k:<2d}] {line}", flush=True)
    wall = time.perf_counter() - t_start

    print(
        f"\nLorenz ensemble (DiffEqGPU setup), float32, t in [0, 1], "
        f"{'GPU ' + str(gpu) if args.gpu else 'CPU, 1 thread'}; median process CPU time over "
        f"{args.repeat} repeats after a warm-up (1 above 2^12; sweep: 2 calls, 1 above 2^12); "
        f"load average {load0}"
    )
    ref = "jaxdyn sweep (steady, compile excluded)"
    for mode in MODES:
        desc = "Tsit5, fixed dt = 1e-3" if mode == "fixed" else "Tsit5, rtol = atol = 1e-8"
        print(f"\n({'a' if mode == 'fixed' else 'b'}) {mode}: {desc}")
        head = f"{'N':>8s} " + " ".join(f"{n[:22]:>23s}" for n in ROWS)
        print(head + f"   [CPU s; ratio = CPU time / '{ref}']")
        for r in (r for r in results if r["mode"] == mode):
            tm = r["cpu_s"]
            cells = []
            for name in ROWS:
                if name in tm:
                    cells.append(f"{tm[name]:11.4g} ({tm[name] / tm[ref]:6.2f}x)")
                else:
                    cells.append(f"{'n/a':>23s}")
            print(f"{r['N']:8d} " + " ".join(cells))
        last = [r for r in results if r["mode"] == mode][-1]
        print(
            f"N = {last['N']}: status ok {last['status_ok']}/{last['N']}, steps "
            f"{last['steps_min_max']} (torchode {last['torchode_steps_min_max']}); "
            f"max |u(1) - u_jaxdyn(1)|: {last['max_abs_diff_u1_vs_jaxdyn']}; sweep compile "
            f"{last['compile_s_per_sweep_call']:.3g} s per call"
        )

    print(
        "\n* diagnostic (N <= 2^12): plain diffrax saving u(1) the way jaxdyn's simulate does, "
        "SaveAt(ts=[t1], fn=...), instead of SaveAt(t1=True)."
    )
    goals = []
    for mode in MODES:
        last = [r for r in results if r["mode"] == mode][-1]
        tm = last["cpu_s"]
        goals.append(
            _common.goal(
                f"{mode}, N={last['N']}: diffrax vmap / jaxdyn sweep (steady) time",
                tm["diffrax vmap (hand-written)"] / tm[ref],
                3.0,
            )
        )
        goals.append(
            _common.goal(
                f"{mode}, N={last['N']}: jaxdyn sweep (steady) / best hand-written batch time",
                tm[ref] / min(tm[BATCH_VF], tm["diffrax vmap (hand-written)"]),
                1.0,
                higher_is_better=False,
            )
        )
        if "torchode Tsit5 (batched)" in tm:
            goals.append(
                _common.goal(
                    f"{mode}, N={last['N']}: torchode / jaxdyn sweep (steady) time",
                    tm["torchode Tsit5 (batched)"] / tm[ref],
                    2.0,
                )
            )
        first = [r for r in results if r["mode"] == mode][0]
        goals.append(
            _common.goal(
                f"{mode}: first sweep call's compile time at N={first['N']} [s]",
                first["compile_s_first_sweep_call"],
                1.0,
                higher_is_better=False,
            )
        )
    print("\ngoals (issue 'Fast ensembles and cheap gradients'):")
    print(_common.goals_text(goals))
    lines = []
    for mode in MODES:
        last = [r for r in results if r["mode"] == mode][-1]
        tm = last["cpu_s"]
        vs = (
            f", torchode takes {tm['torchode Tsit5 (batched)'] / tm[ref]:.2f}x its time"
            if "torchode Tsit5 (batched)" in tm
            else ""
        )
        lines.append(
            f"{mode} N={last['N']}: {tm[ref]:.3g} s, "
            f"{tm[ref] / tm['diffrax vmap (hand-written)']:.2f}x the time of diffrax vmap{vs}"
        )
    summary = (
        f"README: Lorenz ensemble (DiffEqGPU setup, float32, "
        f"{'GPU' if args.gpu else 'CPU 1 thread'}): " + "; ".join(lines) + "."
    )
    print(summary)
    name = "lorenz_ensemble_gpu" if args.gpu else "lorenz_ensemble"
    path = _common.write(
        name,
        {
            "benchmark": name,
            "machine": _common.machine("numpy", "torch", "torchode"),
            "threads": "GPU" if args.gpu else "1 per library (XLA intra-op 1, torch 1 thread)",
            "load_average_start": load0,
            "load_average_end": _common.load_average(),
            "gpu_note": (
                f"GPU run on {gpu}"
                if args.gpu
                else "no GPU in this session: CPU only; `--gpu` (N up to 2^23) not run"
            ),
            "quick": args.quick,
            "sizes": {
                "N": [2**k for k in ks],
                "sigma": SIGMA,
                "beta": BETA,
                "rho": "linspace(0, 21, N)",
                "u0": [1.0, 0.0, 0.0],
                "t": [0.0, T1],
                "dtype": "float32",
                "fixed": "Tsit5, dt = 1e-3",
                "adaptive": "Tsit5, rtol = atol = 1e-8, dt0 = 1e-3",
                "repeat": args.repeat,
                "sweep_chunk_size": "N (one chunk)",
                "torch_device": torch_device,
            },
            "results": results,
            "timing": "cpu_s = median process CPU time (1 thread per library); wall min/median",
            "goals": goals,
            "benchmark_wall_s": wall,
            "summary": summary,
        },
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
