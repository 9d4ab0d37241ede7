"""Posterior sampling (blackjax NUTS) and traceable maximisation of a model's log-likelihood.

``jaxdyn.fit(lambda m: -log_density(m), model, fields, transforms=...)`` finds the
maximum; :func:`sample_nuts` samples ``exp(log_density(model))`` over the same fields with
the same constraint transforms. Each field is sampled in the unconstrained coordinate u of
its transform (c = forward(u)), so the density there gains the log-Jacobian
Σ ln|forward'(u)| (the transforms act elementwise); the prior is whatever
``log_density`` adds to the likelihood (nothing: flat in the constrained coordinates).

:func:`maximize` is the traceable counterpart of ``fit`` for likelihoods that are plain
jnp functions of the parameters (spectral models, not adaptive solves): the same
transforms and Adam, but the steps run in ``lax.scan`` and the Laplace covariance comes
from the exact Hessian, so it jits and vmaps over many series (a sweep of fits).

The No-U-Turn sampler (Hoffman & Gelman 2014, JMLR 15, 1593) with Stan's window
adaptation of the step size and a diagonal mass matrix is blackjax's (Cabezas et al.
2024, arXiv:2402.10797). Everything is a jax computation: :func:`sample_nuts` jits, and
vmaps over data closed over by ``log_density`` and over keys (many series at once).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import blackjax
import equinox as eqx
import jax
import jax.flatten_util
import jax.numpy as jnp
import optax
from jaxtyping import Array, PRNGKeyArray

from ..core import AbstractTransform, Identity


class Posterior(eqx.Module):
    """Samples of the fitted fields and the sampler's diagnostics.

    Attributes:
        samples: by field name, arrays of shape ``(num_samples, *field.shape)``
            (constrained values).
        log_density: ``log_density`` at each sample.
        acceptance: mean acceptance probability of the sampling phase.
        divergences: number of divergent transitions while sampling.
        step_size: adapted step size.
    """

    samples: dict[str, Array]
    log_density: Array
    acceptance: Array
    divergences: Array
    step_size: Array

    def mean(self) -> dict[str, Array]:
        return {k: jnp.mean(v, axis=0) for k, v in self.samples.items()}

    def std(self) -> dict[str, Array]:
        return {k: jnp.std(v, axis=0) for k, v in self.samples.items()}

    def quantile(self, q) -> dict[str, Array]:
        return {k: jnp.quantile(v, jnp.asarray(q), axis=0) for k, v in self.samples.items()}


class MapResult(eqx.Module):
    """Outcome of :func:`maximize`.

    Attributes:
        model: the model at the maximum; params: its fitted fields by name.
        log_density: the maximum value; history: ``log_density`` at every step.
        covariance: inverse Hessian of -log_density in the constrained, flattened fields
            (the order of ``jax.flatten_util.ravel_pytree(params)``).
        stderr: square roots of its diagonal, by field (NaN where not positive).
    """

    model: eqx.Module
    params: dict[str, Array]
    log_density: Array
    history: Array
    covariance: Array
    stderr: dict[str, Array]


def _check_fields(model, fields, transforms, what):
    fields = tuple(fields)
    if not fields:
        raise ValueError(f"fields must name at least one field to {what}")
    for f in fields:
        if not hasattr(model, f):
            raise ValueError(f"{type(model).__name__} has no field {f!r} to {what}")
    transforms = dict(transforms or {})
    unknown = set(transforms) - set(fields)
    if unknown:
        raise ValueError(f"transforms given for fields that are not fitted: {sorted(unknown)}")
    return fields, {f: transforms.get(f, Identity()) for f in fields}


def maximize(
    log_density: Callable[[eqx.Module], Array],
    model: eqx.Module,
    fields: Sequence[str],
    *,
    transforms: Mapping[str, AbstractTransform] | None = None,
    steps: int = 2000,
    learning_rate: float = 0.02,
) -> MapResult:
    """Maximise ``log_density(model)`` over ``fields`` by Adam in ``lax.scan`` (traceable).

    Arguments as :func:`jaxdyn.fit` (which minimises ``-log_density``); the result also
    carries the Laplace covariance from the exact Hessian at the maximum.
    """
    fields, tf = _check_fields(model, fields, transforms, "fit")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be an integer >= 1, got {steps!r}")
    where = lambda m: [getattr(m, f) for f in fields]

    def build_c(c):
        return eqx.tree_at(where, model, [c[f] for f in fields])

    def loss(u):
        return -log_density(build_c({f: tf[f].forward(u[f]) for f in fields}))

    opt = optax.adam(learning_rate)
    u0 = {f: tf[f].inverse(jnp.asarray(getattr(model, f), dtype=float)) for f in fields}

    def step(carry, _):
        u, state = carry
        value, grads = jax.value_and_grad(loss)(u)
        updates, state = opt.update(grads, state, u)
        return (optax.apply_updates(u, updates), state), -value

    (u, _), history = jax.lax.scan(step, (u0, opt.init(u0)), None, length=steps)
    params = {f: tf[f].forward(u[f]) for f in fields}
    flat, unravel = jax.flatten_util.ravel_pytree(params)
    hess = jax.hessian(lambda x: -log_density(build_c(unravel(x))))(flat)
    cov = jnp.linalg.inv(0.5 * (hess + hess.T))
    diag = jnp.diag(cov)
    stderr = unravel(jnp.where(diag > 0, jnp.sqrt(jnp.abs(diag)), jnp.nan))
    best = build_c(params)
    return MapResult(best, params, log_density(best), history, cov, stderr)


def _log_abs_jacobian(transform: AbstractTransform, u: Array) -> Array:
    # Elementwise transforms: the Jacobian is diagonal, its diagonal a JVP with ones.
    _, d = jax.jvp(transform.forward, (u,), (jnp.ones_like(u),))
    return jnp.sum(jnp.log(jnp.abs(d)))


def sample_nuts(
    log_density: Callable[[eqx.Module], Array],
    model: eqx.Module,
    fields: Sequence[str],
    *,
    key: PRNGKeyArray,
    transforms: Mapping[str, AbstractTransform] | None = None,
    num_warmup: int = 500,
    num_samples: int = 500,
    target_accept: float = 0.8,
) -> Posterior:
    """Sample ``exp(log_density(model))`` over the named ``fields`` with NUTS.

    Args:
        log_density: scalar function of the model (log-likelihood + log-prior); the
            negative of the loss :func:`jaxdyn.fit` would minimise.
        model: the model; its field values are the starting point (start at the
            maximum found by ``fit`` to shorten the warm-up).
        fields: names of the sampled fields; the others stay fixed.
        key: PRNG key.
        transforms: per-field constraint (``Positive()``, ``Interval(a, b)``; default
            Identity), as for ``fit``.
        num_warmup: window-adaptation steps; num_samples: retained draws.
        target_accept: the adaptation's target acceptance rate.
    """
    fields, tf = _check_fields(model, fields, transforms, "sample")
    for name, v in (("num_warmup", num_warmup), ("num_samples", num_samples)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"{name} must be an integer >= 1, got {v!r}")
    if not 0 < target_accept < 1:
        raise ValueError(f"target_accept must lie in (0, 1), got {target_accept!r}")
    where = lambda m: [getattr(m, f) for f in fields]

    def build(u):
        return eqx.tree_at(where, model, [tf[f].forward(u[f]) for f in fields])

    def logdensity_u(u):
        jac = sum(_log_abs_jacobian(tf[f], u[f]) for f in fields)
        return log_density(build(u)) + jac

    u0 = {f: tf[f].inverse(jnp.asarray(getattr(model, f), dtype=float)) for f in fields}
    k_warm, k_run = jax.random.split(key)
    warmup = blackjax.window_adaptation(
        blackjax.nuts, logdensity_u, target_acceptance_rate=target_accept
    )
    (state, params), _ = warmup.run(k_warm, u0, num_steps=num_warmup)
    kernel = blackjax.nuts(logdensity_u, **params).step

    def one(state, k):
        state, info = kernel(k, state)
        return state, (state.position, state.logdensity, info.acceptance_rate, info.is_divergent)

    _, (us, logd, acc, div) = jax.lax.scan(one, state, jax.random.split(k_run, num_samples))
    samples = {f: jax.vmap(tf[f].forward)(us[f]) for f in fields}
    jac = jax.vmap(lambda u: sum(_log_abs_jacobian(tf[f], u[f]) for f in fields))(us)
    return Posterior(
        samples=samples,
        log_density=logd - jac,
        acceptance=jnp.mean(acc),
        divergences=jnp.sum(div),
        step_size=jnp.asarray(params["step_size"]),
    )


__all__ = ["MapResult", "Posterior", "maximize", "sample_nuts"]
