"""Cost of a gradient relative to the forward solve, for each way of differentiating.

Three losses that jaxdyn users differentiate, each timed forward and with its gradient
by every applicable adjoint, in one run:

* **sync1d fit** (the ``sync1d`` experiment's fit: a columnar ring, L = 16, several
  realisations vmapped, fixed-step Tsit5 dt = 0.1 to t = 30, loss on log W²(t) and the
  mean phase): jaxdyn's scan (plain reverse-mode autodiff through ``lax.scan``) against the
  same solve through ``diffeqsolve`` with diffrax's ``RecursiveCheckpointAdjoint``;
* **adaptive sync1d** (L = 64, Tsit5 at rtol = 1e-6, t = 30, loss on log W² at 12 times,
  8 realisations vmapped): jaxdyn's default (diffrax's ``RecursiveCheckpointAdjoint``)
  against the record-and-replay adjoint (``adjoint="replay"``) and
  ``BacksolveAdjoint`` (continuous adjoint; on the state, since diffrax's backsolve does
  not take ``SaveAt(fn=...)``);
* **LangevinFlow step** (the paper-8 model's ELBO on a batch: a GRU encoder, the latent
  underdamped Langevin SDE by fixed-step Heun, a Transformer decoder): the scan through
  ``simulate``, differentiated directly (the gradient-to-forward ratio of a whole model).

Times are process CPU seconds on one thread (median of repeats after a warm-up); every
gradient is checked against the reference adjoint's. Goals (issue "Fast ensembles and
cheap gradients"): gradient at most 3x the forward cost, and at least 3x cheaper than the
checkpointed adjoint where the replay applies.

Run: ``.venv/bin/python benchmarks/bench_gradients.py [--quick]``.
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
import equinox as eqx  # noqa: E402
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

jax.config.update("jax_enable_x64", True)

from jaxdyn import simulate  # noqa: E402
from jaxdyn.systems import Sync1D  # noqa: E402

CHECKPOINT = dfx.RecursiveCheckpointAdjoint()


def cpu_median(fn, repeat):
    jax.block_until_ready(fn())
    times = []
    for _ in range(repeat):
        t0 = time.process_time()
        jax.block_until_ready(fn())
        times.append(time.process_time() - t0)
    return float(np.median(times))


def sync1d_fit_case(quick):
    n = 4 if quick else 16
    ts = jnp.asarray(np.geomspace(0.3, 30.0, 24))
    keys = jax.random.split(jax.random.PRNGKey(0), n)
    true = Sync1D(L=16, K=1.0, sigma=0.3, a=1.0, randomness="columnar")

    def observe(t, y):
        return jnp.mean((y[0] - jnp.mean(y[0])) ** 2), jnp.mean(y[0])

    def curves(system, adjoint):
        def one(k):
            kw = {} if adjoint is None else {"adjoint": adjoint}
            return simulate(
                system, 30.0, key=k, ts=ts, observable=observe, adaptive=False, dt=0.1, **kw
            ).ys

        w2, h = jax.vmap(one)(keys)
        return jnp.log(jnp.mean(w2, 0)), jnp.mean(h, 0)

    data = curves(true, None)

    def loss(params, adjoint):
        m = eqx.tree_at(lambda s: (s.K, s.a), true, params)
        lw, h = curves(m, adjoint)
        return jnp.mean((lw - data[0]) ** 2) + jnp.mean((h - data[1]) ** 2)

    p0 = (jnp.asarray(1.5), jnp.asarray(0.3))
    return (
        "sync1d fit (fixed-step Tsit5)",
        loss,
        p0,
        {"scan (jaxdyn)": None, "checkpoint": CHECKPOINT},
    )


def adaptive_case(quick):
    n = 2 if quick else 8
    ts = np.geomspace(0.3, 30.0, 12)
    keys = jax.random.split(jax.random.PRNGKey(1), n)
    base = Sync1D(L=64, K=1.0, sigma=0.3, a=1.0, randomness="columnar")

    def loss(params, adjoint):
        m = eqx.tree_at(lambda s: s.K, base, params)

        def one(k):
            if isinstance(adjoint, dfx.BacksolveAdjoint):
                tr = simulate(m, 30.0, key=k, ts=ts, rtol=1e-6, atol=1e-8, adjoint=adjoint)
                w2 = jnp.var(tr.ys[0], axis=-1)
            else:
                kw = {} if adjoint is None else {"adjoint": adjoint}
                w2 = simulate(
                    m,
                    30.0,
                    key=k,
                    ts=ts,
                    rtol=1e-6,
                    atol=1e-8,
                    observable=lambda t, y: jnp.var(y[0]),
                    **kw,
                ).ys
            return jnp.sum(jnp.log(w2))

        return jnp.mean(jax.vmap(one)(keys))

    adjoints = {
        "jaxdyn default (checkpoint)": None,
        "replay": "replay",
        "backsolve": dfx.BacksolveAdjoint(),
    }
    return "adaptive sync1d (Tsit5, rtol 1e-6)", loss, jnp.asarray(1.0), adjoints


def langevin_case(quick):
    from jaxdyn.models.langevin_flow import LangevinFlow, elbo_loss

    n_in, n_neurons, n_bins, batch = 20, 30, 40, 8 if quick else 32
    model = LangevinFlow(n_in, n_neurons, n_bins, key=jax.random.PRNGKey(2), d_latent=8)
    counts = jax.random.poisson(jax.random.PRNGKey(3), 2.0, (batch, n_bins, n_neurons)).astype(
        float
    )
    x = counts[:, :30, :n_in]
    mask = jnp.ones_like(counts)
    params, static = eqx.partition(model, eqx.is_inexact_array)

    def loss(p, adjoint):
        del adjoint  # the latent SDE is a fixed-step scan, differentiated directly
        return elbo_loss(eqx.combine(p, static), x, counts, mask, jax.random.PRNGKey(4), 1.0)

    return "LangevinFlow ELBO step (fixed-step Heun SDE)", loss, params, {"scan (jaxdyn)": None}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--repeat", type=int, default=None)
    args = p.parse_args()
    repeat = args.repeat or (3 if args.quick else 7)
    load0 = _common.load_average()
    cases = [sync1d_fit_case(args.quick), adaptive_case(args.quick), langevin_case(args.quick)]
    rows, goals = [], []
    for title, loss, p0, adjoints in cases:
        ref_name = next(iter(adjoints))
        fwd = jax.jit(lambda q, ref=adjoints[ref_name], loss=loss: loss(q, ref))
        t_fwd = cpu_median(lambda f=fwd, q=p0: f(q), repeat)
        grads, times = {}, {}
        for name, adj in adjoints.items():
            g = jax.jit(jax.grad(lambda q, adj=adj, loss=loss: loss(q, adj)))
            t0 = time.perf_counter()
            grads[name] = jax.block_until_ready(g(p0))
            compile_s = time.perf_counter() - t0
            times[name] = cpu_median(lambda g=g, q=p0: g(q), repeat)
            ref = jax.tree_util.tree_leaves(grads[ref_name])
            got = jax.tree_util.tree_leaves(grads[name])
            rel = max(
                float(jnp.max(jnp.abs(a - b)) / (jnp.max(jnp.abs(a)) + 1e-300))
                for a, b in zip(ref, got, strict=True)
            )
            rows.append(
                {
                    "case": title,
                    "adjoint": name,
                    "forward_cpu_s": t_fwd,
                    "gradient_cpu_s": times[name],
                    "gradient_over_forward": times[name] / t_fwd,
                    "first_call_wall_s": compile_s,
                    "max_rel_diff_vs_first": rel,
                }
            )
        print(f"\n{title}: forward {t_fwd:.4g} s CPU")
        for r in (r for r in rows if r["case"] == title):
            print(
                f"  {r['adjoint']:26s} gradient {r['gradient_cpu_s']:.4g} s = "
                f"{r['gradient_over_forward']:.2f}x forward; first call "
                f"{r['first_call_wall_s']:.1f} s wall; gradient rel. diff vs {ref_name}: "
                f"{r['max_rel_diff_vs_first']:.1e}"
            )
        goals.append(
            _common.goal(
                f"{title}: {ref_name} gradient / forward",
                times[ref_name] / t_fwd,
                3.0,
                higher_is_better=False,
            )
        )
        if "replay" in times:
            goals.append(
                _common.goal(
                    f"{title}: replay gradient / forward",
                    times["replay"] / t_fwd,
                    3.0,
                    higher_is_better=False,
                )
            )
            goals.append(
                _common.goal(
                    f"{title}: checkpoint gradient / replay gradient",
                    times[ref_name] / times["replay"],
                    3.0,
                )
            )
        if "checkpoint" in times and ref_name != "checkpoint":
            goals.append(
                _common.goal(
                    f"{title}: checkpoint gradient / {ref_name} gradient",
                    times["checkpoint"] / times[ref_name],
                    3.0,
                )
            )
    print("\ngoals:")
    print(_common.goals_text(goals))
    summary = "README: gradients (CPU 1 thread): " + "; ".join(
        f"{r['case'].split(' (')[0]} {r['adjoint'].split(' (')[0]} "
        f"{r['gradient_over_forward']:.1f}x fwd"
        for r in rows
    )
    print(summary)
    path = _common.write(
        "gradients",
        {
            "benchmark": "gradients",
            "machine": _common.machine("numpy"),
            "threads": "1 (XLA intra-op 1)",
            "load_average_start": load0,
            "load_average_end": _common.load_average(),
            "quick": args.quick,
            "repeat": repeat,
            "rows": rows,
            "goals": goals,
            "summary": summary,
        },
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
