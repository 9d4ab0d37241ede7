"""A small machine-learned interatomic potential (MLIP): radial symmetry functions, one
atomic network per species, energy and forces, trained on energies and forces.

Model (a Behler-Parrinello network with radial descriptors only: J. Behler and M.
Parrinello, Phys. Rev. Lett. 98, 146401 (2007); J. Behler, J. Chem. Phys. 134, 074106
(2011)). For atom i of species z_i, the descriptor holds, for every neighbour species s and
every Gaussian centre μ_k,

    G_i[s, k] = Σ_{j ≠ i, z_j = s} exp(-η (r_ij - μ_k)²) f_c(r_ij),
    f_c(r) = ½ (cos(π r / r_c) + 1) for r < r_c, 0 beyond,

with minimum-image distances r_ij in the periodic box and centres μ_k evenly spaced on
[r_min, r_c] (η = 1/(2 Δμ²)). The smooth cut-off makes E and F continuous as neighbours
cross r_c. The energy is a sum of atomic energies

    E(R) = Σ_i [e_{z_i} + s · NN_{z_i}((G_i - m) / w)],    F_i = -∂E/∂r_i  (jax.grad),

so E is invariant under translations, rotations and permutations of like atoms, and the
forces are conservative by construction. m, w (descriptor mean and spread), e_z (atomic
reference energies) and s (energy scale) are fixed from the training data by
:meth:`RadialMLIP.normalised` and held constant in training (``stop_gradient``).

Loss (the usual MLIP objective; e.g. NequIP, MACE): over a batch of configurations,

    L = w_E ⟨((E_pred - E)/N)²⟩ / e_ref² + w_F ⟨|F_pred - F|²⟩ / (d f_ref²),

energies per atom and force components, each made dimensionless by reference scales.

Curation (:func:`curate`): a configuration is kept when its largest atomic force is at
most a threshold, max_i |F_i| ≤ F_max; high-temperature data sets are filtered this way
to drop near-collisions whose forces dwarf the rest (AQVolt26, paper 20, curates its
high-temperature r²SCAN data by such force criteria).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Bool, Float, Int, PRNGKeyArray

from ..core import check_int, check_positive
from ..systems.lennard_jones import pair_distances


class RadialMLIP(eqx.Module):
    """E(R) from radial symmetry functions and one MLP per species (module docstring).

    Call ``model(positions, species, box)`` for the energy (a scalar);
    :meth:`energy_and_forces` returns (E, F). ``positions`` has shape (N, d), ``species``
    integer labels in [0, n_species), ``box`` the side of the periodic square (cubic) box.
    """

    networks: eqx.nn.MLP  # stacked over species (leading axis n_species)
    linear: Float[Array, "s f"]
    centers: Float[Array, " k"]
    feature_mean: Float[Array, " f"]
    feature_std: Float[Array, " f"]
    energy_offset: Float[Array, " s"]
    energy_scale: Float[Array, ""]
    eta: Float[Array, " k"]
    cutoff: float = eqx.field(static=True)
    n_species: int = eqx.field(static=True)

    def __init__(
        self,
        *,
        key: PRNGKeyArray,
        n_species: int = 2,
        n_radial: int = 16,
        r_min: float = 0.6,
        cutoff: float = 2.5,
        width: int = 32,
        depth: int = 2,
    ):
        self.n_species = check_int("n_species", n_species, 1, 16)
        n_radial = check_int("n_radial", n_radial, 2, 256)
        check_int("width", width, 1, 4096)
        check_int("depth", depth, 1, 16)
        r_min = check_positive("r_min", r_min)
        self.cutoff = check_positive("cutoff", cutoff)
        if not r_min < cutoff:
            raise ValueError(f"r_min must be below cutoff ({cutoff}), got {r_min}")
        centers = np.geomspace(r_min, cutoff, n_radial)
        spacing = np.gradient(centers)
        self.eta = jnp.asarray(1.0 / (2.0 * spacing**2))
        self.centers = jnp.asarray(centers)
        n_feat = self.n_species * n_radial
        keys = jax.random.split(key, self.n_species)
        make = lambda k: eqx.nn.MLP(n_feat, "scalar", width, depth, activation=jnp.tanh, key=k)
        nets = eqx.filter_vmap(make)(keys)
        # The output layer starts at zero: the untrained model predicts the reference
        # energies e_z and no forces, instead of an arbitrary multiple of the energy scale.
        last = lambda n: (n.layers[-1].weight, n.layers[-1].bias)
        self.networks = eqx.tree_at(last, nets, tuple(jnp.zeros_like(a) for a in last(nets)))
        self.linear = jnp.zeros((self.n_species, n_feat))
        self.feature_mean = jnp.zeros(n_feat)
        self.feature_std = jnp.ones(n_feat)
        self.energy_offset = jnp.zeros(self.n_species)
        self.energy_scale = jnp.asarray(1.0)

    @property
    def range(self) -> float:
        """Interaction range (the descriptor cut-off): must be below half the box."""
        return self.cutoff

    @property
    def n_features(self) -> int:
        return self.feature_mean.shape[0]

    def descriptors(
        self, positions: Float[Array, "n d"], species: Int[Array, " n"], box: Any
    ) -> Float[Array, "n f"]:
        """G_i[s, k] flattened to (N, n_species * n_radial) (module docstring)."""
        r, distinct = pair_distances(positions, box)
        inside = distinct & (r < self.cutoff)
        fc = jnp.where(inside, 0.5 * (jnp.cos(jnp.pi * r / self.cutoff) + 1.0), 0.0)
        centers = jax.lax.stop_gradient(self.centers).astype(r.dtype)
        eta = jax.lax.stop_gradient(self.eta).astype(r.dtype)[None, None, :]
        g = jnp.exp(-eta * (r[:, :, None] - centers[None, None, :]) ** 2) * fc[:, :, None]
        onehot = jax.nn.one_hot(species, self.n_species, dtype=r.dtype)
        feats = jnp.einsum("ijk,js->isk", g, onehot)
        return feats.reshape(positions.shape[0], -1)

    def atomic_energies(
        self, positions: Float[Array, "n d"], species: Int[Array, " n"], box: Any
    ) -> Float[Array, " n"]:
        """e_{z_i} + s NN_{z_i}(x_i) for every atom."""
        mean = jax.lax.stop_gradient(self.feature_mean)
        std = jax.lax.stop_gradient(self.feature_std)
        x = (self.descriptors(positions, species, box) - mean[None, :]) / std[None, :]
        out = eqx.filter_vmap(lambda net: jax.vmap(net)(x))(self.networks)  # (S, N)
        onehot = jax.nn.one_hot(species, self.n_species, dtype=x.dtype)
        nn = jnp.sum(out.T * onehot, axis=1) + jnp.sum(x * (onehot @ self.linear), axis=1)
        offset = jax.lax.stop_gradient(self.energy_offset)[species]
        return offset + jax.lax.stop_gradient(self.energy_scale) * nn

    def __call__(
        self, positions: Float[Array, "n d"], species: Int[Array, " n"], box: Any
    ) -> Float[Array, ""]:
        return jnp.sum(self.atomic_energies(positions, species, box))

    def energy_and_forces(self, positions, species, box):
        """(E, F) with F = -∂E/∂R."""
        e, g = jax.value_and_grad(self)(positions, species, box)
        return e, -g

    def normalised(
        self,
        positions: Float[Array, "b n d"],
        species: Int[Array, " n"],
        box: Any,
        energies: Float[Array, " b"],
        forces: Float[Array, "b n d"],
        std_floor: float = 0.05,
    ) -> RadialMLIP:
        """A copy whose fixed constants come from a data set: descriptor mean and spread
        (the spread floored at ``std_floor``), atomic offsets e_z from a least-squares fit of
        E to the species counts (one offset if the composition never varies) and the energy
        scale s = the RMS force component (an atomic network of unit output then carries
        forces of the data's size)."""
        feats = jax.vmap(lambda p: self.descriptors(p, species, box))(positions)
        feats = np.asarray(feats).reshape(-1, self.n_features)
        mean = feats.mean(0)
        std = np.maximum(feats.std(0), std_floor)
        counts = np.bincount(np.asarray(species), minlength=self.n_species).astype(float)
        e = np.asarray(energies, float)
        # Fixed composition: E ≈ Σ_z n_z e_z is fitted by one common per-atom offset.
        offset = np.full(self.n_species, e.mean() / counts.sum())
        scale = float(np.sqrt(np.mean(np.asarray(forces, float) ** 2)))
        dtype = self.centers.dtype
        return eqx.tree_at(
            lambda m: (m.feature_mean, m.feature_std, m.energy_offset, m.energy_scale),
            self,
            (
                jnp.asarray(mean, dtype),
                jnp.asarray(std, dtype),
                jnp.asarray(offset, dtype),
                jnp.asarray(scale, dtype),
            ),
        )


# ---------------------------------------------------------------------------- data, loss


def curate(forces: Float[Array, "b n d"], threshold: float) -> Bool[np.ndarray, " b"]:
    """Mask of the configurations to keep: max_i |F_i| ≤ ``threshold`` (> 0; ``inf``
    keeps everything)."""
    if isinstance(threshold, bool) or not isinstance(threshold, int | float | np.number):
        raise TypeError(f"threshold must be a number, got {type(threshold).__name__}")
    if math.isnan(threshold) or not threshold > 0:
        raise ValueError(f"threshold must be > 0 (force units; inf keeps all), got {threshold!r}")
    f = np.asarray(forces)
    if f.ndim != 3:
        raise ValueError(f"forces must have shape (configs, atoms, dim), got {f.shape}")
    return max_force(f) <= threshold


def max_force(forces: Float[Array, "b n d"]) -> np.ndarray:
    """The largest atomic force magnitude max_i |F_i| of each configuration."""
    return np.max(np.linalg.norm(np.asarray(forces), axis=-1), axis=-1)


@dataclasses.dataclass(frozen=True)
class EnergyForceLoss:
    """L = w_E ⟨(ΔE/N)²⟩/e_ref² + w_F ⟨|ΔF|²⟩/(d f_ref²) on a batch ``{positions,
    energies, forces}`` (module docstring).

    Hashable (plain numbers and tuples), so that :func:`jaxdyn.models.train` compiles its
    step once for every model trained with an equal loss."""

    species: tuple[int, ...]
    box: float
    energy_ref: float = 1.0
    force_ref: float = 1.0
    energy_weight: float = 1.0
    force_weight: float = 1.0

    def __post_init__(self):
        for name in ("box", "energy_ref", "force_ref"):
            check_positive(name, getattr(self, name))
        for name in ("energy_weight", "force_weight"):
            check_positive(name, getattr(self, name), allow_zero=True)

    def __call__(self, model: RadialMLIP, batch: dict, key: PRNGKeyArray | None = None):
        species = jnp.asarray(self.species)
        e, f = jax.vmap(lambda p: model.energy_and_forces(p, species, self.box))(batch["positions"])
        n, d = batch["positions"].shape[-2:]
        le = jnp.mean(((e - batch["energies"]) / n) ** 2) / self.energy_ref**2
        lf = jnp.mean((f - batch["forces"]) ** 2) / self.force_ref**2
        return self.energy_weight * le + self.force_weight * lf


@eqx.filter_jit
def _energies_and_forces(model, positions, species, box):
    return jax.vmap(lambda x: model.energy_and_forces(x, species, box))(positions)


def predict(model, positions: Float[Array, "b n d"], species, box, chunk: int = 64) -> tuple:
    """Energies (b,) and forces (b, n, d) of many configurations, ``chunk`` at a time (the
    last chunk padded, so that one compilation serves any number of configurations)."""
    positions = np.asarray(positions)
    b = positions.shape[0]
    if b == 0:
        raise ValueError("positions holds no configuration")
    chunk = min(chunk, b)
    species = jnp.asarray(species)
    es, fs = [], []
    for i in range(0, b, chunk):
        part = positions[i : i + chunk]
        pad = chunk - part.shape[0]
        if pad:
            part = np.concatenate([part, np.repeat(part[-1:], pad, axis=0)])
        e, f = _energies_and_forces(model, jnp.asarray(part), species, box)
        es.append(np.asarray(e)[: chunk - pad])
        fs.append(np.asarray(f)[: chunk - pad])
    return np.concatenate(es), np.concatenate(fs)


def errors(model, data: dict, species, box) -> dict:
    """Mean absolute errors of a model on ``data = {positions, energies, forces}``: energy
    per atom (|ΔE|/N), force components, and their root-mean-square counterparts."""
    e, f = predict(model, data["positions"], species, box)
    n = data["positions"].shape[1]
    de = (e - np.asarray(data["energies"])) / n
    df = f - np.asarray(data["forces"])
    return {
        "energy_mae_per_atom": float(np.mean(np.abs(de))),
        "energy_rmse_per_atom": float(np.sqrt(np.mean(de**2))),
        "energy_bias_per_atom": float(np.mean(de)),
        "force_mae": float(np.mean(np.abs(df))),
        "force_rmse": float(np.sqrt(np.mean(df**2))),
    }


__all__ = ["EnergyForceLoss", "RadialMLIP", "curate", "errors", "max_force", "predict"]
