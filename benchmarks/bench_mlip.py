"""Reference MD for the MLIP experiment (paper 20) and the MLIP's training throughput.

1. Reference data generation: Langevin (BAOAB) MD of the 2-D Kob-Andersen mixture
   (N = 40, density 1.2, T = 1, γ = 1, h = 0.005, float32 in JAX), C independent chains of
   S steps each, by
   * ``jaxdyn LangevinMD (vmapped chains)``: the System through ``jaxdyn.simulate``,
     vmapped over chains, one compiled program (what the experiment runs);
   * ``jax-md nvt_langevin (vmapped chains)``: jax-md's BAOAB integrator with the same
     truncated-and-shifted pair potential through ``jax_md.smap.pair`` (skipped if jax-md
     is not installed: ``pip install jax-md``);
   * ``NumPy loop (float64)``: the same BAOAB step and all-pairs minimum-image forces
     written with NumPy arrays, a Python loop over steps and chains.
   Rows are timed after compilation; the table gives chain-steps per second.
2. MLIP training: optimiser steps per second of :class:`jaxdyn.models.mlip.RadialMLIP`
   (24 radial functions per species, two 32-wide hidden layers, energy + force loss, batch
   of 8 configurations of 40 atoms, Adam) through the shared loop
   ``jaxdyn.models.train``, and energy+force predictions per second.

Everything runs on one thread (``single_thread``). Run
``.venv/bin/python benchmarks/bench_mlip.py [--quick]``.
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from _common import load_average, machine, single_thread, table, timeit_many, write  # noqa: E402

single_thread()

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402

import jaxdyn  # noqa: E402
from jaxdyn.models.mlip import EnergyForceLoss, RadialMLIP, predict  # noqa: E402
from jaxdyn.models.training import train  # noqa: E402
from jaxdyn.systems.lennard_jones import KA_EPSILON, KA_SIGMA, LangevinMD  # noqa: E402

N, T, GAMMA, DT = 40, 1.0, 1.0, 0.005


# ------------------------------------------------------------------ NumPy reference MD
def numpy_forces(x, species, box, eps, sig, rc=2.5):
    d = x[:, None, :] - x[None, :, :]
    d -= box * np.round(d / box)
    r2 = np.sum(d**2, axis=-1)
    np.fill_diagonal(r2, np.inf)
    s2 = sig[species[:, None], species[None, :]] ** 2
    e = eps[species[:, None], species[None, :]]
    inside = r2 < (rc**2) * s2
    x6 = (s2 / r2) ** 3
    # -dφ/dr / r = 24 ε (2 x12 - x6) / r²
    coef = np.where(inside, 24 * e * (2 * x6 * x6 - x6) / r2, 0.0)
    return np.sum(coef[:, :, None] * d, axis=1)


def numpy_md(x0, v0, species, box, steps, rng):
    eps, sig = np.asarray(KA_EPSILON), np.asarray(KA_SIGMA)
    c = np.exp(-GAMMA * DT)
    out = []
    for x, v in zip(x0, v0, strict=True):
        x, v = x.copy(), v.copy()
        f = numpy_forces(x, species, box, eps, sig)
        for _ in range(steps):
            v += 0.5 * DT * f
            x += 0.5 * DT * v
            v = c * v + np.sqrt((1 - c**2) * T) * rng.standard_normal(v.shape)
            x += 0.5 * DT * v
            x %= box
            f = numpy_forces(x, species, box, eps, sig)
            v += 0.5 * DT * f
        out.append(x)
    return np.stack(out)


def bench_md(quick: bool):
    chains = 8 if quick else 32
    steps = 500 if quick else 2000
    system = LangevinMD(temperature=T, friction=GAMMA, n_particles=N, dt=DT)
    species, box = system.species, system.box
    keys = jax.random.split(jax.random.PRNGKey(0), chains)
    y0 = jax.vmap(system.initial_state)(keys)
    t1 = steps * DT

    @jax.jit
    def ours(y0, keys):
        def one(y, k):
            return jaxdyn.simulate(
                system, t1, y0=y, key=k, ts=[t1], observable=lambda t, s: s["positions"]
            ).ys

        return jax.vmap(one)(y0, keys)

    fns = {"jaxdyn LangevinMD (vmapped chains)": lambda: jax.block_until_ready(ours(y0, keys))}

    try:
        import jax_md
    except ImportError:
        jax_md = None
    if jax_md is not None:

        def truncated_lj(dr, sigma, epsilon, **unused):
            idr6 = (sigma / dr) ** 6
            shift = 4 * (2.5**-12 - 2.5**-6)
            return jnp.where(
                dr < 2.5 * sigma, 4 * epsilon * (idr6**2 - idr6) - epsilon * shift, 0.0
            )

        displacement, shift = jax_md.space.periodic(box)
        energy_fn = jax_md.smap.pair(
            truncated_lj,
            jax_md.space.canonicalize_displacement_or_metric(displacement),
            species=np.asarray(species),
            sigma=jnp.asarray(KA_SIGMA, jnp.float32),
            epsilon=jnp.asarray(KA_EPSILON, jnp.float32),
        )
        init_fn, apply_fn = jax_md.simulate.nvt_langevin(energy_fn, shift, DT, T, gamma=GAMMA)

        @jax.jit
        def theirs(x0, keys):
            def one(x, k):
                state = init_fn(k, x)
                state = jax.lax.fori_loop(0, steps, lambda i, s: apply_fn(s), state)
                return state.position

            return jax.vmap(one)(x0, keys)

        fns["jax-md nvt_langevin (vmapped chains)"] = lambda: jax.block_until_ready(
            theirs(y0["positions"], keys)
        )

    np_steps = max(20, steps // 20)  # the loop is slow: time fewer steps, scale per step
    x0, v0 = np.asarray(y0["positions"], float), np.asarray(y0["velocities"], float)
    sp = np.asarray(species)
    rng = np.random.default_rng(0)
    fns["NumPy loop (float64)"] = lambda: numpy_md(x0, v0, sp, box, np_steps, rng)
    times = timeit_many(fns, repeat=3 if quick else 5, warmup=1)
    rows = []
    for name, t in times.items():
        n_steps = np_steps if name.startswith("NumPy") else steps
        per = t / n_steps  # time per step of all chains
        rows.append({"name": name, "time_s": per * steps, "chain_steps_per_s": chains / per})
    return rows, {"chains": chains, "steps": steps, "numpy_steps_timed": np_steps, "N": N}


# ------------------------------------------------------------------ MLIP training
def bench_training(quick: bool):
    steps = 50 if quick else 200
    batch = 8
    system = LangevinMD(temperature=T, n_particles=N)
    key = jax.random.PRNGKey(1)
    ts = np.arange(1, 33) * 0.1
    traj = jaxdyn.simulate(system, float(ts[-1]), key=key, ts=ts, observable=lambda t, y: y)
    data = {
        "positions": traj.ys["positions"],
        "energies": traj.ys["energy"],
        "forces": traj.ys["forces"],
    }
    species, box = system.species, system.box
    model = RadialMLIP(key=key, n_radial=24, width=32).normalised(
        data["positions"], species, box, data["energies"], data["forces"]
    )
    loss = EnergyForceLoss(tuple(int(s) for s in np.asarray(species)), box, 0.1, 25.0)
    n = data["positions"].shape[0]

    @jax.jit
    def batch_fn(k):
        idx = jax.random.randint(k, (batch,), 0, n)
        return {name: v[idx] for name, v in data.items()}

    opt = optax.adam(1e-3)

    def fit():
        train(
            loss,
            model,
            batch_fn,
            optimizer=opt,
            steps=steps,
            key=key,
            progress=False,
            log_every=steps,
        )

    positions = np.asarray(data["positions"])

    def pred():
        predict(model, positions, species, box)

    times = timeit_many({"train": fit, "predict": pred}, repeat=3, warmup=1)
    rows = [
        {"name": "MLIP training step (batch 8, E+F loss)", "time_s": times["train"] / steps,
         "steps_per_s": steps / times["train"]},
        {"name": "MLIP energy+forces per configuration", "time_s": times["predict"] / n,
         "configs_per_s": n / times["predict"]},
    ]  # fmt: skip
    return rows, {"steps": steps, "batch": batch, "N": N, "n_radial": 24, "width": 32}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    print("== reference Langevin MD of the Kob-Andersen mixture (one thread)", flush=True)
    md_rows, md_cfg = bench_md(args.quick)
    print(table(md_rows, "jaxdyn LangevinMD (vmapped chains)"))
    for r in md_rows:
        print(f"  {r['name']:40s} {r['chain_steps_per_s']:12.4g} chain-steps/s")
    print("== MLIP training and prediction (one thread)", flush=True)
    tr_rows, tr_cfg = bench_training(args.quick)
    for r in tr_rows:
        rate = r.get("steps_per_s") or r.get("configs_per_s")
        unit = "steps/s" if "steps_per_s" in r else "configs/s"
        print(f"  {r['name']:44s} {r['time_s'] * 1e3:9.3f} ms  {rate:10.4g} {unit}")
    payload = {
        "machine": machine("optax", "jax-md"),
        "load_average": load_average(),
        "quick": args.quick,
        "md": {"config": md_cfg, "rows": md_rows},
        "training": {"config": tr_cfg, "rows": tr_rows},
    }
    path = write("mlip_quick" if args.quick else "mlip", payload)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
