"""Moment equations derived from a network, their closures, and where closures lie (paper 6)."""

from __future__ import annotations

import itertools
import math

import diffrax as dfx
import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import sympy

import jaxdyn
from jaxdyn.analysis import cme_exact
from jaxdyn.analysis import moments as mo
from jaxdyn.analysis.fsp import FSP
from jaxdyn.analysis.moments import MomentEquations
from jaxdyn.systems import BirthDeath, Brusselator, Dimerisation, ReactionNetwork, Schlogl


def test_moment_equations_of_a_linear_network_are_exact():
    # Birth-death from x(0) = 5: the law is Binomial(5, e^{-t}) * Poisson(10 (1 - e^{-t})),
    # whose first three cumulants the order-3 equations must reproduce (no closure).
    eqs = MomentEquations(BirthDeath(phi0=(5.0,)), order=3, closure="normal")
    assert eqs.is_exact and eqs.labels == ["E[X]", "M(2,)", "M(3,)"]
    ts = np.array([0.0, 0.5, 1.0, 3.0])
    ys = np.asarray(jaxdyn.simulate(eqs, 3.0, ts=ts, rtol=1e-11, atol=1e-12).ys)
    p = np.exp(-ts)
    mean, var = cme_exact.birth_death_moments(ts, 10.0, 1.0, n0=5)
    kappa3 = 5 * p * (1 - p) * (1 - 2 * p) + 10 * (1 - p)
    np.testing.assert_allclose(ys, np.stack([mean, var, kappa3], axis=1), rtol=1e-8, atol=1e-9)


@pytest.mark.slow
def test_linear_two_species_moments_equal_the_cme():
    # ∅ -> A, A -> A + B (catalytic), A -> ∅, B -> ∅: linear, so order 2 is exact.
    net = ReactionNetwork(
        species=("A", "B"),
        reactants=((0, 0), (1, 0), (1, 0), (0, 1)),
        products=((1, 0), (1, 1), (0, 0), (0, 0)),
        rates=(4.0, 2.0, 1.0, 1.5),
        phi0=(2.0, 0.0),
    )
    eqs = MomentEquations(net, order=2, closure="zero")
    fsp = FSP(net, (22, 30))
    ts = np.array([0.5, 2.0])
    p, _ = fsp.transient(ts, tol=1e-7, rtol=1e-10, atol=1e-13, solver=dfx.Tsit5())
    ys = jaxdyn.simulate(eqs, 2.0, ts=ts, rtol=1e-10, atol=1e-12).ys
    for i in range(len(ts)):
        np.testing.assert_allclose(eqs.mean(ys[i]), fsp.mean(jnp.asarray(p[i])), rtol=1e-6)
        np.testing.assert_allclose(
            eqs.covariance(ys[i]), fsp.covariance(jnp.asarray(p[i])), rtol=1e-5, atol=1e-7
        )


def _sympy_moment_equations(net, order: int, point: dict):
    """The central-moment equations derived independently with sympy, at a numeric point."""
    n = len(net.species)
    x = sympy.symbols(f"x0:{n}")
    mu = sympy.symbols(f"mu0:{n}")
    top = order + max(int(net.orders().max()) - 1, 0)
    moments = {a: sympy.Symbol("M_" + "_".join(map(str, a))) for a in mo.indices_upto(n, top)}

    def expect(poly):
        y = sympy.symbols(f"y0:{n}")
        expr = sympy.expand(poly.subs({x[i]: mu[i] + y[i] for i in range(n)}))
        out = 0
        for monom, coeff in sympy.Poly(expr, *y).terms():
            if sum(monom) == 0:
                out += coeff
            elif sum(monom) > 1:
                out += coeff * moments[monom]
        return out

    c = np.asarray(net.mass_action_coefficients())
    props = []
    for j, row in enumerate(net.reactants()):
        a = sympy.Float(float(c[j]))
        for i, r in enumerate(row):
            for m in range(int(r)):
                a *= x[i] - m
        props.append(a)
    nu = net.stoichiometry()
    dmu = [expect(sum(props[j] * int(nu[j][i]) for j in range(len(props)))) for i in range(n)]
    rows = list(dmu)
    for alpha in mo.indices_upto(n, order):
        if sum(alpha) < 2:
            continue
        f = lambda z: sympy.Mul(*[(z[i] - mu[i]) ** alpha[i] for i in range(n)])
        shifted = [tuple(x[i] + int(nu[j][i]) for i in range(n)) for j in range(len(props))]
        gen = sum(props[j] * (f(shifted[j]) - f(x)) for j in range(len(props)))
        corr = 0
        for i in range(n):
            if alpha[i]:
                lower = tuple(a - (k == i) for k, a in enumerate(alpha))
                m_lower = 1 if sum(lower) == 0 else (0 if sum(lower) == 1 else moments[lower])
                corr += alpha[i] * m_lower * dmu[i]
        rows.append(expect(gen) - corr)
    subs = {mu[i]: point["mu"][i] for i in range(n)}
    subs.update({moments[a]: v for a, v in point["m"].items() if sum(a) >= 2})
    return np.array([float(r.subs(subs)) for r in rows])


@pytest.mark.parametrize(
    "net, order, closure",
    [
        (Dimerisation(omega=3.0), 2, "normal"),
        pytest.param(Schlogl(omega=2.0), 3, "poisson", marks=pytest.mark.slow),
        pytest.param(
            Brusselator(omega=2.0, convention="combinatorial"),
            2,
            "lognormal",
            marks=pytest.mark.slow,
        ),
    ],
)
def test_generated_equations_match_an_independent_sympy_derivation(net, order, closure):
    eqs = MomentEquations(net, order=order, closure=closure)
    rng = np.random.default_rng(1)
    n = eqs.n
    y = np.concatenate([rng.uniform(2.0, 5.0, n), rng.uniform(0.5, 1.5, len(eqs.plan.known))])
    for k, alpha in enumerate(eqs.plan.known):  # a positive-definite covariance
        if sum(alpha) == 2 and max(alpha) == 1:
            y[n + k] = 0.1
    mu, m = eqs.split(jnp.asarray(y))
    closed = mo.close(eqs.plan, mu, m, closure)
    point = {"mu": y[:n], "m": {a: float(v) for a, v in closed.items()}}
    np.testing.assert_allclose(
        eqs.drift(0.0, jnp.asarray(y)), _sympy_moment_equations(net, order, point), rtol=1e-10
    )


def _central_from_raw(raw, mu, alpha):
    total = 0.0
    for beta in itertools.product(*[range(a + 1) for a in alpha]):
        c = math.prod(math.comb(a, b) for a, b in zip(alpha, beta, strict=True))
        total += c * np.prod((-mu) ** (np.array(alpha) - np.array(beta))) * raw(beta)
    return total


@pytest.mark.parametrize("closure", ["normal", "lognormal"])
def test_closures_are_exact_for_their_own_distribution(closure):
    # A bivariate Gaussian (normal) or log-normal (lognormal): given its moments up to
    # order K, the closure must return its exact higher moments.
    mean, cov = np.array([1.0, 2.0]), np.array([[0.1, 0.03], [0.03, 0.2]])
    if closure == "normal":
        mu = mean

        def raw(a):  # E[x^a] by Isserlis via the characteristic function (sympy)
            t = sympy.symbols("t0:2")
            expo = sum(t[i] * mean[i] for i in range(2)) + sum(
                cov[i, k] * t[i] * t[k] / 2 for i in range(2) for k in range(2)
            )
            return float(
                sympy.diff(sympy.exp(expo), t[0], a[0], t[1], a[1]).subs({t[0]: 0, t[1]: 0})
            )
    else:
        mu = np.exp(mean + np.diag(cov) / 2)

        def raw(a):
            a = np.array(a)
            return float(np.exp(a @ mean + a @ cov @ a / 2))

    for order in (2, 3):
        eqs = MomentEquations(Brusselator(), order=order, closure=closure)
        plan = eqs.plan
        m = {a: jnp.asarray(_central_from_raw(raw, mu, a)) for a in plan.ext if sum(a) <= order}
        out = mo.close(plan, jnp.asarray(mu), m, closure)
        for a in plan.closed:
            want = _central_from_raw(raw, mu, a)
            np.testing.assert_allclose(float(out[a]), want, rtol=1e-9, atol=1e-12)


def test_poisson_and_zero_closures_in_one_dimension():
    plan = MomentEquations(Schlogl(), order=2, closure="poisson").plan  # closes orders 3, 4
    mu, var = jnp.asarray([3.0]), 2.5
    m = {(0,): 1.0, (1,): 0.0, (2,): var}
    out = mo.close(plan, mu, m, "poisson")
    np.testing.assert_allclose([out[(3,)], out[(4,)]], [3.0, 3.0 + 3 * var**2])
    out = mo.close(plan, mu, m, "normal")
    np.testing.assert_allclose([out[(3,)], out[(4,)]], [0.0, 3 * var**2])
    out = mo.close(plan, mu, m, "zero")
    np.testing.assert_allclose([out[(3,)], out[(4,)]], [0.0, 0.0])


@pytest.mark.slow
def test_dimerisation_closures_approach_the_bessel_solution_with_order():
    net = Dimerisation(omega=10.0, phi0=(0.1,))
    mean, var = cme_exact.dimerisation_stationary(cme_exact.dimerisation_parameter(net))
    errors = []
    for order in (2, 3, 4):
        eqs = MomentEquations(net, order=order, closure="normal")
        end = jaxdyn.simulate(eqs, 40.0, rtol=1e-9, atol=1e-11).ys[-1]
        y, ok = mo.newton_steady_state(eqs, end)
        assert bool(ok) and bool(mo.physical(eqs, y)) and bool(mo.stable(eqs, y))
        errors.append(abs(float(eqs.variance(y)[0]) / var - 1))
    # Relative variance errors 4.6e-2, -1.2e-3, 3.4e-6 (mean 7.1995 exact).
    assert errors[0] > 0.03 and errors[1] < errors[0] / 10 and errors[2] < errors[1]


@pytest.mark.slow
def test_monostable_threshold_of_the_second_order_normal_closure_is_exact():
    # Analytic: a_c = 5.96449..., i.e. Ω_c = sqrt(a_c) = 2.44223 for k1 = k2 = 1.
    exact = mo.dimerisation_normal2_threshold()
    np.testing.assert_allclose(exact["a"], 5.964492162551, rtol=1e-11)
    base = Dimerisation(phi0=(0.0,))

    @jax.jit
    def summary(omega):
        net = eqx.tree_at(lambda n: n.omega, base, omega)
        eqs = MomentEquations(net, order=2, closure="normal")
        return mo.long_time(eqs, eqs.state(jnp.ones(1)), t1=200.0, max_steps=50_000)

    def valid(omega):
        out = {k: np.asarray(v)[None] for k, v in summary(jnp.asarray(omega)).items()}
        return mo.classify(out)[0] == "valid"

    # Below the threshold the closed equations blow up from a deterministic start.
    below = {k: np.asarray(v)[None] for k, v in summary(jnp.asarray(2.0)).items()}
    assert mo.classify(below)[0] == "diverged"
    omega_c = mo.validity_threshold(valid, 2.0, 3.0, rtol=1e-6)
    np.testing.assert_allclose(omega_c**2, exact["a"], rtol=1e-4)
    # The CME mean there: the closure needs more than ~1.87 molecules on average.
    mean_c, _ = cme_exact.dimerisation_stationary(exact["a"])
    np.testing.assert_allclose(mean_c, 1.86798, rtol=1e-5)


@pytest.mark.slow
def test_moment_equations_sweep_and_differentiate_in_the_rate_constants():
    def steady_mean(k1):
        net = eqx.tree_at(lambda n: n.k1, BirthDeath(), k1)
        eqs = MomentEquations(net, order=2)
        return jaxdyn.simulate(eqs, 30.0, rtol=1e-10, atol=1e-12).ys[-1, 0]

    np.testing.assert_allclose(float(jax.grad(steady_mean)(jnp.asarray(10.0))), 1.0, rtol=1e-6)
    means = jax.vmap(steady_mean)(jnp.asarray([2.0, 5.0]))
    np.testing.assert_allclose(means, [2.0, 5.0], rtol=1e-9)


BAD_INPUTS = [
    ("order 0", lambda: MomentEquations(Dimerisation(), order=0), "order"),
    ("order too high", lambda: MomentEquations(Dimerisation(), order=9), "order"),
    ("order not an integer", lambda: MomentEquations(Dimerisation(), order=2.5), "order"),
    (
        "more moment variables than supported",
        lambda: MomentEquations(
            ReactionNetwork(
                species=tuple("ABCDEFGH"),
                reactants=(tuple([0] * 8),),
                products=(tuple([1] * 8),),
                rates=(1.0,),
            ),
            order=5,
        ),
        "order",
    ),
    ("unknown closure", lambda: MomentEquations(Dimerisation(), closure="gamma"), "closure"),
    ("not a network", lambda: MomentEquations(jaxdyn.systems.Lorenz()), "network"),
]


@pytest.mark.parametrize("what, call, name", BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_closure_requests_raise_naming_the_argument(what, call, name):
    with pytest.raises((ValueError, TypeError), match=name):
        call()


@pytest.mark.slow
def test_schlogl_closure_steady_state_depends_on_the_initial_condition_at_large_size():
    initial = [0.0, 1.0, 2.0, 3.0, 4.0]
    for omega, want in ((20.0, 1), (160.0, 2)):
        eqs = MomentEquations(Schlogl(omega=omega), order=2, closure="normal")
        ss = mo.steady_states(eqs, jnp.stack([eqs.state([p * omega]) for p in initial]), t1=100.0)
        assert ss.count == want and np.all(ss.physical) and np.all(ss.basin >= 0)
    # The CME has one stationary law at both sizes (bimodal at Ω = 160).
    law = FSP(Schlogl(omega=160.0), 800).stationary(tol=1e-8)
    peaks = np.flatnonzero((law.p[1:-1] > law.p[:-2]) & (law.p[1:-1] > law.p[2:])) + 1
    assert len(peaks) == 2 and abs(peaks[0] - 160) < 15 and abs(peaks[1] - 480) < 20
