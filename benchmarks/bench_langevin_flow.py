"""LangevinFlow training cost: step time, gradient/forward ratio and compiled memory.

Rows (one ELBO gradient step on a batch of Lorenz-like spike trials, float32):

* ``langevin_flow``: latent Langevin SDE through ``jaxdyn.core.simulate`` (diffrax Heun
  at fixed steps, run as a scan, Brownian increments from the key);
* ``lfads``: the LFADS GRU-generator baseline of the same width.

For each: the forward (loss) time, the loss+gradient time, their ratio (the cost of a
gradient relative to a forward pass; reverse mode's theory bound is ~3-5x) and XLA's
compiled memory of the gradient (``memory_analysis``: arguments, outputs, temporaries).
Then the time per step of a whole training step through the shared loop
``jaxdyn.models.train`` (batch with coordinated dropout, step keys, gradient, AdamW
update, loss fetch) with the ELBO setup of ``elbo_training``, after compilation.
Run ``python benchmarks/bench_langevin_flow.py [--quick]``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _common import load_average, machine, table, timeit, write  # noqa: E402

from jaxdyn.models import train  # noqa: E402
from jaxdyn.models.langevin_flow import (  # noqa: E402
    LangevinFlow,
    elbo_loss,
    elbo_training,
    make_batch,
)
from jaxdyn.models.lfads import LFADS  # noqa: E402


def _memory(compiled) -> dict:
    mem = compiled.memory_analysis()
    out = {
        "argument_bytes": int(mem.argument_size_in_bytes),
        "output_bytes": int(mem.output_size_in_bytes),
        "temp_bytes": int(mem.temp_size_in_bytes),
    }
    out["total_mib"] = round(sum(out.values()) / 2**20, 3)
    return out


def bench(quick: bool) -> dict:
    batch, n_bins, n_neurons, n_in, n_obs = (32 if quick else 64), 50, 30, 22, 40
    key = jax.random.PRNGKey(0)
    counts = jax.random.poisson(key, 0.4, (batch, n_bins, n_neurons)).astype(jnp.float32)
    x, mask = make_batch(counts, np.arange(n_in), n_obs, jax.random.PRNGKey(1), 0.3)
    models = {
        "langevin_flow": LangevinFlow(n_in, n_neurons, n_bins, key=key),
        "lfads": LFADS(n_in, n_neurons, n_bins, key=key),
    }
    rows = []
    repeat = 3 if quick else 10
    for name, model in models.items():
        params, static = eqx.partition(model, eqx.is_inexact_array)

        def loss(p, x, counts, mask, k, static=static):
            return elbo_loss(eqx.combine(p, static), x, counts, mask, k, 1.0)

        args = (params, x, counts, mask, jax.random.PRNGKey(2))
        # Compile once (ahead of time) and reuse the executable for timing and memory.
        fwd = jax.jit(loss).lower(*args).compile()
        grad = jax.jit(jax.value_and_grad(loss)).lower(*args).compile()
        t_fwd = timeit(lambda: jax.block_until_ready(fwd(*args)), repeat=repeat)
        t_grad = timeit(lambda: jax.block_until_ready(grad(*args)), repeat=repeat)
        mem = _memory(grad)
        rows.append(
            {
                "name": name,
                "time_s": t_grad,
                "forward_s": t_fwd,
                "grad_over_forward": t_grad / t_fwd,
                "memory": mem,
                "n_params": int(sum(p.size for p in jax.tree_util.tree_leaves(params))),
            }
        )
    # Whole training steps through the shared loop (no validation), after the first.
    trials = jax.random.poisson(key, 0.4, (300, n_bins, n_neurons))
    steps = 11 if quick else 41
    for name, model in models.items():
        setup = elbo_training(
            trials[:240],
            trials[240:],
            np.arange(n_in),
            np.arange(n_in, n_neurons),
            n_obs,
            key=jax.random.PRNGKey(3),
            steps=steps,
            batch_size=batch,
            dtype=jnp.float32,
        )
        res = train(model=model, progress=False, **{**setup, "validate": None})
        rows.append({"name": f"{name} train loop step", "time_s": res.time_s / (steps - 1)})
    return {"batch": batch, "n_bins": n_bins, "n_neurons": n_neurons, "rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    res = bench(args.quick)
    rows = res["rows"]
    print(
        f"one ELBO gradient step, batch {res['batch']} x {res['n_bins']} bins x "
        f"{res['n_neurons']} neurons, float32, CPU (no GPU in this session)"
    )
    print(table(rows, ref="langevin_flow"))
    print(f"{'method':40s} {'forward [s]':>12s} {'grad/fwd':>10s} {'memory [MiB]':>14s}")
    for r in rows:
        if "forward_s" not in r:
            continue
        print(
            f"{r['name']:40s} {r['forward_s']:12.4g} {r['grad_over_forward']:10.2f} "
            f"{r['memory']['total_mib']:14.3f}"
        )
    lf, lfads = (next(r for r in rows if r["name"] == n) for n in ("langevin_flow", "lfads"))
    loop = next(r for r in rows if r["name"] == "langevin_flow train loop step")
    summary = (
        f"LangevinFlow training step {lf['time_s'] * 1e3:.0f} ms on CPU "
        f"({lf['time_s'] / lfads['time_s']:.1f}x LFADS, gradient {lf['grad_over_forward']:.1f}x "
        f"a forward pass, {lf['memory']['total_mib']:.1f} MiB); a whole step through the "
        f"shared training loop {loop['time_s'] * 1e3:.0f} ms"
    )
    print(summary)
    path = write(
        "langevin_flow",
        {
            **res,
            "quick": args.quick,
            "summary": summary,
            "machine": machine("optax"),
            "load_average_1_5_15min": load_average(),
            "note": "CPU only: no GPU was available in this session",
        },
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
