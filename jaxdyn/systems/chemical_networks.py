"""The reaction networks of paper 6 (and the birth-death process), each with named rates.

Every class is a :class:`~jaxdyn.systems.reaction_network.AbstractReactionNetwork` whose
rate constants, system size Ω and initial concentrations φ0 are fields (sweepable,
differentiable); the propensities follow the module's mass-action rule with
``convention`` ``"rate"`` (default) or ``"combinatorial"``. Rate equations below are
written for the ``"rate"`` convention (concentrations φ = x / Ω):

=================  =============================================  ===========================
network            reactions                                       rate equations
=================  =============================================  ===========================
BirthDeath         ∅ -k1-> X,  X -k2-> ∅                           φ' = k1 - k2 φ
Dimerisation       ∅ -k1-> X,  2X -k2-> ∅                          φ' = k1 - 2 k2 φ²
Schlogl            ∅ -k1-> X, X -k2-> ∅, 2X -k3-> 3X, 3X -k4-> 2X  φ' = k1 - k2 φ + k3 φ² - k4 φ³
Brusselator        ∅ -k1-> X, X -k2-> Y, 2X+Y -k3-> 3X, X -k4-> ∅  see :class:`Brusselator`
=================  =============================================  ===========================

References: birth-death and dimerisation as in Gillespie (1977) and McQuarrie (J. Appl.
Prob. 4, 413 (1967)); F. Schlögl, Z. Phys. 253, 147 (1972); I. Prigogine and R. Lefever,
J. Chem. Phys. 48, 1695 (1968); paper 6: D. Schnoerr, G. Sanguinetti and R. Grima,
'Validity conditions for moment closure approximations in stochastic chemical kinetics',
J. Chem. Phys. 141, 084103 (2014).
"""

from __future__ import annotations

import math
from typing import ClassVar

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from .reaction_network import AbstractReactionNetwork, as_float, check_convention

_PAPER6 = (
    "D. Schnoerr, G. Sanguinetti, R. Grima, 'Validity conditions for moment closure "
    "approximations in stochastic chemical kinetics', J. Chem. Phys. 141, 084103 (2014)"
)


def _rate(default: float):
    return eqx.field(default=default, converter=as_float)


def _vector(default: tuple[float, ...]):
    return eqx.field(default=default, converter=as_float)


class AbstractNamedNetwork(AbstractReactionNetwork):
    """A network whose structure is fixed by class variables and whose rates are fields."""

    species_list: ClassVar[tuple[str, ...]] = ()
    reactant_rows: ClassVar[tuple[tuple[int, ...], ...]] = ()
    product_rows: ClassVar[tuple[tuple[int, ...], ...]] = ()
    rate_names: ClassVar[tuple[str, ...]] = ()

    def __check_init__(self):
        super().__check_init__()
        check_convention(self.convention)
        if np.shape(self.phi0) != (len(self.species_list),):
            raise ValueError(
                f"{type(self).__name__}: phi0 must hold {len(self.species_list)} initial "
                f"concentration(s), got shape {np.shape(self.phi0)}"
            )

    @property
    def species(self) -> tuple[str, ...]:
        return self.species_list

    def reactants(self) -> np.ndarray:
        return np.asarray(self.reactant_rows, dtype=int)

    def products(self) -> np.ndarray:
        return np.asarray(self.product_rows, dtype=int)

    def rate_constants(self) -> Float[Array, " R"]:
        return jnp.stack([jnp.asarray(getattr(self, n), dtype=float) for n in self.rate_names])


_RANGES = {"omega": (1e-6, 1e9), "phi0": (0.0, math.inf)}


class BirthDeath(AbstractNamedNetwork):
    """Immigration-death ∅ -> X (rate k1 Ω), X -> ∅ (rate k2 x).

    Stationary law Poisson(k1 Ω / k2); from x(0) = n0 the law at time t is
    Binomial(n0, e^{-k2 t}) convolved with Poisson(k1 Ω (1 - e^{-k2 t}) / k2).
    """

    k1: Float[Array, ""] = _rate(10.0)
    k2: Float[Array, ""] = _rate(1.0)
    omega: Float[Array, ""] = _rate(1.0)
    phi0: Float[Array, " n"] = _vector((0.0,))
    convention: str = eqx.field(default="rate", static=True)

    species_list = ("X",)
    reactant_rows = ((0,), (1,))
    product_rows = ((1,), (0,))
    rate_names = ("k1", "k2")
    name: ClassVar[str] = "birth_death"
    paper: ClassVar[str] = ""
    reference: ClassVar[str] = (
        "D. T. Gillespie, J. Phys. Chem. 81, 2340 (1977); C. W. Gardiner, 'Stochastic "
        "Methods', Springer 2009, sec. 11.1"
    )
    param_ranges: ClassVar[dict[str, tuple[float, float]]] = {
        "k1": (0.0, 1e9),
        "k2": (0.0, 1e9),
        **_RANGES,
    }
    t_char: ClassVar[float] = 2.0


class Dimerisation(AbstractNamedNetwork):
    """Production and pairwise annihilation ∅ -> X (k1 Ω), 2X -> ∅ (k2 x (x-1) / Ω).

    The stationary law has a closed form in modified Bessel functions
    (:func:`jaxdyn.analysis.cme_exact.dimerisation_stationary`). The monostable network
    of this reproduction of paper 6: its closures fail below a threshold of the mean.
    """

    k1: Float[Array, ""] = _rate(1.0)
    k2: Float[Array, ""] = _rate(1.0)
    omega: Float[Array, ""] = _rate(10.0)
    phi0: Float[Array, " n"] = _vector((0.0,))
    convention: str = eqx.field(default="rate", static=True)

    species_list = ("X",)
    reactant_rows = ((0,), (2,))
    product_rows = ((1,), (0,))
    rate_names = ("k1", "k2")
    name: ClassVar[str] = "dimerisation"
    reference: ClassVar[str] = _PAPER6 + "; D. A. McQuarrie, J. Appl. Prob. 4, 413 (1967)"
    param_ranges: ClassVar[dict[str, tuple[float, float]]] = {
        "k1": (0.0, 1e9),
        "k2": (0.0, 1e9),
        **_RANGES,
    }
    t_char: ClassVar[float] = 1.0


class Schlogl(AbstractNamedNetwork):
    """Schlögl's bistable network: ∅ ⇌ X (k1 Ω, k2 x), 2X ⇌ 3X (k3 x(x-1)/Ω, k4 x(x-1)(x-2)/Ω²).

    Rate equation φ' = k1 - k2 φ + k3 φ² - k4 φ³; the defaults (6, 11, 6, 1) factor it as
    -(φ - 1)(φ - 2)(φ - 3): stable states φ = 1 and 3, unstable φ = 2.
    """

    k1: Float[Array, ""] = _rate(6.0)
    k2: Float[Array, ""] = _rate(11.0)
    k3: Float[Array, ""] = _rate(6.0)
    k4: Float[Array, ""] = _rate(1.0)
    omega: Float[Array, ""] = _rate(10.0)
    phi0: Float[Array, " n"] = _vector((0.0,))
    convention: str = eqx.field(default="rate", static=True)

    species_list = ("X",)
    reactant_rows = ((0,), (1,), (2,), (3,))
    product_rows = ((1,), (0,), (3,), (2,))
    rate_names = ("k1", "k2", "k3", "k4")
    name: ClassVar[str] = "schlogl"
    reference: ClassVar[str] = _PAPER6 + "; F. Schlögl, Z. Phys. 253, 147 (1972)"
    param_ranges: ClassVar[dict[str, tuple[float, float]]] = {
        "k1": (0.0, 1e9),
        "k2": (0.0, 1e9),
        "k3": (0.0, 1e9),
        "k4": (0.0, 1e9),
        **_RANGES,
    }
    t_char: ClassVar[float] = 1.0


class Brusselator(AbstractNamedNetwork):
    """The Brusselator: ∅ -> X (k1), X -> Y (k2), 2X + Y -> 3X (k3), X -> ∅ (k4).

    Rate equations φ_X' = k1 - (k2 + k4) φ_X + k3 φ_X² φ_Y, φ_Y' = k2 φ_X - k3 φ_X² φ_Y;
    fixed point (k1/k4, k2 k4 / (k3 k1)), a Hopf bifurcation at k2 = k4 + k3 k1² / k4²
    (b = 1 + a² in the usual scaling). The defaults (1, 2.5, 1, 1) lie past it: a
    stable limit cycle of period about 6.
    """

    k1: Float[Array, ""] = _rate(1.0)
    k2: Float[Array, ""] = _rate(2.5)
    k3: Float[Array, ""] = _rate(1.0)
    k4: Float[Array, ""] = _rate(1.0)
    omega: Float[Array, ""] = _rate(20.0)
    phi0: Float[Array, " n"] = _vector((0.0, 0.0))
    convention: str = eqx.field(default="rate", static=True)

    species_list = ("X", "Y")
    reactant_rows = ((0, 0), (1, 0), (2, 1), (1, 0))
    product_rows = ((1, 0), (0, 1), (3, 0), (0, 0))
    rate_names = ("k1", "k2", "k3", "k4")
    name: ClassVar[str] = "brusselator"
    reference: ClassVar[str] = (
        _PAPER6 + "; I. Prigogine, R. Lefever, J. Chem. Phys. 48, 1695 (1968)"
    )
    param_ranges: ClassVar[dict[str, tuple[float, float]]] = {
        "k1": (0.0, 1e9),
        "k2": (0.0, 1e9),
        "k3": (0.0, 1e9),
        "k4": (0.0, 1e9),
        **_RANGES,
    }
    t_char: ClassVar[float] = 6.0

    def hopf_k2(self) -> Array:
        """The k2 of the rate equations' Hopf bifurcation (k4 + k3 k1² / k4², rate law)."""
        k1, _, k3, k4 = self.macroscopic_rate_constants()
        return k4 + k3 * k1**2 / k4**2


__all__ = ["AbstractNamedNetwork", "BirthDeath", "Brusselator", "Dimerisation", "Schlogl"]
