"""The synchronizing ring: exact linear theory, growth exponents, locking threshold, fit."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxdyn import Grid, member_key, simulate, sweep
from jaxdyn.analysis.roughness import (
    columnar_linear_w2,
    ew_linear_w2,
    growth_exponent,
    profile,
    roughness2,
)
from jaxdyn.analysis.sync import (
    frequency_locking,
    frequency_spread,
    is_locked,
    kpz_coupling,
    locked_fraction,
    locking_lower_bound,
    locking_threshold,
    mean_frequencies,
    phase_locked_state,
    phase_slips,
    winding_indices,
)
from jaxdyn.experiments.sync1d import PRESETS, Sync1DConfig, member_disorder
from jaxdyn.systems import Sync1D, Sync1DColumnar, Sync1DNoisy


def _w2_samples(system, t1, ts, n, key, **kw):
    keys = jax.random.split(key, n)
    f = jax.jit(
        jax.vmap(lambda k: simulate(system, t1, key=k, ts=ts, observable=roughness2, **kw).ys)
    )
    return np.asarray(f(keys))


def _check_against_theory(samples, theory):
    """Mean of the samples agrees with theory within 4 standard errors (and 12 %).

    With n samples the standard error is std/√n; a 4σ band fails by chance with
    probability ~1e-4 per time point, while a factor-2 error is many standard errors away.
    """
    mean = samples.mean(axis=0)
    se = samples.std(axis=0, ddof=1) / np.sqrt(samples.shape[0])
    z = np.abs(mean - theory) / se
    assert np.all(z < 4.0), f"z-scores {z}"
    np.testing.assert_allclose(mean, theory, rtol=0.12)
    # the check has power: twice (or half) the theory would be rejected
    assert np.all(np.abs(mean - 2 * theory) / se > 4.0)
    assert np.all(np.abs(mean - 0.5 * theory) / se > 4.0)


def test_white_noise_roughness_matches_exact_linear_theory():
    # σ/√K small: neighbour differences ~ σ/√(2K) = 0.035, so sin x ≈ x to 2e-4.
    L, K, sigma, n = 16, 1.0, 0.05, 256
    ts = np.array([0.2, 1.0, 3.0, 10.0, 20.0])
    system = Sync1D(L=L, K=K, sigma=sigma, a=0.0, randomness="white")
    # Euler-Maruyama biases a mode's variance by λ dt / 2 <= 2 % (fastest mode, λ = 4K)
    w2 = _w2_samples(system, 20.0, jnp.asarray(ts), n, jax.random.PRNGKey(1), dt=0.01)
    _check_against_theory(w2, ew_linear_w2(ts, L, K, sigma))


def test_columnar_roughness_matches_exact_linear_theory():
    # σ √L / K = 0.08: far below the locking threshold and in the linear regime.
    L, K, sigma, n = 16, 1.0, 0.02, 256
    ts = np.array([0.2, 1.0, 3.0, 10.0, 40.0])
    system = Sync1D(L=L, K=K, sigma=sigma, a=0.0, randomness="columnar")
    w2 = _w2_samples(system, 40.0, jnp.asarray(ts), n, jax.random.PRNGKey(2), rtol=1e-8, atol=1e-10)
    _check_against_theory(w2, columnar_linear_w2(ts, L, K, sigma))


def test_ew_growth_exponent_white_noise():
    """β_eff over 1 <= Kt <= 10 at L = 64 is EW (1/4), not KPZ (1/3) or RD (1/2)."""
    L, K, sigma, n = 64, 1.0, 0.2, 32
    ts = np.geomspace(1.0, 10.0, 12)
    system = Sync1D(L=L, K=K, sigma=sigma, a=0.0, randomness="white")
    w = np.sqrt(
        _w2_samples(system, 10.0, jnp.asarray(ts), n, jax.random.PRNGKey(3), dt=0.02).mean(0)
    )
    beta = growth_exponent(ts, w)
    beta_exact = growth_exponent(ts, np.sqrt(ew_linear_w2(ts, L, K, sigma)))
    assert beta == pytest.approx(0.25, abs=0.04)
    assert beta == pytest.approx(beta_exact, abs=0.03)


def test_columnar_ew_growth_exponent():
    """β_eff over 1 <= Kt <= 10 at L = 64 is columnar EW (3/4), not linear growth (1)."""
    L, K, sigma, n = 64, 1.0, 0.01, 16
    ts = np.geomspace(1.0, 10.0, 12)
    system = Sync1D(L=L, K=K, sigma=sigma, a=0.0, randomness="columnar")
    w = np.sqrt(_w2_samples(system, 10.0, jnp.asarray(ts), n, jax.random.PRNGKey(4)).mean(0))
    beta = growth_exponent(ts, w)
    beta_exact = growth_exponent(ts, np.sqrt(columnar_linear_w2(ts, L, K, sigma)))
    assert beta == pytest.approx(0.75, abs=0.07)
    assert beta == pytest.approx(beta_exact, abs=0.03)


# --------------------------------------------------------------------------------- locking


def _drift_residual(omega, K, phi):
    """|θ̇_j - ω̄| for the state built from the differences φ (must vanish when locked)."""
    theta = np.concatenate([[0.0], np.cumsum(phi[:-1])])
    theta_next = np.roll(theta, -1)
    theta_next[-1] = theta[0] + 2 * np.pi * round(phi.sum() / (2 * np.pi))
    d_right = np.roll(theta, -1) - theta
    d_right[-1] = phi[-1]
    d_left = -np.roll(d_right, 1)
    rate = omega + K * (np.sin(d_right) + np.sin(d_left))
    return np.abs(rate - omega.mean()).max()


def test_phase_locked_state_is_a_fixed_point():
    rng = np.random.default_rng(0)
    omega = rng.normal(size=40)
    kc = locking_threshold(omega, winding=0)
    assert locking_lower_bound(omega) <= kc
    assert phase_locked_state(omega, 0.99 * kc) is None
    for K in [1.0001 * kc, 2 * kc]:
        phi = phase_locked_state(omega, K)
        assert abs(phi.sum()) < 1e-9
        assert np.all(np.cos(phi) >= 0)
        assert _drift_residual(omega, K, phi) < 1e-9
    # a twisted (winding 1) state closes the ring with Σφ = 2π and is also a fixed point
    k1 = locking_threshold(omega, winding=1)
    phi1 = phase_locked_state(omega, 1.01 * k1, winding=1)
    assert phi1.sum() == pytest.approx(2 * np.pi, abs=1e-9)
    assert _drift_residual(omega, 1.01 * k1, phi1) < 1e-9
    assert locking_threshold(omega, winding=None) <= min(kc, k1)


def test_locking_threshold_two_oscillator_like_case():
    # ω = (+w, -w, +w, -w ...): S alternates between w and 0, so K_0 = w/2 and the
    # symmetric solution (c = w/(2K)) has Σφ = 0 by symmetry: K_c(m=0) = K_0 = w/2.
    w = 0.8
    omega = np.array([w, -w] * 6)
    assert locking_lower_bound(omega) == pytest.approx(w / 2)
    assert locking_threshold(omega) == pytest.approx(w / 2, rel=1e-8)


def test_ring_locks_above_and_not_below_threshold():
    """Rings at 1.1 K_c lock (all mean frequencies equal); at 0.9 K_c they do not.

    K_c is the exact threshold over all windings: a ring started flat that slips into
    a twisted state locks there, so K_c(m = 0) alone over-estimates the threshold.
    """
    L, t1 = 32, 800.0
    ts = np.linspace(4.0, t1, 200)
    keys = jax.random.split(jax.random.PRNGKey(11), 3)
    Ks, ks = [], []
    for k in keys:
        xi = np.asarray(
            Sync1DColumnar(L=L, K=1.0, sigma=1.0).initial_state(jax.random.split(k)[0])[1]
        )
        kc = locking_threshold(xi, winding=None)
        Ks += [0.9 * kc, 1.1 * kc]
        ks += [k, k]

    def theta(K, k):
        s = Sync1D(L=L, K=K, sigma=1.0, a=0.0, randomness="columnar")
        return simulate(
            s, t1, key=k, ts=jnp.asarray(ts), observable=profile, max_steps=1_000_000
        ).ys

    th = np.asarray(jax.jit(jax.vmap(theta))(jnp.asarray(Ks), jnp.stack(ks)))
    locked = is_locked(ts, th, t1 / 2)
    np.testing.assert_array_equal(locked, [False, True] * 3)
    slips = phase_slips(th[:, 100:])
    assert np.all(slips[1::2] == 0) and np.all(slips[0::2].sum(axis=-1) > 0)
    # the same reductions on JAX arrays (as inside a sweep member) agree
    np.testing.assert_array_equal(np.asarray(is_locked(ts, jnp.asarray(th), t1 / 2)), locked)
    np.testing.assert_array_equal(np.asarray(phase_slips(jnp.asarray(th[:, 100:]))), slips)


def test_slip_and_frequency_helpers():
    ts = np.linspace(0, 10, 11)
    # oscillator 0 runs ahead by two turns over the run: each of its links slips twice
    theta = np.zeros((11, 4))
    theta[:, 0] = np.linspace(0, 4 * np.pi, 11)
    assert phase_slips(theta).sum() == 4
    np.testing.assert_array_equal(winding_indices(theta[-1]), [-2, 0, 0, 2])
    om = mean_frequencies(ts, theta, 5.0)
    np.testing.assert_allclose(om, [2 * np.pi / 5, 0, 0, 0])
    # a full turn of relative phase in the window is more than half a slip: not locked
    assert not is_locked(ts, theta, 5.0)
    assert is_locked(ts, theta * 0 + ts[:, None], 5.0)
    with pytest.raises(ValueError, match="t_start"):
        mean_frequencies(ts, theta, 9.5)


def _wound_ring(windings):
    """Phases (T, L) whose link j = (j, j+1) has winding index windings[t, j] at save t.

    Built from the differences d_j = 2π n_j + small offsets; the last link closes the ring,
    so its winding is minus the sum of the others."""
    windings = np.asarray(windings, dtype=float)
    offsets = 0.3 * np.sin(np.arange(windings.shape[1]))  # well inside (-π, π)
    d = 2 * np.pi * windings + offsets
    return np.concatenate([np.zeros((d.shape[0], 1)), np.cumsum(d, axis=1)], axis=1)


def test_phase_slips_count_known_windings():
    # links 0..3 of a ring of 5; link 4 closes it with winding -(sum of the others)
    n = np.array(
        [
            [0, 0, 0, 0],
            [1, 0, 0, 0],  # link 0 slips once (link 4: once)
            [1, 0, -1, 0],  # link 2 slips backwards (link 4: once more)
            [1, 0, -1, 0],  # nothing
            [-1, 2, 0, 0],  # link 0 by two, link 1 by two, link 2 by one, link 4 by one
        ]
    )
    theta = _wound_ring(n)
    full = np.concatenate([n, -n.sum(axis=1, keepdims=True)], axis=1)
    np.testing.assert_array_equal(winding_indices(theta), full)
    expected = [0, 2, 2, 0, 6]
    np.testing.assert_array_equal(phase_slips(theta), expected)
    # traced, as inside a sweep member: same integer counts, aligned with the saves
    traced = jax.jit(phase_slips)(jnp.asarray(theta))
    assert jnp.issubdtype(traced.dtype, jnp.integer)
    np.testing.assert_array_equal(np.asarray(traced), expected)
    # a global rotation of every phase (all oscillators by whole turns) is no slip
    np.testing.assert_array_equal(phase_slips(theta + 2 * np.pi * np.arange(5)[:, None]), expected)
    # batch axes in front are kept
    assert phase_slips(np.stack([theta, theta])).shape == (2, 5)


def test_locked_fraction_and_spread_exact():
    tol = 0.1
    locked = np.full(8, 1.3)
    np.testing.assert_array_equal(locked_fraction(locked, tol), 1.0)
    # three oscillators off by more than tol around a common frequency: 5/8 locked
    freqs = locked + np.array([0, 0, 0, 0, 0, 0.5, -0.5, 0.5]) - 0.5 * 1 / 8
    assert float(locked_fraction(freqs, tol)) == 5 / 8
    assert float(frequency_spread(freqs)) == pytest.approx(np.std(freqs), abs=1e-15)
    # phases rotating at exactly those frequencies, seen over the second half of a run
    ts = np.linspace(0.0, 20.0, 41)
    traced = jax.jit(lambda th: frequency_locking(ts, th, 10.0))
    for omega, frac in ((locked, 1.0), (freqs, 5 / 8)):
        theta = ts[:, None] * omega[None, :] + np.arange(8)[None, :] * 0.1
        for out in (frequency_locking(ts, theta, 10.0), traced(jnp.asarray(theta))):
            assert float(out["locked_frac"]) == frac
            assert float(out["freq_spread"]) == pytest.approx(np.std(omega), abs=1e-12)
    # half a slip per window is the tolerance: π / 10 for the window [10, 20]
    near = np.zeros(8)
    near[0] = 0.99 * np.pi / 10 * 8 / 7  # deviation from the mean is 0.99 π/10
    theta = ts[:, None] * near[None, :]
    assert float(frequency_locking(ts, theta, 10.0)["locked_frac"]) == 1.0
    theta = ts[:, None] * (near * 1.02)[None, :]
    assert float(frequency_locking(ts, theta, 10.0)["locked_frac"]) == 7 / 8


def test_member_disorder_is_what_the_sweep_members_drew():
    """The columnar frequencies are recovered from member_key + initial_state, not a copy
    of the sweep's key scheme: check against what the members themselves saw."""
    L, seeds, sigma = 8, 3, 0.7
    key = jax.random.PRNGKey(42)
    ring = Sync1D(L=L, K=1.0, sigma=sigma, randomness="columnar")

    def omega(system, k):
        return {"omega": simulate(system, 0.1, key=k, observable=lambda t, y: y[1]).ys[-1]}

    ds = sweep(omega, ring, Grid.product(K=[1.0, 2.0]), key=key, seeds=seeds, progress=False)
    xi = member_disorder(key, seeds, L)
    assert xi.shape == (seeds, L)
    for K in (1.0, 2.0):
        np.testing.assert_allclose(ds["omega"].sel(K=K).values, sigma * xi, rtol=1e-12)
    # distinct seeds draw distinct disorder, and member_key is the sweep's scheme
    assert not np.allclose(xi[0], xi[1])
    init_key, _ = jax.random.split(member_key(key, 2))
    omega_default = Sync1DColumnar(L=L).initial_state(init_key)[1]  # σ = 0.1
    np.testing.assert_allclose(0.1 * xi[2], omega_default, rtol=1e-12)


def test_kpz_coupling_matches_system_methods():
    K, sigma, a = 1.3, 0.4, 0.7
    white = Sync1DNoisy(L=8, K=K, sigma=sigma, a=a)
    col = Sync1DColumnar(L=8, K=K, sigma=sigma, a=a)
    assert kpz_coupling(K, sigma, a, "white") == pytest.approx(float(white.kpz_coupling()))
    assert kpz_coupling(K, sigma, a, "columnar") == pytest.approx(float(col.kpz_coupling()))
    assert kpz_coupling(K, sigma, a, "white") == pytest.approx(2 * a**2 * sigma**2 / K)
    with pytest.raises(ValueError, match="randomness"):
        kpz_coupling(K, sigma, a, "pink")


def test_sync1d_config_presets_and_validation():
    quick = PRESETS["quick"]
    # the quick preset is the old QUICK configuration with its fixed key PRNGKey(2026)
    assert quick.seed == 2026
    assert (quick.L, quick.K, quick.sigma, quick.a, quick.seeds, quick.t1) == (
        64,
        (0.25, 0.5, 1.0, 2.0, 4.0),
        (0.05, 0.1, 0.2, 0.4, 0.8),
        (0.0, 4.0),
        10,
        200.0,
    )
    assert (quick.alpha_L, quick.lock_L, quick.fit_L, quick.fit_steps) == (
        (16, 32, 64),
        32,
        16,
        100,
    )
    assert all(0.0 in cfg.a for cfg in PRESETS.values())
    with pytest.raises(ValueError, match="'a' must include 0"):
        Sync1DConfig(a=(1.0, 4.0))
    with pytest.raises(ValueError, match="'L'"):
        Sync1DConfig(L=2)
    with pytest.raises(ValueError, match="'dt_white'"):
        Sync1DConfig(dt_white=0.0)
    with pytest.raises(ValueError, match="'alpha_L"):
        Sync1DConfig(alpha_L=(16, 2))


def test_sync1d_validation():
    with pytest.raises(ValueError, match="randomness"):
        Sync1D(randomness="pink")
    with pytest.raises(ValueError, match="'K'"):
        Sync1D(K=-1.0)
    with pytest.raises(ValueError, match="L must lie"):
        Sync1D(L=2)


# ------------------------------------------------------------------------------ slow physics


@pytest.mark.slow
def test_kpz_growth_exponent_white_noise():
    """Strong non-oddity with white noise: β_eff ≈ 1/3 (KPZ), clearly above EW's 1/4.

    g = 2 a² σ² / K = 1.6 at L = 256. (At g ≈ 3, e.g. a = 4, β_eff overshoots to ~0.42
    before saturation: a strong-coupling transient, see docs/sync1d.md.)
    """
    L, K, sigma, a, n = 256, 1.0, 0.3, 3.0, 32
    ts = np.geomspace(2.0, 50.0, 14)
    system = Sync1D(L=L, K=K, sigma=sigma, a=a, randomness="white")
    w = np.sqrt(
        _w2_samples(system, 50.0, jnp.asarray(ts), n, jax.random.PRNGKey(5), dt=0.02).mean(0)
    )
    beta = growth_exponent(ts, w)
    beta_ew = growth_exponent(ts, np.sqrt(ew_linear_w2(ts, L, K, sigma)))
    assert beta == pytest.approx(1 / 3, abs=0.04)
    assert beta - beta_ew > 0.05


@pytest.mark.slow
def test_kpz_roughness_exponent_white_noise():
    """Saturated KPZ width grows as L^(1/2)."""
    from jaxdyn.analysis.roughness import roughness_exponent

    K, sigma, a, n = 1.0, 0.3, 4.0, 16
    wsat = []
    sizes = [16, 32, 64]
    for L in sizes:
        t1 = 3.0 * L**2 / (4 * np.pi**2 * K)
        ts = np.linspace(t1 / 2, t1, 20)
        system = Sync1D(L=L, K=K, sigma=sigma, a=a, randomness="white")
        w2 = _w2_samples(system, t1, jnp.asarray(ts), n, jax.random.PRNGKey(6), dt=0.02)
        wsat.append(np.sqrt(w2.mean()))
    assert roughness_exponent(sizes, wsat) == pytest.approx(0.5, abs=0.1)


@pytest.mark.slow
def test_fit_recovers_coupling_and_nonoddity():
    from jaxdyn.experiments.sync1d import fit_demo

    res = fit_demo(PRESETS["quick"], jax.random.PRNGKey(3))
    assert res["K_fit"] == pytest.approx(res["K_true"], abs=0.02)
    assert res["a_fit"] == pytest.approx(res["a_true"], abs=0.02)
    assert res["history"][-1] < 1e-3 * res["history"][0]
