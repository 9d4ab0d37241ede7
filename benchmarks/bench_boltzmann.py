"""The fast spectral Boltzmann collision operator: jaxdyn (JAX, jit) vs NumPy FFTs, on CPU.

Operator: Q(f, f) of 2-D Maxwell molecules by the fast spectral method of Mouhot &
Pareschi (Math. Comp. 75, 1833 (2006)), M = 8 Carleman directions, n x n velocity grid,
float64 (:func:`jaxdyn.solvers.fast_spectral.collision_operator`). The NumPy peer is the
same algorithm with ``numpy.fft`` (pocketfft): one rfft2 of f, one batched inverse rfft2
of the M direction filters and the loss filter, the second factor of each direction taken
from the direction π/2 away (gain = (2/M) Σ_{p<M/2} a_p a_{p+M/2}). Both are checked to
agree to round-off. Also timed: one right-hand side of the direct two-species method
(:class:`jaxdyn.systems.BoltzmannMixture`, mixture operators with a radial quadrature)
and one step of the asymptotic-preserving scheme (:class:`jaxdyn.systems.BoltzmannMixtureAP`).

Goal: jaxdyn at least 3x faster than NumPy on this CPU at every resolution. One XLA /
BLAS thread each (``_common.single_thread``); wall and CPU times, interleaved repeats.
No GPU in this session (the GPU figure is recorded when one is present).
Run: ``.venv/bin/python benchmarks/bench_boltzmann.py [--quick]``.
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

from jaxdyn.solvers.fast_spectral import (  # noqa: E402
    VelocityGrid,
    collision_operator,
    maxwellian,
)
from jaxdyn.systems import BoltzmannMixture, BoltzmannMixtureAP  # noqa: E402

M = 8
GOAL = 3.0


def numpy_kernels(grid: VelocityGrid, n_angles: int):
    """φ_R(k·e_p) on the rfft half grid and the loss multiplier (as jaxdyn builds them)."""
    R = grid.truncation
    kx = grid.k
    ky = np.abs(grid.k[: grid.n // 2 + 1])
    KX, KY = np.meshgrid(kx, ky, indexing="ij")
    th = np.pi * np.arange(n_angles) / n_angles
    kE = KX * np.cos(th)[:, None, None] + KY * np.sin(th)[:, None, None]
    kP = -KX * np.sin(th)[:, None, None] + KY * np.cos(th)[:, None, None]
    phi = lambda s: 2.0 * R * np.sinc(R * s / np.pi)  # noqa: E731
    A, B = phi(kE), phi(kP)
    return A, np.pi / n_angles * np.sum(A * B, axis=0)


def numpy_collision(f: np.ndarray, A: np.ndarray, loss: np.ndarray, rate: float = 1.0):
    """The same fast spectral algorithm with numpy.fft (M even)."""
    n = f.shape[-1]
    m = A.shape[0]
    h = m // 2
    fh = np.fft.rfft2(f)
    a = np.fft.irfft2(np.concatenate([A, loss[None] / np.pi]) * fh[None], s=(n, n))
    gain = 2.0 * np.sum(a[:h] * a[h:m], axis=0) / m
    return rate * (gain - f * a[m])


def numpy_mixture_kernels(grid: VelocityGrid, n_angles: int, n_radial: int):
    """k·e_p, φ_R(k·e_p^⊥), the loss multiplier (same quadrature as the gain), nodes, weights."""
    R = grid.truncation
    KX, KY = np.meshgrid(grid.k, np.abs(grid.k[: grid.n // 2 + 1]), indexing="ij")
    th = np.pi * np.arange(n_angles) / n_angles
    kE = KX * np.cos(th)[:, None, None] + KY * np.sin(th)[:, None, None]
    kP = -KX * np.sin(th)[:, None, None] + KY * np.cos(th)[:, None, None]
    x, w = np.polynomial.legendre.leggauss(n_radial)
    r, w = R * x, R * w
    B = 2.0 * R * np.sinc(R * kP / np.pi)
    phi_q = np.tensordot(w, np.cos(r[:, None, None, None] * kE[None]), axes=1)
    return kE, B, np.pi / n_angles * np.sum(phi_q * B, axis=0), r, w


def numpy_mixture(f, g, kE, B, loss, r, w, a, rate=1.0):
    """The mixture operator Q_ij(f, g) (radial Gauss-Legendre nodes) with numpy.fft."""
    n = f.shape[-1]
    m = kE.shape[0]
    fh, gh = np.fft.rfft2(f), np.fft.rfft2(g)
    Bg = B * gh[None]
    acc = np.zeros((n, n))
    for rq, wq in zip(r, w, strict=True):
        F = np.fft.irfft2(np.exp(-1j * (2 * a * rq) * kE) * fh[None], s=(n, n))
        G = np.fft.irfft2(np.exp(-1j * ((2 * a - 1) * rq) * kE) * Bg, s=(n, n))
        acc += wq * np.sum(F * G, axis=0)
    return rate * (acc / m - f * np.fft.irfft2(loss * gh, s=(n, n)) / np.pi)


def bench_mixture(n: int, repeat: int) -> dict:
    """Q_lh(f_l, f_h) at μ = 1/4 on one grid, 4 directions, n radial nodes."""
    from jaxdyn.solvers.fast_spectral import mixture_collision_operator

    grid = VelocityGrid(n, 10.0)
    mu, m = 0.25, 4
    fl = maxwellian(grid, 1.0, jnp.asarray([0.4, 0.0]), jnp.asarray([1.0, 0.5]))
    fh = maxwellian(grid, 1.0, jnp.zeros(2), mu * jnp.asarray([0.6, 0.4]))
    a = 1.0 / (1.0 + mu)
    q = jax.jit(lambda f, g: mixture_collision_operator(f, g, grid, a, m, n))
    t0 = time.perf_counter()
    jax.block_until_ready(q(fl, fh))
    compile_s = time.perf_counter() - t0
    kE, B, loss, r, w = numpy_mixture_kernels(grid, m, n)
    fln, fhn = np.asarray(fl), np.asarray(fh)
    diff = float(
        np.max(np.abs(np.asarray(q(fl, fh)) - numpy_mixture(fln, fhn, kE, B, loss, r, w, a)))
    )
    wall, cpu = _common.timeit_wall_cpu(
        {
            "jaxdyn (jit)": lambda: jax.block_until_ready(q(fl, fh)),
            "NumPy (numpy.fft)": lambda: numpy_mixture(fln, fhn, kE, B, loss, r, w, a),
        },
        repeat=repeat,
        warmup=1,
    )
    rows = [
        {
            "name": name,
            "n": n,
            "cpu_s": statistics.median(cpu[name]),
            "wall_min_s": min(wall[name]),
            "wall_median_s": statistics.median(wall[name]),
        }
        for name in wall
    ]
    return {
        "n": n,
        "rows": rows,
        "speedup_cpu": rows[1]["cpu_s"] / rows[0]["cpu_s"],
        "speedup_wall_min": rows[1]["wall_min_s"] / rows[0]["wall_min_s"],
        "max_abs_diff": diff,
        "jax_compile_s": compile_s,
    }


def bench_operator(n: int, repeat: int) -> dict:
    grid = VelocityGrid(n, 10.0)
    f = maxwellian(grid, 1.0, jnp.asarray([0.3, -0.1]), jnp.asarray([0.8, 0.4]))
    fn = np.asarray(f)
    A, loss = numpy_kernels(grid, M)
    q = jax.jit(lambda f: collision_operator(f, grid, M))
    t0 = time.perf_counter()
    jax.block_until_ready(q(f))
    compile_s = time.perf_counter() - t0
    diff = float(np.max(np.abs(np.asarray(q(f)) - numpy_collision(fn, A, loss))))
    wall, cpu = _common.timeit_wall_cpu(
        {
            "jaxdyn (jit)": lambda: jax.block_until_ready(q(f)),
            "NumPy (numpy.fft)": lambda: numpy_collision(fn, A, loss),
        },
        repeat=repeat,
        warmup=1,
    )
    rows = [
        {
            "name": name,
            "n": n,
            "cpu_s": statistics.median(cpu[name]),
            "wall_min_s": min(wall[name]),
            "wall_median_s": statistics.median(wall[name]),
        }
        for name in wall
    ]
    speedup = rows[1]["cpu_s"] / rows[0]["cpu_s"]
    return {
        "n": n,
        "rows": rows,
        "speedup_cpu": speedup,
        "speedup_wall_min": rows[1]["wall_min_s"] / rows[0]["wall_min_s"],
        "max_abs_diff": diff,
        "jax_compile_s": compile_s,
    }


def bench_systems(repeat: int) -> dict:
    """One direct-method RHS (μ = 1/4, 2 points per heavy thermal speed) and one AP step."""
    out = {}
    direct = BoltzmannMixture(
        mass_ratio=0.25,
        temperature_light=(1.0, 0.5),
        temperature_heavy=(0.6, 0.4),
        velocity_light=(0.4, 0.0),
        n_v=128,
        v_max=10.0,
        n_angles=4,
    )
    ap = BoltzmannMixtureAP(
        mass_ratio=1e-4,
        temperature_light=(1.0, 0.5),
        temperature_heavy=(0.6, 0.4),
        velocity_light=(0.4, 0.0),
        n_v=64,
        v_max=10.0,
        dt=1.0,
    )
    for name, fn, y in (
        (
            "direct RHS, mu=1/4, n_v=128",
            jax.jit(lambda y: direct.drift(0.0, y)),
            direct.initial_state(),
        ),
        ("AP step, any mu, n_v=64", jax.jit(lambda y: ap.step(0.0, y)), ap.initial_state()),
    ):
        t0 = time.perf_counter()
        jax.block_until_ready(fn(y))
        c = time.perf_counter() - t0
        ts = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            jax.block_until_ready(fn(y))
            ts.append(time.perf_counter() - t0)
        out[name] = {"compile_s": c, "run_s": statistics.median(ts)}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small grids, under ~1 minute")
    args = ap.parse_args()
    sizes = (32, 64) if args.quick else (32, 64, 128, 256)
    repeat = 5 if args.quick else 9
    results = [bench_operator(n, repeat) for n in sizes]
    print("single-species operator Q(f, f), M = 8")
    for r in results:
        print(f"\nn = {r['n']} (max |jaxdyn - NumPy| = {r['max_abs_diff']:.1e})")
        print(_common.table_cpu_wall(r["rows"], "jaxdyn (jit)"))
    mix_sizes = (32, 48) if args.quick else (32, 64, 96)
    mixture = [bench_mixture(n, max(3, repeat // 3)) for n in mix_sizes]
    print("\nmixture operator Q_lh(f_l, f_h), mu = 1/4, M = 4, n radial nodes")
    for r in mixture:
        print(f"\nn = {r['n']} (max |jaxdyn - NumPy| = {r['max_abs_diff']:.1e})")
        print(_common.table_cpu_wall(r["rows"], "jaxdyn (jit)"))
    systems = bench_systems(3 if args.quick else 5)
    print("\nsystems (one call, after compilation):")
    for k, v in systems.items():
        print(f"  {k:34s} {v['run_s']:.4g} s   (compile {v['compile_s']:.3g} s)")
    goals = [
        _common.goal(f"Q(f,f) speed-up over NumPy, n = {r['n']} (CPU time)", r["speedup_cpu"], GOAL)
        for r in results
    ] + [
        _common.goal(f"Q_lh speed-up over NumPy, n = {r['n']} (CPU time)", r["speedup_cpu"], GOAL)
        for r in mixture
    ]
    print("\ngoals:\n" + _common.goals_text(goals))
    summary = "Q(f,f) " + ", ".join(f"n={r['n']}: {r['speedup_cpu']:.2f}x" for r in results)
    summary += "; Q_lh " + ", ".join(f"n={r['n']}: {r['speedup_cpu']:.2f}x" for r in mixture)
    print(f"\nsummary: fast spectral collision operators, jaxdyn vs NumPy FFT: {summary}")
    path = _common.write(
        "boltzmann",
        {
            "benchmark": "fast spectral Boltzmann collision operator (2-D Maxwell, M = 8)",
            "machine": _common.machine("numpy"),
            "load_average": _common.load_average(),
            "quick": args.quick,
            "operator": results,
            "mixture_operator": mixture,
            "systems": systems,
            "goals": goals,
            "summary": summary,
        },
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
