import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxdyn.core.simulate import simulate
from jaxdyn.data.cache import cached, config_hash
from jaxdyn.systems.burgers import (
    Burgers,
    cole_hopf_sine,
    grf_initial_condition,
    make_dataset,
    simulate_imex,
)


def _smooth(x):
    return np.sin(2 * np.pi * x) + 0.5 * np.cos(4 * np.pi * x) + 0.3


def test_mean_conserved_to_round_off(key):
    s = Burgers(nu=0.01, N=128)
    u0 = s.initial_state(key) + 0.37
    us = s.solve(u0, [0.25, 0.5, 1.0], dt=1e-3)
    assert np.max(np.abs(us.mean(-1) - u0.mean())) < 1e-14
    assert np.all(np.isfinite(us))


def test_spectral_convergence_under_refinement():
    ref = Burgers(nu=0.05, N=256)
    u_ref = ref.solve(_smooth(ref.x), [0.5], dt=1e-3)[-1]
    errs = {}
    for n in (16, 32, 64):
        s = Burgers(nu=0.05, N=n)
        u = s.solve(_smooth(s.x), [0.5], dt=1e-3)[-1]
        errs[n] = float(np.max(np.abs(u - u_ref[:: 256 // n])))
    # Exponential convergence: each doubling gains orders of magnitude, to round-off.
    assert errs[16] > 1e-5
    assert errs[16] / errs[32] > 500
    assert errs[64] < 1e-13


@pytest.mark.parametrize("nu, n, tol", [(0.1, 64, 1e-11), (0.01, 512, 1e-9)])
def test_cole_hopf_exact_solution(nu, n, tol):
    s = Burgers(nu=nu, N=n)
    us = s.solve(np.sin(2 * np.pi * s.x), [0.1, 0.3], dt=5e-4)
    for i, t in enumerate((0.1, 0.3)):
        exact = cole_hopf_sine(s.x, t, nu)
        assert np.max(np.abs(us[i] - exact)) < tol


def test_cole_hopf_series_at_t0_is_the_initial_condition():
    x = np.linspace(0, 1, 50, endpoint=False)
    assert np.allclose(cole_hopf_sine(x, 0.0, 0.05, amplitude=0.7), 0.7 * np.sin(2 * np.pi * x))


def test_drift_and_imex_agree_with_etdrk4():
    s = Burgers(nu=0.1, N=32)
    u0 = _smooth(s.x)
    ref = s.solve(u0, [0.2], dt=1e-3)[-1]
    explicit = simulate(s, 0.2, y0=jnp.asarray(u0), rtol=1e-10, atol=1e-12).ys[-1]
    assert np.max(np.abs(explicit - ref)) < 1e-8
    imex = simulate_imex(s, u0, [0.2], dt=1e-3)[-1]
    assert np.max(np.abs(imex - ref)) < 1e-6


def test_grf_covariance_and_zero_mean():
    n = 64
    u = grf_initial_condition(jax.random.PRNGKey(1), n, batch=(4000,))
    assert np.max(np.abs(u.mean(-1))) < 1e-14
    k = 2 * np.pi * np.arange(1, n // 2)
    expected_var = np.sum(2 * 625.0 * (k**2 + 25.0) ** -2.0)  # pointwise variance Σ 2λ_m
    # 4000 samples x 64 correlated points: a few percent of sampling error.
    assert abs(float(jnp.var(u)) / expected_var - 1) < 0.05
    u2 = grf_initial_condition(jax.random.PRNGKey(1), n, batch=(4000,), amplitude=2.0)
    assert np.allclose(u2, 2 * u)


def test_input_validation():
    with pytest.raises(ValueError, match="'nu'"):
        Burgers(nu=-0.1)
    with pytest.raises(ValueError, match="N must be even"):
        Burgers(nu=0.1, N=33)
    with pytest.raises(ValueError, match="must have last axis N=16"):
        Burgers(nu=0.1, N=16).solve(np.zeros(8), [0.1])
    with pytest.raises(ValueError, match="amplitude"):
        grf_initial_condition(jax.random.PRNGKey(0), 16, amplitude=0.0)


def test_dataset_deterministic_and_cached(tmp_path):
    cfg = dict(seed=3, n_traj=3, nu=0.05, n_solver=64, n_grid=16, dt_save=0.05, n_steps=4)
    calls = []

    def make():
        calls.append(1)
        return make_dataset(**cfg)

    a = cached("burgers-test", cfg, make, directory=tmp_path)
    b = cached("burgers-test", cfg, make, directory=tmp_path)
    assert len(calls) == 1
    assert a["u"].shape == (3, 5, 16)
    np.testing.assert_array_equal(a["u"], b["u"])
    np.testing.assert_array_equal(a["u"], make_dataset(**cfg)["u"])
    # The solution at the model grid is the fine solution subsampled.
    fine = Burgers(nu=0.05, N=64).solve(
        grf_initial_condition(jax.random.split(jax.random.PRNGKey(3), 3)[0], 64), [0.2]
    )
    assert np.max(np.abs(a["u"][0, -1] - fine[-1, ::4])) < 1e-12
    assert config_hash("x", {"a": 0.1}) != config_hash("x", {"a": 0.1000000001})
    assert config_hash("x", {"a": 1, "b": 2}) == config_hash("x", {"b": 2, "a": 1})
    with pytest.raises(TypeError, match="JSON-like"):
        config_hash("x", {"a": object()})


def test_cache_dir_env(monkeypatch, tmp_path):
    from jaxdyn.data.cache import cache_dir

    monkeypatch.setenv("JAXDYN_CACHE", str(tmp_path))
    assert cache_dir() == tmp_path
    monkeypatch.delenv("JAXDYN_CACHE")
    assert cache_dir().parts[-2:] == (".cache", "jaxdyn")
