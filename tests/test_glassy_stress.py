"""Aging Maxwell model of paper 14: the solve against its closed forms, the regimes, the fit."""

from __future__ import annotations

import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxdyn
from jaxdyn.analysis.rheology import curve_minimum, stress_regime
from jaxdyn.experiments.glassy_stress import GlassyStressConfig
from jaxdyn.systems.maxwell_aging import AgingMaxwell

TS = np.geomspace(1e-4, 1e3, 200)


@eqx.filter_jit
def _solve(system, ts):
    # one compiled solve for every parameter set (the parameters are traced)
    return jaxdyn.simulate(system, ts[-1], ts=ts, observable=system.stress, rtol=1e-10,
                           atol=1e-300)  # fmt: skip


def solved_stress(system, ts=TS):
    traj = _solve(system, jnp.asarray(ts))
    assert int(traj.status) == 0
    return np.asarray(traj.ys)


@pytest.mark.parametrize(
    "params",
    [
        {},  # hyper-aging, minimum at t* - t_0
        {"hyperaging_exponent": 1.0, "aging_exponent": 0.3},  # μ = 1: power-law relaxation
        {"hyperaging_exponent": 0.7, "aging_exponent": 0.9, "shear_rate": 100.0},  # overshoot
        {"hyperaging_exponent": 2.2, "shear_rate": 0.05},  # only build-up
    ],
)
def test_solve_matches_the_closed_form(params):
    system = AgingMaxwell(**params)
    exact = np.asarray(system.stress_closed_form(TS))
    np.testing.assert_allclose(solved_stress(system), exact, rtol=2e-7)


def test_minimum_time_closed_form_by_hand_and_stationary():
    s = AgingMaxwell()  # a = 1/5, μ = 1.6, τ_m = 1, k = 0.1, γ̇_p = 10: t* = 5^(5/3), t_0 = 1
    assert float(s.minimum_time()) == pytest.approx(5 ** (5 / 3) - 1.0, rel=1e-13)
    log_sigma = lambda t: jnp.log(s.stress_closed_form(t))
    t_min = s.minimum_time()
    assert abs(float(jax.grad(log_sigma)(t_min))) < 1e-12
    assert float(jax.grad(jax.grad(log_sigma))(t_min)) > 0
    # the minimum of the *solved* curve, refined by a parabola in log t
    t_sim, _ = curve_minimum(TS, solved_stress(s))
    assert t_sim == pytest.approx(float(t_min), rel=2e-3)


@pytest.mark.parametrize(
    ("params", "regime"),
    [
        ({}, 1),
        ({"shear_rate": 0.2}, 2),  # t_0 = 50 > t* = 14.6: build-up from the start
        ({"hyperaging_exponent": 1.0, "aging_exponent": 0.5}, 0),
        ({"hyperaging_exponent": 1.0, "aging_exponent": 1.2}, 2),
        ({"hyperaging_exponent": 0.7, "aging_exponent": 0.9, "shear_rate": 100.0}, 3),
        ({"hyperaging_exponent": 0.7, "aging_exponent": 0.1}, 0),
        ({"aging_exponent": 0.0}, 0),  # no aging of the modulus: relaxes to a residual
    ],
)
def test_regime_closed_form_and_solved_shape_agree(params, regime):
    s = AgingMaxwell(**params)
    assert int(s.regime()) == regime
    assert int(stress_regime(solved_stress(s))) == regime


def test_preshear_from_rest_reaches_the_steady_state_and_flow_curve():
    s = AgingMaxwell(shear_rate=3.0)
    y0 = jnp.array([0.0, 2.0])  # an old sample at rest
    traj = jaxdyn.simulate(s, 150.0, y0=y0, args=3.0, rtol=1e-10, atol=1e-30)
    np.testing.assert_allclose(np.asarray(traj.ys[-1]), np.asarray(s.initial_state()), rtol=1e-8)
    sigma = float(s.stress(150.0, traj.ys[-1])) + float(s.viscosity) * 3.0
    assert sigma == pytest.approx(float(s.steady_stress(3.0)), rel=1e-8)


def test_flow_curve_minimum_is_a_stationary_point():
    s = AgingMaxwell()
    r = s.flow_curve_minimum()
    assert float(r) > 0
    d = jax.grad(s.steady_stress)
    assert abs(float(d(r))) < 1e-9 * float(s.steady_stress(r) / r)
    assert float(jax.grad(d)(r)) > 0
    # a + μ <= 1: monotone flow curve, no minimum
    assert math.isnan(float(AgingMaxwell(aging_exponent=0.2, hyperaging_exponent=0.7)
                             .flow_curve_minimum()))  # fmt: skip


def test_gradient_through_the_solve_matches_the_closed_form_gradient():
    ts = jnp.geomspace(1e-2, 100.0, 30)
    solved = lambda s: jnp.sum(jnp.log(_solve(s, ts).ys))
    exact = lambda s: jnp.sum(jnp.log(s.stress_closed_form(ts)))
    system = AgingMaxwell()
    g = eqx.filter_jit(eqx.filter_grad(solved))(system)
    g_exact = eqx.filter_grad(exact)(system)
    for field in ("modulus", "aging_exponent", "hyperaging_exponent", "tau_m", "rejuvenation"):
        a, b = float(getattr(g, field)), float(getattr(g_exact, field))
        assert a == pytest.approx(b, rel=1e-6), field


@pytest.mark.slow
def test_fit_recovers_the_parameters_within_their_laplace_errors():
    from jaxdyn.experiments.glassy_stress.run import FIT_FIELDS, _at, fit_curves, synthetic_data

    cfg = GlassyStressConfig()
    truth = AgingMaxwell()
    data = synthetic_data(cfg, truth, jax.random.PRNGKey(3))
    start = _at(truth, modulus=130.0, aging_exponent=0.4, hyperaging_exponent=1.76,
                tau_m=0.75, rejuvenation=1.3)  # fmt: skip
    res, loss_truth = fit_curves(cfg, truth, data, start)
    assert res.history[-1] <= loss_truth  # the optimum is at least as good as the truth
    for f in FIT_FIELDS:
        z = (float(res.params[f]) - float(getattr(truth, f))) / float(res.stderr[f])
        assert abs(z) < 3.5, (f, z)


# ----------------------------------------------------------------------------- bad input
BAD = [
    (lambda: AgingMaxwell(modulus=-1.0), "modulus"),
    (lambda: AgingMaxwell(aging_exponent=4.0), "aging_exponent"),
    (lambda: AgingMaxwell(hyperaging_exponent=-0.5), "hyperaging_exponent"),
    (lambda: AgingMaxwell(shear_rate=float("nan")), "shear_rate"),
    (lambda: AgingMaxwell(shear_rate=0.0), "shear_rate"),
    (lambda: AgingMaxwell(tau_m=0.0), "tau_m"),
    (lambda: AgingMaxwell(rejuvenation=-2.0), "rejuvenation"),
    (lambda: AgingMaxwell(viscosity=-0.1), "viscosity"),
    (lambda: curve_minimum([1.0, 2.0], [1.0, 2.0]), "ts and sigma"),
    (lambda: GlassyStressConfig(fit_noise=2.0), "fit_noise"),
    (lambda: GlassyStressConfig(rates=(0.0,)), "rates"),
    (lambda: GlassyStressConfig(rtol=0.1), "rtol"),
]


@pytest.mark.parametrize(("make", "match"), BAD)
def test_bad_input_raises_naming_the_argument(make, match):
    with pytest.raises(ValueError, match=match):
        make()
