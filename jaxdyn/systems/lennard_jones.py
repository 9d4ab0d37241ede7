"""Binary Lennard-Jones mixtures in a periodic box, and Langevin dynamics in any potential.

**Potential.** The Kob-Andersen mixture (W. Kob and H. C. Andersen, Phys. Rev. E 51, 4626
(1995)): two species A and B (80:20), unit masses, pair energy

    φ_ab(r) = 4 ε_ab [(σ_ab/r)^12 - (σ_ab/r)^6] - φ_ab^LJ(r_c σ_ab)    for r < r_c σ_ab,
    φ_ab(r) = 0                                                        otherwise,

with ε_AA = 1, ε_AB = 1.5, ε_BB = 0.5, σ_AA = 1, σ_AB = 0.8, σ_BB = 0.88 and r_c = 2.5
(truncated at 2.5 σ_ab and shifted to zero there, as in Kob & Andersen). Distances are
minimum-image distances in a square (cubic) box of side L, so the cut-off sphere must fit
in the box: r_c max σ_ab < L/2. E(R) = Σ_{i<j} φ(|r_i - r_j|), F_i = -∂E/∂r_i (by
``jax.grad``). Everything is in Lennard-Jones units (ε_AA, σ_AA, m, τ = σ_AA √(m/ε_AA),
k_B = 1).

**Dynamics.** :class:`LangevinMD` is a System (a map, one step of length ``dt``) running
Langevin dynamics m dv = F dt - γ m v dt + √(2 γ m k_B T) dW with the BAOAB splitting of
B. Leimkuhler and C. Matthews (Appl. Math. Res. Express 2013, 34; J. Chem. Phys. 138,
174102 (2013)):

    B: v ← v + (h/2) F(x)/m        A: x ← x + (h/2) v
    O: v ← c v + √((1 - c²) k_B T/m) ξ,  c = exp(-γ h)
    A: x ← x + (h/2) v             B: v ← v + (h/2) F(x)/m

which samples configurations with O(h²) error and, at γ = 0, is velocity Verlet (NVE).
The potential is a field: any equinox Module called as ``potential(positions, species,
box) -> energy`` (the reference mixture here, or a learned potential such as
:class:`jaxdyn.models.mlip.RadialMLIP`) runs through the same integrator, ``simulate`` and
``sweep``. The state carries the forces and the potential energy of the current positions,
so a step costs one energy-and-gradient evaluation.

**Why not** :class:`jaxdyn.systems.langevin.UnderdampedLangevin`**.** That System is the same
equation as an SDE for diffrax's generic solvers, in open space; MD needs periodic
wrapping, species and the BAOAB splitting, whose configurational sampling stays accurate
at the large steps MD uses, so the step is written here as a map.

**Why not jax-md.** jax-md 0.2.29 installs and works with this jax (0.10); it is the
optional ``mlip`` extra (``pip install -e ".[mlip]"``) and cross-checks these energies and
forces (``tests/test_mlip.py``, skipped without it) and the integrator's speed
(``benchmarks/bench_mlip.py``: this BAOAB loop ran 1.5x faster than jax-md's
``nvt_langevin`` on one CPU thread for 40 particles). It is not the implementation
because (i) its ``lennard_jones_pair`` switches the potential off smoothly between
``r_onset`` and ``r_cutoff`` times the largest σ rather than truncating and shifting at
2.5 σ_ab (Kob-Andersen's definition), (ii) the dynamics must be a jaxdyn System that takes
an arbitrary (learned) potential and passes the contract tests, and (iii) it would add
flax, pymatgen, e3nn-jax and tensorstore to jaxdyn's core dependencies for about a hundred
lines of code.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Bool, Float, Int, PRNGKeyArray

from ..core import AbstractMap, check_int, check_positive

#: Kob-Andersen interaction energies ε_ab (species 0 = A, 1 = B)
KA_EPSILON = ((1.0, 1.5), (1.5, 0.5))
#: Kob-Andersen diameters σ_ab
KA_SIGMA = ((1.0, 0.8), (0.8, 0.88))
#: cut-off radius in units of σ_ab
KA_CUTOFF = 2.5
KA_REFERENCE = "W. Kob and H. C. Andersen, Phys. Rev. E 51, 4626 (1995)"

Potential = Callable[[Array, Array, Any], Array]


# ---------------------------------------------------------------------------- geometry


def box_length(n_particles: int, density: float, dim: int) -> float:
    """Side L of the square (cubic) box holding ``n_particles`` at number density ρ:
    L = (N/ρ)^(1/d)."""
    n = check_int("n_particles", n_particles, 2)
    d = check_int("dim", dim, 2, 3)
    rho = check_positive("density", density)
    return (n / rho) ** (1.0 / d)


def check_box(box: float, interaction_range: float, what: str = "box") -> float:
    """Require the interaction sphere to fit in the box (minimum image): range < L/2."""
    box = check_positive(what, box)
    if not interaction_range < box / 2:
        raise ValueError(
            f"{what} = {box:.4g} is too small: the interaction range {interaction_range:.4g} "
            f"must be below half the box ({box / 2:.4g}); use more particles or a lower density"
        )
    return box


def species_array(n_particles: int, fraction_b: float = 0.2) -> Int[Array, " n"]:
    """Species labels: the first ``round((1 - x_B) N)`` particles are A (0), the rest B (1)."""
    n = check_int("n_particles", n_particles, 2)
    if not (isinstance(fraction_b, int | float) and 0.0 <= fraction_b <= 1.0):
        raise ValueError(f"fraction_b must lie in [0, 1], got {fraction_b!r}")
    n_b = int(round(fraction_b * n))
    return jnp.asarray([0] * (n - n_b) + [1] * n_b, dtype=jnp.int32)


def displacements(positions: Float[Array, "n d"], box: Any) -> Float[Array, "n n d"]:
    """Minimum-image displacement vectors r_i - r_j - L round((r_i - r_j)/L)."""
    d = positions[:, None, :] - positions[None, :, :]
    return d - box * jnp.round(d / box)


def pair_distances(
    positions: Float[Array, "n d"], box: Any
) -> tuple[Float[Array, "n n"], Bool[Array, "n n"]]:
    """Minimum-image distances r_ij and the mask of distinct pairs (i ≠ j).

    The diagonal holds 1 instead of 0 so that gradients through ``sqrt`` stay finite;
    mask it with the returned ``distinct``."""
    n = positions.shape[0]
    r2 = jnp.sum(displacements(positions, box) ** 2, axis=-1)
    distinct = ~jnp.eye(n, dtype=bool)
    return jnp.sqrt(jnp.where(distinct, r2, 1.0)), distinct


def min_scaled_distance(
    positions: Float[Array, "n d"], species: Int[Array, " n"], box: Any, sigma=KA_SIGMA
) -> Float[Array, ""]:
    """min over pairs of r_ij / σ_{s_i s_j}: the closest approach in units of the pair's
    diameter (about 0.8-1 in a liquid; far below it the configuration has collapsed)."""
    r, distinct = pair_distances(positions, box)
    sig = jnp.asarray(sigma, r.dtype)[species[:, None], species[None, :]]
    return jnp.min(jnp.where(distinct, r / sig, jnp.inf))


# ---------------------------------------------------------------------------- potential


class LennardJonesMixture(eqx.Module):
    """Truncated-and-shifted Lennard-Jones pair potential of a multi-species mixture.

    ``potential(positions, species, box)`` is E(R) (see the module docstring);
    :meth:`energy_and_forces` also returns F = -∇E. The default parameters are the
    Kob-Andersen mixture (ε_ab, σ_ab as 2 x 2 matrices, cut-off 2.5 σ_ab).
    """

    epsilon: Float[Array, "s s"]
    sigma: Float[Array, "s s"]
    cutoff: float = eqx.field(static=True)
    #: the largest interaction distance r_c max σ_ab (must be below L/2)
    range: float = eqx.field(static=True)

    def __init__(self, epsilon=KA_EPSILON, sigma=KA_SIGMA, cutoff: float = KA_CUTOFF):
        eps, sig = np.asarray(epsilon, float), np.asarray(sigma, float)
        for name, m in (("epsilon", eps), ("sigma", sig)):
            if m.ndim != 2 or m.shape[0] != m.shape[1]:
                raise ValueError(f"{name} must be a square matrix (species x species)")
            if not (np.all(np.isfinite(m)) and np.all(m > 0)):
                raise ValueError(f"{name} must be finite and > 0, got {m.tolist()}")
            if not np.allclose(m, m.T):
                raise ValueError(f"{name} must be symmetric, got {m.tolist()}")
        if eps.shape != sig.shape:
            raise ValueError(f"epsilon {eps.shape} and sigma {sig.shape} must have one shape")
        cutoff = check_positive("cutoff", cutoff)
        if cutoff <= 1.0:
            raise ValueError(f"cutoff must exceed 1 (units of sigma_ab), got {cutoff}")
        self.epsilon = jnp.asarray(eps, dtype=float)
        self.sigma = jnp.asarray(sig, dtype=float)
        self.cutoff = cutoff
        self.range = cutoff * float(sig.max())

    @property
    def n_species(self) -> int:
        return self.epsilon.shape[0]

    def pair_energy(self, r: Array, a: Array, b: Array) -> Array:
        """φ_ab(r) for species indices ``a``, ``b`` (broadcasting)."""
        eps, sig = self.epsilon[a, b], self.sigma[a, b]
        rc = self.cutoff
        shift = 4.0 * (rc**-12 - rc**-6)
        x6 = (sig / r) ** 6
        return jnp.where(r < rc * sig, 4.0 * eps * (x6 * x6 - x6) - eps * shift, 0.0)

    def pair_energies(
        self, positions: Float[Array, "n d"], species: Int[Array, " n"], box: Any
    ) -> Float[Array, "n n"]:
        """φ(r_ij) for every ordered pair (zero on the diagonal)."""
        r, distinct = pair_distances(positions, box)
        phi = self.pair_energy(r, species[:, None], species[None, :])
        return jnp.where(distinct, phi, 0.0)

    def __call__(
        self, positions: Float[Array, "n d"], species: Int[Array, " n"], box: Any
    ) -> Float[Array, ""]:
        return 0.5 * jnp.sum(self.pair_energies(positions, species, box))

    def energy_and_forces(self, positions, species, box):
        """(E, F) with F = -∂E/∂R."""
        e, g = jax.value_and_grad(self)(positions, species, box)
        return e, -g


# ---------------------------------------------------------------------------- dynamics


def lattice_positions(
    n_particles: int, box: float, dim: int, key: PRNGKeyArray | None = None, jitter: float = 0.05
) -> Float[Array, "n d"]:
    """Particles on the sites of a simple square (cubic) lattice filling the box.

    With a key, the particles are assigned to a random subset of the sites in random order
    (so the species are mixed at random) and displaced by up to ``jitter`` lattice
    spacings (uniform); without one, particle i sits on site i (the B particles, the last
    ones, fill the last sites).
    """
    m = math.ceil(n_particles ** (1.0 / dim) - 1e-9)
    a = box / m
    grids = jnp.meshgrid(*([jnp.arange(m)] * dim), indexing="ij")
    sites = (jnp.stack([g.reshape(-1) for g in grids], axis=-1) + 0.5) * a
    if key is None:
        return sites[:n_particles].astype(float)
    k_perm, k_jit = jax.random.split(key)
    chosen = jax.random.permutation(k_perm, sites.shape[0])[:n_particles]
    noise = jax.random.uniform(k_jit, (n_particles, dim), minval=-jitter, maxval=jitter)
    return (sites[chosen] + a * noise).astype(float)


def relax(
    energy_fn: Callable[[Array], Array],
    positions: Float[Array, "n d"],
    box: Any,
    steps: int = 100,
    max_displacement: float = 0.02,
    mobility: float = 1e-3,
) -> Float[Array, "n d"]:
    """Remove overlaps before dynamics: capped steepest descent on ``energy_fn``,

        r_i ← r_i + min(μ |F_i|, δ) F_i / |F_i|,

    ``steps`` times (mobility μ, largest move δ per step). A lattice start packs particles
    closer than the liquid does; without this its first MD steps carry forces of ~10³
    and can throw a pair through the repulsive wall."""

    def body(_, x):
        f = -jax.grad(energy_fn)(x)
        norm = jnp.sqrt(jnp.sum(f**2, axis=-1, keepdims=True) + 1e-30)
        move = jnp.minimum(mobility * norm, max_displacement)
        return jnp.mod(x + move * f / norm, box)

    return jax.lax.fori_loop(0, steps, body, positions)


def maxwell_boltzmann(
    key: PRNGKeyArray, shape: tuple[int, int], temperature: Any, mass: float = 1.0
) -> Float[Array, "n d"]:
    """Velocities with density ∝ exp(-m v²/(2 k_B T)), total momentum removed."""
    v = jax.random.normal(key, shape) * jnp.sqrt(temperature / mass)
    return v - jnp.mean(v, axis=0, keepdims=True)


def kinetic_temperature(velocities: Float[Array, "*b n d"], mass: float = 1.0) -> Array:
    """k_B T_kin = Σ_i m |v_i|² / (d N) (Langevin dynamics conserves no momentum, so every
    one of the d N degrees of freedom is thermalised)."""
    n, d = velocities.shape[-2:]
    return mass * jnp.sum(velocities**2, axis=(-2, -1)) / (d * n)


def baoab_step(
    energy_fn: Callable[[Array], Array],
    state: dict,
    key: PRNGKeyArray,
    dt: float,
    temperature: Any,
    friction: Any,
    box: Any,
    mass: float = 1.0,
) -> dict:
    """One BAOAB Langevin step (module docstring) of ``state = {positions, velocities,
    forces, energy}``; ``energy_fn(positions)`` is the potential energy. Positions are
    wrapped into [0, L)."""
    x, v, f = state["positions"], state["velocities"], state["forces"]
    h = dt
    v = v + 0.5 * h * f / mass
    x = x + 0.5 * h * v
    c = jnp.exp(-friction * h)
    noise = jax.random.normal(key, v.shape, v.dtype)
    v = c * v + jnp.sqrt((1.0 - c**2) * temperature / mass) * noise
    x = x + 0.5 * h * v
    x = jnp.mod(x, box)
    e, g = jax.value_and_grad(energy_fn)(x)
    v = v - 0.5 * h * g / mass
    return {"positions": x, "velocities": v, "forces": -g, "energy": e}


class LangevinMD(AbstractMap):
    """Langevin (BAOAB) molecular dynamics of particles in a periodic box, in any potential.

    The default is the 2-D Kob-Andersen mixture, 64 particles (51 A, 13 B) at density 1.2,
    T = 1, γ = 1, h = 0.005 τ. The state is a dict ``{positions (N, d), velocities (N, d),
    forces (N, d), energy ()}``; one step of the map is one BAOAB step of length ``dt``.
    ``potential(positions, species, box)`` may be any equinox Module (a learned one too).
    """

    temperature: Float[Array, ""]
    friction: Float[Array, ""]
    potential: Potential
    species: Int[Array, " n"]
    box: float = eqx.field(static=True)
    dt: float = eqx.field(static=True)
    dim: int = eqx.field(static=True)

    name: ClassVar[str] = "lj_langevin"
    paper: ClassVar[str] = "20"
    reference: ClassVar[str] = (
        KA_REFERENCE + "; B. Leimkuhler and C. Matthews, Appl. Math. Res. Express 2013, 34 (BAOAB)"
    )
    param_ranges: ClassVar[dict[str, tuple[float, float]]] = {
        "temperature": (1e-4, 1e3),
        "friction": (0.0, 1e3),
    }
    default_dt: ClassVar[float] = 0.005
    #: the Lennard-Jones time τ = σ_AA √(m/ε_AA)
    t_char: ClassVar[float] = 1.0

    def __init__(
        self,
        temperature=1.0,
        friction=1.0,
        potential: Potential | None = None,
        n_particles: int = 64,
        dim: int = 2,
        density: float = 1.2,
        fraction_b: float = 0.2,
        dt: float = 0.005,
        species=None,
        box: float | None = None,
    ):
        potential = LennardJonesMixture() if potential is None else potential
        if not callable(potential):
            raise TypeError("potential must be callable: potential(positions, species, box)")
        dim = check_int("dim", dim, 2, 3)
        self.dim = dim
        self.dt = check_positive("dt", dt)
        if species is None:
            species = species_array(n_particles, fraction_b)
        else:
            species = jnp.asarray(species)
            if species.ndim != 1 or not jnp.issubdtype(species.dtype, jnp.integer):
                raise ValueError("species must be a 1-D integer array (one label per particle)")
            check_int("len(species)", species.shape[0], 2)
        n = species.shape[0]
        box = box_length(n, density, dim) if box is None else check_positive("box", box)
        rng = getattr(potential, "range", None)
        if rng is None:
            rng = getattr(potential, "cutoff", 0.0)
        check_box(box, float(rng))
        self.box = float(box)
        self.species = species
        self.potential = potential
        self.temperature = _as_float(temperature)
        self.friction = _as_float(friction)

    @property
    def n_particles(self) -> int:
        return self.species.shape[0]

    def time_step(self) -> float:
        return float(self.dt)

    def energy(self, positions: Float[Array, "n d"]) -> Float[Array, ""]:
        """The potential energy U(R)."""
        return self.potential(positions, self.species, self.box)

    def with_forces(self, positions, velocities) -> dict:
        """A full state from positions and velocities (forces and energy evaluated)."""
        e, g = jax.value_and_grad(self.energy)(positions)
        return {"positions": positions, "velocities": velocities, "forces": -g, "energy": e}

    def initial_state(self, key: PRNGKeyArray | None = None) -> dict:
        """Particles on a jittered lattice in random order, relaxed by :func:`relax`, with
        Maxwell-Boltzmann velocities at ``temperature`` (key None: the relaxed plain
        lattice at rest)."""
        n, d = self.n_particles, self.dim
        if key is None:
            x = relax(self.energy, lattice_positions(n, self.box, d), self.box)
            return self.with_forces(x, jnp.zeros_like(x))
        k_x, k_v = jax.random.split(key)
        x = relax(self.energy, lattice_positions(n, self.box, d, k_x), self.box)
        return self.with_forces(x, maxwell_boltzmann(k_v, (n, d), self.temperature))

    def step(self, t, y, key, args: Any = None) -> dict:
        return baoab_step(self.energy, y, key, self.dt, self.temperature, self.friction, self.box)

    def kinetic_temperature(self, y: dict) -> Array:
        return kinetic_temperature(y["velocities"])

    def total_energy(self, y: dict) -> Array:
        """U + Σ ½ m v², conserved when γ = 0 (up to the O(h²) error of Verlet)."""
        return y["energy"] + 0.5 * jnp.sum(y["velocities"] ** 2)


def _as_float(x) -> Array:
    # Keep a floating dtype (float32 stays float32 under x64); the rank is checked by
    # AbstractSystem.validate from the annotations.
    x = jnp.asarray(x)
    return x if jnp.issubdtype(x.dtype, jnp.floating) else x.astype(float)


__all__ = [
    "KA_CUTOFF",
    "KA_EPSILON",
    "KA_REFERENCE",
    "KA_SIGMA",
    "LangevinMD",
    "LennardJonesMixture",
    "baoab_step",
    "box_length",
    "check_box",
    "displacements",
    "kinetic_temperature",
    "lattice_positions",
    "maxwell_boltzmann",
    "min_scaled_distance",
    "pair_distances",
    "relax",
    "species_array",
]
