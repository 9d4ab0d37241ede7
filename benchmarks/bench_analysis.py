"""The analysis vocabulary against its peers: Lyapunov sweeps, RQA, EDMD.

* Lyapunov spectrum of the Lorenz system (σ = 10, β = 8/3) over a sweep of ρ (10³ values
  by default): jaxdyn ``jit(vmap(lyapunov_spectrum))`` against (a) a scipy loop
  (``solve_ivp`` DOP853 of the tangent system between QR re-orthonormalisations, one
  parameter at a time), (b) DynamicalSystems-style QR in NumPy (the same fixed-step RK4
  and QR as ours, one parameter at a time) and (c) the same NumPy algorithm vectorised
  over all parameters (stacked ``np.linalg.qr``), the strongest CPU peer. Loops are timed
  on a subset of parameters and extrapolated (said so in the table). Same algorithm ⇒
  equal answers: the NumPy RK4 peers must agree with jaxdyn to 1e-8 (the runs are short
  checked at t = 3, before chaos amplifies round-off; at t = 20 they agree in the sum of
  the spectrum and statistically in λ₁).
* RQA of long series (a Lorenz x(t) series, N points): jaxdyn (``recurrence_matrix`` +
  ``rqa``, jitted) against pyunicorn's ``RecurrencePlot``; every measure must agree.
  Also a batch of series (vmapped) against a pyunicorn loop.
* EDMD at large snapshot counts (a 2-D polynomial map, monomials of total degree 6, 28
  functions): jaxdyn ``edmd`` (eigenvalues *and* ResDMD residuals) against PyDMD's exact
  DMD of the lifted data (eigenvalues only); the eigenvalues must agree to 1e-8.

Goals: >= 10x for the sweeps (Lyapunov vs the scipy loop and vs the NumPy loop), with
equal answers; the report says met or not met. CPU time with every library on one
thread (``_common.single_thread``) is the cost measure on this shared machine.
``--quick``: 64 parameters, N = 1500, 2e4 snapshots.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._common import (  # noqa: E402
    RESULTS,
    goal,
    goals_text,
    load_average,
    machine,
    single_thread,
    table_cpu_wall,
    timeit_wall_cpu,
    write,
)

single_thread()

import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

from jaxdyn.analysis import koopman as kp  # noqa: E402
from jaxdyn.analysis.lyapunov import generic_frame, lyapunov_spectrum  # noqa: E402
from jaxdyn.analysis.recurrence import recurrence_matrix, rqa  # noqa: E402
from jaxdyn.core import ClassicRK4  # noqa: E402
from jaxdyn.systems import Lorenz  # noqa: E402

SIGMA, BETA = 10.0, 8.0 / 3.0
T_RENORM, DT, T1, T_CHECK = 0.1, 0.01, 20.0, 3.0
Y0 = np.array([1.0, 1.0, 20.0])


# ----------------------------------------------------------------------------- Lyapunov
def lorenz_np(y, rho):
    x, yy, z = y[..., 0], y[..., 1], y[..., 2]
    return np.stack([SIGMA * (yy - x), x * (rho - z) - yy, x * yy - BETA * z], axis=-1)


def lorenz_jac_np(y, rho):
    x, yy, z = y[..., 0], y[..., 1], y[..., 2]
    one, zero = np.ones_like(x), np.zeros_like(x)
    return np.stack(
        [
            np.stack([-SIGMA * one, SIGMA * one, zero], -1),
            np.stack([rho - z, -one, -x], -1),
            np.stack([yy, x, -BETA * one], -1),
        ],
        -2,
    )


def tangent_np(state, rho):
    y, Q = state
    return lorenz_np(y, rho), lorenz_jac_np(y, rho) @ Q


def rk4_np(state, rho, h):
    def add(s, k, c):
        return (s[0] + c * k[0], s[1] + c * k[1])

    k1 = tangent_np(state, rho)
    k2 = tangent_np(add(state, k1, h / 2), rho)
    k3 = tangent_np(add(state, k2, h / 2), rho)
    k4 = tangent_np(add(state, k3, h), rho)
    return (
        state[0] + h / 6 * (k1[0] + 2 * k2[0] + 2 * k3[0] + k4[0]),
        state[1] + h / 6 * (k1[1] + 2 * k2[1] + 2 * k3[1] + k4[1]),
    )


def lyap_numpy(rho, frame, t1=T1):
    """DynamicalSystems-style: RK4 tangent steps, QR every T_RENORM (works batched too)."""
    rho = np.asarray(rho, dtype=float)
    batch = rho.shape
    y = np.broadcast_to(Y0, batch + (3,)).copy()
    Q = np.broadcast_to(frame, batch + (3, 3)).copy()
    logs = np.zeros(batch + (3,))
    steps = int(round(T_RENORM / DT))
    for _ in range(int(round(t1 / T_RENORM))):
        state = (y, Q)
        for _ in range(steps):
            state = rk4_np(state, rho, DT)
        y, Q = state
        Q, R = np.linalg.qr(Q)
        logs += np.log(np.abs(np.diagonal(R, axis1=-2, axis2=-1)))
    return logs / t1


def lyap_scipy(rho, frame, t1=T1):
    from scipy.integrate import solve_ivp

    def f(t, s):
        y, Q = s[:3], s[3:].reshape(3, 3)
        return np.concatenate([lorenz_np(y, rho), (lorenz_jac_np(y, rho) @ Q).ravel()])

    y, Q = Y0.copy(), frame.copy()
    logs = np.zeros(3)
    for _ in range(int(round(t1 / T_RENORM))):
        sol = solve_ivp(
            f,
            (0, T_RENORM),
            np.concatenate([y, Q.ravel()]),
            method="DOP853",
            rtol=1e-10,
            atol=1e-12,
        )
        s = sol.y[:, -1]
        y, (Q, R) = s[:3], np.linalg.qr(s[3:].reshape(3, 3))
        logs += np.log(np.abs(np.diag(R)))
    return logs / t1


def bench_lyapunov(n_params: int, n_loop: int, repeat: int) -> tuple[list, dict, list]:
    rhos = np.linspace(20.0, 200.0, n_params)
    frame = np.asarray(generic_frame(3, 3))
    opts = dict(t_renorm=T_RENORM, solver=ClassicRK4(), adaptive=False, dt=DT)

    def make(t1):
        return jax.jit(
            jax.vmap(lambda r: lyapunov_spectrum(Lorenz(rho=r), t1, y0=jnp.asarray(Y0), **opts))
        )

    sweep = make(T1)
    t0 = time.perf_counter()
    ours = np.asarray(jax.block_until_ready(sweep(jnp.asarray(rhos))))
    compile_s = time.perf_counter() - t0
    sub = rhos[np.linspace(0, n_params - 1, n_loop).astype(int)]
    idx = np.linspace(0, n_params - 1, n_loop).astype(int)
    # Equal answers are checked at t = T_CHECK: later, chaos (lambda_1 up to ~2 at rho = 200)
    # amplifies the last-bit differences of two correct codes to O(1) in a finite window.
    ours_c = np.asarray(make(T_CHECK)(jnp.asarray(rhos)))
    np_loop = np.array([lyap_numpy(r, frame, T_CHECK) for r in sub])
    np_batch = lyap_numpy(rhos, frame, T_CHECK)
    sp_loop = np.array([lyap_scipy(r, frame, T_CHECK) for r in sub[: max(2, n_loop // 4)]])
    np_full = lyap_numpy(rhos, frame)
    answers = {
        "check_time": T_CHECK,
        "max_abs_diff_numpy_loop": float(np.max(np.abs(np_loop - ours_c[idx]))),
        "max_abs_diff_numpy_batched": float(np.max(np.abs(np_batch - ours_c))),
        "max_abs_diff_scipy_dop853": float(np.max(np.abs(sp_loop - ours_c[idx[: len(sp_loop)]]))),
        "at_T1_mean_abs_diff_lambda1_vs_numpy": float(np.mean(np.abs(np_full - ours)[:, 0])),
        "at_T1_sum_of_spectrum_max_diff": float(np.max(np.abs(np_full.sum(1) - ours.sum(1)))),
        "jaxdyn_compile_s": compile_s,
        "lambda1_range": [float(ours[:, 0].min()), float(ours[:, 0].max())],
    }
    n_sp = max(2, n_loop // 4)
    fns = {
        "jaxdyn jit(vmap(lyapunov_spectrum))": lambda: jax.block_until_ready(
            sweep(jnp.asarray(rhos))
        ),
        f"NumPy QR, vectorised over {n_params}": lambda: lyap_numpy(rhos, frame),
        f"NumPy QR loop ({n_loop} params, x{n_params / n_loop:g})": lambda: [
            lyap_numpy(r, frame) for r in sub
        ],
        f"scipy DOP853 loop ({n_sp} params, x{n_params / n_sp:g})": lambda: [
            lyap_scipy(r, frame) for r in sub[:n_sp]
        ],
    }
    scale = {
        f"NumPy QR loop ({n_loop} params, x{n_params / n_loop:g})": n_params / n_loop,
        f"scipy DOP853 loop ({n_sp} params, x{n_params / n_sp:g})": n_params / n_sp,
    }
    wall, cpu = timeit_wall_cpu(fns, repeat=repeat, warmup=1)
    rows = [
        {
            "name": k,
            "cpu_s": statistics.median(cpu[k]) * scale.get(k, 1.0),
            "wall_min_s": min(wall[k]) * scale.get(k, 1.0),
            "wall_median_s": statistics.median(wall[k]) * scale.get(k, 1.0),
        }
        for k in fns
    ]
    return rows, answers, list(fns)


# ----------------------------------------------------------------------------- RQA
def lorenz_series(n: int) -> np.ndarray:
    from jaxdyn import simulate

    ts = 20.0 + 0.05 * np.arange(n)
    return np.asarray(simulate(Lorenz(), float(ts[-1]), ts=ts).ys[:, 0])


def bench_rqa(n: int, batch: int, repeat: int):
    from pyunicorn.timeseries import RecurrencePlot

    x = lorenz_series(n)
    kw = dict(recurrence_rate=0.05, dim=3, delay=3)

    def ours(x):
        return rqa(recurrence_matrix(x, metric="supremum", **kw))

    ours_j = jax.jit(ours)

    def theirs(x):
        rp = RecurrencePlot(
            x, metric="supremum", silence_level=3, recurrence_rate=0.05, dim=3, tau=3
        )
        return {
            "RR": rp.recurrence_rate(),
            "DET": rp.determinism(2),
            "L": rp.average_diaglength(2),
            "Lmax": rp.max_diaglength(),
            "ENTR": rp.diag_entropy(2),
            "LAM": rp.laminarity(2),
            "TT": rp.trapping_time(2),
            "Vmax": rp.max_vertlength(),
        }

    a = {k: float(v) for k, v in ours_j(jnp.asarray(x)).items()}
    b = {k: float(v) for k, v in theirs(x).items()}
    diff = max(abs(a[k] - b[k]) / max(1.0, abs(b[k])) for k in b)
    xs = np.stack([lorenz_series(n + 7 * i)[7 * i :] for i in range(batch)])
    many = jax.jit(lambda xs: jax.lax.map(ours, xs))
    jax.block_until_ready(many(jnp.asarray(xs)))
    fns = {
        f"jaxdyn rqa, one series N={n}": lambda: jax.block_until_ready(ours_j(jnp.asarray(x))),
        f"pyunicorn, one series N={n}": lambda: theirs(x),
        f"jaxdyn rqa, {batch} series (lax.map)": lambda: jax.block_until_ready(
            many(jnp.asarray(xs))
        ),
        f"pyunicorn, {batch} series (loop)": lambda: [theirs(s) for s in xs],
    }
    wall, cpu = timeit_wall_cpu(fns, repeat=repeat, warmup=1)
    rows = [
        {
            "name": k,
            "cpu_s": statistics.median(cpu[k]),
            "wall_min_s": min(wall[k]),
            "wall_median_s": statistics.median(wall[k]),
        }
        for k in fns
    ]
    return rows, {"max_rel_diff_all_measures": diff, "ours": a, "pyunicorn": b}, list(fns)


# ----------------------------------------------------------------------------- EDMD
def bench_edmd(n: int, repeat: int):
    import pydmd

    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (n, 2))
    Y = np.stack([0.9 * X[:, 0] + 0.1 * X[:, 1] ** 2, 0.5 * X[:, 1] - 0.2 * np.sin(X[:, 0])], 1)
    d = kp.Monomials(2, 6)
    exps = d.exponents

    def lift_np(Z):
        return np.prod(Z[:, None, :] ** exps[None], axis=-1)

    ours = jax.jit(lambda X, Y: (lambda r: (r.eigvals, r.residuals))(kp.edmd(X, Y, d)))
    Xj, Yj = jnp.asarray(X), jnp.asarray(Y)
    lam, _ = jax.block_until_ready(ours(Xj, Yj))

    def theirs():
        dmd = pydmd.DMD(svd_rank=-1, exact=True)
        dmd.fit(lift_np(X).T, lift_np(Y).T)
        return dmd.eigs

    eigs = theirs()
    diff = float(
        max(np.max(kp.match_eigenvalues(eigs, lam)), np.max(kp.match_eigenvalues(lam, eigs)))
    )
    fns = {
        f"jaxdyn edmd + residuals, N={n}, M={d.size}": lambda: jax.block_until_ready(ours(Xj, Yj)),
        "PyDMD DMD of lifted data (eigenvalues only)": theirs,
    }
    wall, cpu = timeit_wall_cpu(fns, repeat=repeat, warmup=1)
    rows = [
        {
            "name": k,
            "cpu_s": statistics.median(cpu[k]),
            "wall_min_s": min(wall[k]),
            "wall_median_s": statistics.median(wall[k]),
        }
        for k in fns
    ]
    return rows, {"max_eigenvalue_diff": diff, "size": d.size}, list(fns)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--parts",
        default="lyapunov,rqa,edmd",
        help="comma-separated subset of lyapunov,rqa,edmd; the others keep their rows "
        "from the existing result file",
    )
    args = parser.parse_args(argv)
    quick = args.quick
    parts = set(args.parts.split(","))
    if not parts <= {"lyapunov", "rqa", "edmd"}:
        parser.error(f"--parts must be a subset of lyapunov,rqa,edmd, got {args.parts!r}")
    # the loops cost seconds per parameter: they are timed on 8 and extrapolated
    n_params, n_loop = (64, 8) if quick else (1000, 8)
    repeat = 3

    name = "analysis_quick" if quick else "analysis"
    old = RESULTS / f"{name}.json"
    partial = parts != {"lyapunov", "rqa", "edmd"}
    payload = json.loads(old.read_text()) if partial and old.exists() else {}
    prefix = {"lyapunov": "Lyapunov", "rqa": "RQA", "edmd": "EDMD"}
    goals = [g for g in payload.get("goals", [])
             if not g["goal"].startswith(tuple(prefix[p] for p in parts))]  # fmt: skip
    payload.pop("note", None)
    for part in parts:  # rows of a part measured in quick mode by an earlier full run
        payload.pop(f"{part}_quick", None)
        payload.setdefault("measured_on", {})[part] = time.strftime("%Y-%m-%d")
    payload.update({"machine": machine("scipy", "pyunicorn", "pydmd"), "quick": quick})
    payload[f"load_average_start_{'_'.join(sorted(parts))}"] = load_average()

    if "lyapunov" in parts:
        lyapunov_part(payload, goals, n_params, n_loop, repeat)
    if "rqa" in parts:
        rqa_part(payload, goals, quick, repeat)
    if "edmd" in parts:
        edmd_part(payload, goals, quick, repeat)

    print("\nGoals:")
    print(goals_text(goals))
    payload["goals"] = goals
    payload["load_average_end"] = load_average()
    path = write(name, payload)
    print(f"wrote {path}")


def lyapunov_part(payload, goals, n_params, n_loop, repeat):
    rows, ans, names = bench_lyapunov(n_params, n_loop, repeat)
    print(f"\nLyapunov spectrum of Lorenz over {n_params} values of rho (t = {T1}, RK4 dt = {DT})")
    print(table_cpu_wall(rows, names[0]))
    print("answers:", ans)
    payload["lyapunov"] = {"rows": rows, "answers": ans, "n_params": n_params}
    cpu = {r["name"]: r["cpu_s"] for r in rows}
    base = cpu[names[0]]
    equal = ans["max_abs_diff_numpy_loop"] < 1e-8 and ans["max_abs_diff_numpy_batched"] < 1e-8
    goals.append(goal("Lyapunov sweep: speed-up vs scipy loop", cpu[names[3]] / base, 10.0))
    goals.append(goal("Lyapunov sweep: speed-up vs NumPy QR loop", cpu[names[2]] / base, 10.0))
    goals.append(goal("Lyapunov sweep: speed-up vs vectorised NumPy", cpu[names[1]] / base, 10.0))
    goals.append(
        goal(
            "Lyapunov sweep: equal answers (max |diff| vs NumPy RK4)",
            max(ans["max_abs_diff_numpy_loop"], ans["max_abs_diff_numpy_batched"]),
            1e-8,
            higher_is_better=False,
        )
    )
    del equal


def rqa_part(payload, goals, quick, repeat):
    n_rqa, batch = (1500, 4) if quick else (4000, 8)
    rows, ans, names = bench_rqa(n_rqa, batch, repeat)
    print("\nRQA (recurrence rate 5%, m = 3, tau = 3), Lorenz x(t)")
    print(table_cpu_wall(rows, names[0]))
    print("answers: max relative difference over all measures =", ans["max_rel_diff_all_measures"])
    payload["rqa"] = {"rows": rows, "answers": ans}
    cpu = {r["name"]: r["cpu_s"] for r in rows}
    goals.append(goal("RQA batch: speed-up vs pyunicorn loop", cpu[names[3]] / cpu[names[2]], 10.0))
    goals.append(
        goal(
            "RQA: equal answers (max rel diff)",
            ans["max_rel_diff_all_measures"],
            1e-8,
            higher_is_better=False,
        )
    )


def edmd_part(payload, goals, quick, repeat):
    n_edmd = 20_000 if quick else 200_000
    rows, ans, names = bench_edmd(n_edmd, repeat)
    print(f"\nEDMD, {n_edmd} snapshots, monomials of degree 6")
    print(table_cpu_wall(rows, names[0]))
    print("answers: max eigenvalue difference =", ans["max_eigenvalue_diff"])
    payload["edmd"] = {"rows": rows, "answers": ans, "snapshots": n_edmd}
    cpu = {r["name"]: r["cpu_s"] for r in rows}
    goals.append(goal("EDMD: time ratio PyDMD / jaxdyn", cpu[names[1]] / cpu[names[0]], 1.0))
    goals.append(
        goal("EDMD: equal eigenvalues", ans["max_eigenvalue_diff"], 1e-8, higher_is_better=False)
    )


if __name__ == "__main__":
    main()
