"""Continuation and bifurcation analysis: normal forms with exact bifurcation points,
closed-form Hopf curves (Brusselator, Sel'kov), the delayed replicator's Hopf delay,
a comparison with pycont-lite, and bad input."""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxdyn.analysis import continuation as cont
from jaxdyn.analysis.stability import linear_dde_rightmost_root
from jaxdyn.systems import DelayedReplicator


def brusselator(y, b, a):
    """x' = a - (b + 1) x + x² y, y' = b x - x² y: Hopf at b = 1 + a², ω = a."""
    x, z = y
    return jnp.stack([a - (b + 1.0) * x + x * x * z, b * x - x * x * z])


def selkov(y, b, a):
    """x' = -x + a y + x² y, y' = b - a y - x² y (Strogatz, Nonlinear Dynamics and Chaos,
    §7.3): Hopf where b⁴ + (2a - 1) b² + a + a² = 0, with ω² = a + b²."""
    x, z = y
    return jnp.stack([-x + a * z + x * x * z, b - a * z - x * x * z])


def test_saddle_node_fold_is_located_exactly():
    problem = cont.ODEProblem(lambda y, p: p + y**2)
    branch = cont.continuation(
        problem, jnp.array([-1.0]), -1.0, p_min=-2.0, p_max=2.0, ds=0.05, ds_max=0.2, n_steps=30
    )
    points = cont.bifurcations(problem, branch)
    assert [pt.kind for pt in points] == ["fold"]
    fold = points[0].point
    assert bool(fold.converged)
    assert abs(float(fold.p)) < 1e-12 and abs(float(fold.y[0])) < 1e-10
    b = branch.trimmed()
    # y = -sqrt(-p) is stable, the branch beyond the fold (y > 0) unstable
    np.testing.assert_array_equal(b.stable, b.y[:, 0] < 0)
    # the branch turns: it comes back towards p < 0 on the upper sheet
    assert b.p[-1] < -0.5 and b.y[-1, 0] > 0.5


def test_transcritical_pitchfork_and_hopf_on_one_branch():
    def f(y, p):
        a, b, x, z = y
        r2 = x * x + z * z
        return jnp.stack(
            [
                p * a - a * a,  # transcritical at p = 0
                (p - 0.5) * b - b**3,  # pitchfork at p = 1/2
                (p - 1.0) * x - 2.0 * z - x * r2,  # Hopf at p = 1, ω = 2
                2.0 * x + (p - 1.0) * z - z * r2,
            ]
        )

    problem = cont.ODEProblem(f)
    branch = cont.continuation(
        problem, jnp.zeros(4), -0.37, p_min=-1.0, p_max=1.6, ds=0.1, ds_max=0.2, n_steps=40
    )
    points = cont.bifurcations(problem, branch)
    assert [pt.kind for pt in points] == ["branch_point", "branch_point", "hopf"]
    for pt, p_exact in zip(points, (0.0, 0.5, 1.0), strict=True):
        assert bool(pt.point.converged)
        assert abs(pt.p - p_exact) < 1e-10, (pt.kind, pt.p)
        np.testing.assert_allclose(pt.point.y, 0.0, atol=1e-10)
    assert abs(float(points[2].point.omega) - 2.0) < 1e-12
    # stability: unstable directions appear one (BP), one (BP), two (Hopf) at a time
    b = branch.trimmed()
    np.testing.assert_array_equal(
        np.asarray(b.n_unstable), (b.p > 0).astype(int) + (b.p > 0.5) + 2 * (b.p > 1.0)
    )


def test_many_brusselator_branches_at_once_jit_vmap():
    a_values = jnp.array([0.5, 1.0, 1.5, 2.0])

    @jax.jit
    @jax.vmap
    def hopf_of(a):
        problem = cont.ODEProblem(lambda y, b: brusselator(y, b, a))
        branch = cont.continuation(
            problem,
            jnp.stack([a, 1.0 / a]),
            0.5,
            p_min=0.0,
            p_max=8.0,
            ds=0.1,
            ds_max=0.4,
            n_steps=30,
            check_start=False,
        )
        return cont.first_hopf(problem, branch)

    h = hopf_of(a_values)
    assert np.all(np.asarray(h.converged))
    np.testing.assert_allclose(h.p, 1.0 + a_values**2, rtol=1e-12)
    np.testing.assert_allclose(h.omega, a_values, rtol=1e-12)
    np.testing.assert_allclose(h.y[:, 0], a_values, rtol=1e-12)


def test_selkov_two_parameter_hopf_curve_matches_closed_form():
    a0 = 0.04
    b0 = np.sqrt((1 - 2 * a0 + np.sqrt(1 - 8 * a0)) / 2)  # upper Hopf branch
    problem_of = lambda a: cont.ODEProblem(lambda y, b: selkov(y, b, a))
    y_guess = jnp.array([b0, b0 / (a0 + b0**2)])
    h = cont.locate_hopf(problem_of(a0), y_guess, b0 * 1.01, np.sqrt(a0 + b0**2) * 0.98)
    assert bool(h.converged) and abs(float(h.p) - b0) < 1e-12
    curve = cont.hopf_curve(
        problem_of, h, a0, p_min=0.0, p_max=0.2, ds=0.01, ds_max=0.05, n_steps=80
    )
    v = np.asarray(curve.valid)
    a, b, om = np.asarray(curve.q)[v], np.asarray(curve.p)[v], np.asarray(curve.omega)[v]
    assert v.sum() > 20
    np.testing.assert_allclose(b**4 + (2 * a - 1) * b**2 + a + a**2, 0.0, atol=1e-12)
    np.testing.assert_allclose(om**2, a + b**2, rtol=1e-10)
    # the curve turns at a = 1/8 (where sqrt(1 - 8a) = 0) onto the lower Hopf branch
    assert abs(a.max() - 0.125) < 2e-3
    assert b.min() < np.sqrt((1 - 2 * a0 - np.sqrt(1 - 8 * a0)) / 2) * 1.05


def test_delayed_replicator_hopf_delay_by_continuation():
    system = DelayedReplicator(tau=0.3)
    problem = cont.from_system(system, "tau", n_cheb=20)
    y0 = jnp.atleast_1d(system.equilibrium())
    # the pseudo-spectral generator's rightmost root against Lambert W (spectral accuracy)
    ev = problem.eigenvalues(y0, 0.3)
    exact = linear_dde_rightmost_root(0.0, float(system.linear_gain()), 0.3)
    assert abs(complex(ev[0]) - exact) < 1e-10 or abs(complex(ev[0]) - np.conj(exact)) < 1e-10
    branch = cont.continuation(
        problem, y0, 0.3, p_min=0.1, p_max=3.0, ds=0.1, ds_max=0.25, n_steps=20, n_eigs=4
    )
    hopfs = [pt for pt in cont.bifurcations(problem, branch) if pt.kind == "hopf"]
    assert len(hopfs) == 1
    h = hopfs[0].point
    np.testing.assert_allclose(float(h.p), float(system.critical_delay()), rtol=1e-12)
    np.testing.assert_allclose(float(h.omega), float(system.onset_frequency()), rtol=1e-12)
    b = branch.trimmed()
    np.testing.assert_array_equal(b.stable, b.p < float(system.critical_delay()))


@pytest.mark.slow
def test_delayed_replicator_hopf_curve_in_tau_and_k():
    system = DelayedReplicator(tau=1.0)
    problem_of = lambda k: cont.from_system(eqx.tree_at(lambda s: s.k, system, k), "tau")
    h = cont.locate_hopf(problem_of(8.0), jnp.atleast_1d(system.equilibrium()), 1.5, 0.9)
    curve = cont.hopf_curve(problem_of, h, 8.0, p_min=5.0, p_max=20.0, ds=0.2, ds_max=1.0)
    v = np.asarray(curve.valid)
    theory = [
        float(eqx.tree_at(lambda s: s.k, system, jnp.asarray(k)).critical_delay())
        for k in np.asarray(curve.q)[v]
    ]
    np.testing.assert_allclose(np.asarray(curve.p)[v], theory, rtol=1e-11)


@pytest.mark.slow
def test_bratu_fold_agrees_with_pycont_lite():
    """The discretised Bratu problem u'' + λ eᵘ = 0, u(0) = u(1) = 0 (N = 20 interior
    points): our Moore-Spence fold against pycont-lite's LP (which reports the chord
    interpolation between two branch points, so it lies below the true fold by O(ds²))."""
    pycont = pytest.importorskip("pycont")
    n, h = 20, 1.0 / 21

    def bratu(u, lam, xp=jnp):
        up = xp.concatenate([xp.zeros(1), u, xp.zeros(1)])
        return (up[2:] - 2 * up[1:-1] + up[:-2]) / h**2 + lam * xp.exp(u)

    problem = cont.ODEProblem(bratu)
    branch = cont.continuation(
        problem,
        jnp.zeros(n),
        0.0,
        p_min=-0.1,
        p_max=4.0,
        ds=0.05,
        ds_max=0.5,
        n_steps=40,
        stability=False,
    )
    folds = [pt for pt in cont.bifurcations(problem, branch) if pt.kind == "fold"]
    assert len(folds) == 1
    ours = folds[0].p
    ref = pycont.arclengthContinuation(
        lambda u, lam: bratu(u, lam, xp=np),
        np.zeros(n),
        0.0,
        ds_min=1e-6,
        ds_max=0.02,
        ds_0=0.01,
        n_steps=400,
        solver_parameters={"tolerance": 1e-10, "param_min": -0.1, "param_max": 4.0},
        verbosity=pycont.Verbosity.OFF,
    )
    lp = [e.p for e in ref.events if e.kind == "LP"]
    assert len(lp) == 1
    p_max = max(float(np.max(b.p_path)) for b in ref.branches)
    assert ours >= p_max - 1e-10  # the fold is the largest λ on the branch
    assert abs(ours - lp[0]) < 1e-4
    # second-order differences put the discrete fold just below the continuum's
    # λ_c = 3.513830719 (Bratu; e.g. Mohsen, Appl. Math. Comput. 2014)
    assert 0 < 3.513830719 - ours < 2e-3 * 3.51


# ------------------------------------------------------------------------- bad input

SADDLE = cont.ODEProblem(lambda y, p: p + y**2)
PAIR = cont.ODEProblem(lambda y, p: jnp.stack([p + y[0] ** 2, y[1] - y[0]]))

BAD = [
    ("y0", dict(y0=jnp.array([0.7]), p0=-1.0)),  # not an equilibrium: residual reported
    ("method", dict(method="newton")),
    ("direction", dict(direction=0)),
    ("ds", dict(ds=1.0, ds_max=0.1)),
    ("ds_min", dict(ds_min=-1.0)),
    ("p_min", dict(p_min=1.0, p_max=0.0)),
    ("p0", dict(p0=-5.0, y0=jnp.array([-np.sqrt(5.0)]))),
    ("n_steps", dict(n_steps=0)),
    ("grow", dict(grow=10.0)),
]


@pytest.mark.parametrize("name,kw", BAD, ids=[f"{b[0]}-{i}" for i, b in enumerate(BAD)])
def test_bad_input_names_the_argument(name, kw):
    args = dict(y0=jnp.array([-1.0]), p0=-1.0, p_min=-2.0, p_max=2.0)
    args.update(kw)
    y0, p0 = args.pop("y0"), args.pop("p0")
    with pytest.raises(ValueError, match=name) as info:
        cont.continuation(SADDLE, y0, p0, n_steps=args.pop("n_steps", 5), **args)
    if name == "y0" and "shape" not in str(info.value):
        assert "residual |F(y0, p0)| = 5.100e-01" in str(info.value)


def test_start_of_the_wrong_shape():
    with pytest.raises(ValueError, match="y0 must have the shape"):
        cont.continuation(PAIR, jnp.array([-1.0, -1.0, 0.0]), -1.0, n_steps=5)


def test_from_system_bad_param():
    with pytest.raises(ValueError, match="param"):
        cont.from_system(DelayedReplicator(), "delay")
    with pytest.raises(ValueError, match="n_cheb"):
        cont.from_system(DelayedReplicator(), "tau", n_cheb=1)
