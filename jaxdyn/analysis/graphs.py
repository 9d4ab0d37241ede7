"""Graph Laplacians and their spectra, for diffusively coupled networks.

A network of n nodes with symmetric non-negative weights A_ij (A_ii = 0) has the
(combinatorial) Laplacian L = D - A, D = diag(Σ_j A_ij), so that the diffusive coupling
Σ_j A_ij (x_j - x_i) = -(L x)_i. L is symmetric positive semi-definite with L 1 = 0; its
eigenvalues 0 = λ_0 ≤ λ_1 ≤ ... ≤ λ_{n-1} are real, λ_1 > 0 iff the graph is connected
(λ_1 is Fiedler's *algebraic connectivity*, M. Fiedler, Czech. Math. J. 23, 298 (1973)).

Closed-form spectra (used by the tests):

* ring C_n:     λ_m = 2 - 2 cos(2π m / n), m = 0..n-1;
* complete K_n: 0 and n (multiplicity n-1);
* star S_n:     0, 1 (multiplicity n-2) and n.

Random graphs are drawn from explicit ``jax.random`` keys: Erdős–Rényi G(n, p) and random
d-regular graphs (pairing/configuration model with rejection of loops and multi-edges),
each redrawn with ``fold_in(key, attempt)`` until connected when ``connected=True``.
The graphs are small structural inputs built once on the host, so they are NumPy arrays.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float, PRNGKeyArray

from ..core import check_int

GRAPHS = ("ring", "complete", "star", "path", "erdos_renyi", "regular")


def laplacian_from_adjacency(adjacency: ArrayLike) -> np.ndarray:
    """L = D - A for a symmetric, non-negative weight matrix with zero diagonal."""
    a = np.asarray(adjacency, dtype=float)
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise ValueError(f"adjacency must be a square matrix, got shape {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValueError("adjacency must be finite")
    if np.any(a < 0):
        raise ValueError("adjacency weights must be non-negative")
    if not np.allclose(a, a.T):
        raise ValueError("adjacency must be symmetric (undirected graph)")
    if np.any(np.diag(a) != 0):
        raise ValueError("adjacency must have a zero diagonal (no self-loops)")
    return np.diag(a.sum(axis=1)) - a


def check_laplacian(laplacian: ArrayLike, name: str = "laplacian") -> np.ndarray:
    """Validate a graph Laplacian: square, finite, symmetric, off-diagonal ≤ 0, rows sum to 0.

    Returns it as a float NumPy array; raises ``ValueError`` naming ``name`` otherwise.
    """
    lap = np.asarray(laplacian, dtype=float)
    if lap.ndim != 2 or lap.shape[0] != lap.shape[1] or lap.shape[0] < 1:
        raise ValueError(f"{name} must be a square (n, n) matrix, got shape {lap.shape}")
    if not np.all(np.isfinite(lap)):
        raise ValueError(f"{name} must be finite")
    scale = max(1.0, float(np.max(np.abs(lap))))
    tol = 1e-8 * scale
    asym = float(np.max(np.abs(lap - lap.T)))
    if asym > tol:
        raise ValueError(f"{name} must be symmetric (max |L - Lᵀ| = {asym:.3g})")
    off = lap - np.diag(np.diag(lap))
    if np.any(off > tol):
        raise ValueError(
            f"{name} must have non-positive off-diagonal entries (L = D - A with A ≥ 0), "
            f"got max {float(off.max()):.3g}"
        )
    rows = float(np.max(np.abs(lap.sum(axis=1))))
    if rows > tol * lap.shape[0]:
        raise ValueError(f"{name} rows must sum to zero (L 1 = 0), got max |row sum| {rows:.3g}")
    return lap


def laplacian_spectrum(
    laplacian: ArrayLike,
) -> tuple[Float[Array, " n"], Float[Array, "n n"]]:
    """Eigenvalues (ascending) and orthonormal eigenvectors (columns) of a Laplacian.

    Differentiable and traceable (``jnp.linalg.eigh``); tiny negative round-off of λ_0 is
    clipped to zero.
    """
    lam, vec = jnp.linalg.eigh(jnp.asarray(laplacian))
    return jnp.maximum(lam, 0.0), vec


def algebraic_connectivity(laplacian: ArrayLike) -> Array:
    """λ_1, the second-smallest Laplacian eigenvalue (0 iff the graph is disconnected)."""
    return laplacian_spectrum(laplacian)[0][1]


def is_connected(laplacian: ArrayLike) -> bool:
    """Whether the graph of a Laplacian is connected (breadth-first search on L_ij ≠ 0)."""
    lap = np.asarray(laplacian)
    n = lap.shape[0]
    adj = (lap != 0) & ~np.eye(n, dtype=bool)
    seen = np.zeros(n, dtype=bool)
    seen[0] = True
    frontier = [0]
    while frontier:
        nxt = np.nonzero(adj[frontier].any(axis=0) & ~seen)[0]
        seen[nxt] = True
        frontier = list(nxt)
    return bool(seen.all())


def ring_laplacian(n: int) -> np.ndarray:
    """Cycle C_n: each node coupled to its two neighbours (n ≥ 3)."""
    n = check_int("n", n, 3)
    a = np.zeros((n, n))
    i = np.arange(n)
    a[i, (i + 1) % n] = a[(i + 1) % n, i] = 1.0
    return laplacian_from_adjacency(a)


def path_laplacian(n: int) -> np.ndarray:
    """Path P_n (open chain), n ≥ 2."""
    n = check_int("n", n, 2)
    a = np.zeros((n, n))
    i = np.arange(n - 1)
    a[i, i + 1] = a[i + 1, i] = 1.0
    return laplacian_from_adjacency(a)


def complete_laplacian(n: int) -> np.ndarray:
    """Complete graph K_n (all-to-all coupling), n ≥ 2: L = n I - 1 1ᵀ."""
    n = check_int("n", n, 2)
    return laplacian_from_adjacency(np.ones((n, n)) - np.eye(n))


def star_laplacian(n: int) -> np.ndarray:
    """Star S_n: node 0 (the hub) coupled to the n - 1 leaves, n ≥ 3."""
    n = check_int("n", n, 3)
    a = np.zeros((n, n))
    a[0, 1:] = a[1:, 0] = 1.0
    return laplacian_from_adjacency(a)


def erdos_renyi_laplacian(
    key: PRNGKeyArray, n: int, p: float, *, connected: bool = True, max_tries: int = 1000
) -> np.ndarray:
    """Erdős–Rényi G(n, p): each of the n(n-1)/2 edges present independently with prob. p.

    With ``connected=True`` the graph is redrawn (keys ``fold_in(key, attempt)``) until
    connected, i.e. G(n, p) conditioned on connectivity.
    """
    n = check_int("n", n, 2)
    if not 0.0 < float(p) <= 1.0:
        raise ValueError(f"p must lie in (0, 1], got {p}")
    iu = np.triu_indices(n, 1)
    for attempt in range(max_tries):
        edges = np.asarray(jax.random.bernoulli(jax.random.fold_in(key, attempt), p, (len(iu[0]),)))
        a = np.zeros((n, n))
        a[iu] = edges
        lap = laplacian_from_adjacency(a + a.T)
        if not connected or is_connected(lap):
            return lap
    raise ValueError(f"no connected G(n={n}, p={p}) in {max_tries} draws: increase p")


def random_regular_laplacian(
    key: PRNGKeyArray, n: int, degree: int, *, connected: bool = True, max_tries: int = 1000
) -> np.ndarray:
    """Uniform random ``degree``-regular simple graph (pairing model with rejection)."""
    n = check_int("n", n, 2)
    degree = check_int("degree", degree, 1, n - 1)
    if (n * degree) % 2:
        raise ValueError(f"n * degree must be even for a regular graph, got n={n}, degree={degree}")
    stubs = np.repeat(np.arange(n), degree)
    for attempt in range(max_tries):
        perm = np.asarray(jax.random.permutation(jax.random.fold_in(key, attempt), stubs.size))
        pairs = stubs[perm].reshape(-1, 2)
        if np.any(pairs[:, 0] == pairs[:, 1]):
            continue  # self-loop
        a = np.zeros((n, n))
        np.add.at(a, (pairs[:, 0], pairs[:, 1]), 1.0)
        np.add.at(a, (pairs[:, 1], pairs[:, 0]), 1.0)
        if np.any(a > 1):
            continue  # multi-edge
        lap = laplacian_from_adjacency(a)
        if not connected or is_connected(lap):
            return lap
    raise ValueError(
        f"no simple connected {degree}-regular graph on {n} nodes in {max_tries} draws"
    )


def graph_laplacian(name: str, n: int, *, key: PRNGKeyArray | None = None, **kw) -> np.ndarray:
    """Laplacian of a named graph: one of ``GRAPHS``.

    ``erdos_renyi`` takes ``p`` (default 2 log(n)/n, safely above the connectivity
    threshold log(n)/n) and ``regular`` takes ``degree`` (default 3); both need ``key``.
    """
    builders: dict[str, Callable[..., np.ndarray]] = {
        "ring": ring_laplacian,
        "complete": complete_laplacian,
        "star": star_laplacian,
        "path": path_laplacian,
    }
    if name in builders:
        if kw:
            raise ValueError(f"graph {name!r} takes no options, got {sorted(kw)}")
        return builders[name](n)
    if name in ("erdos_renyi", "regular"):
        if key is None:
            raise ValueError(f"graph {name!r} is random: pass key=")
        if name == "erdos_renyi":
            return erdos_renyi_laplacian(key, n, kw.pop("p", min(1.0, 2 * np.log(n) / n)), **kw)
        return random_regular_laplacian(key, n, kw.pop("degree", 3), **kw)
    raise ValueError(f"unknown graph {name!r}; choose one of {', '.join(GRAPHS)}")


__all__ = [
    "GRAPHS",
    "algebraic_connectivity",
    "check_laplacian",
    "complete_laplacian",
    "erdos_renyi_laplacian",
    "graph_laplacian",
    "is_connected",
    "laplacian_from_adjacency",
    "laplacian_spectrum",
    "path_laplacian",
    "random_regular_laplacian",
    "ring_laplacian",
    "star_laplacian",
]
