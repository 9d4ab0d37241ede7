"""Paper 17: optimisation methods as dynamics (ODE flows and iteration maps).

Exact references: the Su-Boyd-Candès ODE's Bessel solution on quadratics and its 1/t²
bound, the spectral radii of the methods' iteration matrices against their textbook
rates, heavy ball's period-3 cycle on the Lessard-Recht-Packard function (computed
exactly from the piecewise-affine gradient), and the orders in ε of the slow-fast
momentum system's reduction (Fenichel).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import special

import jaxdyn
from jaxdyn.analysis.acceleration import (
    envelope_rate,
    find_period,
    heavy_ball_cycle,
    sbc_bound,
    sbc_quadratic_solution,
    spectral_radius_2x2,
)
from jaxdyn.systems import (
    GradientDescent,
    GradientFlow,
    HeavyBall,
    HeavyBallFlow,
    LessardCounterexample,
    Nesterov,
    NesterovConvex,
    NesterovFlow,
    NesterovSCFlow,
    Quadratic,
    SlowFastMomentum,
    TripleMomentum,
    conditioned_quadratic,
)
from jaxdyn.systems.optimizer_maps import METHODS

TIGHT = dict(rtol=1e-10, atol=1e-12, max_steps=200_000)


def first(t, y):
    return y[0]


def test_sbc_ode_is_the_bessel_solution_and_obeys_the_inverse_square_bound():
    lam = np.array([0.05, 0.5, 2.0])
    f = Quadratic(np.zeros(3), np.diag(lam))
    x0 = np.array([1.0, -2.0, 0.5])
    ts = np.linspace(0.0, 30.0, 301)
    traj = jaxdyn.simulate(NesterovFlow(objective=f, x0=x0), 30.0, ts=ts, observable=first, **TIGHT)
    exact = sbc_quadratic_solution(ts, lam, x0)
    # r = 3: x(t) = 2 J1(√λ t) / (√λ t) x0, evaluated independently here
    z = np.sqrt(lam)[None] * ts[1:, None]
    np.testing.assert_allclose(exact[1:], 2 * special.j1(z) / z * x0, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(np.asarray(traj.ys), exact, atol=1e-8)
    gap = 0.5 * np.sum(lam * exact**2, axis=1)
    bound = sbc_bound(ts[1:], np.linalg.norm(x0))
    assert np.all(gap[1:] <= bound)
    assert gap[-1] / bound[-1] < 0.05  # on a quadratic the decay is t^-3, faster than t^-2


@pytest.mark.slow
def test_sbc_general_r_closed_form():
    # r = 5: x(t) = Γ(3) (2/z)² J2(z) x0 = 8 J2(z)/z² x0
    lam = np.array([0.3, 1.7])
    f = Quadratic(np.zeros(2), np.diag(lam))
    ts = np.linspace(0.0, 15.0, 61)
    traj = jaxdyn.simulate(
        NesterovFlow(r=5.0, objective=f, x0=np.ones(2)), 15.0, ts=ts, observable=first, **TIGHT
    )
    z = np.sqrt(lam)[None] * ts[1:, None]
    np.testing.assert_allclose(np.asarray(traj.ys)[1:], 8 * special.jv(2, z) / z**2, atol=1e-8)


def test_nag_c_tends_to_the_sbc_ode_at_rate_sqrt_s():
    lam = np.array([0.1, 1.0])
    f = Quadratic(np.zeros(2), np.diag(lam))
    errs = []
    for s in (1e-2, 1e-4):
        K = int(round(10.0 / math.sqrt(s)))
        ks = np.arange(K + 1.0)
        xs = jaxdyn.simulate(NesterovConvex(s, f, np.ones(2)), float(K), ts=ks, observable=first)
        exact = sbc_quadratic_solution(ks * math.sqrt(s), lam, np.ones(2))
        errs.append(np.abs(np.asarray(xs.ys) - exact).max())
    assert 6.0 < errs[0] / errs[1] < 14.0  # O(√s): a factor 10 for s / 100


@pytest.mark.parametrize("name", sorted(METHODS))
@pytest.mark.parametrize("kappa", [2.0, 100.0, 1e4])
def test_worst_case_spectral_radius_is_the_textbook_rate(name, kappa):
    cls = METHODS[name]
    method = cls.tuned(conditioned_quadratic(kappa))
    rho = float(method.worst_case_rate(1.0, kappa))
    np.testing.assert_allclose(rho, cls.theory_rate(kappa), rtol=2e-7)


def test_spectral_radius_2x2_against_eigvals():
    T = np.random.default_rng(0).normal(size=(50, 2, 2))
    want = np.abs(np.linalg.eigvals(T)).max(-1)
    np.testing.assert_allclose(np.asarray(spectral_radius_2x2(T)), want, rtol=1e-12)


@pytest.mark.parametrize("name", sorted(METHODS))
def test_measured_rate_matches_the_spectral_radius(name):
    kappa = 100.0
    cls = METHODS[name]
    method = cls.tuned(conditioned_quadratic(kappa), x0=np.array([1.0, 1.0]))
    ks = np.arange(0.0, 801.0)
    traj = jaxdyn.simulate(method, 800.0, ts=ks, observable=method.error)
    errors = np.asarray(traj.ys)
    # a critically tuned method has a double root: its error is k ρ^k, and a plain slope
    # carries a log(k)/k bias (~0.3 % here); the model C k^p ρ^k removes it
    plain = envelope_rate(errors, block=20, start=200)
    np.testing.assert_allclose(plain, cls.theory_rate(kappa), rtol=5e-3)
    rate = envelope_rate(errors, block=20, start=200, polynomial=True)
    np.testing.assert_allclose(rate, cls.theory_rate(kappa), rtol=3e-4)


def test_heavy_ball_settles_on_the_lessard_recht_packard_cycle():
    lrp = LessardCounterexample()
    hb = HeavyBall.tuned(lrp, x0=np.array([3.3]))
    np.testing.assert_allclose([float(hb.alpha), float(hb.beta)], [1 / 9, 4 / 9], rtol=1e-14)
    ks = np.arange(0.0, 401.0)
    xs = np.asarray(jaxdyn.simulate(hb, 400.0, ts=ks, observable=first).ys)[:, 0]
    assert find_period(xs, tol=1e-10) == 3
    last = xs[-3:]
    pieces = [LessardCounterexample.PIECES[LessardCounterexample.piece(x)] for x in last]
    cyc = heavy_ball_cycle(1 / 9, 4 / 9, [p[1] for p in pieces], [p[2] for p in pieces])
    np.testing.assert_allclose(cyc["points"], last, atol=1e-10)
    assert [LessardCounterexample.piece(x) for x in cyc["points"]] == [
        LessardCounterexample.piece(x) for x in last
    ]
    assert cyc["floquet"] < 1.0  # an attracting cycle
    assert np.min(np.abs(cyc["points"])) > 0.5  # far from the minimiser x* = 0
    for cls in (Nesterov, TripleMomentum, GradientDescent):
        m = cls.tuned(lrp, x0=np.array([3.3]))
        err = jaxdyn.simulate(m, 400.0, observable=m.error).ys
        assert float(err[-1]) < 1e-8, cls.__name__


def test_triple_momentum_output_and_nesterov_iteration_match_simulation():
    f = conditioned_quadratic(30.0, dim=2)
    for method in (TripleMomentum.tuned(f), Nesterov.tuned(f), HeavyBall.tuned(f)):
        lam = 30.0
        T = np.asarray(method.iteration_matrix(lam))
        y = np.array([1.0, 1.0])  # the L direction's (x_k, x_{k-1})
        y0 = jnp.stack([jnp.array([0.0, 1.0]), jnp.array([0.0, 1.0])])
        traj = jaxdyn.simulate(method, 5.0, y0=y0, ts=np.arange(6.0), observable=lambda t, s: s)
        for k in range(1, 6):
            y = T @ y
            np.testing.assert_allclose(np.asarray(traj.ys)[k, :, 1], y, rtol=1e-12, atol=1e-14)


def test_high_resolution_odes_tell_heavy_ball_and_nesterov_apart():
    f = conditioned_quadratic(10.0, dim=2, m=0.1)
    mu, s, T = 0.1, 1e-2, 20.0
    h = math.sqrt(s)
    K = int(round(T / h))
    ks = np.arange(K + 1.0)
    beta = (1 - math.sqrt(mu * s)) / (1 + math.sqrt(mu * s))
    x0 = np.ones(2)
    hb = jaxdyn.simulate(HeavyBall(s, beta, f, x0), float(K), ts=ks, observable=first).ys
    nag = jaxdyn.simulate(Nesterov(s, beta, f, x0), float(K), ts=ks, observable=first).ys
    kw = dict(ts=ks * h, observable=first, rtol=1e-9, atol=1e-11)
    hb_ode = jaxdyn.simulate(HeavyBallFlow(mu, s, f, x0), T, **kw).ys
    nag_ode = jaxdyn.simulate(NesterovSCFlow(mu, s, f, x0), T, **kw).ys
    err = lambda a, b: float(np.abs(np.asarray(a) - np.asarray(b)).max())
    # each discrete method is closest to its own high-resolution ODE
    assert err(hb, hb_ode) < 0.6 * err(hb, nag_ode)
    assert err(nag, nag_ode) < 0.7 * err(nag, hb_ode)


def _slow_fast_errors(eps, eta, f, T=4.0):
    """Per ε (a vector, one compiled vmapped solve): sup |x - gradient flow|, sup over
    t >= 1 of |x - Fenichel's reduced flow from the fibre base point| and of the distance
    to the critical manifold."""
    ts = np.linspace(0.0, T, 81)
    late = jnp.asarray(ts >= 1.0)
    kw = dict(ts=ts, rtol=1e-11, atol=1e-13, max_steps=200_000)

    def one(e):
        sys = SlowFastMomentum(eps=e, eta=eta, objective=f, x0=jnp.ones(2))
        ys = jaxdyn.simulate(sys, T, **kw).ys
        flow = jaxdyn.simulate(GradientFlow(0.0, f, sys.x0), T, **kw).ys
        reduced = GradientFlow(2 * e * (1 - eta), f, sys.fibre_base_point())
        red = jaxdyn.simulate(reduced, T, **kw).ys
        dist = jax.vmap(lambda y: sys.distance_to_manifold(0.0, y))(ys)
        xs = ys[:, 0]
        return (
            jnp.max(jnp.abs(xs - flow)),
            jnp.max(jnp.where(late[:, None], jnp.abs(xs - red), 0.0)),
            jnp.max(jnp.where(late, dist, 0.0)),
        )

    return [np.asarray(v) for v in jax.jit(jax.vmap(one))(jnp.asarray(eps, dtype=float))]


def test_slow_fast_momentum_collapses_onto_the_slow_manifold():
    f = conditioned_quadratic(4.0, dim=2, m=0.25)
    flow, reduced, dist = _slow_fast_errors([0.02, 0.002], 0.0, f)
    assert 7.0 < flow[0] / flow[1] < 13.0  # gradient flow from x0: O(ε)
    assert 70.0 < reduced[0] / reduced[1] < 130.0  # Fenichel reduced flow, fibre base: O(ε²)
    assert 7.0 < dist[0] / dist[1] < 13.0  # heavy-ball form: O(ε) off the critical manifold
    flow, reduced, dist = _slow_fast_errors([0.02, 0.002], 1.0, f)
    assert np.all(dist < 1e-9)  # Hessian damping: the critical manifold is invariant
    assert 70.0 < reduced[0] / reduced[1] < 130.0


@pytest.mark.slow
def test_slow_fast_orders_on_a_non_quadratic_objective():
    from jaxdyn.systems import LogisticRegression, logistic_data

    z, y = logistic_data(jax.random.PRNGKey(0), 64, 2, scale=2.0)
    f = LogisticRegression(z, y, reg=0.1)
    for eta in (0.0, 1.0):
        flow, reduced, _ = _slow_fast_errors([0.01, 0.001], eta, f)
        assert 7.0 < flow[0] / flow[1] < 13.0
        assert 70.0 < reduced[0] / reduced[1] < 130.0


BAD = [
    (lambda: conditioned_quadratic(0.5), "kappa"),
    (lambda: conditioned_quadratic(float("nan")), "kappa"),
    (lambda: conditioned_quadratic(1e13), "kappa"),
    (lambda: conditioned_quadratic(10.0, dim=0), "dim"),
    (lambda: conditioned_quadratic(10.0, m=-1.0), "m"),
    (lambda: GradientDescent(alpha=-0.1), "alpha"),
    (lambda: GradientDescent(alpha=float("inf")), "alpha"),
    (lambda: HeavyBall(beta=1.5), "beta"),
    (lambda: Nesterov(alpha=float("nan")), "alpha"),
    (lambda: NesterovConvex(s=-1e-3), "s"),
    (lambda: TripleMomentum(gamma=-1.0), "gamma"),
    (lambda: HeavyBall.theory_rate(0.0), "kappa"),
    (lambda: SlowFastMomentum(eps=0.0), "eps"),
    (lambda: SlowFastMomentum(eta=2.0), "eta"),
    (lambda: GradientFlow(s=-1.0), "s"),
    (lambda: HeavyBallFlow(mu=-1.0), "mu"),
    (lambda: NesterovFlow(x0=np.ones(3)), "x0"),
    (lambda: envelope_rate(np.ones(5), block=10), "errors"),
]


@pytest.mark.parametrize("make, match", BAD)
def test_bad_input_names_the_argument(make, match):
    with pytest.raises(ValueError, match=match):
        make()
