"""Recurrence plots and RQA: pyunicorn on the same series, exact values for i.i.d. noise and
periodic signals."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxdyn.analysis.recurrence import (
    delay_embed,
    iid_theory,
    line_histograms,
    recurrence_matrix,
    rqa,
    rqa_series,
    threshold_for_rate,
)


def logistic(n, r=3.9, x0=0.3):
    x = np.empty(n)
    x[0] = x0
    for i in range(n - 1):
        x[i + 1] = r * x[i] * (1 - x[i])
    return x


def ar1(n, phi=0.95, seed=0):
    rng = np.random.default_rng(seed)
    x = np.zeros(n)
    for i in range(1, n):
        x[i] = phi * x[i - 1] + rng.normal()
    return x


def test_embedding_layout_matches_takens_convention():
    x = np.arange(10.0)
    E = np.asarray(delay_embed(x, dim=3, delay=2))
    assert E.shape == (6, 3)
    np.testing.assert_array_equal(E[0], [0, 2, 4])
    np.testing.assert_array_equal(E[-1], [5, 7, 9])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_threshold_for_rate_is_the_sorted_quantile_exactly(dtype):
    """The bisection on bit patterns returns the same element as a full sort, ties and
    zeros included."""
    rng = np.random.default_rng(3)
    with jax.enable_x64(dtype == np.float64):
        for n, rate in [(40, 0.05), (57, 0.3), (64, 0.9)]:
            x = np.round(rng.standard_normal(n), 1)  # many equal distances
            d = np.abs(x[:, None] - x[None, :]).astype(dtype)
            got = threshold_for_rate(jnp.asarray(d), rate)
            assert got.dtype == dtype
            assert float(got) == np.sort(d.ravel())[int(rate * (d.size - 1))]
        # negative values (the function takes any floats), with ties: the fallback's
        # integer keys must order as the floats do
        x = rng.choice([-2.0, -0.5, 0.5], size=(420, 420)).astype(dtype)
        for rate in (0.1, 0.5, 0.9):
            got = jax.jit(lambda d, rate=rate: threshold_for_rate(d, rate))(jnp.asarray(x))
            assert float(got) == np.sort(x.ravel())[int(rate * (x.size - 1))]
        # > 2^17 distances: the sampled bracket is used; ties make it fail, so the
        # bisection fallback must give the same element
        for x in [rng.standard_normal(420), (rng.random(420) < 0.5).astype(float)]:
            d = np.abs(x[:, None] - x[None, :]).astype(dtype)
            for rate in (0.05, 0.5):
                got = jax.jit(lambda d, rate=rate: threshold_for_rate(d, rate))(jnp.asarray(d))
                assert float(got) == np.sort(d.ravel())[int(rate * (d.size - 1))]


@pytest.mark.parametrize("metric", ["supremum", "euclidean", "manhattan"])
def test_recurrence_matrix_at_a_rate_thresholds_at_the_sorted_quantile(metric):
    """The distances computed in the counting passes (never stored) give the same ε as a
    full sort of the stored matrix, so R is exactly d < ε, ties and zeros included."""
    rng = np.random.default_rng(5)
    series = [
        ar1(700, seed=1),  # 7e5 distances: the sampled bracket and false position
        np.round(3 * rng.standard_normal(700)),  # integer values: heavy ties
        (rng.random(700) < 0.5).astype(float),  # half the distances are 0
    ]
    with jax.enable_x64(True):
        for x in series:
            emb = np.asarray(delay_embed(x, dim=2, delay=2))
            diff = np.abs(emb[:, None, :] - emb[None, :, :])
            d = {
                "supremum": diff.max(-1),
                "euclidean": np.sqrt((diff**2).sum(-1)),
                "manhattan": diff.sum(-1),
            }[metric]
            for rate in (0.02, 0.3):
                eps = np.sort(d.ravel())[int(rate * (d.size - 1))]
                R = recurrence_matrix(x, recurrence_rate=rate, dim=2, delay=2, metric=metric)
                np.testing.assert_array_equal(np.asarray(R), d < eps)
        # under vmap the passes run until every member's bracket has closed
        both = jax.vmap(
            lambda s: recurrence_matrix(s, recurrence_rate=0.3, dim=2, delay=2, metric=metric)
        )(jnp.asarray(np.stack(series[:2])))
        for i in range(2):
            single = recurrence_matrix(
                series[i], recurrence_rate=0.3, dim=2, delay=2, metric=metric
            )
            np.testing.assert_array_equal(np.asarray(both[i]), np.asarray(single))


def test_line_histograms_count_runs_exactly():
    R = np.eye(6, dtype=bool)
    R[0, 1:4] = R[1:4, 0] = True  # a vertical/horizontal run of 3 off the diagonal
    R[2, 3] = R[3, 2] = True
    R[3, 4] = R[4, 3] = True  # diagonal: (2,3),(3,4) is a line of 2 (each triangle)
    diag, vert = (np.asarray(h) for h in line_histograms(jnp.asarray(R)))
    # upper triangle diagonals: k=1: (0,1),(2,3),(3,4) -> runs 1 and 2; k=2: (0,2); k=3: (0,3)
    assert diag[1] == 2 * 3 and diag[2] == 2 * 1 and diag[3:].sum() == 0
    # column 0 holds rows 0..3 (length 4); column 2 rows 0,2,3 -> runs 1 and 2; ...
    assert vert[4] == 1 and diag.sum() > 0


@pytest.mark.parametrize(
    "series,metric,kw",
    [
        ("logistic", "supremum", dict(threshold=0.1, dim=3, delay=2)),
        ("logistic", "euclidean", dict(recurrence_rate=0.05, dim=2, delay=1)),
        ("ar1", "manhattan", dict(threshold=1.5, dim=2, delay=3)),
        ("ar1", "supremum", dict(recurrence_rate=0.1)),
    ],
)
def test_every_measure_agrees_with_pyunicorn(series, metric, kw):
    pyunicorn = pytest.importorskip("pyunicorn.timeseries")
    x = logistic(500) if series == "logistic" else ar1(500)
    R = recurrence_matrix(x, metric=metric, **kw)
    ours = {k: float(v) for k, v in rqa(R, l_min=2, v_min=2).items()}
    pk = {("tau" if k == "delay" else k): v for k, v in kw.items()}
    if "dim" in pk and "tau" not in pk:
        pk["tau"] = 1
    rp = pyunicorn.RecurrencePlot(x, metric=metric, silence_level=3, **pk)
    np.testing.assert_array_equal(np.asarray(R), rp.recurrence_matrix() != 0)
    ref = {
        "RR": rp.recurrence_rate(),
        "DET": rp.determinism(2),
        "L": rp.average_diaglength(2),
        "Lmax": rp.max_diaglength(),
        "ENTR": rp.diag_entropy(2),
        "LAM": rp.laminarity(2),
        "TT": rp.trapping_time(2),
        "Vmax": rp.max_vertlength(),
    }
    for k, v in ref.items():
        if np.isnan(ours[k]):  # no line at all: we say NaN where pyunicorn says 0
            assert v == 0, k
        else:
            # pyunicorn adds 1e-8 to its denominators
            np.testing.assert_allclose(ours[k], v, rtol=1e-9, atol=1e-9, err_msg=k)


def test_iid_noise_matches_the_bernoulli_line_statistics():
    # i.i.d. uniform samples on [0, 1), threshold eps: off-diagonal entries of a diagonal
    # are independent with p = P(|U - V| < eps) = 2 eps - eps^2.
    x = np.asarray(jax.random.uniform(jax.random.PRNGKey(3), (2000,)))
    eps = 0.15
    p = 2 * eps - eps**2
    m = {k: float(v) for k, v in rqa_series(x, threshold=eps).items()}
    n = x.size
    p_hat = (m["RR"] * n - 1) / (n - 1)  # off-diagonal recurrence rate (main diagonal is 1)
    assert abs(p_hat - p) < 5e-3  # ~3 standard deviations of p_hat at N = 2000
    # The line statistics given the sample's own p (its O(N^-1/2) fluctuation dominates)
    th = iid_theory(p_hat)
    assert abs(m["DET"] - th["DET"]) < 2e-3
    assert abs(m["L"] - th["L"]) < 5e-3
    assert abs(m["ENTR"] - th["ENTR"]) < 6e-3
    # Vertical lines: in column j the entries are i.i.d. given x_j, with probability q(x_j)
    # = length of [x_j - eps, x_j + eps] within [0, 1]. Every column shares the one
    # sequence x_1..x_N, so the fluctuation is O(N^-1/2), not O(1/N): average over series.
    u = np.linspace(0, 1, 200001)
    q = np.minimum(u + eps, 1) - np.maximum(u - eps, 0)
    lam_th = np.mean(q * (1 - (1 - q) ** 2)) / np.mean(q)
    tt_th = np.mean(q * (1 - (1 - q) ** 2)) / np.mean((1 - q) * q**2)
    xs = jax.random.uniform(jax.random.PRNGKey(4), (12, 1000))
    ms = jax.jit(jax.vmap(lambda x: rqa(recurrence_matrix(x, threshold=eps))))(xs)
    for k, th_k in (("LAM", lam_th), ("TT", tt_th)):
        v = np.asarray(ms[k])
        se = v.std(ddof=1) / np.sqrt(v.size)
        assert se < 0.01 * th_k and abs(v.mean() - th_k) < 4 * se, (k, v.mean(), th_k, se)


def test_periodic_signal_has_exact_measures():
    P, m_periods = 7, 40
    n = P * m_periods
    x = np.arange(n) % P  # a sawtooth: distinct values within a period
    m = {k: float(v) for k, v in rqa_series(x, threshold=0.5).items()}
    assert m["RR"] == pytest.approx(1 / P, rel=1e-14)
    assert m["DET"] == 1.0
    assert m["L"] == pytest.approx(n / 2, rel=1e-14)  # lines of lengths n - qP, q=1..m-1
    assert m["Lmax"] == n - P
    assert m["ENTR"] == pytest.approx(np.log(m_periods - 1), rel=1e-12)
    assert m["LAM"] == 0.0 and np.isnan(m["TT"]) and m["Vmax"] == 1


def test_jit_and_vmap_over_series():
    xs = jnp.stack([jnp.asarray(ar1(200, seed=s)) for s in range(3)])
    f = jax.jit(jax.vmap(lambda x: rqa(recurrence_matrix(x, threshold=1.0, dim=2))["DET"]))
    out = np.asarray(f(xs))
    for i in range(3):
        single = float(rqa_series(np.asarray(xs[i]), threshold=1.0, dim=2)["DET"])
        assert out[i] == pytest.approx(single, rel=1e-12)


BAD = [
    (lambda: delay_embed(np.arange(5.0), dim=4, delay=2), "dim"),
    (lambda: delay_embed(np.arange(5.0), dim=0), "dim"),
    (lambda: delay_embed(np.arange(5.0), delay=0), "delay"),
    (lambda: delay_embed(np.zeros((3, 2, 2))), "x must be"),
    (lambda: recurrence_matrix(np.arange(9.0)), "exactly one"),
    (lambda: recurrence_matrix(np.arange(9.0), threshold=0.1, recurrence_rate=0.1), "exactly one"),
    (lambda: recurrence_matrix(np.arange(9.0), threshold=-1.0), "threshold"),
    (lambda: recurrence_matrix(np.arange(9.0), recurrence_rate=1.5), "recurrence_rate"),
    (lambda: recurrence_matrix(np.arange(9.0), threshold=1.0, metric="cosine"), "metric"),
    (lambda: rqa(np.ones((3, 4), bool)), "square"),
    (lambda: rqa(np.ones((3, 3), bool), l_min=0), "l_min"),
    (lambda: rqa(np.ones((3, 3), bool), v_min=1.5), "v_min"),
]


@pytest.mark.parametrize("call,match", BAD)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()
