"""LangevinFlow: the Langevin System in the core, the ELBO gradient, training, checkpoints."""

import dataclasses
import os
from pathlib import Path

import diffrax as dfx
import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxdyn import simulate
from jaxdyn.analysis import spikes as sp
from jaxdyn.data import LorenzSpikesConfig, load_lorenz_spikes
from jaxdyn.experiments.langevin_flow import LangevinFlowConfig
from jaxdyn.models import train
from jaxdyn.models.langevin_flow import (
    LangevinFlow,
    elbo_loss,
    elbo_training,
    kl_warmup,
    make_batch,
    predict_rates,
    with_readout_bias,
)
from jaxdyn.models.potentials import CoupledOscillatorPotential
from jaxdyn.systems.langevin import UnderdampedLangevin


def _energy_drift(system, y0, dt, t1=20.0):
    ts = jnp.linspace(0.0, t1, 41)
    # dt as an array and a common step budget: both step sizes share one compiled solve.
    traj = simulate(
        system,
        t1,
        y0=y0,
        ts=ts,
        dt=jnp.asarray(dt),
        adaptive=False,
        solver=dfx.Heun(),
        key=jax.random.PRNGKey(0),
        max_steps=int(t1 / 0.01) + 2,
    )
    energy = jax.vmap(system.energy)(traj.ys)
    return float(jnp.max(jnp.abs(energy - energy[0])) / jnp.abs(energy[0]))


def test_energy_conserved_without_damping_and_noise():
    """With γ = σ = 0 the flow is Hamiltonian: E = ½|v|² + U(z) is conserved.

    Heun's method is not symplectic, but its energy error on an oscillator of frequency ω
    grows per step by O((ω h)^4), i.e. O(h^3) over a fixed time: at h = 0.01 with
    ω ≤ 2 (plus coupling and MLP terms) over t = 20 (2000 steps, ~6 periods) the drift is
    ~1e-5 relative, so 1e-4 is tight yet safe. Halving h must cut it ~8x (order 3).
    """
    pot = CoupledOscillatorPotential(
        4, key=jax.random.PRNGKey(1), coupling_scale=0.5, mlp_scale=0.3
    )
    system = UnderdampedLangevin(pot, 4, gamma=0.0, sigma=0.0)
    y0 = jax.random.normal(jax.random.PRNGKey(2), (8,))
    fine = _energy_drift(system, y0, 0.01)
    coarse = _energy_drift(system, y0, 0.02)
    assert fine < 1e-4
    assert 5.0 < coarse / fine < 12.0


def test_damping_dissipates_energy():
    # Same shapes as the next test, so diffrax's compiled solve is reused.
    pot = CoupledOscillatorPotential(3, key=jax.random.PRNGKey(1))
    system = UnderdampedLangevin(pot, 3, gamma=0.5, sigma=0.0)
    y0 = jnp.ones(6)
    ys = simulate(
        system,
        2.0,
        y0=y0,
        ts=np.linspace(0.0, 2.0, 11),
        dt=0.05,
        solver=dfx.Heun(),
        key=jax.random.PRNGKey(0),
    ).ys
    energy = np.asarray(jax.vmap(system.energy)(ys))
    assert np.all(np.diff(energy) < 0)
    # dE/dt = -γ|v|²: the energy lost matches the dissipated power integrated (trapezoid).
    v2 = np.sum(np.asarray(ys[:, 3:]) ** 2, axis=1)
    lost = energy[0] - energy[-1]
    assert lost == pytest.approx(0.5 * np.trapezoid(v2, dx=0.2), rel=2e-2)


def test_latent_noise_has_the_langevin_variance():
    """Flat potential, no damping: v(T) - v(0) = σ W(T), so its variance is σ² T.

    The model integrates its latent SDE through ``simulate``; 2000 keys x 3 coordinates
    give the variance to ~2.6 % (one standard error), so 10 % catches a wrong σ or √h.
    """
    model = LangevinFlow(3, 4, 11, key=jax.random.PRNGKey(3), d_latent=3, noise=0.7, dt=0.2)
    model = eqx.tree_at(lambda m: m.potential, model, lambda z: 0.0 * jnp.sum(z))
    model = eqx.tree_at(lambda m: m.raw_gamma, model, jnp.full((3,), -40.0))  # γ ≈ 0
    y0 = jnp.zeros(6)
    keys = jax.random.split(jax.random.PRNGKey(5), 2000)
    ends = jax.vmap(lambda k: model.integrate(y0, k)[-1, 3:])(keys)
    assert float(jnp.var(ends)) == pytest.approx(0.7**2 * 2.0, rel=0.1)
    np.testing.assert_array_equal(model.integrate(y0, keys[0]), model.integrate(y0, keys[0]))


def test_langevin_system_validation():
    pot = CoupledOscillatorPotential(2, key=jax.random.PRNGKey(0))
    with pytest.raises(ValueError, match="'gamma' must lie in"):
        UnderdampedLangevin(pot, 2, gamma=-1.0)
    with pytest.raises(ValueError, match="'sigma' must lie in"):
        UnderdampedLangevin(pot, 2, sigma=-0.1)
    with pytest.raises(ValueError, match="dim"):
        UnderdampedLangevin(pot, 0)
    with pytest.raises(ValueError, match="d_latent"):
        LangevinFlow(2, 3, 5, key=jax.random.PRNGKey(0), d_latent=0)
    with pytest.raises(ValueError, match="'n_heldout'"):
        LangevinFlowConfig(n_heldout=30)
    with pytest.raises(ValueError, match="'dec_width'"):
        LangevinFlowConfig(dec_width=30)
    with pytest.raises(ValueError, match="'cd_rate'"):
        LangevinFlowConfig(cd_rate=0.95)


def _tiny_model(key, **kw):
    return LangevinFlow(3, 4, 6, key=key, d_latent=2, enc_hidden=4, dec_width=8, **kw)


def test_elbo_gradient_matches_finite_differences():
    key = jax.random.PRNGKey(0)
    model = _tiny_model(key, noise=0.3)
    counts = jax.random.poisson(jax.random.PRNGKey(1), 1.0, (2, 6, 4)).astype(jnp.float64)
    x, mask = make_batch(counts, np.arange(3), 4, jax.random.PRNGKey(2), 0.3)
    loss_key = jax.random.PRNGKey(3)
    params, static = eqx.partition(model, eqx.is_inexact_array)
    flat, unravel = jax.flatten_util.ravel_pytree(params)
    assert flat.dtype == jnp.float64

    def f(p):
        return elbo_loss(eqx.combine(unravel(p), static), x, counts, mask, loss_key, 0.5)

    # One compiled function gives both the gradient and the values for the differences.
    value_and_grad = jax.jit(jax.value_and_grad(f))
    grad = value_and_grad(flat)[1]
    f = lambda p: value_and_grad(p)[0]
    rng = np.random.default_rng(0)
    for _ in range(3):
        d = jnp.asarray(rng.normal(size=flat.shape))
        eps = 1e-5
        fd = (f(flat + eps * d) - f(flat - eps * d)) / (2 * eps)
        assert float(grad @ d) == pytest.approx(float(fd), rel=1e-6, abs=1e-10)


@pytest.fixture(scope="module")
def small_data(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("JAXDYN_CACHE", str(tmp_path_factory.mktemp("cache")))
        data = load_lorenz_spikes(n_trials=100, n_bins=30, n_fwd=6, n_neurons=20, n_heldout=5)
        assert len(list(Path(os.environ["JAXDYN_CACHE"]).glob("lorenz_spikes-*.npz"))) == 1
        yield data


def test_lorenz_spikes_deterministic_cached_and_realistic(small_data):
    cfg = small_data.config
    again = load_lorenz_spikes(cfg)  # from the shared cache (or a fresh generation)
    np.testing.assert_array_equal(again.spikes, small_data.spikes)
    fresh = load_lorenz_spikes(cfg, cache=False)  # regenerated from the key
    np.testing.assert_array_equal(fresh.spikes, small_data.spikes)
    assert cfg.hash() != dataclasses.replace(cfg, seed=1).hash()
    hz = small_data.rates / small_data.bin_s
    assert 8.0 < np.median(hz) < 25.0
    assert set(small_data.train) | set(small_data.valid) | set(small_data.test) == set(range(100))
    z = small_data.latents.reshape(-1, 3)
    np.testing.assert_allclose(z.mean(0), 0.0, atol=1e-9)
    np.testing.assert_allclose(z.std(0), 1.0, atol=1e-9)
    with pytest.raises(ValueError, match="n_heldout"):
        LorenzSpikesConfig(n_neurons=5, n_heldout=5)


def _fit(model, data, *, steps, batch_size, eval_every, kl_warmup_steps, key, **train_kw):
    tr, va = data.split("train"), data.split("valid")
    bias = np.log(tr["spikes"].reshape(-1, data.config.n_neurons).mean(0) + 1e-3)
    setup = elbo_training(
        tr["spikes"],
        va["spikes"],
        data.heldin,
        data.heldout,
        data.n_obs,
        key=key,
        steps=steps,
        batch_size=batch_size,
        eval_every=eval_every,
        kl_warmup_steps=kl_warmup_steps,
    )
    return train(model=with_readout_bias(model, bias), progress=False, **setup, **train_kw)


SHORT = dict(steps=60, batch_size=32, eval_every=30, kl_warmup_steps=20, checkpoint_every=1000)


def _tiny_flow(data):
    return LangevinFlow(
        len(data.heldin),
        data.config.n_neurons,
        data.config.n_bins,
        key=jax.random.PRNGKey(0),
        d_latent=4,
        enc_hidden=16,
        dec_width=16,
    )


@pytest.fixture(scope="module")
def short_run(small_data, tmp_path_factory):
    """60 steps of a small LangevinFlow, checkpointed; shared so it compiles once."""
    path = tmp_path_factory.mktemp("ckpt") / "straight"
    return _fit(
        _tiny_flow(small_data),
        small_data,
        key=jax.random.PRNGKey(1),
        checkpoint_dir=path,
        **SHORT,
    )


def _leaves(model):
    return jax.tree_util.tree_leaves(eqx.filter(model, eqx.is_array))


def test_checkpoint_resume_reproduces_training(small_data, short_run, tmp_path):
    """Through the shared loop: an interrupted run resumed from its checkpoint retraces the
    uninterrupted one bit for bit (parameters, best model, losses, validation scores)."""
    kw = dict(key=jax.random.PRNGKey(1), checkpoint_dir=tmp_path / "split", **SHORT)
    first = _fit(_tiny_flow(small_data), small_data, stop_at=25, **kw)
    assert first.step == 25 and (tmp_path / "split" / "meta.json").exists()
    resumed = _fit(_tiny_flow(small_data), small_data, **kw)
    assert resumed.resumed_from == 25
    for a, b in zip(_leaves(short_run.model), _leaves(resumed.model), strict=True):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(_leaves(short_run.best), _leaves(resumed.best), strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(resumed.losses, short_run.losses)
    np.testing.assert_array_equal(
        resumed.metrics["valid"].values, short_run.metrics["valid"].values
    )


def test_elbo_training_schedule_and_validation(small_data, short_run):
    """The KL weight is the linear warm-up; validation runs every eval_every steps and at
    the end, and the kept model is the one with the best validation co-bps."""
    beta = kl_warmup(20)
    np.testing.assert_allclose(
        [float(beta(jnp.asarray(i))) for i in (0, 5, 19, 20, 59)], [0.0, 0.25, 0.95, 1.0, 1.0]
    )
    valid = short_run.metrics["valid"]
    np.testing.assert_array_equal(valid.steps, [30, 60])
    j = int(np.argmax(valid.values))
    assert short_run.best_score == valid.values[j] and short_run.best_step == valid.steps[j]
    va = small_data.split("valid")
    x = va["spikes"][:, : small_data.n_obs][..., small_data.heldin]
    rates = predict_rates(short_run.best, x, jax.random.PRNGKey(1))
    score = sp.co_bps(rates, va["spikes"], small_data.heldout, small_data.n_obs)
    assert score == short_run.best_score
    with pytest.raises(ValueError, match="cd_rate"):
        elbo_training(
            va["spikes"], va["spikes"], [0], [1], 3, key=jax.random.PRNGKey(0), cd_rate=1.0
        )


def _test_co_bps(model, data):
    te = data.split("test")
    rates = predict_rates(
        model, te["spikes"][:, : data.n_obs][..., data.heldin], jax.random.PRNGKey(2)
    )
    co = sp.co_bps(rates, te["spikes"], data.heldout, data.n_obs)
    return co, sp.co_bps(te["rates"], te["spikes"], data.heldout, data.n_obs)


def test_short_training_beats_null(small_data, short_run):
    """60 ELBO steps already put held-out predictions clearly above the null model (0)."""
    co, oracle = _test_co_bps(short_run.best, small_data)
    assert np.mean(short_run.losses[-10:]) < np.mean(short_run.losses[:10])
    assert co > 0.25 * oracle  # measured: 0.39 of the oracle's 0.27 bits/spike


@pytest.mark.slow
def test_training_approaches_oracle(tmp_path):
    """The quick experiment's setting (300 trials, 300 steps) reaches 0.88 of the oracle."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("JAXDYN_CACHE", str(tmp_path))
        data = load_lorenz_spikes()
    model = LangevinFlow(
        len(data.heldin), data.config.n_neurons, data.config.n_bins, key=jax.random.PRNGKey(0)
    )
    res = _fit(
        model,
        data,
        key=jax.random.PRNGKey(1),
        steps=300,
        batch_size=64,
        eval_every=50,
        kl_warmup_steps=100,
    )
    co, oracle = _test_co_bps(res.best, data)
    assert co > 0.8 * oracle


# ---- the experiment's statistics over training seeds and test trials ----


def test_t_interval_matches_scipy():
    import scipy.stats

    from jaxdyn.analysis.stats import t_interval

    x = np.array([0.31, 0.33, 0.30, 0.35, 0.32])
    mean, lo, hi = t_interval(x)
    ref = scipy.stats.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=scipy.stats.sem(x))
    assert mean == pytest.approx(x.mean(), rel=1e-14)
    np.testing.assert_allclose([lo, hi], ref, rtol=1e-12)
    # along an axis, NaNs ignored
    m2, lo2, hi2 = t_interval(np.stack([x, np.append(x[:4], np.nan)]), axis=1)
    assert hi2[1] - lo2[1] > hi2[0] - lo2[0]  # fewer values, wider interval
    with pytest.raises(ValueError, match="two finite"):
        t_interval(np.array([1.0]))
    with pytest.raises(ValueError, match="level"):
        t_interval(x, level=1.5)


def test_seed_zero_keeps_the_single_seed_key():
    from jaxdyn import member_key
    from jaxdyn.experiments.langevin_flow.run import seed_key

    cfg = LangevinFlowConfig(seed=3)
    np.testing.assert_array_equal(seed_key(cfg, 0), jax.random.PRNGKey(3))
    np.testing.assert_array_equal(seed_key(cfg, 2), member_key(jax.random.PRNGKey(3), 2))


def test_trial_bootstrap_of_planted_rates():
    """Identical models differ by exactly 0; the oracle's fraction is 1 for the oracle; a
    spread between seeds widens the two-level interval, not the trials-only one."""
    from jaxdyn.experiments.langevin_flow.run import trial_bootstrap

    rng = np.random.default_rng(0)
    n, bins, neurons, n_obs, heldout = 40, 12, 6, 9, np.array([4, 5])
    truth = np.exp(rng.normal(0.0, 0.5, (n, bins, neurons)))
    te = {"spikes": rng.poisson(truth).astype(float), "rates": truth}
    cfg = LangevinFlowConfig(n_bootstrap=200)
    same = trial_bootstrap(
        cfg,
        {"langevin_flow": [truth, truth], "lfads": [truth, truth]},
        {"smoothing": truth, "oracle": truth},
        te,
        heldout,
        n_obs,
        jax.random.PRNGKey(0),
    )
    for part in ("trials", "two_level"):
        for m in ("co_bps", "fp_bps", "rate_r2"):
            assert same[part]["lf_minus_lfads"][m] == [0.0, 0.0]
        assert same[part]["fraction_of_oracle_co_bps"] == pytest.approx([1.0, 1.0])
        assert same[part]["oracle"]["rate_r2"] == [1.0, 1.0]
    # LFADS seeds: one exact, one distorted; LangevinFlow exact
    blur = truth**0.5 * truth.mean() ** 0.5
    spread = trial_bootstrap(
        cfg,
        {"langevin_flow": [truth, truth], "lfads": [truth, blur]},
        {"smoothing": truth, "oracle": truth},
        te,
        heldout,
        n_obs,
        jax.random.PRNGKey(0),
    )
    lo_t, hi_t = spread["trials"]["lf_minus_lfads"]["rate_r2"]
    lo_2, hi_2 = spread["two_level"]["lf_minus_lfads"]["rate_r2"]
    assert 0 < lo_t <= hi_t and hi_2 - lo_2 > hi_t - lo_t
    assert lo_2 == pytest.approx(0.0, abs=1e-12)  # a resample can pick the exact seed twice
