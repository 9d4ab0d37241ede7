"""Paper 9: fast spectral Boltzmann operators, the disparate-mass mixture and its AP scheme.

Reference results: the exact BKW solution (one species); the exact moment equations of
Maxwell molecules (any mixture, any mass ratio: :mod:`jaxdyn.analysis.kinetic`), which a
kinetic solver must reproduce; the limiting temperature-exchange dynamics of the
disparate-mass limit (Degond & Lucquin-Desreux 1996).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxdyn import ClassicRK4, simulate
from jaxdyn.analysis.kinetic import (
    decay_rate,
    exact_moments,
    first_passage,
    limit_temperatures,
    mixture_moment_rhs,
    moments,
    relaxation_rates,
)
from jaxdyn.solvers.fast_spectral import (
    VelocityGrid,
    circle_average,
    collision_operator,
    fokker_planck,
    maxwellian,
    mixture_collision_operator,
    ou_flow,
    shift,
    truncated_mass,
)
from jaxdyn.systems import (
    Boltzmann2D,
    BoltzmannMixture,
    BoltzmannMixtureAP,
    BoltzmannMixtureAsymptotic,
)

GRID = VelocityGrid(64, 10.0)
RATES = lambda mu: (1.0, math.sqrt(mu), 1.0)  # noqa: E731  (λ_ll, λ_hh, λ_lh)


def bimaxwellian(grid=GRID, u=(0.3, -0.1), T=(0.8, 0.4), rho=1.0):
    return maxwellian(grid, rho, jnp.asarray(u), jnp.asarray(T))


def raw_moments(f, grid=GRID):
    m = moments(f, grid)
    rho, u, T = m["density"], m["velocity"], m["temperature"]
    return rho, rho * u, rho * (T + jnp.outer(u, u))


# ------------------------------------------------------------------ single species


def test_bkw_exact_solution_is_reproduced_spectrally():
    system = Boltzmann2D()
    ts = np.array([0.5, 2.0, 6.0])
    traj = simulate(system, 6.0, ts=ts, rtol=1e-10, atol=1e-13)
    for i, t in enumerate(ts):
        exact = system.bkw(t)
        err = float(jnp.max(jnp.abs(traj.ys[i] - exact)) / jnp.max(exact))
        assert err < 1e-6, (t, err)
    # the rate λρ/8 of the BKW solution scales with density and rate
    fast = Boltzmann2D(rate=2.0, density=1.5, temperature=1.3)
    f = fast.bkw(1.0)
    dfdt = (fast.bkw(1.0 + 1e-5) - fast.bkw(1.0 - 1e-5)) / 2e-5
    q = fast.drift(1.0, f)
    assert float(jnp.max(jnp.abs(q - dfdt)) / jnp.max(jnp.abs(dfdt))) < 1e-5


def test_spectral_operator_conserves_and_relaxes_to_the_right_maxwellian():
    f = bimaxwellian()
    q = collision_operator(f, GRID, 8)
    rho, J, M = raw_moments(f)
    # Q conserves mass (to round-off: the k = 0 modes of gain and loss cancel),
    # momentum and energy (to spectral accuracy); the pressure tensor's traceless part
    # decays at λρ/2 (2-D Maxwell molecules), its trace is conserved.
    dn, dJ, dM = (float(x) if jnp.ndim(x) == 0 else np.asarray(x) for x in raw_moments_lin(q))
    assert abs(dn) < 1e-13
    assert np.max(np.abs(dJ)) < 1e-8
    assert abs(dM[0, 0] + dM[1, 1]) < 2e-7
    P = np.asarray(M) - np.outer(J, J) / float(rho)
    aniso = P - 0.5 * np.trace(P) * np.eye(2)
    np.testing.assert_allclose(dM, -0.5 * float(rho) * aniso, atol=1e-7)
    # the equilibrium: Q vanishes on the Maxwellian of the same ρ, u and T = tr Θ / 2
    m = moments(f, GRID)
    M_eq = maxwellian(GRID, m["density"], m["velocity"], 0.5 * jnp.trace(m["temperature"]))
    assert float(jnp.max(jnp.abs(collision_operator(M_eq, GRID, 8)))) < 1e-10


@pytest.mark.slow
def test_a_long_run_ends_at_the_maxwellian_of_the_initial_moments():
    b = Boltzmann2D()
    traj = simulate(b, 120.0, rtol=1e-9, atol=1e-12)
    M_eq = maxwellian(b.grid, 1.0, jnp.zeros(2), 1.0)
    # the discrete equilibrium is the Maxwellian to the method's (spectral) accuracy
    assert float(jnp.max(jnp.abs(traj.ys[-1] - M_eq)) / jnp.max(M_eq)) < 3e-5


def raw_moments_lin(q, grid=GRID):
    """∫q, ∫vq, ∫vvᵀq of a (not necessarily positive) grid function."""
    vx, vy = (jnp.asarray(a) for a in grid.mesh())
    w = grid.h**2
    n = jnp.sum(q) * w
    J = jnp.stack([jnp.sum(q * vx), jnp.sum(q * vy)]) * w
    M = (
        jnp.stack(
            [
                jnp.stack([jnp.sum(q * vx * vx), jnp.sum(q * vx * vy)]),
                jnp.stack([jnp.sum(q * vx * vy), jnp.sum(q * vy * vy)]),
            ]
        )
        * w
    )
    return n, J, M


# ------------------------------------------------------------------ two species


@pytest.mark.parametrize("mu", [0.25, pytest.param(0.6, marks=pytest.mark.slow)])
def test_mixture_operator_matches_the_exact_moment_equations(mu):
    eps = math.sqrt(mu)
    grid = VelocityGrid(80, 10.0)  # two points per thermal speed of the heavy at μ = 1/4
    raw_moments_lin = lambda q: globals()["raw_moments_lin"](q, grid)  # noqa: E731
    fl = bimaxwellian(grid, u=(0.3, 0.0), T=(1.0, 0.6))
    fh = maxwellian(grid, 1.3, jnp.asarray([0.0, 0.2 * eps]), mu * jnp.asarray([1.0, 0.7]))
    a_l = 1 / (1 + mu)
    ql = mixture_collision_operator(fl, fh, grid, a_l, 4)
    qh = mixture_collision_operator(fh, fl, grid, 1 - a_l, 4)
    nl, Jl, Ml = raw_moments(fl, grid)
    nh, Jh, Mh = raw_moments(fh, grid)
    state = np.concatenate([Jl, np.ravel(Ml), Jh, np.ravel(Mh)])
    # only the cross terms: switch the self-collision rates off
    want = mixture_moment_rhs(state, mu, (float(nl), float(nh)), (0.0, 0.0, 1.0))
    got = np.concatenate(
        [
            np.asarray(raw_moments_lin(ql)[1]),
            np.ravel(raw_moments_lin(ql)[2]),
            np.asarray(raw_moments_lin(qh)[1]),
            np.ravel(raw_moments_lin(qh)[2]),
        ]
    )
    np.testing.assert_allclose(got, want, atol=2e-5 * np.max(np.abs(want)))
    # mass to round-off (the loss uses the gain's radial quadrature)
    assert abs(float(raw_moments_lin(ql)[0])) < 1e-13
    # total momentum m_l J_l + m_h J_h and energy are exchanged, not created
    dJ = np.asarray(raw_moments_lin(ql)[1]) + np.asarray(raw_moments_lin(qh)[1]) / mu
    assert np.max(np.abs(dJ)) < 1e-6
    dE = float(jnp.trace(raw_moments_lin(ql)[2]) + jnp.trace(raw_moments_lin(qh)[2]) / mu)
    assert abs(dE) < 1e-6


def test_mixture_operator_with_equal_masses_is_the_single_species_operator():
    f = bimaxwellian()
    q1 = collision_operator(f, GRID, 8)
    q2 = mixture_collision_operator(f, f, GRID, 0.5, 8)
    assert float(jnp.max(jnp.abs(q1 - q2))) < 1e-12


def test_circle_average_shift_and_ou_flow_are_exact():
    grid = VelocityGrid(48, 10.0)
    u, T = np.array([0.7, -0.3]), np.array([1.0, 0.5])
    f = maxwellian(grid, 1.0, jnp.asarray(u), jnp.asarray(T))
    vx, vy = grid.mesh()
    th = np.linspace(0, 2 * np.pi, 256, endpoint=False)

    def exact_avg(c):
        r = np.sqrt((vx - c[0]) ** 2 + (vy - c[1]) ** 2)[..., None]
        x, y = c[0] + r * np.cos(th), c[1] + r * np.sin(th)
        g = np.exp(-((x - u[0]) ** 2) / (2 * T[0]) - (y - u[1]) ** 2 / (2 * T[1]))
        return np.mean(g, -1) / (2 * np.pi * np.sqrt(T[0] * T[1]))

    for c in (np.zeros(2), np.array([0.2, 0.1])):
        avg = circle_average(f, grid, None if not c.any() else jnp.asarray(c))
        assert float(jnp.max(jnp.abs(avg - exact_avg(c)))) < 1e-7
        assert abs(float(grid.integrate(avg)) - 1.0) < 1e-8
    s = jnp.asarray([0.3, -0.2])
    moved = maxwellian(grid, 1.0, jnp.asarray(u) + s, jnp.asarray(T))
    assert float(jnp.max(jnp.abs(shift(f, grid, s) - moved))) < 1e-7
    # OU: a Maxwellian stays one, u -> c + α(u - c), Θ -> T* + (Θ - T*)α²
    a, Tt, c = 0.6, 0.8, jnp.asarray([0.1, 0.2])
    want = maxwellian(grid, 1.0, c + a * (jnp.asarray(u) - c), Tt + (jnp.asarray(T) - Tt) * a**2)
    assert float(jnp.max(jnp.abs(ou_flow(f, grid, a, c, Tt) - want))) < 1e-9
    # and the Fokker-Planck operator is its generator
    d = 1e-5
    num = (ou_flow(f, grid, np.exp(-d), c, Tt) - ou_flow(f, grid, np.exp(d), c, Tt)) / (2 * d)
    assert float(jnp.max(jnp.abs(fokker_planck(f, grid, c, Tt) - num))) < 1e-8


@pytest.mark.slow
def test_direct_mixture_reproduces_the_exact_moment_evolution():
    system = BoltzmannMixture()
    ts = np.array([0.5, 1.0])
    traj = simulate(
        system, 1.0, ts=ts, observable=lambda t, y: system.macroscopic(y), rtol=1e-8, atol=1e-11
    )
    mu = float(system.mass_ratio)
    ex = exact_moments(
        ts,
        mu,
        (1.0, 1.0),
        (system.velocity_light, system.velocity_heavy),
        (system.temperature_light, system.temperature_heavy),
        RATES(mu),
    )
    o = traj.ys
    np.testing.assert_allclose(o["T_light"], ex["T_light"], atol=2e-6)
    np.testing.assert_allclose(o["T_heavy"], ex["T_heavy"], atol=2e-6)
    np.testing.assert_allclose(o["u_light"], ex["u_light"], atol=2e-6)
    np.testing.assert_allclose(o["u_heavy"], ex["u_heavy"], atol=2e-6)
    e0 = float(system.macroscopic(system.initial_state())["energy"])
    assert np.max(np.abs(np.asarray(o["energy"]) - e0)) < 1e-6
    assert np.max(np.abs(np.asarray(o["density"]) - 1.0)) < 1e-11


# ------------------------------------------------------------------ theory


def test_relaxation_rates_and_their_disparate_mass_limits():
    for mu in (0.3, 1e-2, 1e-4):
        r = relaxation_rates(mu, (1.0, 2.0), RATES(mu))
        # the exact rates are the decay rates of the exact moment equations
        t = np.linspace(0.0, 3.0 / r["exact"]["temperature_exchange"], 400)
        ex = exact_moments(t, mu, (1.0, 2.0), ((0, 0), (0, 0)), (1.0, 0.4), RATES(mu))
        gap = np.trace(ex["T_light"], axis1=1, axis2=2) - np.trace(ex["T_heavy"], axis1=1, axis2=2)
        fit = decay_rate(t, gap, 1e-6, 1.0)
        assert fit["rate"] == pytest.approx(r["exact"]["temperature_exchange"], rel=1e-6)
        # the asymptotic model's rates agree with the exact ones to O(μ)
        for k in r["exact"]:
            assert abs(r["asymptotic"][k] / r["exact"][k] - 1) < 3 * mu
    # three epochs: O(1), O(ε), O(ε²) rates (the hard-sphere-like λ_hh = ε)
    r = relaxation_rates(1e-6, (1.0, 1.0), RATES(1e-6))["exact"]
    assert r["light_thermalisation"] == pytest.approx(1.5, rel=1e-5)
    assert r["heavy_thermalisation"] == pytest.approx(0.5e-3, rel=1e-2)
    assert r["temperature_exchange"] == pytest.approx(4e-6, rel=1e-5)
    Tl, Th = limit_temperatures([0.0, 1e9], 1e-6, (1.0, 3.0), (2.0, 1.0))
    assert Tl[0] == 2.0 and Tl[1] == pytest.approx(1.25) and Th[1] == pytest.approx(1.25)
    assert first_passage([0, 1, 2], [1.0, 0.5, 0.1], 0.25) == pytest.approx(1 + 1 / np.log2(5))


def test_ap_scheme_becomes_the_limiting_dynamics_at_fixed_slow_step():
    """As μ -> 0 with the step fixed in the slow time μt (here μ = 1e-8, dt = 1e7 light
    collision times), the AP scheme is stable, both species are Maxwellians after one
    step and the temperatures follow the limiting exchange equations."""
    mu, ds, steps = 1e-8, 0.1, 3
    system = BoltzmannMixtureAP(mass_ratio=mu, dt=ds / mu)
    ts = np.arange(1, steps + 1) * ds / mu
    traj = simulate(system, ts[-1], ts=ts)
    o = jax.vmap(system.macroscopic)(traj.ys)
    u = np.asarray(system.velocity_light)
    T0l = float(np.mean(system.temperature_light)) + 0.5 * float(u @ u)  # drift heat
    T0h = float(np.mean(system.temperature_heavy))
    Tl, Th = limit_temperatures(ts, mu, (1.0, 1.0), (T0l, T0h))
    got_l = np.trace(np.asarray(o["T_light"]), axis1=1, axis2=2) / 2
    got_h = np.trace(np.asarray(o["T_heavy"]), axis1=1, axis2=2) / 2
    assert np.max(np.abs(got_l - Tl)) < 1e-7 and np.max(np.abs(got_h - Th)) < 1e-7
    for s, f in enumerate(traj.ys[0]):  # Maxwellians after the first step
        m = moments(f, system.grid)
        M = maxwellian(system.grid, m["density"], m["velocity"], 0.5 * jnp.trace(m["temperature"]))
        assert float(jnp.max(jnp.abs(f - M)) / jnp.max(M)) < 1e-6, s


@pytest.mark.slow
def test_ap_scheme_is_a_first_order_discretisation_of_the_asymptotic_model():
    """At fixed μ the AP map converges to the asymptotic ODE at order 1 as dt -> 0."""
    kw = dict(
        mass_ratio=1e-2,
        n_v=32,
        v_max=8.0,
        temperature_light=(0.7, 0.6),
        temperature_heavy=(0.65, 0.6),
        velocity_light=(0.2, 0.0),
    )
    ref_sys = BoltzmannMixtureAsymptotic(**kw)
    ref = simulate(ref_sys, 1.0, rtol=1e-10, atol=1e-13).ys[-1]
    errs = []
    for dt in (0.1, 0.05, 0.025):
        ap = BoltzmannMixtureAP(**kw, dt=dt)
        errs.append(float(jnp.max(jnp.abs(simulate(ap, 1.0).ys[-1] - ref))))
    orders = np.log2(np.asarray(errs[:-1]) / np.asarray(errs[1:]))
    assert np.all(np.abs(orders - 1.0) < 0.2), (errs, orders)


@pytest.mark.slow
def test_explicit_solver_needs_steps_shrinking_with_the_mass_ratio():
    """RK4 on the same asymptotic model: stable at dt = 1 light time, unstable at dt = 4;
    at a fixed slow step 0.1 this means unstable for every μ < ~0.025."""
    system = BoltzmannMixtureAsymptotic(
        mass_ratio=1e-3,
        n_v=32,
        v_max=8.0,
        temperature_light=(0.65, 0.6),
        temperature_heavy=(0.6, 0.6),
    )
    ok = simulate(system, 40.0, dt=1.0, solver=ClassicRK4(), adaptive=False)
    bad = simulate(system, 40.0, dt=4.0, solver=ClassicRK4(), adaptive=False)
    assert int(ok.status) == 0
    assert int(bad.status) != 0 or not np.all(np.isfinite(np.asarray(bad.ys)))


# ------------------------------------------------------------------ bad input

BAD_INPUT = [
    (lambda: BoltzmannMixtureAP(density_light=0.0), "density_light"),
    (lambda: BoltzmannMixtureAP(density_heavy=-1.0), "density_heavy"),
    (lambda: BoltzmannMixture(temperature_light=(0.0, 0.5)), "temperature_light"),
    (lambda: BoltzmannMixtureAsymptotic(temperature_heavy=(-1.0, 0.5)), "temperature_heavy"),
    (lambda: Boltzmann2D(temperature=0.0), "temperature"),
    (lambda: Boltzmann2D(density=-2.0), "density"),
    (lambda: BoltzmannMixtureAP(mass_ratio=0.0), "mass_ratio"),
    (lambda: BoltzmannMixtureAP(mass_ratio=2.0), "mass_ratio"),
    # a velocity domain too small for the initial temperatures: the truncated mass is named
    (lambda: BoltzmannMixtureAP(temperature_light=(3.0, 3.0)), r"v_max.*fraction .* outside"),
    (lambda: BoltzmannMixture(v_max=4.0), r"v_max.*fraction .* outside"),
    (lambda: Boltzmann2D(v_max=5.0, n_v=32), r"v_max.*fraction .* outside"),
    # resolutions that are not supported
    (lambda: BoltzmannMixture(n_v=24), r"n_v = 24 is an unsupported resolution"),
    (lambda: BoltzmannMixture(mass_ratio=0.05), r"n_v = 48 is an unsupported resolution.*heavy"),
    (lambda: BoltzmannMixtureAP(temperature_heavy=(0.1, 0.1)), r"n_v.*unsupported.*heavy"),
    (lambda: VelocityGrid(31, 8.0), "n_v"),
    (lambda: VelocityGrid(4, 8.0), "n_v"),
    (lambda: VelocityGrid(4096, 8.0), "n_v"),
    (lambda: VelocityGrid(32, -1.0), "v_max"),
    (lambda: VelocityGrid(32, math.inf), "v_max"),
    (lambda: BoltzmannMixture(n_angles=1), "n_angles"),
    (lambda: BoltzmannMixture(n_radial=2), "n_radial"),
    (lambda: Boltzmann2D(n_angles=0), "n_angles"),
    (lambda: collision_operator(jnp.zeros((32, 32)), VelocityGrid(32, 8.0), 1), "n_angles"),
    (lambda: BoltzmannMixtureAP(temperature_light=(1.0, 0.5, 0.5)), "temperature_light"),
    (lambda: BoltzmannMixture(velocity_heavy=[[0.0, 0.0]]), "velocity_heavy"),
    (lambda: BoltzmannMixtureAP(dt=0.0), "dt"),
    (lambda: BoltzmannMixtureAP(dt=-1.0), "dt"),
]


@pytest.mark.parametrize("make, match", BAD_INPUT, ids=[m for _, m in BAD_INPUT])
def test_bad_input_raises_naming_the_argument(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_truncated_mass_is_reported():
    grid = VelocityGrid(32, 6.0)
    f = maxwellian(grid, 1.0, jnp.zeros(2), 1.5)
    lost = float(truncated_mass(f, grid))
    # an isotropic Maxwellian has e^{-S²/2T} of its mass outside |v| = S
    assert lost == pytest.approx(math.exp(-(grid.support**2) / 3.0), rel=0.1)
    with pytest.raises(ValueError, match=f"{lost:.2e}"):
        BoltzmannMixtureAP(temperature_light=(1.5, 1.5), velocity_light=(0, 0), n_v=32, v_max=6.0)
