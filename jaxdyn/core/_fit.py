"""Gradient-based parameter estimation through the differentiable solve.

``fit(loss, model, fields=...)`` optimises the named fields of any equinox Module (a
System, a neural model) with optax. Constraints are handled by reparameterisation:
each field is optimised in an unconstrained coordinate ``u`` and mapped to the
constrained value ``c = transform.forward(u)`` before the loss sees it, so the
optimiser never proposes an invalid value. At the optimum the Hessian of the loss in
the constrained coordinates gives a Laplace (curvature) uncertainty when the loss is a
negative log-likelihood.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence

import equinox as eqx
import jax
import jax.flatten_util
import jax.numpy as jnp
import numpy as np
import optax
from jaxtyping import Array, Float
from tqdm.auto import tqdm


class AbstractTransform(eqx.Module):
    """A bijection from the real line onto a constraint set."""

    def forward(self, u: Array) -> Array:
        raise NotImplementedError

    def inverse(self, c: Array) -> Array:
        raise NotImplementedError


class Identity(AbstractTransform):
    def forward(self, u):
        return u

    def inverse(self, c):
        return c


class Positive(AbstractTransform):
    """c = softplus(u) > 0."""

    def forward(self, u):
        return jax.nn.softplus(u)

    def inverse(self, c):
        c = jnp.asarray(c)
        return c + jnp.log(-jnp.expm1(-c))


class Interval(AbstractTransform):
    """c = low + (high - low) * sigmoid(u), in the open interval (low, high)."""

    low: float
    high: float

    def __check_init__(self):
        if not self.high > self.low:
            raise ValueError(f"Interval needs high > low, got ({self.low}, {self.high})")

    def forward(self, u):
        return self.low + (self.high - self.low) * jax.nn.sigmoid(u)

    def inverse(self, c):
        p = (jnp.asarray(c) - self.low) / (self.high - self.low)
        return jnp.log(p) - jnp.log1p(-p)


class FitResult(eqx.Module):
    """Outcome of :func:`fit`.

    Attributes:
        model: the model with fitted fields.
        params: fitted values by field name.
        history: loss at each step, shape ``(steps,)``.
        hessian: Hessian of the loss w.r.t. the fitted (constrained, flattened) values
            (central differences of the exact gradient), or None if not computed.
        stderr: ``sqrt(diag(inv(hessian)))`` by field, the Laplace standard error when the
            loss is a negative log-likelihood; None if not computed or not positive definite.
    """

    model: eqx.Module
    params: dict[str, Array]
    history: Float[np.ndarray, " steps"]
    hessian: Array | None
    stderr: dict[str, Array] | None


def fit(
    loss: Callable[[eqx.Module], Array],
    model: eqx.Module,
    fields: Sequence[str],
    *,
    transforms: Mapping[str, AbstractTransform] | None = None,
    optimizer: optax.GradientTransformation | None = None,
    steps: int = 200,
    curvature: bool = True,
    progress: bool = False,
) -> FitResult:
    """Minimise ``loss(model)`` over the named ``fields`` of ``model``.

    Args:
        loss: scalar function of the model (typically simulate + compare with data).
        model: initial model; its field values are the starting point.
        fields: names of the fields to fit; every other field stays fixed.
        transforms: per-field constraint, e.g. ``{"K": Positive()}`` (default Identity).
        optimizer: an optax optimiser (default ``optax.adam(0.05)``).
        steps: optimisation steps.
        curvature: compute the Hessian and Laplace standard errors at the optimum.
        progress: show a progress bar with the loss.
    """
    if not callable(loss):
        raise TypeError(f"loss must be a function of the model, got {type(loss).__name__}")
    fields = tuple(fields)
    if not fields:
        raise ValueError("fields must name at least one field to fit")
    for f in fields:
        if not hasattr(model, f):
            raise ValueError(f"{type(model).__name__} has no field {f!r} to fit")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be an integer >= 1, got {steps!r}")
    transforms = dict(transforms or {})
    unknown = set(transforms) - set(fields)
    if unknown:
        raise ValueError(f"transforms given for fields that are not fitted: {sorted(unknown)}")
    tf = {f: transforms.get(f, Identity()) for f in fields}
    optimizer = optimizer or optax.adam(0.05)
    if not isinstance(optimizer, optax.GradientTransformation):
        raise TypeError(f"optimizer must be an optax GradientTransformation, got {optimizer!r}")
    for f in fields:
        _warn_at_boundary(f, tf[f], getattr(model, f))

    where = lambda m: [getattr(m, f) for f in fields]

    def build(values: dict[str, Array]) -> eqx.Module:
        return eqx.tree_at(where, model, [values[f] for f in fields])

    def unconstrained_loss(u):
        return loss(build({f: tf[f].forward(u[f]) for f in fields}))

    u = {f: tf[f].inverse(jnp.asarray(getattr(model, f), dtype=float)) for f in fields}
    state = optimizer.init(u)

    @jax.jit
    def step(u, state):
        value, grads = jax.value_and_grad(unconstrained_loss)(u)
        updates, state = optimizer.update(grads, state, u)
        return optax.apply_updates(u, updates), state, value

    history = np.empty(steps)
    bar = tqdm(range(steps), desc="fit", disable=not progress)
    for i in bar:
        u, state, value = step(u, state)
        history[i] = float(value)
        if progress and i % 10 == 0:
            bar.set_postfix(loss=f"{history[i]:.4g}")

    params = {f: tf[f].forward(u[f]) for f in fields}
    hessian = stderr = None
    if curvature:
        flat, unravel = jax.flatten_util.ravel_pytree(params)
        hessian = _hessian(lambda x: loss(build(unravel(x))), flat)
        cov = jnp.linalg.inv(hessian)
        diag = jnp.diag(cov)
        if bool(jnp.all(jnp.isfinite(diag)) & jnp.all(diag > 0)):
            stderr = unravel(jnp.sqrt(diag))
    return FitResult(build(params), params, history, hessian, stderr)


def _warn_at_boundary(name: str, transform: AbstractTransform, value) -> None:
    """A constrained start on the boundary maps to an infinite unconstrained coordinate,
    where the gradient vanishes: the optimiser would never move it. Say so."""
    if isinstance(transform, Positive):
        edges = (0.0,)
    elif isinstance(transform, Interval):
        edges = (transform.low, transform.high)
    else:
        return
    v = np.asarray(value, dtype=float)
    for edge in edges:
        if np.any(v == edge) or (isinstance(transform, Positive) and np.any(v <= 0)):
            warnings.warn(
                f"fit: parameter {name!r} starts at {float(np.min(v))!r}, the boundary of "
                f"{type(transform).__name__}: its gradient vanishes there and it would not "
                "move; start it inside the constraint",
                stacklevel=3,
            )
            return


def _hessian(f: Callable[[Array], Array], x: Array) -> Array:
    """Hessian by central differences of the exact (reverse-mode) gradient.

    Second-order autodiff through an adaptive solve is unavailable (forward mode cannot
    enter the checkpointed adjoint, and reverse-over-reverse cannot enter its while
    loop), so each column differences two exact gradients; the result is symmetrised.
    """
    grad = jax.jit(jax.grad(f))
    eps = jnp.finfo(x.dtype).eps ** (1 / 3)
    cols = []
    for i in range(x.size):
        h = eps * jnp.maximum(1.0, jnp.abs(x[i]))
        e = jnp.zeros_like(x).at[i].set(h)
        cols.append((grad(x + e) - grad(x - e)) / (2 * h))
    H = jnp.stack(cols, axis=1)
    return 0.5 * (H + H.T)
