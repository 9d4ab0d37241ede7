"""Lyapunov spectra of flows and maps by QR re-orthonormalisation of tangent dynamics.

For a flow dy/dt = f(t, y) the tangent vectors obey dQ/dt = J(t, y) Q with J = ∂f/∂y;
for a map y_{n+1} = F(t_n, y_n) they obey Q_{n+1} = DF(t_n, y_n) Q_n. Every ``t_renorm``
(every step of a map) the tangent frame is re-orthonormalised, Q R = Q, and the
logarithms of |R_ii| accumulate; the exponents are

    λ_i = lim_{t→∞} (1/t) Σ_k log |R_ii^(k)|,

ordered from the largest (Benettin, Galgani, Giorgilli & Strelcyn, Meccanica 15, 9 (1980);
Shimada & Nagashima, Prog. Theor. Phys. 61, 1605 (1979); the QR form as in Eckmann &
Ruelle, Rev. Mod. Phys. 57, 617 (1985) and DynamicalSystems.jl's ``lyapunovspectrum``).
Tangent vectors are pushed forward with ``jax.linearize`` (one linearisation, then a
``vmap`` of the Jacobian-vector product over the frame's columns): no Jacobian is formed.

The computation is itself a map, one renormalisation interval per step, integrated by
:func:`jaxdyn.simulate` (a flow's interval is a ``simulate`` of the tangent-augmented
ODE), so it is pure JAX: ``jit``-able and ``vmap``-able over the system's parameters. A
sweep of the largest exponent over a parameter is one line::

    lam1 = jax.vmap(lambda r: lyapunov_spectrum(Lorenz(rho=r), 200.0)[0])(rhos)

Checks of the sum: Σ λ_i equals the time average of the divergence tr J along the orbit
(Liouville), which :func:`divergence` evaluates as a ``simulate`` observable.
"""

from __future__ import annotations

from typing import Any, ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree
from jaxtyping import Array, Float, PRNGKeyArray, PyTree

from ..core import (
    AbstractDDE,
    AbstractMap,
    AbstractODE,
    AbstractSDE,
    AbstractSemilinear,
    AbstractSystem,
    check_int,
    check_positive,
    simulate,
)


def _flat_field(system: AbstractSystem, y0: PyTree[Array]):
    """The vector field (flow) or step (map) on the flattened state, and the unraveller."""
    flat0, unravel = ravel_pytree(y0)
    return flat0, unravel, _field(system, unravel)


def _field(system: AbstractSystem, unravel):
    if isinstance(system, AbstractMap):

        def field(t, x, key, args):
            return ravel_pytree(system.step(t, unravel(x), key, args))[0]

    else:

        def field(t, x, key, args):
            return ravel_pytree(system.drift(t, unravel(x), args))[0]

    return field


def _push(field, t, x, Q, key, args):
    """(field(x), J(x) Q): one linearisation, the JVP vmapped over Q's columns."""
    fx, jvp = jax.linearize(lambda z: field(t, z, key, args), x)
    return fx, jax.vmap(jvp, in_axes=1, out_axes=1)(Q)


def _qr_log(Q: Array) -> tuple[Array, Array]:
    """Orthonormalised frame and log |R_ii| of Q = QR.

    A frame of a few vectors is orthonormalised by Gram-Schmidt with one
    re-orthogonalisation pass ("twice is enough", Giraud et al., Numer. Math. 101, 87
    (2005)), unrolled: under ``vmap`` over a sweep it is a handful of elementwise
    operations, where a batched LAPACK QR of 3 x 3 frames costs ~0.5 µs per member and
    dominated the re-orthonormalisation. Column signs may differ from LAPACK's; |R_ii|
    and the spanned subspaces do not (a direction that collapses to zero gives
    log |R_ii| = -inf either way).
    """
    if Q.shape[1] > _GRAM_SCHMIDT_MAX:
        q, r = jnp.linalg.qr(Q)
        return q, jnp.log(jnp.abs(jnp.diagonal(r)))
    cols, logs = [], []
    for j in range(Q.shape[1]):
        v = Q[:, j]
        for _ in range(2):
            for c in cols:
                v = v - jnp.dot(c, v) * c
        norm = jnp.linalg.norm(v)
        cols.append(jnp.where(norm > 0, v / jnp.where(norm > 0, norm, 1.0), 0.0))
        logs.append(jnp.log(norm))  # -inf for a collapsed direction, as LAPACK's R_ii = 0
    return jnp.stack(cols, axis=1), jnp.stack(logs)


#: frames with more columns than this use LAPACK's Householder QR
_GRAM_SCHMIDT_MAX = 8


class _TangentFlow(AbstractODE):
    """dx/dt = f(t, x), dQ/dt = J(t, x) Q (flattened state x, frame Q of shape (n, k))."""

    system: AbstractODE
    unravel: Any = eqx.field(static=True)
    k: int = eqx.field(static=True)

    def drift(self, s, state, args=None):
        # time is local to the interval, s in [0, interval]; args = (interval start, args)
        t_start, user_args = args
        x, Q = state
        return _push(_field(self.system, self.unravel), t_start + s, x, Q, None, user_args)

    def initial_state(self, key=None):
        x, _, _ = _flat_field(self.system, self.system.initial_state(key))
        return x, generic_frame(x.size, self.k, x.dtype)


class _FlowQR(AbstractMap):
    """One step: integrate the tangent flow over ``interval``, re-orthonormalise, log |R_ii|."""

    tangent: _TangentFlow
    interval: float = eqx.field(static=True)
    options: tuple = eqx.field(static=True)

    random_steps: ClassVar[bool] = False

    def time_step(self) -> float:
        return self.interval

    def step(self, t, state, key, args=None):
        x, Q, logs = state
        opts = dict(self.options)
        # Concrete local times [0, interval]: a traced t0 would make the solver's step count
        # and placement depend on how t0 + interval rounds inside the trace.
        traj = simulate(self.tangent, self.interval, y0=(x, Q), args=(t, args), **opts)
        x1, Q1 = (leaf[-1] for leaf in traj.ys)
        q, lg = _qr_log(Q1)
        return x1, q, logs + lg

    def initial_state(self, key=None):
        x, Q = self.tangent.initial_state(key)
        return x, Q, jnp.zeros(Q.shape[1], x.dtype)


class _MapQR(AbstractMap):
    """One step of the map and of its tangent frame, re-orthonormalised."""

    system: AbstractMap
    unravel: Any = eqx.field(static=True)
    k: int = eqx.field(static=True)

    def time_step(self) -> float:
        return self.system.time_step()

    @property
    def is_stochastic(self) -> bool:
        return self.system.is_stochastic

    def step(self, t, state, key, args=None):
        x, Q, logs = state
        x1, Q1 = _push(_field(self.system, self.unravel), t, x, Q, key, args)
        q, lg = _qr_log(Q1)
        return x1, q, logs + lg

    def initial_state(self, key=None):
        x, _, _ = _flat_field(self.system, self.system.initial_state(key))
        return x, generic_frame(x.size, self.k, x.dtype), jnp.zeros(self.k, x.dtype)


class _Pair(AbstractODE):
    """Two copies of a flow as one system (state: the two flattened states stacked)."""

    system: AbstractODE
    unravel: Any = eqx.field(static=True)

    def drift(self, t, y, args=None):
        field = _field(self.system, self.unravel)
        return jax.vmap(lambda z: field(t, z, None, args))(y)

    def initial_state(self, key=None):
        x, _, _ = _flat_field(self.system, self.system.initial_state(key))
        return jnp.stack([x, x])


class _PairMap(AbstractMap):
    """One interval of a reference and a neighbouring trajectory with the system's own
    solver; the separation is measured, logged and rescaled to ``delta`` (Benettin)."""

    system: AbstractODE
    unravel: Any = eqx.field(static=True)
    interval: float = eqx.field(static=True)
    delta: Array
    options: tuple = eqx.field(static=True)

    random_steps: ClassVar[bool] = False

    def time_step(self) -> float:
        return self.interval

    def step(self, t, state, key, args=None):
        x, d, logs = state
        opts = dict(self.options)
        pair = jnp.stack([x, x + self.delta * d])
        if isinstance(self.system, AbstractSemilinear):
            # a fixed-step exponential integrator: both orbits take the same steps
            def flow(z):
                traj = simulate(self.system, self.interval, y0=self.unravel(z), args=args,
                                ts=[self.interval], **opts)  # fmt: skip
                return ravel_pytree(jax.tree_util.tree_map(lambda a: a[-1], traj.ys))[0]

            ends = jax.vmap(flow)(pair)
        else:
            # one solve of the pair, so that an adaptive solver's steps are shared and its
            # truncation errors cancel in the difference (two solves would each place
            # their own steps, an error of order rtol |y| against a separation of delta)
            both = _Pair(self.system, self.unravel)
            ends = simulate(both, self.interval, y0=pair, args=args, ts=[self.interval],
                            **opts).ys[-1]  # fmt: skip
        sep = ends[1] - ends[0]
        norm = jnp.linalg.norm(sep)
        # Orbits merged to round-off: no direction is left to follow, so keep the old one
        # and count the growth as the round-off level (the resolution floor documented
        # in largest_lyapunov) rather than log 0.
        d = jnp.where(norm > 0, sep / jnp.where(norm > 0, norm, 1.0), d)
        eps = jnp.finfo(ends.dtype).eps * jnp.maximum(1.0, jnp.linalg.norm(ends[0]))
        return ends[0], d, logs + jnp.log(jnp.maximum(norm, eps) / self.delta)

    def initial_state(self, key=None):
        x, _, _ = _flat_field(self.system, self.system.initial_state(key))
        return x, generic_frame(x.size, 1, x.dtype)[:, 0], jnp.zeros((), x.dtype)


def _prepare(caller, system, t1, t_renorm, transient, y0, key, args, options):
    """Validate the arguments shared by the estimators; integrate the transient.

    Returns (renormalisation interval h, number of intervals, start state, run key)."""
    if isinstance(system, AbstractSDE):
        raise TypeError(
            f"system {type(system).__name__} is stochastic (an SDE): {caller} needs a "
            "deterministic flow or a map; freeze its noise or use its drift as an ODE"
        )
    if isinstance(system, AbstractDDE):
        raise TypeError(
            f"system {type(system).__name__} is a delay system (infinite-dimensional state): "
            f"{caller} takes ODE systems and maps"
        )
    if not isinstance(system, AbstractODE | AbstractMap):
        raise TypeError(f"system must be a jaxdyn ODE system or map, got {type(system).__name__}")
    t1 = check_positive("t1", t1)
    transient = check_positive("transient", transient, allow_zero=True)
    is_map = isinstance(system, AbstractMap)
    if is_map and (t_renorm is not None or options):
        extra = "t_renorm" if t_renorm is not None else sorted(options)[0]
        raise TypeError(f"{extra} does not apply to a map (it re-orthonormalises every step)")
    if is_map:
        h = float(system.time_step())
    else:
        h = check_positive("t_renorm", system.t_char / 10 if t_renorm is None else t_renorm)
    n_steps = int(round(t1 / h))
    if n_steps < 1 or abs(t1 / h - n_steps) > 1e-9 * max(1.0, t1 / h):
        raise ValueError(
            f"t1 = {t1} must be a positive whole number of renormalisation intervals of {h}"
        )
    if system.is_stochastic and key is None:
        raise ValueError(f"{type(system).__name__} draws random numbers: pass key=")

    k_init = k_transient = k_run = None
    if key is not None:
        k_init, k_transient, k_run = jax.random.split(key, 3)
    if y0 is None:
        y0 = system.initial_state(k_init)
    y0 = jax.tree_util.tree_map(lambda a: jnp.asarray(a, dtype=jnp.result_type(float)), y0)
    if transient > 0:
        tr = transient
        if is_map:
            tr = h * max(1, round(transient / h))
        flow_opts = {} if is_map else options
        traj = simulate(system, tr, y0=y0, key=k_transient, args=args, **flow_opts)
        y0 = jax.tree_util.tree_map(lambda a: a[-1], traj.ys)

    return h, n_steps, y0, k_run


def lyapunov_spectrum(
    system: AbstractSystem,
    t1: float,
    *,
    n_exponents: int | None = None,
    t_renorm: float | None = None,
    transient: float = 0.0,
    y0: PyTree[Array] | None = None,
    key: PRNGKeyArray | None = None,
    args: Any = None,
    return_history: bool = False,
    **options: Any,
) -> Float[Array, " k"] | tuple[Float[Array, " k"], tuple[Array, Array]]:
    """The ``n_exponents`` largest Lyapunov exponents of a flow or a map, per unit time.

    Args:
        system: a deterministic ODE system (:class:`~jaxdyn.AbstractODE`, semi-linear
            included) or a map (:class:`~jaxdyn.AbstractMap`; a map that draws random
            numbers gives the exponents of the random dynamical system along the noise
            path of ``key``). Stochastic differential and delay systems are refused.
        t1: averaging time after the transient (a whole number of ``t_renorm``; a map's
            in units of its ``time_step()``).
        n_exponents: how many exponents (default: the state's dimension).
        t_renorm: time between re-orthonormalisations of a flow (default
            ``system.t_char / 10``); a map re-orthonormalises every step.
        transient: time integrated first (not averaged) to reach the attractor.
        y0: initial state (default ``system.initial_state(key)``).
        key: PRNG key for a random initial state or a random map.
        args: passed to the system's methods.
        return_history: also return ``(ts, running)``: the running estimate
            (1/(t - t_start)) Σ log |R_ii| after each renormalisation, shape ``(n, k)``.
        **options: passed to :func:`jaxdyn.simulate` for each interval of a flow
            (``dt``, ``solver``, ``adaptive``, ``rtol``, ``atol``, ``max_steps``).

    Returns:
        The exponents, largest first (the QR ordering), shape ``(k,)``; with
        ``return_history``, ``(exponents, (ts, running))``.
    """
    h, n_steps, y0, k_run = _prepare(
        "lyapunov_spectrum", system, t1, t_renorm, transient, y0, key, args, options
    )
    is_map = isinstance(system, AbstractMap)
    x0, unravel, _ = _flat_field(system, y0)
    n = x0.size
    k = n if n_exponents is None else check_int("n_exponents", n_exponents, 1, n)
    frame = generic_frame(n, k, x0.dtype)
    if is_map:
        qr_system = _MapQR(system, unravel, k)
    else:
        qr_system = _FlowQR(_TangentFlow(system, unravel, k), h, tuple(sorted(options.items())))

    state0 = (x0, frame, jnp.zeros(k, x0.dtype))
    ts = h * np.arange(1, n_steps + 1)
    if return_history:
        traj = simulate(
            qr_system,
            float(ts[-1]),
            y0=state0,
            key=k_run,
            ts=ts,
            args=args,
            observable=lambda t, s: s[2] / t,
        )
        running = traj.ys
        return running[-1], (jnp.asarray(ts), running)
    traj = simulate(qr_system, float(ts[-1]), y0=state0, key=k_run, args=args)
    return traj.ys[2][-1] / ts[-1]


def largest_lyapunov(
    system: AbstractODE,
    t1: float,
    *,
    t_renorm: float | None = None,
    transient: float = 0.0,
    delta: float | None = None,
    y0: PyTree[Array] | None = None,
    key: PRNGKeyArray | None = None,
    args: Any = None,
    **options: Any,
) -> Float[Array, ""]:
    """The largest Lyapunov exponent of an autonomous flow from two nearby trajectories.

    Benettin's original two-trajectory algorithm (Benettin, Galgani & Strelcyn, Phys.
    Rev. A 14, 2338 (1976)): a reference orbit and a neighbour at distance ``delta`` are
    integrated over ``t_renorm``; the log of their separation's growth accumulates and
    the neighbour is put back at distance ``delta`` along the separation,

        λ₁ = (1 / t1) Σ_k log(|y'(t_k) - y(t_k)| / δ).

    Unlike :func:`lyapunov_spectrum` it needs no tangent equations, so both orbits use the
    system's own solver (an exponential integrator for a stiff semi-linear PDE, with
    ``dt``), where the tangent-augmented ODE would fall back to a generic adaptive solver;
    the price is a finite-difference error of order ``delta`` times the flow's curvature
    and one exponent only. With an adaptive solver the two orbits are integrated as one
    system, so they share their steps. Each interval restarts the system's clock at zero,
    so the system must be autonomous. A negative exponent is resolved only down to about
    log(eps / delta) / t_renorm (≈ -18 / t_renorm in float64 with the default delta): a
    separation that shrinks below round-off cannot be followed.

    Args:
        system: a deterministic, autonomous ODE system (semi-linear included).
        t1: averaging time after the transient, a whole number of ``t_renorm``.
        t_renorm: rescaling interval (default ``system.t_char / 10``); short enough that
            the separation stays small (its growth factor is about exp(λ₁ t_renorm)).
        transient: time integrated first to reach the attractor.
        delta: separation (default √eps of the state's dtype times max(1, |y0|)).
        y0, key, args: as in :func:`lyapunov_spectrum`.
        **options: passed to :func:`jaxdyn.simulate` for every interval (``dt``, ...).
    """
    if isinstance(system, AbstractMap):
        raise TypeError("largest_lyapunov takes flows; use lyapunov_spectrum for a map")
    h, n_steps, y0, _ = _prepare(
        "largest_lyapunov", system, t1, t_renorm, transient, y0, key, args, options
    )
    x0, unravel, _ = _flat_field(system, y0)
    if delta is None:
        delta = float(np.sqrt(np.finfo(x0.dtype).eps)) * jnp.maximum(1.0, jnp.linalg.norm(x0))
    else:
        delta = check_positive("delta", delta)
    pair = _PairMap(
        system, unravel, h, jnp.asarray(delta, x0.dtype), tuple(sorted(options.items()))
    )
    d0 = generic_frame(x0.size, 1, x0.dtype)[:, 0]
    t_end = h * n_steps
    traj = simulate(pair, t_end, y0=(x0, d0, jnp.zeros((), x0.dtype)), args=args)
    return traj.ys[2][-1] / t_end


def generic_frame(n: int, k: int, dtype=float) -> Array:
    """A fixed, generic orthonormal n x k frame (QR of a seeded Gaussian matrix).

    The identity frame is not generic: for a system whose invariant subspaces are
    coordinate subspaces (a triangular linear system, a decoupled variable) its first
    vector can lie in a stable subspace forever, and QR would then order the exponents
    wrongly. A random frame has that property with probability zero.
    """
    g = jax.random.normal(jax.random.PRNGKey(20250101), (n, k), dtype=dtype)
    return jnp.linalg.qr(g)[0]


def divergence(system: AbstractODE, t: Array, y: PyTree[Array], args: Any = None) -> Array:
    """tr ∂f/∂y at (t, y): the phase-space contraction rate (Σλ is its time average).

    Usable as a ``simulate`` observable:
    ``simulate(s, t1, ts=ts, observable=lambda t, y: divergence(s, t, y))``.
    """
    x, _, field = _flat_field(system, y)
    jac = jax.jacfwd(lambda z: field(t, z, None, args))(x)
    return jnp.trace(jac)


__all__ = ["divergence", "generic_frame", "largest_lyapunov", "lyapunov_spectrum"]
