"""Kinetic theory of a binary gas mixture: moments, the exact moment equations of Maxwell
molecules, the relaxation rates of the disparate-mass limit, exponential-rate fits.

Units. The light species has mass m_l, the heavy one m_h, mass ratio μ = ε² = m_l/m_h.
Each species' velocity is measured in its own thermal unit √(T₀/m): "light units" v and
"heavy units" w, so that a Maxwellian of temperature T has variance T in its own units
and the energy of the mixture is E = ½ ∫|v|² f_l + ½ ∫|w|² f_h (in units of T₀). Physical
velocities in light units are v for the light and ε w for the heavy. Time is measured in
the light-light collision time. Temperatures are per-component variances, T = (T_x+T_y)/2.

Moment equations. For 2-D Maxwell molecules (B_ij = λ_ij/2π, isotropic) the moments of
order <= 2 obey closed ODEs whatever the shape of f (Truesdell & Muncaster, *Fundamentals
of Maxwell's kinetic theory of a simple monatomic gas*, 1980, ch. XIV for one species; the
mixture form follows from the weak form with v' = v - a(u - |u|σ), <σ> = 0,
<σσᵀ> = I/2): for species i colliding with j, a = m_j/(m_i+m_j), in physical velocities,

    dJ_i/dt = -λ_ij a (n_j J_i - n_i J_j),
    dM_i/dt = λ_ij [ -a (2 n_j M_i - X) + a² (n_j M_i + n_i M_j - X)
                     + (a²/2) (n_j tr M_i + n_i tr M_j - 2 J_i·J_j) I ],
    X = J_i J_jᵀ + J_j J_iᵀ,  J = ∫ v f,  M = ∫ v vᵀ f,

(j = i with a = 1/2 for self-collisions). They give the exact relaxation rates of the full
Boltzmann mixture at any μ, and the three epochs of Degond & Lucquin-Desreux (Math. Models
Methods Appl. Sci. 6, 405 (1996)) as μ -> 0 (see :func:`relaxation_rates`).
"""

from __future__ import annotations

import math
from typing import Any

import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float


def moments(f: Float[Array, "... n n"], grid: Any) -> dict[str, Array]:
    """Density, mean velocity, temperature tensor and energy of distributions on ``grid``.

    ``grid`` is a :class:`jaxdyn.solvers.fast_spectral.VelocityGrid`; f may carry leading
    batch axes. Returns ``density`` ρ = ∫f, ``velocity`` u = ∫vf/ρ (..., 2),
    ``temperature`` Θ = ∫(v-u)(v-u)ᵀ f/ρ (..., 2, 2), ``energy`` ½∫|v|² f (all jnp: usable
    inside a ``simulate`` observable).
    """
    vx, vy = grid.mesh()
    # one contraction for all six raw moments (a small graph inside solver loops)
    weights = np.stack([np.ones_like(vx), vx, vy, vx * vx, vx * vy, vy * vy]) * grid.h**2
    raw = jnp.tensordot(f, jnp.asarray(weights, dtype=jnp.result_type(f)), axes=([-2, -1], [1, 2]))
    rho, jx, jy, mxx, mxy, myy = (raw[..., i] for i in range(6))
    ux, uy = jx / rho, jy / rho
    txx, txy, tyy = mxx / rho - ux * ux, mxy / rho - ux * uy, myy / rho - uy * uy
    return {
        "density": rho,
        "velocity": jnp.stack([ux, uy], axis=-1),
        "temperature": jnp.stack(
            [jnp.stack([txx, txy], axis=-1), jnp.stack([txy, tyy], axis=-1)], axis=-2
        ),
        "energy": 0.5 * (mxx + myy),
    }


# ----------------------------------------------------------------------------- moment ODE


def _pair(ni, Ji, Mi, nj, Jj, Mj, a, lam):
    X = np.outer(Ji, Jj) + np.outer(Jj, Ji)
    dJ = -lam * a * (nj * Ji - ni * Jj)
    iso = 0.5 * a * a * (nj * np.trace(Mi) + ni * np.trace(Mj) - 2.0 * Ji @ Jj)
    dM = lam * (-a * (2 * nj * Mi - X) + a * a * (nj * Mi + ni * Mj - X) + iso * np.eye(2))
    return dJ, dM


def mixture_moment_rhs(state: np.ndarray, mass_ratio: float, densities, rates) -> np.ndarray:
    """d/dt of (J_l, M_l, J_h, M_h) in physical velocities (light units), flattened to 12.

    ``densities = (n_l, n_h)``; ``rates = (λ_ll, λ_hh, λ_lh)`` (λ_lh = λ_hl: one kernel).
    Masses m_l = 1, m_h = 1/μ.
    """
    nl, nh = densities
    lll, lhh, llh = rates
    Jl, Ml, Jh, Mh = state[:2], state[2:6].reshape(2, 2), state[6:8], state[8:].reshape(2, 2)
    a_l, a_h = 1.0 / (1.0 + mass_ratio), mass_ratio / (1.0 + mass_ratio)
    dJl, dMl = _pair(nl, Jl, Ml, nl, Jl, Ml, 0.5, lll)
    dJh, dMh = _pair(nh, Jh, Mh, nh, Jh, Mh, 0.5, lhh)
    x, y = _pair(nl, Jl, Ml, nh, Jh, Mh, a_l, llh)
    dJl, dMl = dJl + x, dMl + y
    x, y = _pair(nh, Jh, Mh, nl, Jl, Ml, a_h, llh)
    dJh, dMh = dJh + x, dMh + y
    return np.concatenate([dJl, dMl.ravel(), dJh, dMh.ravel()])


def exact_moments(
    ts: ArrayLike,
    mass_ratio: float,
    densities: tuple[float, float],
    velocities: tuple[ArrayLike, ArrayLike],
    temperatures: tuple[ArrayLike, ArrayLike],
    rates: tuple[float, float, float],
) -> dict[str, np.ndarray]:
    """Mean velocities and temperature tensors of both species at times ``ts``, exactly.

    The Maxwell-molecule moment equations (module docstring) integrated from bi-Maxwellian
    (or any) initial data with velocities (u_l, u_h) and temperatures (Θ_l, Θ_h), each
    in its species' own units (a temperature may be a scalar, (T_x, T_y) or a 2x2 tensor).
    Returns ``u_light`` (T, 2), ``u_heavy`` (T, 2), ``T_light`` (T, 2, 2), ``T_heavy``
    (T, 2, 2) in scaled units: what a kinetic solver must reproduce for any μ.
    """
    from scipy.integrate import solve_ivp

    ts = np.asarray(ts, dtype=float)
    mu = float(mass_ratio)
    eps = math.sqrt(mu)
    nl, nh = (float(x) for x in densities)

    def tensor(T):
        T = np.asarray(T, dtype=float)
        return T if T.shape == (2, 2) else np.diag(np.broadcast_to(T, (2,)))

    ul, uh = np.asarray(velocities[0], float), eps * np.asarray(velocities[1], float)
    Ml = nl * (tensor(temperatures[0]) + np.outer(ul, ul))
    Mh = nh * (mu * tensor(temperatures[1]) + np.outer(uh, uh))
    y0 = np.concatenate([nl * ul, Ml.ravel(), nh * uh, Mh.ravel()])
    sol = solve_ivp(
        lambda t, y: mixture_moment_rhs(y, mu, (nl, nh), rates),
        (0.0, float(ts.max()) if ts.size else 0.0),
        y0,
        t_eval=ts,
        method="LSODA",  # stiff: the rates span O(1) to O(μ)
        rtol=1e-11,
        atol=1e-13,
    )
    Y = sol.y.T
    Jl, Ml, Jh, Mh = Y[:, :2], Y[:, 2:6].reshape(-1, 2, 2), Y[:, 6:8], Y[:, 8:].reshape(-1, 2, 2)
    u_l, u_h = Jl / nl, Jh / nh
    T_l = Ml / nl - u_l[:, :, None] * u_l[:, None, :]
    T_h = (Mh / nh - u_h[:, :, None] * u_h[:, None, :]) / mu
    return {"u_light": u_l, "u_heavy": u_h / eps, "T_light": T_l, "T_heavy": T_h}


def relaxation_rates(
    mass_ratio: float, densities: tuple[float, float], rates: tuple[float, float, float]
) -> dict[str, dict[str, float]]:
    """The exact relaxation rates of a Maxwell mixture and their disparate-mass limits.

    From the moment equations linearised about rest (J = 0):

    * anisotropies Π = traceless parts of the temperature tensors (physical units):
      dΠ_l/dt = -(λ_ll n_l/2 + λ n_h a_l(2-a_l)) Π_l + λ n_l a_l² Π_h, and the mirror
      equation for Π_h: its two eigenvalues are the light (fast) and heavy (slow)
      thermalisation rates γ_1, γ_2;
    * the temperature gap: d(T_l - T_h)/dt = -γ_3 (T_l - T_h),
      γ_3 = 2 λ μ/(1+μ)² (n_l + n_h);
    * the velocity gap: d(u_l - u_h)/dt = -γ_u (u_l - u_h), γ_u = λ (n_h a_l + n_l a_h),

    with a_l = 1/(1+μ), a_h = μ/(1+μ), λ = λ_lh. The asymptotic model (the cross
    operators expanded to O(μ): Lorentz operator in the heavy frame plus the Fokker-Planck
    pair, :mod:`jaxdyn.systems.boltzmann_ap`) has the rates γ_1 = λ_ll n_l/2 + λ n_h (1+2μ)
    (light thermalisation: self-collisions and Lorentz scattering), γ_u = λ n_h (1+μ),
    γ_2 = λ_hh n_h/2 + 2 λ μ n_l, γ_3 = 2 λ μ (n_l + n_h): the exact ones to O(μ)
    relative (Degond & Lucquin-Desreux 1996). With the hard-sphere-like frequencies
    λ_hh = ε λ_ll the three epochs last O(1), O(1/ε) and O(1/ε²) light collision times.
    Returns ``{"exact": {...}, "asymptotic": {...}}`` with keys ``light_thermalisation``,
    ``heavy_thermalisation``, ``momentum_exchange``, ``temperature_exchange``.
    """
    mu = float(mass_ratio)
    nl, nh = (float(x) for x in densities)
    lll, lhh, lam = (float(x) for x in rates)
    al, ah = 1.0 / (1.0 + mu), mu / (1.0 + mu)
    A = np.array(
        [
            [-(lll * nl / 2 + lam * nh * al * (2 - al)), lam * nl * al * al],
            [lam * nh * ah * ah, -(lhh * nh / 2 + lam * nl * ah * (2 - ah))],
        ]
    )
    ev = np.sort(-np.linalg.eigvals(A).real)
    exact = {
        "light_thermalisation": float(ev[1]),
        "heavy_thermalisation": float(ev[0]),
        "momentum_exchange": lam * (nh * al + nl * ah),
        "temperature_exchange": 2.0 * lam * mu / (1.0 + mu) ** 2 * (nl + nh),
    }
    asymptotic = {
        "light_thermalisation": lll * nl / 2 + lam * nh * (1.0 + 2.0 * mu),
        "heavy_thermalisation": lhh * nh / 2 + 2.0 * lam * mu * nl,
        "momentum_exchange": lam * nh * (1.0 + mu),
        "temperature_exchange": 2.0 * lam * mu * (nl + nh),
    }
    return {"exact": exact, "asymptotic": asymptotic}


def limit_temperatures(
    t: ArrayLike,
    mass_ratio: float,
    densities: tuple[float, float],
    temperatures: tuple[float, float],
    rate: float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """(T_l, T_h)(t) of the limiting temperature-exchange equations (third epoch).

    dT_l/dt = 2 λ μ n_h (T_h - T_l), dT_h/dt = 2 λ μ n_l (T_l - T_h): the gap decays at
    γ_3 = 2 λ μ (n_l + n_h) about T_eq = (n_l T_l + n_h T_h)/(n_l + n_h). ``temperatures``
    are the values after the first epochs (isotropic, drift heat included).
    """
    t = np.asarray(t, dtype=float)
    nl, nh = (float(x) for x in densities)
    Tl, Th = (float(x) for x in temperatures)
    Teq = (nl * Tl + nh * Th) / (nl + nh)
    gap = (Tl - Th) * np.exp(-2.0 * rate * mass_ratio * (nl + nh) * t)
    return Teq + nh / (nl + nh) * gap, Teq - nl / (nl + nh) * gap


def decay_rate(t: ArrayLike, y: ArrayLike, lo: float = 1e-3, hi: float = 0.3) -> dict[str, float]:
    """Exponential decay rate of |y(t)| from a least-squares fit of log|y| against t.

    Uses the samples where lo <= |y|/|y|_max <= hi (past the onset, above the noise).
    Returns ``rate``, its standard error ``stderr`` (from the residual scatter) and the
    number of points ``n`` (rate NaN if fewer than 3).
    """
    t, y = np.asarray(t, dtype=float), np.abs(np.asarray(y, dtype=float))
    rel = y / np.max(y) if y.size and np.max(y) > 0 else y
    sel = (rel >= lo) & (rel <= hi) & np.isfinite(rel)
    if sel.sum() < 3:
        return {"rate": math.nan, "stderr": math.nan, "n": int(sel.sum())}
    x, z = t[sel], np.log(y[sel])
    A = np.stack([x, np.ones_like(x)], axis=1)
    coef, *_ = np.linalg.lstsq(A, z, rcond=None)
    resid = z - A @ coef
    dof = max(1, len(x) - 2)
    s2 = float(resid @ resid) / dof
    cov = s2 * np.linalg.inv(A.T @ A)
    return {"rate": float(-coef[0]), "stderr": float(np.sqrt(cov[0, 0])), "n": int(sel.sum())}


def first_passage(t: ArrayLike, y: ArrayLike, level: float) -> float:
    """First time |y(t)|/|y(0)| falls below ``level`` (log-linear interpolation; NaN if never)."""
    t, y = np.asarray(t, dtype=float), np.abs(np.asarray(y, dtype=float))
    rel = y / y[0]
    below = np.nonzero(rel < level)[0]
    if below.size == 0 or below[0] == 0:
        return math.nan
    i = below[0]
    la, lb, lv = np.log(rel[i - 1]), np.log(rel[i]), np.log(level)
    return float(t[i - 1] + (t[i] - t[i - 1]) * (lv - la) / (lb - la))


__all__ = [
    "decay_rate",
    "exact_moments",
    "first_passage",
    "limit_temperatures",
    "mixture_moment_rhs",
    "moments",
    "relaxation_rates",
]
