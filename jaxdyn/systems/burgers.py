"""1-D viscous Burgers equation, pseudo-spectral, a semi-linear System (ETDRK4 by default).

    u_t + (u²/2)_x = ν u_xx,    x ∈ [0, L) periodic (default L = 1, as in Li et al. 2021),

discretised by the method of lines on N equispaced points: the state is u on the grid,
derivatives are taken in Fourier space (wavenumbers k = 2π m / L) and the quadratic term
is de-aliased by the 2/3 rule (modes |m| > N/3 are zeroed before and after squaring).
Writing the nonlinearity in conservation form makes the m = 0 mode (the mean) exactly
invariant: its tendency is i·0·(...) = 0, so the mean is conserved to round-off.

As an :class:`~jaxdyn.AbstractSemilinear` system (L = -ν k² diagonal in rfft space, N the
de-aliased advection), :func:`jaxdyn.simulate` integrates it by default with the
fourth-order exponential time differencing scheme ETDRK4 of Cox & Matthews (J. Comput.
Phys. 176, 430 (2002)) with the contour-integral coefficients of Kassam & Trefethen
(SIAM J. Sci. Comput. 26, 1214 (2005)): the stiff diffusion is integrated exactly, so the
step is limited only by the advective CFL number, and each step costs 4 pairs of real
FFTs with no linear solve. Given a diffrax solver it runs as an ODE (explicit Tsit5 is
correct but stiff, its step limited by ν k_max² Δt ≲ 3) or IMEX-split (Sil3). Measured in
``benchmarks/bench_fno.py``: at equal accuracy ETDRK4 is far faster than both.

Initial conditions are Gaussian random fields N(0, σ² (-Δ + τ² I)^{-α}) with the
defaults σ = 25, τ = 5, α = 2 of Li et al., "Fourier Neural Operator for Parametric
Partial Differential Equations", ICLR 2021, and zero mean. :func:`cole_hopf_sine` is
the exact solution for u0 = A sin(2πx/L) through the Cole-Hopf transform, used in tests.
"""

from __future__ import annotations

from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float, PRNGKeyArray

from ..core import AbstractSemilinear, check_int, simulate


def wavenumbers(n: int, length: float = 1.0) -> np.ndarray:
    """Angular wavenumbers k_m = 2π m / L of ``jnp.fft.rfft`` on ``n`` points."""
    return 2.0 * np.pi * np.arange(n // 2 + 1) / length


def dealias_mask(n: int) -> np.ndarray:
    """2/3-rule mask on the rfft modes: keep |m| < n/3 (and drop the Nyquist mode)."""
    m = np.arange(n // 2 + 1)
    return (m < n / 3.0).astype(float)


def grf_initial_condition(
    key: PRNGKeyArray,
    n: int,
    *,
    amplitude: float = 1.0,
    sigma: float = 25.0,
    tau: float = 5.0,
    alpha: float = 2.0,
    length: float = 1.0,
    batch: tuple[int, ...] = (),
) -> Float[Array, "*batch n"]:
    """Zero-mean Gaussian random field with covariance amplitude² σ² (-Δ + τ² I)^{-α}.

    Karhunen-Loève expansion on the periodic interval:
    u = Σ_{m≥1} √λ_m (a_m √2 cos k_m x + b_m √2 sin k_m x) / √L with λ_m = σ² (k_m² + τ²)^{-α},
    a_m, b_m ~ N(0, 1), over the modes the grid resolves (1 ≤ m < n/2). Defaults are those
    of Li et al. (2021).
    """
    n = check_int("n", n, 4)
    if not amplitude > 0:
        raise ValueError(f"amplitude must be positive, got {amplitude}")
    k = wavenumbers(n, length)
    sqrt_lam = sigma * (k**2 + tau**2) ** (-alpha / 2.0)
    sqrt_lam[0] = 0.0
    sqrt_lam[n // 2 :] = 0.0  # no Nyquist mode: it has no sine partner
    ab = jax.random.normal(key, (*batch, 2, n // 2 + 1))
    # The rfft coefficient c_m of u = √2 √λ (a cos + b sin)/√L is n √λ (a - i b)/√(2L).
    scale = jnp.asarray(sqrt_lam * n / np.sqrt(2 * length)).reshape((1,) * len(batch) + (-1,))
    coeff = (ab[..., 0, :] - 1j * ab[..., 1, :]) * scale
    return amplitude * jnp.fft.irfft(coeff, n=n)


class Burgers(AbstractSemilinear):
    """Viscous Burgers u_t + u u_x = ν u_xx on N periodic points of [0, L).

    Args:
        nu: viscosity ν > 0.
        N: grid points (even, ≥ 8).
        length: period L (default 1, the convention of Li et al. 2021).
    """

    nu: Float[Array, ""]
    N: int = eqx.field(static=True)
    length: float = eqx.field(static=True)

    name: ClassVar[str] = "burgers"
    reference: ClassVar[str] = (
        "J. M. Burgers (1948); data setup of Z. Li et al., 'Fourier Neural Operator for "
        "Parametric Partial Differential Equations', ICLR 2021"
    )
    paper: ClassVar[str] = "16"
    param_ranges: ClassVar[dict[str, tuple[float, float]]] = {"nu": (1e-6, 1e3)}
    default_dt: ClassVar[float] = 1e-3
    #: a shock forms by t ~ 1/(2π max|u0|) and decays on 1/(ν k_1²)
    t_char: ClassVar[float] = 0.1

    def __init__(self, nu=0.1, N: int = 256, length: float = 1.0):
        self.N = check_int("N", N, 8)
        if self.N % 2:
            raise ValueError(f"N must be even, got {N}")
        if not length > 0:
            raise ValueError(f"length must be positive, got {length}")
        self.length = float(length)
        self.nu = jnp.asarray(nu, dtype=float)

    @property
    def x(self) -> np.ndarray:
        return np.arange(self.N) * self.length / self.N

    def _k(self):
        return jnp.asarray(wavenumbers(self.N, self.length))

    def linear_symbol(self) -> Array:
        """-ν k² on the rfft modes."""
        return -self.nu * self._k() ** 2

    def to_spectral(self, u: Array) -> Array:
        return jnp.fft.rfft(u)

    def from_spectral(self, v: Array) -> Array:
        return jnp.fft.irfft(v, n=self.N)

    def nonlinear_spectral(self, t, v: Array, args=None) -> Array:
        """-(u²/2)_x in rfft space, de-aliased by the 2/3 rule."""
        mask = jnp.asarray(dealias_mask(self.N))
        u = jnp.fft.irfft(mask * v, n=self.N)
        return -0.5j * self._k() * mask * jnp.fft.rfft(u * u)

    def initial_state(self, key: PRNGKeyArray | None = None, amplitude: float = 1.0) -> Array:
        """A Li et al. (2021) Gaussian random field sample; without a key, A sin(2πx/L)."""
        if key is None:
            return amplitude * jnp.sin(2.0 * jnp.pi * jnp.asarray(self.x) / self.length)
        return grf_initial_condition(key, self.N, amplitude=amplitude, length=self.length)


def cole_hopf_sine(
    x: ArrayLike, t: float, nu: float, amplitude: float = 1.0, length: float = 1.0, terms=200
) -> np.ndarray:
    """Exact u(x, t) for u0 = A sin(2πx/L) via the Cole-Hopf transform (NumPy, float64).

    u = -2ν φ_x / φ with φ solving φ_t = ν φ_xx and φ(x, 0) = exp(A L cos(κx)/(4πν)),
    κ = 2π/L. The generating function of the modified Bessel functions gives
    φ = I_0(a) + 2 Σ_n I_n(a) e^{-ν κ² n² t} cos(nκx), a = A L/(4πν); exponentially
    scaled I_n keep the series finite for small ν. Where cos(κx) ≈ -1, φ is e^{-2a}
    smaller than its terms, so the series loses about 2a/ln 10 digits: accurate to ~1e-10
    at ν = 0.01 (A = 1, L = 1) but not usable much below that.
    """
    from scipy.special import ive

    x = np.asarray(x, dtype=float)
    kappa = 2 * np.pi / length
    a = amplitude * length / (4 * np.pi * nu)
    n = np.arange(1, terms + 1)
    decay = ive(n, a) * np.exp(-nu * kappa**2 * n**2 * t)
    phase = np.outer(x, n) * kappa
    phi = ive(0, a) + 2 * np.cos(phase) @ decay
    phi_x = -2 * kappa * (np.sin(phase) * n) @ decay
    return -2 * nu * phi_x / phi


def make_dataset(
    seed: int,
    n_traj: int,
    *,
    nu: float,
    n_solver: int,
    n_grid: int,
    dt_save: float,
    n_steps: int,
    amplitude: float = 1.0,
    dt_solver: float = 1e-3,
    length: float = 1.0,
    chunk: int = 64,
) -> dict[str, np.ndarray]:
    """Trajectories of random-field initial conditions, solved on ``n_solver`` points and
    subsampled to ``n_grid`` (as Li et al. subsample 8192 -> s), deterministic in ``seed``.

    Returns ``{"u": (n_traj, n_steps + 1, n_grid), "t": (n_steps + 1,), "x": (n_grid,)}``
    in the default float dtype; u[:, 0] is the initial condition. Each chunk of ``chunk``
    trajectories is one ``jax.vmap`` over :func:`jaxdyn.simulate` (ETDRK4).
    :func:`jaxdyn.data.burgers.burgers_dataset` caches the result on disk.
    """
    if n_solver % n_grid:
        raise ValueError(f"n_solver={n_solver} must be a multiple of n_grid={n_grid}")
    system = Burgers(nu=nu, N=n_solver, length=length)
    ts = dt_save * np.arange(1, n_steps + 1)
    keys = jax.random.split(jax.random.PRNGKey(seed), n_traj)
    stride = n_solver // n_grid

    def solve(u0):
        return simulate(system, float(ts[-1]), y0=u0, ts=ts, dt=dt_solver).ys

    out = []
    for i in range(0, n_traj, chunk):
        u0 = jax.vmap(
            lambda kk: grf_initial_condition(kk, n_solver, amplitude=amplitude, length=length)
        )(keys[i : i + chunk])
        # simulate compiles the ETDRK4 loop itself; an outer jit would only fuse the cheap
        # parts differently and change float32 data in the last bit from earlier versions.
        us = jax.vmap(solve)(u0)
        out.append(np.concatenate([np.asarray(u0)[:, None], np.asarray(us)], axis=1)[..., ::stride])
    return {
        "u": np.concatenate(out, axis=0),
        "t": np.concatenate([[0.0], ts]),
        "x": np.arange(n_grid) * length / n_grid,
    }
