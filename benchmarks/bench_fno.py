"""FNO throughput (JAX/equinox vs PyTorch) and Burgers data-generation throughput.

1. A 1-D FNO forward and forward+backward (MSE gradient) pass, float32, identical
   architecture and size in both frameworks. The PyTorch FNO is a minimal reimplementation
   inside this script (lifting with the grid coordinate, spectral convolutions + pointwise
   linear maps, GELU, two-layer projection), not the ``neuraloperator`` package, whose
   dependency tree (tensorly, wandb, ...) is too heavy to install for one comparison.
2. Viscous Burgers data generation, float64, at equal accuracy: each solver uses the
   largest step (or loosest tolerance) from a ladder whose max error at t1 against a
   fine ETDRK4 reference is below ``TARGET``; compared are ``jaxdyn.simulate``'s default
   for the semi-linear Burgers system, ETDRK4 (jit + vmap), the same ETDRK4 in NumPy
   (batched FFTs), and ``jaxdyn.simulate`` with diffrax solvers: IMEX Sil3 (explicit
   advection, implicit diffusion; fixed steps, vmapped) and explicit Tsit5 on the full
   drift (adaptive).

Run: ``.venv/bin/python benchmarks/bench_fno.py [--quick]``. CPU only in this session.
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

import jax

jax.config.update("jax_enable_x64", True)

import diffrax as dfx  # noqa: E402
import equinox as eqx  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optimistix as optx  # noqa: E402
from _common import load_average, machine, table, timeit, write  # noqa: E402

from jaxdyn import simulate  # noqa: E402
from jaxdyn.core.integrators import etdrk4_coefficients  # noqa: E402
from jaxdyn.models.fno import FNO1d  # noqa: E402
from jaxdyn.systems.burgers import (  # noqa: E402
    Burgers,
    dealias_mask,
    grf_initial_condition,
    wavenumbers,
)

TARGET = 1e-6


# ------------------------------------------------------------------ PyTorch FNO
def torch_fno(width, modes, layers, proj):
    import torch
    from torch import nn

    class Spectral(nn.Module):
        def __init__(self):
            super().__init__()
            s = 1.0 / (width * width)
            self.w = nn.Parameter(s * torch.rand(width, width, modes, dtype=torch.cfloat))

        def forward(self, x):
            n = x.shape[-1]
            xh = torch.fft.rfft(x, norm="forward")[..., :modes]
            yh = torch.einsum("bim,oim->bom", xh, self.w)
            return torch.fft.irfft(yh, n=n, norm="forward")

    class FNO(nn.Module):
        def __init__(self):
            super().__init__()
            self.lift = nn.Conv1d(2, width, 1)
            self.spec = nn.ModuleList([Spectral() for _ in range(layers)])
            self.pw = nn.ModuleList([nn.Conv1d(width, width, 1) for _ in range(layers)])
            self.p1 = nn.Conv1d(width, proj, 1)
            self.p2 = nn.Conv1d(proj, 1, 1)

        def forward(self, u):  # u: (B, 1, n)
            n = u.shape[-1]
            grid = (torch.arange(n, dtype=u.dtype) / n).expand(u.shape[0], 1, n)
            v = self.lift(torch.cat([u, grid], dim=1))
            for i, (k, w) in enumerate(zip(self.spec, self.pw, strict=True)):
                v = k(v) + w(v)
                if i < layers - 1:
                    v = nn.functional.gelu(v)
            return self.p2(nn.functional.gelu(self.p1(v)))

    return FNO()


def bench_fno(quick: bool):
    import torch

    width, modes, layers = 32, 16, 4
    batch, n = (16, 128) if quick else (32, 256)
    repeat = 5 if quick else 20
    key = jax.random.PRNGKey(0)
    model = FNO1d(1, 1, width, modes, layers, key=key, dtype=jnp.float32)
    u = jax.random.normal(key, (batch, 1, n), dtype=jnp.float32)
    y = jnp.sin(u)

    fwd = eqx.filter_jit(lambda m, u: jax.vmap(m)(u))
    loss = lambda m, u, y: jnp.mean((jax.vmap(m)(u) - y) ** 2)
    bwd = eqx.filter_jit(eqx.filter_value_and_grad(loss))
    t_jf = timeit(lambda: jax.block_until_ready(fwd(model, u)), repeat=repeat, warmup=2)
    t_jb = timeit(lambda: jax.block_until_ready(bwd(model, u, y)), repeat=repeat, warmup=2)

    tm = torch_fno(width, modes, layers, 4 * width)
    tu = torch.from_numpy(np.array(u))
    ty = torch.from_numpy(np.array(y))
    n_params_t = sum(p.numel() * (2 if p.is_complex() else 1) for p in tm.parameters())
    n_params_j = sum(x.size for x in jax.tree_util.tree_leaves(eqx.filter(model, eqx.is_array)))

    def t_fwd():
        with torch.no_grad():
            tm(tu)

    def t_bwd():
        tm.zero_grad()
        ((tm(tu) - ty) ** 2).mean().backward()

    rows = [
        {"name": "jax FNO forward", "time_s": t_jf},
        {"name": "jax FNO forward+backward", "time_s": t_jb},
    ]
    # Thread oversubscription on a shared machine can slow torch's intra-op pool by 10x:
    # time it with 1 and 2 threads and report both.
    default_threads = torch.get_num_threads()
    for th in sorted({1, default_threads}):
        torch.set_num_threads(th)
        rows.append(
            {
                "name": f"torch FNO forward ({th} thr)",
                "time_s": timeit(t_fwd, repeat=repeat, warmup=2),
            }
        )
        rows.append(
            {
                "name": f"torch FNO forward+backward ({th} thr)",
                "time_s": timeit(t_bwd, repeat=repeat, warmup=2),
            }
        )
    torch.set_num_threads(default_threads)
    for r in rows:
        r["samples_per_s"] = batch / r["time_s"]
    cfg = dict(
        width=width,
        modes=modes,
        layers=layers,
        batch=batch,
        n=n,
        params_jax=int(n_params_j),
        params_torch=int(n_params_t),
        torch_threads=torch.get_num_threads(),
        dtype="float32",
    )
    return rows, cfg


# ------------------------------------------------------------------ Burgers data generation
def numpy_etdrk4(u0, nu, t1, dt):
    """The same ETDRK4 scheme in NumPy (batched rfft), float64."""
    n = u0.shape[-1]
    k = wavenumbers(n)
    mask = dealias_mask(n)
    lin = -nu * k**2
    n_steps = int(round(t1 / dt))
    coeffs = etdrk4_coefficients(jnp.asarray(lin), jnp.asarray(dt))
    e, e2, q, f1, f2, f3 = (np.asarray(a) for a in coeffs)

    def g(v):
        w = np.fft.irfft(mask * v, n=n)
        return -0.5j * k * mask * np.fft.rfft(w * w)

    v = np.fft.rfft(u0)
    for _ in range(n_steps):
        nv = g(v)
        a = e2 * v + q * nv
        na = g(a)
        b = e2 * v + q * na
        nb = g(b)
        c = e2 * a + q * (2 * nb - nv)
        nc = g(c)
        v = e * v + f1 * nv + 2 * f2 * (na + nb) + f3 * nc
    return np.fft.irfft(v, n=n)


def bench_burgers(quick: bool):
    nu, n, t1 = 0.02, 256, 0.5
    batch = 8 if quick else 64
    system = Burgers(nu=nu, N=n)
    u0 = grf_initial_condition(jax.random.PRNGKey(1), n, batch=(batch,))
    # ETDRK4 needs a concrete step (it plans the steps per save interval): dt is static.
    etdrk4 = jax.jit(
        lambda u0, dt: jax.vmap(lambda u: simulate(system, t1, y0=u, dt=dt).ys[-1])(u0),
        static_argnums=1,
    )
    ref = np.asarray(etdrk4(u0, 1e-4))
    repeat = 3 if quick else 5

    def err(u):
        return float(np.max(np.abs(np.asarray(u) - ref)))

    rows = []

    def pick(name, ladder, run_fn, timer=None):
        """Largest step from `ladder` (largest first) meeting TARGET; time that one."""
        for p in ladder:
            e = err(run_fn(p))
            if e < TARGET:
                t = timeit(lambda p=p: run_fn(p), repeat=repeat, warmup=0)
                rows.append({"name": name, "time_s": t, "param": p, "max_err": e})
                print(f"  {name}: {t:.4g} s at {p:g} (max error {e:.2e})", flush=True)
                return
        rows.append({"name": name, "time_s": None, "param": None, "max_err": e})

    pick(
        "jaxdyn ETDRK4 (jit+vmap)",
        [1e-2, 5e-3, 2e-3, 1e-3, 5e-4],
        lambda dt: jax.block_until_ready(etdrk4(u0, dt)),
    )
    pick(
        "NumPy ETDRK4 (batched)",
        [1e-2, 5e-3, 2e-3, 1e-3, 5e-4],
        lambda dt: numpy_etdrk4(np.asarray(u0), nu, t1, dt),
    )
    tsit = eqx.filter_jit(
        lambda u0, rtol: jax.vmap(
            lambda u: simulate(
                system, t1, y0=u, solver=dfx.Tsit5(), rtol=rtol, atol=rtol * 1e-2
            ).ys[-1]
        )(u0)
    )
    pick(
        "diffrax Tsit5 explicit (vmap)",
        [1e-7, 1e-8, 1e-9],
        lambda r: jax.block_until_ready(tsit(u0, r)),
    )
    if not quick:
        # Compiling diffrax's implicit machinery (optimistix + lineax, dense N x N
        # Jacobian) takes minutes on a loaded 2-core CPU, so only the full run times it.
        # The implicit stage is linear (ν u_xx): the chord iteration converges at once,
        # given tolerances (fixed steps have none of their own).
        root = dfx.VeryChord(rtol=1e-10, atol=1e-12, norm=optx.max_norm)
        imex = eqx.filter_jit(
            lambda u0, dt: jax.vmap(
                lambda u: simulate(
                    system, t1, y0=u, dt=dt, adaptive=False, solver=dfx.Sil3(root_finder=root)
                ).ys[-1]
            )(u0)
        )
        pick(
            "diffrax Sil3 IMEX (vmap)",
            [1e-3, 5e-4, 2.5e-4],
            lambda dt: jax.block_until_ready(imex(u0, dt)),
        )
    for r in rows:
        r["samples_per_s"] = None if r["time_s"] is None else batch / r["time_s"]
    return rows, dict(nu=nu, n=n, t1=t1, batch=batch, target_max_err=TARGET, dtype="float64")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    fno_rows, fno_cfg = bench_fno(args.quick)
    print("FNO throughput (CPU, float32):", fno_cfg)
    print(table(fno_rows, ref="jax FNO forward+backward"))
    gen_rows, gen_cfg = bench_burgers(args.quick)
    print("\nBurgers data generation at equal accuracy:", gen_cfg)
    print(table(gen_rows, ref="jaxdyn ETDRK4 (jit+vmap)"))
    for r in gen_rows:
        print(f"  {r['name']}: step/tol {r['param']}, max error {r['max_err']:.2e}")

    t = {r["name"]: r["time_s"] for r in fno_rows}
    t["torch FNO forward"] = min(v for k, v in t.items() if k.startswith("torch FNO forward ("))
    t["torch FNO forward+backward"] = min(
        v for k, v in t.items() if k.startswith("torch FNO forward+backward")
    )
    g = {r["name"]: r["time_s"] for r in gen_rows}
    np_ratio = g["NumPy ETDRK4 (batched)"] / g["jaxdyn ETDRK4 (jit+vmap)"]
    summary = (
        f"FNO fwd+bwd: jax {t['torch FNO forward+backward'] / t['jax FNO forward+backward']:.2f}x "
        f"the speed of PyTorch's best thread count "
        f"(fwd {t['torch FNO forward'] / t['jax FNO forward']:.2f}x); "
        f"Burgers data at max error < {TARGET:g}: jaxdyn ETDRK4 {np_ratio:.1f}x faster than NumPy"
        + "".join(
            f", {g[k] / g['jaxdyn ETDRK4 (jit+vmap)']:.0f}x faster than {k.split(' (')[0]}"
            for k in ("diffrax Sil3 IMEX (vmap)", "diffrax Tsit5 explicit (vmap)")
            if g.get(k)
        )
        + " (CPU, no GPU in this session)"
    )
    print("\nsummary:", summary)
    path = write(
        "fno",
        {
            "fno": {"config": fno_cfg, "rows": fno_rows},
            "burgers_datagen": {"config": gen_cfg, "rows": gen_rows},
            "summary": summary,
            "quick": args.quick,
            "gpu": "none available in this session",
            "machine": machine("torch", "optax", "numpy", "scipy"),
            "load_average_1_5_15min": load_average(),
        },
    )
    print("wrote", path)


if __name__ == "__main__":
    main()
