"""Roughness analysis: exponents on synthetic power laws, exact linear theory."""

import numpy as np
import pytest
import scipy.linalg

from jaxdyn.analysis.roughness import (
    columnar_linear_w2,
    columnar_linear_w2_sat,
    ew_linear_w2,
    ew_linear_w2_sat,
    excess_kurtosis,
    growth_exponent,
    growth_window,
    is_saturated,
    local_slopes,
    power_law_fit,
    profile,
    roughness2,
    roughness_exponent,
    saturation_time,
    saturation_value,
    skewness,
    width,
)
from jaxdyn.analysis.stability import fit_hopf_amplitude


@pytest.mark.parametrize("beta", [0.25, 1 / 3, 0.5, 0.75, 1.0])
def test_local_slopes_exact_on_power_law(beta):
    t = np.geomspace(0.1, 1e3, 33)
    w = 2.7 * t**beta
    np.testing.assert_allclose(local_slopes(t, w), beta, rtol=0, atol=1e-12)
    assert growth_exponent(t, w) == pytest.approx(beta, abs=1e-12)
    # a window selects only part of a broken power law
    w2 = np.where(t < 10, t**beta, 10**beta * (t / 10) ** 0.1)
    assert growth_exponent(t, w2, t_max=9.0) == pytest.approx(beta, abs=1e-12)
    assert growth_exponent(t, w2, t_min=11.0) == pytest.approx(0.1, abs=1e-12)


def test_local_slopes_batched_and_bad_input():
    t = np.geomspace(1, 100, 9)
    w = np.stack([t**0.5, t**0.25])
    np.testing.assert_allclose(local_slopes(t, w), [[0.5] * 9, [0.25] * 9], atol=1e-12)
    with pytest.raises(ValueError, match="positive times"):
        local_slopes(np.linspace(0, 1, 5), np.ones(5))
    with pytest.raises(ValueError, match="length"):
        local_slopes(t, np.ones(4))


def test_roughness_exponent_and_power_law_fit():
    sizes = np.array([16, 32, 64, 128, 256])
    assert roughness_exponent(sizes, 0.3 * sizes**0.5) == pytest.approx(0.5, abs=1e-12)
    p, c = power_law_fit(sizes, 0.3 * sizes**1.5)
    assert (p, c) == (pytest.approx(1.5, abs=1e-12), pytest.approx(0.3, rel=1e-10))


def test_power_law_fit_is_exact_and_skips_unusable_points():
    x = np.geomspace(0.01, 100.0, 9)
    for p_true, c_true in ((-0.7, 2.0), (1 / 3, 0.05), (2.5, 7.0)):
        p, c = power_law_fit(x, c_true * x**p_true)
        assert p == pytest.approx(p_true, abs=1e-12)
        assert c == pytest.approx(c_true, rel=1e-12)
    # non-finite and non-positive points are dropped, not fitted
    y = 3.0 * x**0.25
    y[[1, 4, 6]] = [np.nan, -1.0, 0.0]
    assert power_law_fit(x, y)[0] == pytest.approx(0.25, abs=1e-12)
    x_bad = x.copy()
    x_bad[2] = np.inf
    assert power_law_fit(x_bad, 3.0 * x**0.25)[0] == pytest.approx(0.25, abs=1e-12)
    # fewer than two usable points: no fit
    assert np.isnan(power_law_fit([1.0, 2.0], [1.0, np.nan])).all()


def test_hopf_amplitude_fit_uses_the_one_power_law_fit():
    # an exact supercritical branch A = C (μ - μ_c)^(1/2): A² is linear, onset exact
    mu_c, C = 1.7, 0.8
    mu = mu_c + np.array([0.01, 0.02, 0.05, 0.1, 0.2])
    res = fit_hopf_amplitude(mu, C * np.sqrt(mu - mu_c))
    assert res["mu_onset"] == pytest.approx(mu_c, abs=1e-12)
    assert res["slope_a2"] == pytest.approx(C**2, rel=1e-10)
    assert res["exponent"] == pytest.approx(0.5, abs=1e-10)
    assert res["prefactor"] == pytest.approx(C, rel=1e-9)
    # a point below onset (amplitude 0) is ignored; the closed-form μ_c can be imposed
    res = fit_hopf_amplitude(np.r_[mu_c - 0.1, mu], np.r_[0.0, C * (mu - mu_c) ** 0.5], mu_c=mu_c)
    assert res["exponent"] == pytest.approx(0.5, abs=1e-10)


def test_skewness_of_known_profiles(key):
    import jax
    import jax.numpy as jnp

    # a two-level profile with a fraction p of sites raised: skewness (1 - 2p)/sqrt(p(1 - p))
    for n_up, L in ((1, 4), (3, 12), (5, 8)):
        h = np.zeros(L)
        h[:n_up] = 2.5
        p = n_up / L
        assert skewness(h) == pytest.approx((1 - 2 * p) / np.sqrt(p * (1 - p)), rel=1e-12)
        assert skewness(-h) == pytest.approx(-skewness(h), rel=1e-12)
    # symmetric and flat profiles have none
    assert skewness(np.array([-1.0, 0.0, 1.0, 0.0])) == pytest.approx(0.0, abs=1e-15)
    assert skewness(np.full(6, 3.0)) == 0.0  # exactly flat (a mean without roundoff)
    assert float(jax.jit(skewness)(jnp.zeros(6))) == 0.0
    # shift- and scale-invariant; batched over leading axes; the same in JAX, traced
    h = np.asarray(jax.random.normal(key, (3, 40))) ** 2
    s = skewness(h)
    assert s.shape == (3,)
    np.testing.assert_allclose(skewness(4.0 * h + 7.0), s, rtol=1e-10)
    np.testing.assert_allclose(np.asarray(jax.jit(skewness)(jnp.asarray(h))), s, rtol=1e-12)
    # as an observable on a (theta, omega) state it reduces theta
    assert skewness(0.0, (h[0], h[1])) == pytest.approx(s[0], rel=1e-12)


def test_profile_and_growth_window():
    theta, omega = np.arange(5.0), np.ones(5)
    np.testing.assert_array_equal(profile(0.0, (theta, omega)), theta)
    np.testing.assert_array_equal(profile(0.0, theta), theta)
    np.testing.assert_array_equal(profile(theta), theta)
    t = np.geomspace(0.01, 1000.0, 51)  # ten points per decade
    sel = growth_window(t, 2.0)
    np.testing.assert_array_equal(t[sel], t[(t >= 0.5) & (t <= 5.0)])
    assert sel.sum() == 10
    # a saturated width cuts the window at t_sat / 3
    np.testing.assert_array_equal(t[growth_window(t, 2.0, t_sat=6.0)], t[(t >= 0.5) & (t <= 2.0)])
    np.testing.assert_array_equal(growth_window(t, 2.0, t_sat=np.nan), sel)
    with pytest.raises(ValueError, match="K must be positive"):
        growth_window(t, 0.0)


def test_saturation_value_and_time():
    # Family-Vicsek-like crossover: W = min(t^β, W_sat) with a sharp corner at t_x
    t = np.geomspace(0.01, 1e4, 400)
    beta, wsat = 0.5, 10.0
    w = np.minimum(t**beta, wsat)
    assert saturation_value(t, w) == pytest.approx(wsat)
    t_x = wsat ** (1 / beta)
    assert saturation_time(t, w, frac=0.9) == pytest.approx((0.9 * wsat) ** (1 / beta), rel=1e-6)
    assert saturation_time(t, w, frac=1.0) == pytest.approx(t_x, rel=1e-2)
    assert is_saturated(t, w)
    assert not is_saturated(t, t**beta)


def test_roughness2_is_spatial_variance_and_observable(key):
    import jax

    h = np.asarray(jax.random.normal(key, (3, 50)))
    np.testing.assert_allclose(roughness2(h), h.var(axis=-1), rtol=1e-12)
    # as an observable on a (theta, omega) tuple state it reduces theta
    np.testing.assert_allclose(roughness2(0.0, (h[0], h[1])), h[0].var(), rtol=1e-12)
    # the same reduction traced (as a simulate observable) and on saved (T, L) phases
    np.testing.assert_allclose(np.asarray(jax.jit(roughness2)(h)), h.var(axis=-1), rtol=1e-12)
    np.testing.assert_allclose(roughness2(h[None]), h.var(axis=-1)[None], rtol=1e-12)
    np.testing.assert_allclose(width(h**2, axis=0), np.sqrt((h**2).mean(axis=0)))


def _laplacian(L, K):
    m = 2 * np.eye(L) - np.roll(np.eye(L), 1, axis=0) - np.roll(np.eye(L), -1, axis=0)
    return K * m


@pytest.mark.parametrize("L", [5, 12])
def test_linear_theory_against_matrix_solution(L):
    """The Fourier sums equal tr(P C(t) P)/L from the matrix solution of the linear SDE/ODE."""
    K, sigma = 0.7, 1.3
    M = _laplacian(L, K)
    P = np.eye(L) - np.ones((L, L)) / L
    Mp = np.linalg.pinv(M)
    for t in [0.05, 0.7, 3.0, 40.0]:
        e = scipy.linalg.expm(-M * t)
        e2 = scipy.linalg.expm(-2 * M * t)
        # white noise: C = σ² ∫_0^t e^{-2Ms} ds = σ² M⁺ (I - e^{-2Mt}) / 2 on the zero-mean subspace
        c_white = sigma**2 * P @ Mp @ (np.eye(L) - e2) @ P / 2
        assert ew_linear_w2(t, L, K, sigma) == pytest.approx(np.trace(c_white) / L, rel=1e-10)
        # columnar: θ = (∫_0^t e^{-Ms} ds) ω, whose zero-mean part is M⁺ (I - e^{-Mt}) P ω
        A = Mp @ (np.eye(L) - e) @ P
        c_col = sigma**2 * A @ A.T
        assert columnar_linear_w2(t, L, K, sigma) == pytest.approx(np.trace(c_col) / L, rel=1e-10)


@pytest.mark.parametrize("L", [3, 8, 64, 333])
def test_linear_theory_saturation_closed_forms(L):
    K, sigma = 1.7, 0.4
    assert ew_linear_w2(1e8, L, K, sigma) == pytest.approx(ew_linear_w2_sat(L, K, sigma), rel=1e-9)
    assert columnar_linear_w2(1e9, L, K, sigma) == pytest.approx(
        columnar_linear_w2_sat(L, K, sigma), rel=1e-9
    )


def test_alpha_from_exact_saturation():
    sizes = np.array([128, 256, 512, 1024])
    w_ew = np.sqrt([ew_linear_w2_sat(L, 1.0, 1.0) for L in sizes])
    w_col = np.sqrt([columnar_linear_w2_sat(L, 1.0, 1.0) for L in sizes])
    # finite-size corrections (L² - 1)/L², (L² + 11)/L² shift the slopes by < 1e-3 here
    assert roughness_exponent(sizes, w_ew) == pytest.approx(0.5, abs=1e-3)
    assert roughness_exponent(sizes, w_col) == pytest.approx(1.5, abs=1e-3)


def test_early_time_limits_of_linear_theory():
    # t << 1/K: random deposition W² = σ² t (L-1)/L and linear growth W² = σ² t² (L-1)/L
    L, K, sigma, t = 32, 1.0, 0.5, 1e-6
    assert ew_linear_w2(t, L, K, sigma) == pytest.approx(sigma**2 * t * (L - 1) / L, rel=1e-5)
    assert columnar_linear_w2(t, L, K, sigma) == pytest.approx(
        sigma**2 * t**2 * (L - 1) / L, rel=1e-5
    )


def test_excess_kurtosis_of_known_profiles(key):
    import jax
    import jax.numpy as jnp

    # two-level profile with a fraction p raised: Bernoulli excess kurtosis (1 - 6p(1-p))/(p(1-p))
    for n_up, L in ((1, 4), (3, 12), (4, 8)):
        h = np.zeros(L)
        h[:n_up] = -1.7
        p = n_up / L
        q = p * (1 - p)
        assert excess_kurtosis(h) == pytest.approx((1 - 6 * q) / q, rel=1e-12)
    assert excess_kurtosis(np.full(5, 2.0)) == 0.0
    # Gaussian and uniform samples: 0 and -6/5 within sampling error (n = 200 000)
    g = np.asarray(jax.random.normal(key, (200_000,)), dtype=float)
    assert excess_kurtosis(g) == pytest.approx(0.0, abs=0.05)
    u = np.asarray(jax.random.uniform(key, (200_000,)), dtype=float)
    assert excess_kurtosis(u) == pytest.approx(-1.2, abs=0.02)
    # traced, batched and shift/scale invariant
    h = np.asarray(jax.random.normal(key, (3, 40))) ** 2
    k = np.asarray(jax.jit(excess_kurtosis)(jnp.asarray(h)))
    np.testing.assert_allclose(k, excess_kurtosis(3.0 * h - 1.0), rtol=1e-4)
