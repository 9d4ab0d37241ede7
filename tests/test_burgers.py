import dataclasses

import diffrax as dfx
import jax
import jax.numpy as jnp
import numpy as np
import optimistix as optx
import pytest

from jaxdyn import simulate
from jaxdyn.data import BurgersDataConfig, burgers_dataset, cache_path, cached
from jaxdyn.experiments import Config, param
from jaxdyn.systems.burgers import Burgers, cole_hopf_sine, grf_initial_condition, make_dataset


def _smooth(x):
    return np.sin(2 * np.pi * x) + 0.5 * np.cos(4 * np.pi * x) + 0.3


def _solve(system, u0, ts, dt=1e-3):
    """ETDRK4 (simulate's default for a semi-linear system) at ``ts``, batched over u0."""
    ts = np.asarray(ts, float)
    one = lambda u: simulate(system, float(ts[-1]), y0=u, ts=ts, dt=dt).ys
    u0 = jnp.asarray(u0)
    return one(u0) if u0.ndim == 1 else jax.vmap(one)(u0)


def test_mean_conserved_to_round_off(key):
    s = Burgers(nu=0.01, N=128)
    u0 = s.initial_state(key) + 0.37
    us = _solve(s, u0, [0.25, 0.5, 1.0])
    assert np.max(np.abs(us.mean(-1) - u0.mean())) < 1e-14
    assert np.all(np.isfinite(us))


def test_spectral_convergence_under_refinement():
    ref = Burgers(nu=0.05, N=256)
    u_ref = _solve(ref, _smooth(ref.x), [0.5])[-1]
    errs = {}
    for n in (16, 32, 64):
        s = Burgers(nu=0.05, N=n)
        u = _solve(s, _smooth(s.x), [0.5])[-1]
        errs[n] = float(np.max(np.abs(u - u_ref[:: 256 // n])))
    # Exponential convergence: each doubling gains orders of magnitude, to round-off.
    assert errs[16] > 1e-5
    assert errs[16] / errs[32] > 500
    assert errs[64] < 1e-13


@pytest.mark.parametrize("nu, n, tol", [(0.1, 64, 1e-11), (0.01, 512, 1e-9)])
def test_cole_hopf_exact_solution(nu, n, tol):
    s = Burgers(nu=nu, N=n)
    us = _solve(s, np.sin(2 * np.pi * s.x), [0.1, 0.3], dt=5e-4)
    for i, t in enumerate((0.1, 0.3)):
        exact = cole_hopf_sine(s.x, t, nu)
        assert np.max(np.abs(us[i] - exact)) < tol


def test_cole_hopf_series_at_t0_is_the_initial_condition():
    x = np.linspace(0, 1, 50, endpoint=False)
    assert np.allclose(cole_hopf_sine(x, 0.0, 0.05, amplitude=0.7), 0.7 * np.sin(2 * np.pi * x))


def test_diffrax_explicit_and_imex_agree_with_etdrk4():
    s = Burgers(nu=0.1, N=32)
    u0 = jnp.asarray(_smooth(s.x))
    ref = _solve(s, u0, [0.2])[-1]
    explicit = simulate(s, 0.2, y0=u0, solver=dfx.Tsit5(), rtol=1e-10, atol=1e-12).ys[-1]
    assert np.max(np.abs(explicit - ref)) < 1e-8
    # IMEX: explicit advection, implicit diffusion; the implicit stage is linear, so the
    # chord iteration converges at once given tolerances.
    sil3 = dfx.Sil3(root_finder=dfx.VeryChord(rtol=1e-10, atol=1e-12, norm=optx.max_norm))
    imex = simulate(s, 0.2, y0=u0, solver=sil3, dt=1e-3, adaptive=False).ys[-1]
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
    with pytest.raises(ValueError, match="y0 must have the shape"):
        simulate(Burgers(nu=0.1, N=16), 0.1, y0=np.zeros(8))
    with pytest.raises(ValueError, match="amplitude"):
        grf_initial_condition(jax.random.PRNGKey(0), 16, amplitude=0.0)


def test_dataset_deterministic_and_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("JAXDYN_CACHE", str(tmp_path))
    cfg = BurgersDataConfig(
        seed=3, n_traj=3, nu=0.05, n_solver=64, n_grid=16, dt_save=0.05, n_steps=4
    )
    a = burgers_dataset(cfg)
    assert len(list(tmp_path.glob("burgers-*.npz"))) == 1
    b = burgers_dataset(cfg)  # a cache hit
    assert a["u"].shape == (3, 5, 16)
    np.testing.assert_array_equal(a["u"], b["u"])
    kw = {k: getattr(cfg, k) for k in ("n_traj", "nu", "n_solver", "n_grid", "dt_save")}
    direct = make_dataset(3, n_steps=4, dt_solver=cfg.dt_solver, **kw)
    np.testing.assert_array_equal(a["u"], direct["u"])
    # The solution at the model grid is the fine solution subsampled.
    u0 = grf_initial_condition(jax.random.split(jax.random.PRNGKey(3), 3)[0], 64)
    fine = _solve(Burgers(nu=0.05, N=64), u0, [0.2])
    assert np.max(np.abs(a["u"][0, -1] - fine[-1, ::4])) < 1e-12
    with pytest.raises(ValueError, match="multiple of n_grid"):
        BurgersDataConfig(n_solver=64, n_grid=24)


def test_cache_is_keyed_by_the_config_hash(tmp_path):
    @dataclasses.dataclass(frozen=True)
    class Gen(Config):
        a: float = param(0.1, "a number")
        b: tuple[int, ...] = param((1, 2), "some integers")

    calls = []

    def make():
        calls.append(1)
        return {"x": np.arange(3.0)}

    cfg = Gen()
    x = cached("gen", cfg, make, directory=tmp_path)
    y = cached("gen", Gen(a=0.1, b=(1, 2)), make, directory=tmp_path)
    assert len(calls) == 1
    np.testing.assert_array_equal(x["x"], y["x"])
    assert cache_path("gen", cfg, tmp_path).name == f"gen-{cfg.hash()}.npz"
    # Any field, however small the change, makes a new file.
    cached("gen", Gen(a=0.1000000001), make, directory=tmp_path)
    cached("gen", Gen(b=(2, 1)), make, directory=tmp_path)
    assert len(calls) == 3
    assert len(list(tmp_path.glob("gen-*.npz"))) == 3
    with pytest.raises(TypeError, match="Config"):
        cached("gen", {"a": 0.1}, make, directory=tmp_path)
    with pytest.raises(ValueError, match="name"):
        cached("a/b", cfg, make, directory=tmp_path)


def test_cache_dir_env(monkeypatch, tmp_path):
    from jaxdyn.data.cache import cache_dir

    monkeypatch.setenv("JAXDYN_CACHE", str(tmp_path))
    assert cache_dir() == tmp_path
    monkeypatch.delenv("JAXDYN_CACHE")
    assert cache_dir().parts[-2:] == (".cache", "jaxdyn")
