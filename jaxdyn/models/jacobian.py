"""Jacobian regularisers for learned maps: Hutchinson estimates and JAWS weights.

For a map F: R^N -> R^N (an FNO step, a neural vector field) with Jacobian J = ∂F/∂u,
the per-location sensitivity ρ(x) = Σ_y J_{xy}² (the squared norm of row x) and the
Frobenius norm ||J||_F² = Σ_x ρ(x) are estimated from Jacobian-vector products
(Hutchinson, Commun. Stat. 1990): for probes v with E[v vᵀ] = I (Rademacher or standard
normal), E[(J v)_x²] = Σ_{y,z} J_{xy} J_{xz} E[v_y v_z] = ρ(x). Each probe costs one
forward-mode product ``jax.jvp``, never the N×N Jacobian. Rademacher probes have the
smaller variance (Var[(Jv)_x²] = 2(ρ(x)² - Σ_y J_{xy}⁴) against 2ρ(x)² for Gaussian).

**Global contraction penalty** (e.g. the Jacobian regularisation of Hoffman et al.
2019, used for stable neural-operator rollouts): λ (1/N) E_v ||J v||² = λ ||J||_F² / N.
It pushes every direction of the step map towards contraction and so damps high
wavenumbers as much as noise: the contraction-dissipation dilemma.

**JAWS** (Jacobian-Adaptive Weighting for Stability, paper 16; reconstructed from its
abstract). Operator learning is MAP estimation with a spatially heteroscedastic Gaussian
likelihood u'(x) ~ N(F(u)(x), σ²(x)), σ²(x) = exp s(x) predicted by a small head, and a
Gaussian prior on each Jacobian row whose precision is proportional to the model's local
confidence 1/σ²(x). The per-sample loss is

    L = c · (1/N) Σ_x [ (u'(x) - F(u)(x))² / (2σ²(x)) + s(x)/2 ]  +  λ (1/N) Σ_x w(x) ρ(x),

    w(x) = sg[ σ̄² / σ²(x) ],   σ̄² = ( (1/N) Σ_y σ^{-2}(y) )^{-1},   c = sg[2 σ̄²],

with sg the stop-gradient. The weights have mean one, so the total penalty budget equals
the global penalty's λ ||J||_F²/N; JAWS only redistributes it, strong where the model is
confident (smooth regions: contraction suppresses noise) and weak where it is uncertain
(near shocks: steep gradients are preserved), like a shock-capturing limiter. The
constant c rescales the NLL so that its gradient with respect to the mean has the scale
of the MSE's, letting one λ be compared across variants; being a stop-gradient positive
factor, it leaves the minimiser in s(x) (σ² = residual²) unchanged. The stop-gradient
on w keeps σ² a calibrated predictive variance rather than a knob the model could turn
to escape the penalty.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray

Probe = Literal["rademacher", "gaussian"]


def probes(
    key: PRNGKeyArray, n: int, shape: tuple[int, ...], kind: Probe = "rademacher", dtype=None
):
    """``n`` probe vectors of ``shape`` with E[v vᵀ] = I."""
    if n < 1:
        raise ValueError(f"n_probes must be >= 1, got {n}")
    dtype = dtype or jnp.result_type(float)
    if kind == "rademacher":
        return jax.random.rademacher(key, (n, *shape), dtype=dtype)
    if kind == "gaussian":
        return jax.random.normal(key, (n, *shape), dtype=dtype)
    raise ValueError(f"probe kind must be 'rademacher' or 'gaussian', got {kind!r}")


def hutchinson_row_norms(
    f: Callable[[Array], Array],
    u: Float[Array, "*shape"],
    key: PRNGKeyArray,
    n_probes: int = 1,
    kind: Probe = "rademacher",
    v: Array | None = None,
) -> Float[Array, "*out"]:
    """Unbiased estimate of ρ(x) = Σ_y (∂f(u)_x/∂u_y)², shaped like f(u).

    ``v`` (shape ``(n_probes, *u.shape)``) overrides the random probes.
    """
    if v is None:
        v = probes(key, n_probes, u.shape, kind, u.dtype)
    jv = jax.vmap(lambda t: jax.jvp(f, (u,), (t,))[1])(v)
    return jnp.mean(jv**2, axis=0)


def hutchinson_frobenius(
    f: Callable[[Array], Array],
    u: Float[Array, "*shape"],
    key: PRNGKeyArray,
    n_probes: int = 1,
    kind: Probe = "rademacher",
) -> Float[Array, ""]:
    """Unbiased estimate of ||∂f/∂u||_F² from ``n_probes`` Jacobian-vector products."""
    return jnp.sum(hutchinson_row_norms(f, u, key, n_probes, kind))


def exact_row_norms(f: Callable[[Array], Array], u: Float[Array, " n"]) -> Float[Array, " m"]:
    """ρ(x) from the dense Jacobian (``jax.jacfwd``): for tests and small problems."""
    jac = jax.jacfwd(f)(u)
    return jnp.sum(jac.reshape(jac.shape[0], -1) ** 2, axis=1)


def jaws_weights(logvar: Float[Array, " n"]) -> Float[Array, " n"]:
    """w(x) = sg[σ̄²/σ²(x)] with σ̄² the harmonic mean of σ²: mean one, large where confident."""
    s = jax.lax.stop_gradient(logvar)
    return jax.nn.softmax(-s) * s.shape[-1]


def gaussian_nll(
    target: Float[Array, " n"], mean: Float[Array, " n"], logvar: Float[Array, " n"]
) -> Float[Array, ""]:
    """c (1/N) Σ_x [ r²/(2σ²) + s/2 ] with c = sg[2σ̄²] (MSE-scaled, see module docstring)."""
    s_bar = -jax.nn.logsumexp(-jax.lax.stop_gradient(logvar)) + jnp.log(logvar.shape[-1])
    c = 2.0 * jnp.exp(s_bar)
    return c * jnp.mean(0.5 * (target - mean) ** 2 * jnp.exp(-logvar) + 0.5 * logvar)


def jaws_penalty(
    f: Callable[[Array], tuple[Array, Array]],
    u: Float[Array, " n"],
    key: PRNGKeyArray,
    n_probes: int = 1,
    kind: Probe = "rademacher",
) -> tuple[Array, Array, Array]:
    """One forward pass of ``f(u) -> (mean, logvar)`` and the JAWS penalty of its mean.

    Returns ``(mean, logvar, penalty)`` with penalty = (1/N) Σ_x w(x) ρ̂(x), ρ̂ the
    Hutchinson row norms of ∂mean/∂u and w = :func:`jaws_weights` (logvar).
    """
    v = probes(key, n_probes, u.shape, kind, u.dtype)

    def one(t):
        mean, jv, logvar = jax.jvp(f, (u,), (t,), has_aux=True)
        return mean, logvar, jv

    means, logvars, jv = jax.vmap(one)(v)
    rho = jnp.mean(jv**2, axis=0)
    logvar = logvars[0]
    return means[0], logvar, jnp.mean(jaws_weights(logvar) * rho)


# ---------------------------------------------------------------- losses of step maps

LossKind = Literal["mse", "global", "jaws"]


def _mse_step(model, u, y, key, lam):
    pred = model(u)
    loss = jnp.mean((pred - y) ** 2)
    if lam > 0:
        loss = loss + lam * jnp.mean(hutchinson_row_norms(model, u, key))
    return loss, pred


def _jaws_step(model, u, y, key, lam):
    mean, logvar, pen = jaws_penalty(model.mean_and_logvar, u, key)
    return gaussian_nll(y, mean, logvar) + lam * pen, mean


def unrolled_loss(kind: LossKind, lam: float, k: int) -> Callable:
    """Loss ``loss(model, batch, key)`` of a step map on windows ``batch`` (B, k + 1, N).

    From u_0 = window[0] the model is unrolled k steps on its own predictions,
    u_{j+1} = F(u_j), and the per-step losses against window[j + 1] are averaged over
    steps and windows:

    * ``"mse"``: mean (u_{j+1} - window[j+1])² (λ unused);
    * ``"global"``: the MSE + λ ||∂F/∂u(u_j)||_F² / N (Hutchinson, one Rademacher probe);
    * ``"jaws"``: the MSE-scaled heteroscedastic NLL + λ (1/N) Σ_x w(x) ρ(x)
      (:func:`jaws_penalty`; the model needs ``mean_and_logvar``).

    Each window and each unrolled step gets its own probe key, split from ``key``.
    """
    if kind not in ("mse", "global", "jaws"):
        raise ValueError(f"kind must be 'mse', 'global' or 'jaws', got {kind!r}")
    if not isinstance(k, int) or k < 1:
        raise ValueError(f"k (unrolled steps) must be an integer >= 1, got {k!r}")
    if not lam >= 0:
        raise ValueError(f"lam must be >= 0, got {lam}")
    step = _jaws_step if kind == "jaws" else _mse_step
    lam_eff = 0.0 if kind == "mse" else lam

    def one(model, window, key):
        def body(u, inp):
            y, kk = inp
            loss, pred = step(model, u, y, kk, lam_eff)
            return pred, loss

        keys = jax.random.split(key, k)
        _, losses = jax.lax.scan(body, window[0], (window[1:], keys))
        return jnp.mean(losses)

    def loss(model, batch, key):
        keys = jax.random.split(key, batch.shape[0])
        return jnp.mean(jax.vmap(one, in_axes=(None, 0, 0))(model, batch, keys))

    return loss
