"""Paper 22: exact Stokes solutions (translating drop, the drop's Legendre modes), solute
flux conservation, spectral convergence, the isotropic emitter's Pe_c = 4, the higher
modes' thresholds, and bad input."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxdyn import simulate
from jaxdyn.analysis import continuation as cont
from jaxdyn.analysis.active_drop import ModeProblem, mode_threshold, truncated_threshold
from jaxdyn.systems import ActiveDrop
from jaxdyn.systems.active_drop import mobilities, mode_coefficient, swimming_velocity

sp = pytest.importorskip("sympy")
r, th = sp.symbols("r theta", positive=True)


def _velocity(psi):
    """u_r = (1/(r² sinθ)) ∂_θ ψ, u_θ = -(1/(r sinθ)) ∂_r ψ (axisymmetric Stokes)."""
    return sp.diff(psi, th) / (r**2 * sp.sin(th)), -sp.diff(psi, r) / (r * sp.sin(th))


def _e2(psi):
    return sp.diff(psi, r, 2) + sp.sin(th) / r**2 * sp.diff(sp.diff(psi, th) / sp.sin(th), th)


def _shear(psi, visc):
    ur, ut = _velocity(psi)
    return visc * (r * sp.diff(ut / r, r) + sp.diff(ur, th) / r)


def _solve_drop(n, eta, md, mm, c_n=1, uniform=0, stokeslet=False):
    """The Stokes problem of a drop for surface concentration c_n P_n(cos θ): the outer and
    inner stream functions of Lamb's solution with impermeable surface, slip jump M_D ∂_θ c
    and stress jump ``mm`` ∂_θ c; returns (solution dict, outer ψ, inner ψ, unknowns)."""
    mu = sp.cos(th)
    pn = sp.legendre(n, sp.Symbol("x"))
    g = sp.sin(th) ** 2 * sp.diff(pn, sp.Symbol("x")).subs(sp.Symbol("x"), mu) / (n * (n + 1))
    a, b, c, d, u = sp.symbols("a b c d U")
    f_out = a * r ** (-n) + (b * r ** (2 - n) if (n > 1 or stokeslet) else 0)
    if n == 1:
        f_out += -u * r**2 if uniform is None else -uniform * r**2
    f_in = c * r ** (n + 1) + d * r ** (n + 3)
    psi_o, psi_i = f_out * g, f_in * g
    conc = c_n * pn.subs(sp.Symbol("x"), mu)
    dconc = sp.diff(conc, th)
    one = {r: 1}
    ur_o, ut_o = _velocity(psi_o)
    ur_i, ut_i = _velocity(psi_i)
    theta0 = sp.Rational(7, 10)  # any angle: every condition is proportional to the mode
    eqs = [
        (ur_o.subs(one)).subs(th, theta0),
        (ur_i.subs(one)).subs(th, theta0),
        (ut_o - ut_i - md * dconc).subs(one).subs(th, theta0),
        (_shear(psi_o, 1) - _shear(psi_i, eta) - mm * dconc).subs(one).subs(th, theta0),
    ]
    unknowns = [a, c, d] + ([b] if (n > 1 or stokeslet) else []) + ([u] if uniform is None else [])
    return sp.solve(eqs, unknowns, dict=True)[0], psi_o, psi_i, (a, b, c, d, u)


def test_translating_drop_drag_is_hadamard_rybczynski():
    """A drop towed at U (no solute): the Stokeslet ψ ~ B r sin²θ gives the force 8πB,
    which must be 2πU(2 + 3η)/(1 + η) (Hadamard-Rybczynski), 6πU for a rigid sphere."""
    for eta in (sp.Rational(1, 2), 1, 4):
        sol, psi_o, psi_i, (a, b, c, d, u) = _solve_drop(1, eta, 0, 0, 0, uniform=1, stokeslet=True)
        force = 8 * sp.pi * sol[b] / 2  # ψ = f(r) sin²θ / 2 for n = 1
        assert sp.simplify(force - 2 * sp.pi * (2 + 3 * eta) / (1 + eta)) == 0
        # the solution is a Stokes flow: E⁴ψ = 0 inside and out
        assert sp.simplify(_e2(_e2(psi_o.subs(sol)))) == 0
        assert sp.simplify(_e2(_e2(psi_i.subs(sol)))) == 0


@pytest.mark.parametrize("n", [1, 2, 3])
def test_drop_modes_match_the_exact_stokes_solution(n):
    eta, md, mm = sp.Rational(3, 2), sp.Rational(2, 5), sp.Rational(7, 3)
    # the stress jump is -∂_θγ = -M_M ∂_θ c (γ = γ_0 + M_M c)
    sol, psi_o, psi_i, (a, b, c, d, u) = _solve_drop(n, eta, md, -mm, uniform=None if n == 1 else 0)
    assert sp.simplify(_e2(_e2(psi_o.subs(sol)))) == 0
    assert sp.simplify(_e2(_e2(psi_i.subs(sol)))) == 0
    if n == 1:
        # force-free (no Stokeslet allowed) swimming velocity
        ours = swimming_velocity(1.0, float(mm), float(md), float(eta))
        assert float(sol[u]) == pytest.approx(ours, rel=1e-14)
    else:
        ours = mode_coefficient(n, 1.0, float(mm), float(md), float(eta))
        assert float(sol[b]) == pytest.approx(ours, rel=1e-14)


def test_velocity_limits_anderson_and_young_goldstein_block():
    """In an imposed gradient G the surface mode-1 amplitude of an insulating sphere is
    c_1 = 3G/2: a rigid phoretic particle moves at |U| = M_D G (Anderson, Annu. Rev. Fluid
    Mech. 21, 61 (1989)), a Marangoni drop at |U| = M_M G / (2 + 3η) (Young, Goldstein &
    Block 1959)."""
    g = 0.7
    assert abs(swimming_velocity(1.5 * g, 0.0, 2.0, 1e12)) == pytest.approx(2.0 * g, rel=1e-10)
    for eta in (0.1, 1.0, 5.0):
        assert abs(swimming_velocity(1.5 * g, 3.0, 0.0, eta)) == pytest.approx(
            3.0 * g / (2 + 3 * eta), rel=1e-14
        )
    mm, md = mobilities(2.5, 1.3)
    assert (mm + 3 * 1.3 * md) / (2 + 3 * 1.3) == pytest.approx(1.0, rel=1e-14)


def _exact_mode1(drop: ActiveDrop):
    """The exact steady mode-1 perturbation at the truncated-domain threshold."""
    R = drop.r_max
    pe = truncated_threshold(R)
    m = np.array(
        [
            [-2.0, 1.0, -pe / 2],
            [1 / R**2, R, 2 / 3 * pe * (1 / (4 * R**3) + 0.5)],
            [1.0, 1.0, pe / 2 - 1],
        ]
    )
    null = np.linalg.svd(m)[2][-1]
    a, b, s = null
    rr = np.asarray(drop.r)
    return pe, a / rr**2 + b * rr + 2 / 3 * pe * s * (rr**-3 / 4 + 0.5)


def test_mode1_field_converges_spectrally():
    """The discrete operator applied to the exact steady mode-1 field at threshold: the
    residual falls exponentially with the number of radial nodes."""
    res = []
    for n_r in (12, 18, 24, 30):
        drop = ActiveDrop(Pe=1.0, m=1.0, n_modes=3, n_r=n_r, r_max=20.0)
        pe, c = _exact_mode1(drop)
        y = jnp.asarray(c[1:-1])
        f = ModeProblem(drop, 1).residual(y, pe)
        res.append(float(jnp.max(jnp.abs(f))) / float(np.max(np.abs(c))))
    res = np.array(res)
    assert np.all(np.diff(np.log(res)) < -1.5), res  # each +6 nodes gains > e^1.5
    assert res[-1] < 1e-5, res  # 2e-2, 2e-3, 1e-4, 5e-6: geometric (spectral)


def test_isotropic_emitter_threshold_is_four():
    """Michelin, Lauga & Bartolo (2013): Pe_c = 4. On [1, R] the exact threshold is
    4 / (1 - 2/R) + O(R⁻²) and tends to 4."""
    for R in (50.0, 500.0, 5e4):
        assert truncated_threshold(R) == pytest.approx(4 / (1 - 2 / R), rel=2 / R)
    assert truncated_threshold(1e7) == pytest.approx(4.0, abs=1e-5)


def test_diffusiophoresis_lowers_the_higher_modes_thresholds():
    ms = [0.0, 0.1, 1.0, 10.0, 100.0]
    for n in (2, 3, 4, 5):
        pe = [mode_threshold(n, m) for m in ms]
        assert np.all(np.diff(pe) < 0), (n, pe)
    # pure Marangoni, equal viscosities: 24 (n = 2) and 44.8 (n = 3)
    assert mode_threshold(2, 0.0) == pytest.approx(24.0, rel=1e-14)
    assert mode_threshold(3, 0.0) == pytest.approx(44.8, rel=1e-14)


def test_solute_flux_is_conserved_by_a_steadily_moving_drop():
    drop = ActiveDrop(Pe=6.0, m=1.0, n_modes=6, n_r=20, r_max=15.0)
    guess = simulate(drop, 80.0, dt=0.02).ys[-1]
    # the far field is still diffusing at t = 80 (time scale R² = 225): Newton from there
    # to the steady moving drop
    eq = cont.equilibrium(cont.from_system(drop, "Pe"), guess, 6.0)
    assert bool(eq.converged)
    y = eq.y.reshape(guess.shape)
    u = float(drop.velocity(y))
    assert abs(u) > 0.02  # above Pe_c: the drop swims
    flux = np.asarray(drop.flux_through(y))[1:-1]  # interior spheres
    np.testing.assert_allclose(flux, 4 * np.pi, rtol=2e-3)


@pytest.mark.slow
@pytest.mark.parametrize("n,m", [(1, 0.0), (2, 0.0), (2, 3.0), (3, 1.0)])
def test_thresholds_by_continuation(n, m):
    drop = ActiveDrop(Pe=1.0, m=m, n_modes=n + 1, n_r=40, r_max=60.0)
    branch = cont.continuation(
        ModeProblem(drop, n),
        jnp.zeros(39),
        0.5,
        p_min=0.25,
        p_max=60.0,
        ds=0.5,
        ds_max=2.0,
        n_steps=80,
        n_eigs=4,
    )
    pts = cont.bifurcations(ModeProblem(drop, n), branch)
    assert pts and pts[0].kind == "branch_point"
    want = truncated_threshold(60.0) if n == 1 else mode_threshold(n, m)
    # modes >= 2 decay like r^-n: the truncation at R = 60 shifts them by O(R^-n)
    assert pts[0].p == pytest.approx(want, rel=1e-6 if n == 1 else 2e-3)


# ------------------------------------------------------------------------- bad input

BAD = [
    ("Pe", dict(Pe=1000.0)),
    ("Pe", dict(Pe=100.0, n_modes=3)),  # too advective for the resolution
    ("m", dict(m=-1.0)),
    ("eta", dict(eta=0.0)),
    ("n_r", dict(n_r=4)),
    ("n_modes", dict(n_modes=2)),
    ("r_max", dict(r_max=2.0)),
    ("stretch", dict(stretch=0.0)),
]


@pytest.mark.parametrize("name,kw", BAD, ids=[f"{b[0]}-{i}" for i, b in enumerate(BAD)])
def test_bad_input_names_the_argument(name, kw):
    with pytest.raises(ValueError, match=name):
        ActiveDrop(**kw)


def test_mode_threshold_bad_mode():
    with pytest.raises(ValueError, match="n must be"):
        mode_threshold(1, 0.0)


def test_jit_vmap_over_mobility_ratio():
    drop = ActiveDrop(n_modes=4, n_r=12, r_max=10.0)
    y = jnp.zeros((4, 11)).at[2].set(1e-2 * jnp.exp(-(drop.r[1:-1] - 1.0)))

    @jax.jit
    @jax.vmap
    def rhs(m):
        import equinox as eqx

        return eqx.tree_at(lambda s: s.m, drop, m).drift(0.0, y)

    out = rhs(jnp.array([0.0, 1.0]))
    assert np.all(np.isfinite(np.asarray(out)))
    # a mode-2 perturbation drives no mode 1 (parity); its own forcing depends on m
    np.testing.assert_allclose(out[:, 1], 0.0, atol=1e-14)
    assert not np.allclose(out[0, 2], out[1, 2])
