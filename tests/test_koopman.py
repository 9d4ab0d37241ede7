"""Koopman EDMD and Residual DMD: exact answers, a unitary bound, PyDMD agreement, bad input."""

from __future__ import annotations

from typing import ClassVar

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxdyn
from jaxdyn.analysis import koopman as kp
from jaxdyn.systems import GaussMap


class Slow(jaxdyn.AbstractODE):
    """dx1/dt = mu x1, dx2/dt = lam (x2 - x1^2): {x1, x2, x1^2} is Koopman-invariant."""

    mu: jax.Array
    lam: jax.Array
    param_ranges: ClassVar = {}

    def drift(self, t, y, args=None):
        return jnp.stack([self.mu * y[0], self.lam * (y[1] - y[0] ** 2)])

    def initial_state(self, key=None):
        return jnp.array([0.5, 0.5])


def linear_data(n=300, seed=0):
    rng = np.random.default_rng(seed)
    P = np.array([[1.0, 0.4], [0.3, 1.0]])
    A = P @ np.diag([0.9, -0.5]) @ np.linalg.inv(P)
    X = rng.uniform(-1, 1, (n, 2))
    return X, X @ A.T


def test_linear_map_with_monomials_gives_products_of_eigenvalues_and_zero_residuals():
    X, Y = linear_data()
    res = kp.edmd(X, Y, kp.Monomials(2, 4))
    expected = [0.9**i * (-0.5) ** j for i in range(5) for j in range(5) if i + j <= 4]
    assert res.size == len(expected) == 15
    np.testing.assert_allclose(
        np.sort_complex(np.asarray(res.eigvals)), np.sort_complex(np.asarray(expected)), atol=1e-12
    )
    assert float(jnp.max(res.residuals)) < 1e-12  # round-off, not its square root
    # every eigenpair is verified at a tolerance far below any spurious residual
    lam, _, _ = res.verified(1e-10)
    assert lam.size == 15


def test_finite_koopman_invariant_subspace_from_simulate_data():
    # Flow map at dt of Slow: eigenvalues e^{mu dt}, e^{lam dt}, e^{2 mu dt} (and 1), with
    # eigenfunctions x1, x1^2 and x2 - b x1^2, b = lam / (lam - 2 mu).
    mu, lam, dt = -0.1, -1.0, 0.5
    system = Slow(jnp.asarray(mu), jnp.asarray(lam))
    x0 = jax.random.uniform(jax.random.PRNGKey(0), (200, 2), minval=-1.0, maxval=1.0)
    X, Y = kp.snapshot_pairs(system, x0, dt, rtol=1e-12, atol=1e-12)
    d = kp.Custom(
        lambda x: jnp.stack([jnp.ones(x.shape[0]), x[:, 0], x[:, 1], x[:, 0] ** 2], 1),
        dim=2,
        size=4,
    )
    res = kp.edmd(X, Y, d)
    want = np.exp(np.array([0.0, mu * dt, lam * dt, 2 * mu * dt]))
    np.testing.assert_allclose(np.sort(np.real(res.eigvals)), np.sort(want), atol=1e-9)
    assert float(jnp.max(res.residuals)) < 1e-8
    # the eigenfunction of e^{lam dt}: coefficients on (1, x1, x2, x1^2) prop. to (0, 0, 1, -b)
    k = int(np.argmin(np.abs(np.asarray(res.eigvals) - np.exp(lam * dt))))
    g = np.asarray(res.eigvecs[:, k])
    g = g / g[2]
    b = lam / (lam - 2 * mu)
    np.testing.assert_allclose(g, [0, 0, 1, -b], atol=1e-8)
    # and it evaluates as φ(x) = x2 - b x1^2 up to scale
    phi = np.asarray(res.eigenfunctions(X, [k]))[:, 0]
    ref = np.asarray(X[:, 1] - b * X[:, 0] ** 2)
    np.testing.assert_allclose(phi / phi[0] * ref[0], ref, atol=1e-8)


def test_measure_preserving_map_residuals_are_bounded_by_distance_to_the_unit_circle():
    # Arnold's cat map permutes the uniform grid {i/n}^2, so the trapezoid rule makes the
    # data exactly measure-preserving (L = G): K is an isometry on the data, and every
    # residual, of EDMD pairs and at every z, is >= | |z| - 1 |.
    n = 24
    g = np.arange(n) / n
    X = np.stack(np.meshgrid(g, g, indexing="ij"), -1).reshape(-1, 2)
    Y = np.stack([(2 * X[:, 0] + X[:, 1]) % 1, (X[:, 0] + X[:, 1]) % 1], 1)
    res = kp.edmd(X, Y, kp.Fourier(3, period=1.0, dim=2))
    G, _, L = res.galerkin()
    np.testing.assert_allclose(np.asarray(L), np.asarray(G), atol=1e-12)
    bound = np.asarray(kp.unit_circle_distance(res.eigvals))
    assert np.all(np.asarray(res.residuals) >= bound - 1e-10)
    re, im = np.meshgrid(np.linspace(-1.5, 1.5, 13), np.linspace(-1.5, 1.5, 13))
    z = re + 1j * im
    ps = np.asarray(res.pseudospectrum(z))
    assert np.all(ps >= np.asarray(kp.unit_circle_distance(z)) - 1e-10)
    # the cat map is mixing: only the constant is an eigenfunction (eigenvalue 1)
    lam, _, _ = res.verified(1e-8)
    np.testing.assert_allclose(np.asarray(lam), [1.0], atol=1e-10)


def test_pseudospectrum_is_the_minimal_residual():
    X, Y = linear_data()
    res = kp.edmd(X, Y, kp.Legendre(3, dim=2))
    z = np.array([0.3 + 0.2j, -0.7, 1.1j])
    ps = np.asarray(res.pseudospectrum(z))
    G, A, L = (np.asarray(m) for m in res.galerkin())
    for zi, pi in zip(z, ps, strict=True):
        # smallest generalised eigenvalue of (L - z A^* - conj(z) A + |z|^2 G, G)
        H = L - zi * A.conj().T - np.conj(zi) * A + abs(zi) ** 2 * G
        import scipy.linalg

        w = scipy.linalg.eigh(H, G, eigvals_only=True)
        np.testing.assert_allclose(pi, np.sqrt(max(w[0], 0.0)), rtol=1e-6, atol=1e-9)
    # at an EDMD eigenvalue the minimal residual is at most the pair's residual
    lam = np.asarray(res.eigvals)
    assert np.all(np.asarray(res.pseudospectrum(lam)) <= np.asarray(res.residuals) + 1e-12)


def test_gauss_map_resdmd_verifies_the_koenigs_eigenvalues_and_rejects_pollution():
    # alpha = 1: a contraction of [-1, 0], Koopman eigenvalues (2/e)^k (Koenigs)
    g = GaussMap(alpha=1.0, beta=-1.0 - np.exp(-1.0))
    nodes, w = kp.quadrature("gauss", 200, -1.0, 0.0)
    X, Y = kp.snapshot_pairs(g, nodes[:, None])
    res = kp.edmd(X, Y, kp.Legendre(40, -1.0, 0.0), weights=w)
    lam_true = np.asarray(g.koopman_eigenvalues(4))
    np.testing.assert_allclose(lam_true[1], 2 / np.e, rtol=1e-14)
    ver, _, _ = res.verified(1e-8)
    assert np.max(kp.match_eigenvalues(ver, lam_true)) < 1e-5
    # alpha = 2 (Colbrook & Townsend's example): EDMD eigenvalues with residual > 0.1
    # (spurious) persist and multiply as the dictionary grows
    g2 = GaussMap()
    X, Y = kp.snapshot_pairs(g2, nodes[:, None])
    spurious = [
        int(np.sum(np.asarray(kp.edmd(X, Y, kp.Legendre(m, -1.0, 0.0), weights=w).residuals) > 0.1))
        for m in (10, 20, 40)
    ]
    assert 0 < spurious[0] < spurious[1] < spurious[2], spurious


def test_quadrature_rules_are_exact_where_they_should_be():
    f = lambda x: x**5 - 2 * x**2 + 1  # degree 5: Gauss with 3 nodes is exact
    exact = 1 / 6 - 2 / 3 + 1
    x, w = kp.quadrature("gauss", 3, 0.0, 1.0)
    assert np.sum(w * f(x)) == pytest.approx(exact, rel=1e-14)
    x, w = kp.quadrature("trapezoid", 2001, 0.0, 1.0)
    assert abs(np.sum(w * f(x)) - exact) < 2e-6  # O(h^2)
    x, w = kp.quadrature("trapezoid", 16, 0.0, 2 * np.pi, periodic=True)
    assert np.sum(w * np.cos(x) ** 2) == pytest.approx(np.pi, rel=1e-14)
    x, w = kp.quadrature("monte_carlo", 4000, 0.0, 1.0, key=jax.random.PRNGKey(1))
    assert abs(np.sum(w * f(x)) - exact) < 0.05 and w.sum() == pytest.approx(1.0)
    nodes, weights = kp.tensor_quadrature(kp.quadrature("gauss", 4), kp.quadrature("gauss", 5))
    assert nodes.shape == (20, 2) and weights.sum() == pytest.approx(4.0)


def test_dictionaries_are_orthonormal_under_exact_quadrature():
    nodes, w = kp.tensor_quadrature(kp.quadrature("gauss", 12, 0, 2), kp.quadrature("gauss", 12))
    P = np.asarray(kp.Legendre(5, low=[0.0, -1.0], high=[2.0, 1.0])(nodes))
    np.testing.assert_allclose(P.T @ (w[:, None] * P) / 4.0, np.eye(P.shape[1]), atol=1e-12)
    x, wh = np.polynomial.hermite.hermgauss(40)
    H = np.asarray(kp.Hermite(8)(x[:, None])) * np.exp(x**2 / 2)[:, None]
    np.testing.assert_allclose(H.T @ (wh[:, None] * H), np.eye(9), atol=1e-10)
    xf, wf = kp.quadrature("trapezoid", 32, 0, 2 * np.pi, periodic=True)
    F = np.asarray(kp.Fourier(4)(xf[:, None]))
    np.testing.assert_allclose(F.conj().T @ (wf[:, None] * F) / (2 * np.pi), np.eye(9), atol=1e-12)
    prod = kp.Product(kp.Fourier(2), kp.Hermite(3))
    assert prod.size == 20 and prod(np.zeros((7, 2))).shape == (7, 20)
    both = kp.Stack(kp.Monomials(2, 1), kp.RBF(np.zeros((4, 2)), 1.0, kind="thin_plate"))
    assert both.size == 7 and both(np.ones((3, 2))).shape == (3, 7)


def test_trajectory_pairs_from_simulate_and_from_a_sweep_shaped_array():
    traj = jaxdyn.simulate(GaussMap(), 10.0, ts=np.arange(11.0))
    X, Y = kp.trajectory_pairs(traj.ys)
    assert X.shape == (10, 1)
    np.testing.assert_allclose(
        np.asarray(Y[:, 0]),
        np.exp(-2 * np.asarray(X[:, 0]) ** 2) + float(GaussMap().beta),
        rtol=1e-12,
    )
    stacked = np.zeros((3, 4, 11, 2))  # (grid, seed, time, state)
    X, Y = kp.trajectory_pairs(stacked, lag=2)
    assert X.shape == (3 * 4 * 9, 2)


def test_edmd_from_a_sweep_of_trajectories():
    def member(s, key):
        return {"x": jaxdyn.simulate(s, 4.0, key=key, ts=np.arange(5.0)).ys}

    grid = jaxdyn.Grid.points(alpha=[1.0], beta=[-1.0 - np.exp(-1.0)])
    ds = jaxdyn.sweep(member, GaussMap(), grid, seeds=64, progress=False)
    X, Y = kp.trajectory_pairs(ds["x"].values[..., None])  # (point, seed, time, 1)
    assert X.shape == (64 * 4, 1)
    res = kp.edmd(X, Y, kp.Legendre(12, -1.0, 0.0))
    assert float(res.residuals[0]) < 1e-12 and abs(complex(res.eigvals[0]) - 1) < 1e-12
    # orbit points are a poor quadrature, yet λ = 2/e is found to within a few 1e-3
    assert kp.match_eigenvalues(res.eigvals, [2 / np.e])[0] < 1e-2


def test_edmd_eigenvalues_agree_with_pydmd_on_the_lifted_data():
    pydmd = pytest.importorskip("pydmd")
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (500, 2))
    Y = np.stack([0.9 * X[:, 0] + 0.1 * X[:, 1] ** 2, 0.5 * X[:, 1] - 0.2 * np.sin(X[:, 0])], 1)
    d = kp.Monomials(2, 4)
    ours = kp.edmd(X, Y, d)
    # EDMD is DMD of the dictionary's values (Williams et al. 2015, §2.3)
    dmd = pydmd.DMD(svd_rank=-1, exact=True)
    dmd.fit(np.asarray(d(X)).T, np.asarray(d(Y)).T)
    assert len(dmd.eigs) == d.size
    assert np.max(kp.match_eigenvalues(dmd.eigs, ours.eigvals)) < 1e-10
    assert np.max(kp.match_eigenvalues(ours.eigvals, dmd.eigs)) < 1e-10


def test_regularisation_makes_a_singular_gram_matrix_usable():
    X, Y = linear_data(n=10)
    d = kp.Monomials(2, 4)  # 15 functions, 10 snapshots: G is singular
    with pytest.raises(ValueError, match="dictionary: the Gram matrix"):
        kp.edmd(X, Y, d)
    res = kp.edmd(X, Y, d, reg=1e-8)
    assert np.all(np.isfinite(np.asarray(res.eigvals)))


def test_jit_of_edmd_on_traced_data():
    X, Y = linear_data()
    f = jax.jit(lambda X, Y: kp.edmd(X, Y, kp.Monomials(2, 2)).residuals)
    assert float(jnp.max(f(jnp.asarray(X), jnp.asarray(Y)))) < 1e-12


BAD = [
    (lambda: kp.edmd(np.zeros((5, 2)), np.zeros((4, 2)), kp.Monomials(2, 1)), "same shape"),
    (lambda: kp.edmd(np.zeros((5, 2)), np.zeros((5, 3)), kp.Monomials(2, 1)), "same shape"),
    (lambda: kp.edmd(np.zeros((5, 3)), np.zeros((5, 3)), kp.Monomials(2, 1)), r"\(N, 2\)"),
    (lambda: kp.edmd(*linear_data(10), kp.Monomials(2, 1), weights=np.ones(3)), "weights"),
    (lambda: kp.edmd(*linear_data(10), kp.Monomials(2, 1), weights=-np.ones(10)), "weights"),
    (lambda: kp.edmd(*linear_data(10), kp.Monomials(2, 1), reg=-1.0), "reg"),
    (lambda: kp.edmd(np.ones((20, 2)), np.ones((20, 2)), kp.Monomials(2, 2)), "singular"),
    (lambda: kp.quadrature("simpson", 5), "rule"),
    (lambda: kp.quadrature("gauss", 0), "n must"),
    (lambda: kp.quadrature("gauss", 4, 1.0, 0.0), "high"),
    (lambda: kp.Monomials(2, -1), "degree"),
    (lambda: kp.Legendre(2, low=1.0, high=0.0), "high"),
    (lambda: kp.Fourier(2, period=-1.0), "period"),
    (lambda: kp.RBF(np.zeros((3, 2)), width=0.0), "width"),
    (lambda: kp.trajectory_pairs(np.zeros((2, 3)), lag=2), "lag"),
    (lambda: kp.snapshot_pairs(jaxdyn.systems.Lorenz(), np.zeros((3, 3))), "lag"),
]


@pytest.mark.parametrize("call,match", BAD)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()
