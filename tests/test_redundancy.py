"""Synchronization and redundancy (paper 13): graphs, exact quadratic theory, bounds."""

from functools import partial

import diffrax as dfx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.linalg

from jaxdyn import Grid, simulate, sweep
from jaxdyn.analysis.averages import burn_in_saves, time_average
from jaxdyn.analysis.graphs import (
    algebraic_connectivity,
    check_laplacian,
    complete_laplacian,
    erdos_renyi_laplacian,
    graph_laplacian,
    is_connected,
    laplacian_spectrum,
    path_laplacian,
    random_regular_laplacian,
    ring_laplacian,
    star_laplacian,
)
from jaxdyn.systems.redundancy import (
    LogisticRegression,
    Quadratic,
    RedundantGradientNetwork,
    contraction_bounds,
    errors,
    logistic_data,
    quadratic_theory,
)

H_GENERAL = jnp.array([[1.0, 0.3], [0.3, 2.0]])


def time_averaged_errors(system, key, *, t_burn, t_avg, dt, every, solver=None):
    """Start at the optimum, burn in, time-average the errors over saves on the step grid
    (Heun by default: for additive noise its stationary bias is only O((a dt)²))."""
    t1, ts = burn_in_saves(dt, t_burn, t_avg, every)
    traj = simulate(
        system,
        t1,
        key=key,
        ts=ts,
        dt=dt,
        solver=solver or dfx.Heun(),
        observable=lambda t, y: errors(y, system.objective.x_star),
    )
    return {**time_average(traj), "status": traj.status}


# ----------------------------------------------------------------------------- graphs


@pytest.mark.parametrize("n", [3, 6, 7])
def test_ring_spectrum(n):
    lam = np.asarray(laplacian_spectrum(ring_laplacian(n))[0])
    exact = np.sort(2 - 2 * np.cos(2 * np.pi * np.arange(n) / n))
    np.testing.assert_allclose(lam, exact, atol=1e-12)


@pytest.mark.parametrize("n", [2, 5, 9])
def test_complete_spectrum(n):
    lam = np.asarray(laplacian_spectrum(complete_laplacian(n))[0])
    np.testing.assert_allclose(lam, [0.0] + [n] * (n - 1), atol=1e-12)


@pytest.mark.parametrize("n", [3, 6])
def test_star_and_path_spectra(n):
    lam = np.asarray(laplacian_spectrum(star_laplacian(n))[0])
    np.testing.assert_allclose(lam, [0.0] + [1.0] * (n - 2) + [n], atol=1e-12)
    lam = np.asarray(laplacian_spectrum(path_laplacian(n))[0])
    np.testing.assert_allclose(lam, 2 - 2 * np.cos(np.pi * np.arange(n) / n), atol=1e-12)
    assert float(algebraic_connectivity(star_laplacian(n))) == pytest.approx(1.0)


def test_random_graphs_reproducible_and_valid(key):
    a = erdos_renyi_laplacian(key, 12, 0.3)
    np.testing.assert_array_equal(a, erdos_renyi_laplacian(key, 12, 0.3))
    assert not np.array_equal(a, erdos_renyi_laplacian(jax.random.PRNGKey(1), 12, 0.3))
    check_laplacian(a)
    assert is_connected(a) and float(algebraic_connectivity(a)) > 1e-9
    np.testing.assert_array_equal(erdos_renyi_laplacian(key, 6, 1.0), complete_laplacian(6))
    r = random_regular_laplacian(key, 10, 3)
    check_laplacian(r)
    np.testing.assert_array_equal(np.diag(r), np.full(10, 3.0))
    assert set(np.unique(r - np.diag(np.diag(r)))) <= {0.0, -1.0}
    assert is_connected(r)
    # an edgeless graph is disconnected: two zero eigenvalues
    assert not is_connected(erdos_renyi_laplacian(key, 5, 1e-9, connected=False))
    with pytest.raises(ValueError, match="even"):
        random_regular_laplacian(key, 7, 3)
    with pytest.raises(ValueError, match="unknown graph"):
        graph_laplacian("torus", 5)
    with pytest.raises(ValueError, match="key"):
        graph_laplacian("erdos_renyi", 5)


@pytest.mark.parametrize(
    "bad, match",
    [
        (np.array([[1.0, -1.0], [0.0, 0.0]]), "symmetric"),
        (np.array([[-1.0, 1.0], [1.0, -1.0]]), "non-positive off-diagonal"),
        (np.array([[2.0, -1.0], [-1.0, 1.0]]), "sum to zero"),
        (np.ones((2, 3)), "square"),
        (np.array([[np.nan, 0.0], [0.0, 0.0]]), "finite"),
    ],
)
def test_check_laplacian_rejects(bad, match):
    with pytest.raises(ValueError, match=match):
        check_laplacian(bad)
    with pytest.raises(ValueError, match="laplacian"):
        RedundantGradientNetwork(bad, Quadratic(jnp.zeros(2)))


# ----------------------------------------------------------------------------- system


def test_input_validation():
    lap, obj = ring_laplacian(4), Quadratic(jnp.zeros(2))
    with pytest.raises(ValueError, match="'sigma'.*\\[0.0"):
        RedundantGradientNetwork(lap, obj, sigma=-0.1)
    with pytest.raises(ValueError, match="'k'.*\\[0.0"):
        RedundantGradientNetwork(lap, obj, k=-1.0)
    with pytest.raises(ValueError, match="positive definite"):
        Quadratic(jnp.zeros(2), jnp.diag(jnp.array([1.0, -1.0])))
    with pytest.raises(ValueError, match="hessian must be"):
        Quadratic(jnp.zeros(2), jnp.eye(3))
    with pytest.raises(ValueError, match="±1"):
        LogisticRegression(jnp.ones((3, 2)), jnp.array([1.0, 0.0, -1.0]))
    with pytest.raises(ValueError, match="reg must be positive"):
        LogisticRegression(jnp.ones((3, 2)), jnp.ones(3), reg=0.0)
    with pytest.raises(TypeError, match="AbstractObjective"):
        RedundantGradientNetwork(lap, jnp.zeros(2))
    with pytest.raises(ValueError, match="scheme"):
        quadratic_theory(lap, jnp.eye(2), 1.0, 0.5, dt=0.1, scheme="rk")
    with pytest.raises(ValueError, match="dt"):
        burn_in_saves(0.0, 1.0, 1.0)
    with pytest.raises(ValueError, match="t_burn"):
        burn_in_saves(0.1, -1.0, 1.0)
    with pytest.raises(ValueError, match="t_avg"):
        burn_in_saves(0.1, 1.0, 0.0)
    with pytest.raises(ValueError, match="every"):
        burn_in_saves(0.1, 1.0, 1.0, every=0)


def test_burn_in_saves_lie_on_the_step_grid():
    t1, ts = burn_in_saves(0.01, 1.0, 0.5, every=10)
    # 100 burn-in steps, then 5 saves 10 steps apart; the run ends at the last save
    np.testing.assert_allclose(ts, 0.01 * (100 + 10 * np.arange(1, 6)), rtol=1e-15)
    assert t1 == pytest.approx(1.5, rel=1e-15)
    np.testing.assert_allclose(ts / 0.01, np.round(ts / 0.01), atol=1e-9)
    # at least one save, however short the average
    assert len(burn_in_saves(0.1, 0.0, 1e-6)[1]) == 1
    # averaging a trajectory of the linear ramp y = t gives its mean save time
    sys = RedundantGradientNetwork(ring_laplacian(4), Quadratic(jnp.zeros(2)), sigma=0.0)
    traj = simulate(sys, t1, key=jax.random.PRNGKey(0), ts=ts, dt=0.01, observable=lambda t, y: t)
    assert float(time_average(traj)) == pytest.approx(float(np.mean(ts)), rel=1e-12)


def test_drift_is_gradient_plus_diffusive_coupling(key):
    lap = erdos_renyi_laplacian(key, 5, 0.6)
    adj = np.diag(np.diag(lap)) - lap
    obj = Quadratic(jnp.array([1.0, -2.0]), H_GENERAL)
    sys = RedundantGradientNetwork(lap, obj, k=0.7, sigma=0.3)
    x = jax.random.normal(key, (5, 2))
    expected = np.stack(
        [
            -np.asarray(H_GENERAL @ (x[i] - obj.x_star))
            + 0.7 * sum(adj[i, j] * np.asarray(x[j] - x[i]) for j in range(5))
            for i in range(5)
        ]
    )
    np.testing.assert_allclose(np.asarray(sys.drift(0.0, x)), expected, atol=1e-12)
    np.testing.assert_allclose(np.asarray(sys.diffusion(0.0, x)), 0.3)
    np.testing.assert_allclose(np.asarray(sys.initial_state()), np.tile([1.0, -2.0], (5, 1)))


def test_logistic_objective_derivatives_and_constants(key):
    z, y = logistic_data(key, 40, 3)
    obj = LogisticRegression(z, y, reg=0.3)
    np.testing.assert_allclose(np.asarray(obj.grad(obj.x_star)), 0.0, atol=1e-12)
    x = jax.random.normal(jax.random.PRNGKey(3), (3,))
    np.testing.assert_allclose(obj.grad(x), jax.jit(jax.grad(obj.value))(x), atol=1e-12)
    np.testing.assert_allclose(obj.hessian(x), jax.jit(jax.hessian(obj.value))(x), atol=1e-12)
    m, big_m = (float(v) for v in obj.curvature_bounds())
    rho = float(obj.hessian_lipschitz())
    pts = 3.0 * jax.random.normal(jax.random.PRNGKey(4), (200, 3))
    hess = np.asarray(jax.jit(jax.vmap(obj.hessian))(pts))
    ev = np.linalg.eigvalsh(hess)
    assert m <= ev.min() + 1e-12 and ev.max() <= big_m + 1e-12
    dh = np.linalg.norm(hess[1:] - hess[:-1], ord=2, axis=(1, 2))
    dx = np.linalg.norm(np.asarray(pts[1:] - pts[:-1]), axis=1)
    assert np.all(dh <= rho * dx + 1e-12)
    # ρ is a worst case over the data, not attained: it must still be of the right order
    assert np.max(dh / dx) > 0.05 * rho


# ----------------------------------------------------------------------------- theory


def _kron_system(lap, hess, k):
    """J with vec(E) row-major: dE = -(E H + k L E) dt  <=>  d vec = -J vec dt."""
    n, d = lap.shape[0], hess.shape[0]
    return np.kron(np.eye(n), np.asarray(hess)) + k * np.kron(np.asarray(lap), np.eye(d))


def _moments_from_cov(cov, n, d):
    """mean, per-node and spread errors from the covariance of vec(E) (E = X - 1 x*ᵀ)."""
    node = np.array([np.trace(cov[i * d : (i + 1) * d, i * d : (i + 1) * d]) for i in range(n)])
    avg = np.kron(np.ones((1, n)) / n, np.eye(d))
    mean = np.trace(avg @ cov @ avg.T)
    return mean, node, node.mean() - mean


@pytest.mark.parametrize("graph", ["ring", "star", "erdos_renyi"])
@pytest.mark.parametrize("scheme", [None, "euler", "heun"])
def test_quadratic_theory_matches_lyapunov_solution(graph, scheme, key):
    """Mode decomposition vs an independent dense (discrete) Lyapunov solve."""
    lap = graph_laplacian(graph, 6, key=key)
    k, sigma, dt = 0.8, 0.6, 0.05
    jac = _kron_system(lap, H_GENERAL, k)
    nd = jac.shape[0]
    if scheme is None:
        cov = scipy.linalg.solve_continuous_lyapunov(-jac, -(sigma**2) * np.eye(nd))
    elif scheme == "euler":
        a = np.eye(nd) - dt * jac
        cov = scipy.linalg.solve_discrete_lyapunov(a, sigma**2 * dt * np.eye(nd))
    else:
        a = np.eye(nd) - dt * jac + 0.5 * dt**2 * jac @ jac
        c = np.eye(nd) - 0.5 * dt * jac
        cov = scipy.linalg.solve_discrete_lyapunov(a, sigma**2 * dt * c @ c.T)
    mean, node, spread = _moments_from_cov(cov, 6, 2)
    th = quadratic_theory(
        lap, H_GENERAL, k, sigma, dt=None if scheme is None else dt, scheme=scheme or "euler"
    )
    np.testing.assert_allclose(float(th["mean"]), mean, rtol=1e-9)
    np.testing.assert_allclose(np.asarray(th["node"]), node, rtol=1e-9)
    np.testing.assert_allclose(float(th["spread"]), spread, rtol=1e-9)


def test_quadratic_theory_closed_forms():
    n, d, h, sigma = 8, 3, 2.0, 0.5
    hess = h * jnp.eye(d)
    for lap in (ring_laplacian(n), star_laplacian(n), complete_laplacian(n)):
        for k in (0.0, 0.3, 5.0):
            th = quadratic_theory(lap, hess, k, sigma)
            # the mean is blind to the coupling and has its noise cut by 1/n
            assert float(th["mean"]) == pytest.approx(d * sigma**2 / (2 * h * n), rel=1e-12)
            assert float(th["node_avg"]) == pytest.approx(
                float(th["mean"] + th["spread"]), rel=1e-12
            )
        # uncoupled: every node is an independent OU process
        np.testing.assert_allclose(
            np.asarray(quadratic_theory(lap, hess, 0.0, sigma)["node"]), d * sigma**2 / (2 * h)
        )
        # strong coupling: every node's error -> the mean's, the spread -> 0 like 1/k
        strong = quadratic_theory(lap, hess, 1e7, sigma)
        np.testing.assert_allclose(
            np.asarray(strong["node"]), d * sigma**2 / (2 * h * n), rtol=1e-5
        )
    k = 0.7
    th = quadratic_theory(complete_laplacian(n), hess, k, sigma)
    exact = d * sigma**2 * (n - 1) / (2 * n * (h + k * n))
    assert float(th["spread"]) == pytest.approx(exact, rel=1e-12)
    # the star's hub sits on the fast mode λ = n only: smaller error than the leaves
    star = quadratic_theory(star_laplacian(n), hess, 1.0, sigma)["node"]
    assert float(star[0]) < float(star[1])
    # dt -> 0 limit of both chains is the SDE
    for scheme in ("euler", "heun"):
        chain = quadratic_theory(ring_laplacian(n), hess, k, sigma, dt=1e-7, scheme=scheme)
        assert float(chain["spread"]) == pytest.approx(
            float(quadratic_theory(ring_laplacian(n), hess, k, sigma)["spread"]), rel=1e-5
        )


def test_bounds_exact_for_isotropic_quadratic():
    n, d, h, sigma = 6, 2, 1.5, 0.8
    for lap in (ring_laplacian(n), star_laplacian(n), complete_laplacian(n)):
        for k in (0.0, 0.4, 3.0):
            sys = RedundantGradientNetwork(lap, Quadratic(jnp.zeros(d), h), k=k, sigma=sigma)
            b, th = contraction_bounds(sys), sys.theory()
            exact_mean = d * sigma**2 / (2 * h * n)
            assert float(b["mean_upper"]) == pytest.approx(exact_mean, rel=1e-12)
            assert float(b["mean_lower"]) == pytest.approx(exact_mean, rel=1e-12)
            assert float(b["spread_lower"]) <= float(th["spread"]) * (1 + 1e-12)
            assert float(th["spread"]) <= float(b["spread_upper"]) * (1 + 1e-12)
    # the spread bound uses λ_1 only: exact for the complete graph (all λ_m = n)
    sys = RedundantGradientNetwork(complete_laplacian(n), Quadratic(jnp.zeros(d), h), 2.0, sigma)
    assert float(sys.bounds()["spread_upper"]) == pytest.approx(float(sys.theory()["spread"]))


# ----------------------------------------------------------------------------- simulation


def _seed_stats(values):
    """Mean and standard error over the seeds (a ``seed`` dimension, or the leading axis)."""
    if hasattr(values, "dims"):
        n = values.sizes["seed"]
        return values.mean("seed").values, values.std("seed", ddof=1).values / np.sqrt(n)
    v = np.asarray(values)
    return v.mean(axis=0), v.std(axis=0, ddof=1) / np.sqrt(v.shape[0])


def test_simulated_quadratic_errors_match_exact_theory():
    """Star graph (hub and leaves differ), anisotropic H, two couplings, via sweep.

    Each seed's time average is an independent replicate, so the standard error across
    seeds measures the sampling error; we require agreement within 4 standard errors with
    the exact stationary values of the simulated Heun chain, and check that 4 standard
    errors are below 30% of each value, so a factor 2 (or a missing 1/n, here 1/5) fails.
    """
    n, dt = 5, 0.02
    lap = star_laplacian(n)
    base = RedundantGradientNetwork(lap, Quadratic(jnp.array([0.5, -1.0]), H_GENERAL), 0.0, 0.7)

    def fn(system, key):
        return time_averaged_errors(system, key, t_burn=4.0, t_avg=60.0, dt=dt, every=5)

    ks = [0.0, 2.0]
    ds = sweep(fn, base, Grid.product(k=ks), seeds=24, key=jax.random.PRNGKey(7), progress=False)
    assert int(ds["status"].max()) == 0
    for k in ks:
        th = quadratic_theory(lap, H_GENERAL, k, 0.7, dt=dt, scheme="heun")
        for name, ref in (
            ("mean_err", th["mean"]),
            ("spread", th["spread"]),
            ("node_err", th["node"]),
        ):
            mean, se = _seed_stats(ds[name].sel(k=k))
            ref = np.asarray(ref)
            assert np.all(4 * se < 0.3 * ref), (name, k, se / ref)
            assert np.all(np.abs(mean - ref) < 4 * se), (name, k, mean, ref, se)
    # the Heun chain is within 1% of the SDE here, so the SDE theory holds too
    th_sde = quadratic_theory(lap, H_GENERAL, 2.0, 0.7)
    mean, se = _seed_stats(ds["spread"].sel(k=2.0))
    assert abs(mean - float(th_sde["spread"])) < 4 * se + 0.01 * float(th_sde["spread"])


def test_logistic_bounds_hold_and_are_not_vacuous(key):
    """Non-quadratic loss: the simulated stationary errors lie within the contraction
    bounds (up to 3 standard errors) and, with strong coupling on the complete graph, the
    upper bounds are within a factor 2 (mean) and 1.3 (spread) of the simulation."""
    z, y = logistic_data(key, 64, 2)
    obj = LogisticRegression(z, y, reg=0.5)
    n = 6

    @jax.jit
    @partial(jax.vmap, in_axes=(None, 0))
    def simulate_seeds(system, kk):
        return time_averaged_errors(system, kk, t_burn=5.0, t_avg=50.0, dt=0.01, every=5)

    for lap, k in ((complete_laplacian(n), 2.0), (ring_laplacian(n), 0.5)):
        sys = RedundantGradientNetwork(lap, obj, k=k, sigma=0.8)
        out = simulate_seeds(sys, jax.random.split(jax.random.PRNGKey(11), 16))
        b = contraction_bounds(sys)
        for name, q in (("mean_err", "mean"), ("spread", "spread")):
            mean, se = _seed_stats(out[name])
            assert mean - 3 * se <= float(b[q + "_upper"]), (name, mean, b[q + "_upper"])
            assert mean + 3 * se >= float(b[q + "_lower"]), (name, mean, b[q + "_lower"])
            if k == 2.0:
                factor = 2.0 if name == "mean_err" else 1.3
                assert float(b[q + "_upper"]) <= factor * mean, (name, mean, b[q + "_upper"])


def test_simulated_euler_chain_matches_its_exact_stationary_values():
    """At a coarse step (a dt = 0.8 for the disagreement modes) Euler-Maruyama inflates the
    spread by 1/(1 - 0.4) = 5/3: the simulation must follow the chain's exact value and be
    resolved from the SDE's by many standard errors."""
    lap = complete_laplacian(4)
    sys = RedundantGradientNetwork(lap, Quadratic(jnp.zeros(2), 1.0), k=1.0, sigma=0.5)
    dt = 0.16
    out = jax.jit(
        jax.vmap(
            lambda kk: time_averaged_errors(
                sys, kk, t_burn=8.0, t_avg=300.0, dt=dt, every=2, solver=dfx.Euler()
            )
        )
    )(jax.random.split(jax.random.PRNGKey(5), 16))
    chain = sys.theory(dt=dt, scheme="euler")
    sde = sys.theory()
    for name, q in (("spread", "spread"), ("mean_err", "mean")):
        mean, se = _seed_stats(out[name])
        assert abs(mean - float(chain[q])) < 4 * se, (name, mean, chain[q], se)
    mean, se = _seed_stats(out["spread"])
    assert mean - float(sde["spread"]) > 10 * se
    assert float(chain["spread"]) == pytest.approx(float(sde["spread"]) * 5 / 3)


@pytest.mark.slow
def test_simulated_quadratic_high_precision_ring():
    """Many seeds, long averages: every quantity within 2% (and 4 SE) of the exact value."""
    n, dt, k, sigma = 8, 0.01, 0.5, 1.0
    lap = ring_laplacian(n)
    sys = RedundantGradientNetwork(lap, Quadratic(jnp.zeros(2), 1.0), k=k, sigma=sigma)
    run = jax.jit(
        jax.vmap(lambda kk: time_averaged_errors(sys, kk, t_burn=5.0, t_avg=400.0, dt=dt, every=10))
    )
    out = run(jax.random.split(jax.random.PRNGKey(9), 64))
    th = quadratic_theory(lap, jnp.eye(2), k, sigma, dt=dt, scheme="heun")
    for name, q in (("mean_err", "mean"), ("spread", "spread"), ("node_err", "node")):
        mean, se = _seed_stats(out[name])
        ref = np.asarray(th[q])
        assert np.all(np.abs(mean - ref) < 4 * se), (name, mean, ref, se)
        assert np.all(np.abs(mean / ref - 1) < 0.02), (name, mean / ref)


@pytest.mark.slow
def test_experiment_runs_tiny(tmp_path):
    from jaxdyn.experiments import run_experiment

    payload = run_experiment("redundancy", tmp_path, preset="tiny", quiet=True)
    res = payload["results"]
    assert sorted(f for f in payload["files"] if f.endswith(".png")) == [
        "redundancy_collapse.png",
        "redundancy_logistic.png",
        "redundancy_vs_k.png",
    ]
    assert "redundancy_summary.npz" in payload["files"]
    assert all(s["ok"] == 6 for s in res["status"].values())  # 2 k x 1 sigma x 3 seeds
    assert res["lambda_1"]["ring"] == pytest.approx(2 - 2 * np.cos(2 * np.pi / 8), rel=1e-5)
    assert res["lambda_1"]["star"] == pytest.approx(1.0, rel=1e-5)
    assert (tmp_path / "results.json").exists()
    # a second run into the same directory resumes every sweep from its store
    again = run_experiment("redundancy", tmp_path, preset="tiny", quiet=True)
    assert len(again["resumed"]) == 4 and again["results"] == res


@pytest.mark.parametrize(
    "overrides, match",
    [
        (["k=0"], "k must hold at least one coupling > 0"),
        (["sigma_ref=3"], "sigma_ref"),
        (["graphs=ring,torus"], "graphs"),
        (["seeds=1"], "seeds"),
    ],
)
def test_experiment_rejects_bad_configs(tmp_path, overrides, match):
    from jaxdyn.experiments import run_experiment

    with pytest.raises(ValueError, match=match):
        run_experiment("redundancy", tmp_path, preset="tiny", overrides=overrides, quiet=True)
