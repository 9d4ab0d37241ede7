"""Spectral timing: jaxdyn vs Stingray (averaged cross spectra, coherence, lags) and pycwt (CWT).

* cross spectra: P pairs of Poisson light curves of L bins each (two bands), each pair
  averaged over segments of S bins; per pair the cross spectrum, both power spectra, the
  raw coherence and the phase lags with their errors. jaxdyn: one jitted call on a batch
  of pairs (leading axis); Stingray 2.x (with numba): ``AveragedCrossspectrum`` per pair
  plus ``raw_coherence()`` and ``phase_lag()``. Full: 1000 pairs of 2^16 bins (the
  issue's size), S = 2^12; quick: 64 pairs of 2^14.
* wavelets: the Morlet CWT (δj = 1/8) of one long series (full 2^17, quick 2^15 points),
  and of a batch of 32 series of 2^13; pycwt loops over the batch.

Every library runs on one thread (``_common.single_thread``); times are medians of
interleaved repeats; outputs are checked equal (cross spectra to 1e-10 relative, the CWT
to 1e-7 of its largest modulus: pycwt's wavelet lacks the Heaviside step of T&C) before
timing. jaxdyn runs in float64 like its peers, and in float32 beside it (checked to 1e-3
of each output's largest value). Compile time is reported apart.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks import _common  # noqa: E402

_common.single_thread()

import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)

import numpy as np  # noqa: E402

from jaxdyn.analysis import spectra as sp  # noqa: E402
from jaxdyn.analysis import wavelets as wv  # noqa: E402

DT = 1 / 256


def light_curves(pairs: int, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Correlated, lagged Poisson counts in two bands (red noise, 300 and 200 counts/s)."""
    rng = np.random.default_rng(seed)
    f = np.fft.rfftfreq(n, DT)
    f[0] = f[1]
    amp = np.sqrt(0.02 / (1 + (f / 2.0) ** 2) * n / (2 * DT))
    z = amp * (rng.standard_normal((pairs, f.size)) + 1j * rng.standard_normal((pairs, f.size)))
    z[:, 0] = 0
    x1 = np.fft.irfft(z, n=n) / np.sqrt(2)
    x2 = np.fft.irfft(z * np.exp(-0.3j), n=n) / np.sqrt(2)
    c1 = rng.poisson(np.clip(300 * (1 + x1), 0, None) * DT).astype(float)
    c2 = rng.poisson(np.clip(200 * (1 + x2), 0, None) * DT).astype(float)
    return c1, c2


def ours_cross(seg_bins: int):
    seg = seg_bins * DT

    @jax.jit
    def run(c1, c2):
        cs = sp.cross_spectrum(c1, c2, DT, segment_size=seg)
        lag, lag_err = sp.phase_lag(cs)
        coh, coh_err = sp.coherence(cs)
        return cs.cross, cs.power1, cs.power2, coh, coh_err, lag, lag_err

    return run


def stingray_cross(c1: np.ndarray, c2: np.ndarray, seg_bins: int):
    from stingray import AveragedCrossspectrum, Lightcurve

    t = np.arange(c1.size) * DT
    lc1 = Lightcurve(t, c1, dt=DT, skip_checks=True)
    lc2 = Lightcurve(t, c2, dt=DT, skip_checks=True)
    cs = AveragedCrossspectrum(lc1, lc2, segment_size=seg_bins * DT, norm="frac", silent=True)
    coh, coh_err = cs.raw_coherence()
    lag, lag_err = cs.phase_lag()
    return cs.power, cs.pds1.power, cs.pds2.power, coh, coh_err, lag, lag_err


def check_cross(ours, ref, normwise: bool = False) -> float:
    """Largest relative difference over all outputs (finite entries): elementwise, or
    relative to each output's largest magnitude (``normwise``, for float32)."""
    worst = 0.0
    for a, b in zip(ours, ref, strict=True):
        a, b = np.asarray(a), np.asarray(b)
        ok = np.isfinite(b)
        scale = np.max(np.abs(b[ok])) if normwise else np.maximum(np.abs(b[ok]), 1e-300)
        worst = max(worst, float(np.max(np.abs(a[ok] - b[ok]) / scale)))
    return worst


def bench_cross(pairs: int, n: int, seg_bins: int, chunk: int, repeat: int) -> dict:
    fn = ours_cross(seg_bins)
    chunks = [light_curves(min(chunk, pairs - i), n, seed=i) for i in range(0, pairs, chunk)]
    t0 = time.perf_counter()
    jax.block_until_ready(fn(*chunks[0]))
    compile_s = time.perf_counter() - t0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        diff = max(
            check_cross([o[i] for o in fn(c1, c2)], stingray_cross(c1[i], c2[i], seg_bins))
            for c1, c2 in chunks[:1]
            for i in range(min(3, c1.shape[0]))
        )
    assert diff < 1e-9, f"cross spectra differ from Stingray: {diff:.2e}"
    chunks32 = [(c1.astype(np.float32), c2.astype(np.float32)) for c1, c2 in chunks]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        c1, c2 = chunks[0]
        diff32 = max(
            check_cross(
                [o[i] for o in fn(*chunks32[0])], stingray_cross(c1[i], c2[i], seg_bins), True
            )
            for i in range(min(3, c1.shape[0]))
        )
    assert diff32 < 1e-3, f"float32 cross spectra differ from Stingray: {diff32:.2e}"

    def run_ours():
        for c1, c2 in chunks:
            jax.block_until_ready(fn(c1, c2))

    def run_ours32():
        for c1, c2 in chunks32:
            jax.block_until_ready(fn(c1, c2))

    def run_stingray():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for c1, c2 in chunks:
                for i in range(c1.shape[0]):
                    stingray_cross(c1[i], c2[i], seg_bins)

    fns = {"jaxdyn": run_ours, "jaxdyn float32": run_ours32, "stingray": run_stingray}
    wall, cpu = _common.timeit_wall_cpu(fns, repeat=repeat, warmup=1)
    rows = [
        {"name": name, "cpu_s": float(np.median(cpu[name])), "wall_min_s": min(wall[name]),
         "wall_median_s": float(np.median(wall[name]))}
        for name in fns
    ]  # fmt: skip
    return {"rows": rows, "max_rel_diff": diff, "max_normwise_diff_float32": diff32,
            "compile_s": compile_s,
            "pairs": pairs, "bins": n, "segment_bins": seg_bins}  # fmt: skip


def bench_cwt(n: int, batch: int, batch_n: int, repeat: int) -> dict:
    import pycwt

    rng = np.random.default_rng(0)
    x = np.cumsum(rng.standard_normal(n)) * 0.05 + rng.standard_normal(n)
    x -= x.mean()
    xb = rng.standard_normal((batch, batch_n))
    dj = 1 / 8
    one = jax.jit(lambda a: wv.cwt(a, 1.0, dj=dj).wave)
    t0 = time.perf_counter()
    jax.block_until_ready(one(x))
    compile_s = time.perf_counter() - t0
    many = jax.jit(lambda a: wv.cwt(a, 1.0, dj=dj).wave)
    jax.block_until_ready(many(xb))
    ref = pycwt.cwt(x, 1.0, dj)[0]
    ours = np.asarray(one(x))
    diff = float(np.max(np.abs(ours - ref)) / np.max(np.abs(ref)))
    assert diff < 1e-7, f"CWT differs from pycwt: {diff:.2e}"
    x32 = x.astype(np.float32)
    jax.block_until_ready(one(x32))
    diff32 = float(np.max(np.abs(np.asarray(one(x32)) - ref)) / np.max(np.abs(ref)))
    assert diff32 < 1e-5, f"float32 CWT differs from pycwt: {diff32:.2e}"
    ref_b = pycwt.cwt(xb[1], 1.0, dj)[0]
    diff_b = float(np.max(np.abs(np.asarray(many(xb))[1] - ref_b)) / np.max(np.abs(ref_b)))
    assert diff_b < 1e-7, f"batched CWT differs from pycwt: {diff_b:.2e}"
    fns = {
        "jaxdyn (one series)": lambda: jax.block_until_ready(one(x)),
        "jaxdyn float32 (one series)": lambda: jax.block_until_ready(one(x32)),
        "pycwt (one series)": lambda: pycwt.cwt(x, 1.0, dj),
        "jaxdyn (batch)": lambda: jax.block_until_ready(many(xb)),
        "pycwt (batch, loop)": lambda: [pycwt.cwt(v, 1.0, dj) for v in xb],
    }
    wall, cpu = _common.timeit_wall_cpu(fns, repeat=repeat, warmup=1)
    rows = [
        {"name": k, "cpu_s": float(np.median(cpu[k])), "wall_min_s": min(wall[k]),
         "wall_median_s": float(np.median(wall[k]))}
        for k in fns
    ]  # fmt: skip
    return {"rows": rows, "max_rel_diff": max(diff, diff_b), "max_rel_diff_float32": diff32,
            "compile_s": compile_s,
            "n": n, "batch": batch, "batch_n": batch_n, "scales": int(ref.shape[0])}  # fmt: skip


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        cross = bench_cross(pairs=64, n=2**14, seg_bins=2**11, chunk=64, repeat=3)
        cw = bench_cwt(n=2**15, batch=8, batch_n=2**12, repeat=3)
    else:
        cross = bench_cross(pairs=1000, n=2**16, seg_bins=2**12, chunk=50, repeat=3)
        cw = bench_cwt(n=2**17, batch=32, batch_n=2**13, repeat=3)

    print(f"\nAveraged cross spectra + coherence + lags: {cross['pairs']} pairs x "
          f"{cross['bins']} bins, segments of {cross['segment_bins']} "
          f"(max rel. diff vs Stingray {cross['max_rel_diff']:.1e}; "
          f"compile {cross['compile_s']:.1f} s)")  # fmt: skip
    print(_common.table_cpu_wall(cross["rows"], "jaxdyn"))
    print(f"\nMorlet CWT, dj = 1/8: one series of {cw['n']} points ({cw['scales']} scales) and "
          f"{cw['batch']} series of {cw['batch_n']} (max rel. diff vs pycwt "
          f"{cw['max_rel_diff']:.1e}; compile {cw['compile_s']:.1f} s)")  # fmt: skip
    print(_common.table_cpu_wall(cw["rows"], "jaxdyn (one series)"))

    cpu = lambda rows, name: next(r["cpu_s"] for r in rows if r["name"] == name)
    speed_cross = cpu(cross["rows"], "stingray") / cpu(cross["rows"], "jaxdyn")
    speed_cwt = cpu(cw["rows"], "pycwt (one series)") / cpu(cw["rows"], "jaxdyn (one series)")
    speed_cwt_b = cpu(cw["rows"], "pycwt (batch, loop)") / cpu(cw["rows"], "jaxdyn (batch)")
    speed_cross32 = cpu(cross["rows"], "stingray") / cpu(cross["rows"], "jaxdyn float32")
    speed_cwt32 = cpu(cw["rows"], "pycwt (one series)") / cpu(
        cw["rows"], "jaxdyn float32 (one series)"
    )
    goals = [
        _common.goal("cross spectra: Stingray CPU time / jaxdyn CPU time", speed_cross, 5.0),
        _common.goal("cross spectra, jaxdyn in float32: Stingray / jaxdyn", speed_cross32, 5.0),
        _common.goal("CWT one long series, jaxdyn in float32: pycwt / jaxdyn", speed_cwt32, 5.0),
        _common.goal("CWT one long series: pycwt / jaxdyn", speed_cwt, 5.0),
        _common.goal("CWT batch of series: pycwt / jaxdyn", speed_cwt_b, 5.0),
    ]
    print("\nGoals (CPU time, one thread each):")
    print(_common.goals_text(goals))
    path = _common.write(
        "spectra" + ("_quick" if args.quick else ""),
        {
            "machine": _common.machine("stingray", "pycwt", "numba", "numpy", "scipy"),
            "load_average": _common.load_average(),
            "cross_spectra": cross,
            "cwt": cw,
            "goals": goals,
        },
    )
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
