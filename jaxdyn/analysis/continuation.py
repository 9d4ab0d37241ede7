"""Numerical continuation and bifurcation analysis of equilibria, for any System.

A *problem* is a parametrised set of equations F(y, p) = 0 (the equilibria of an ODE or
of a delay system, or any algebraic system) together with the linear stability of its
solutions, given by a characteristic matrix Δ(λ; y, p):

=====================  ====================================  ===============================
problem                F(y, p)                               Δ(λ; y, p)
=====================  ====================================  ===============================
:class:`ODEProblem`    the vector field f(y, p)              λ I - ∂f/∂y
:class:`DelayProblem`  f(y, [y, ..., y], p) (rest states)    λ I - A_0 - Σ_k A_k e^{-λ τ_k}
:func:`from_system`    a System's drift, ``param`` free       either of the above
=====================  ====================================  ===============================

with A_0 = ∂f/∂y(t) and A_k = ∂f/∂y(t - τ_k) for a delay system (Hale & Verduyn Lunel,
"Introduction to Functional Differential Equations", Springer 1993, §7.2). All
Jacobians come from automatic differentiation.

What this module computes (every function is jit-compiled and can be ``vmap``-ed, e.g.
over a parameter that sets many branches at once):

* :func:`equilibrium`: Newton's method (optimistix, linear solves by lineax).
* :func:`continuation`: a branch of solutions in one parameter, by pseudo-arclength
  continuation (Keller, in "Applications of Bifurcation Theory", Academic Press 1977:
  tangent predictor, corrector on the hyperplane orthogonal to the tangent, so folds
  are passed) or by natural continuation (the parameter stepped, secant predictor).
  Step control: the step grows by ``grow`` after an easy corrector, is halved and
  retried after a failed one (or one that turned the tangent by more than
  ``max_turn``), and the branch ends below ``ds_min``. Along it: the eigenvalues (the
  rightmost ones of a delay system), the parameter component of the tangent (it
  changes sign at a fold) and the sign of det [F_x; tᵀ] (it changes at a simple branch
  point, not at a fold); Govaerts, "Numerical Methods for Bifurcations of Dynamical
  Equilibria", SIAM 2000, ch. 3-4.
* :func:`bifurcations`: the special points of a branch, each located precisely:
  folds by Newton on the Moore-Spence system F = 0, F_y v = 0, cᵀv = 1
  (:func:`locate_fold`); Hopf points by Newton on F = 0, Δ(iω) v = 0, cᴴv = 1 in
  (y, p, v, ω) (:func:`locate_hopf`; Roose & Hlavaček, SIAM J. Appl. Math. 45, 879
  (1985); for delay systems Engelborghs, Luzyanina & Roose, ACM TOMS 28, 1 (2002)); simple
  branch points (transcritical, pitchfork) by bisection on the sign of det [F_x; tᵀ]
  along the branch (:func:`locate_branch_point`).
* :func:`hopf_curve` and :func:`fold_curve`: two-parameter continuation, i.e. the same
  pseudo-arclength continuation applied to the Hopf or fold system above with the
  second parameter free.

Stability of a delay system's equilibrium: the characteristic equation det Δ(λ) = 0 has
infinitely many roots; its rightmost ones are the eigenvalues of the pseudo-spectral
(Chebyshev collocation) discretisation of the infinitesimal generator of the solution
semigroup on [-τ_max, 0] (Breda, Maset & Vermiglio, SIAM J. Sci. Comput. 27, 482
(2005)), which converge spectrally in the number of nodes ``n_cheb``. The Hopf point
itself is located on Δ, with no discretisation error, so a DDE's Hopf delay is found
exactly as an ODE's Hopf parameter is.
"""

from __future__ import annotations

import abc
import math
from collections.abc import Callable
from typing import Any, NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import lineax as lx
import numpy as np
from jaxtyping import Array, ArrayLike, Complex, Float

from ..core import AbstractDDE, AbstractODE, AbstractSystem, check_int, check_positive
from ..core import is_concrete as _concrete

# ----------------------------------------------------------------------------- problems


class AbstractProblem(eqx.Module):
    """Equations F(y, p) = 0 in a state y (1-D) and one scalar parameter p, with the
    linear stability of their solutions.

    Implement :meth:`residual`. The defaults treat F as an ODE vector field: the
    characteristic matrix is λI - F_y and the eigenvalues are those of F_y. A problem
    whose stability is not that of dy/dt = F overrides :meth:`characteristic` and
    :meth:`eigenvalues` (a delay system does; so does a nonlinear eigenvalue problem from
    asymptotics).
    """

    @abc.abstractmethod
    def residual(self, y: Array, p: Array) -> Array:
        """F(y, p), shaped like y."""

    def jacobian(self, y: Array, p: Array) -> Array:
        """F_y (n, n) by forward-mode autodiff."""
        return jax.jacfwd(self.residual)(y, p)

    def characteristic(self, lam: Array, y: Array, p: Array) -> Array:
        """Δ(λ) = λ I - F_y: Δ(iω) is singular exactly at a Hopf point with frequency ω."""
        jac = self.jacobian(y, p)
        return lam * jnp.eye(jac.shape[0], dtype=complex) - jac

    def eigenvalues(self, y: Array, p: Array) -> Array:
        """Eigenvalues governing stability, sorted by decreasing real part."""
        ev = jnp.linalg.eigvals(self.jacobian(y, p))
        return ev[jnp.argsort(-ev.real)]


class ODEProblem(AbstractProblem):
    """The equilibria of dy/dt = f(y, p) for a pure function ``f(y, p) -> dy``."""

    f: Callable[[Array, Array], Array] = eqx.field(static=True)

    def residual(self, y, p):
        return self.f(y, p)


class AbstractDelayProblem(AbstractProblem):
    """Rest states of dy/dt = f(y(t), y(t - τ_1), ..., y(t - τ_d); p) (constant delays).

    Implement :meth:`rhs` and :meth:`lags`, and give a field ``n_cheb``: the number of
    Chebyshev nodes (minus one) of the discretised infinitesimal generator used for
    :meth:`eigenvalues`.
    """

    @abc.abstractmethod
    def rhs(self, y: Array, y_delayed: Array, p: Array) -> Array:
        """f(y, y_delayed, p) with ``y_delayed[k] = y(t - τ_k)`` of shape (d, n)."""

    @abc.abstractmethod
    def lags(self, p: Array) -> Array:
        """The delays τ_k > 0, shape (d,)."""

    def residual(self, y, p):
        d = jnp.shape(self.lags(p))[0]
        return self.rhs(y, jnp.broadcast_to(y, (d,) + y.shape), p)

    def blocks(self, y, p) -> tuple[Array, Array, Array]:
        """(A_0, A_k stacked (d, n, n), τ (d,)) of the linearisation at the rest state y."""
        taus = jnp.asarray(self.lags(p), dtype=float)
        d = taus.shape[0]
        yd = jnp.broadcast_to(y, (d,) + y.shape)
        a0 = jax.jacfwd(self.rhs, argnums=0)(y, yd, p)
        ak = jax.jacfwd(self.rhs, argnums=1)(y, yd, p)  # (n, d, n)
        return a0, jnp.moveaxis(ak, 1, 0), taus

    def characteristic(self, lam, y, p):
        a0, ak, taus = self.blocks(y, p)
        n = a0.shape[0]
        lam = jnp.asarray(lam, dtype=complex)
        weights = jnp.exp(-lam * taus)
        return lam * jnp.eye(n, dtype=complex) - a0 - jnp.einsum("k,kij->ij", weights, ak)

    def eigenvalues(self, y, p):
        a0, ak, taus = self.blocks(y, p)
        ev = jnp.linalg.eigvals(generator_matrix(a0, ak, taus, self.n_cheb))
        return ev[jnp.argsort(-ev.real)]


class DelayProblem(AbstractDelayProblem):
    """Rest states of a delay system given as pure functions ``f(y, y_delayed, p)`` and
    ``delays(p) -> (d,)``."""

    f: Callable[[Array, Array, Array], Array] = eqx.field(static=True)
    delays: Callable[[Array], Array] = eqx.field(static=True)
    n_cheb: int = eqx.field(static=True, default=24)

    def rhs(self, y, y_delayed, p):
        return self.f(y, y_delayed, p)

    def lags(self, p):
        return self.delays(p)


def _with_param(system: AbstractSystem, param: str, p: Array) -> AbstractSystem:
    return eqx.tree_at(lambda s: getattr(s, param), system, jnp.asarray(p, dtype=float))


class SystemProblem(AbstractProblem):
    """Equilibria of an ODE System (any :class:`~jaxdyn.AbstractODE`, including a
    discretised PDE) as functions of its parameter ``param``; use :func:`from_system`."""

    system: AbstractODE
    param: str = eqx.field(static=True)
    shape: tuple[int, ...] = eqx.field(static=True)
    args: Any = None

    def residual(self, y, p):
        s = _with_param(self.system, self.param, p)
        return jnp.ravel(s.drift(0.0, jnp.reshape(y, self.shape), self.args))


class DelaySystemProblem(AbstractDelayProblem):
    """Rest states of a delay System (:class:`~jaxdyn.AbstractDDE`) as functions of its
    parameter ``param`` (which may be a delay); use :func:`from_system`."""

    system: AbstractDDE
    param: str = eqx.field(static=True)
    shape: tuple[int, ...] = eqx.field(static=True)
    args: Any = None
    n_cheb: int = eqx.field(static=True, default=24)

    def rhs(self, y, y_delayed, p):
        s = _with_param(self.system, self.param, p)
        d = y_delayed.shape[0]
        out = s.drift(
            0.0, jnp.reshape(y, self.shape), jnp.reshape(y_delayed, (d,) + self.shape), self.args
        )
        return jnp.ravel(out)

    def lags(self, p):
        s = _with_param(self.system, self.param, p)
        y = jnp.ravel(jnp.asarray(s.initial_state(None), dtype=float))
        return jnp.atleast_1d(jnp.asarray(s.delays(0.0, jnp.reshape(y, self.shape)), float))


def from_system(
    system: AbstractSystem, param: str, *, args: Any = None, n_cheb: int = 24
) -> AbstractProblem:
    """The equilibrium problem of ``system`` with parameter ``param`` free.

    ODE systems (and semi-linear ones, e.g. a discretised PDE) give F(y, p) = drift at
    t = 0; delay systems give the rest states with constant delays and the characteristic
    matrix λI - A_0 - Σ A_k e^{-λτ_k}. The state is flattened (y of shape (n,)).

    Raises:
        TypeError: for a stochastic system or a map (no equilibria of a drift).
        ValueError: if ``param`` is not one of the system's parameters.
    """
    if not isinstance(system, AbstractSystem):
        raise TypeError(f"system must be a jaxdyn System, got {type(system).__name__}")
    if param not in system.param_ranges:
        raise ValueError(
            f"param must be one of {type(system).__name__}'s parameters "
            f"{sorted(system.param_ranges)}, got {param!r}"
        )
    if system.is_stochastic:
        raise TypeError(f"{type(system).__name__} is stochastic: continuation needs a drift")
    y0 = system.initial_state(None)
    if not eqx.is_array(y0) and not isinstance(y0, np.ndarray):
        raise TypeError("from_system needs a system whose state is a single array")
    shape = tuple(jnp.shape(y0))
    if isinstance(system, AbstractDDE):
        n_cheb = check_int("n_cheb", n_cheb, 4, 400)
        return DelaySystemProblem(system=system, param=param, shape=shape, args=args, n_cheb=n_cheb)
    if isinstance(system, AbstractODE):
        return SystemProblem(system=system, param=param, shape=shape, args=args)
    raise TypeError(f"{type(system).__name__} has no drift: continuation needs an ODE or DDE")


# ------------------------------------------------------- infinitesimal generator (DDE)


def _cheb(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Chebyshev extreme points x_j = cos(jπ/n), differentiation matrix, barycentric weights
    (Trefethen, "Spectral Methods in MATLAB", SIAM 2000, program cheb)."""
    x = np.cos(np.pi * np.arange(n + 1) / n)
    c = np.ones(n + 1)
    c[0] = c[-1] = 2.0
    c *= (-1.0) ** np.arange(n + 1)
    dx = x[:, None] - x[None, :]
    d = np.outer(c, 1.0 / c) / (dx + np.eye(n + 1))
    d -= np.diag(d.sum(axis=1))
    w = (-1.0) ** np.arange(n + 1)
    w[0] *= 0.5
    w[-1] *= 0.5
    return x, d, w


def lagrange_row(x: np.ndarray, w: np.ndarray, xq: Array) -> Array:
    """Barycentric Lagrange weights ℓ_j(xq) on the nodes x (exact at a node)."""
    diff = xq - x
    hit = jnp.abs(diff) < 1e-14
    safe = jnp.where(hit, 1.0, diff)
    terms = w / safe
    row = terms / jnp.sum(terms)
    onehot = hit.astype(float)
    return jnp.where(jnp.any(hit), onehot, row)


def generator_matrix(a0: Array, ak: Array, taus: Array, n_cheb: int) -> Array:
    """Pseudo-spectral discretisation of the infinitesimal generator of
    y'(t) = A_0 y(t) + Σ_k A_k y(t - τ_k) on Chebyshev nodes of [-τ_max, 0].

    Its eigenvalues approximate the rightmost characteristic roots (Breda, Maset &
    Vermiglio 2005): block row 0 is the DDE at θ = 0 (lags interpolated), the other
    rows differentiate the history.
    """
    n = a0.shape[0]
    x, dmat, w = _cheb(n_cheb)
    tmax = jnp.max(taus)
    scale = 2.0 / tmax
    # θ = tmax (x - 1) / 2, so the lag θ = -τ_k sits at x = 1 - 2 τ_k / tmax.
    rows = jax.vmap(lambda t: lagrange_row(x, w, 1.0 - 2.0 * t / tmax))(taus)  # (d, N+1)
    top = jnp.einsum("kj,kab->ajb", rows, ak).reshape(n, n * (n_cheb + 1))
    top = top.at[:, :n].add(a0)
    rest = scale * jnp.kron(jnp.asarray(dmat[1:]), jnp.eye(n))
    return jnp.concatenate([top, rest], axis=0)


# ----------------------------------------------------------------------------- Newton


def _double() -> bool:
    return jnp.result_type(float) == jnp.float64


def default_tol() -> float:
    """Newton step tolerance: 1e-10 in double precision, 1e-5 in single."""
    return 1e-10 if _double() else 1e-5


def _locate_tol(tol: float | None) -> float:
    return (1e-12 if _double() else 1e-6) if tol is None else check_positive("tol", tol)


def default_res_tol() -> float:
    """Largest residual |F| accepted on a branch or at a located point (1e-7 / 1e-3)."""
    return 1e-7 if _double() else 1e-3


class Equilibrium(NamedTuple):
    """A Newton solution: ``y``, the max-norm ``residual`` |F(y, p)|, ``converged``."""

    y: Array
    residual: Array
    converged: Array
    steps: Array


def _newton(fn: Callable[[Array], Array], x0: Array, tol: float, max_steps: int):
    """Newton's method x <- x - J⁻¹ F(x) with a forward-mode Jacobian and an LU solve
    (lineax); stops when the step is below tol (1 + |x|) (the criterion of
    ``optimistix.Newton``). Returns (x, max|F(x)|, converged, steps)."""

    def body(state):
        x, _, k, _ = state
        f, jac = fn(x), jax.jacfwd(fn)(x)
        dx = lx.linear_solve(lx.MatrixLinearOperator(jac), f, lx.LU(), throw=False).value
        x_new = x - dx
        small = jnp.max(jnp.abs(dx)) <= tol * (1.0 + jnp.max(jnp.abs(x)))
        return x_new, small, k + 1, jnp.all(jnp.isfinite(x_new))

    def cond(state):
        _, small, k, finite = state
        return ~small & (k < max_steps) & finite

    x, small, k, finite = jax.lax.while_loop(
        cond, body, (x0, jnp.asarray(False), jnp.asarray(0), jnp.asarray(True))
    )
    res = jnp.max(jnp.abs(fn(x)))
    return x, res, small & finite & jnp.isfinite(res), k


@eqx.filter_jit
def _equilibrium(problem, y0, p, tol, max_steps):
    y, res, ok, steps = _newton(lambda y: problem.residual(y, p), y0, tol, max_steps)
    return Equilibrium(y, res, ok & (res <= default_res_tol()), steps)


def equilibrium(
    problem: AbstractProblem,
    y0: ArrayLike,
    p: ArrayLike,
    *,
    tol: float | None = None,
    max_steps: int = 50,
) -> Equilibrium:
    """Solve F(y, p) = 0 by Newton's method from ``y0`` (autodiff Jacobian, LU by lineax).

    Returns an :class:`Equilibrium`; ``converged`` is False (never an exception) when
    Newton fails, so that the call can be vmapped.
    """
    tol = check_positive("tol", default_tol() if tol is None else tol)
    max_steps = check_int("max_steps", max_steps, 1)
    y0 = jnp.ravel(jnp.asarray(y0, dtype=float))
    return _equilibrium(problem, y0, jnp.asarray(p, dtype=float), tol, max_steps)


# ------------------------------------------------------------------------ continuation

#: branch status codes
BRANCH_OK, BRANCH_RANGE, BRANCH_STEP, BRANCH_START = 0, 1, 2, 3
BRANCH_STATUS = {
    BRANCH_OK: "all steps taken",
    BRANCH_RANGE: "left the parameter range",
    BRANCH_STEP: "step size fell below ds_min (corrector failed)",
    BRANCH_START: "the start point is not an equilibrium",
}


class Branch(eqx.Module):
    """A continued branch of solutions (fixed length; ``valid`` marks the points reached).

    Attributes:
        y: states (K, n); p: parameter (K,); eigenvalues: (K, m) sorted by decreasing real
        part (empty when stability was not computed); tangent_p: the parameter component
        of the unit tangent (K,); bp_sign: sign of det [F_x; tᵀ] (K,); ds: step taken to
        reach each point (K,); steps: Newton iterations (K,); valid: (K,) bool; status:
        one of :data:`BRANCH_STATUS`; start_residual: |F(y0, p0)| before correction.
    """

    y: Float[Array, "k n"]
    p: Float[Array, " k"]
    eigenvalues: Complex[Array, "k m"]
    tangent_p: Float[Array, " k"]
    bp_sign: Float[Array, " k"]
    ds: Float[Array, " k"]
    steps: Array
    valid: Array
    status: Array
    start_residual: Array

    @property
    def n_unstable(self) -> Array:
        """Number of eigenvalues with positive real part at each point."""
        return jnp.sum(self.eigenvalues.real > _eig_tol(self.eigenvalues), axis=-1)

    @property
    def stable(self) -> Array:
        """Whether each point is linearly stable (all real parts negative)."""
        return self.n_unstable == 0

    def trimmed(self) -> Branch:
        """The valid points only (NumPy arrays; not for use under jit)."""
        keep = np.asarray(self.valid)
        return jax.tree_util.tree_map(
            lambda a: np.asarray(a)[keep] if np.ndim(a) and np.shape(a)[0] == keep.size else a,
            self,
        )


def _eig_tol(ev: Array) -> Array:
    scale = jnp.max(jnp.abs(ev), axis=-1, keepdims=True) if ev.shape[-1] else 1.0
    return 1e-9 * jnp.maximum(scale, 1.0)


def _augmented(problem, x, w):
    n = x.shape[0] - 1
    jx = jax.jacfwd(lambda x: problem.residual(x[:n], x[n]))(x)
    return jnp.concatenate([jx, w[None, :]], axis=0)


def _tangent(problem, x, t_old):
    a = _augmented(problem, x, t_old)
    rhs = jnp.zeros(x.shape[0]).at[-1].set(1.0)
    t = jnp.linalg.solve(a, rhs)
    return t / jnp.linalg.norm(t)


def _correct(problem, x_pred, w, tol, max_steps):
    n = x_pred.shape[0] - 1

    def fn(x):
        return jnp.concatenate([problem.residual(x[:n], x[n]), jnp.dot(w, x - x_pred)[None]])

    return _newton(fn, x_pred, tol, max_steps)


class _Options(NamedTuple):
    n_steps: int
    natural: bool
    stability: bool
    n_eigs: int | None
    tol: float
    res_tol: float
    max_newton: int
    grow: float
    cos_turn: float
    max_retries: int


@eqx.filter_jit
def _continue(problem, y0, p0, ds0, ds_min, ds_max, p_min, p_max, direction, opts: _Options):
    n = y0.shape[0]
    start_res = jnp.max(jnp.abs(problem.residual(y0, p0)))
    eq = _equilibrium(problem, y0, p0, opts.tol, opts.max_newton)
    start_ok = eq.converged & (eq.residual <= opts.res_tol)
    x0 = jnp.concatenate([eq.y, p0[None]])
    e_p = jnp.zeros(n + 1).at[n].set(1.0)
    t0 = _tangent(problem, x0, direction * e_p)
    t0 = jnp.where(direction * t0[n] < 0, -t0, t0)

    def attempt(x, t, ds):
        if opts.natural:
            x_pred = x + ds * t / jnp.where(jnp.abs(t[n]) > 1e-12, jnp.abs(t[n]), 1.0)
            w = e_p
        else:
            x_pred = x + ds * t
            w = t
        x_new, res, ok, steps = _correct(problem, x_pred, w, opts.tol, opts.max_newton)
        t_new = _tangent(problem, x_new, t)
        turn = jnp.dot(t, t_new)
        ok = ok & (res <= opts.res_tol) & (turn > opts.cos_turn) & jnp.all(jnp.isfinite(t_new))
        return x_new, t_new, ok, steps

    def step(carry, _):
        x, t, ds, alive, status = carry

        def retry(state):
            ds, _, _, _, _, k = state
            ds = ds / 2
            xn, tn, ok, st = attempt(x, t, ds)
            return ds, xn, tn, ok, st, k + 1

        # the first attempt is the loop's first pass (ds doubled, then halved)
        ds_used, xn, tn, ok, st, _ = jax.lax.while_loop(
            lambda s: (
                alive & ~s[3] & ((s[5] == 0) | (s[0] / 2 >= ds_min)) & (s[5] < opts.max_retries)
            ),
            retry,
            (2 * ds, x, t, jnp.asarray(False), jnp.asarray(0), 0),
        )
        in_range = (xn[n] >= p_min) & (xn[n] <= p_max)
        valid = alive & ok & in_range
        new_status = jnp.where(
            alive & ~ok, BRANCH_STEP, jnp.where(alive & ~in_range, BRANCH_RANGE, status)
        )
        ds_next = jnp.where(st <= 3, jnp.minimum(ds_used * opts.grow, ds_max), ds_used)
        ds_next = jnp.where(st >= 6, jnp.maximum(ds_used / 2, ds_min), ds_next)
        x_out = jnp.where(valid, xn, x)
        t_out = jnp.where(valid, tn, t)
        carry = (x_out, t_out, jnp.where(valid, ds_next, ds), valid, new_status)
        return carry, (x_out, t_out, ds_used, st, valid)

    init = (x0, t0, ds0, start_ok, jnp.where(start_ok, BRANCH_OK, BRANCH_START))
    (_, _, _, _, status), (xs, ts, dss, steps, valid) = jax.lax.scan(
        step, init, None, length=opts.n_steps
    )
    xs = jnp.concatenate([x0[None], xs])
    ts = jnp.concatenate([t0[None], ts])
    valid = jnp.concatenate([start_ok[None], valid])
    dss = jnp.concatenate([jnp.zeros(1), dss])
    steps = jnp.concatenate([eq.steps[None], steps])
    ys, ps = xs[:, :n], xs[:, n]
    bp = jax.vmap(lambda x, t: jnp.linalg.slogdet(_augmented(problem, x, t))[0])(xs, ts)
    # Batched LU (slogdet) and batched eig are independent, so XLA:CPU runs them at once;
    # each splits its batch over the intra-op pool from inside it, and on a 2-thread pool
    # both then wait forever (jaxlib's ParallelBatchMap; seen in active_drop). A real data
    # dependency orders them (an optimization_barrier does not: the CPU runtime orders
    # work by buffers, and the barrier's outputs alias its inputs).
    ys = jnp.where(jnp.isnan(bp)[:, None], jnp.nan, ys)
    if opts.stability:
        ev = jax.vmap(problem.eigenvalues)(ys, ps)
        if opts.n_eigs is not None:
            ev = ev[:, : opts.n_eigs]
    else:
        ev = jnp.zeros((xs.shape[0], 0), dtype=complex)
    return Branch(
        y=ys,
        p=ps,
        eigenvalues=ev,
        tangent_p=ts[:, n],
        bp_sign=bp,
        ds=dss,
        steps=steps,
        valid=valid,
        status=status,
        start_residual=start_res,
    )


def continuation(
    problem: AbstractProblem,
    y0: ArrayLike,
    p0: ArrayLike,
    *,
    p_min: float = -math.inf,
    p_max: float = math.inf,
    ds: float = 0.01,
    ds_min: float = 1e-8,
    ds_max: float = 0.1,
    n_steps: int = 200,
    direction: int = 1,
    method: str = "arclength",
    stability: bool = True,
    n_eigs: int | None = None,
    tol: float | None = None,
    res_tol: float | None = None,
    max_newton: int = 20,
    grow: float = 1.5,
    max_turn: float = 0.5,
    check_start: bool = True,
    start_tol: float = 1e-4,
) -> Branch:
    """Continue the solution of F(y, p) = 0 through (``y0``, ``p0``) in p.

    Args:
        problem: an :class:`AbstractProblem` (e.g. :func:`from_system`).
        y0, p0: a point on the branch; y0 is corrected by Newton first.
        p_min, p_max: the branch stops when p leaves [p_min, p_max].
        ds, ds_min, ds_max: initial, smallest and largest step (arclength in (y, p), or
            the parameter step for ``method="natural"``).
        n_steps: number of continuation steps (the branch has n_steps + 1 points).
        direction: +1 or -1, the initial sense of p.
        method: "arclength" (pseudo-arclength; passes folds) or "natural".
        stability: compute the eigenvalues at every point (needed for Hopf detection).
        n_eigs: keep only the ``n_eigs`` rightmost eigenvalues (default: all).
        tol: Newton tolerance (default :func:`default_tol`); res_tol: largest accepted
            residual |F| (default :func:`default_res_tol`).
        max_newton: Newton iterations per corrector; grow: step growth factor after an
            easy step; max_turn: largest accepted angle (radians) between tangents.
        check_start: raise when (y0, p0) is not an equilibrium, i.e. when |F(y0, p0)| >
            ``start_tol`` or Newton from y0 fails; only when the inputs are concrete (under
            jit/vmap the branch's status and ``start_residual`` say so instead).
        start_tol: largest residual max|F(y0, p0)| accepted at the start point.

    Returns:
        A :class:`Branch`.

    Raises:
        ValueError: on bad options, or when ``check_start`` and Newton from y0 does not
            converge (the message reports the residual |F(y0, p0)|).
    """
    if method not in ("arclength", "natural"):
        raise ValueError(f"method must be 'arclength' or 'natural', got {method!r}")
    if direction not in (1, -1):
        raise ValueError(f"direction must be +1 or -1, got {direction!r}")
    tol = default_tol() if tol is None else tol
    res_tol = default_res_tol() if res_tol is None else res_tol
    for name, v in (("ds", ds), ("ds_min", ds_min), ("ds_max", ds_max), ("tol", tol)):
        check_positive(name, v)
    check_positive("res_tol", res_tol)
    check_positive("start_tol", start_tol)
    if not ds_min <= ds <= ds_max:
        raise ValueError(f"ds must lie in [ds_min, ds_max] = [{ds_min}, {ds_max}], got {ds}")
    if not (isinstance(p_min, int | float) and isinstance(p_max, int | float)) or not (
        p_min < p_max
    ):
        raise ValueError(f"p_min must be below p_max, got p_min={p_min}, p_max={p_max}")
    n_steps = check_int("n_steps", n_steps, 1, 100_000)
    if n_eigs is not None:
        n_eigs = check_int("n_eigs", n_eigs, 1)
    if not 1.0 < grow <= 4.0:
        raise ValueError(f"grow must lie in (1, 4], got {grow}")
    if not 0.0 < max_turn < math.pi / 2:
        raise ValueError(f"max_turn must lie in (0, pi/2), got {max_turn}")
    y0 = jnp.ravel(jnp.asarray(y0, dtype=float))
    p0 = jnp.asarray(p0, dtype=float)
    if _concrete((y0, p0)):
        if jnp.ndim(p0) != 0:
            raise ValueError(f"p0 must be a scalar, got shape {jnp.shape(p0)}")
        if not (p_min <= float(p0) <= p_max):
            raise ValueError(f"p0 must lie in [p_min, p_max] = [{p_min}, {p_max}], got {p0}")
        out = jnp.shape(jax.eval_shape(problem.residual, y0, p0))
        if out != y0.shape:
            raise ValueError(
                f"y0 must have the shape of F's output {out} (the flattened state), got {y0.shape}"
            )
    opts = _Options(
        n_steps=n_steps,
        natural=method == "natural",
        stability=bool(stability),
        n_eigs=n_eigs,
        tol=float(tol),
        res_tol=float(res_tol),
        max_newton=check_int("max_newton", max_newton, 1),
        grow=float(grow),
        cos_turn=float(math.cos(max_turn)),
        max_retries=60,
    )
    branch = _continue(
        problem,
        y0,
        p0,
        jnp.asarray(ds, float),
        jnp.asarray(ds_min, float),
        jnp.asarray(ds_max, float),
        jnp.asarray(p_min, float),
        jnp.asarray(p_max, float),
        jnp.asarray(direction, float),
        opts,
    )
    if check_start and _concrete((y0, p0)):
        res0 = float(branch.start_residual)
        failed = int(branch.status) == BRANCH_START
        if failed or not res0 <= start_tol:
            why = (
                f"Newton from y0 did not converge to |F| <= res_tol = {res_tol:g}"
                if failed
                else f"above start_tol = {start_tol:g}"
            )
            raise ValueError(
                f"y0 is not an equilibrium at p0={float(p0)!r}: residual |F(y0, p0)| = "
                f"{res0:.3e}, {why}; start from an equilibrium (see equilibrium())"
            )
    return branch


# ------------------------------------------------------------------ special points


class Fold(NamedTuple):
    """A fold (saddle-node): state ``y``, parameter ``p``, null vector ``v`` of F_y."""

    y: Array
    p: Array
    v: Array
    residual: Array
    converged: Array


class Hopf(NamedTuple):
    """A Hopf point: ``y``, ``p``, frequency ``omega`` > 0 and the critical eigenvector
    ``v`` (complex) of Δ(iω) v = 0."""

    y: Array
    p: Array
    omega: Array
    v: Array
    residual: Array
    converged: Array


class BranchPoint(NamedTuple):
    """A simple branch point (transcritical or pitchfork) on a branch."""

    y: Array
    p: Array
    residual: Array
    converged: Array


def _null_vector(m: Array) -> Array:
    """Right singular vector of the smallest singular value (unit norm)."""
    _, _, vh = jnp.linalg.svd(m)
    return jnp.conj(vh[-1])


def fold_equations(problem: AbstractProblem, z: Array, c: Array) -> Array:
    """Moore-Spence system in z = (y, p, v): F = 0, F_y v = 0, cᵀ v - 1 = 0."""
    n = c.shape[0]
    y, p, v = z[:n], z[n], z[n + 1 :]
    f, jv = jax.jvp(lambda y: problem.residual(y, p), (y,), (v,))
    return jnp.concatenate([f, jv, (jnp.dot(c, v) - 1.0)[None]])


def hopf_equations(problem: AbstractProblem, z: Array, c: Array) -> Array:
    """Hopf system in z = (y, p, Re v, Im v, ω): F = 0, Δ(iω) v = 0, cᴴ v = 1.

    The characteristic matrix may be smaller than the state (m = len(c) <= n), as for
    a nonlinear eigenvalue problem from asymptotics."""
    m = c.shape[0]
    n = z.shape[0] - 2 - 2 * m
    y, p = z[:n], z[n]
    v = z[n + 1 : n + 1 + m] + 1j * z[n + 1 + m : n + 1 + 2 * m]
    omega = z[n + 1 + 2 * m]
    dv = problem.characteristic(1j * omega, y, p) @ v
    norm = jnp.vdot(c, v) - 1.0
    return jnp.concatenate(
        [problem.residual(y, p), dv.real, dv.imag, jnp.stack([norm.real, norm.imag])]
    )


@eqx.filter_jit
def _locate_fold(problem, y, p, v, tol, max_steps):
    if v is None:
        v = _null_vector(problem.jacobian(y, p)).real
    c = v / jnp.dot(v, v)
    z0 = jnp.concatenate([y, p[None], v])
    z, res, ok, _ = _newton(lambda z: fold_equations(problem, z, c), z0, tol, max_steps)
    n = y.shape[0]
    return Fold(z[:n], z[n], z[n + 1 :], res, ok & (res <= default_res_tol()))


def locate_fold(
    problem: AbstractProblem,
    y: ArrayLike,
    p: ArrayLike,
    v: ArrayLike | None = None,
    *,
    tol: float | None = None,
    max_steps: int = 40,
) -> Fold:
    """A fold near (y, p) by Newton on the Moore-Spence system (quadratic convergence).

    ``v`` guesses the null vector of F_y (default: the singular vector of its smallest
    singular value at (y, p)).
    """
    y = jnp.ravel(jnp.asarray(y, float))
    v = None if v is None else jnp.ravel(jnp.asarray(v, float))
    return _locate_fold(problem, y, jnp.asarray(p, float), v, _locate_tol(tol), max_steps)


@eqx.filter_jit
def _locate_hopf(problem, y, p, omega, v, tol, max_steps):
    n = y.shape[0]
    if v is None:
        v = _null_vector(problem.characteristic(1j * omega, y, p))
    v = v / jnp.linalg.norm(v)
    c = v
    z0 = jnp.concatenate([y, p[None], v.real, v.imag, omega[None]])
    z, res, ok, _ = _newton(lambda z: hopf_equations(problem, z, c), z0, tol, max_steps)
    m = v.shape[0]
    om = z[n + 1 + 2 * m]
    vv = z[n + 1 : n + 1 + m] + 1j * z[n + 1 + m : n + 1 + 2 * m]
    return Hopf(
        z[:n], z[n], jnp.abs(om), vv, res, ok & (res <= default_res_tol()) & (jnp.abs(om) > 1e-8)
    )


def locate_hopf(
    problem: AbstractProblem,
    y: ArrayLike,
    p: ArrayLike,
    omega: ArrayLike,
    v: ArrayLike | None = None,
    *,
    tol: float | None = None,
    max_steps: int = 40,
) -> Hopf:
    """A Hopf point near (y, p) with frequency near ``omega`` > 0, by Newton on
    F = 0, Δ(iω) v = 0, cᴴv = 1 (works for ODEs, delay systems and any problem that
    defines its characteristic matrix)."""
    y = jnp.ravel(jnp.asarray(y, float))
    v = None if v is None else jnp.ravel(jnp.asarray(v, complex))
    return _locate_hopf(
        problem, y, jnp.asarray(p, float), jnp.asarray(omega, float), v, _locate_tol(tol), max_steps
    )


@eqx.filter_jit
def _bisect_bp(problem, x_a, t_a, s_hi, sign_a, tol, max_newton, iters):
    def point(s):
        x, res, ok, _ = _correct(problem, x_a + s * t_a, t_a, tol, max_newton)
        sign = jnp.linalg.slogdet(_augmented(problem, x, t_a))[0]
        return x, res, ok, sign

    def body(_, state):
        lo, hi, x_lo, res_lo = state
        mid = 0.5 * (lo + hi)
        x, res, ok, sign = point(mid)
        # exactly at the branch point the corrector is singular: count it as past it
        same = ok & (sign == sign_a)
        return (
            jnp.where(same, mid, lo),
            jnp.where(same, hi, mid),
            jnp.where(same, x, x_lo),
            jnp.where(same, res, res_lo),
        )

    x0, res0, ok0, _ = point(jnp.asarray(0.0))
    lo, hi, x, res = jax.lax.fori_loop(0, iters, body, (0.0, s_hi, x0, res0))
    n = x_a.shape[0] - 1
    # the last point before the sign change lies within (hi - lo) of the branch point
    return BranchPoint(
        x[:n], x[n], res, ok0 & (res <= default_res_tol()) & (hi - lo <= 1e-6 * s_hi)
    )


def locate_branch_point(
    problem: AbstractProblem, branch: Branch, k: int, *, tol: float | None = None, iters: int = 60
) -> BranchPoint:
    """The branch point between points ``k`` and ``k+1`` of ``branch``, by bisection in
    arclength on the sign of det [F_x; tᵀ] (which changes at a simple branch point)."""
    x_a = jnp.concatenate([branch.y[k], branch.p[k][None]])
    x_b = jnp.concatenate([branch.y[k + 1], branch.p[k + 1][None]])
    t_a = _tangent(problem, x_a, x_b - x_a)
    s_hi = jnp.dot(t_a, x_b - x_a)
    return _bisect_bp(problem, x_a, t_a, s_hi, branch.bp_sign[k], _locate_tol(tol), 30, iters)


class SpecialPoint(NamedTuple):
    """A located special point of a branch: ``kind`` ("fold", "hopf", "branch_point"),
    ``index`` (the branch interval [index, index+1] where it was detected) and the
    located point (a :class:`Fold`, :class:`Hopf` or :class:`BranchPoint`)."""

    kind: str
    index: int
    point: Any

    @property
    def p(self) -> float:
        return float(self.point.p)


def bifurcations(
    problem: AbstractProblem, branch: Branch, *, tol: float | None = None
) -> list[SpecialPoint]:
    """Detect and locate the folds, Hopf points and simple branch points of ``branch``.

    Detection between consecutive valid points: a fold where the tangent's parameter
    component changes sign; a branch point where det [F_x; tᵀ] changes sign but the
    parameter keeps its sense; a Hopf point where the number of eigenvalues with
    positive real part and non-zero imaginary part changes. Each is then located
    precisely (:func:`locate_fold`, :func:`locate_hopf`, :func:`locate_branch_point`).
    Not for use under jit (it returns a Python list); see :func:`first_hopf`.
    """
    b = jax.tree_util.tree_map(np.asarray, branch)
    idx = np.nonzero(b.valid)[0]
    out: list[SpecialPoint] = []
    ev = b.eigenvalues
    has_ev = ev.shape[1] > 0
    if has_ev:
        tol_ev = np.asarray(_eig_tol(jnp.asarray(ev)))
        osc = np.sum((ev.real > tol_ev) & (np.abs(ev.imag) > 1e-7), axis=1)
    for k0, k1 in zip(idx[:-1], idx[1:], strict=False):
        if k1 != k0 + 1:
            break
        fold = np.sign(b.tangent_p[k0]) != np.sign(b.tangent_p[k1])
        bp = (b.bp_sign[k0] != b.bp_sign[k1]) and not fold
        if fold:
            w = b.tangent_p[k0] / (b.tangent_p[k0] - b.tangent_p[k1])
            y = (1 - w) * b.y[k0] + w * b.y[k1]
            pt = locate_fold(problem, y, (1 - w) * b.p[k0] + w * b.p[k1], tol=tol)
            out.append(SpecialPoint("fold", int(k0), pt))
        elif bp:
            out.append(
                SpecialPoint("branch_point", int(k0), locate_branch_point(problem, branch, int(k0)))
            )
        if has_ev and osc[k0] != osc[k1]:
            # the crossing pair: the complex eigenvalue nearest the imaginary axis
            j = int(np.argmin(np.where(np.abs(ev[k0].imag) > 1e-7, np.abs(ev[k0].real), np.inf)))
            lam0 = ev[k0, j]
            lam1_j = int(
                np.argmin(np.where(np.abs(ev[k1].imag) > 1e-7, np.abs(ev[k1].real), np.inf))
            )
            lam1 = ev[k1, lam1_j]
            w = lam0.real / (lam0.real - lam1.real) if lam0.real != lam1.real else 0.5
            w = float(np.clip(w, 0.0, 1.0))
            y = (1 - w) * b.y[k0] + w * b.y[k1]
            p = (1 - w) * b.p[k0] + w * b.p[k1]
            omega = abs((1 - w) * lam0.imag + w * lam1.imag)
            pt = locate_hopf(problem, y, p, omega, tol=tol)
            out.append(SpecialPoint("hopf", int(k0), pt))
    return out


@eqx.filter_jit
def first_hopf(problem: AbstractProblem, branch: Branch, *, tol: float | None = None) -> Hopf:
    """The first Hopf point of ``branch`` (jit-able and vmappable; ``converged`` is False
    when the branch has none): the first interval where the number of unstable complex
    eigenvalues changes, refined by :func:`locate_hopf`."""
    ev = branch.eigenvalues
    osc = jnp.sum((ev.real > _eig_tol(ev)) & (jnp.abs(ev.imag) > 1e-7), axis=1)
    change = (osc[1:] != osc[:-1]) & branch.valid[1:] & branch.valid[:-1]
    k = jnp.argmax(change)
    found = jnp.any(change)

    def crossing(e):
        score = jnp.where(jnp.abs(e.imag) > 1e-7, jnp.abs(e.real), jnp.inf)
        return e[jnp.argmin(score)]

    lam0, lam1 = crossing(ev[k]), crossing(ev[k + 1])
    den = lam0.real - lam1.real
    w = jnp.clip(jnp.where(den != 0, lam0.real / jnp.where(den != 0, den, 1.0), 0.5), 0.0, 1.0)
    y = (1 - w) * branch.y[k] + w * branch.y[k + 1]
    p = (1 - w) * branch.p[k] + w * branch.p[k + 1]
    omega = jnp.abs((1 - w) * lam0.imag + w * lam1.imag)
    h = _locate_hopf(problem, y, p, omega, None, _locate_tol(tol), 40)
    return h._replace(converged=h.converged & found)


@eqx.filter_jit
def first_fold(problem: AbstractProblem, branch: Branch, *, tol: float | None = None) -> Fold:
    """The first fold of ``branch`` (jit-able and vmappable; ``converged`` is False when
    there is none)."""
    tp = branch.tangent_p
    change = (jnp.sign(tp[1:]) != jnp.sign(tp[:-1])) & branch.valid[1:] & branch.valid[:-1]
    k = jnp.argmax(change)
    den = tp[k] - tp[k + 1]
    w = jnp.where(den != 0, tp[k] / jnp.where(den != 0, den, 1.0), 0.5)
    y = (1 - w) * branch.y[k] + w * branch.y[k + 1]
    f = _locate_fold(
        problem, y, (1 - w) * branch.p[k] + w * branch.p[k + 1], None, _locate_tol(tol), 40
    )
    return f._replace(converged=f.converged & jnp.any(change))


# ----------------------------------------------------------- two-parameter continuation


class _HopfCurveProblem(AbstractProblem):
    # not static: an equinox Module here (e.g. a problem with one field replaced) is a
    # pytree, so curves of problems of the same structure share one compilation
    problem_of: Callable[[Array], AbstractProblem]
    c: Array

    def residual(self, z, q):
        return hopf_equations(self.problem_of(q), z, self.c)


class _FoldCurveProblem(AbstractProblem):
    problem_of: Callable[[Array], AbstractProblem]
    c: Array

    def residual(self, z, q):
        return fold_equations(self.problem_of(q), z, self.c)


class Curve(NamedTuple):
    """A curve of codimension-one points in the (p, q) plane: ``p``, ``q``, the states
    ``y``, the Hopf frequency ``omega`` (NaN for folds), ``valid`` and the underlying
    :class:`Branch` of the extended system."""

    p: Array
    q: Array
    y: Array
    omega: Array
    valid: Array
    branch: Branch


def hopf_curve(
    problem_of: Callable[[Array], AbstractProblem],
    point: Hopf,
    q0: ArrayLike,
    **kwargs: Any,
) -> Curve:
    """Continue a Hopf point in two parameters: the Hopf system of ``problem_of(q)`` (a
    problem in p for each value of the second parameter q), started at ``point`` (located
    at q = ``q0``), continued in q by :func:`continuation` (``kwargs``: p_min/p_max bound
    q here, ds, n_steps, direction, ...)."""
    n = point.y.shape[-1]
    v = point.v / jnp.linalg.norm(point.v)
    z0 = jnp.concatenate([point.y, point.p[None], v.real, v.imag, point.omega[None]])
    ext = _HopfCurveProblem(problem_of=problem_of, c=v)
    kwargs.setdefault("stability", False)
    br = continuation(ext, z0, q0, **kwargs)
    return Curve(
        p=br.y[:, n],
        q=br.p,
        y=br.y[:, :n],
        omega=jnp.abs(br.y[:, -1]),
        valid=br.valid,
        branch=br,
    )


def fold_curve(
    problem_of: Callable[[Array], AbstractProblem],
    point: Fold,
    q0: ArrayLike,
    **kwargs: Any,
) -> Curve:
    """Continue a fold in two parameters (see :func:`hopf_curve`)."""
    n = point.y.shape[-1]
    c = point.v / jnp.dot(point.v, point.v)
    z0 = jnp.concatenate([point.y, point.p[None], point.v])
    ext = _FoldCurveProblem(problem_of=problem_of, c=c)
    kwargs.setdefault("stability", False)
    br = continuation(ext, z0, q0, **kwargs)
    return Curve(
        p=br.y[:, n],
        q=br.p,
        y=br.y[:, :n],
        omega=jnp.full(br.p.shape, jnp.nan),
        valid=br.valid,
        branch=br,
    )


__all__ = [
    "BRANCH_STATUS",
    "AbstractDelayProblem",
    "AbstractProblem",
    "Branch",
    "BranchPoint",
    "Curve",
    "DelayProblem",
    "DelaySystemProblem",
    "Equilibrium",
    "Fold",
    "Hopf",
    "ODEProblem",
    "SpecialPoint",
    "SystemProblem",
    "bifurcations",
    "continuation",
    "equilibrium",
    "first_fold",
    "first_hopf",
    "fold_curve",
    "fold_equations",
    "from_system",
    "generator_matrix",
    "hopf_curve",
    "hopf_equations",
    "locate_branch_point",
    "locate_fold",
    "locate_hopf",
]
