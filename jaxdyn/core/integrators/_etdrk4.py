"""Semi-linear systems dy/dt = L y + N(t, y) by exponential time differencing (ETDRK4).

The fourth-order scheme of Cox & Matthews (J. Comput. Phys. 176, 430 (2002)) with the
contour-integral coefficients of Kassam & Trefethen (SIAM J. Sci. Comput. 26, 1214
(2005)): the stiff diagonal linear part is integrated exactly, so the step is limited
only by the nonlinearity, and each step costs four evaluations of N with no linear
solve. Work happens in the system's spectral coordinates v = ``to_spectral(y)``.

Given a diffrax solver instead, a semi-linear system is integrated as the ODE
``drift = L y + N`` (or IMEX-split, for Sil3/KenCarp) by the diffrax integrator.
"""

from __future__ import annotations

from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .._system import AbstractSemilinear, check_int
from .._trajectory import Trajectory, finite_status
from ._diffrax import integrate_diffrax
from ._problem import Problem


class ETDRK4(eqx.Module):
    """Selects the ETDRK4 exponential integrator (the default for semi-linear systems).

    ``n_contour`` points on a unit circle around each h λ evaluate the φ-functions.
    """

    n_contour: int = 32

    def __check_init__(self):
        check_int("ETDRK4.n_contour", self.n_contour, 4, 1024)


def etdrk4_coefficients(lin: jax.Array, h: jax.Array, n_contour: int = 32):
    """E, E/2 and the φ-function weights of ETDRK4 for the diagonal operator ``lin``.

    The weights are evaluated as means over a circle of radius 1 around each h·λ
    (Kassam & Trefethen 2005), which avoids the cancellation of the closed forms.
    """
    shape = jnp.shape(lin)
    lin = jnp.ravel(lin)
    r = jnp.exp(1j * jnp.pi * (jnp.arange(1, n_contour + 1) - 0.5) / n_contour)
    lr = (h * lin)[:, None] + r[None, :]
    e = jnp.exp(lr)
    mean = lambda z: jnp.real(jnp.mean(z, axis=1)).reshape(shape)
    q = h * mean((jnp.exp(lr / 2) - 1.0) / lr)
    f1 = h * mean((-4.0 - lr + e * (4.0 - 3.0 * lr + lr**2)) / lr**3)
    f2 = h * mean((2.0 + lr + e * (lr - 2.0)) / lr**3)
    f3 = h * mean((-4.0 - 3.0 * lr - lr**2 + e * (4.0 - lr)) / lr**3)
    lin = lin.reshape(shape)
    return jnp.exp(h * lin), jnp.exp(h * lin / 2), q, f1, f2, f3


def _runs(gaps: np.ndarray) -> list[tuple[float, int]]:
    """Group consecutive equal gaps: [(gap, count), ...]."""
    runs: list[list] = []
    for g in gaps:
        if runs and np.isclose(runs[-1][0], g, rtol=1e-12, atol=1e-14):
            runs[-1][1] += 1
        else:
            runs.append([float(g), 1])
    return [(g, c) for g, c in runs]


def integrate_semilinear(
    system: AbstractSemilinear,
    p: Problem,
    *,
    adaptive: bool | None = None,
    rtol: float | None = None,
    atol: float | None = None,
    max_steps: int | None = None,
    adjoint: Any = None,
) -> Trajectory:
    """ETDRK4 with fixed step ``dt`` (default), or the diffrax integrator for a diffrax solver.

    With ETDRK4, each interval between save times is split into the nearest whole number
    of equal steps of at most ``dt`` (default ``system.default_dt``); ``t0``, ``t1`` and
    ``ts`` must be concrete. The options ``adaptive``, ``rtol``, ``atol``, ``max_steps``
    and ``adjoint`` apply only with a diffrax solver (see the ODE integrator).
    """
    diffrax_opts = {
        k: v
        for k, v in dict(
            adaptive=adaptive, rtol=rtol, atol=atol, max_steps=max_steps, adjoint=adjoint
        ).items()
        if v is not None
    }
    solver = p.solver
    if solver is not None and not isinstance(solver, ETDRK4):
        return integrate_diffrax(system, p, **diffrax_opts)
    if diffrax_opts:
        raise TypeError(
            f"simulate: option {sorted(diffrax_opts)[0]!r} applies to {type(system).__name__} "
            "only with a diffrax solver; ETDRK4 takes fixed steps dt"
        )
    solver = solver or ETDRK4()
    if p.concrete_ts is None or any(isinstance(x, jax.core.Tracer) for x in (p.t0, p.t1, p.dt)):
        raise ValueError("ETDRK4 needs concrete t0, t1, dt and save times")
    t0, dt = float(p.t0), float(system.default_dt if p.dt is None else p.dt)
    if not (np.isfinite(dt) and dt > 0):
        raise ValueError(f"dt must be finite and positive, got {dt}")
    gaps = np.diff(np.concatenate([[t0], p.concrete_ts]))
    plan = [(g, c, max(1, int(np.ceil(g / dt - 1e-9)))) for g, c in _runs(gaps)]
    ts = jnp.asarray(p.concrete_ts, dtype=jnp.result_type(float))
    out = _etdrk4(system, p.y0, p.args, tuple(plan), solver.n_contour, t0)
    saved = jax.vmap(lambda t, v: p.save(t, system.from_spectral(v), p.args))(ts, out)
    n_steps = sum(c * n for _, c, n in plan)
    return Trajectory(ts=ts, ys=saved, status=finite_status(saved), num_steps=jnp.asarray(n_steps))


@eqx.filter_jit
def _etdrk4(system: AbstractSemilinear, y0, args, plan, n_contour: int, t0: float):
    """Spectral states at the end of each save interval, stacked: shape (T, *v.shape)."""
    lin = system.linear_symbol()
    v = system.to_spectral(y0)
    g = lambda t, v: system.nonlinear_spectral(t, v, args)
    outs, t_start = [], t0
    for gap, count, n_sub in plan:
        h = gap / n_sub
        if h == 0.0:  # repeated save times
            outs.append(jnp.broadcast_to(v, (count,) + v.shape))
            continue
        e, e2, q, f1, f2, f3 = etdrk4_coefficients(lin, jnp.asarray(h, lin.real.dtype), n_contour)

        def step(carry, _, e=e, e2=e2, q=q, f1=f1, f2=f2, f3=f3, h=h):
            v, t = carry
            nv = g(t, v)
            a = e2 * v + q * nv
            na = g(t + h / 2, a)
            b = e2 * v + q * na
            nb = g(t + h / 2, b)
            c = e2 * a + q * (2.0 * nb - nv)
            nc = g(t + h, c)
            v = e * v + f1 * nv + 2.0 * f2 * (na + nb) + f3 * nc
            return (v, t + h), None

        def interval(carry, _, n_sub=n_sub):
            carry, _ = jax.lax.scan(step, carry, None, length=n_sub)
            return carry, carry[0]

        (v, _), vs = jax.lax.scan(
            interval, (v, jnp.asarray(t_start, lin.real.dtype)), None, length=count
        )
        outs.append(vs)
        t_start += gap * count
    return jnp.concatenate(outs, axis=0)


__all__ = ["ETDRK4", "etdrk4_coefficients", "integrate_semilinear"]
