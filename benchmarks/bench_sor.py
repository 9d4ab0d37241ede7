"""SOR sweeps per second on the 2-D Poisson problem, and the online-learning loop, on CPU.

Problem: A = -Δ_h (5-point, Dirichlet, m x m interior grid), ω = 1.5, float64, random b.
Peers, each doing the same number of full SOR sweeps from the same start:

* jaxdyn red-black stencil: ``Stencil5.sweep`` in a jitted ``lax.fori_loop``;
* NumPy vectorised red-black: four strided-slice updates per sweep (half grid each colour);
* SciPy lexicographic: one sparse triangular solve per sweep,
  (D - ωL) x_{k+1} = ω b + ((1 - ω) D + ω U) x_k, with ``spsolve_triangular``;
* plain Python lexicographic double loop (smallest grids only; the textbook code).

Red-black and lexicographic sweeps are different orderings (same cost, different
iterates); the red-black peers are checked to agree to round-off. Also timed: the
precomputation of the quick experiment's iteration table (vmapped SOR over instances x ω)
and the online loop of all learners over it (8 seeds vmapped).

No GPU in this session: CPU only, one XLA / BLAS thread (``_common.single_thread``).
Run: ``.venv/bin/python benchmarks/bench_sor.py [--quick]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import _common  # noqa: E402

_common.single_thread()

import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402
from scipy.sparse.linalg import spsolve_triangular  # noqa: E402

from jaxdyn.solvers.bandits import ChebCB, Exp3, TsallisINF, run_online  # noqa: E402
from jaxdyn.solvers.sor import iteration_table, poisson  # noqa: E402

OMEGA = 1.5


def jax_sweeps(m: int, n: int):
    op = poisson(m)

    @jax.jit
    def run(u, b):
        return jax.lax.fori_loop(0, n, lambda _, u: op.sweep(u, b, OMEGA), u)

    return run


def numpy_red_black(u: np.ndarray, b: np.ndarray, m: int, n: int) -> np.ndarray:
    """Red-black SOR with strided slices of the zero-padded (m+2, m+2) array."""
    h2 = 1.0 / (m + 1) ** 2
    P = np.zeros((m + 2, m + 2))
    P[1:-1, 1:-1] = u
    B = np.zeros((m + 2, m + 2))
    B[1:-1, 1:-1] = b * h2
    # padded index parity: red (i + j even in the interior) = (I + J) even
    colours = (((1, 1), (2, 2)), ((1, 2), (2, 1)))
    for _ in range(n):
        for colour in colours:
            for i0, j0 in colour:
                s = (slice(i0, m + 1, 2), slice(j0, m + 1, 2))
                nb = (
                    P[i0 - 1 : m : 2, j0 : m + 1 : 2]
                    + P[i0 + 1 : m + 2 : 2, j0 : m + 1 : 2]
                    + P[i0 : m + 1 : 2, j0 - 1 : m : 2]
                    + P[i0 : m + 1 : 2, j0 + 1 : m + 2 : 2]
                )
                P[s] = (1.0 - OMEGA) * P[s] + OMEGA * 0.25 * (B[s] + nb)
    return P[1:-1, 1:-1]


def scipy_lexicographic(A: sp.csr_matrix, m: int, n: int):
    D = sp.diags(A.diagonal())
    L = -sp.tril(A, k=-1)
    U = -sp.triu(A, k=1)
    lower = (D - OMEGA * L).tocsr()
    rhs_mat = ((1.0 - OMEGA) * D + OMEGA * U).tocsr()

    def run(x, b):
        for _ in range(n):
            x = spsolve_triangular(lower, OMEGA * b + rhs_mat @ x, lower=True)
        return x

    return run


def python_lexicographic(u: np.ndarray, b: np.ndarray, m: int, n: int) -> np.ndarray:
    h2 = 1.0 / (m + 1) ** 2
    P = np.zeros((m + 2, m + 2)).tolist()
    for i in range(m):
        for j in range(m):
            P[i + 1][j + 1] = float(u[i, j])
    bb = (np.asarray(b) * h2).tolist()
    for _ in range(n):
        for i in range(1, m + 1):
            row, up, down = P[i], P[i - 1], P[i + 1]
            for j in range(1, m + 1):
                gs = 0.25 * (bb[i - 1][j - 1] + up[j] + down[j] + row[j - 1] + row[j + 1])
                row[j] = (1.0 - OMEGA) * row[j] + OMEGA * gs
    return np.array(P)[1:-1, 1:-1]


def bench_sweeps(m: int, n: int, python_ok: bool, repeat: int) -> list[dict]:
    b = np.asarray(jax.random.normal(jax.random.PRNGKey(0), (m, m)))
    u0 = np.zeros((m, m))
    jrun = jax_sweeps(m, n)
    ju0, jb = jnp.asarray(u0), jnp.asarray(b)
    srun = scipy_lexicographic(_sparse_poisson(m), m, n)
    fns = {
        "jaxdyn red-black (jit)": lambda: jax.block_until_ready(jrun(ju0, jb)),
        "NumPy red-black (strided slices)": lambda: numpy_red_black(u0, b, m, n),
        "SciPy lexicographic (sparse tri-solve)": lambda: srun(u0.reshape(-1), b.reshape(-1)),
    }
    if python_ok:
        fns["Python lexicographic loop"] = lambda: python_lexicographic(u0, b, m, n)
    runs = _common.timeit_runs(fns, repeat=repeat, warmup=1)
    # agreement of the two red-black implementations (same ordering, same iterates)
    diff = float(np.max(np.abs(np.asarray(jrun(ju0, jb)) - numpy_red_black(u0, b, m, n))))
    # and of the two lexicographic ones (3 sweeps, so that the Python loop stays cheap)
    lex3 = scipy_lexicographic(_sparse_poisson(m), m, 3)(u0.reshape(-1), b.reshape(-1))
    lex_diff = float(np.max(np.abs(lex3.reshape(m, m) - python_lexicographic(u0, b, m, 3))))
    rows = []
    for name, ts in runs.items():
        t = min(ts) / n
        rows.append(
            {
                "name": name,
                "m": m,
                "sweeps": n,
                "min_s": min(ts),
                "median_s": statistics.median(ts),
                "sweeps_per_s": 1.0 / t,
                "red_black_max_diff": diff,
                "lexicographic_max_diff_3_sweeps": lex_diff,
            }
        )
    return rows


def _sparse_poisson(m: int) -> sp.csr_matrix:
    h2 = (m + 1) ** 2
    T = sp.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(m, m))
    eye = sp.identity(m)
    return (h2 * (sp.kron(T, eye) + sp.kron(eye, T))).tocsr()


def bench_online(repeat: int) -> dict:
    """Iteration-table precompute and the online loop at the quick experiment's sizes."""
    from jaxdyn.experiments.learning_to_relax import PRESETS, shifted_sequence

    cfg = PRESETS["quick"]
    m, n, K, seeds = cfg.m, 400, cfg.n_omegas, 8
    omegas = jnp.linspace(cfg.omega_min, cfg.omega_max, K)
    diags, offs, rhs, ctx, _ = shifted_sequence(
        jax.random.PRNGKey(0), m, n, cfg.shift_min, cfg.shift_max
    )
    table = jax.jit(
        lambda: iteration_table(m, diags, offs, rhs, omegas, tol=cfg.tol, max_iter=cfg.max_iter)
    )
    t0 = time.perf_counter()
    costs = jax.block_until_ready(table())
    first = time.perf_counter() - t0
    t_table = _common.timeit(lambda: jax.block_until_ready(table()), repeat=1, warmup=0)
    losses = costs / cfg.max_iter
    learners = [
        TsallisINF(K),
        Exp3(K),
        ChebCB(K, (cfg.shift_min, cfg.shift_max), degree=cfg.cheb_degree, gamma0=cfg.cheb_gamma0),
    ]
    keys = jax.random.split(jax.random.PRNGKey(1), seeds)

    @jax.jit
    def online():
        return [jax.vmap(lambda k, lr=lr: run_online(lr, losses, k, ctx))(keys) for lr in learners]

    t0 = time.perf_counter()
    jax.block_until_ready(online())
    online_first = time.perf_counter() - t0
    t_online = _common.timeit(lambda: jax.block_until_ready(online()), repeat=repeat, warmup=0)
    return {
        "instances": n,
        "omegas": K,
        "m": m,
        "seeds": seeds,
        "learners": 3,
        "table_s_incl_compile": first,
        "table_s": t_table,
        "online_loop_s_incl_compile": online_first,
        "online_loop_s": t_online,
        "online_rounds_per_s": n * seeds * 3 / t_online,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small grids, under ~1 minute")
    args = ap.parse_args()
    sizes = (32, 64) if args.quick else (32, 64, 128, 256)
    repeat = 3 if args.quick else 5
    rows = []
    for m in sizes:
        n = 50 if m <= 64 else 20
        part = bench_sweeps(m, n, python_ok=m <= 64, repeat=repeat)
        rows += part
        print(f"\nm = {m} ({m * m} unknowns), {n} sweeps, ω = {OMEGA}")
        print(_common.table_min_median(part, ref="jaxdyn red-black (jit)"))
        print("  sweeps/s: " + ", ".join(f"{r['name']}: {r['sweeps_per_s']:.4g}" for r in part))
        print(
            f"  max |jaxdyn - NumPy red-black| after {n} sweeps: "
            f"{part[0]['red_black_max_diff']:.2e}; max |SciPy - Python lexicographic| after 3: "
            f"{part[0]['lexicographic_max_diff_3_sweeps']:.2e}"
        )
    online = bench_online(repeat)
    print(
        f"\nonline loop (quick sizes: {online['instances']} instances x {online['omegas']} ω, "
        f"m = {online['m']}, {online['seeds']} seeds x 3 learners): "
        f"{online['online_loop_s']:.3f} s ({online['online_loop_s_incl_compile']:.2f} s with "
        f"compile); iteration table: {online['table_s']:.2f} s"
    )
    big = [r for r in rows if r["m"] == sizes[-1]]
    ref = next(r for r in big if r["name"].startswith("jaxdyn"))
    npy = next(r for r in big if r["name"].startswith("NumPy"))
    scp = next(r for r in big if r["name"].startswith("SciPy"))
    summary = (
        f"SOR (CPU, 1 thread, m={sizes[-1]}): jaxdyn red-black {ref['sweeps_per_s']:.3g} sweeps/s, "
        f"{npy['min_s'] / ref['min_s']:.1f}x faster than NumPy red-black and "
        f"{scp['min_s'] / ref['min_s']:.1f}x faster than SciPy lexicographic; online loop of 3 "
        f"learners x {online['seeds']} seeds x {online['instances']} instances: "
        f"{online['online_loop_s']:.2f} s"
    )
    print("\n" + summary)
    path = _common.write(
        "sor",
        {
            "benchmark": "sor",
            "mode": "quick" if args.quick else "full",
            "omega": OMEGA,
            "rows": rows,
            "online": online,
            "summary": summary,
            "note": "No GPU in this session: CPU only, one XLA/BLAS thread.",
            "load_average": _common.load_average(),
            "machine": _common.machine("numpy", "scipy"),
        },
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
