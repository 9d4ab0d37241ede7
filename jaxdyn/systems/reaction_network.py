"""Chemical reaction networks: one definition, every description of the same chemistry.

A network has n species S_1..S_n and R reactions; reaction j consumes r_ij and produces
p_ij molecules of S_i, at rate constant k_j, and changes the counts by ν_j = p_j - r_j.
The system size Ω (volume times Avogadro's number, or any large parameter) turns counts
x into concentrations φ = x / Ω.

**Mass-action propensities** (the rate of reaction j in state x)::

    a_j(x) = (k_j / f_j) Ω ∏_i (x_i)_{r_ij} / Ω^{r_ij},     (x)_r = x (x-1) ... (x-r+1),

with the falling factorial counting the ordered choices of reactant molecules, so that a
reaction needing more molecules than there are has zero propensity. The factor f_j is
the documented choice about the combinatoric 1/k! (the phenomena of paper 6 depend on
it, since it rescales every multi-molecular rate):

* ``convention="rate"`` (default): f_j = 1. The rate equations are then
  dφ/dt = Σ_j ν_j k_j ∏_i φ_i^{r_ij} for any reactant multiplicity: k_j is the
  macroscopic rate constant (the convention of van Kampen's system-size expansion and of
  Grima's moment-closure papers: 2X -> ∅ at rate k has a = k x (x-1) / Ω).
* ``convention="combinatorial"``: f_j = ∏_i r_ij!. k_j is Gillespie's (1977) constant
  per *unordered* combination of reactants (2X -> ∅: a = k x (x-1) / (2 Ω)); the same k
  then gives the rate law (k_j / f_j) ∏ φ^r. The two conventions describe the same
  chemistry when k_combinatorial = f_j k_rate.

From one network:

* exact paths (it is an :class:`~jaxdyn.AbstractJumpProcess`): ``jaxdyn.simulate(net,
  t1, key=...)`` samples Gillespie's direct method; ``solver=jaxdyn.TauLeaping()`` leaps;
* :class:`RateEquations`: the deterministic limit, an ODE for φ;
* :class:`ChemicalLangevin`: the chemical Langevin equation (Gillespie, J. Chem. Phys.
  113, 297 (2000)), an Itô SDE for the counts;
* :class:`jaxdyn.analysis.fsp.FSP`: the chemical master equation on a finite box;
* :class:`jaxdyn.analysis.moments.MomentEquations`: moment equations with closures.

Custom propensities (Hill functions, Michaelis-Menten, ...) are pure JAX functions
``propensity(x, rates, omega) -> (R,)`` of :class:`ReactionNetwork`; everything but the
moment equations (which need polynomial propensities) works for them, the rate equations
taking the large-Ω limit a(Ω φ) / Ω.
"""

from __future__ import annotations

import abc
import math
from collections.abc import Callable
from typing import Any, ClassVar

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float, PRNGKeyArray

from ..core import AbstractJumpProcess, AbstractODE, AbstractSDE

CONVENTIONS = ("rate", "combinatorial")


def as_float(x: ArrayLike) -> Array:
    return jnp.asarray(x, dtype=float)


def check_convention(convention: str) -> None:
    if convention not in CONVENTIONS:
        raise ValueError(f"convention must be one of {CONVENTIONS}, got {convention!r}")


def falling_factorial(x: Array, r: int) -> Array:
    """(x)_r = x (x-1) ... (x-r+1); 1 for r = 0."""
    out = jnp.ones_like(x)
    for m in range(r):
        out = out * (x - m)
    return out


class AbstractReactionNetwork(AbstractJumpProcess):
    """A reaction network with mass-action (or custom) propensities; see the module doc.

    Concrete networks provide ``species``, ``reactants()``, ``products()`` (static integer
    tables of shape ``(R, n)``), ``rate_constants()`` (the traced k_j) and the fields
    ``omega`` (system size), ``phi0`` (initial concentrations: the default initial counts
    are round(Ω φ0)) and ``convention`` (static, ``"rate"`` or ``"combinatorial"``).
    """

    omega: eqx.AbstractVar[Array]
    phi0: eqx.AbstractVar[Array]
    convention: eqx.AbstractVar[str]

    paper: ClassVar[str] = "6"
    #: the tau-leaping step
    default_dt: ClassVar[float] = 1e-2

    # ------------------------------------------------------------------ structure
    @property
    @abc.abstractmethod
    def species(self) -> tuple[str, ...]:
        """Species names (n of them)."""

    @abc.abstractmethod
    def reactants(self) -> np.ndarray:
        """r_ij: molecules of species i consumed by reaction j, shape ``(R, n)`` (static)."""

    @abc.abstractmethod
    def products(self) -> np.ndarray:
        """p_ij: molecules of species i produced by reaction j, shape ``(R, n)`` (static)."""

    @abc.abstractmethod
    def rate_constants(self) -> Float[Array, " R"]:
        """The rate constants k_j (traced: swept and differentiated like any parameter)."""

    def custom_propensity(self) -> Callable | None:
        """``propensity(x, rates, omega) -> (R,)``, or None for mass action."""
        return None

    @property
    def is_mass_action(self) -> bool:
        return self.custom_propensity() is None

    def stoichiometry(self) -> np.ndarray:
        return np.asarray(self.products() - self.reactants(), dtype=int)

    def multiplicity(self) -> np.ndarray:
        """f_j: 1 (``"rate"``) or ∏_i r_ij! (``"combinatorial"``), per reaction."""
        if self.convention == "rate":
            return np.ones(self.reactants().shape[0])
        return np.array(
            [math.prod(math.factorial(int(r)) for r in row) for row in self.reactants()]
        )

    def orders(self) -> np.ndarray:
        """Molecularity |r_j| = Σ_i r_ij of each reaction."""
        return self.reactants().sum(axis=1)

    def mass_action_coefficients(self) -> Float[Array, " R"]:
        """c_j = k_j Ω^{1 - |r_j|} / f_j, so that a_j(x) = c_j ∏_i (x_i)_{r_ij}."""
        expo = jnp.asarray(1.0 - self.orders(), dtype=float)
        return self.rate_constants() * self.omega**expo / jnp.asarray(self.multiplicity())

    def macroscopic_rate_constants(self) -> Float[Array, " R"]:
        """k_j / f_j: the constants of the rate law (k_j / f_j) ∏_i φ_i^{r_ij}."""
        return self.rate_constants() / jnp.asarray(self.multiplicity())

    # ------------------------------------------------------------------ dynamics
    def propensities(self, t: ArrayLike, y: Array, args: Any = None) -> Float[Array, " R"]:
        """a_j(y): mass action with falling factorials (or the custom function)."""
        x = jnp.asarray(y, dtype=float)
        custom = self.custom_propensity()
        if custom is not None:
            return jnp.asarray(custom(x, self.rate_constants(), self.omega), dtype=float)
        c = self.mass_action_coefficients()
        terms = []
        for j, row in enumerate(self.reactants()):
            a = c[j]
            for i, r in enumerate(row):
                if r:
                    a = a * falling_factorial(x[..., i], int(r))
            terms.append(jnp.broadcast_to(a, x.shape[:-1]))
        return jnp.stack(terms, axis=-1)

    def rate_law(self, phi: Float[Array, " n"]) -> Float[Array, " R"]:
        """Macroscopic reaction rates at concentrations φ (per unit volume and time)."""
        custom = self.custom_propensity()
        if custom is not None:
            return self.propensities(None, self.omega * phi) / self.omega
        kc = self.macroscopic_rate_constants()
        r = jnp.asarray(self.reactants(), dtype=float)
        return kc * jnp.prod(jnp.where(r > 0, phi[..., None, :] ** r, 1.0), axis=-1)

    def rate_equations(self, phi: Float[Array, " n"]) -> Float[Array, " n"]:
        """dφ/dt = Σ_j ν_j rate_j(φ), the deterministic limit Ω -> ∞."""
        return self.rate_law(phi) @ jnp.asarray(self.stoichiometry(), dtype=float)

    def initial_state(self, key: PRNGKeyArray | None = None) -> Array:
        """Counts round(Ω φ0) (deterministic: the key is not used)."""
        return jnp.round(self.omega * self.phi0).astype(jnp.result_type(int))

    # ------------------------------------------------------------------ description
    def describe(self) -> list[str]:
        """The reactions as text, e.g. ``"2 A -> 3 A   (k = 6, a = k A (A-1) / Ω)"``."""

        def side(row):
            pairs = zip(self.species, row, strict=True)
            items = [f"{'' if r == 1 else f'{int(r)} '}{s}" for s, r in pairs if r]
            return " + ".join(items) or "∅"

        k = np.asarray(self.rate_constants())
        return [
            f"{side(r)} -> {side(p)}   (k = {kj:g})"
            for r, p, kj in zip(self.reactants(), self.products(), k, strict=True)
        ]


def check_tables(
    species: tuple[str, ...], reactants: np.ndarray, products: np.ndarray, n_rates: int
) -> None:
    """Stoichiometry tables must match the species and the rate constants (errors name them)."""
    n = len(species)
    for name, table in (("reactants", reactants), ("products", products)):
        if table.ndim != 2 or table.shape[1] != n:
            raise ValueError(
                f"{name} must have one row per reaction and one column per species "
                f"({n}: {', '.join(species)}), got shape {table.shape}"
            )
        if np.any(table < 0):
            raise ValueError(f"{name} must hold non-negative stoichiometric coefficients")
    if reactants.shape != products.shape:
        raise ValueError(
            f"products must have the shape of reactants {reactants.shape}, got {products.shape}"
        )
    if n_rates != reactants.shape[0]:
        raise ValueError(
            f"rates must hold one rate constant per reaction ({reactants.shape[0]}), got {n_rates}"
        )


class ReactionNetwork(AbstractReactionNetwork):
    """Any reaction network, given by its stoichiometry tables (default: birth-death).

    Args:
        species: species names (n of them).
        reactants, products: integer tables, one row per reaction, one column per species.
        rates: rate constants k_j >= 0 (one per reaction).
        omega: system size Ω > 0.
        phi0: initial concentrations (default 0); initial counts round(Ω φ0).
        propensity: optional ``propensity(x, rates, omega) -> (R,)`` replacing mass
            action (a pure JAX function of float counts x; must vanish where a reaction
            would make a count negative).
        convention: ``"rate"`` or ``"combinatorial"`` (see the module docstring).
    """

    rates: Float[Array, " R"]
    omega: Float[Array, ""]
    phi0: Float[Array, " n"]
    species_names: tuple[str, ...] = eqx.field(static=True)
    reactant_table: tuple[tuple[int, ...], ...] = eqx.field(static=True)
    product_table: tuple[tuple[int, ...], ...] = eqx.field(static=True)
    propensity: Callable | None = eqx.field(static=True)
    convention: str = eqx.field(static=True)

    name: ClassVar[str] = "reaction_network"
    reference: ClassVar[str] = (
        "D. T. Gillespie, 'Exact stochastic simulation of coupled chemical reactions', "
        "J. Phys. Chem. 81, 2340 (1977); N. G. van Kampen, 'Stochastic Processes in Physics "
        "and Chemistry', Elsevier 2007"
    )
    param_ranges: ClassVar[dict[str, tuple[float, float]]] = {
        "omega": (1e-6, 1e9),
        "rates": (0.0, math.inf),
        "phi0": (0.0, math.inf),
    }
    #: a few lifetimes of the default birth-death network
    t_char: ClassVar[float] = 5.0

    def __init__(
        self,
        species=("X",),
        reactants=((0,), (1,)),
        products=((1,), (0,)),
        rates=(10.0, 1.0),
        omega=1.0,
        phi0=None,
        propensity: Callable | None = None,
        convention: str = "rate",
    ):
        species = tuple(str(s) for s in species)
        if not species:
            raise ValueError("species must name at least one species")
        r_tab = np.asarray(reactants)
        p_tab = np.asarray(products)
        for name, tab in (("reactants", r_tab), ("products", p_tab)):
            if tab.size and not np.issubdtype(tab.dtype, np.integer):
                raise ValueError(f"{name} must hold integer stoichiometric coefficients")
        rates = as_float(rates)
        check_tables(species, r_tab, p_tab, int(np.size(rates)) if rates.ndim == 1 else -1)
        check_convention(convention)
        if propensity is not None and not callable(propensity):
            raise TypeError("propensity must be a function propensity(x, rates, omega) -> (R,)")
        self.species_names = species
        self.reactant_table = tuple(tuple(int(v) for v in row) for row in r_tab)
        self.product_table = tuple(tuple(int(v) for v in row) for row in p_tab)
        self.rates = rates
        self.omega = as_float(omega)
        self.phi0 = as_float(np.zeros(len(species)) if phi0 is None else phi0)
        self.propensity = propensity
        self.convention = convention

    def __check_init__(self):
        super().__check_init__()
        if np.shape(self.phi0) != (len(self.species_names),):
            raise ValueError(
                f"phi0 must hold one initial concentration per species "
                f"({len(self.species_names)}), got shape {np.shape(self.phi0)}"
            )

    @property
    def species(self) -> tuple[str, ...]:
        return self.species_names

    def reactants(self) -> np.ndarray:
        return np.asarray(self.reactant_table, dtype=int).reshape(-1, len(self.species_names))

    def products(self) -> np.ndarray:
        return np.asarray(self.product_table, dtype=int).reshape(-1, len(self.species_names))

    def rate_constants(self) -> Float[Array, " R"]:
        return self.rates

    def custom_propensity(self) -> Callable | None:
        return self.propensity


class RateEquations(AbstractODE):
    """The deterministic rate equations dφ/dt = Σ_j ν_j (k_j / f_j) ∏_i φ_i^{r_ij}.

    The state is the vector of concentrations φ = x / Ω (default: the network's ``phi0``).
    """

    network: AbstractReactionNetwork

    name: ClassVar[str] = "rate_equations"
    reference: ClassVar[str] = (
        "N. G. van Kampen, 'Stochastic Processes in Physics and Chemistry', Elsevier 2007"
    )

    def drift(self, t, y, args=None):
        return self.network.rate_equations(y)

    def initial_state(self, key: PRNGKeyArray | None = None):
        return jnp.asarray(self.network.phi0, dtype=float)


class ChemicalLangevin(AbstractSDE):
    """The chemical Langevin equation for the counts x (Itô):

        dx = Σ_j ν_j a_j(x) dt + Σ_j ν_j sqrt(a_j(x)) dW_j,

    one Wiener process per reaction (D. T. Gillespie, J. Chem. Phys. 113, 297 (2000)).
    Propensities are clipped at zero inside the square root (the CLE leaves the
    non-negative orthant with small probability). Integrate with ``simulate(...,
    key=...)`` (Euler-Maruyama, fixed ``dt``).
    """

    network: AbstractReactionNetwork

    noise: ClassVar[str] = "general"
    name: ClassVar[str] = "chemical_langevin"
    reference: ClassVar[str] = (
        "D. T. Gillespie, 'The chemical Langevin equation', J. Chem. Phys. 113, 297 (2000)"
    )
    default_dt: ClassVar[float] = 1e-3

    def _nu(self):
        return jnp.asarray(self.network.stoichiometry(), dtype=float)

    def drift(self, t, y, args=None):
        return self.network.propensities(t, y, args) @ self._nu()

    def diffusion(self, t, y, args=None):
        a = jnp.maximum(self.network.propensities(t, y, args), 0.0)
        return self._nu().T * jnp.sqrt(a)[None, :]

    def noise_shape(self, y):
        return (self.network.stoichiometry().shape[0],)

    def initial_state(self, key: PRNGKeyArray | None = None):
        return self.network.initial_state(key).astype(float)


__all__ = [
    "CONVENTIONS",
    "AbstractReactionNetwork",
    "ChemicalLangevin",
    "RateEquations",
    "ReactionNetwork",
    "check_convention",
    "check_tables",
    "falling_factorial",
]
