"""Koopman operators from data: EDMD, and Residual DMD with verified spectra.

The Koopman operator of a map F (or of a flow's time-Δt map) acts on observables,
𝒦 g = g ∘ F. Given snapshot pairs y_j = F(x_j), j = 1..N, quadrature weights w_j and a
dictionary ψ = (ψ_1, ..., ψ_M), Extended DMD (Williams, Kevrekidis & Rowley, J. Nonlinear
Sci. 25, 1307 (2015)) forms the Galerkin matrices

    G = Ψ_X^* W Ψ_X,   A = Ψ_X^* W Ψ_Y,   L = Ψ_Y^* W Ψ_Y,      (Ψ_X)_{jk} = ψ_k(x_j),

approximating ⟨ψ_k, ψ_l⟩, ⟨𝒦ψ_k, ψ_l⟩ and ⟨𝒦ψ_k, 𝒦ψ_l⟩ in L²(ω), and the matrix
K = G⁻¹A whose eigenpairs (λ, g) give candidate eigenvalues and eigenfunctions φ = Ψ g.
Some are spurious (spectral pollution) and some of 𝒦's spectrum may be missed.

Residual DMD (Colbrook & Townsend, Commun. Pure Appl. Math. 77, 221 (2024); Colbrook,
Mezić & Stepanenko, "Limits and powers of Koopman learning", 2023, paper 12) measures how
far a candidate is from an eigenpair of 𝒦 itself, with the same data:

    res(λ, g)² = Σ_j w_j |φ(y_j) - λ φ(x_j)|² / Σ_j w_j |φ(x_j)|²
               = g^*(L - λA^* - λ̄A + |λ|²G) g / g^*G g  →  ||(𝒦 - λ)φ||² / ||φ||²,

which converges (N → ∞) to the true relative residual, so a candidate with res <= ε is
within ε of the spectrum (for normal 𝒦: of an eigenvalue); minimising it over g gives
the ε-pseudospectrum, σ_ε = {z : min_g res(z, g) < ε}, which converges to 𝒦's as M
grows, from above, without pollution. Candidates whose residual exceeds ε are discarded.

Numerics (our choice): everything is computed from one thin QR factorisation of the
weighted data, W^{1/2}[Ψ_X Ψ_Y] = Q [[R11, R12], [0, R22]], so that G = R11^*R11,
A = R11^*R12, L = R12^*R12 + R22^*R22, K = R11⁻¹R12, and

    res(λ, g) = ||[(R12 - λR11) g; R22 g]|| / ||R11 g||,
    min_g res(z, g) = σ_min([R12 R11⁻¹ - z I; R22 R11⁻¹]),

with no squared Gram matrix anywhere: residuals of exact eigenpairs are at round-off
(~1e-15), not at the square root of it, and the pseudospectrum is a smallest singular
value of a 2M x M matrix per grid point (vmapped). A Gram matrix that is singular to
working precision (linearly dependent functions on the data) is refused with a message;
``reg > 0`` instead adds Tikhonov regularisation G → G + reg I (rows √reg I appended to
W^{1/2}Ψ_X), which the residuals then include.

Dictionaries (:class:`Monomials`, :class:`Legendre`, :class:`Hermite`, :class:`Fourier`,
:class:`RBF`, tensor :class:`Product` and union :class:`Stack` of them, or any function in
:class:`Custom`) and quadrature rules (:func:`quadrature`: Monte Carlo, trapezoid,
Gauss-Legendre; :func:`tensor_quadrature`) are small pieces to combine. Snapshot pairs
come from :func:`snapshot_pairs` (any System through :func:`jaxdyn.simulate`, vmapped
over initial states), from :func:`trajectory_pairs` (consecutive saves of trajectories
or of a sweep's dataset), or from the user.
"""

from __future__ import annotations

import abc
import itertools
import math
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Complex, Float, PRNGKeyArray

from ..core import AbstractMap, AbstractSystem, check_int, simulate

# --------------------------------------------------------------------------- dictionaries


class AbstractDictionary(eqx.Module):
    """A finite set of observables ψ_1..ψ_M of states in R^d: ``psi(X) -> (N, M)``."""

    @property
    @abc.abstractmethod
    def dim(self) -> int:
        """Dimension d of the states it takes."""

    @property
    @abc.abstractmethod
    def size(self) -> int:
        """Number M of functions."""

    @abc.abstractmethod
    def evaluate(self, x: Float[Array, "N d"]) -> Array:
        """Values ψ_k(x_j), shape ``(N, M)`` (real or complex)."""

    def __call__(self, x: ArrayLike) -> Array:
        x = jnp.asarray(x, dtype=jnp.result_type(float))
        if x.ndim == 1:
            x = x[:, None] if self.dim == 1 else x[None, :]
        if x.ndim != 2 or x.shape[1] != self.dim:
            raise ValueError(
                f"X must have shape (N, {self.dim}) for this {type(self).__name__} dictionary, "
                f"got {tuple(x.shape)}"
            )
        return self.evaluate(x)


def _multi_indices(dim: int, degree: int, total: bool) -> np.ndarray:
    """Exponent tuples with total degree <= degree (graded), or all with each <= degree."""
    if total:
        idx = [a for a in itertools.product(range(degree + 1), repeat=dim) if sum(a) <= degree]
        idx.sort(key=lambda a: (sum(a), tuple(-v for v in a)))
    else:
        idx = list(itertools.product(range(degree + 1), repeat=dim))
    return np.asarray(idx, dtype=int).reshape(-1, dim)


def _per_axis(values: Array, exps: np.ndarray) -> Array:
    """Products over axes of 1-D basis values: values (N, d, p+1), exps (M, d) -> (N, M)."""
    d = exps.shape[1]
    out = values[:, 0, exps[:, 0]]
    for a in range(1, d):
        out = out * values[:, a, exps[:, a]]
    return out


class Monomials(AbstractDictionary):
    """x^α = Π_i x_i^{α_i} with |α| <= degree (graded order; includes the constant)."""

    d: int = eqx.field(static=True)
    degree: int = eqx.field(static=True)
    total: bool = eqx.field(static=True, default=True)

    def __check_init__(self):
        check_int("dim", self.d, 1)
        check_int("degree", self.degree, 0)

    @property
    def dim(self) -> int:
        return self.d

    @property
    def exponents(self) -> np.ndarray:
        return _multi_indices(self.d, self.degree, self.total)

    @property
    def size(self) -> int:
        return len(self.exponents)

    def evaluate(self, x):
        powers = x[:, :, None] ** jnp.arange(self.degree + 1)[None, None, :]
        return _per_axis(powers, self.exponents)


def legendre_values(u: Array, degree: int) -> Array:
    """Orthonormal Legendre polynomials √(2n+1) P_n(u) on [-1, 1] (w.r.t. du/2), n <= degree.

    Three-term recurrence (n+1) P_{n+1} = (2n+1) u P_n - n P_{n-1}; shape ``u.shape + (p+1,)``.
    """
    vals = [jnp.ones_like(u), u]
    for n in range(1, degree):
        vals.append(((2 * n + 1) * u * vals[n] - n * vals[n - 1]) / (n + 1))
    P = jnp.stack(vals[: degree + 1], axis=-1)
    return P * jnp.sqrt(2.0 * jnp.arange(degree + 1) + 1.0).reshape((1,) * u.ndim + (-1,))


def hermite_function_values(u: Array, degree: int) -> Array:
    """Hermite functions h_n(u) = (2^n n! √π)^{-1/2} H_n(u) e^{-u²/2}, orthonormal in L²(R).

    Stable recurrence h_{n+1} = √(2/(n+1)) u h_n - √(n/(n+1)) h_{n-1}; shape ``u.shape + (p+1,)``.
    """
    h0 = jnp.pi**-0.25 * jnp.exp(-0.5 * u * u)
    vals = [h0, math.sqrt(2.0) * u * h0]
    for n in range(1, degree):
        vals.append(math.sqrt(2.0 / (n + 1)) * u * vals[n] - math.sqrt(n / (n + 1)) * vals[n - 1])
    return jnp.stack(vals[: degree + 1], axis=-1)


def _vec(v: ArrayLike, dim: int | None) -> Array:
    """A per-coordinate parameter as a vector (broadcast to ``dim`` coordinates if given)."""
    v = jnp.atleast_1d(jnp.asarray(v, dtype=float))
    if dim is not None:
        dim = check_int("dim", dim, 1)
        if v.shape[0] not in (1, dim):
            raise ValueError(f"a per-coordinate parameter has {v.shape[0]} values for dim={dim}")
        v = jnp.broadcast_to(v, (dim,))
    return v


class Legendre(AbstractDictionary):
    """Products of orthonormal Legendre polynomials on the box [low, high]^d.

    Orthonormal w.r.t. the uniform probability measure of the box (so G = I for exact
    quadrature); total degree <= ``degree`` (or each degree <= ``degree`` if not ``total``).
    """

    low: Float[Array, " d"]
    high: Float[Array, " d"]
    degree: int = eqx.field(static=True)
    total: bool = eqx.field(static=True, default=True)

    def __init__(
        self, degree: int, low: ArrayLike = -1.0, high: ArrayLike = 1.0, total=True, dim=None
    ):
        self.degree = check_int("degree", degree, 0)
        self.low = _vec(low, dim)
        self.high = _vec(high, dim)
        self.total = bool(total)
        if self.low.shape != self.high.shape or self.low.ndim != 1:
            raise ValueError("low and high must be scalars or vectors of one length")
        if not np.all(np.asarray(self.high) > np.asarray(self.low)):
            raise ValueError(f"high must exceed low, got low={self.low}, high={self.high}")

    @property
    def dim(self) -> int:
        return int(self.low.shape[0])

    @property
    def size(self) -> int:
        return len(_multi_indices(self.dim, self.degree, self.total))

    def evaluate(self, x):
        u = 2.0 * (x - self.low[None, :]) / (self.high - self.low)[None, :] - 1.0
        return _per_axis(
            legendre_values(u, self.degree), _multi_indices(self.dim, self.degree, self.total)
        )


class Hermite(AbstractDictionary):
    """Products of Hermite functions h_n((x - centre)/scale), orthonormal-ish in L²(R^d)."""

    centre: Float[Array, " d"]
    scale: Float[Array, " d"]
    degree: int = eqx.field(static=True)
    total: bool = eqx.field(static=True, default=True)

    def __init__(
        self, degree: int, centre: ArrayLike = 0.0, scale: ArrayLike = 1.0, total=True, dim=None
    ):
        self.degree = check_int("degree", degree, 0)
        self.centre = _vec(centre, dim)
        self.scale = _vec(scale, dim)
        self.total = bool(total)
        if not np.all(np.asarray(self.scale) > 0):
            raise ValueError(f"scale must be positive, got {self.scale}")
        if self.centre.shape != self.scale.shape:
            self.centre, self.scale = jnp.broadcast_arrays(self.centre, self.scale)

    @property
    def dim(self) -> int:
        return int(self.centre.shape[0])

    @property
    def size(self) -> int:
        return len(_multi_indices(self.dim, self.degree, self.total))

    def evaluate(self, x):
        u = (x - self.centre[None, :]) / self.scale[None, :]
        vals = hermite_function_values(u, self.degree) / jnp.sqrt(self.scale)[None, :, None]
        return _per_axis(vals, _multi_indices(self.dim, self.degree, self.total))


class Fourier(AbstractDictionary):
    """exp(2πi k·x / period) for integer k with max |k_i| <= modes (complex)."""

    period: Float[Array, " d"]
    modes: int = eqx.field(static=True)

    def __init__(self, modes: int, period: ArrayLike = 2 * np.pi, dim: int | None = None):
        self.modes = check_int("modes", modes, 0)
        self.period = _vec(period, dim)
        if not np.all(np.asarray(self.period) > 0):
            raise ValueError(f"period must be positive, got {self.period}")

    @property
    def dim(self) -> int:
        return int(self.period.shape[0])

    @property
    def wavenumbers(self) -> np.ndarray:
        r = range(-self.modes, self.modes + 1)
        ks = np.asarray(list(itertools.product(r, repeat=self.dim)), dtype=float)
        order = np.lexsort((np.abs(ks).sum(1), np.abs(ks).max(1)))
        return ks[order].reshape(-1, self.dim)

    @property
    def size(self) -> int:
        return (2 * self.modes + 1) ** self.dim

    def evaluate(self, x):
        k = jnp.asarray(self.wavenumbers)
        return jnp.exp(2j * jnp.pi * (x / self.period[None, :]) @ k.T)


class RBF(AbstractDictionary):
    """Radial basis functions around ``centres``: Gaussian exp(-r²/(2 width²)) or thin-plate
    spline r² log r (the dictionary of Williams et al. 2015's Duffing example)."""

    centres: Float[Array, "M d"]
    width: Float[Array, ""]
    kind: str = eqx.field(static=True, default="gaussian")

    def __init__(self, centres: ArrayLike, width: float = 1.0, kind: str = "gaussian"):
        c = jnp.asarray(centres, dtype=float)
        self.centres = c[:, None] if c.ndim == 1 else c
        if self.centres.ndim != 2 or self.centres.shape[0] < 1:
            raise ValueError(f"centres must have shape (M, d), got {tuple(c.shape)}")
        self.width = jnp.asarray(width, dtype=float)
        if not float(self.width) > 0:
            raise ValueError(f"width must be positive, got {width!r}")
        if kind not in ("gaussian", "thin_plate"):
            raise ValueError(f"kind must be 'gaussian' or 'thin_plate', got {kind!r}")
        self.kind = kind

    @property
    def dim(self) -> int:
        return int(self.centres.shape[1])

    @property
    def size(self) -> int:
        return int(self.centres.shape[0])

    def evaluate(self, x):
        r2 = jnp.sum((x[:, None, :] - self.centres[None]) ** 2, axis=-1) / self.width**2
        if self.kind == "gaussian":
            return jnp.exp(-0.5 * r2)
        safe = jnp.where(r2 > 0, r2, 1.0)
        return jnp.where(r2 > 0, 0.5 * r2 * jnp.log(safe), 0.0)


class Custom(AbstractDictionary):
    """Any function ``fn(X (N, d)) -> (N, M)`` as a dictionary."""

    fn: Any = eqx.field(static=True)
    d: int = eqx.field(static=True)
    m: int = eqx.field(static=True)

    def __init__(self, fn, dim: int, size: int):
        if not callable(fn):
            raise TypeError(f"fn must be a function X -> (N, M), got {type(fn).__name__}")
        self.fn, self.d, self.m = fn, check_int("dim", dim, 1), check_int("size", size, 1)

    @property
    def dim(self) -> int:
        return self.d

    @property
    def size(self) -> int:
        return self.m

    def evaluate(self, x):
        out = self.fn(x)
        if out.shape != (x.shape[0], self.m):
            raise ValueError(
                f"Custom dictionary: fn returned shape {out.shape}, want {(x.shape[0], self.m)}"
            )
        return out


class Product(AbstractDictionary):
    """Tensor product: ψ_{(a,b,..)}(x) = Π_f ψ^f_{a_f}(x[coords_f]) over factor dictionaries."""

    factors: tuple[AbstractDictionary, ...]
    coords: tuple[tuple[int, ...], ...] = eqx.field(static=True)

    def __init__(self, *factors: AbstractDictionary, coords=None):
        self.factors = tuple(factors)
        if coords is None:
            start, cs = 0, []
            for f in factors:
                cs.append(tuple(range(start, start + f.dim)))
                start += f.dim
            coords = cs
        self.coords = tuple(tuple(int(i) for i in c) for c in coords)
        if len(self.coords) != len(self.factors):
            raise ValueError("coords must give one tuple of coordinates per factor")
        for f, c in zip(self.factors, self.coords, strict=True):
            if len(c) != f.dim:
                raise ValueError(f"coords {c} do not match a factor of dimension {f.dim}")

    @property
    def dim(self) -> int:
        return 1 + max(i for c in self.coords for i in c)

    @property
    def size(self) -> int:
        return int(np.prod([f.size for f in self.factors]))

    def evaluate(self, x):
        out = None
        for f, c in zip(self.factors, self.coords, strict=True):
            v = f.evaluate(x[:, list(c)])
            out = v if out is None else (out[:, :, None] * v[:, None, :]).reshape(x.shape[0], -1)
        return out


class Stack(AbstractDictionary):
    """The union of dictionaries on the same states: columns side by side."""

    parts: tuple[AbstractDictionary, ...]

    def __init__(self, *parts: AbstractDictionary):
        self.parts = tuple(parts)
        if len({p.dim for p in parts}) != 1:
            raise ValueError("Stack: every dictionary must take states of one dimension")

    @property
    def dim(self) -> int:
        return self.parts[0].dim

    @property
    def size(self) -> int:
        return sum(p.size for p in self.parts)

    def evaluate(self, x):
        vals = [p.evaluate(x) for p in self.parts]
        dtype = jnp.result_type(*vals)
        return jnp.concatenate([v.astype(dtype) for v in vals], axis=1)


# --------------------------------------------------------------------------- quadrature

RULES = ("monte_carlo", "trapezoid", "gauss")


def quadrature(
    rule: str,
    n: int,
    low: float = -1.0,
    high: float = 1.0,
    *,
    key: PRNGKeyArray | None = None,
    periodic: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights of an n-point rule on [low, high] (weights sum to high - low).

    * ``"monte_carlo"``: uniform random nodes (``key``), equal weights: error O(n^{-1/2}).
    * ``"trapezoid"``: equispaced nodes with end points, weights h (h/2 at the ends):
      O(n^{-2}) for smooth integrands; ``periodic=True`` drops the right end point
      (equal weights), spectrally accurate for smooth periodic integrands.
    * ``"gauss"``: Gauss-Legendre nodes and weights: exact for polynomials of degree
      2n - 1, geometric convergence for analytic integrands.
    """
    if rule not in RULES:
        raise ValueError(f"rule must be one of {RULES}, got {rule!r}")
    n = check_int("n", n, 1)
    lo, hi = float(low), float(high)
    if not hi > lo:
        raise ValueError(f"high must exceed low, got low={low}, high={high}")
    width = hi - lo
    if rule == "monte_carlo":
        key = jax.random.PRNGKey(0) if key is None else key
        nodes = lo + width * np.asarray(jax.random.uniform(key, (n,)), dtype=float)
        return nodes, np.full(n, width / n)
    if rule == "trapezoid":
        if periodic:
            return lo + width * np.arange(n) / n, np.full(n, width / n)
        if n < 2:
            raise ValueError("n must be >= 2 for the (non-periodic) trapezoid rule")
        nodes = np.linspace(lo, hi, n)
        w = np.full(n, width / (n - 1))
        w[[0, -1]] *= 0.5
        return nodes, w
    u, w = np.polynomial.legendre.leggauss(n)
    return lo + 0.5 * width * (u + 1.0), 0.5 * width * w


def tensor_quadrature(*rules: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Tensor product of 1-D rules ``(nodes, weights)``: nodes (N, d), weights (N,)."""
    grids = np.meshgrid(*[r[0] for r in rules], indexing="ij")
    ws = np.meshgrid(*[r[1] for r in rules], indexing="ij")
    nodes = np.stack([g.ravel() for g in grids], axis=1)
    return nodes, np.prod(np.stack([w.ravel() for w in ws], axis=1), axis=1)


# --------------------------------------------------------------------------- data


def snapshot_pairs(
    system: AbstractSystem,
    x0: ArrayLike,
    lag: float | None = None,
    *,
    t0: float = 0.0,
    key: PRNGKeyArray | None = None,
    args: Any = None,
    **options: Any,
) -> tuple[Array, Array]:
    """Pairs (x_j, F(x_j)) with F the time-``lag`` map of ``system`` (one step of a map).

    ``x0`` holds N initial states, shape ``(N, *state)``; each is run through
    :func:`jaxdyn.simulate` (vmapped) from ``t0`` to ``t0 + lag``. ``options`` go to
    ``simulate`` (``dt``, ``solver``, ``rtol``, ...). Returns ``(X, Y)``, each ``(N, d)``.
    """
    x0 = jnp.asarray(x0, dtype=jnp.result_type(float))
    if lag is None:
        if not isinstance(system, AbstractMap):
            raise ValueError("lag must be given for a flow (the time between snapshots)")
        lag = system.time_step()
    lag = float(lag)
    if not lag > 0:
        raise ValueError(f"lag must be positive, got {lag}")
    shape = jax.eval_shape(system.initial_state, jax.random.PRNGKey(0)).shape
    n = x0.shape[0]
    if x0.ndim == 0 or x0[0].size != math.prod(shape):
        raise ValueError(
            f"x0 must hold N states of {type(system).__name__} (shape (N, *{shape})), "
            f"got shape {tuple(x0.shape)}"
        )
    x0 = x0.reshape((n, *shape))
    keys = None if key is None else jax.random.split(key, n)

    def one(y, k):
        traj = simulate(system, t0 + lag, t0=t0, y0=y, key=k, args=args, **options)
        return traj.ys[-1]

    Y = jax.vmap(one)(x0, keys) if keys is not None else jax.vmap(lambda y: one(y, None))(x0)
    return x0.reshape(n, -1), Y.reshape(n, -1)


def trajectory_pairs(ys: ArrayLike, lag: int = 1, time_axis: int = -2) -> tuple[Array, Array]:
    """Pairs of states ``lag`` saves apart from trajectories ``ys``.

    ``ys`` has a time axis (``time_axis``, default the one before the state axis) and any
    number of member axes (seeds, grid points); e.g. ``traj.ys`` of shape (T, d) or a
    sweep's ``ds["y"].values`` of shape (..., seed, time, d). Returns ``(X, Y)`` of shape
    (members x (T - lag), d).
    """
    ys = jnp.asarray(ys)
    lag = check_int("lag", lag, 1)
    if ys.ndim == 1:
        ys = ys[:, None]
    ys = jnp.moveaxis(ys, time_axis, -2)
    if ys.shape[-2] <= lag:
        raise ValueError(f"lag={lag} needs more than {lag} saves, got {ys.shape[-2]}")
    d = ys.shape[-1]
    return ys[..., :-lag, :].reshape(-1, d), ys[..., lag:, :].reshape(-1, d)


def _check_data(X, Y, weights, dictionary):
    if not isinstance(dictionary, AbstractDictionary):
        raise TypeError(
            f"dictionary must be a jaxdyn.analysis.koopman dictionary, got {type(dictionary)}"
        )
    X, Y = jnp.asarray(X), jnp.asarray(Y)
    X = X[:, None] if X.ndim == 1 else X
    Y = Y[:, None] if Y.ndim == 1 else Y
    if X.ndim != 2 or Y.ndim != 2:
        raise ValueError(f"X and Y must be (N, d) arrays, got shapes {X.shape} and {Y.shape}")
    if X.shape != Y.shape:
        raise ValueError(
            f"X and Y must have the same shape (snapshot pairs), got {X.shape} and {Y.shape}"
        )
    n = X.shape[0]
    if weights is None:
        weights = jnp.full(n, 1.0 / n)
    weights = jnp.asarray(weights, dtype=jnp.result_type(float))
    if weights.shape != (n,):
        raise ValueError(f"weights must have shape ({n},) (one per snapshot), got {weights.shape}")
    if not isinstance(weights, jax.core.Tracer):
        w = np.asarray(weights)
        if not (np.all(np.isfinite(w)) and np.all(w >= 0) and w.sum() > 0):
            raise ValueError("weights must be finite, non-negative and not all zero")
    return X, Y, weights


def galerkin_matrices(
    X: ArrayLike, Y: ArrayLike, dictionary: AbstractDictionary, weights: ArrayLike | None = None
) -> tuple[Array, Array, Array]:
    """(G, A, L) = (Ψ_X^* W Ψ_X, Ψ_X^* W Ψ_Y, Ψ_Y^* W Ψ_Y) (default weights 1/N)."""
    X, Y, w = _check_data(X, Y, weights, dictionary)
    PX, PY = dictionary(X), dictionary(Y)
    G = PX.conj().T @ (w[:, None] * PX)
    A = PX.conj().T @ (w[:, None] * PY)
    L = PY.conj().T @ (w[:, None] * PY)
    return G, A, L


# --------------------------------------------------------------------------- EDMD / ResDMD


class KoopmanEDMD(eqx.Module):
    """EDMD of snapshot data with Residual-DMD diagnostics (see the module docstring).

    Attributes:
        R: the triangular factor [[R11, R12], [0, R22]] (2M x 2M) of W^{1/2}[Ψ_X Ψ_Y].
        K: the EDMD matrix G⁻¹A (M x M).
        eigvals: EDMD eigenvalues (M,), in order of increasing residual.
        eigvecs: coefficient vectors g (columns), normalised so that ||Ψ_X g||_W = 1.
        residuals: res(λ_k, g_k) of each eigenpair.
        dictionary: the dictionary.
    """

    R: Array
    K: Array
    eigvals: Complex[Array, " M"]
    eigvecs: Complex[Array, "M M"]
    residuals: Float[Array, " M"]
    dictionary: AbstractDictionary

    @property
    def size(self) -> int:
        return int(self.K.shape[0])

    def blocks(self) -> tuple[Array, Array, Array]:
        m = self.size
        return self.R[:m, :m], self.R[:m, m:], self.R[m:, m:]

    def galerkin(self) -> tuple[Array, Array, Array]:
        """(G, A, L) recovered from the factor (G includes any regularisation)."""
        R11, R12, R22 = self.blocks()
        H = lambda a: a.conj().T
        return H(R11) @ R11, H(R11) @ R12, H(R12) @ R12 + H(R22) @ R22

    def residual(self, lam: ArrayLike, g: ArrayLike) -> Array:
        """res(λ, g) = ||W^{1/2}(Ψ_Y - λΨ_X) g|| / ||W^{1/2}Ψ_X g|| (vectorised over λ, g)."""
        R11, R12, R22 = self.blocks()
        lam = jnp.asarray(lam)
        g = jnp.asarray(g)

        def one(lam, g):
            top = R12 @ g - lam * (R11 @ g)
            num = jnp.sqrt(jnp.sum(jnp.abs(top) ** 2) + jnp.sum(jnp.abs(R22 @ g) ** 2))
            return num / jnp.linalg.norm(R11 @ g)

        if lam.ndim == 0:
            return one(lam, g)
        return jax.vmap(one, in_axes=(0, 1))(lam, g)

    def pseudospectrum(self, z: ArrayLike, batch_size: int = 256) -> Float[Array, "..."]:
        """min_g res(z, g) at each point of ``z`` (any shape): σ_ε = {z: value < ε}."""
        R11, R12, R22 = self.blocks()
        m = self.size
        solve = lambda B: jax.scipy.linalg.solve_triangular(R11.T, B.T, lower=True).T
        B, C = solve(R12), solve(R22)  # R12 R11⁻¹, R22 R11⁻¹
        eye = jnp.eye(m, dtype=B.dtype)
        z = jnp.asarray(z)

        def smin(zz):
            S = jnp.concatenate([B - zz * eye, C], axis=0)
            return jnp.linalg.svd(S, compute_uv=False)[-1]

        flat = z.ravel().astype(jnp.result_type(B.dtype, jnp.complex64))
        out = jax.lax.map(smin, flat, batch_size=min(batch_size, flat.size))
        return out.reshape(z.shape)

    def verified(self, tol: float) -> tuple[Array, Array, Array]:
        """Eigenvalues with residual <= tol, their coefficient vectors and residuals."""
        keep = np.asarray(self.residuals) <= tol
        return self.eigvals[keep], self.eigvecs[:, keep], self.residuals[keep]

    def eigenfunctions(self, x: ArrayLike, which: ArrayLike | None = None) -> Array:
        """φ_k(x) = Ψ(x) g_k, shape (N, k)."""
        V = self.eigvecs if which is None else self.eigvecs[:, jnp.asarray(which)]
        return self.dictionary(x) @ V


def edmd(
    X: ArrayLike,
    Y: ArrayLike,
    dictionary: AbstractDictionary,
    *,
    weights: ArrayLike | None = None,
    reg: float = 0.0,
    rcond: float = 1e-12,
) -> KoopmanEDMD:
    """EDMD with ResDMD residuals from snapshot pairs Y_j = F(X_j).

    Args:
        X, Y: states, shape ``(N, d)`` (or ``(N,)`` for d = 1), one pair per row.
        dictionary: the observables ψ (an :class:`AbstractDictionary`).
        weights: quadrature weights w_j >= 0 (default 1/N: Monte Carlo / ergodic sampling).
        reg: Tikhonov regularisation G → G + reg I (default 0: none).
        rcond: a Gram matrix whose factor R11 has σ_min/σ_max below this is refused as
            singular (checked when the data are concrete).

    Returns:
        :class:`KoopmanEDMD` (eigenvalues sorted by residual).
    """
    X, Y, w = _check_data(X, Y, weights, dictionary)
    reg = float(reg)
    if not (np.isfinite(reg) and reg >= 0):
        raise ValueError(f"reg must be finite and >= 0, got {reg}")
    PX, PY = dictionary(X), dictionary(Y)
    dtype = jnp.result_type(PX.dtype, PY.dtype, float)
    sw = jnp.sqrt(w)[:, None]
    D = jnp.concatenate([sw * PX, sw * PY], axis=1).astype(dtype)
    m = PX.shape[1]
    if reg > 0:
        extra = jnp.concatenate([math.sqrt(reg) * jnp.eye(m), jnp.zeros((m, m))], axis=1)
        D = jnp.concatenate([D, extra.astype(dtype)], axis=0)
    R = jnp.linalg.qr(D, mode="r")
    if R.shape[0] < 2 * m:
        R = jnp.concatenate([R, jnp.zeros((2 * m - R.shape[0], 2 * m), dtype)], axis=0)
    R11, R12 = R[:m, :m], R[:m, m:]
    concrete = not isinstance(R, jax.core.Tracer)
    if concrete:
        s = np.linalg.svd(np.asarray(R11), compute_uv=False)
        ratio = s[-1] / s[0] if s[0] > 0 else 0.0
        if not ratio > rcond:
            raise ValueError(
                f"dictionary: the Gram matrix G = Ψ_X^* W Ψ_X is singular to working precision "
                f"(σ_min/σ_max of its square root = {ratio:.2e} <= rcond = {rcond:g}): the "
                f"{m} functions are linearly dependent on these {X.shape[0]} snapshots. Use "
                "fewer functions or more (or better spread) snapshots, or pass reg > 0 "
                "(Tikhonov regularisation)"
            )
    K = jax.scipy.linalg.solve_triangular(R11, R12)
    lam, V = jnp.linalg.eig(K)
    V = V / jnp.linalg.norm(R11.astype(V.dtype) @ V, axis=0, keepdims=True)
    out = KoopmanEDMD(
        R=R, K=K, eigvals=lam, eigvecs=V, residuals=jnp.zeros(m), dictionary=dictionary
    )
    res = out.residual(lam, V)
    order = jnp.argsort(res)
    return KoopmanEDMD(
        R=R,
        K=K,
        eigvals=lam[order],
        eigvecs=V[:, order],
        residuals=res[order],
        dictionary=dictionary,
    )


def unit_circle_distance(z: ArrayLike) -> Array:
    """| |z| - 1 |: a lower bound of every residual when the Koopman operator is an isometry
    (measure-preserving dynamics): ||(𝒦 - z)φ|| >= | ||𝒦φ|| - |z| ||φ|| | = | 1 - |z| | ||φ||."""
    return jnp.abs(jnp.abs(jnp.asarray(z)) - 1.0)


def match_eigenvalues(found: ArrayLike, expected: ArrayLike) -> np.ndarray:
    """For each expected eigenvalue, the distance to the nearest found one."""
    f = np.asarray(found).ravel()
    e = np.asarray(expected).ravel()
    if f.size == 0:
        return np.full(e.shape, np.inf)
    return np.min(np.abs(e[:, None] - f[None, :]), axis=1)


__all__ = [
    "RBF",
    "RULES",
    "AbstractDictionary",
    "Custom",
    "Fourier",
    "Hermite",
    "KoopmanEDMD",
    "Legendre",
    "Monomials",
    "Product",
    "Stack",
    "edmd",
    "galerkin_matrices",
    "hermite_function_values",
    "legendre_values",
    "match_eigenvalues",
    "quadrature",
    "snapshot_pairs",
    "tensor_quadrature",
    "trajectory_pairs",
    "unit_circle_distance",
]
