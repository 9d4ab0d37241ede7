"""Jump processes in the core: exact SSA through simulate and sweep, tau-leaping, the CLE,
the rate equations and the CME by finite state projection, checked against exact laws."""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

import jaxdyn
from jaxdyn.analysis import cme_exact
from jaxdyn.analysis.fsp import FSP
from jaxdyn.analysis.moments import MomentEquations
from jaxdyn.systems import (
    BirthDeath,
    Brusselator,
    ChemicalLangevin,
    Dimerisation,
    RateEquations,
    ReactionNetwork,
    Schlogl,
)

Z = 4.5  # z-score bound: with a few dozen comparisons, a false alarm has odds ~1e-4


def ensemble(net, t1, ts, n, seed=0, **kw):
    keys = jax.random.split(jax.random.PRNGKey(seed), n)
    run = jax.jit(jax.vmap(lambda k: jaxdyn.simulate(net, t1, key=k, ts=ts, **kw)))
    return run(keys)


@pytest.fixture(scope="module")
def birth_death_paths():
    net = BirthDeath(k1=8.0, k2=1.0, phi0=(20.0,))
    ts = np.array([0.0, 0.25, 0.5, 1.0, 2.0, 8.0])
    return net, ts, ensemble(net, 8.0, ts, 6000)


def test_ssa_birth_death_transient_mean_and_variance_are_exact(birth_death_paths):
    net, ts, traj = birth_death_paths
    assert np.all(np.asarray(traj.status) == 0)
    x = np.asarray(traj.ys[..., 0], dtype=float)
    mean, var = cme_exact.birth_death_moments(ts, 8.0, 1.0, n0=20)
    n = x.shape[0]
    assert np.all(x[:, 0] == 20)
    z_mean = (x.mean(0)[1:] - mean[1:]) / np.sqrt(var[1:] / n)
    assert np.max(np.abs(z_mean)) < Z, z_mean
    # Var of the sample variance: (μ4 - σ⁴)/n; μ4 estimated from the sample.
    m4 = ((x - x.mean(0)) ** 4).mean(0)[1:]
    z_var = (x.var(0)[1:] - var[1:]) / np.sqrt((m4 - var[1:] ** 2) / n)
    assert np.max(np.abs(z_var)) < Z, z_var


def test_ssa_birth_death_stationary_law_is_poisson(birth_death_paths):
    _, _, traj = birth_death_paths
    x = np.asarray(traj.ys[:, -1, 0])  # t = 8: e^{-8} of the start is left
    law = cme_exact.birth_death_pmf(np.arange(40), 8.0, 8.0, 1.0, n0=20)
    np.testing.assert_allclose(law, stats.poisson(8.0).pmf(np.arange(40)), atol=2e-3)
    counts = np.bincount(np.minimum(x, 16), minlength=17)[:17]
    expected = np.append(law[:16], law[16:].sum()) * len(x)
    chi2 = np.sum((counts - expected) ** 2 / expected)
    assert stats.chi2(16).sf(chi2) > 1e-4, chi2


def test_ssa_counts_the_jumps_and_is_a_function_of_its_key():
    net = Dimerisation(omega=5.0)
    ts = np.linspace(0.0, 2.0, 5)
    a = jaxdyn.simulate(net, 2.0, key=jax.random.PRNGKey(3), ts=ts)
    b = jaxdyn.simulate(net, 2.0, key=jax.random.PRNGKey(3), ts=ts)
    c = jaxdyn.simulate(net, 2.0, key=jax.random.PRNGKey(4), ts=ts)
    np.testing.assert_array_equal(a.ys, b.ys)
    assert not np.array_equal(a.ys, c.ys) or int(a.num_steps) != int(c.num_steps)
    assert a.ys.dtype == jnp.result_type(int) and int(a.status) == 0
    # Every jump of the dimerisation changes x by +1 or -2: the parity of x + births
    # tracks the jumps; at least as many jumps as the count went up.
    assert int(a.num_steps) >= int(a.ys[-1, 0])
    # An observable is saved instead of the state.
    obs = jaxdyn.simulate(
        net, 2.0, key=jax.random.PRNGKey(3), ts=ts, observable=lambda t, y: {"x2": y[0] ** 2}
    )
    np.testing.assert_array_equal(obs.ys["x2"], a.ys[:, 0] ** 2)


def test_jump_budget_gives_status_max_steps_and_marks_unreached_saves():
    net = BirthDeath(k1=100.0)
    ts = np.linspace(0.0, 5.0, 6)
    traj = jaxdyn.simulate(net, 5.0, key=jax.random.PRNGKey(0), ts=ts, max_jumps=50)
    assert int(traj.status) == jaxdyn.STATUS_MAX_STEPS and int(traj.num_steps) == 50
    x = np.asarray(traj.ys[:, 0])
    assert x[0] == 0 and x[-1] == -1  # unreached save times hold -1 (integer outputs)
    obs = jaxdyn.simulate(
        net,
        5.0,
        key=jax.random.PRNGKey(0),
        ts=ts,
        max_jumps=50,
        observable=lambda t, y: y.astype(float),
    )
    assert np.isnan(np.asarray(obs.ys[-1, 0])) and np.isfinite(np.asarray(obs.ys[0, 0]))


def test_absorbing_state_ends_the_path_without_jumps():
    # Pure death from 3 molecules: after 3 jumps nothing can happen (a_0 = 0).
    net = ReactionNetwork(rates=(0.0, 5.0), phi0=(3.0,))
    traj = jaxdyn.simulate(net, 50.0, key=jax.random.PRNGKey(1), ts=np.array([0.0, 50.0]))
    assert int(traj.status) == 0 and int(traj.num_steps) == 3
    np.testing.assert_array_equal(np.asarray(traj.ys[:, 0]), [3, 0])


def test_sweep_of_a_jump_process_is_deterministic_across_chunks_and_devices(tmp_path):
    assert jax.device_count() == 4
    net = BirthDeath()
    ts = np.array([0.5, 1.0])

    def member(sys, key):
        traj = jaxdyn.simulate(sys, 1.0, key=key, ts=ts, max_jumps=60)
        return {"x": traj.ys[:, 0], "status": traj.status, "jumps": traj.num_steps}

    grid = jaxdyn.Grid.product(k1=np.array([2.0, 10.0, 200.0]))
    key = jax.random.PRNGKey(7)
    kw = dict(key=key, seeds=5, progress=False)
    a = jaxdyn.sweep(member, net, grid, chunk_size=4, **kw)
    b = jaxdyn.sweep(member, net, grid, chunk_size=12, store=tmp_path / "s", **kw)
    one = jaxdyn.sweep(member, net, grid, chunk_size=3, devices=jax.devices()[:1], **kw)
    for other in (b, one):
        np.testing.assert_array_equal(a["x"].values, other["x"].values)
        np.testing.assert_array_equal(a["status"].values, other["status"].values)
    # Per-member status: the fast-birth point runs out of jumps, the others do not.
    status = a["status"].values
    assert np.all(status[:2] == 0) and np.all(status[2] == jaxdyn.STATUS_MAX_STEPS)
    assert np.all(a["x"].sel(k1=200.0).values[:, -1] == -1)
    # A member equals a single simulate with its member key.
    single = jaxdyn.simulate(
        eqx.tree_at(lambda s: s.k1, net, jnp.asarray(10.0)),
        1.0,
        key=jaxdyn.member_key(key, 3),
        ts=ts,
        max_jumps=60,
    )
    np.testing.assert_array_equal(a["x"].sel(k1=10.0).isel(seed=3).values, single.ys[:, 0])
    # Resumable: a second run loads the stored chunks and gives the same numbers.
    c = jaxdyn.sweep(member, net, grid, chunk_size=12, store=tmp_path / "s", **kw)
    np.testing.assert_array_equal(b["x"].values, c["x"].values)


@pytest.mark.slow
def test_ssa_agrees_with_the_fsp_at_several_times():
    net = Schlogl(omega=4.0, phi0=(1.5,))
    ts = np.array([0.1, 0.4, 1.0, 3.0])
    fsp = FSP(net, 120)
    p, lost = fsp.transient(ts, tol=1e-8)
    traj = ensemble(net, 3.0, ts, 4000, seed=11)
    x = np.asarray(traj.ys[..., 0], dtype=float)
    k = np.arange(121)
    for i in range(len(ts)):
        mean = float(fsp.mean(jnp.asarray(p[i]))[0])
        var = float(fsp.covariance(jnp.asarray(p[i]))[0, 0])
        z = (x[:, i].mean() - mean) / np.sqrt(var / len(x))
        assert abs(z) < Z, (ts[i], z)
        # The whole law: Kolmogorov-Smirnov distance against the FSP's distribution.
        cdf = np.cumsum(p[i])
        emp = np.searchsorted(np.sort(x[:, i]), k, side="right") / len(x)
        assert np.max(np.abs(emp - cdf)) < 1.95 / np.sqrt(len(x)), ts[i]


@pytest.mark.slow
def test_tau_leaping_stationary_variance_has_its_exact_first_order_bias():
    # Leaping the birth-death process with step h is the linear recursion
    # x' = x + Poisson(λh) - Poisson(k2 h x): stationary mean λ/k2, variance
    # (λ/k2) / (1 - k2 h / 2) (an O(h) bias that vanishes as h -> 0).
    net = BirthDeath(k1=20.0, k2=1.0, phi0=(20.0,))
    ts = np.linspace(10.0, 40.0, 31)
    for h in (0.4, 0.1):
        traj = ensemble(net, 40.0, ts, 1500, seed=5, solver=jaxdyn.TauLeaping(), dt=h)
        assert np.all(np.asarray(traj.status) == 0)
        x = np.asarray(traj.ys[..., 0], dtype=float)
        exact = 20.0 / (1.0 - h / 2)
        # Saves 1 time unit apart are nearly independent (correlation e^{-1} ~ 0.37).
        n_eff = x.size * (1 - np.exp(-1.0)) / (1 + np.exp(-1.0))
        assert abs(x.mean() - 20.0) < Z * np.sqrt(exact / n_eff)
        assert abs(x.var() / exact - 1) < Z * np.sqrt(2.0 / n_eff), (h, x.var(), exact)


@pytest.mark.slow
def test_chemical_langevin_birth_death_has_the_exact_first_two_moments():
    # Linear propensities: the CLE's mean and variance equal the CME's (Poisson, 15).
    cle = ChemicalLangevin(BirthDeath(k1=15.0, phi0=(15.0,)))
    ts = np.linspace(5.0, 20.0, 16)
    keys = jax.random.split(jax.random.PRNGKey(2), 800)
    traj = jax.jit(jax.vmap(lambda k: jaxdyn.simulate(cle, 20.0, key=k, ts=ts, dt=0.01)))(keys)
    x = np.asarray(traj.ys[..., 0])
    n_eff = x.size * (1 - np.exp(-1.0)) / (1 + np.exp(-1.0))
    assert abs(x.mean() - 15.0) < Z * np.sqrt(15.0 / n_eff)
    assert abs(x.var() / 15.0 - 1) < Z * np.sqrt(2.0 / n_eff) + 0.01  # + Euler's O(dt) bias


@pytest.mark.slow
def test_rate_equations_are_the_deterministic_limit():
    # Schlögl: bistable fixed points φ = 1 and 3 (unstable 2).
    for phi0, end in ((1.9, 1.0), (2.1, 3.0)):
        traj = jaxdyn.simulate(RateEquations(Schlogl(phi0=(phi0,))), 30.0, rtol=1e-9, atol=1e-12)
        assert abs(float(traj.ys[-1, 0]) - end) < 1e-6
    dim = RateEquations(Dimerisation(k1=2.0, k2=0.5))
    assert abs(float(jaxdyn.simulate(dim, 20.0).ys[-1, 0]) - np.sqrt(2.0)) < 1e-6
    # The combinatorial convention halves the bimolecular rate constant.
    comb = RateEquations(Dimerisation(k1=2.0, k2=0.5, convention="combinatorial"))
    assert abs(float(jaxdyn.simulate(comb, 20.0).ys[-1, 0]) - 2.0) < 1e-6
    # Brusselator past its Hopf point: the fixed point (1, 2.5) is unstable, a cycle.
    bru = Brusselator(phi0=(1.0, 2.4))
    assert float(bru.hopf_k2()) == 2.0
    ys = jaxdyn.simulate(RateEquations(bru), 80.0, ts=np.linspace(60, 80, 400)).ys
    assert np.ptp(np.asarray(ys[:, 0])) > 1.0


def test_conventions_differ_by_the_reactant_factorials():
    rate = Schlogl(k3=6.0, k4=1.0)
    comb = Schlogl(k3=12.0, k4=6.0, convention="combinatorial")
    x = jnp.array([7])
    np.testing.assert_allclose(rate.propensities(0.0, x), comb.propensities(0.0, x))
    np.testing.assert_allclose(
        rate.propensities(0.0, x), [60.0, 77.0, 6.0 * 7 * 6 / 10, 7 * 6 * 5 / 100]
    )


@pytest.mark.slow
def test_custom_propensities_run_through_ssa_fsp_and_rate_equations():
    # Self-repression: ∅ -> X at k1 Ω / (1 + (x/Ω)^2), X -> ∅ at k2 x.
    def hill(x, k, omega):
        return jnp.stack([k[0] * omega / (1.0 + (x[0] / omega) ** 2), k[1] * x[0]])

    net = ReactionNetwork(rates=(4.0, 1.0), omega=10.0, propensity=hill)
    st = FSP(net, 80).stationary(tol=1e-9)
    traj = ensemble(net, 30.0, np.linspace(10.0, 30.0, 11), 400, seed=9)
    x = np.asarray(traj.ys[..., 0], dtype=float)
    n_eff = x.size * 0.5
    assert abs(x.mean() - st.mean[0]) < Z * np.sqrt(st.variance[0] / n_eff)
    # Rate equation φ' = 4/(1+φ²) - φ: fixed point φ³ + φ - 4 = 0.
    phi = jaxdyn.simulate(RateEquations(net), 60.0, rtol=1e-10, atol=1e-12).ys[-1, 0]
    np.testing.assert_allclose(float(phi**3 + phi), 4.0, rtol=1e-6)
    with pytest.raises(ValueError, match="network"):
        MomentEquations(net)


def test_fsp_birth_death_transient_and_stationary_are_exact():
    net = BirthDeath(k1=6.0, k2=1.5, phi0=(10.0,))
    fsp = FSP(net, 45)
    ts = np.array([0.0, 0.3, 1.0, 4.0])
    p, lost = fsp.transient(ts, tol=1e-9, rtol=1e-10, atol=1e-13)
    for i, t in enumerate(ts):
        exact = cme_exact.birth_death_pmf(np.arange(46), t, 6.0, 1.5, n0=10)
        np.testing.assert_allclose(p[i, :], exact, atol=1e-8)
    st = fsp.stationary(tol=1e-12)
    np.testing.assert_allclose(st.p, stats.poisson(4.0).pmf(np.arange(46)), atol=1e-12)
    np.testing.assert_allclose([st.mean[0], st.variance[0]], [4.0, 4.0], rtol=1e-10)


@pytest.mark.slow
def test_fsp_is_differentiable_with_respect_to_a_rate_constant():
    # d E[x](t) / d k1 = Ω (1 - e^{-k2 t}) / k2 for the birth-death process.
    def mean_at(k1):
        fsp = FSP(eqx.tree_at(lambda n: n.k1, BirthDeath(), k1), 40)
        traj = jaxdyn.simulate(fsp, 1.0, rtol=1e-9, atol=1e-12)
        return fsp.mean(traj.ys[-1])[0]

    g = jax.grad(mean_at)(jnp.asarray(5.0))
    np.testing.assert_allclose(float(g), 1.0 - np.exp(-1.0), rtol=1e-6)


def test_dimerisation_stationary_law_is_the_bessel_solution():
    for omega, conv in ((2.0, "rate"), (6.0, "combinatorial")):
        net = Dimerisation(omega=omega, convention=conv)
        a = cme_exact.dimerisation_parameter(net)
        st = FSP(net, 60).stationary(tol=1e-12)
        mean, var = cme_exact.dimerisation_stationary(a)
        np.testing.assert_allclose([st.mean[0], st.variance[0]], [mean, var], rtol=1e-10)
        np.testing.assert_allclose(st.p, cme_exact.dimerisation_pmf(a, 60), atol=1e-13)
    # Large a: I_0(w)/I_1(w) = 1 + 1/(2w) + O(w^-2) gives E[x] = sqrt(a/2) + 1/8 + O(a^-1/2),
    # the rate equation's mean plus the first system-size correction.
    mean, var = cme_exact.dimerisation_stationary(1e6)
    np.testing.assert_allclose(mean, np.sqrt(5e5) + 0.125, rtol=1e-7)


# ----------------------------------------------------------------------------- bad input

BAD_INPUTS = [
    ("negative rate constant", lambda: BirthDeath(k1=-1.0), "k1"),
    ("negative rate in a generic network", lambda: ReactionNetwork(rates=(-1.0, 1.0)), "rates"),
    ("negative initial concentration", lambda: Schlogl(phi0=(-2.0,)), "phi0"),
    ("non-positive system size", lambda: Dimerisation(omega=0.0), "omega"),
    (
        "negative initial counts",
        lambda: jaxdyn.simulate(BirthDeath(), 1.0, key=jax.random.PRNGKey(0), y0=jnp.array([-3])),
        "y0",
    ),
    (
        "fractional initial counts",
        lambda: jaxdyn.simulate(BirthDeath(), 1.0, key=jax.random.PRNGKey(0), y0=jnp.array([1.5])),
        "y0",
    ),
    (
        "stoichiometry with the wrong number of species",
        lambda: ReactionNetwork(species=("A", "B"), reactants=((0,), (1,)), products=((1,), (0,))),
        "reactants",
    ),
    (
        "products not matching reactants",
        lambda: ReactionNetwork(reactants=((0,), (1,)), products=((1,),)),
        "products",
    ),
    ("one rate per reaction", lambda: ReactionNetwork(rates=(1.0, 2.0, 3.0)), "rates"),
    ("negative stoichiometry", lambda: ReactionNetwork(products=((1,), (-1,))), "products"),
    ("unknown convention", lambda: Schlogl(convention="physics"), "convention"),
    ("initial state of the wrong size", lambda: Brusselator(phi0=(1.0,)), "phi0"),
    (
        "dt with the exact method",
        lambda: jaxdyn.simulate(BirthDeath(), 1.0, key=jax.random.PRNGKey(0), dt=0.1),
        "dt",
    ),
    (
        "zero jump budget",
        lambda: jaxdyn.simulate(BirthDeath(), 1.0, key=jax.random.PRNGKey(0), max_jumps=0),
        "max_jumps",
    ),
    ("no key", lambda: jaxdyn.simulate(BirthDeath(), 1.0), "key"),
    ("FSP box of the wrong length", lambda: FSP(Brusselator(), 30), "max_counts"),
    ("FSP box too large", lambda: FSP(Brusselator(), (10**4, 10**4)), "max_counts"),
    ("FSP stationary box too small", lambda: FSP(BirthDeath(), 12).stationary(), "max_counts"),
    (
        "FSP transient box too small",  # the shapes and options of the FSP test: no recompile
        lambda: FSP(BirthDeath(k1=40.0, k2=1.5, phi0=(10.0,)), 45).transient(
            np.array([0.0, 0.3, 1.0, 4.0]), tol=1e-9, rtol=1e-10, atol=1e-13
        ),
        "max_counts",
    ),
    ("FSP tolerance", lambda: FSP(BirthDeath(), 40).stationary(tol=2.0), "tol"),
]


@pytest.mark.parametrize("what, call, name", BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_raises_naming_the_argument(what, call, name):
    with pytest.raises((ValueError, TypeError), match=name):
        call()


def test_wrong_solver_for_a_jump_process_is_a_type_error():
    with pytest.raises(TypeError, match="solver"):
        jaxdyn.simulate(BirthDeath(), 1.0, key=jax.random.PRNGKey(0), solver=jaxdyn.ETDRK4())


# ----------------------------------------------------------------------------- slow checks


@pytest.mark.slow
def test_ssa_and_tau_leaping_converge_to_each_other_as_the_leap_shrinks():
    # Dimerisation (nonlinear): E[x(t)] and Var under leaps h -> the SSA's, error ~ h.
    net = Dimerisation(omega=6.0)
    ts = np.array([0.5, 1.0])
    n = 40000
    ssa = np.asarray(ensemble(net, 1.0, ts, n, seed=1).ys[..., 0], dtype=float)
    errs = []
    hs = (0.1, 0.05, 0.025)
    for h in hs:
        tau = ensemble(net, 1.0, ts, n, seed=2, solver=jaxdyn.TauLeaping(), dt=h)
        x = np.asarray(tau.ys[..., 0], dtype=float)
        errs.append(abs(x.var(0)[-1] - ssa.var(0)[-1]))
    se = ssa.var(0)[-1] * np.sqrt(2.0 / n) * np.sqrt(2)
    assert errs[0] > 6 * se  # the coarse leap is visibly biased
    assert errs[-1] < errs[0] / 2.5
    slope = np.polyfit(np.log(hs), np.log(errs), 1)[0]
    assert 0.6 < slope < 1.6, slope


@pytest.mark.slow
def test_ssa_agrees_with_the_fsp_for_the_brusselator():
    net = Brusselator(omega=4.0, phi0=(1.0, 2.0))
    ts = np.array([1.0, 3.0])
    fsp = FSP(net, (40, 70))
    p, _ = fsp.transient(ts, tol=1e-6)
    x = np.asarray(ensemble(net, 3.0, ts, 8000, seed=4).ys, dtype=float)
    for i in range(len(ts)):
        mean = np.asarray(fsp.mean(jnp.asarray(p[i])))
        cov = np.asarray(fsp.covariance(jnp.asarray(p[i])))
        z = (x[:, i].mean(0) - mean) / np.sqrt(np.diag(cov) / len(x))
        assert np.max(np.abs(z)) < Z, z
