"""CfC vs LTC (ODE) vs LTC (fused) vs GRU: time per sequence, inference and training.

The same hidden size (32; LTC: 32 neurons), a batch of 64 irregularly sampled sequences
of 24 events (exponential gaps, mean 1/3), 2 inputs, 1 output. Times are warm (compiled)
minima over repeats: inference = a jitted vmapped forward pass, training = one value and
gradient evaluation. The LTC ODE is integrated by jaxdyn's adaptive Tsit5 at two
tolerances; its "error" column is the maximal deviation of its outputs from a solve at
rtol = 1e-9 in float64, i.e. how accurately it solves its own ODE (CfC, GRU and the fused LTC are
closed-form updates, error 0 by construction). Paper 19 claims one to five orders of
magnitude (training and inference) for closed-form over ODE-based models.

``--quick``: batch 16, 3 repeats.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import jax

jax.config.update("jax_enable_x64", False)

import equinox as eqx  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._common import goal, goals_text, load_average, machine, write  # noqa: E402
from jaxdyn.models.cfc import CfC, TimeGRU  # noqa: E402
from jaxdyn.models.ltc import LTC  # noqa: E402


def best_time(fn, repeat):
    jax.block_until_ready(fn())
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        jax.block_until_ready(fn())
        times.append(time.perf_counter() - t0)
    return min(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    batch, repeat = (16, 3) if args.quick else (64, 5)
    key = jax.random.PRNGKey(0)
    xs = jax.random.normal(key, (batch, 24, 2))
    dts = jax.random.exponential(jax.random.fold_in(key, 1), (batch, 24)) / 3.0
    y = jax.random.normal(jax.random.fold_in(key, 2), (batch, 24))
    k = jax.random.fold_in(key, 3)
    models = {
        "cfc": CfC(2, 32, 1, backbone_units=64, key=k),
        "gru": TimeGRU(2, 32, 1, key=k),
        "ltc_fused": LTC(2, 32, 1, key=k),
        "ltc_ode_rtol1e-3": LTC(2, 32, 1, key=k, solver="ode", rtol=1e-3, atol=1e-5),
        "ltc_ode_rtol1e-6": LTC(2, 32, 1, key=k, solver="ode", rtol=1e-6, atol=1e-8),
    }
    ref = LTC(2, 32, 1, key=k, solver="ode", rtol=1e-9, atol=1e-11)
    forward = eqx.filter_jit(lambda m, xs, dts: jax.vmap(m)(xs, dts)[..., 0])
    loss = lambda m: jnp.mean((jax.vmap(m)(xs, dts)[..., 0] - y) ** 2)
    grad = eqx.filter_jit(eqx.filter_value_and_grad(loss))
    # the reference in float64: float32 cannot resolve rtol = 1e-9, and a float32 solve at
    # that tolerance is no reference at all
    with jax.enable_x64(True):
        f64 = lambda t: jax.tree_util.tree_map(
            lambda a: a.astype(jnp.float64) if eqx.is_inexact_array(a) else a, t
        )
        y_ref = np.asarray(jax.vmap(f64(ref))(f64(xs), f64(dts))[..., 0])
    rows = []
    for name, m in models.items():
        t0 = time.perf_counter()
        out = np.asarray(forward(m, xs, dts))
        compile_s = time.perf_counter() - t0
        inf = best_time(lambda m=m: forward(m, xs, dts), repeat) / batch
        trn = best_time(lambda m=m: grad(m), repeat) / batch
        err = float(np.max(np.abs(out - y_ref))) if name.startswith("ltc_ode") else 0.0
        rows.append({"name": name, "infer_ms_per_seq": 1e3 * inf, "train_ms_per_seq": 1e3 * trn,
                     "ode_error": err, "compile_s": compile_s})  # fmt: skip
    base = rows[0]
    print(f"batch {batch} sequences of 24 events; times per sequence (warm minimum)")
    print(f"{'model':20s} {'infer [ms]':>11s} {'train [ms]':>11s} {'infer/CfC':>10s} "
          f"{'train/CfC':>10s} {'ODE error':>10s}")  # fmt: skip
    for r in rows:
        ri = r["infer_ms_per_seq"] / base["infer_ms_per_seq"]
        rt = r["train_ms_per_seq"] / base["train_ms_per_seq"]
        print(f"{r['name']:20s} {r['infer_ms_per_seq']:11.4g} {r['train_ms_per_seq']:11.4g} "
              f"{ri:9.1f}x {rt:9.1f}x {r['ode_error']:10.2e}")  # fmt: skip
    ode = next(r for r in rows if r["name"] == "ltc_ode_rtol1e-3")
    ratio = lambda what: ode[f"{what}_ms_per_seq"] / base[f"{what}_ms_per_seq"]
    goals = [
        goal("LTC(ODE, rtol 1e-3) / CfC inference time", ratio("infer"), 10.0),
        goal("LTC(ODE, rtol 1e-3) / CfC training time", ratio("train"), 10.0),
    ]
    print(goals_text(goals))
    path = write("cfc_ltc_quick" if args.quick else "cfc_ltc",
                 {"machine": machine("ncps"), "load_average": load_average(), "batch": batch,
                  "rows": rows, "goals": goals})  # fmt: skip
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
