"""Paper 10: delayed replicator Hopf threshold and the agent-based repression model."""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxdyn import Grid, simulate, sweep
from jaxdyn.analysis.stability import (
    fit_hopf_amplitude,
    linear_dde_onset,
    linear_dde_rightmost_root,
    oscillation_amplitude,
    oscillation_period,
)
from jaxdyn.systems import RepressionABM, runaway_observables, small_world
from jaxdyn.systems.replicator import DelayedReplicator, alarm


def run_abm(model, key, steps):
    """Per-step radical fraction and the final runaway flag and time of one ABM run."""
    ys = simulate(
        model, float(steps), key=key, ts=np.arange(1.0, steps + 1.0), observable=runaway_observables
    ).ys
    return {
        "radical": ys["radical"],
        "runaway": ys["runaway"][-1],
        "runaway_time": ys["runaway_time"][-1],
    }


def test_closed_form_threshold():
    sys = DelayedReplicator(b=0.8, c=2.0, k=8.0, theta=0.5)
    xs = sys.equilibrium()
    assert float(alarm(xs, sys.k, sys.theta)) == pytest.approx(0.4, abs=1e-14)
    # Linearisation: no instantaneous term, lagged coefficient -A.
    d_now = jax.grad(lambda y: sys.drift(0.0, y, jnp.stack([xs])))(xs)
    d_lag = jax.grad(lambda u: sys.drift(0.0, xs, jnp.stack([u])))(xs)
    assert abs(float(d_now)) < 1e-14
    assert float(-d_lag) == pytest.approx(float(sys.linear_gain()), rel=1e-12)
    tau_c, omega = linear_dde_onset(0.0, float(sys.linear_gain()))
    assert float(sys.critical_delay()) == pytest.approx(float(tau_c), rel=1e-12)
    assert float(sys.onset_period()) == pytest.approx(4 * float(tau_c), rel=1e-12)
    # The rightmost characteristic root crosses the imaginary axis at τ_c with frequency A.
    a = float(sys.linear_gain())
    root = linear_dde_rightmost_root(0.0, a, float(tau_c))
    assert abs(root.real) < 1e-10 and abs(root.imag) == pytest.approx(a, rel=1e-10)
    assert linear_dde_rightmost_root(0.0, a, 0.95 * float(tau_c)).real < 0
    assert linear_dde_rightmost_root(0.0, a, 1.05 * float(tau_c)).real > 0


def test_linear_dde_onset_general():
    # α != 0: ω = sqrt(β² - α²), τ_c = arccos(-α/β)/ω; stable for all delays if β <= |α|.
    tau_c, omega = linear_dde_onset(0.5, 1.0)
    assert float(omega) == pytest.approx(np.sqrt(0.75))
    assert float(tau_c) == pytest.approx(np.arccos(-0.5) / np.sqrt(0.75))
    root = linear_dde_rightmost_root(0.5, 1.0, float(tau_c))
    assert abs(root.real) < 1e-10
    assert np.isinf(linear_dde_onset(1.0, 0.5)[0])
    with pytest.raises(ValueError, match="alpha \\+ beta > 0"):
        linear_dde_onset(-1.0, 0.5)


def test_invalid_replicator_parameters():
    with pytest.raises(ValueError, match="need b < c"):
        DelayedReplicator(b=2.0, c=1.0)
    with pytest.raises(ValueError, match="must lie in \\(0, 1\\)"):
        DelayedReplicator(b=0.1, c=2.0, k=1.0, theta=0.5)
    with pytest.raises(ValueError, match="'theta' must lie in"):
        DelayedReplicator(theta=1.5)


def test_onset_matches_simulation_across_steepness(key):
    """Stable 4% below τ_c, oscillating 4% above, for two steepnesses (delay as grid axis)."""
    base = DelayedReplicator()
    ks = np.array([8.0, 16.0])
    tcs = np.array([float(eqx.tree_at(lambda s: s.k, base, k).critical_delay()) for k in ks])
    factors = np.array([0.96, 1.04])
    grid = Grid.points(k=np.repeat(ks, 2), tau=(tcs[:, None] * factors[None, :]).ravel())
    ts = np.arange(1000.0, 1200.0 + 1e-9, 0.25)

    def member(sys, k):
        traj = simulate(sys, 1200.0, ts=ts, dt=0.05, max_delay=2.0, overlap_iters=0)
        return {"amp": 0.5 * (jnp.max(traj.ys) - jnp.min(traj.ys)), "status": traj.status}

    ds = sweep(member, base, grid, key=key, progress=False)
    assert np.all(ds["status"].values == 0)
    amp = ds["amp"].values[:, 0].reshape(2, 2)
    assert np.all(amp[:, 0] < 1e-4), amp  # from 0.02 the perturbation has died out
    assert np.all(amp[:, 1] > 0.04), amp  # a limit cycle of finite amplitude


@pytest.mark.slow
def test_supercritical_sqrt_law_and_onset_period():
    sys = DelayedReplicator()
    tc = float(sys.critical_delay())
    factors = np.array([1.01, 1.02, 1.04, 1.06, 1.08, 1.1])
    t1 = 3000.0
    ts = np.arange(t1 - 400.0, t1 + 1e-9, 0.25)

    def run(tau):
        s = eqx.tree_at(lambda m: m.tau, sys, tau)
        return simulate(s, t1, ts=ts, dt=0.05, max_delay=2.0, overlap_iters=0).ys

    ys = np.asarray(jax.jit(jax.vmap(run))(jnp.asarray(tc * factors)))
    amp = oscillation_amplitude(ys, axis=1)
    fit = fit_hopf_amplitude(tc * factors, amp, mu_c=tc)
    assert fit["mu_onset"] == pytest.approx(tc, rel=0.01)
    assert fit["exponent"] == pytest.approx(0.5, abs=0.05)
    periods = np.array([oscillation_period(ts, y) for y in ys])
    # Extrapolate the period to τ_c: it must equal 2π/ω = 4 τ_c.
    p_onset = np.polyval(np.polyfit(tc * factors, periods, 1), tc)
    assert p_onset == pytest.approx(float(sys.onset_period()), rel=0.01)


def test_small_world_graph(key):
    nb = np.asarray(small_world(key, 50, 6, 0.0))
    ring = (np.arange(50)[:, None] + np.array([1, 2, 3, -1, -2, -3])) % 50
    np.testing.assert_array_equal(nb, ring)
    nb = np.asarray(small_world(key, 240, 6, 0.3))
    assert nb.shape == (240, 6)
    assert not np.any(nb == np.arange(240)[:, None])  # no self-loops
    frac = np.mean(nb != (np.arange(240)[:, None] + np.array([1, 2, 3, -1, -2, -3])) % 240)
    assert 0.2 < frac < 0.4


def test_runaway_detection_is_exact(key):
    # Everyone radical and peer benefit above any punishment: r = 1 at every step, so the
    # runaway is detected at the end of the first window.
    m = RepressionABM("reactive", 3.0, peer=2.0, initial_radical=1.0)
    out = run_abm(m, key, 60)
    assert float(out["runaway"]) == 1.0
    assert int(out["runaway_time"]) == m.runaway_window - 1
    np.testing.assert_allclose(np.asarray(out["radical"]), 1.0)


def test_fixed_policy_ignores_delay(key):
    m = RepressionABM("fixed", 20.0)
    out = run_abm(m, key, 300)
    assert float(out["runaway"]) == 0.0
    assert float(jnp.mean(out["radical"][50:])) == pytest.approx(float(m.p_fixed), abs=0.02)


def test_reactive_runaway_needs_delay():
    keys = jax.random.split(jax.random.PRNGKey(1), 8)
    m = RepressionABM("reactive")

    def rate(delay):
        run = lambda k: run_abm(eqx.tree_at(lambda s: s.delay, m, delay), k, 400)["runaway"]
        return jax.vmap(run)(keys).mean()

    rates = np.asarray(jax.jit(jax.vmap(rate))(jnp.array([0.0, 12.0])))
    assert rates[0] == 0.0
    assert rates[1] >= 0.875


def test_abm_bad_inputs():
    with pytest.raises(ValueError, match="architecture must be one of"):
        RepressionABM("greedy")
    with pytest.raises(ValueError, match="'delay' must lie in \\[0, max_delay=32\\]"):
        RepressionABM("reactive", 40.0)
    with pytest.raises(ValueError, match="'revision' must lie in"):
        RepressionABM("reactive", revision=1.5)


@pytest.mark.slow
def test_architecture_hierarchy():
    """Paper 10: fixed 0% runaway, reactive ~96% from moderate delays, Q-learning partial."""
    keys = jax.random.split(jax.random.PRNGKey(0), 48)

    def rates(arch, delays):
        m = RepressionABM(arch)
        run = lambda d, k: run_abm(eqx.tree_at(lambda s: s.delay, m, d), k, 800)["runaway"]
        f = jax.vmap(lambda d: jax.vmap(lambda k: run(d, k))(keys).mean())
        return np.asarray(jax.jit(f)(jnp.asarray(delays, dtype=float)))

    assert np.all(rates("fixed", [0, 8, 20]) == 0.0)
    reactive = rates("reactive", [2, 8, 20])
    q = rates("qlearning", [2, 8, 20])
    assert reactive[0] < 0.1 and np.all(reactive[1:] >= 0.9)
    assert q[0] < 0.1 and q[1] < 0.5 and 0.4 <= q[2] <= 0.9
    assert np.all(q[1:] < reactive[1:])
