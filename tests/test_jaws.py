import itertools

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from jaxdyn.analysis.fields import (
    blown_up,
    energy_spectrum,
    failure_step,
    growth_rate,
    periodic_distance,
    relative_l2,
    steepest_front,
)
from jaxdyn.experiments import run_experiment
from jaxdyn.experiments.jaws import PRESETS, VARIANTS, JawsConfig
from jaxdyn.experiments.jaws.run import paired_differences
from jaxdyn.models import unrolled_loss
from jaxdyn.models.fno import FNOStep
from jaxdyn.models.jacobian import (
    exact_row_norms,
    gaussian_nll,
    hutchinson_frobenius,
    hutchinson_row_norms,
    jaws_penalty,
    jaws_weights,
)
from jaxdyn.models.training import step_memory, train

N = 8


@pytest.fixture
def step_model():
    return FNOStep(4, 3, 2, key=jax.random.PRNGKey(3), heteroscedastic=True)


@pytest.fixture
def u():
    return jnp.sin(2 * jnp.pi * jnp.arange(N) / N) + 0.3 * jax.random.normal(
        jax.random.PRNGKey(4), (N,)
    )


def test_hutchinson_exact_over_all_rademacher_probes(step_model, u):
    """Averaged over all 2^N sign vectors, E[v vᵀ] = I holds exactly, so the estimate is exact."""
    v = jnp.asarray(list(itertools.product([-1.0, 1.0], repeat=N)))
    est = jax.jit(lambda u, v: hutchinson_row_norms(step_model, u, None, v=v))(u, v)
    np.testing.assert_allclose(est, exact_row_norms(step_model, u), rtol=1e-12)


@pytest.mark.parametrize("kind", ["rademacher", "gaussian"])
def test_hutchinson_statistical_agreement(step_model, u, kind):
    exact = float(jnp.sum(exact_row_norms(step_model, u)))
    n = 4000
    hf = jax.jit(lambda u, k: hutchinson_frobenius(step_model, u, k, n, kind))
    est = float(hf(u, jax.random.PRNGKey(5)))
    # Gaussian probes: Var = 2||JᵀJ||_F² <= 2||J||_F⁴, so 4000 probes give < 2.3% std.
    assert abs(est / exact - 1) < 0.07
    # A linear map with known Frobenius norm.
    a = jax.random.normal(jax.random.PRNGKey(6), (5, 5))
    est_a = hutchinson_frobenius(lambda x: a @ x, jnp.zeros(5), jax.random.PRNGKey(7), n, kind)
    assert abs(float(est_a) / float(jnp.sum(a**2)) - 1) < 0.07


def test_jaws_weights_and_penalty(step_model, u):
    s = jnp.log(jnp.array([1e-4, 1e-4, 1e-2, 1e-4, 1.0, 1e-4, 1e-4, 1e-4]))
    w = jaws_weights(s)
    assert abs(float(jnp.mean(w)) - 1) < 1e-12
    # w ∝ 1/σ²: confident (small-variance) points get the largest weight.
    np.testing.assert_allclose(w[2] / w[0], 1e-2, rtol=1e-10)
    assert float(jax.grad(lambda s: jnp.sum(jaws_weights(s) ** 2))(s).max()) == 0.0
    jp = jax.jit(lambda u, k: jaws_penalty(step_model.mean_and_logvar, u, k, 3000))
    mean, logvar, pen = jp(u, jax.random.PRNGKey(8))
    exact = float(jnp.mean(jaws_weights(logvar) * exact_row_norms(step_model, u)))
    np.testing.assert_allclose(mean, step_model(u), rtol=1e-12)
    assert abs(float(pen) / exact - 1) < 0.07


def test_gaussian_nll_optimal_variance_is_the_squared_residual():
    r = jnp.array([1e-3, 2e-2, 0.5, 1.0])
    target, mean = r, jnp.zeros(4)
    g = jax.grad(lambda s: gaussian_nll(target, mean, s))(jnp.log(r**2))
    assert float(jnp.max(jnp.abs(g))) < 1e-12
    g_off = jax.grad(lambda s: gaussian_nll(target, mean, s))(jnp.log(r**2) + 0.5)
    assert float(jnp.min(g_off)) > 0  # variance too large -> gradient pushes it down


@pytest.mark.parametrize("kind, k", [("mse", 1), ("global", 2)])
def test_loss_gradient_matches_finite_differences(kind, k):
    model = FNOStep(3, 2, 1, key=jax.random.PRNGKey(0))
    batch = jax.random.normal(jax.random.PRNGKey(1), (2, k + 1, N))
    loss = unrolled_loss(kind, 1e-2, k)
    key = jax.random.PRNGKey(2)
    params, static = eqx.partition(model, eqx.is_inexact_array)
    flat, unravel = jax.flatten_util.ravel_pytree(params)
    f = jax.jit(lambda p: loss(eqx.combine(unravel(p), static), batch, key))
    grad = jax.jit(jax.grad(f))(flat)
    d = jax.random.normal(jax.random.PRNGKey(3), flat.shape)
    eps = 1e-6
    fd = (f(flat + eps * d) - f(flat - eps * d)) / (2 * eps)
    np.testing.assert_allclose(float(grad @ d), float(fd), rtol=1e-6)


_LOSS = unrolled_loss("global", 1e-3, 2)
_OPT = optax.adam(1e-2)


def _tiny_training(tmp_path=None, steps=6, ckpt_every=3):
    model = FNOStep(4, 3, 1, key=jax.random.PRNGKey(0))
    data = jax.random.normal(jax.random.PRNGKey(1), (16, 3, N))
    batch_fn = lambda k: data[jax.random.randint(k, (4,), 0, 16)]
    # The same loss and optimiser objects let `train` reuse one compiled step.
    return train(
        _LOSS,
        model,
        batch_fn,
        optimizer=_OPT,
        steps=steps,
        key=jax.random.PRNGKey(9),
        checkpoint_dir=tmp_path,
        checkpoint_every=ckpt_every,
        progress=False,
    )


def test_checkpoint_resume_reproduces_uninterrupted_run(tmp_path):
    full = _tiny_training(None, steps=6)
    first = _tiny_training(tmp_path, steps=4)
    assert first.resumed_from == 0
    resumed = _tiny_training(tmp_path, steps=6)
    assert resumed.resumed_from == 4
    a = jax.tree_util.tree_leaves(eqx.filter(full.model, eqx.is_array))
    b = jax.tree_util.tree_leaves(eqx.filter(resumed.model, eqx.is_array))
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(full.losses, resumed.losses)
    assert full.losses[-1] < full.losses[0]


def test_checkpoint_from_another_run_is_rejected(tmp_path):
    _tiny_training(tmp_path, steps=2)
    other = FNOStep(5, 3, 1, key=jax.random.PRNGKey(0))
    with pytest.raises(ValueError, match="different run"):
        train(
            _LOSS,
            other,
            lambda k: jnp.zeros((2, 3, N)),
            optimizer=_OPT,
            steps=3,
            key=jax.random.PRNGKey(9),
            checkpoint_dir=tmp_path,
            progress=False,
        )


def test_step_memory_grows_with_unroll_length():
    model = FNOStep(4, 3, 1, key=jax.random.PRNGKey(0))
    key = jax.random.PRNGKey(1)
    m1 = step_memory(unrolled_loss("mse", 0.0, 1), model, jnp.zeros((8, 2, 32)), key)
    m8 = step_memory(unrolled_loss("mse", 0.0, 8), model, jnp.zeros((8, 9, 32)), key)
    assert m1["total"] > 0
    assert m8["temp_bytes"] > 3 * m1["temp_bytes"]


def test_loss_and_config_validation():
    with pytest.raises(ValueError, match="kind"):
        unrolled_loss("l1", 1e-3, 1)
    with pytest.raises(ValueError, match="k"):
        unrolled_loss("mse", 0.0, 0)
    with pytest.raises(ValueError, match="lam"):
        unrolled_loss("global", -1.0, 1)
    with pytest.raises(ValueError, match="'n_solver' must be a multiple"):
        JawsConfig(n_solver=100, n_grid=64)
    with pytest.raises(ValueError, match="'modes'"):
        JawsConfig(modes=40)
    with pytest.raises(ValueError, match="'variants'"):
        JawsConfig(variants=("plain", "plain"))
    with pytest.raises(ValueError, match="'variants"):
        JawsConfig(variants=("plain", "l1"))


@pytest.mark.slow
def test_experiment_runs_every_variant_end_to_end(tmp_path, monkeypatch):
    monkeypatch.setenv("JAXDYN_CACHE", str(tmp_path / "cache"))
    cfg = PRESETS["tiny"].replace(variants=VARIANTS, seeds=2, lam_sweep=(0.0, 1e-4, 1e-3))
    res = run_experiment("jaws", tmp_path / "run", config=cfg, quiet=True)["results"]
    # Two seeds: per-seed values, and paired differences to plain for every other variant.
    assert set(res["vs_plain"]) == set(VARIANTS) - {"plain"}
    assert len(res["per_seed"]["jaws"]["t_fail"]) == 2
    assert res["lam_sweep"]["lam"] == [0.0, 1e-4, 1e-3]
    # The sweep's run at the config's own λ is the table's run (the same training stream).
    i = res["lam_sweep"]["lam"].index(cfg.lam)
    assert res["lam_sweep"]["jaws"]["rel_l2_final"][i] == res["table"]["jaws"]["rel_l2_final"]
    assert set(res["table"]) == set(VARIANTS)
    for name, row in res["table"].items():
        assert 0 <= row["blowup_rate"] <= 1
        assert row["train_memory_mb"] > 0, name
    # Longer unrolls need more memory for the backward pass.
    assert res["train_memory_mb"]["unroll_long"] > res["train_memory_mb"]["plain"]
    assert len(res["rel_l2_vs_time"]["plain"]) == cfg.horizon
    assert {p.name for p in (tmp_path / "run").glob("*.png")} == {
        "jaws_rollout.png",
        "jaws_shock.png",
        "jaws_cost_ood.png",
        "jaws_seeds.png",
        "jaws_lam_sweep.png",
    }


def test_field_diagnostics():
    n = 64
    x = np.arange(n) / n
    u = np.stack([np.sin(2 * np.pi * 3 * x), 2.0 * np.cos(2 * np.pi * 5 * x)])
    # A sin(2π m x) has Fourier-series coefficient A/2 at mode m: energy A²/4.
    spec = energy_spectrum(u)
    np.testing.assert_allclose(spec[3], 0.25 / 2, rtol=1e-12)
    np.testing.assert_allclose(spec[5], 4.0 / 4 / 2, rtol=1e-12)
    assert np.sum(spec) == pytest.approx(np.sum(spec[[3, 5]]), rel=1e-12)
    # A steep front at x = 0.3 (descending, periodic domain): found in the right cell with
    # the centred-difference slope.
    front = -np.tanh((x - 0.3) / 0.01)
    i, slope = steepest_front(front[None])
    assert abs(i[0] - round(0.3 * n)) <= 1
    assert slope[0] == pytest.approx((front[i[0] + 1] - front[i[0] - 1]) * n / 2)
    assert periodic_distance(1, 63, 64) == pytest.approx(2 / 64)
    np.testing.assert_allclose(relative_l2(1.1 * u, u), 0.1, rtol=1e-12)
    assert relative_l2(np.full_like(u, np.nan), u).tolist() == [np.inf, np.inf]
    bad = np.stack([u, u, u])[:, None]  # (3, 1, 2, n): samples, time, ...
    bad[1, 0, 0, 0] = np.nan
    bad[2] *= 4.0
    np.testing.assert_array_equal(blown_up(bad, np.stack([u, u, u])[:, None]), [0, 1, 1])


def test_failure_time_growth_rate_and_paired_seed_differences():
    # err = 0.01 e^{0.05 n}: reaches 1 at n = ln(100)/0.05 = 92.1, i.e. index 93.
    n = np.arange(200)
    err = np.stack([0.01 * np.exp(0.05 * n), np.full(200, 0.5), np.r_[np.zeros(5), np.inf * n[5:]]])
    np.testing.assert_array_equal(failure_step(err), [93, 200, 5])
    assert failure_step(err, threshold=0.5)[1] == 0
    assert growth_rate(n, err[0]) == pytest.approx(0.05, rel=1e-10)
    assert np.isnan(growth_rate(n[:3], [np.inf, 0.0, 1.0]))
    with pytest.raises(ValueError, match="threshold"):
        failure_step(err, threshold=0.0)
    # Paired differences: a constant offset of 0.1 with seed-to-seed spread in both
    # variants gives exactly 0.1 with a zero-width interval.
    base = np.array([1.0, 3.0, 2.0, 5.0])
    per_seed = {"plain": {"e": base}, "jaws": {"e": base + 0.1}, "global": {"e": base[::-1]}}
    d = paired_differences(per_seed)
    assert d["jaws"]["e"]["mean"] == pytest.approx(0.1)
    assert d["jaws"]["e"]["ci95"] == pytest.approx([0.1, 0.1])
    lo, hi = d["global"]["e"]["ci95"]
    assert d["global"]["e"]["mean"] == pytest.approx(0.0) and lo < -1 and hi > 1
    assert paired_differences({"jaws": {"e": base}}) == {}
    with pytest.raises(ValueError, match="'lam_sweep"):
        JawsConfig(lam_sweep=(1e-3, -1.0))
    with pytest.raises(ValueError, match="'seeds'"):
        JawsConfig(seeds=0)
