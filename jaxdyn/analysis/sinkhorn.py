"""Entropic optimal transport in the log domain: Sinkhorn costs and the Sinkhorn divergence.

For point clouds x (n points) and y (m points) with weights a, b and cost C_ij, the
entropic OT problem min_P <P, C> - ε H(P) over couplings P1 = a, P^T1 = b is solved by
Sinkhorn's iterations on the dual potentials, written in the log domain so that small ε
does not underflow (Peyré & Cuturi, "Computational Optimal Transport", Found. Trends
Mach. Learn. 11, 355 (2019), §4.4, eq. 4.43):

    f_i = -ε LSE_j[(g_j - C_ij)/ε + log b_j],   g_j = -ε LSE_i[(f_i - C_ij)/ε + log a_i].

The debiased Sinkhorn divergence (Genevay, Peyré & Cuturi, AISTATS 2018; Feydy et al.,
AISTATS 2019)

    S_ε(x, y) = OT_ε(x, y) - (OT_ε(x, x) + OT_ε(y, y)) / 2

is non-negative, zero iff the distributions agree, and metrises weak convergence; it is
the loss that trains :mod:`jaxdyn.models.rnn_hmm`. ``OT_ε`` here is the dual objective
<a, f> + <b, g> at convergence (the form whose gradient in the points is that of the
transport cost, by the envelope theorem). Differentiation goes through the unrolled
iterations (a fixed number, so reverse mode works).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float


def sq_euclidean(x: Array, y: Array) -> Array:
    """C_ij = |x_i - y_j|² (the quadratic cost), shape (n, m)."""
    return jnp.sum(x * x, -1)[:, None] + jnp.sum(y * y, -1)[None, :] - 2.0 * x @ y.T


def _uniform(n: int, dtype) -> Array:
    return jnp.full((n,), 1.0 / n, dtype)


def sinkhorn(
    cost: Float[Array, "n m"],
    epsilon: float,
    a: ArrayLike | None = None,
    b: ArrayLike | None = None,
    iters: int = 200,
) -> dict:
    """Log-domain Sinkhorn. Returns the dual potentials ``f``, ``g``, the dual value
    ``ot`` = <a, f> + <b, g>, the primal transport cost ``transport`` = <P, C> and the
    coupling ``plan`` P_ij = a_i b_j exp((f_i + g_j - C_ij)/ε)."""
    if not epsilon > 0:
        raise ValueError(f"epsilon must be positive, got {epsilon}")
    if iters < 1:
        raise ValueError(f"iters must be >= 1, got {iters}")
    n, m = cost.shape
    a = _uniform(n, cost.dtype) if a is None else jnp.asarray(a, cost.dtype)
    b = _uniform(m, cost.dtype) if b is None else jnp.asarray(b, cost.dtype)
    la, lb = jnp.log(a), jnp.log(b)

    def body(_, fg):
        f, g = fg
        f = -epsilon * jax.nn.logsumexp((g[None, :] - cost) / epsilon + lb[None, :], axis=1)
        g = -epsilon * jax.nn.logsumexp((f[:, None] - cost) / epsilon + la[:, None], axis=0)
        return f, g

    f, g = jax.lax.fori_loop(0, iters, body, (jnp.zeros(n, cost.dtype), jnp.zeros(m, cost.dtype)))
    plan = jnp.exp((f[:, None] + g[None, :] - cost) / epsilon + la[:, None] + lb[None, :])
    return {
        "f": f,
        "g": g,
        "ot": jnp.sum(a * f) + jnp.sum(b * g),
        "transport": jnp.sum(plan * cost),
        "plan": plan,
    }


def sinkhorn_divergence(
    x: Float[Array, "n d"], y: Float[Array, "m d"], epsilon: float, iters: int = 200
) -> Array:
    """Debiased S_ε(x, y) between uniform point clouds with the quadratic cost."""
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1]:
        raise ValueError(
            f"x and y must be (n, d) and (m, d) point clouds, got {x.shape}, {y.shape}"
        )
    ot = lambda u, v: sinkhorn(sq_euclidean(u, v), epsilon, iters=iters)["ot"]
    return ot(x, y) - 0.5 * (ot(x, x) + ot(y, y))


__all__ = ["sinkhorn", "sinkhorn_divergence", "sq_euclidean"]
