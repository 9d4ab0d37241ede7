"""Paper 4: Bessel functions of complex argument, the disk's modified-Helmholtz Green's
function, the reduced ODE's Hopf points, the full PDE-ODE model (conservation, Hopf point
against the GCEP as ε shrinks), and bad input."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxdyn.analysis import bessel, cell_bulk
from jaxdyn.analysis import continuation as cont
from jaxdyn.systems import CellBulkODE, CellBulkRadial


def test_bessel_functions_of_complex_argument_match_scipy():
    scipy_special = pytest.importorskip("scipy.special")
    r = np.geomspace(0.05, 20.0, 25)
    phase = np.linspace(-np.pi / 4, np.pi / 4, 5)
    z = (r[:, None] * np.exp(1j * phase[None, :])).ravel()
    n = np.arange(21)
    i_ours = np.asarray(bessel.bessel_i(20, z))
    k_ours = np.asarray(bessel.bessel_k(20, z))
    i_ref = scipy_special.iv(n[None, :], z[:, None])
    k_ref = scipy_special.kv(n[None, :], z[:, None])
    assert np.max(np.abs(i_ours / i_ref - 1)) < 1e-11
    assert np.max(np.abs(k_ours / k_ref - 1)) < 1e-12


def test_disk_green_function_identities():
    """Symmetry, ΔG = θ²G away from the source, ∂_r G = 0 on the wall, the regular part
    as the limit of G + log|x - ξ|/2π, and G -> 1/(|Ω| θ²) as θ -> 0 (one evaluation of
    the matrix over all the probe points)."""
    theta = 2.0 + 0.5j
    xi = np.array([0.3, -0.2])
    h, hs = 1e-3, 1e-4
    x0 = np.array([-0.1, 0.25])
    stencil = [x0, x0 + [h, 0], x0 - [h, 0], x0 + [0, h], x0 - [0, h]]
    walls = [np.array([np.cos(a), np.sin(a)]) for a in (0.4, 2.5)]
    wall = [(1 - k * hs) * n for n in walls for k in (1, 3, 5)]
    near = [xi + [1e-3, 0.0], xi + [1e-4, 0.0]]
    pts = np.array([xi] + stencil + wall + near)
    gm = np.asarray(cell_bulk.green_matrix(theta, pts, 1.0))
    np.testing.assert_allclose(gm, gm.T, atol=1e-13)
    g = gm[0, 1:]
    lap = (g[1:5].sum() - 4 * g[0]) / h**2
    assert abs(lap - theta**2 * g[0]) < 1e-4 * abs(g[0])  # O(h²) stencil error (~2e-5)
    for w in (g[5:8], g[8:11]):
        # one-sided second-order derivative at r = 1 - hs: O(hs) from the wall's zero
        d = (3 * w[0] - 4 * w[1] + w[2]) / (4 * hs)
        assert abs(d) < 1e-3 * abs(w[0])
    reg = gm[0, 0]
    for gx, dd, tol in ((g[11], 1e-3, 2e-4), (g[12], 1e-4, 2e-5)):
        assert abs(gx + np.log(dd) / (2 * np.pi) - reg) < tol
    small = 1e-3 + 0j
    g0 = np.asarray(cell_bulk.green_matrix(small, pts, 1.0))
    np.testing.assert_allclose(g0[0, 1:4].real * np.pi * small**2, 1.0, atol=1e-6)


def test_isolated_cell_is_quiescent_and_the_reduced_ode_has_quorum_and_quenching_hopfs():
    system = CellBulkODE(D=1e4)
    u = np.array([2.0, 2.0 / 4.9])
    jac = np.asarray(jax.jacfwd(lambda v: cell_bulk.selkov(v, 0.9, 2.0, 0.15))(jnp.asarray(u)))
    assert np.trace(jac) == pytest.approx((4 - 0.9) / 4.9 - 0.15 * 4.9, abs=1e-12)
    assert np.trace(jac) < 0 and np.linalg.det(jac) > 0
    problem = cont.from_system(system, "density")
    y0 = cont.equilibrium(problem, system.initial_state(), 0.01).y
    branch = cont.continuation(
        problem, y0, 0.01, p_min=0.005, p_max=30.0, ds=0.02, ds_max=0.5, n_steps=120
    )
    hopfs = [pt.point for pt in cont.bifurcations(problem, branch) if pt.kind == "hopf"]
    assert len(hopfs) == 2
    b = branch.trimmed()
    lo, hi = float(hopfs[0].p), float(hopfs[1].p)
    # stable (quiescent) at low and high density, oscillatory in between
    np.testing.assert_array_equal(b.stable, (b.p < lo) | (b.p > hi))
    for h in hopfs:
        # Routh-Hurwitz for the 3x3 Jacobian: λ³ + a1 λ² + a2 λ + a3 with a1 a2 = a3 and
        # ω² = a2 exactly at a Hopf point
        jac = np.asarray(problem.jacobian(h.y, h.p))
        a1 = -np.trace(jac)
        a2 = 0.5 * (np.trace(jac) ** 2 - np.trace(jac @ jac))
        a3 = -np.linalg.det(jac)
        assert abs(a1 * a2 - a3) < 1e-10
        assert float(h.omega) ** 2 == pytest.approx(a2, rel=1e-10)


def test_full_model_conserves_the_chemical():
    system = CellBulkRadial(R=0.5, eps=0.02, D=2.0, n=32)
    key = jax.random.PRNGKey(3)
    y = system.initial_state() + 0.1 * jax.random.uniform(key, (34,))
    dy = system.drift(0.0, y)
    rate = jax.jvp(system.total_chemical, (y,), (dy,))[1]
    rho, h = system.grid()
    decay = -system.sigma * 2 * jnp.pi * jnp.sum(y[:32] * jnp.exp(2 * rho)) * h
    f1 = cell_bulk.selkov(y[32:], system.alpha, system.mu, system.zeta)[0]
    assert abs(float(rate - (decay + f1))) < 1e-12


@pytest.mark.slow
def test_full_model_hopf_point_approaches_the_gcep_as_eps_shrinks():
    errors = []
    for eps in (0.04, 0.01):
        dns = CellBulkRadial(R=0.3, D=1.0, eps=eps, n=64)
        problem = cont.from_system(dns, "R")
        y0 = cont.equilibrium(problem, dns.initial_state(), 0.3).y
        branch = cont.continuation(
            problem,
            y0,
            0.3,
            p_min=0.15,
            p_max=0.5,
            ds=0.005,
            ds_max=0.02,
            n_steps=60,
            direction=-1,
            n_eigs=6,
        )
        hd = [pt.point for pt in cont.bifurcations(problem, branch) if pt.kind == "hopf"][0]
        g = cell_bulk.make_gcep(np.zeros((1, 2)), float(hd.p), param="R", D=1.0, eps=eps)
        eq = cont.equilibrium(g, g.guess(), hd.p)
        hg = cont.locate_hopf(g, eq.y, hd.p, hd.omega, v=jnp.ones(1, complex))
        assert bool(hg.converged)
        errors.append(abs(float(hd.p) / float(hg.p) - 1))
    assert errors[1] < errors[0] / 4  # at least ~ε^1
    assert errors[1] < 5e-3


@pytest.mark.slow
def test_gcep_tends_to_the_reduced_ode_at_large_d():
    n = 4
    ode = CellBulkODE(density=n / np.pi, D=1e5, eps=0.02)
    problem = cont.from_system(ode, "d2")
    y0 = cont.equilibrium(problem, ode.initial_state(), 0.05).y
    branch = cont.continuation(problem, y0, 0.05, p_min=0.02, p_max=1.0, ds=0.02, n_steps=60)
    h = [pt.point for pt in cont.bifurcations(problem, branch) if pt.kind == "hopf"][0]
    g = cell_bulk.make_gcep(cell_bulk.ring(n, 0.5), 1.0, param="d2", D=1e5, eps=0.02)
    u = np.asarray(h.y)
    flux = float(ode.kappa()) * 2 * np.pi * (float(ode.d1) * u[0] - float(h.p) * u[1])
    y_g = jnp.concatenate(
        [jnp.full(n, flux / (2 * np.pi * 1e5)), jnp.full(n, u[1]), jnp.full(n, u[2])]
    )
    eq = cont.equilibrium(g, y_g, h.p)
    hg = cont.locate_hopf(g, eq.y, h.p, h.omega, v=g.mode(0))
    assert bool(hg.converged)
    assert float(hg.p) == pytest.approx(float(h.p), rel=1e-4)
    assert float(hg.omega) == pytest.approx(float(h.omega), rel=1e-4)


# ------------------------------------------------------------------------- bad input

BAD_CELLS = [
    ("overlap", dict(centres=[[0.1, 0.0], [0.12, 0.0]], eps=0.02, R=1.0)),
    ("leaves the domain", dict(centres=[[0.0, 0.99]], eps=0.02, R=1.0)),
    ("away from the wall", dict(centres=[[0.0, 0.9]], eps=0.01, R=1.0)),
    (
        "not small compared with the cell spacing",
        dict(centres=[[0.2, 0.0], [-0.2, 0.0]], eps=0.15, R=1.0),
    ),
    ("centres must have shape", dict(centres=[0.1, 0.2], eps=0.02, R=1.0)),
    ("eps must be positive", dict(centres=[[0.1, 0.2]], eps=-0.1, R=1.0)),
]


@pytest.mark.parametrize("match,kw", BAD_CELLS, ids=[b[0] for b in BAD_CELLS])
def test_bad_cell_configurations_name_the_argument(match, kw):
    with pytest.raises(ValueError, match=match):
        cell_bulk.check_cells(**kw)
    if "shape" not in match:
        with pytest.raises(ValueError, match=match):
            cell_bulk.make_gcep(kw["centres"], kw["R"], eps=kw["eps"])


def test_bad_model_parameters():
    with pytest.raises(ValueError, match="eps"):
        CellBulkRadial(R=0.1, eps=0.06)
    with pytest.raises(ValueError, match="n must"):
        CellBulkRadial(n=2)
    with pytest.raises(ValueError, match="unknown parameter 'kappa'"):
        cell_bulk.make_gcep(cell_bulk.ring(2, 0.5), kappa=1.0)
    with pytest.raises(ValueError, match="param"):
        cell_bulk.make_gcep(cell_bulk.ring(2, 0.5), param="density")
    with pytest.raises(ValueError, match="density"):
        CellBulkODE(density=-1.0)
