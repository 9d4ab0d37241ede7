"""Sync1D with white noise (an SDE), Euler-Maruyama at fixed dt: site updates per second.

Problem: ``Sync1D(randomness="white")``, a ring of L identical phase oscillators,
dθ_j = K [Γ(θ_{j+1} - θ_j) + Γ(θ_{j-1} - θ_j)] dt + σ dW_j with Γ(x) = sin x + a(1 - cos x)
(K = 1, σ = 0.5, a = 0.5), flat initial phases, M independent realisations, n steps of
Euler-Maruyama with dt = 0.05, saving the squared roughness W² at 5 equally spaced
times. float32 (no x64), one CPU thread per library. Throughput = L x M x n / time, with
time = process CPU time (median of interleaved repeats; wall min/median recorded too).

Peers (same dt, same number of steps, same precision, same batch, both JAX ones jitted
once and warmed up):

* jaxdyn ``simulate`` (Euler-Maruyama: a ``lax.scan`` with a constant step and Gaussian
  increments drawn in blocks of 64 steps), ``jit(vmap(...))`` over the M keys;
* the same with ``increments="rademacher"`` (±√dt: weak order 1 kept, no pathwise
  meaning; 32 increments per random word);
* jaxdyn ``sweep`` with ``seeds=M`` (one chunk; the compile in its first call is measured
  with jax's compile-time events and reported separately);
* plain diffrax: ``jit(vmap(diffeqsolve))`` with ``Euler`` and ``UnsafeBrownianPath``
  (diffrax's own fixed-step while loop; what jaxdyn ran before it switched fixed-step SDEs
  to a ``lax.scan`` of diffrax steps);
* a hand-written ``jax.lax.scan`` Euler-Maruyama kernel on the (M, L) batch, one
  ``jax.random.normal`` of shape (M, L) per step;
* a NumPy loop over steps, vectorised over the (M, L) batch.

The noise streams differ between peers, so agreement is checked (i) pathwise with the
noise switched off (σ = 0, random non-flat θ(0): all peers must give the same W² to
float32 rounding) and (ii) statistically with noise: the ensemble means of W²(T) must
agree within their standard errors.

Run: ``.venv/bin/python benchmarks/bench_sync1d_sde.py [--quick]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import _common  # noqa: E402

_common.single_thread()

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

from jaxdyn import Grid, simulate, sweep  # noqa: E402
from jaxdyn.systems import Sync1D  # noqa: E402

K, SIGMA, A, DT = 1.0, 0.5, 0.5, 0.05


def roughness2(theta):
    return jnp.mean((theta - jnp.mean(theta, -1, keepdims=True)) ** 2, -1)


def drift_batch(theta):
    def g(x):
        return jnp.sin(x) + A * (1.0 - jnp.cos(x))

    right = jnp.roll(theta, -1, axis=-1) - theta
    left = jnp.roll(theta, 1, axis=-1) - theta
    return K * (g(right) + g(left))


def scan_kernel(n_save, steps_per_save, sigma):
    """Euler-Maruyama on the (M, L) batch: outer scan over save times, inner over steps."""
    sqdt = np.float32(np.sqrt(DT))

    @jax.jit
    def run(theta0, key):
        def step(carry, i):
            theta, k = carry
            k, sub = jax.random.split(k)
            dw = jax.random.normal(sub, theta.shape, theta.dtype) * sqdt
            return (theta + drift_batch(theta) * DT + sigma * dw, k), None

        def block(carry, _):
            carry, _ = jax.lax.scan(step, carry, None, length=steps_per_save)
            return carry, roughness2(carry[0])

        _, w2 = jax.lax.scan(block, (theta0, key), None, length=n_save)
        return w2.T  # (M, n_save)

    return run


def diffrax_vmap(system, T, ts):
    """Plain diffrax: Euler-Maruyama in diffeqsolve's own loop, vmapped over keys."""
    import diffrax as dfx
    import lineax as lx

    def one(key):
        y0 = jnp.zeros(system.L, jnp.float32)
        bm = dfx.UnsafeBrownianPath(shape=jax.ShapeDtypeStruct(y0.shape, y0.dtype), key=key)
        terms = dfx.MultiTerm(
            dfx.ODETerm(lambda t, y, a: drift_batch(y)),
            dfx.ControlTerm(lambda t, y, a: lx.DiagonalLinearOperator(jnp.full_like(y, SIGMA)), bm),
        )
        sol = dfx.diffeqsolve(
            terms,
            dfx.Euler(),
            0.0,
            T,
            DT,
            y0,
            saveat=dfx.SaveAt(ts=ts, fn=lambda t, y, a: roughness2(y)),
            stepsize_controller=dfx.ConstantStepSize(),
            max_steps=int(round(T / DT)) + 2,
            adjoint=dfx.ForwardMode(),
            throw=False,
        )
        return sol.ys

    return jax.jit(jax.vmap(one))


def numpy_loop(theta0, n_save, steps_per_save, sigma, seed=0):
    rng = np.random.default_rng(seed)
    theta = np.array(theta0, dtype=np.float32)
    sqdt = np.float32(np.sqrt(DT))
    dtf, af, kf, sf = np.float32(DT), np.float32(A), np.float32(K), np.float32(sigma)
    out = []
    for _ in range(n_save):
        for _ in range(steps_per_save):
            right = np.roll(theta, -1, axis=-1) - theta
            left = np.roll(theta, 1, axis=-1) - theta
            g = np.sin(right) + af * (1 - np.cos(right)) + np.sin(left) + af * (1 - np.cos(left))
            dw = rng.standard_normal(theta.shape, dtype=np.float32) * sqdt
            theta = theta + kf * g * dtf + sf * dw
        out.append(np.mean((theta - theta.mean(-1, keepdims=True)) ** 2, -1))
    return np.array(out).T


COMPILE = _common.CompileClock()


JD = "jaxdyn simulate, jit(vmap)"
JD_WEAK = "jaxdyn simulate, Rademacher increments"
STEADY = "jaxdyn sweep (steady, compile excluded)"
CALL = "jaxdyn sweep (per call, end to end)"
SCAN = "hand-written lax.scan EM kernel"
DFX = "diffrax vmap(diffeqsolve), Euler"
NUMPY = "NumPy loop (vectorised over batch)"
ORDER = [JD, JD_WEAK, STEADY, CALL, DFX, SCAN, NUMPY]
NAME_OF = {
    JD: "jaxdyn simulate",
    JD_WEAK: "jaxdyn weak",
    STEADY: "jaxdyn sweep",
    CALL: "jaxdyn sweep",
    SCAN: "lax.scan kernel",
    DFX: "diffrax",
    NUMPY: "numpy loop",
}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="small run (< ~1 min)")
    p.add_argument("--repeat", type=int, default=None)
    args = p.parse_args()
    L, M = 128, 64
    n_steps = 400 if args.quick else 2000
    n_save = 5
    repeat = args.repeat or (5 if args.quick else 9)
    spb = n_steps // n_save
    T = n_steps * DT
    ts = DT * spb * np.arange(1, n_save + 1)
    load0 = _common.load_average()
    key = jax.random.PRNGKey(0)
    keys = jax.random.split(key, M)

    def w2(t, y):
        return roughness2(y)

    def jaxdyn_member(system, k, y0=None, increments="gaussian"):
        return simulate(system, T, key=k, y0=y0, ts=ts, observable=w2, dt=DT, increments=increments)

    def make_jaxdyn(sigma, increments="gaussian"):
        system = Sync1D(L=L, K=K, sigma=sigma, a=A, randomness="white")
        run = lambda k, y0: jaxdyn_member(system, k, y0, increments).ys
        return jax.jit(jax.vmap(run)), system

    # (i) pathwise check without noise, from random non-flat phases.
    theta0 = np.asarray(jax.random.uniform(jax.random.PRNGKey(1), (M, L), minval=-1, maxval=1))
    theta0 = theta0.astype(np.float32)
    det_jd, _ = make_jaxdyn(0.0)
    det = {
        "jaxdyn simulate": np.asarray(det_jd(keys, jnp.asarray(theta0))),
        "lax.scan kernel": np.asarray(scan_kernel(n_save, spb, 0.0)(jnp.asarray(theta0), key)),
        "numpy loop": numpy_loop(theta0, n_save, spb, 0.0),
    }
    det_diff = {
        k: float(np.max(np.abs(v - det["jaxdyn simulate"]) / det["jaxdyn simulate"]))
        for k, v in det.items()
    }

    # (ii) the benchmark, with noise, from flat phases.
    jd, system = make_jaxdyn(SIGMA)
    flat = jnp.zeros((M, L), jnp.float32)
    kernel = scan_kernel(n_save, spb, SIGMA)
    grid = Grid.points(K=[K])
    res, sweep_calls = {}, []

    def run_jaxdyn():
        res["jaxdyn simulate"] = np.asarray(jax.block_until_ready(jd(keys, flat)))

    jd_weak, _ = make_jaxdyn(SIGMA, "rademacher")

    def run_weak():
        res["jaxdyn weak"] = np.asarray(jax.block_until_ready(jd_weak(keys, flat)))

    def run_sweep():
        def call():
            ds = sweep(jaxdyn_member, system, grid, key=key, seeds=M, progress=False)
            res["jaxdyn sweep"] = np.asarray(ds["y"]).reshape(M, n_save)

        sweep_calls.append(COMPILE.measure(call))

    dfx_solve = diffrax_vmap(system, T, ts)

    def run_diffrax():
        res["diffrax"] = np.asarray(jax.block_until_ready(dfx_solve(keys)))

    def run_scan():
        res["lax.scan kernel"] = np.asarray(jax.block_until_ready(kernel(flat, key)))

    def run_numpy():
        res["numpy loop"] = numpy_loop(np.zeros((M, L), np.float32), n_save, spb, SIGMA)

    fns = {
        JD: run_jaxdyn,
        JD_WEAK: run_weak,
        DFX: run_diffrax,
        SCAN: run_scan,
        NUMPY: run_numpy,
    }
    t0 = time.perf_counter()
    wall, cpu = _common.timeit_wall_cpu(fns, repeat=repeat, warmup=1)
    # Time a few sweep() calls: the first one compiles (so did every call before jaxdyn
    # cached its chunk runner); jax's compile-time events separate that part from the run.
    for _ in range(2 if args.quick else 3):
        run_sweep()
    calls = sweep_calls
    wall[CALL], cpu[CALL] = [c["wall_s"] for c in calls], [c["cpu_s"] for c in calls]
    wall[STEADY] = [c["run_wall_s"] for c in calls]
    cpu[STEADY] = [c["cpu_after_compile_s"] for c in calls]
    compile_first = calls[0]["compile_wall_s"]
    compile_later = float(np.median([c["compile_wall_s"] for c in calls[1:]]))
    bench_wall = time.perf_counter() - t0
    updates = L * M * n_steps

    rows = []
    for name in ORDER:
        w = res[NAME_OF[name]][:, -1]
        t_cpu = float(np.median(cpu[name]))
        rows.append(
            {
                "name": name,
                "cpu_s": t_cpu,
                "wall_min_s": float(np.min(wall[name])),
                "wall_median_s": float(np.median(wall[name])),
                "cpu_all_s": [float(x) for x in cpu[name]],
                "wall_all_s": [float(x) for x in wall[name]],
                "site_updates_per_cpu_s": updates / t_cpu,
                "mean_W2_T": float(w.mean()),
                "stderr_W2_T": float(w.std(ddof=1) / np.sqrt(M)),
            }
        )
    by = {r["name"]: r for r in rows}
    print(
        f"Sync1D white noise, Euler-Maruyama: L = {L}, M = {M} members, {n_steps} steps of "
        f"dt = {DT} (T = {T:g}), float32, 1 thread, {repeat} repeats; {updates:.3g} site "
        f"updates; load average {load0}"
    )
    print(_common.table_cpu_wall(rows, SCAN))
    print(f"{'method':44s} {'site upd/s':>11s} {'vs scan':>8s}   <W^2(T)> +- s.e.  (per CPU s)")
    base = by[SCAN]["site_updates_per_cpu_s"]
    for r in rows:
        rate = r["site_updates_per_cpu_s"]
        print(
            f"{r['name']:44s} {rate:11.4g} {rate / base:7.2f}x   {r['mean_W2_T']:.4f} +- "
            f"{r['stderr_W2_T']:.4f}"
        )
    w_jd, w_scan = by[JD], by[SCAN]
    z = (w_jd["mean_W2_T"] - w_scan["mean_W2_T"]) / np.hypot(
        w_jd["stderr_W2_T"], w_scan["stderr_W2_T"]
    )
    print(f"statistical check: <W^2(T)> jaxdyn - scan = {z:.2f} standard errors")
    print("pathwise check (sigma = 0, random theta(0)), max rel. diff of W^2 vs jaxdyn:")
    for k, v in det_diff.items():
        print(f"  {k:20s} {v:.2e}")
    print(
        f"jaxdyn sweep per call: median wall {by[CALL]['wall_median_s']:.3g} s; trace + lower + "
        f"compile {compile_first:.3g} s wall in the first call, {compile_later:.3g} s in later ones"
    )
    goals = []
    for jd in (JD, STEADY):
        goals.append(
            _common.goal(
                f"{jd} throughput / hand-written scan [CPU time]",
                by[SCAN]["cpu_s"] / by[jd]["cpu_s"],
                1.0,
            )
        )
        goals.append(
            _common.goal(
                f"{jd} throughput / NumPy loop [CPU time]",
                by[NUMPY]["cpu_s"] / by[jd]["cpu_s"],
                1.5,
            )
        )
    goals.append(
        _common.goal(
            f"{JD_WEAK} throughput / NumPy loop [CPU time]",
            by[NUMPY]["cpu_s"] / by[JD_WEAK]["cpu_s"],
            1.5,
        )
    )
    print("goals:")
    print(_common.goals_text(goals))
    t_jd, t_scan, t_np = by[JD]["cpu_s"], by[SCAN]["cpu_s"], by[NUMPY]["cpu_s"]
    summary = (
        f"README: Sync1D white-noise Euler-Maruyama (L={L}, {M} members, float32, CPU 1 "
        f"thread): jaxdyn {updates / t_jd:.3g} site updates per CPU second = "
        f"{t_scan / t_jd:.2f}x the throughput of a hand-written lax.scan kernel; a vectorised "
        f"NumPy loop (faster RNG) takes {t_np / t_jd:.2f}x jaxdyn's time."
    )
    print(summary)
    path = _common.write(
        "sync1d_sde",
        {
            "benchmark": "sync1d_sde",
            "machine": _common.machine("numpy"),
            "threads": "1 per library (XLA intra-op 1)",
            "load_average_start": load0,
            "load_average_end": _common.load_average(),
            "gpu_note": "no GPU in this session; CPU only",
            "quick": args.quick,
            "sizes": {
                "L": L,
                "members": M,
                "steps": n_steps,
                "dt": DT,
                "T": T,
                "save_times": ts.tolist(),
                "K": K,
                "sigma": SIGMA,
                "a": A,
                "dtype": "float32",
                "solver": "Euler-Maruyama (jaxdyn: scan, constant dt, block Gaussian increments)",
                "repeat": repeat,
                "site_updates": updates,
            },
            "rows": rows,
            "timing": "CPU = median process CPU time (1 thread per library); wall min/median",
            "ratios_throughput_vs_scan_cpu_time": {
                r["name"]: by[SCAN]["cpu_s"] / r["cpu_s"] for r in rows
            },
            "pathwise_check_sigma0_max_rel_diff": det_diff,
            "statistical_check_z_jaxdyn_vs_scan": float(z),
            "jaxdyn_sweep_compile_wall_s": {
                "first_call": compile_first,
                "later_calls": compile_later,
            },
            "goals": goals,
            "benchmark_wall_s": bench_wall,
            "summary": summary,
        },
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
