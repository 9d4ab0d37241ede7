"""DDE solvers on Mackey-Glass: jaxdyn (simulate on a delay system) vs jitcdde vs ddeint.

    x'(t) = 0.2 x(t-τ) / (1 + x(t-τ)^10) - 0.1 x(t),   x = 1.2 for t <= 0,   t in [0, 200]

(Mackey & Glass 1977; chaotic at τ = 17). Accuracy is the max abs error at t = 20, 21, ...,
200 against a reference (jaxdyn at dt = 0.005, itself checked against jitcdde at
rtol = 1e-11). For each accuracy target every method runs at the cheapest setting of its
own ladder that meets it (jaxdyn: step dt; jitcdde: rtol, atol = rtol/100; ddeint: the
grid step of its linear history interpolation; ddeint's error stalls near 1e-2 here, so it
enters only the loosest target). Times are warm medians.

* single: one solve at τ = 17;
* batch: B delays uniform in [10, 20]: jaxdyn one ``vmap``-ed call (``align=True``: each
  member's step divides its delay; the plain grid is shown too), jitcdde one compiled
  module with τ as a control parameter re-run B times, ddeint B Python solves (timed on a
  few and extrapolated, said so in the table).

``--quick`` uses B = 32 and a shorter ladder.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._common import machine, table, timeit, write  # noqa: E402
from jaxdyn import AbstractDDE, simulate  # noqa: E402

T1 = 200.0
TS = np.arange(20.0, T1 + 1e-9, 1.0)


class MackeyGlass(AbstractDDE):
    tau: jax.Array
    max_delay = 20.0

    def __init__(self, tau=17.0):
        self.tau = jnp.asarray(tau, dtype=float)

    def delays(self, t, y):
        return jnp.reshape(self.tau, (1,))

    def drift(self, t, y, y_delayed, args=None):
        u = y_delayed[0]
        return 0.2 * u / (1.0 + u**10) - 0.1 * y

    def initial_state(self, key=None):
        return jnp.full((1,), 1.2)


def jaxdyn_solver(dt: float, align: bool = True):
    def solve(tau):
        traj = simulate(MackeyGlass(tau), T1, ts=TS, dt=dt, overlap_iters=0, align=align)
        return traj.ys[:, 0]

    return jax.jit(solve), jax.jit(jax.vmap(solve))


class Jitc:
    """One compiled jitcdde module with τ as a control parameter."""

    def __init__(self):
        import symengine
        from jitcdde import jitcdde, t, y

        self.tau = symengine.Symbol("tau")
        f = [0.2 * y(0, t - self.tau) / (1 + y(0, t - self.tau) ** 10) - 0.1 * y(0)]
        t0 = time.perf_counter()
        self.dde = jitcdde(f, control_pars=[self.tau], max_delay=20.0, verbose=False)
        self.dde.compile_C(verbose=False)
        self.compile_s = time.perf_counter() - t0

    def solve(self, tau: float, rtol: float) -> np.ndarray:
        dde = self.dde
        dde.purge_past()
        dde.constant_past([1.2], time=0.0)
        dde.set_parameters(tau)
        dde.set_integration_parameters(rtol=rtol, atol=rtol * 1e-2, first_step=0.1, max_step=1.0)
        # The derivative jump of the constant past at t = 0, smoothed (jitcdde's way for
        # delays that are control parameters; step_on_discontinuities needs fixed delays).
        dde.adjust_diff()
        return np.array([dde.integrate(s)[0] for s in TS])


def ddeint_solve(tau: float, dt: float) -> np.ndarray:
    from ddeint import ddeint

    def model(Y, t, tau):
        u = Y(t - tau)
        return 0.2 * u / (1 + u**10) - 0.1 * Y(t)

    tt = np.arange(0.0, T1 + dt / 2, dt)
    sol = np.asarray(ddeint(model, lambda t: 1.2, tt, fargs=(tau,))).reshape(len(tt), -1)[:, 0]
    idx = np.round(TS / dt).astype(int)
    return sol[idx]


def cheapest(ladder, err_fn, target):
    """First setting of ``ladder`` (cheapest first) whose error meets ``target``."""
    for setting in ladder:
        err = err_fn(setting)
        if err <= target:
            return setting, err
    return None, None


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    quick = args.quick
    batch = 32 if quick else 256
    targets = [2e-2, 1e-6] if quick else [2e-2, 1e-3, 1e-6, 1e-9]
    taus = np.linspace(10.0, 20.0, batch)
    taus_j = jnp.asarray(taus)

    # Reference: jaxdyn at a fine step, cross-checked against jitcdde at tight tolerance.
    _, ref_batch_fn = jaxdyn_solver(0.005, align=True)
    ref_single = np.asarray(jaxdyn_solver(0.005, align=True)[0](17.0))
    ref_batch = np.asarray(ref_batch_fn(taus_j))
    jitc = Jitc()
    cross = max(
        np.max(np.abs(jitc.solve(tau, 1e-11) - ref_batch[i]))
        for i, tau in [(0, taus[0]), (batch // 2, taus[batch // 2]), (batch - 1, taus[-1])]
    )
    cross = max(cross, np.max(np.abs(jitc.solve(17.0, 1e-11) - ref_single)))
    print(f"reference check: jaxdyn dt=0.005 vs jitcdde rtol=1e-11: max |diff| = {cross:.2e}")

    dt_ladder = [1.0, 0.5, 0.25, 0.125, 0.0625, 0.03125, 0.015625]
    rtol_ladder = [10.0**-e for e in range(3, 13)]
    ddeint_ladder = [0.1, 0.05, 0.02]
    jd_cache: dict[tuple, tuple] = {}

    def jd(dt, align=True):
        if (dt, align) not in jd_cache:
            jd_cache[dt, align] = jaxdyn_solver(dt, align)
        return jd_cache[dt, align]

    rows_all, payload_rows = [], []
    for target in targets:
        # --- single solve, tau = 17 ---
        rows = []
        dt, err = cheapest(
            dt_ladder, lambda d: np.max(np.abs(np.asarray(jd(d)[0](17.0)) - ref_single)), target
        )
        if dt is not None:
            f = jd(dt)[0]
            rows.append(
                {
                    "name": f"jaxdyn RK4 dt={dt:g}",
                    "time_s": timeit(lambda f=f: jax.block_until_ready(f(17.0))),
                    "error": err,
                }
            )
        rt, err = cheapest(
            rtol_ladder, lambda r: np.max(np.abs(jitc.solve(17.0, r) - ref_single)), target
        )
        if rt is not None:
            rows.append(
                {
                    "name": f"jitcdde rtol={rt:g}",
                    "time_s": timeit(lambda rt=rt: jitc.solve(17.0, rt)),
                    "error": err,
                }
            )
        if target >= 1e-2:
            dd, err = cheapest(
                ddeint_ladder, lambda d: np.max(np.abs(ddeint_solve(17.0, d) - ref_single)), target
            )
            if dd is not None:
                rows.append(
                    {
                        "name": f"ddeint dt={dd:g}",
                        "time_s": timeit(lambda dd=dd: ddeint_solve(17.0, dd), repeat=1, warmup=0),
                        "error": err,
                    }
                )
        # --- batch of delays ---
        brows = []
        # Aligned steps (h divides each member's delay) first; the plain grid for contrast.
        for align in (True, False):
            dt, err = cheapest(
                dt_ladder,
                lambda d, a=align: np.max(np.abs(np.asarray(jd(d, a)[1](taus_j)) - ref_batch)),
                target,
            )
            if dt is not None:
                f = jd(dt, align)[1]
                brows.append(
                    {
                        "name": f"jaxdyn vmap({batch}) dt={dt:g}"
                        + (" aligned" if align else " plain grid"),
                        "time_s": timeit(lambda f=f: jax.block_until_ready(f(taus_j)), repeat=3),
                        "error": err,
                    }
                )
        sub = np.linspace(0, batch - 1, 8).astype(int)
        rt, err = cheapest(
            rtol_ladder,
            lambda r: max(np.max(np.abs(jitc.solve(taus[i], r) - ref_batch[i])) for i in sub),
            target,
        )
        if rt is not None:
            err = max(
                np.max(np.abs(jitc.solve(tau, rt) - ref_batch[i])) for i, tau in enumerate(taus)
            )
            t_loop = timeit(lambda rt=rt: [jitc.solve(tau, rt) for tau in taus], repeat=3)
            brows.append(
                {"name": f"jitcdde loop({batch}) rtol={rt:g}", "time_s": t_loop, "error": err}
            )
        if target >= 1e-2:
            dd, err = cheapest(
                ddeint_ladder,
                lambda d: max(
                    np.max(np.abs(ddeint_solve(taus[i], d) - ref_batch[i])) for i in sub[::4]
                ),
                target,
            )
            if dd is not None:
                n_timed = 2
                t0 = time.perf_counter()
                for tau in taus[:n_timed]:
                    ddeint_solve(tau, dd)
                t_est = (time.perf_counter() - t0) / n_timed * batch
                brows.append(
                    {
                        "name": f"ddeint loop({batch}) dt={dd:g} [extrap. from {n_timed}]",
                        "time_s": t_est,
                        "error": err,
                    }
                )

        for label, rr in (("single solve (tau=17)", rows), (f"batch of {batch} delays", brows)):
            if not rr:
                continue
            ref_name = rr[0]["name"]
            print(f"\n== target max error {target:g}: {label} ==")
            print(table(rr, ref=ref_name))
            for r in rr:
                print(f"   {r['name']:40s} error {r['error']:.2e}")
            payload_rows.append({"target": target, "case": label, "rows": rr})
            rows_all.append((target, label, rr))

    def ratio(case_prefix, target, peer):
        for t, label, rr in rows_all:
            if t == target and label.startswith(case_prefix):
                base = rr[0]["time_s"]
                for r in rr:
                    if r["name"].startswith(peer):
                        return r["time_s"] / base
        return None

    parts = []
    for peer in ("jitcdde", "ddeint"):
        for case in ("single", "batch"):
            r = ratio(case, 1e-6 if peer == "jitcdde" else 2e-2, peer)
            if r is not None:
                parts.append(f"{peer} {case} {r:.2g}x jaxdyn's time")
    summary = (
        "DDE (Mackey-Glass, CPU, no GPU in this session): at equal max error "
        "(1e-6 vs jitcdde, 2e-2 vs ddeint, whose error stalls near 1e-2), " + "; ".join(parts)
    )
    print("\n" + summary)
    write(
        "dde",
        {
            "problem": "Mackey-Glass beta=0.2 gamma=0.1 n=10, history 1.2, t in [0, 200]",
            "batch": batch,
            "quick": quick,
            "reference_crosscheck_max_diff": cross,
            "jitcdde_compile_s": jitc.compile_s,
            "results": payload_rows,
            "summary": summary,
            "gpu_note": "no GPU available in this session: CPU only",
            "machine": machine("jitcdde", "ddeint"),
        },
    )


if __name__ == "__main__":
    main()
