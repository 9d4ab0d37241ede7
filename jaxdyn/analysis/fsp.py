"""The chemical master equation by finite state projection (FSP).

The CME of a reaction network with propensities a_j and changes ν_j is

    dP(x, t)/dt = Σ_j [a_j(x - ν_j) P(x - ν_j, t) - a_j(x) P(x, t)].

FSP (B. Munsky and M. Khammash, J. Chem. Phys. 124, 044104 (2006)) keeps the states of a
box 0 <= x_i <= N_i. In the *transient* projection every jump that would leave the box is
lost: the truncated P stays a lower bound of the true one and the probability that has
left, ε(t) = 1 - Σ_box P(x, t), is exactly the L1 error of the projection (their
Theorem 2.2). :class:`FSP` is this linear ODE as a System, so ``jaxdyn.simulate``
integrates it (jit, vmap and gradients with respect to the rate constants come for free)
and :meth:`FSP.transient` checks ε against a tolerance.

The *stationary* law (:meth:`FSP.stationary`) is the null vector of the generator with
the jumps out of the box suppressed (a reflecting box), solved by a sparse LU
factorisation with one equation replaced by the normalisation. Its truncation error is
reported as the stationary probability that the next jump would have left the box,
ε_s = Σ_x P(x) a_out(x) / a_0(x) (B. Munsky and M. Khammash 2006; A. Gupta, J. Mikelson
and M. Khammash, J. Chem. Phys. 147, 154101 (2017) bound the error by such outflows), and
a box with ε_s above the tolerance is refused.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, ClassVar

import diffrax as dfx
import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from jaxtyping import Array, Float

from ..core import AbstractODE, simulate
from ..systems.reaction_network import AbstractReactionNetwork

#: the largest box (number of states) an FSP may have
MAX_STATES = 4_000_000


@dataclasses.dataclass(frozen=True)
class Stationary:
    """A stationary law on the box: ``p`` (box-shaped), its truncation error ``lost``,
    and the marginal means and covariance of the counts."""

    p: np.ndarray
    lost: float
    mean: np.ndarray
    covariance: np.ndarray

    @property
    def variance(self) -> np.ndarray:
        return np.diag(self.covariance)


def _shift(arr: Array, nu: np.ndarray) -> Array:
    """out[x + ν] = arr[x], zero where x + ν has no preimage in the box (static ν)."""
    out = arr
    for axis, d in enumerate(int(v) for v in nu):
        if d == 0:
            continue
        n = out.shape[axis]
        if abs(d) >= n:
            return jnp.zeros_like(arr)
        pad = [(0, 0)] * out.ndim
        if d > 0:
            kept = jax.lax.slice_in_dim(out, 0, n - d, axis=axis)
            pad[axis] = (d, 0)
        else:
            kept = jax.lax.slice_in_dim(out, -d, n, axis=axis)
            pad[axis] = (0, -d)
        out = jnp.pad(kept, pad)
    return out


class FSP(AbstractODE):
    """The CME of ``network`` on the box 0 <= x_i <= max_counts[i], as an ODE for P.

    The state is the probability array of shape ``tuple(N_i + 1)`` (axis i: count of
    species i). Probability that jumps out of the box is lost (see the module doc).

    Args:
        network: any reaction network (mass action or custom propensities).
        max_counts: the box, one bound N_i >= 1 per species.
    """

    network: AbstractReactionNetwork
    max_counts: tuple[int, ...] = eqx.field(static=True)

    name: ClassVar[str] = "fsp"
    reference: ClassVar[str] = (
        "B. Munsky and M. Khammash, 'The finite state projection algorithm for the solution "
        "of the chemical master equation', J. Chem. Phys. 124, 044104 (2006)"
    )

    def __init__(self, network: AbstractReactionNetwork, max_counts):
        if not isinstance(network, AbstractReactionNetwork):
            raise TypeError(f"network must be a reaction network, got {type(network).__name__}")
        n = len(network.species)
        counts = (max_counts,) if isinstance(max_counts, int | np.integer) else tuple(max_counts)
        if len(counts) != n or not all(
            isinstance(c, int | np.integer) and not isinstance(c, bool) and c >= 1 for c in counts
        ):
            raise ValueError(
                f"max_counts must hold one integer bound >= 1 per species ({n}), got {max_counts!r}"
            )
        size = math.prod(int(c) + 1 for c in counts)
        if size > MAX_STATES:
            raise ValueError(
                f"max_counts={tuple(int(c) for c in counts)} gives {size} states, more than "
                f"the {MAX_STATES} an FSP may have"
            )
        self.network = network
        self.max_counts = tuple(int(c) for c in counts)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(c + 1 for c in self.max_counts)

    def states(self) -> np.ndarray:
        """The counts of every state, shape ``(*box, n)``."""
        axes = np.meshgrid(*[np.arange(s) for s in self.shape], indexing="ij")
        return np.stack(axes, axis=-1)

    def propensity_grid(self) -> Float[Array, "R ..."]:
        """a_j on every state of the box, shape ``(R, *box)``."""
        flat = jnp.asarray(self.states().reshape(-1, len(self.shape)), dtype=float)
        a = jax.vmap(lambda x: self.network.propensities(None, x))(flat)
        return jnp.reshape(a.T, (-1, *self.shape))

    def _leaves(self) -> np.ndarray:
        """(R, *box) booleans: reaction j from state x would leave the box."""
        x = self.states()
        nu = self.network.stoichiometry()
        out = []
        for v in nu:
            y = x + v
            out.append(np.any((y < 0) | (y > np.asarray(self.max_counts)), axis=-1))
        return np.stack(out)

    def drift(self, t, y, args=None):
        a = self.propensity_grid()
        flux = a * y[None]
        gain = sum(_shift(flux[j], nu) for j, nu in enumerate(self.network.stoichiometry()))
        return gain - jnp.sum(flux, axis=0)

    def initial_state(self, key=None) -> Array:
        """A point mass at the network's initial counts (which must lie in the box)."""
        x0 = jnp.asarray(self.network.initial_state(key))
        grid = jnp.asarray(self.states())
        return jnp.all(grid == jnp.reshape(x0, (1,) * len(self.shape) + (-1,)), axis=-1).astype(
            float
        )

    # ------------------------------------------------------------------ summaries
    def lost(self, p: Array) -> Array:
        """ε = 1 - Σ P: probability that has left the box (transient projection)."""
        return 1.0 - jnp.sum(p)

    def mean(self, p: Array) -> Array:
        """E[x_i] under the (box-normalised) law ``p``."""
        x = jnp.asarray(self.states(), dtype=float)
        w = p / jnp.sum(p)
        return jnp.tensordot(w, x, axes=w.ndim)

    def covariance(self, p: Array) -> Array:
        """Cov[x_i, x_k] under the (box-normalised) law ``p``."""
        x = jnp.asarray(self.states(), dtype=float)
        w = p / jnp.sum(p)
        m = jnp.tensordot(w, x, axes=w.ndim)
        d = x - jnp.reshape(m, (1,) * w.ndim + (-1,))
        return jnp.einsum("...i,...k,...->ik", d, d, w)

    def summary(self, t, p) -> dict[str, Array]:
        """An observable for ``simulate``: mean, covariance and lost probability."""
        return {"mean": self.mean(p), "covariance": self.covariance(p), "lost": self.lost(p)}

    def marginal(self, p: Array, species: int) -> Array:
        """P(x_species = k), k = 0..N."""
        axes = tuple(i for i in range(p.ndim) if i != species)
        return jnp.sum(p, axis=axes)

    # ------------------------------------------------------------------ solutions
    def transient(
        self, ts, *, tol: float = 1e-6, y0=None, **options: Any
    ) -> tuple[np.ndarray, np.ndarray]:
        """P at the save times ``ts`` (integrated by :func:`jaxdyn.simulate`) and ε(ts).

        The default solver is Kvaerno5 (implicit, dense Jacobian: boxes up to a few
        thousand states); pass ``solver=`` for larger ones. Raises ``ValueError``
        naming ``max_counts`` when the lost probability exceeds ``tol`` at any save
        time. ``options`` go to ``simulate`` (solver, rtol, ...).
        """
        _check_tol(tol)
        ts = np.asarray(ts, dtype=float)
        t1 = float(ts[-1])
        options.setdefault("rtol", 1e-8)
        options.setdefault("atol", 1e-12)
        # The CME is stiff (rates grow with the counts at the box's far edge): an
        # L-stable implicit solver with the dense Jacobian of the (small) box.
        options.setdefault("solver", dfx.Kvaerno5())
        traj = simulate(self, t1 if t1 > 0 else 1e-12, ts=ts, y0=y0, **options)
        if int(traj.status) != 0:
            raise RuntimeError(f"FSP: the CME solve failed (status {int(traj.status)})")
        p = np.asarray(traj.ys)
        lost = 1.0 - p.reshape(len(ts), -1).sum(axis=1)
        if np.max(lost) > tol:
            raise ValueError(
                f"max_counts={self.max_counts} is too small: the FSP lost probability "
                f"{np.max(lost):.3g} exceeds tol={tol:g}; enlarge the box"
            )
        return p, lost

    def generator(self, *, reflecting: bool = False) -> sp.csr_matrix:
        """The truncated generator A (dp/dt = A p on the flattened box), SciPy sparse.

        With ``reflecting``, jumps out of the box are suppressed (columns sum to 0);
        otherwise they are lost (columns sum to minus the outflow).
        """
        a = np.asarray(self.propensity_grid(), dtype=float)
        leaves = self._leaves()
        size = math.prod(self.shape)
        index = np.arange(size).reshape(self.shape)
        rows, cols, vals = [], [], []
        diag = np.zeros(self.shape)
        for j, nu in enumerate(self.network.stoichiometry()):
            aj = a[j]
            stay = ~leaves[j] & (aj > 0)
            src = index[stay]
            dst_states = self.states()[stay] + nu
            dst = np.ravel_multi_index(tuple(dst_states.T), self.shape)
            rows.append(dst)
            cols.append(src)
            vals.append(aj[stay])
            diag -= np.where(reflecting & leaves[j], 0.0, aj)
        rows.append(index.ravel())
        cols.append(index.ravel())
        vals.append(diag.ravel())
        return sp.csr_matrix(
            (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
            shape=(size, size),
        )

    def stationary(self, *, tol: float = 1e-6) -> Stationary:
        """The stationary law of the reflecting box and its truncation error ε_s.

        Raises ``ValueError`` naming ``max_counts`` when ε_s exceeds ``tol`` (the box is
        too small), and ``RuntimeError`` when the truncated chain has no unique
        stationary law (it is not irreducible).
        """
        _check_tol(tol)
        a_mat = self.generator(reflecting=True).tolil()
        size = a_mat.shape[0]
        # Columns of a generator sum to zero: one equation is redundant; normalise instead.
        pivot = size // 2
        a_mat[pivot, :] = np.ones(size)
        rhs = np.zeros(size)
        rhs[pivot] = 1.0
        with np.errstate(all="ignore"):
            p = spla.spsolve(a_mat.tocsc(), rhs)
        if not np.all(np.isfinite(p)) or abs(p.sum() - 1.0) > 1e-6:
            raise RuntimeError("FSP.stationary: the truncated chain has no unique stationary law")
        p = np.clip(p, 0.0, None)
        p = (p / p.sum()).reshape(self.shape)
        a = np.asarray(self.propensity_grid(), dtype=float)
        a0 = a.sum(axis=0)
        out = np.where(self._leaves(), a, 0.0).sum(axis=0)
        lost = float(np.sum(p * np.divide(out, a0, out=np.zeros_like(a0), where=a0 > 0)))
        if lost > tol:
            raise ValueError(
                f"max_counts={self.max_counts} is too small: the stationary probability of "
                f"leaving the box is {lost:.3g} > tol={tol:g}; enlarge the box"
            )
        mean = np.asarray(self.mean(jnp.asarray(p)))
        cov = np.asarray(self.covariance(jnp.asarray(p)))
        return Stationary(p=p, lost=lost, mean=mean, covariance=cov)


def _check_tol(tol: float) -> None:
    if not (isinstance(tol, int | float) and 0 < float(tol) < 1):
        raise ValueError(f"tol must lie in (0, 1), got {tol!r}")


__all__ = ["FSP", "MAX_STATES", "Stationary"]
