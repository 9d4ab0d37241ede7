"""Jump processes: exact paths by Gillespie's direct method, or fixed-step tau-leaping.

**Direct method** (:class:`Gillespie`, the default; D. T. Gillespie, J. Comput. Phys. 22,
403 (1976), J. Phys. Chem. 81, 2340 (1977)). In state y with propensities a_j(y) and
a_0 = Σ_j a_j, the time to the next jump is exponential with rate a_0 and channel j
fires with probability a_j / a_0. The path is exact: no time step, no approximation
beyond the random numbers themselves.

A ``lax.scan`` over the save times runs, per save interval, a ``lax.while_loop`` of
jumps until the pending jump lies past the save time, then records the state: paths are
piecewise constant, so no jump is stored, and the pending jump time is kept across the
save (the exponential law is memoryless and the propensities have not changed). A saved
value at time s is the state after every jump at times <= s (right-continuous paths).
Under ``vmap`` (a :func:`jaxdyn.sweep`) each interval's loop runs until its slowest
member is done; the saves are the scan's outputs rather than a scatter into a buffer at
every jump (which costs a copy of the buffer per jump under ``vmap``).

Random numbers: each member carries a xoshiro128** generator (Blackman & Vigna, ACM
Trans. Math. Softw. 47, 36 (2021); 128-bit state, period 2^128 - 1), seeded from the
run's key by ``jax.random.bits``. A jump needs two uniforms; one threefry evaluation per
jump (``fold_in`` + ``uniform``) costs several times the rest of the jump on a CPU,
whereas the xoshiro step is a dozen integer operations. A member's path depends on
nothing but its key, so sweeps are identical whatever the chunk size or device count.
Uniforms have 53 random bits in double precision (two 32-bit words) and 24 in single;
the jump time is accumulated with an error-free two-sum (a pair hi + lo), so that long
single-precision runs do not lose the short waiting times to rounding.

**Tau-leaping** (:class:`TauLeaping`; D. T. Gillespie, J. Chem. Phys. 115, 1716
(2001)): fixed steps h in which channel j fires K_j ~ Poisson(a_j(y) h) times. It
converges to the exact process as h -> 0 (weakly, first order). A leap that would make
a count negative sets that count to zero instead (a bias of the order of the
probability of such a leap, which vanishes with h).
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .._system import AbstractJumpProcess, check_int, is_concrete
from .._trajectory import STATUS_FAILED, STATUS_MAX_STEPS, Trajectory, finite_status
from ._problem import Problem

DEFAULT_MAX_JUMPS = 10_000_000


class Gillespie(eqx.Module):
    """Selects Gillespie's direct method (exact paths; the default for jump processes)."""


class TauLeaping(eqx.Module):
    """Selects fixed-step tau-leaping (Poisson firings per step of ``dt``)."""


# ----------------------------------------------------------------------------- random bits


def _rotl(x, k: int):
    return (x << k) | (x >> (32 - k))


def rng_init(key) -> tuple:
    """A xoshiro128** state (four uint32 words, not all zero) drawn from ``key``."""
    w = jax.random.bits(key, (4,), jnp.uint32)
    return (w[0] | jnp.uint32(1), w[1], w[2], w[3])


def rng_next(s: tuple) -> tuple:
    """One 32-bit output of xoshiro128** and the next state."""
    s0, s1, s2, s3 = s
    out = _rotl(s1 * jnp.uint32(5), 7) * jnp.uint32(9)
    t = s1 << 9
    s2 = s2 ^ s0
    s3 = s3 ^ s1
    s1 = s1 ^ s2
    s0 = s0 ^ s3
    s2 = s2 ^ t
    s3 = _rotl(s3, 11)
    return out, (s0, s1, s2, s3)


def rng_uniform(s: tuple, dtype) -> tuple:
    """A uniform number in (0, 1] of ``dtype`` (53 random bits for float64, 24 for float32)."""
    hi, s = rng_next(s)
    if jnp.dtype(dtype) == jnp.float64:
        lo, s = rng_next(s)
        # 27 + 26 bits, each converted from int32 (no slow uint64 -> float conversion).
        a = (hi >> 5).astype(jnp.int32).astype(dtype)
        b = (lo >> 6).astype(jnp.int32).astype(dtype)
        return a * 2.0**-27 + (b + 1.0) * 2.0**-53, s
    return ((hi >> 8).astype(jnp.int32).astype(dtype) + 1.0) * (2.0**-24), s


def _two_sum(hi, lo, tau):
    """(hi + lo) + tau as a new pair, exactly (Knuth's TwoSum); inf stays (inf, 0)."""
    s = hi + tau
    bp = s - hi
    err = (hi - (s - bp)) + (tau - bp)
    lo = lo + err
    new_hi = s + lo
    new_lo = lo - (new_hi - s)
    finite = jnp.isfinite(s)
    return jnp.where(finite, new_hi, s), jnp.where(finite, new_lo, 0.0)


# ----------------------------------------------------------------------------- integrator


def _counts(system: AbstractJumpProcess, y0) -> jax.Array:
    """The initial counts as an integer array; concrete values must be whole and >= 0."""
    y0 = jnp.asarray(y0)
    name = type(system).__name__
    if y0.ndim != 1:
        raise ValueError(f"y0 of {name} must be a vector of counts, got shape {y0.shape}")
    if is_concrete(y0):
        arr = np.asarray(y0)
        if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
            raise ValueError(f"y0 of {name} must hold whole-number counts, got {arr}")
        if np.any(arr < 0):
            raise ValueError(f"y0 of {name} must hold non-negative counts, got {arr}")
    if jnp.issubdtype(y0.dtype, jnp.integer):
        return y0.astype(jnp.result_type(int))
    return jnp.round(y0).astype(jnp.result_type(int))


def _stoichiometry(system: AbstractJumpProcess, n: int) -> np.ndarray:
    nu = np.asarray(system.stoichiometry())
    name = type(system).__name__
    if nu.ndim != 2 or nu.shape[1] != n or not np.issubdtype(nu.dtype, np.integer):
        raise ValueError(
            f"{name}.stoichiometry() must be an integer array of shape (reactions, {n}) "
            f"matching the state, got {nu.dtype} {nu.shape}"
        )
    return nu


def _fill_unreached(saved, reached):
    """NaN (floats) or -1 (integers) at the save times a run did not reach."""

    def fill(buf):
        mask = jnp.reshape(~reached, (-1,) + (1,) * (buf.ndim - 1))
        bad = jnp.nan if jnp.issubdtype(buf.dtype, jnp.inexact) else -1
        return jnp.where(mask, jnp.asarray(bad, buf.dtype), buf)

    return jax.tree_util.tree_map(fill, saved)


def integrate_jumps(
    system: AbstractJumpProcess, p: Problem, *, max_jumps: int | None = None
) -> Trajectory:
    """Sample one path of a jump process (direct method, or tau-leaping).

    Options:
        max_jumps: jump budget of the direct method (>= 1, default 10^7). A path that
            would need more stops there with status 1 (``max_steps``); the save times it
            did not reach hold NaN (float outputs) or -1 (integer outputs). Not for
            tau-leaping, whose step count is fixed by ``dt``.

    Solvers: :class:`Gillespie` (default; takes no ``dt``) or :class:`TauLeaping`
    (fixed step ``dt``, default ``system.default_dt``; ``t0``, ``t1`` and ``ts`` must be
    concrete). ``num_steps`` counts jumps (direct method) or leaps. A propensity that is
    negative or not finite, or a jump to a negative count, stops the path with status 3
    (``failed``).
    """
    name = type(system).__name__
    if p.key is None:
        raise ValueError(f"{name} is a stochastic jump process: simulate needs key=")
    solver = p.solver or Gillespie()
    if not isinstance(solver, Gillespie | TauLeaping):
        raise TypeError(
            f"solver for {name} (a jump process) must be jaxdyn.Gillespie() or "
            f"jaxdyn.TauLeaping(), got {type(solver).__name__}"
        )
    x0 = _counts(system, p.y0)
    nu = _stoichiometry(system, x0.shape[0])
    if isinstance(solver, TauLeaping):
        if max_jumps is not None:
            raise TypeError("max_jumps applies to the direct method; tau-leaping takes dt")
        return _tau_leaping(system, p, x0, nu)
    if p.dt is not None:
        raise ValueError(
            f"dt does not apply to the direct method (exact jump times); for fixed steps "
            f"pass solver=jaxdyn.TauLeaping(), dt={p.dt}"
        )
    max_jumps = DEFAULT_MAX_JUMPS if max_jumps is None else check_int("max_jumps", max_jumps, 1)
    return _direct(system, p, x0, nu, max_jumps)


def _direct(system, p: Problem, x0, nu: np.ndarray, max_jumps: int) -> Trajectory:
    dtype = jnp.result_type(float)
    args, save = p.args, p.save
    ts = jnp.asarray(p.ts, dtype)
    nu_j = jnp.asarray(nu, x0.dtype)
    n_channels = nu.shape[0]

    def draw(x, t_hi, t_lo, rng):
        """Time (as a two-sum pair) and channel of the jump after the one at t."""
        a = jnp.asarray(system.propensities(t_hi, x, args), dtype)
        cum = jnp.cumsum(a)
        a0 = cum[-1]
        u1, rng = rng_uniform(rng, dtype)
        u2, rng = rng_uniform(rng, dtype)
        tau = jnp.where(a0 > 0, -jnp.log(u1) / jnp.where(a0 > 0, a0, 1.0), jnp.inf)
        j = jnp.minimum(jnp.sum(cum < u2 * a0), n_channels - 1)
        bad = jnp.any(a < 0) | ~jnp.isfinite(a0)
        hi, lo = _two_sum(t_hi, t_lo, tau)
        return hi, lo, j, rng, bad

    def before(hi, lo, t):
        """Whether the pending jump at hi + lo happens at or before t."""
        return (hi < t) | ((hi == t) & (lo <= 0))

    def interval(carry, t_save):
        # Jump until the pending jump lies after t_save, then record the state at t_save.
        # (A loop per save interval, rather than one flat loop of jumps and saves: the
        # saves are then the scan's outputs, not a scatter into a buffer per jump.)
        def cond(c):
            x, hi, lo, j, rng, n, bad = c
            return before(hi, lo, t_save) & (n < max_jumps) & ~bad

        def body(c):
            x, hi, lo, j, rng, n, bad = c
            x = x + nu_j[j]
            hi, lo, j, rng, bad_draw = draw(x, hi, lo, rng)
            return x, hi, lo, j, rng, n + 1, bad | bad_draw | jnp.any(x < 0)

        carry = jax.lax.while_loop(cond, body, carry)
        x, hi, lo, _, _, _, bad = carry
        reached = ~before(hi, lo, t_save) & ~bad
        return carry, (save(t_save, x, args), reached)

    t0 = jnp.asarray(p.t0, dtype)
    hi, lo, j, rng, bad = draw(x0, t0, jnp.zeros((), dtype), rng_init(p.key))
    init = (x0, hi, lo, j, rng, jnp.zeros((), jnp.int32), bad)
    (_, _, _, _, _, n, bad), (saved, reached) = jax.lax.scan(interval, init, ts)
    saved = _fill_unreached(saved, reached)
    status = jnp.where(jnp.all(reached), finite_status(saved), STATUS_MAX_STEPS)
    status = jnp.where(bad, STATUS_FAILED, status).astype(jnp.int32)
    return Trajectory(ts=ts, ys=saved, status=status, num_steps=n)


def _tau_leaping(system, p: Problem, x0, nu: np.ndarray) -> Trajectory:
    name = type(system).__name__
    if p.concrete_ts is None or not is_concrete((p.t0, p.t1, p.dt)):
        raise ValueError(f"tau-leaping {name}: t0, t1, dt and ts must be concrete numbers")
    t0, t1 = float(p.t0), float(p.t1)
    h = float(system.default_dt if p.dt is None else p.dt)
    n_steps = max(1, int(np.ceil((t1 - t0) / h - 1e-9)))
    grid = np.minimum(t0 + h * np.arange(n_steps + 1), t1)
    ts = p.concrete_ts
    # The state at a save time is the state after the last step ending at or before it.
    done = np.clip(np.searchsorted(grid, ts + 1e-12 * max(1.0, abs(t1)), side="right") - 1, 0, None)
    count = np.bincount(done, minlength=n_steps + 1)
    first = np.concatenate([[0], np.cumsum(count)[:-1]])
    per_step = max(1, int(count.max()))
    dtype = jnp.result_type(float)
    args, save = p.args, p.save
    ts_j = jnp.asarray(ts, dtype)
    nu_j = jnp.asarray(nu, x0.dtype)
    key = p.key

    out_shape = jax.eval_shape(lambda y: save(t0, y, args), x0)
    saved = jax.tree_util.tree_map(lambda s: jnp.zeros((len(ts),) + s.shape, s.dtype), out_shape)

    def record(saved, x, lo, cnt):
        def one(m, sv):
            i = lo + m
            value = save(ts_j[i], x, args)
            put = lambda v: jax.tree_util.tree_map(lambda buf, z: buf.at[i].set(z), v, value)
            return jax.lax.cond(m < cnt, put, lambda v: v, sv)

        return jax.lax.fori_loop(0, per_step, one, saved)

    saved = record(saved, x0, jnp.int32(first[0]), jnp.int32(count[0]))

    def body(carry, xs):
        x, saved, bad = carry
        k, ta, tb, lo, cnt = xs
        a = jnp.asarray(system.propensities(ta, x, args), dtype)
        bad = bad | jnp.any(a < 0) | ~jnp.all(jnp.isfinite(a))
        fires = jax.random.poisson(jax.random.fold_in(key, k), jnp.maximum(a, 0.0) * (tb - ta))
        x = jnp.maximum(x + fires.astype(x.dtype) @ nu_j, 0)
        return (x, record(saved, x, lo, cnt), bad), None

    xs = (
        jnp.arange(n_steps),
        jnp.asarray(grid[:-1], dtype),
        jnp.asarray(grid[1:], dtype),
        jnp.asarray(first[1:], jnp.int32),
        jnp.asarray(count[1:], jnp.int32),
    )
    (_, saved, bad), _ = jax.lax.scan(body, (x0, saved, jnp.asarray(False)), xs)
    status = jnp.where(bad, STATUS_FAILED, finite_status(saved)).astype(jnp.int32)
    return Trajectory(ts=ts_j, ys=saved, status=status, num_steps=jnp.asarray(n_steps))


__all__ = [
    "DEFAULT_MAX_JUMPS",
    "Gillespie",
    "TauLeaping",
    "integrate_jumps",
    "rng_init",
    "rng_next",
    "rng_uniform",
]
