"""The disparate-mass Boltzmann mixture in scaled variables: the asymptotic model and its
asymptotic-preserving (AP) scheme (paper 9).

Each species lives on its own grid in its own thermal units (light v, heavy w; the
heavy seen by the light moves at ε w), so one grid of fixed size serves every mass
ratio μ = ε². In light collision times (Degond & Lucquin-Desreux scaling, :mod:`._mixture`)

    ∂f_l/∂t = Q_ll(f_l) + Q_lh^ε(f_l, f_h),   ∂f_h/∂t = ε Q_hh(f_h) + Q_hl^ε(f_h, f_l).

Truncated expansions of the cross operators (Degond & Lucquin-Desreux, Math. Models
Methods Appl. Sci. 6, 405 (1996); derived here for 2-D Maxwell molecules from the weak
form with the post-collision velocities v' = v - (ũ - |ũ|σ)/(1+ε²),
w' = w + ε(ũ - |ũ|σ)/(1+ε²), ũ = v - ε w, expanded to second order in ε):

* light side, O(1) + O(ε): the Lorentz operator in the frame c = ε u_h of the heavy
  species, λ n_h (A_c f_l - f_l), A_c the average over circles about c (elastic
  scattering off infinitely heavy particles); O(ε²): the Fokker-Planck operator
  ε² λ n_h ∇_v·((v - c) f_l + T_h ∇_v f_l) (its weak form, on isotropic f_l, is exactly
  the O(ε²) term; anisotropic parts are damped at O(1) by the Lorentz operator);
* heavy side, O(ε): the recoil -V·∇_w f_h, V = -ε (d J_l/dt)_cross / n_h, the momentum
  the light loses to the heavy through the two operators above (the expansion's
  ε λ J_l·∇f_h and drag terms, written so that the total momentum ε J_l + J_h is
  conserved); O(ε²): ε² λ n_l ∇_w·((w - u_h) f_h + T_l ∇_w f_h).

Terms of O(ε³) are dropped. Moments: temperatures exchange at 2λμ(n_l+n_h), the exact
rate being 2λμ(n_l+n_h)/(1+μ)² (:func:`jaxdyn.analysis.kinetic.relaxation_rates`): the
truncation error is O(μ) relative, and the model needs no grid finer than each
species' own thermal speed.

Two discretisations (both through :func:`jaxdyn.simulate`):

* :class:`BoltzmannMixtureAsymptotic` (an ODE): the model's right-hand side for any
  explicit solver; stiff as ε -> 0 on the slow time scales (step bounded by the O(1)
  light collision time while the dynamics of interest lasts O(1/ε²)).
* :class:`BoltzmannMixtureAP` (a map): the AP scheme, one step of length ``dt`` (any
  size, independent of ε) = Lie splitting of
  1. the Lorentz operator exactly, f_l <- A_c f_l + e^{-λ n_h dt}(f_l - A_c f_l), with
     the momentum the light loses given to the heavy as a shift of f_h (so in 4);
  2. light self-collisions by the time-relaxed (Wild sum) scheme with Maxwellian
     replacement, f <- M + (1-τ²)(f - M) + τ(1-τ) Q(f)/(λρ), τ = 1 - e^{-λρ dt}
     (Gabetta, Pareschi & Toscani, SIAM J. Numer. Anal. 34, 2168 (1997); AP: Pareschi &
     Russo, SIAM J. Sci. Comput. 23, 1253 (2001)): M as τ -> 1 (after 1, a long step
     ends on the Maxwellian in the heavy frame);
  3. heavy self-collisions by the time-relaxed scheme (rate ε);
  4. the Fokker-Planck pair exactly: an Ornstein-Uhlenbeck flow of each species with its
     own rate γ_l = μλn_h, γ_h = μλn_l and a target temperature chosen so that the two
     temperatures follow the exact solution of their linear exchange over the step
     (energy conserved; the gap decays by e^{-2(γ_l+γ_h) dt}).
  Every sub-step is unconditionally stable and tends to its equilibrium when its rate
  times dt is large, so as ε -> 0 at fixed dt μ the scheme becomes the limiting
  temperature-exchange dynamics between two Maxwellians (AP, Jin, SIAM J. Sci. Comput.
  21, 441 (1999)). First order in time.

The state is an array (2, n_v, n_v): light (light units), heavy (heavy units), on the
same grid. :meth:`macroscopic` returns the observables shared with
:class:`~jaxdyn.systems.BoltzmannMixture`.
"""

from __future__ import annotations

from typing import ClassVar

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float, PRNGKeyArray

from ..analysis.kinetic import moments
from ..core import AbstractMap, AbstractODE, check_positive, is_concrete
from ..solvers.fast_spectral import (
    VelocityGrid,
    circle_average,
    collision_operator,
    fokker_planck,
    gradient,
    maxwellian,
    ou_flow,
    shift,
)
from ._mixture import PARAM_RANGES, as_params, check_grid, frequencies, hot_temperature
from .boltzmann_mixture import scaled_observables

REFERENCE = (
    "P. Degond and B. Lucquin-Desreux, Math. Models Methods Appl. Sci. 6, 405 (1996); "
    "time-relaxed schemes: E. Gabetta, L. Pareschi and G. Toscani, SIAM J. Numer. Anal. 34, "
    "2168 (1997); AP schemes: S. Jin, SIAM J. Sci. Comput. 21, 441 (1999); I. M. Gamba, "
    "S. Jin and L. Liu, Commun. Math. Sci. 17, 1257 (2019)"
)


def _init(self, params, n_v, v_max, n_angles):
    for k, v in params.items():
        setattr(self, k, v)
    self.grid = VelocityGrid(n_v, v_max)
    if isinstance(n_angles, bool) or not isinstance(n_angles, int):
        raise TypeError(f"n_angles must be an integer, got {type(n_angles).__name__}")
    if not 2 <= n_angles <= 256:
        raise ValueError(f"n_angles must lie in [2, 256], got {n_angles}")
    self.n_angles = n_angles


def _validate(self) -> None:
    if not is_concrete(self.parameters()):
        return
    y0 = self.initial_state()
    Thot = hot_temperature(
        self.temperature_light,
        self.temperature_heavy,
        self.velocity_light,
        self.velocity_heavy,
        float(self.mass_ratio),
    )
    check_grid(
        type(self).__name__,
        self.grid,
        {
            "light": y0[0],
            "heavy": y0[1],
            "heavy (at the hottest temperature)": maxwellian(
                self.grid, 1.0, self.velocity_heavy, Thot
            ),
        },
        {
            "light Maxwellian": float(np.sqrt(np.min(self.temperature_light))),
            "heavy Maxwellian": float(np.sqrt(np.min(self.temperature_heavy))),
        },
    )


def _initial_state(self) -> Float[Array, "2 n n"]:
    fl = maxwellian(self.grid, self.density_light, self.velocity_light, self.temperature_light)
    fh = maxwellian(self.grid, self.density_heavy, self.velocity_heavy, self.temperature_heavy)
    return jnp.stack([fl, fh])


def _current(f, grid):
    vx, vy = (jnp.asarray(a) for a in grid.mesh())
    return jnp.stack([grid.integrate(f * vx), grid.integrate(f * vy)])


def _temperature(m, center=None) -> Array:
    """Isotropic temperature ½ tr Θ, measured in the frame ``center`` if given."""
    T = 0.5 * jnp.trace(m["temperature"])
    if center is None:
        return T
    d = m["velocity"] - center
    return T + 0.5 * jnp.dot(d, d)


class BoltzmannMixtureAsymptotic(AbstractODE):
    """The truncated (asymptotic) disparate-mass mixture model as an ODE, for explicit solvers."""

    mass_ratio: Float[Array, ""]
    density_light: Float[Array, ""]
    density_heavy: Float[Array, ""]
    temperature_light: Float[Array, " 2"]
    temperature_heavy: Float[Array, " 2"]
    velocity_light: Float[Array, " 2"]
    velocity_heavy: Float[Array, " 2"]
    grid: VelocityGrid = eqx.field(static=True)
    n_angles: int = eqx.field(static=True)

    name: ClassVar[str] = "boltzmann_mixture_asymptotic"
    paper: ClassVar[str] = "9"
    reference: ClassVar[str] = REFERENCE
    param_ranges: ClassVar[dict[str, tuple[float, float]]] = PARAM_RANGES
    default_dt: ClassVar[float] = 0.1
    t_char: ClassVar[float] = 1.0

    def __init__(
        self,
        mass_ratio: ArrayLike = 1e-3,
        density_light: ArrayLike = 1.0,
        density_heavy: ArrayLike = 1.0,
        temperature_light: ArrayLike = (0.7, 0.35),
        temperature_heavy: ArrayLike = (0.5, 0.3),
        velocity_light: ArrayLike = (0.3, 0.0),
        velocity_heavy: ArrayLike = (0.0, 0.0),
        *,
        n_v: int = 48,
        v_max: float = 8.5,
        n_angles: int = 8,
    ):
        params = as_params(
            mass_ratio,
            density_light,
            density_heavy,
            temperature_light,
            temperature_heavy,
            velocity_light,
            velocity_heavy,
        )
        _init(self, params, n_v, v_max, n_angles)

    def validate(self) -> None:
        super().validate()
        _validate(self)

    def initial_state(self, key: PRNGKeyArray | None = None) -> Float[Array, "2 n n"]:
        """Bi-Maxwellians in each species' own units; ``key`` is unused."""
        return _initial_state(self)

    def drift(self, t, y, args=None):
        g, M = self.grid, self.n_angles
        mu = self.mass_ratio
        eps = jnp.sqrt(mu)
        nu_ll, nu_hh, nu_lh = frequencies(mu)
        fl, fh = y[0], y[1]
        ml, mh = moments(fl, g), moments(fh, g)
        nl, nh = ml["density"], mh["density"]
        uh = mh["velocity"]
        c = eps * uh
        # what the light gains from the heavy (Lorentz + drag) the heavy loses: recoil
        cross = (
            nu_lh
            * nh
            * (circle_average(fl, g, c) - fl + mu * fokker_planck(fl, g, c, _temperature(mh)))
        )
        recoil = -eps * _current(cross, g) / nh
        dl = collision_operator(fl, g, M, nu_ll) + cross
        grad = gradient(fh, g)
        dh = (
            collision_operator(fh, g, M, nu_hh)
            - (recoil[0] * grad[0] + recoil[1] * grad[1])
            + mu * nu_lh * nl * fokker_planck(fh, g, uh, _temperature(ml, c))
        )
        return jnp.stack([dl, dh])

    def macroscopic(self, y: Float[Array, "2 n n"]) -> dict[str, Array]:
        """The observables of :meth:`BoltzmannMixture.macroscopic`, in scaled units."""
        return scaled_observables(
            moments(y[0], self.grid), moments(y[1], self.grid), jnp.sqrt(self.mass_ratio), False
        )


def relaxed_step(f, grid: VelocityGrid, n_angles: int, rate, dt: float):
    """One time-relaxed step of ∂f/∂t = Q(f, f) (rate λ) with Maxwellian replacement.

    f <- M + (1 - τ²)(f - M) + τ(1 - τ) Q(f)/(λρ), τ = 1 - e^{-λρ dt}: the first-order
    Wild-sum scheme of Gabetta, Pareschi & Toscani (1997) with the gain written as
    f + Q(f)/(λρ), so that it conserves what the spectral Q conserves. Unconditionally
    stable (amplification in [1-τ, 1-τ²] for the modes of Q in [-λρ, 0]); f -> M as dt -> ∞.
    """
    m = moments(f, grid)
    rho = m["density"]
    M = maxwellian(grid, rho, m["velocity"], _temperature(m))
    x = rate * rho * dt
    tau = -jnp.expm1(-x)
    # τ(1-τ)/(λρ) = dt (τ/x)(1-τ), finite as λρ dt -> 0
    q = collision_operator(f, grid, n_angles, rate) / (rate * rho)
    return M + (1.0 - tau**2) * (f - M) + tau * (1.0 - tau) * q


class BoltzmannMixtureAP(AbstractMap):
    """Asymptotic-preserving scheme for the disparate-mass mixture: one step = one map step."""

    mass_ratio: Float[Array, ""]
    density_light: Float[Array, ""]
    density_heavy: Float[Array, ""]
    temperature_light: Float[Array, " 2"]
    temperature_heavy: Float[Array, " 2"]
    velocity_light: Float[Array, " 2"]
    velocity_heavy: Float[Array, " 2"]
    grid: VelocityGrid = eqx.field(static=True)
    n_angles: int = eqx.field(static=True)
    dt: float = eqx.field(static=True)

    name: ClassVar[str] = "boltzmann_mixture_ap"
    paper: ClassVar[str] = "9"
    reference: ClassVar[str] = REFERENCE
    param_ranges: ClassVar[dict[str, tuple[float, float]]] = PARAM_RANGES
    random_steps: ClassVar[bool] = False
    default_dt: ClassVar[float] = 0.1
    t_char: ClassVar[float] = 1.0

    def __init__(
        self,
        mass_ratio: ArrayLike = 1e-3,
        density_light: ArrayLike = 1.0,
        density_heavy: ArrayLike = 1.0,
        temperature_light: ArrayLike = (0.7, 0.35),
        temperature_heavy: ArrayLike = (0.5, 0.3),
        velocity_light: ArrayLike = (0.3, 0.0),
        velocity_heavy: ArrayLike = (0.0, 0.0),
        *,
        n_v: int = 48,
        v_max: float = 8.5,
        n_angles: int = 8,
        dt: float = 0.1,
    ):
        params = as_params(
            mass_ratio,
            density_light,
            density_heavy,
            temperature_light,
            temperature_heavy,
            velocity_light,
            velocity_heavy,
        )
        _init(self, params, n_v, v_max, n_angles)
        self.dt = check_positive("dt", dt)

    def validate(self) -> None:
        super().validate()
        _validate(self)

    def initial_state(self, key: PRNGKeyArray | None = None) -> Float[Array, "2 n n"]:
        """Bi-Maxwellians in each species' own units; ``key`` is unused."""
        return _initial_state(self)

    def time_step(self) -> float:
        return self.dt

    def step(self, t, y, key=None, args=None):
        """One AP step of length ``dt`` (module docstring, sub-steps 1-4)."""
        g, M, dt = self.grid, self.n_angles, self.dt
        mu = self.mass_ratio
        eps = jnp.sqrt(mu)
        nu_ll, nu_hh, nu_lh = frequencies(mu)
        fl, fh = y[0], y[1]
        # 1. Lorentz scattering in the heavy frame, exact; the heavy recoils
        mh = moments(fh, g)
        nh = mh["density"]
        c = eps * mh["velocity"]
        avg = circle_average(fl, g, c)
        new = avg + jnp.exp(-nu_lh * nh * dt) * (fl - avg)
        fh = shift(fh, g, -eps * (_current(new, g) - _current(fl, g)) / nh)
        # 2. light self-collisions (after 1, so that a long step ends on the Maxwellian
        # in the heavy frame: the composition of the two projections is the joint one)
        fl = relaxed_step(new, g, M, nu_ll, dt)
        # 3. heavy self-collisions
        fh = relaxed_step(fh, g, M, nu_hh, dt)
        # 4. temperature exchange (the Fokker-Planck pair) by exact OU flows
        ml, mh = moments(fl, g), moments(fh, g)
        nl, nh = ml["density"], mh["density"]
        uh = mh["velocity"]
        c = eps * uh
        Tl, Th = _temperature(ml, c), _temperature(mh)
        gl, gh = mu * nu_lh * nh, mu * nu_lh * nl
        Teq = (nl * Tl + nh * Th) / (nl + nh)
        both = jnp.expm1(-2.0 * (gl + gh) * dt)

        def target(T, rate):
            # T* such that T* + (T - T*) e^{-2 rate dt} = Teq + (T - Teq) e^{-2(gl+gh) dt}
            own = jnp.expm1(-2.0 * rate * dt)
            return Teq + (T - Teq) * (both - own) / (-own)

        new = ou_flow(fl, g, jnp.exp(-gl * dt), c, target(Tl, gl))
        fh = ou_flow(fh, g, jnp.exp(-gh * dt), uh, target(Th, gh))
        # the drag of the light towards the heavy frame: its momentum goes to the heavy
        fh = shift(fh, g, -eps * (_current(new, g) - _current(fl, g)) / nh)
        return jnp.stack([new, fh])

    def macroscopic(self, y: Float[Array, "2 n n"]) -> dict[str, Array]:
        """The observables of :meth:`BoltzmannMixture.macroscopic`, in scaled units."""
        return scaled_observables(
            moments(y[0], self.grid), moments(y[1], self.grid), jnp.sqrt(self.mass_ratio), False
        )


__all__ = ["BoltzmannMixtureAP", "BoltzmannMixtureAsymptotic", "relaxed_step"]
