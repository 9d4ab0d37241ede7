"""Sync1D with columnar disorder (an ODE): a (K, sigma) sweep against its peers.

Problem: a ring of L phase oscillators with quenched frequencies ω_j = σ ξ_j
(``Sync1D(randomness="columnar")``, a = 0.5), 8 K values x 8 σ values = 64 members,
flat initial phases, integrated on [0, T] with an adaptive 5th-order Runge-Kutta pair at
rtol = atol = 1e-6, saving the squared roughness W²(t) = <(θ - <θ>)²> at 5 log-spaced
times. Everything in float64, one CPU thread per library. Times are process CPU times
(median over interleaved repeats; robust on a shared, overloaded machine), with the
wall-clock minimum and median beside them.

Every peer integrates the same ODE, with the same state (θ, ω) (ω has zero time
derivative, as in jaxdyn's ``Sync1DColumnar``), the same ξ, tolerances, initial step
0.1 and error norm (RMS over one member's state): equal accuracy by construction. Each
peer's W² is compared with a tight-tolerance reference (rtol = atol = 1e-10), so a fast
but wrong answer shows up in the ``max rel err`` column.

Peers:

* jaxdyn ``sweep`` + ``simulate`` (Tsit5), timed per call, end to end (3 calls; the first
  compiles, and jax's compile-time events measure that part);
* jaxdyn ``sweep`` with compile excluded (process CPU time after the last compile);
* jaxdyn ``sweep`` with ``batch="inside"`` (the chunk solved as one system, the batch
  inside the vector field, max-over-members error norm), warm;
* jaxdyn ``simulate`` under one hand-written ``jit(vmap(...))``;
* diffrax by hand, (a) ``jax.vmap`` of ``diffeqsolve`` (per-member step sizes, the loop
  runs until the slowest member finishes) and (b) the batch inside the vector field (one
  state of shape (64, L), one shared step size; error norm = max over members of each
  member's RMS, so that no member is solved less accurately than under vmap); (b') the
  same with diffrax's default RMS norm over the whole batch (looser for the hardest
  members: shown for information, not equal accuracy);
* scipy ``solve_ivp`` (RK45 = Dormand-Prince 5(4)), one member after another;
* torchode Tsit5, batched with per-member step sizes (``IntegralController``, the same
  I-controller as diffrax's default PID);
* torchdiffeq dopri5 with the batch inside the vector field and the same max-of-member-RMS
  norm.

Run: ``.venv/bin/python benchmarks/bench_sync1d_ode.py [--quick]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import _common  # noqa: E402

_common.single_thread()

import diffrax as dfx  # noqa: E402
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

jax.config.update("jax_enable_x64", True)

from jaxdyn import Grid, member_key, simulate, sweep  # noqa: E402
from jaxdyn.systems import Sync1D  # noqa: E402

A = 0.5
TOL = 1e-6
DT0 = 0.1
MAX_STEPS = 100_000


COMPILE = _common.CompileClock()


def roughness2(theta):
    """W² = mean over sites of (θ - <θ>)², over the last axis."""
    return jnp.mean((theta - jnp.mean(theta, -1, keepdims=True)) ** 2, -1)


def gamma(x):
    return jnp.sin(x) + A * (1.0 - jnp.cos(x))


def vf_single(t, y, K):
    theta, omega = y
    right = jnp.roll(theta, -1) - theta
    left = jnp.roll(theta, 1) - theta
    return (omega + K * (gamma(right) + gamma(left)), jnp.zeros_like(omega))


def vf_batch_shared(t, y, K):
    """vf_batch with half the sin/cos: Γ(θ_{j-1} - θ_j) reuses sin, cos of the bond j-1."""
    theta, omega = y
    bond = jnp.roll(theta, -1, axis=-1) - theta
    s, c = jnp.sin(bond), jnp.cos(bond)
    g = s - jnp.roll(s, 1, axis=-1) + A * (2.0 - c - jnp.roll(c, 1, axis=-1))
    return (omega + K[:, None] * g, jnp.zeros_like(omega))


def vf_batch(t, y, K):
    theta, omega = y
    right = jnp.roll(theta, -1, axis=-1) - theta
    left = jnp.roll(theta, 1, axis=-1) - theta
    return (omega + K[:, None] * (gamma(right) + gamma(left)), jnp.zeros_like(omega))


def max_member_rms(err):
    """max over members of the RMS of each member's (θ, ω) error (leading axis = member)."""
    sq = sum(jnp.sum(e**2, axis=-1) for e in jax.tree_util.tree_leaves(err))
    n = sum(e.shape[-1] for e in jax.tree_util.tree_leaves(err))
    return jnp.sqrt(jnp.max(sq / n))


def build(cfg):
    L, T = cfg["L"], cfg["T"]
    ts = np.geomspace(cfg["t_first"], T, cfg["n_save"])
    Ks = np.linspace(0.5, 4.0, cfg["nK"])
    sigmas = np.linspace(0.1, 1.0, cfg["nsigma"])
    KK, SS = (m.ravel() for m in np.meshgrid(Ks, sigmas, indexing="ij"))
    n = KK.size
    key = jax.random.PRNGKey(0)
    # The disorder member (point, seed 0) draws: simulate splits member_key(key, 0) into
    # (initial-state key, run key) and the system draws ξ from the first half.
    xi = jax.random.normal(jax.random.split(member_key(key, 0))[0], (L,))
    base = Sync1D(L=L, a=A, randomness="columnar")
    grid = Grid.product(K=Ks, sigma=sigmas)
    Kj, Sj = jnp.asarray(KK), jnp.asarray(SS)
    y0_batch = (jnp.zeros((n, L)), Sj[:, None] * xi)
    saveat_single = dfx.SaveAt(ts=ts, fn=lambda t, y, a: roughness2(y[0]))
    saveat_batch = dfx.SaveAt(ts=ts, fn=lambda t, y, a: roughness2(y[0]))

    def w2(t, y):
        return roughness2(y[0])

    def member(system, k):
        return simulate(system, T, key=k, ts=ts, observable=w2, rtol=TOL, atol=TOL, dt=DT0)

    out = {}

    def jaxdyn_sweep():
        def call():
            ds = sweep(member, base, grid, key=key, progress=False, chunk_size=n)
            out["jaxdyn sweep"] = np.asarray(ds["y"]).reshape(n, -1)
            out["jaxdyn steps"] = np.asarray(ds["num_steps"]).ravel()
            out["jaxdyn status"] = np.asarray(ds["status"]).ravel()

        out.setdefault("sweep calls", []).append(COMPILE.measure(call))

    @jax.jit
    @jax.vmap
    def jaxdyn_sim(K, s):
        system = eqx_set(base, K, s)
        return simulate(
            system,
            T,
            key=member_key(key, 0),
            ts=ts,
            observable=w2,
            rtol=TOL,
            atol=TOL,
            dt=DT0,
        ).ys

    def solve_single(K, s, tol, controller_norm=None):
        ctrl = dfx.PIDController(rtol=tol, atol=tol)
        sol = dfx.diffeqsolve(
            dfx.ODETerm(vf_single),
            dfx.Tsit5(),
            0.0,
            T,
            DT0,
            (jnp.zeros(L), s * xi),
            K,
            saveat=saveat_single,
            stepsize_controller=ctrl,
            max_steps=MAX_STEPS,
            throw=False,
        )
        return sol.ys

    diffrax_vmap = jax.jit(jax.vmap(lambda K, s: solve_single(K, s, TOL)))
    reference = jax.jit(jax.vmap(lambda K, s: solve_single(K, s, 1e-10)))

    def solve_batch(norm, vf=vf_batch):
        kw = {} if norm is None else {"norm": norm}

        @jax.jit
        def run(K, y0):
            sol = dfx.diffeqsolve(
                dfx.ODETerm(vf),
                dfx.Tsit5(),
                0.0,
                T,
                DT0,
                y0,
                K,
                saveat=saveat_batch,
                stepsize_controller=dfx.PIDController(rtol=TOL, atol=TOL, **kw),
                max_steps=MAX_STEPS,
                throw=False,
            )
            return sol.ys.T, sol.stats["num_accepted_steps"]

        return run

    batch_fair = solve_batch(max_member_rms)
    batch_rms = solve_batch(None)
    batch_shared = solve_batch(max_member_rms, vf_batch_shared)

    def jax_call(name, f, *a):
        def call():
            r = jax.block_until_ready(f(*a))
            out[name] = np.asarray(r[0] if isinstance(r, tuple) else r)
            if isinstance(r, tuple):
                out[name + " steps"] = int(r[1])
            return r

        return call

    def jaxdyn_sweep_inside():
        ds = sweep(member, base, grid, key=key, progress=False, chunk_size=n, batch="inside")
        out["jaxdyn inside"] = np.asarray(ds["y"]).reshape(n, -1)

    fns = {
        "jaxdyn sweep, batch='inside' (warm)": jaxdyn_sweep_inside,
        "jaxdyn simulate, jit(vmap) (warm)": jax_call("jaxdyn simulate", jaxdyn_sim, Kj, Sj),
        "diffrax vmap (hand-written)": jax_call("diffrax vmap", diffrax_vmap, Kj, Sj),
        "diffrax batch-in-VF (max-member norm)": jax_call(
            "diffrax batch fair", batch_fair, Kj, y0_batch
        ),
        "diffrax batch-in-VF (batch RMS norm)*": jax_call(
            "diffrax batch rms", batch_rms, Kj, y0_batch
        ),
        "diffrax batch-in-VF, half the sin/cos**": jax_call(
            "diffrax batch shared", batch_shared, Kj, y0_batch
        ),
        "scipy solve_ivp RK45 loop": scipy_peer(KK, SS, np.asarray(xi), L, T, ts, out),
    }
    fns.update(torch_peers(KK, SS, np.asarray(xi), L, T, ts, out))
    out["reference"] = np.asarray(reference(Kj, Sj))
    return fns, jaxdyn_sweep, out, dict(ts=ts, Ks=Ks, sigmas=sigmas, n=n)


def eqx_set(base, K, s):
    import equinox as eqx

    return eqx.tree_at(lambda m: (m.K, m.sigma), base, (K, s))


def scipy_peer(KK, SS, xi, L, T, ts, out):
    from scipy.integrate import solve_ivp

    def rhs(t, y, K):
        theta = y[:L]
        right = np.roll(theta, -1) - theta
        left = np.roll(theta, 1) - theta
        g = np.sin(right) + A * (1 - np.cos(right)) + np.sin(left) + A * (1 - np.cos(left))
        return np.concatenate([y[L:] + K * g, np.zeros(L)])

    def run():
        res = []
        for K, s in zip(KK, SS, strict=True):
            y0 = np.concatenate([np.zeros(L), s * xi])
            sol = solve_ivp(
                rhs,
                (0.0, T),
                y0,
                method="RK45",
                rtol=TOL,
                atol=TOL,
                t_eval=ts,
                first_step=DT0,
                args=(K,),
            )
            th = sol.y[:L]
            res.append(np.mean((th - th.mean(0)) ** 2, 0))
        out["scipy"] = np.array(res)

    return run


def torch_peers(KK, SS, xi, L, T, ts, out):
    import torch
    import torchdiffeq
    import torchode as to

    torch.set_num_threads(1)
    dt = torch.float64
    K = torch.tensor(KK, dtype=dt)[:, None]
    n = K.shape[0]
    y0 = torch.cat(
        [torch.zeros(n, L, dtype=dt), torch.tensor(SS, dtype=dt)[:, None] * torch.tensor(xi)], -1
    )

    def f(t, y):
        theta = y[:, :L]
        right = torch.roll(theta, -1, -1) - theta
        left = torch.roll(theta, 1, -1) - theta
        g = (
            torch.sin(right)
            + A * (1 - torch.cos(right))
            + torch.sin(left)
            + A * (1 - torch.cos(left))
        )
        return torch.cat([y[:, L:] + K * g, torch.zeros_like(theta)], -1)

    def w2(y):  # y: (n, times, 2L)
        th = y[..., :L]
        return ((th - th.mean(-1, keepdim=True)) ** 2).mean(-1)

    term = to.ODETerm(f)
    solver = to.AutoDiffAdjoint(
        to.Tsit5(term=term), to.IntegralController(atol=TOL, rtol=TOL, term=term)
    )
    t_eval = torch.tensor(ts, dtype=dt).repeat(n, 1)

    def run_torchode():
        with torch.no_grad():
            sol = solver.solve(
                to.InitialValueProblem(y0=y0, t_eval=t_eval, t_start=torch.zeros(n, dtype=dt)),
                dt0=torch.full((n,), DT0, dtype=dt),
            )
        out["torchode"] = w2(sol.ys).numpy()
        out["torchode steps"] = sol.stats["n_steps"].numpy()
        out["torchode status"] = sol.status.numpy()

    def norm(e):  # max over members of each member's RMS: the vmap-equivalent criterion
        return torch.sqrt((e**2).mean(-1)).max()

    t_all = torch.tensor(np.concatenate([[0.0], ts]), dtype=dt)

    def run_torchdiffeq():
        with torch.no_grad():
            ys = torchdiffeq.odeint(
                f,
                y0,
                t_all,
                rtol=TOL,
                atol=TOL,
                method="dopri5",
                options={"first_step": DT0, "norm": norm},
            )
        out["torchdiffeq"] = w2(ys[1:].transpose(0, 1)).numpy()

    return {
        "torchode Tsit5 (batched, per-member dt)": run_torchode,
        "torchdiffeq dopri5 (batch-in-VF)": run_torchdiffeq,
    }


RESULT_KEY = {
    "jaxdyn sweep (per call, end to end)": "jaxdyn sweep",
    "jaxdyn simulate, jit(vmap) (warm)": "jaxdyn simulate",
    "jaxdyn sweep, batch='inside' (warm)": "jaxdyn inside",
    "diffrax vmap (hand-written)": "diffrax vmap",
    "diffrax batch-in-VF (max-member norm)": "diffrax batch fair",
    "diffrax batch-in-VF (batch RMS norm)*": "diffrax batch rms",
    "diffrax batch-in-VF, half the sin/cos**": "diffrax batch shared",
    "scipy solve_ivp RK45 loop": "scipy",
    "torchode Tsit5 (batched, per-member dt)": "torchode",
    "torchdiffeq dopri5 (batch-in-VF)": "torchdiffeq",
}


ORDER = [
    "jaxdyn sweep (per call, end to end)",
    "jaxdyn sweep (steady, compile excluded)",
    "jaxdyn sweep, batch='inside' (warm)",
    "jaxdyn simulate, jit(vmap) (warm)",
    "diffrax vmap (hand-written)",
    "diffrax batch-in-VF (max-member norm)",
    "diffrax batch-in-VF (batch RMS norm)*",
    "diffrax batch-in-VF, half the sin/cos**",
    "scipy solve_ivp RK45 loop",
    "torchode Tsit5 (batched, per-member dt)",
    "torchdiffeq dopri5 (batch-in-VF)",
]
STEADY = "jaxdyn sweep (steady, compile excluded)"
CALL = "jaxdyn sweep (per call, end to end)"
SCIPY = "scipy solve_ivp RK45 loop"
TORCHODE = "torchode Tsit5 (batched, per-member dt)"
SIM = "jaxdyn simulate, jit(vmap) (warm)"
HAND = ("diffrax vmap (hand-written)", "diffrax batch-in-VF (max-member norm)")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="small run (< ~1 min on an idle CPU)")
    p.add_argument("--repeat", type=int, default=None)
    p.add_argument("--T", type=float, default=None, help="final time")
    args = p.parse_args()
    cfg = dict(L=128, nK=8, nsigma=8, T=10.0 if args.quick else 20.0, t_first=0.5, n_save=5)
    if args.T is not None:
        cfg["T"] = args.T
    repeat = args.repeat or (5 if args.quick else 9)
    sweep_calls = 2 if args.quick else 3
    load0 = _common.load_average()

    fns, jaxdyn_sweep, out, info = build(cfg)
    n = info["n"]
    t0 = time.perf_counter()
    wall, cpu = _common.timeit_wall_cpu(fns, repeat=repeat, warmup=1)
    # Time a few sweep() calls: the first one compiles (so did every call before jaxdyn
    # cached its chunk runner); jax's compile-time events separate that part from the run.
    for _ in range(sweep_calls):
        jaxdyn_sweep()
    calls = out["sweep calls"]
    wall[CALL], cpu[CALL] = [c["wall_s"] for c in calls], [c["cpu_s"] for c in calls]
    wall[STEADY] = [c["run_wall_s"] for c in calls]
    cpu[STEADY] = [c["cpu_after_compile_s"] for c in calls]
    compile_first = calls[0]["compile_wall_s"]
    compile_later = float(np.median([c["compile_wall_s"] for c in calls[1:]]))
    bench_wall = time.perf_counter() - t0

    ref = out["reference"]
    rows = []
    for name in ORDER:
        w = out[RESULT_KEY.get(name, "jaxdyn sweep")]
        rows.append(
            {
                "name": name,
                "cpu_s": float(np.median(cpu[name])),
                "wall_min_s": float(np.min(wall[name])),
                "wall_median_s": float(np.median(wall[name])),
                "cpu_all_s": [float(x) for x in cpu[name]],
                "wall_all_s": [float(x) for x in wall[name]],
                "max_rel_err_vs_ref": float(np.max(np.abs(w - ref) / ref)),
            }
        )
    by = {r["name"]: r for r in rows}
    print(
        f"Sync1D columnar ODE sweep: {n} members (K x sigma = {cfg['nK']} x {cfg['nsigma']}), "
        f"L = {cfg['L']}, t in [0, {cfg['T']:g}], rtol = atol = {TOL:g}, float64, 1 thread, "
        f"{repeat} repeats (sweep: {sweep_calls} calls); load average {load0}"
    )
    print(_common.table_cpu_wall(rows, STEADY))
    print("max rel. error of W^2 vs an rtol = atol = 1e-10 reference:")
    for r in rows:
        print(f"  {r['name']:44s} {r['max_rel_err_vs_ref']:.2e}")
    steps = out["jaxdyn steps"]
    print(
        f"accepted steps per member (jaxdyn): min {steps.min()} median {int(np.median(steps))} "
        f"max {steps.max()}; shared-step batch-in-VF: {out['diffrax batch fair steps']} (fair), "
        f"{out['diffrax batch rms steps']} (batch RMS); status ok: "
        f"{int(np.sum(out['jaxdyn status'] == 0))}/{n}"
    )
    print(
        f"jaxdyn sweep per call: median wall {by[CALL]['wall_median_s']:.3g} s; trace + lower + "
        f"compile {compile_first:.3g} s wall in the first call, {compile_later:.3g} s in later ones"
    )
    print("* batch RMS norm: looser for the hardest members (not equal accuracy).")
    print("** same ODE, vector field written with 2 instead of 4 sin/cos per site (information).")

    best = min(HAND, key=lambda k: by[k]["cpu_s"])
    goals = []
    for jd in (STEADY, CALL, SIM):
        t_jd = by[jd]["cpu_s"]
        goals += [
            _common.goal(f"scipy loop / {jd} [CPU time]", by[SCIPY]["cpu_s"] / t_jd, 20),
            _common.goal(f"torchode / {jd} [CPU time]", by[TORCHODE]["cpu_s"] / t_jd, 4),
            _common.goal(
                f"{jd} / best hand-written diffrax ({best}) [CPU time]",
                t_jd / by[best]["cpu_s"],
                1.0,
                higher_is_better=False,
            ),
        ]
    print("goals:")
    print(_common.goals_text(goals))
    t_steady = by[STEADY]["cpu_s"]
    summary = (
        f"README: Sync1D columnar sweep ({n} members, L={cfg['L']}, rtol=1e-6, float64, CPU "
        f"1 thread): jaxdyn sweep {t_steady:.2f} s CPU once compiled "
        f"({by[CALL]['wall_median_s']:.1f} s wall per call) = "
        f"{by[SCIPY]['cpu_s'] / t_steady:.1f}x a scipy loop, "
        f"{by[TORCHODE]['cpu_s'] / t_steady:.1f}x torchode, "
        f"{t_steady / by[best]['cpu_s']:.2f}x the time of the best hand-written diffrax."
    )
    print(summary)
    path = _common.write(
        "sync1d_ode",
        {
            "benchmark": "sync1d_ode",
            "machine": _common.machine("numpy", "scipy", "torch", "torchode", "torchdiffeq"),
            "threads": "1 per library (XLA intra-op 1, torch.set_num_threads(1))",
            "load_average_start": load0,
            "load_average_end": _common.load_average(),
            "gpu_note": "no GPU in this session; CPU only",
            "quick": args.quick,
            "sizes": {
                **cfg,
                "members": n,
                "K": info["Ks"].tolist(),
                "sigma": info["sigmas"].tolist(),
                "a": A,
                "save_times": info["ts"].tolist(),
                "rtol": TOL,
                "atol": TOL,
                "dt0": DT0,
                "dtype": "float64",
                "repeat": repeat,
                "sweep_calls_timed": sweep_calls,
            },
            "solvers": {
                "jaxdyn/diffrax": "Tsit5 + PIDController (I-controller defaults)",
                "scipy": "RK45 (Dormand-Prince 5(4))",
                "torchode": "Tsit5 + IntegralController",
                "torchdiffeq": "dopri5",
            },
            "rows": rows,
            "steps": {
                "jaxdyn_per_member": steps.tolist(),
                "torchode_per_member": out["torchode steps"].tolist(),
                "diffrax_batch_fair_shared": out["diffrax batch fair steps"],
                "diffrax_batch_rms_shared": out["diffrax batch rms steps"],
            },
            "timing": "CPU = median process CPU time (1 thread per library); wall min/median",
            "ratios_cpu_vs_steady_sweep": {r["name"]: r["cpu_s"] / t_steady for r in rows},
            "jaxdyn_sweep_compile_wall_s": {
                "first_call": compile_first,
                "later_calls": compile_later,
            },
            "jaxdyn_sweep_calls_wall_and_compile_s": out["sweep calls"],
            "goals": goals,
            "benchmark_wall_s": bench_wall,
            "summary": summary,
        },
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
