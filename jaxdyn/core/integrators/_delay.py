"""Delay differential equations: systems with lagged states, and a solver for them.

A delay system obeys

    dy/dt = f(t, y(t), y(t - τ_1), ..., y(t - τ_d)),   t > t0,
    y(t) = φ(t),                                          t <= t0,

with delays τ_i >= 0 (constant, or state-dependent τ_i(t, y)) and a history φ.
diffrax has no DDE support, so :func:`integrate_delay` (what :func:`jaxdyn.simulate` runs
for an :class:`~jaxdyn.AbstractDDE`) implements the *method of steps*
on a fixed grid t_n = t0 + n h (Bellen & Zennaro, "Numerical Methods for Delay
Differential Equations", OUP 2003, ch. 3-4):

* A diffrax Runge-Kutta stepper (``solver.step``) advances one step. Its vector field
  closes over a lag function that returns y(t - τ_i) at each stage time.
* Past states and their derivatives F_n = f(t_n, y_n, lags) live in a circular buffer on
  the step grid, whose length ``ceil(max_delay / h) + 3`` is static. A lag time falls in
  some past step [t_k, t_{k+1}], found at run time from the (traced) delay, and is
  evaluated by cubic Hermite interpolation of (y_k, F_k, y_{k+1}, F_{k+1}): error O(h⁴),
  so RK4 (the default) keeps global order 4 and lower-order methods keep their order.
* Lag times before t0 call the history φ itself (exact).
* If a delay is shorter than a step, a stage may need y inside the step being taken. The
  step is then predicted with the Hermite interpolant of the previous step extrapolated,
  and corrected (``overlap_iters`` times) with the stepper's own dense output of the trial
  step, the standard fixed-point treatment of "overlapping" steps (Bellen & Zennaro §4.2).

Because the delay is an ordinary (traced) field, the whole solve can be ``vmap``-ed over
the delay, differentiated with respect to it (the interpolant is smooth in the lag time;
the integer interval index carries no gradient, as it should), and ``jit``-ed. Order 4 is
attained when the derivative discontinuities that a non-smooth history propagates (at
t0 + m τ) fall on the grid; otherwise the step containing the first one is accurate to
O(h³) only. ``align=True`` picks, per member and at run time, the step h = τ_1 /
floor(τ_1 / dt) that divides the first delay, which restores order 4 for any constant
delay, also under ``vmap``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, ClassVar

import diffrax as dfx
import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike

from .._system import AbstractDDE, check_int
from .._trajectory import STATUS_FAILED, STATUS_NONFINITE, STATUS_OK, Trajectory
from ._problem import Problem


class ClassicRK4(dfx.AbstractERK):
    """The classical 4th-order Runge-Kutta method (Kutta 1901), fixed steps only.

    diffrax ships no non-embedded RK4; this is its tableau. Dense output: cubic Hermite
    from the first and last stages.
    """

    tableau: ClassVar[dfx.ButcherTableau] = dfx.ButcherTableau(
        a_lower=(np.array([0.5]), np.array([0.0, 0.5]), np.array([0.0, 0.0, 1.0])),
        b_sol=np.array([1 / 6, 1 / 3, 1 / 3, 1 / 6]),
        b_error=np.zeros(4),
        c=np.array([0.5, 0.5, 1.0]),
    )
    interpolation_cls: ClassVar[Callable[..., Any]] = (
        dfx.ThirdOrderHermitePolynomialInterpolation.from_k
    )

    def order(self, terms):
        del terms
        return 4


def hermite(y0: Array, f0: Array, y1: Array, f1: Array, h: ArrayLike, theta: Array) -> Array:
    """Cubic Hermite interpolant on [t, t + h] at t + θ h (θ broadcast over the leading axis).

    ``y0, f0, y1, f1`` have shape ``(d, *s)`` and ``theta`` shape ``(d,)``.
    """
    th = jnp.reshape(theta, theta.shape + (1,) * (y0.ndim - theta.ndim))
    th2, th3 = th * th, th * th * th
    return (
        (2 * th3 - 3 * th2 + 1) * y0
        + (th3 - 2 * th2 + th) * h * f0
        + (-2 * th3 + 3 * th2) * y1
        + (th3 - th2) * h * f1
    )


def _aligned_step(tau, dt: float, fallback: float):
    """τ / floor(τ / dt) (in [dt, 2 dt)) when τ >= dt, else ``fallback``."""
    m = jnp.floor(tau / dt * (1 + 1e-12))
    return jnp.where(m >= 1, tau / jnp.maximum(m, 1.0), fallback)


def _concrete(x) -> bool:
    return not any(isinstance(v, jax.core.Tracer) for v in jax.tree_util.tree_leaves(x))


def integrate_delay(
    system: AbstractDDE,
    p: Problem,
    *,
    history: Callable[[Array], Array] | None = None,
    max_delay: float | None = None,
    overlap_iters: int | None = None,
    align: bool = False,
) -> Trajectory:
    """Integrate a delay system by the method of steps.

    ``t0``, ``t1``, ``dt`` and the save times must be concrete (they fix the number of
    steps); ``dt`` is rounded down so that a whole number of steps reaches ``t1`` (default
    ``system.default_dt``). The default solver is :class:`ClassicRK4`; any explicit diffrax
    ODE solver (Euler, Midpoint, Heun, Bosh3, Tsit5, ...) is accepted.

    Options:
        history: φ(t) for t <= t0. Default ``system.history``, or, when a key is given,
            the constant (random) initial state drawn from it.
        max_delay: static bound sizing the history buffer. Default: the system's class
            variable ``max_delay``, else the concrete delays at t0. Required when the
            delays are traced (vmap/sweep over them) and the class declares no bound.
            A delay outside [0, max_delay] during the solve gives ``status == 3``.
        overlap_iters: corrector iterations for steps longer than a delay. Default: 0
            when every (concrete) delay is >= dt, else 1 (applied only when needed,
            through ``lax.cond``; under ``vmap`` over the delay both branches run, so pass
            0 for sweeps whose delays all exceed dt).
        align: make the step divide the first delay, h = τ_1 / floor(τ_1 / dt) (so
            dt <= h < 2 dt; plain ``dt`` if τ_1 < dt), computed per member at run time.
            The derivative discontinuities of a non-smooth history then fall on the grid
            and RK4 keeps order 4 for any (traced, vmapped) constant delay. Members whose
            step is longer than ``dt`` finish early and integrate a little past ``t1``.

    Returns a :class:`~jaxdyn.Trajectory`; ``num_steps`` is the number of steps,
    ``status`` 0 ok, 2 non-finite, 3 a delay outside [0, max_delay].
    """
    t0, t1, dt, args, solver = p.t0, p.t1, p.dt, p.args, p.solver
    if not (_concrete(t0) and _concrete(t1)):
        raise ValueError("a delay system needs concrete t0 and t1 (they fix the step count)")
    t0, t1 = float(t0), float(t1)
    dt = system.default_dt if dt is None else dt
    if not _concrete(dt) or not float(dt) > 0:
        raise ValueError(f"dt must be a positive Python number for a delay system, got {dt}")
    n_steps = max(1, math.ceil((t1 - t0) / float(dt) - 1e-9))
    h = (t1 - t0) / n_steps
    solver = ClassicRK4() if solver is None else solver
    if not isinstance(solver, dfx.AbstractSolver) or isinstance(
        solver, dfx.AbstractImplicitSolver | dfx.AbstractSRK
    ):
        raise TypeError(f"solver must be an explicit diffrax ODE solver, got {solver!r}")
    if not isinstance(align, bool):
        raise TypeError(f"align must be True or False, got {align!r}")
    if overlap_iters is not None:
        overlap_iters = check_int("overlap_iters", overlap_iters, 0, 100)

    y0 = jnp.asarray(p.y0, dtype=float)
    if history is None:
        if p.key is not None:
            const = y0
            history = lambda t: const
        else:
            history = system.history
    elif not callable(history):
        raise TypeError(f"history must be a function of t, got {type(history).__name__}")

    # Delays that are concrete fields stay concrete under an outer jit: evaluate them at
    # trace time, so that their value (not only a bound) sizes the buffer.
    with jax.ensure_compile_time_eval():
        tau0 = jnp.atleast_1d(system.delays(jnp.asarray(t0), y0))
    if tau0.ndim != 1:
        raise ValueError(f"delays must return a 1-D array, got shape {tau0.shape}")
    concrete_tau = _concrete(tau0)
    if max_delay is None:
        max_delay = type(system).max_delay
    if max_delay is None:
        if not concrete_tau:
            raise ValueError(
                f"{type(system).__name__}: the delays are traced, so simulate needs a "
                "static max_delay= (an upper bound on every delay)"
            )
        max_delay = float(np.max(np.asarray(tau0)))
    if not (isinstance(max_delay, int | float) and np.isfinite(max_delay) and max_delay >= 0):
        raise ValueError(f"max_delay must be a finite number >= 0, got {max_delay!r}")
    if concrete_tau and (np.any(np.asarray(tau0) < 0) or np.any(np.asarray(tau0) > max_delay)):
        raise ValueError(f"delays must lie in [0, max_delay={max_delay}], got {np.asarray(tau0)}")
    dt_f = float(dt)
    h_c = h  # the step, where it is known on the host
    if align and concrete_tau:
        h_c = float(_aligned_step(np.asarray(tau0)[0], dt_f, h))
    if overlap_iters is None:
        overlap_iters = int(not (concrete_tau and np.min(np.asarray(tau0)) >= h_c))
    always = concrete_tau  # concrete delays: the choice above is already exact
    # Every delay known to be >= h: no lag ever falls inside the step being taken (at
    # most on its left end, which the buffer holds), so the current-step branch is dead.
    no_overlap = concrete_tau and bool(np.min(np.asarray(tau0)) >= h_c)

    if p.concrete_ts is None:
        raise ValueError("a delay system needs concrete save times ts (a NumPy array)")
    ts_np = p.concrete_ts
    # Each save time is interpolated inside the step that contains it; bound the number
    # of save times per step (an aligned step may reach 2 dt).
    if align:
        # Closed windows [ts_i, ts_i + 2 dt] hold every step's save times.
        reach = np.searchsorted(ts_np, ts_np + 2 * dt_f, side="right") - np.arange(ts_np.size)
        per_step = int(max(1, np.max(reach)))
    else:
        steps_of = np.clip(np.floor((ts_np - t0) / h), 0, n_steps - 1).astype(int)
        per_step = int(np.max(np.bincount(steps_of)))
    ts_j = jnp.asarray(ts_np)
    n_save = ts_np.size

    obs = lambda t, y: p.save(t, y, args)
    M = int(math.ceil(max_delay / h)) + 3
    shape = y0.shape
    hist_v = jax.vmap(history)

    def _run(system: AbstractDDE, y0: Array) -> Trajectory:
        # One compiled program for the whole solve (set-up included).
        if align:
            tau_a = jnp.atleast_1d(system.delays(jnp.asarray(t0), y0))[0]
            h = _aligned_step(tau_a, dt_f, (t1 - t0) / n_steps)
        else:
            h = (t1 - t0) / n_steps
        save_step_j = jnp.clip(jnp.floor((ts_j - t0) / h), 0, n_steps - 1).astype(int)
        save_theta = jnp.clip((ts_j - (t0 + save_step_j * h)) / h, 0.0, 1.0)

        # Every time inside a step is local, t - t_n in [0, h]: lag positions are then
        # computed relative to the current grid index n, to the same relative precision at
        # t = 10⁶ as at t = 0, and in float32 as well as float64.
        snap = 16 * float(jnp.finfo(y0.dtype).eps) * (M + 2)

        def lag(t_loc, tau, Y, F, n, current: Callable[[Array], Array]) -> Array:
            """y(t_n + t_loc - τ_i) for each delay, given the buffer up to grid index n."""
            u = (t_loc - tau) / h  # lag position in steps, relative to t_n
            # A lag that lands on a grid point (a delay that is a multiple of the step) is
            # snapped onto it: XLA may evaluate u in several fusions with different FMA
            # contraction, and an interval index and a weight taken from copies rounded to
            # either side of the grid point would mix two intervals. The snap keeps du/dτ.
            r = jnp.round(u)
            u = jnp.where(jnp.abs(u - r) < snap, u + jax.lax.stop_gradient(r - u), u)
            k = jnp.floor(u)
            in_hist = u < -n
            in_cur = k >= 0
            kr = jnp.clip(k.astype(int), -(M - 2), -1)
            theta = u - kr
            ia, ib = (n + kr) % M, (n + kr + 1) % M
            past = hermite(Y[ia], F[ia], Y[ib], F[ib], h, theta)
            # Keep the unused history branch finite (and its gradient).
            s_hist = jnp.minimum(t0 + (n + u) * h, t0)
            sel = lambda m: jnp.reshape(m, m.shape + (1,) * len(shape))
            out = jnp.where(sel(in_hist), hist_v(s_hist), past)
            if not no_overlap:
                cur = jax.vmap(current)(jnp.maximum(u, 0.0) * h)
                out = jnp.where(sel(in_cur & ~in_hist), cur, out)
            return out

        def rhs(t, t_loc, y, Y, F, n, current):
            tau = jnp.atleast_1d(system.delays(t, y))
            return system.drift(t, y, lag(t_loc, tau, Y, F, n, current), args)

        # Buffer slots j % M for grid indices j = -(M-1)..0: history and its derivative.
        j_hist = jnp.arange(-(M - 1), 1)
        t_hist = t0 + j_hist * h
        y_hist, f_hist = jax.vmap(lambda t: jax.jvp(history, (t,), (jnp.ones_like(t),)))(t_hist)
        slots = j_hist % M
        Y = jnp.zeros((M,) + shape, y0.dtype).at[slots].set(y_hist).at[0].set(y0)
        F = jnp.zeros((M,) + shape, y0.dtype).at[slots].set(f_hist)
        F0 = rhs(jnp.asarray(t0), 0.0, y0, Y, F, jnp.asarray(0), lambda s: y0)
        F = F.at[0].set(F0)

        out0 = jax.tree_util.tree_map(
            lambda x: jnp.zeros((n_save,) + x.shape, x.dtype),
            jax.eval_shape(obs, jnp.asarray(t0), y0),
        )
        term0 = dfx.ODETerm(lambda t, y, a: y)
        sstate0 = solver.init(term0, 0.0, h, y0, args)

        def body(carry, n):
            Y, F, y, f, sstate, out, ptr, bad = carry
            tn = t0 + n * h
            tn1 = t0 + (n + 1) * h
            im1 = (n - 1) % M

            def extrapolate(t_loc):
                # Predictor: the previous step's Hermite cubic continued past t_n.
                th = jnp.reshape(1.0 + t_loc / h, (1,))
                return hermite(Y[im1][None], F[im1][None], y[None], f[None], h, th)[0]

            def step(current):
                term = dfx.ODETerm(lambda tl, yy, a: rhs(tn + tl, tl, yy, Y, F, n, current))
                y1, _, dense, new_state, _ = solver.step(term, 0.0, h, y, args, sstate, False)
                return y1, dense, new_state

            y1, dense, new_state = step(extrapolate)

            def correct(operand):
                y1, dense, new_state = operand
                for _ in range(overlap_iters):
                    interp = solver.interpolation_cls(t0=0.0, t1=h, **dense)
                    y1, dense, new_state = step(interp.evaluate)
                return y1, dense, new_state

            if overlap_iters > 0:
                if always:
                    y1, dense, new_state = correct((y1, dense, new_state))
                else:
                    tau_n = jnp.atleast_1d(system.delays(tn, y))
                    y1, dense, new_state = jax.lax.cond(
                        jnp.any(tau_n < h), correct, lambda o: o, (y1, dense, new_state)
                    )
            interp = solver.interpolation_cls(t0=0.0, t1=h, **dense)
            # Lags of t_{n+1} that land in [t_n, t_{n+1}] use this step's dense output.
            f1 = rhs(tn1, h, y1, Y, F, n, interp.evaluate)
            i1 = (n + 1) % M
            Y = Y.at[i1].set(y1)
            F = F.at[i1].set(f1)

            tau_n = jnp.atleast_1d(system.delays(tn, y))
            bad = bad | jnp.any(tau_n < 0) | jnp.any(tau_n > max_delay * (1 + 1e-12))
            for _ in range(per_step):
                i = jnp.minimum(ptr, n_save - 1)
                hit = (ptr < n_save) & (save_step_j[i] == n)
                yi = hermite(y[None], f[None], y1[None], f1[None], h, save_theta[i][None])[0]
                val = obs(ts_j[i], yi)
                out = jax.tree_util.tree_map(
                    lambda o, v, hit=hit, i=i: o.at[i].set(jnp.where(hit, v, o[i])), out, val
                )
                ptr = ptr + hit.astype(ptr.dtype)
            return (Y, F, y1, f1, new_state, out, ptr, bad), None

        init = (Y, F, y0, F0, sstate0, out0, jnp.asarray(0), jnp.asarray(False))
        (_, _, y_end, _, _, out, _, bad), _ = jax.lax.scan(body, init, jnp.arange(n_steps))

        finite = jnp.all(
            jnp.stack([jnp.all(jnp.isfinite(x)) for x in jax.tree_util.tree_leaves((y_end, out))])
        )
        status = jnp.where(bad, STATUS_FAILED, jnp.where(finite, STATUS_OK, STATUS_NONFINITE))
        return Trajectory(
            ts=ts_j, ys=out, status=status.astype(jnp.int32), num_steps=jnp.asarray(n_steps)
        )

    return eqx.filter_jit(_run)(system, y0)


__all__ = ["ClassicRK4", "hermite", "integrate_delay"]
