"""Moment equations of a reaction network, derived exactly, and moment closures.

For a network with polynomial (mass-action) propensities a_j(x) = c_j P_j(x), the mean
μ = E[x] and the central moments M_α = E[(x - μ)^α] (multi-index α, |α| = Σ α_i)
obey, with y = x - μ,

    dμ_i/dt = Σ_j ν_ij c_j Σ_γ T_jγ(μ) M_γ,
    dM_α/dt = Σ_j c_j Σ_{δ ≤ α, δ ≠ α} C(α, δ) ν_j^{α-δ} Σ_γ T_jγ(μ) M_{δ+γ}
              - Σ_i α_i M_{α - e_i} dμ_i/dt,

where P_j(μ + y) = Σ_γ T_jγ(μ) y^γ is the Taylor expansion of the propensity polynomial
about the mean, C(α, δ) = Π_i binom(α_i, δ_i), M_0 = 1 and M_{e_i} = 0. (This is
d/dt E[f(x, t)] = E[Σ_j a_j(x) (f(x + ν_j) - f(x)) + ∂_t f] for f = (x - μ(t))^α; the
expansion about the mean follows A. Ale, P. Kirk and M. P. H. Stumpf, J. Chem. Phys. 138,
174101 (2013).) The coefficients are computed exactly from the stoichiometry (integer
arithmetic; no symbolic algebra at run time) and the equations are evaluated in JAX, so
the rate constants and Ω are traced: sweeps, ``vmap`` and gradients work.

Central moments rather than raw ones are the variables because the fluctuations are
O(Ω^{1/2}) against means O(Ω): raw fourth moments would cancel to the variance's
precision. With molecularity d = max_j |r_j|, the equations up to order K involve moments
up to order K + d - 1: the equations close by themselves for linear networks (d <= 1,
then they are exact) and otherwise need a *closure* for the orders K+1..K+d-1:

* ``"normal"`` (cumulant neglect; C. S. Gillespie, IET Syst. Biol. 3, 52 (2009)): the
  cumulants of orders > K vanish (K = 2: a Gaussian);
* ``"zero"`` (central-moment neglect; Schnoerr et al. 2015): central moments > K vanish;
* ``"poisson"``: cumulants of orders > K are those of independent Poisson variables
  (κ_{n e_i} = μ_i, mixed ones 0);
* ``"lognormal"``: ln E[x^α] is a polynomial of degree K in α, i.e. the cumulants of
  ln x above order K vanish (K = 2 is the usual log-normal closure, E[x_i x_j x_k] =
  E[x_i x_j] E[x_j x_k] E[x_i x_k] / (μ_i μ_j μ_k), Keeling, Proc. R. Soc. B 267, 2000).

Paper 6 (D. Schnoerr, G. Sanguinetti and R. Grima, J. Chem. Phys. 141, 084103 (2014))
is about when the solutions of these equations mean anything: :func:`steady_states`
finds the fixed points reached from several initial conditions (Newton's method with a
dense solve), :func:`classify` the long-time behaviour of one solution.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math
from collections.abc import Callable
from typing import Any, ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from ..core import AbstractODE, simulate
from ..systems.reaction_network import AbstractReactionNetwork

CLOSURES = ("normal", "zero", "poisson", "lognormal")
MAX_ORDER = 8
#: the most moment variables a closure may have (a bound on compile time and memory)
MAX_VARIABLES = 400


# ----------------------------------------------------------------------------- multi-indices


def multi_indices(n: int, order: int) -> list[tuple[int, ...]]:
    """All α in N^n with |α| = order, lexicographically descending ((2,0), (1,1), (0,2))."""
    out = [a for a in itertools.product(range(order, -1, -1), repeat=n) if sum(a) == order]
    return out


def indices_upto(n: int, order: int) -> list[tuple[int, ...]]:
    """All α with |α| <= order, by increasing order."""
    return [a for k in range(order + 1) for a in multi_indices(n, k)]


def _binom(alpha, beta) -> int:
    return math.prod(math.comb(a, b) for a, b in zip(alpha, beta, strict=True))


def _below(alpha) -> list[tuple[int, ...]]:
    """All β <= α componentwise."""
    return list(itertools.product(*[range(a + 1) for a in alpha]))


def _sub(a, b):
    return tuple(x - y for x, y in zip(a, b, strict=True))


def _add(a, b):
    return tuple(x + y for x, y in zip(a, b, strict=True))


def _unit(n, i):
    return tuple(1 if k == i else 0 for k in range(n))


def falling_factorial_polynomial(row: tuple[int, ...]) -> dict[tuple[int, ...], int]:
    """Π_i (x_i)_{r_i} as {exponent multi-index: integer coefficient}."""
    poly = {tuple(0 for _ in row): 1}
    for i, r in enumerate(row):
        coeffs = np.array([1], dtype=object)  # (x)_r = Π_{m<r} (x - m), lowest degree first
        for m in range(r):
            coeffs = np.convolve(coeffs, np.array([-m, 1], dtype=object))
        new: dict[tuple[int, ...], int] = {}
        for expo, c in poly.items():
            for k, ck in enumerate(coeffs):
                if ck:
                    e = list(expo)
                    e[i] += k
                    new[tuple(e)] = new.get(tuple(e), 0) + int(c) * int(ck)
        poly = {e: c for e, c in new.items() if c}
    return poly


# ----------------------------------------------------------------------------- the plan


@dataclasses.dataclass(frozen=True)
class _Plan:
    n: int
    order: int
    top: int
    known: tuple  # α with 2 <= |α| <= K (the state's central moments)
    closed: tuple  # α with K < |α| <= top
    ext: tuple  # every α with |α| <= top
    index: dict
    gammas: tuple  # γ of the Taylor coefficients, |γ| <= d
    taylor: tuple  # arrays (j, g, coef, expo): T[j, g] += coef * μ^expo
    mean_terms: tuple  # arrays (i, j, g, ext_idx, coef)
    central_terms: tuple  # arrays (row, j, g, ext_idx, coef)
    drift_terms: tuple  # arrays (row, i, ext_idx, coef)
    lognormal_weights: np.ndarray | None  # (len(closed), len(upto K)) Lagrange weights


@functools.lru_cache(maxsize=256)
def _plan(
    reactants: tuple[tuple[int, ...], ...],
    nu: tuple[tuple[int, ...], ...],
    order: int,
    closure: str,
) -> _Plan:
    n = len(reactants[0])
    degree = max(sum(r) for r in reactants)
    top = max(order + max(degree - 1, 0), degree, 2)
    ext = tuple(indices_upto(n, top))
    index = {a: k for k, a in enumerate(ext)}
    known = tuple(a for a in ext if 2 <= sum(a) <= order)
    closed = tuple(a for a in ext if sum(a) > order)
    gammas = tuple(indices_upto(n, degree))
    gidx = {g: k for k, g in enumerate(gammas)}

    tj, tg, tc, te = [], [], [], []
    for j, row in enumerate(reactants):
        for beta, coef in falling_factorial_polynomial(row).items():
            for gamma in _below(beta):
                tj.append(j)
                tg.append(gidx[gamma])
                tc.append(coef * _binom(beta, gamma))
                te.append(_sub(beta, gamma))
    taylor = (np.array(tj), np.array(tg), np.array(tc, float), np.array(te).reshape(-1, n))

    mi, mj, mg, mx, mc = [], [], [], [], []
    for j, row in enumerate(reactants):
        deg = sum(row)
        for i in range(n):
            if nu[j][i] == 0:
                continue
            for gamma in gammas:
                if sum(gamma) <= deg:
                    mi.append(i)
                    mj.append(j)
                    mg.append(gidx[gamma])
                    mx.append(index[gamma])
                    mc.append(float(nu[j][i]))
    mean_terms = tuple(np.array(v) for v in (mi, mj, mg, mx)) + (np.array(mc, float),)

    cr, cj, cg, cx, cc = [], [], [], [], []
    dr, di, dx, dc = [], [], [], []
    for row_idx, alpha in enumerate(known):
        for j, row in enumerate(reactants):
            deg = sum(row)
            for delta in _below(alpha):
                if delta == alpha:
                    continue
                weight = _binom(alpha, delta) * math.prod(
                    nu[j][i] ** (alpha[i] - delta[i]) for i in range(n)
                )
                if weight == 0:
                    continue
                for gamma in gammas:
                    if sum(gamma) <= deg:
                        cr.append(row_idx)
                        cj.append(j)
                        cg.append(gidx[gamma])
                        cx.append(index[_add(delta, gamma)])
                        cc.append(float(weight))
        for i in range(n):
            if alpha[i]:
                dr.append(row_idx)
                di.append(i)
                dx.append(index[_sub(alpha, _unit(n, i))])
                dc.append(float(alpha[i]))
    central_terms = tuple(np.array(v) for v in (cr, cj, cg, cx)) + (np.array(cc, float),)
    drift_terms = tuple(np.array(v) for v in (dr, di, dx)) + (np.array(dc, float),)

    weights = None
    if closure == "lognormal" and closed:
        nodes = indices_upto(n, order)
        vander = np.array(
            [
                [math.prod(b**g for b, g in zip(beta, gm, strict=True)) for gm in nodes]
                for beta in nodes
            ],
            dtype=float,
        )
        at = np.array(
            [
                [math.prod(a**g for a, g in zip(alpha, gm, strict=True)) for gm in nodes]
                for alpha in closed
            ],
            dtype=float,
        )
        weights = np.linalg.solve(vander.T, at.T).T  # value(α) = weights @ values(nodes)
    return _Plan(
        n=n,
        order=order,
        top=top,
        known=known,
        closed=closed,
        ext=ext,
        index=index,
        gammas=gammas,
        taylor=taylor,
        mean_terms=mean_terms,
        central_terms=central_terms,
        drift_terms=drift_terms,
        lognormal_weights=weights,
    )


# ----------------------------------------------------------------------------- closures


def _cumulant_split(n: int, alpha):
    """First i with α_i > 0 and a = α - e_i (the recursion's pivot)."""
    i = next(k for k, v in enumerate(alpha) if v)
    return i, _sub(alpha, _unit(n, i))


def cumulants_from_central(m: dict, n: int, upto: int) -> dict:
    """Cumulants κ_α (2 <= |α| <= upto) from central moments m (m[0] = 1, m[e_i] = 0).

    Multivariate moment-cumulant recursion (Leibniz rule on ∂_i M = M ∂_i K):
    m_α = Σ_{β <= α-e_i} C(α-e_i, β) κ_{β+e_i} m_{α-e_i-β}; κ_{e_i} = 0 about the mean.
    """
    kappa = {_unit(n, i): 0.0 for i in range(n)}
    for alpha in indices_upto(n, upto):
        if sum(alpha) < 2:
            continue
        i, a = _cumulant_split(n, alpha)
        total = m[alpha]
        for beta in _below(a):
            if beta != a:
                total = total - _binom(a, beta) * kappa[_add(beta, _unit(n, i))] * m[_sub(a, beta)]
        kappa[alpha] = total
    return kappa


def central_from_cumulants(alpha, kappa: dict, m: dict, n: int):
    """m_α from κ (orders <= |α|) and lower central moments, by the same recursion."""
    i, a = _cumulant_split(n, alpha)
    total = 0.0
    for beta in _below(a):
        total = total + _binom(a, beta) * kappa[_add(beta, _unit(n, i))] * m[_sub(a, beta)]
    return total


def close(plan: _Plan, mu: Array, m: dict, closure: str) -> dict:
    """Extend the central moments ``m`` (orders <= K) to orders <= top by ``closure``."""
    n, order = plan.n, plan.order
    if not plan.closed:
        return m
    m = dict(m)
    if closure == "zero":
        for alpha in plan.closed:
            m[alpha] = jnp.zeros_like(mu[0])
        return m
    if closure in ("normal", "poisson"):
        kappa = cumulants_from_central(m, n, order)
        for alpha in plan.closed:
            pure = [i for i in range(n) if alpha[i] == sum(alpha)]
            kappa[alpha] = mu[pure[0]] if (closure == "poisson" and pure) else jnp.zeros_like(mu[0])
            m[alpha] = central_from_cumulants(alpha, kappa, m, n)
        return m
    # log-normal: raw moments R_α = E[x^α], ln R polynomial of degree K in α.
    nodes = indices_upto(n, order)
    raw = {}
    for alpha in nodes:
        raw[alpha] = sum(
            _binom(alpha, beta) * _monomial(mu, _sub(alpha, beta)) * m[beta]
            for beta in _below(alpha)
        )
    logs = jnp.stack([jnp.log(raw[a]) for a in nodes])
    values = jnp.asarray(plan.lognormal_weights) @ logs
    for k, alpha in enumerate(plan.closed):
        raw[alpha] = jnp.exp(values[k])
    for alpha in plan.closed:
        m[alpha] = sum(
            _binom(alpha, beta) * _monomial(-mu, _sub(alpha, beta)) * raw[beta]
            for beta in _below(alpha)
        )
    return m


def _monomial(mu: Array, expo) -> Array:
    out = jnp.ones_like(mu[0])
    for i, e in enumerate(expo):
        if e:
            out = out * mu[i] ** e
    return out


# ----------------------------------------------------------------------------- the system


def check_closure(network: Any, order: Any, closure: Any) -> None:
    """Validate a closure request; errors name ``order``, ``closure`` or ``network``."""
    if not isinstance(network, AbstractReactionNetwork):
        raise TypeError(f"network must be a reaction network, got {type(network).__name__}")
    if closure not in CLOSURES:
        raise ValueError(f"closure must be one of {CLOSURES}, got {closure!r}")
    if isinstance(order, bool) or not isinstance(order, int | np.integer):
        raise TypeError(f"order must be an integer, got {type(order).__name__}")
    if not 1 <= order <= MAX_ORDER:
        raise ValueError(f"order must lie in [1, {MAX_ORDER}], got {order}")
    if not network.is_mass_action:
        raise ValueError(
            "network: moment equations need polynomial (mass-action) propensities; this "
            "network has a custom propensity function"
        )
    n = len(network.species)
    count = len(indices_upto(n, order)) - 1
    if count > MAX_VARIABLES:
        raise ValueError(
            f"order {order} needs {count} moment variables for {n} species, more than "
            f"{MAX_VARIABLES}: choose a lower order"
        )


class MomentEquations(AbstractODE):
    """Moment equations of ``network`` up to ``order``, closed by ``closure``.

    The state is ``[μ_1..μ_n, M_α for 2 <= |α| <= order]`` (means, then central moments
    by increasing order, α lexicographically descending within an order: see
    :attr:`labels`). The default initial state is the network's deterministic initial
    counts (all central moments zero).
    """

    network: AbstractReactionNetwork
    order: int = eqx.field(static=True)
    closure: str = eqx.field(static=True)

    name: ClassVar[str] = "moment_equations"
    reference: ClassVar[str] = (
        "D. Schnoerr, G. Sanguinetti, R. Grima, J. Chem. Phys. 141, 084103 (2014); "
        "A. Ale, P. Kirk, M. P. H. Stumpf, J. Chem. Phys. 138, 174101 (2013)"
    )

    def __init__(self, network: AbstractReactionNetwork, order: int = 2, closure: str = "normal"):
        check_closure(network, order, closure)
        self.network = network
        self.order = int(order)
        self.closure = closure

    @property
    def plan(self) -> _Plan:
        net = self.network
        reactants = tuple(tuple(int(v) for v in r) for r in net.reactants())
        nu = tuple(tuple(int(v) for v in r) for r in net.stoichiometry())
        return _plan(reactants, nu, self.order, self.closure)

    @property
    def n(self) -> int:
        return len(self.network.species)

    @property
    def labels(self) -> list[str]:
        """Names of the state's entries, e.g. ``["E[X]", "M(2)", "M(3)"]``."""
        sp = self.network.species
        mean = [f"E[{s}]" for s in sp]
        return mean + [f"M{a}" for a in self.plan.known]

    @property
    def is_exact(self) -> bool:
        """True when no closure is needed (linear networks): the equations are exact."""
        return not self.plan.closed or max(self.network.orders()) <= 1

    def split(self, y: Float[Array, " d"]) -> tuple[Array, dict]:
        """(μ, {α: M_α}) including M_0 = 1 and M_{e_i} = 0."""
        plan = self.plan
        n = plan.n
        mu = y[:n]
        m = {tuple(0 for _ in range(n)): jnp.ones_like(y[0])}
        for i in range(n):
            m[_unit(n, i)] = jnp.zeros_like(y[0])
        for k, alpha in enumerate(plan.known):
            m[alpha] = y[n + k]
        return mu, m

    def mean(self, y: Array) -> Array:
        return y[..., : self.n]

    def covariance(self, y: Array) -> Array:
        """The covariance matrix of the counts (from the second central moments)."""
        n, idx = self.n, {a: k for k, a in enumerate(self.plan.known)}
        rows = []
        for i in range(n):
            row = []
            for k in range(n):
                alpha = _add(_unit(n, i), _unit(n, k))
                row.append(y[..., n + idx[alpha]] if self.order >= 2 else jnp.zeros_like(y[..., 0]))
            rows.append(jnp.stack(row, axis=-1))
        return jnp.stack(rows, axis=-2)

    def variance(self, y: Array) -> Array:
        return jnp.diagonal(self.covariance(y), axis1=-2, axis2=-1)

    def closed_moments(self, y: Array) -> dict:
        """All central moments up to the highest order the equations use, closed."""
        mu, m = self.split(y)
        return close(self.plan, mu, m, self.closure)

    def drift(self, t, y, args=None):
        plan = self.plan
        c = self.network.mass_action_coefficients()
        mu, m = self.split(y)
        m = close(plan, mu, m, self.closure)
        mext = jnp.stack([m[a] for a in plan.ext])
        tj, tg, tc, te = plan.taylor
        # μ^e for the static exponents e of the Taylor terms, by integer powers.
        powers = jnp.stack([mu**e for e in range(int(te.max(initial=0)) + 1)], axis=1)
        mono = jnp.prod(powers[np.arange(plan.n)[None, :], te], axis=1)
        taylor = jnp.zeros((len(c), len(plan.gammas)), dtype=y.dtype).at[tj, tg].add(tc * mono)
        mi, mj, mg, mx, mc = plan.mean_terms
        dmu = jnp.zeros(plan.n, dtype=y.dtype).at[mi].add(mc * c[mj] * taylor[mj, mg] * mext[mx])
        if not plan.known:
            return dmu
        cr, cj, cg, cx, cc = plan.central_terms
        dm = (
            jnp.zeros(len(plan.known), dtype=y.dtype)
            .at[cr]
            .add(cc * c[cj] * taylor[cj, cg] * mext[cx])
        )
        dr, di, dx, dc = plan.drift_terms
        dm = dm.at[dr].add(-dc * mext[dx] * dmu[di])
        return jnp.concatenate([dmu, dm])

    def initial_state(self, key=None) -> Array:
        """Deterministic initial counts: μ = x0, every central moment zero."""
        x0 = jnp.asarray(self.network.initial_state(key), dtype=float)
        return jnp.concatenate([x0, jnp.zeros(len(self.plan.known))])

    def state(self, mean, covariance=None) -> Array:
        """A state with the given mean (and covariance; higher central moments zero)."""
        y = jnp.concatenate([jnp.asarray(mean, float), jnp.zeros(len(self.plan.known))])
        if covariance is not None:
            cov = jnp.asarray(covariance, float)
            n = self.n
            for k, alpha in enumerate(self.plan.known):
                if sum(alpha) == 2:
                    i, j = [q for q in range(n) for _ in range(alpha[q])]
                    y = y.at[n + k].set(cov[i, j])
        return y


# ----------------------------------------------------------------------------- steady states


@dataclasses.dataclass(frozen=True)
class SteadyStates:
    """Fixed points of moment equations reached from several initial conditions.

    Attributes:
        states: (S, d) the distinct fixed points found.
        physical: (S,) means >= 0 and covariance positive semi-definite (variances > 0).
        stable: (S,) every eigenvalue of the Jacobian has a negative real part.
        basin: (C,) for each initial condition, the index of its fixed point (-1: none,
            the solution diverged, oscillated or did not converge).
        residual: (C,) relative distance from each run's end state to its fixed point.
    """

    states: np.ndarray
    physical: np.ndarray
    stable: np.ndarray
    basin: np.ndarray
    residual: np.ndarray

    @property
    def count(self) -> int:
        return len(self.states)


def newton_steady_state(eqs: MomentEquations, guess: Array, *, tol=1e-10, max_steps=50):
    """Polish a steady state of ``eqs`` from ``guess`` by Newton's method (dense solve).

    The moments span many orders of magnitude (a fourth central moment ~ Ω² next to a
    mean ~ Ω), so Newton works on y / s and drift / s with s = |guess| + 1: its
    tolerance is then relative, and the rounding floor of the big entries does not stall
    it. Converged when the scaled step falls below ``tol``. (A plain ``lax.while_loop``
    with ``jnp.linalg.solve`` rather than optimistix: lineax's structure checks reject
    its operators inside a multi-device ``sweep``'s ``shard_map``.) Returns the point and
    whether Newton converged to a finite one.
    """
    scale = jnp.abs(guess) + 1.0
    f = lambda z: eqs.drift(0.0, z * scale) / scale
    jac = jax.jacfwd(f)

    def cond(c):
        z, step, k = c
        return (k < max_steps) & (step > tol) & jnp.isfinite(step)

    def body(c):
        z, _, k = c
        dz = jnp.linalg.solve(jac(z), -f(z))
        return z + dz, jnp.max(jnp.abs(dz)), k + 1

    z0 = guess / scale
    big = jnp.asarray(jnp.finfo(z0.dtype).max, z0.dtype)
    z, step, _ = jax.lax.while_loop(cond, body, (z0, big, 0))
    y = z * scale
    return y, (step <= tol) & jnp.all(jnp.isfinite(y))


def physical(eqs: MomentEquations, y: Array) -> Array:
    """Means >= 0 and a positive-definite covariance (Cholesky succeeds)."""
    cov = eqs.covariance(y)
    chol = jnp.linalg.cholesky(cov)
    return jnp.all(eqs.mean(y) >= 0) & jnp.all(jnp.isfinite(chol)) & jnp.all(jnp.isfinite(y))


def stable(eqs: MomentEquations, y: Array) -> Array:
    """Every eigenvalue of the Jacobian of the drift at y has a negative real part."""
    jac = jax.jacfwd(lambda z: eqs.drift(0.0, z))(y)
    return jnp.max(jnp.real(jnp.linalg.eigvals(jac))) < 0


def long_time(
    eqs: MomentEquations,
    y0: Array,
    *,
    t1: float,
    window: float = 0.25,
    n_window: int = 201,
    rtol: float = 1e-7,
    max_steps: int = 400_000,
) -> dict[str, Array]:
    """Where the moment equations go from ``y0``: integrate to ``t1``, then summarise.

    Jittable and vmappable (e.g. over initial conditions or inside a sweep). Returns the
    end state, the fixed point Newton finds from it (``fixed``, ``newton_ok``), whether
    that point is ``physical`` and ``stable``, the solver ``status``, the relative
    peak-to-peak ``amplitude`` of the means over the last ``window`` of the run (a
    sustained oscillation keeps it large) and the ``distance`` (relative) from the end
    state to the fixed point, and how often the first mean ``crossings`` its window
    average (an oscillation crosses it many times, a drift at most once or twice).
    """
    n = eqs.n
    ts = jnp.linspace(t1 * (1.0 - window), t1, n_window)
    traj = simulate(eqs, t1, y0=y0, ts=ts, rtol=rtol, atol=rtol * 1e-3, max_steps=max_steps)
    means = traj.ys[:, :n]
    end = traj.ys[-1]
    fixed, ok = newton_steady_state(eqs, end)
    amplitude = jnp.max(jnp.ptp(means, axis=0) / (jnp.abs(jnp.mean(means, axis=0)) + 1.0))
    centred = means[:, 0] - jnp.mean(means[:, 0])
    crossings = jnp.sum(jnp.sign(centred[1:]) * jnp.sign(centred[:-1]) < 0)
    return {
        "end": end,
        "fixed": fixed,
        "newton_ok": ok,
        "physical": physical(eqs, fixed),
        "stable": stable(eqs, fixed),
        "status": traj.status,
        "amplitude": amplitude,
        "crossings": crossings,
        "distance": jnp.max(jnp.abs(end - fixed) / (jnp.abs(fixed) + 1.0)),
    }


#: long-time behaviours of closed moment equations, best first (see :func:`classify`)
CATEGORIES = ("valid", "multiple", "oscillating", "unphysical", "diverged")


def classify(
    summary: dict[str, np.ndarray], *, osc_tol: float = 1e-3, same: float = 1e-6
) -> tuple[str, np.ndarray]:
    """The behaviour of moment equations from several initial conditions.

    ``summary`` is :func:`long_time` vmapped over initial conditions (leading axis).
    Per initial condition: *diverged* (the solve failed, blew up or still drifts at the
    end), *oscillating* (the means still swing by more than ``osc_tol`` (relative) at the
    end, crossing their average at least 4 times, and no stable fixed point is nearby),
    or converged to its Newton fixed point. Overall, in this order:

    * ``"diverged"``: some initial condition diverged;
    * ``"unphysical"``: a fixed point reached has a negative mean or a covariance that is
      not positive definite (e.g. a negative variance);
    * ``"oscillating"``: sustained oscillations of the moments;
    * ``"multiple"``: different initial conditions reach different physical fixed
      points (the CME's stationary law is unique, so at most one can be right);
    * ``"valid"``: every initial condition reaches the same physical, stable fixed point.

    Returns the category and the distinct fixed points reached.
    """
    s = {k: np.asarray(v) for k, v in summary.items()}
    finite = np.all(np.isfinite(s["end"]), axis=-1)
    diverged = (s["status"] != 0) | ~finite
    settled = s["newton_ok"] & s["stable"]
    swinging = ~diverged & (s["amplitude"] >= osc_tol) & ~settled
    oscillating = swinging & (s["crossings"] >= 4)
    diverged = diverged | (swinging & ~oscillating)  # still drifting at t1: no steady state
    # Close to its fixed point, or still spiralling slowly into a stable one (a damped
    # oscillation near a Hopf point of the closed equations) counts as converged.
    converged = ~diverged & ~oscillating & s["newton_ok"] & ((s["distance"] < 1e-2) | settled)
    points: list[np.ndarray] = []
    phys: list[bool] = []
    for y, ok, good in zip(s["fixed"], converged, s["physical"], strict=True):
        if not ok:
            continue
        if not any(np.all(np.abs(y - z) <= same * (1.0 + np.abs(z))) for z in points):
            points.append(y)
            phys.append(bool(good))
    distinct = np.array(points).reshape(len(points), s["fixed"].shape[-1])
    if diverged.any() or not (converged.any() or oscillating.any()):
        return "diverged", distinct
    if not all(phys):
        return "unphysical", distinct
    if oscillating.any():
        return "oscillating", distinct
    if len(points) > 1:
        return "multiple", distinct
    return "valid", distinct


def steady_states(
    eqs: MomentEquations,
    initial: Array,
    *,
    t1: float,
    rtol: float = 1e-7,
    dedupe: float = 1e-6,
) -> SteadyStates:
    """Fixed points reached from each initial condition (rows of ``initial``).

    Each initial state is integrated with :func:`jaxdyn.simulate` up to ``t1`` (the
    moment equations may blow up or oscillate: those are kept as ``basin = -1``), then
    polished by Newton's method; points closer than ``dedupe`` (relative) are one.
    """
    initial = jnp.atleast_2d(jnp.asarray(initial, float))
    summ = jax.jit(jax.vmap(lambda y0: long_time(eqs, y0, t1=t1, rtol=rtol)))(initial)
    summ = {k: np.asarray(v) for k, v in summ.items()}
    ok = (summ["status"] == 0) & summ["newton_ok"] & (summ["distance"] < 1e-2)
    states: list[np.ndarray] = []
    basin = np.full(len(initial), -1)
    for c, (y, good) in enumerate(zip(summ["fixed"], ok, strict=True)):
        if not good:
            continue
        for k, z in enumerate(states):
            if np.all(np.abs(y - z) <= dedupe * (1.0 + np.abs(z))):
                basin[c] = k
                break
        else:
            basin[c] = len(states)
            states.append(y)
    first = [int(np.argmax(basin == k)) for k in range(len(states))]
    return SteadyStates(
        states=np.array(states).reshape(len(states), initial.shape[1]),
        physical=summ["physical"][first].astype(bool),
        stable=summ["stable"][first].astype(bool),
        basin=basin,
        residual=summ["distance"],
    )


def validity_threshold(
    valid: Callable[[float], bool], lo: float, hi: float, *, rtol: float = 1e-7, max_iter: int = 80
) -> float:
    """The boundary between an invalid ``lo`` and a valid ``hi`` (bisection, geometric).

    ``valid(x)`` says whether the closure is valid at system size (or any positive
    parameter) x; the bracket must have ``valid(lo)`` False and ``valid(hi)`` True.
    """
    if valid(lo) or not valid(hi):
        raise ValueError(f"validity_threshold: need invalid at lo={lo} and valid at hi={hi}")
    for _ in range(max_iter):
        if hi / lo - 1.0 < rtol:
            break
        mid = float(np.sqrt(lo * hi))
        lo, hi = (lo, mid) if valid(mid) else (mid, hi)
    return float(np.sqrt(lo * hi))


def dimerisation_normal2_threshold() -> dict[str, float]:
    """Where the 2nd-order normal closure of ∅ -> X, 2X -> ∅ loses its physical steady state.

    In the ``"rate"`` convention (a_1 = k1 Ω, a_2 = k2 x (x-1) / Ω, a = k1 Ω² / k2) the
    closed equations at steady state are E[x(x-1)] = a/2 and
    a (2μ + 1) = 4 E[x (x-1)²], with E[x³] = 3 μ E[x²] - 2 μ³ (third cumulant zero).
    Eliminating the second moment: a(μ) = 4 μ (2μ - 1)(μ - 1) / (4μ - 5), variance
    a/2 + μ - μ². The physical branch μ > 5/4 exists only for a >= a_c = min a(μ), at the
    root of a'(μ) = 0, i.e. 16 μ³ - 42 μ² + 30 μ - 5 = 0 (a saddle-node: below a_c the
    solution runs to the negative-mean root). Returns a_c, μ_c and the variance there.
    """
    roots = np.roots([16.0, -42.0, 30.0, -5.0]).real
    mu = float(roots[roots > 1.25].max())
    a = 4 * mu * (2 * mu - 1) * (mu - 1) / (4 * mu - 5)
    return {"a": a, "mean": mu, "variance": a / 2 + mu - mu**2}


__all__ = [
    "CATEGORIES",
    "CLOSURES",
    "MAX_ORDER",
    "MomentEquations",
    "SteadyStates",
    "check_closure",
    "classify",
    "close",
    "dimerisation_normal2_threshold",
    "cumulants_from_central",
    "falling_factorial_polynomial",
    "indices_upto",
    "long_time",
    "multi_indices",
    "newton_steady_state",
    "physical",
    "stable",
    "steady_states",
    "validity_threshold",
]
