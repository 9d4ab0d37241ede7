"""Fast spectral (Fourier-Galerkin) collision operators in 2-D velocity space.

The space-homogeneous Boltzmann collision operator of two species i, j (masses m_i, m_j)

    Q_ij(f, g)(v) = ∫_{R²} ∫_{S¹} B [f(v') g(v_*') - f(v) g(v_*)] dσ dv_*,
    v' = v - a (u - |u| σ),  v_*' = v_* + b (u - |u| σ),  u = v - v_*,
    a = m_j / (m_i + m_j),  b = 1 - a,

for two-dimensional Maxwell molecules, B = λ / (2π) (λ = ∫ B dσ, the collision
frequency per unit partner density). With u = x + y split into its parts along and
across ω = (u - |u|σ)/|u - |u|σ| the Carleman form (Mouhot & Pareschi, Math. Comp. 75,
1833 (2006), eq. 2.3; for two masses Wu, Zhang, Reese & Zhang, J. Comput. Phys. 298, 602
(2015)) is, with the relative velocities truncated to |x|, |y| <= R,

    Q⁺_ij(f, g)(v) = (λ/π) ∫_0^π dθ ∫_{-R}^{R} dr ∫_{-R}^{R} dρ
                     f(v - 2 a r e_θ) g(v - ρ e_θ^⊥ - (a - b) r e_θ),

so that on the periodic box [-L, L)² the Fourier coefficients are the convolution

    Q̂⁺_k = (λ/π) Σ_{l+m=k} f̂_l ĝ_m ∫_0^π φ_R((2a l + (a-b) m)·e_θ) φ_R(m·e_θ^⊥) dθ,
    φ_R(s) = ∫_{-R}^{R} e^{irs} dr = 2 sin(Rs)/s.

For one species (a = b = 1/2) the kernel is a product φ_R(l·e_θ) φ_R(m·e_θ^⊥): with M
angles θ_p = pπ/M (the trapezoidal rule, spectrally accurate for the π-periodic
integrand) the gain is a sum of M pointwise products of filtered copies of f, computed
with FFTs in O(M N² log N) (Mouhot & Pareschi's fast spectral method, the fast version
of the Pareschi & Russo (SIAM J. Numer. Anal. 37, 1217 (2000)) Fourier-Galerkin method).
For two masses the first factor mixes l and m; the r-integral is then done by Gauss-
Legendre quadrature (n_radial nodes), each node a shift of f and of the filtered g:
O(M n_radial N² log N). The loss term uses the same quadrature, so mass is conserved to
round-off; momentum and energy are conserved to spectral accuracy.

The grid follows Pareschi & Russo: a distribution supported in the disk |v| <= S is
represented without aliasing of the collision integral on [-L, L)² with
L = (3 + √2) S / 2 and R = 2 S; :class:`VelocityGrid` derives S and R from L. Also here:
the circle average about a centre (the Lorentz operator's gain, evaluated exactly on the
trigonometric interpolant through J_0), exact Ornstein-Uhlenbeck (Fokker-Planck) flows,
spectral shifts, Maxwellians and the truncated mass of a distribution.
"""

from __future__ import annotations

import dataclasses
import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

#: resolutions (points per velocity direction) the operators accept
MIN_POINTS, MAX_POINTS = 8, 1024


@dataclasses.dataclass(frozen=True)
class VelocityGrid:
    """The uniform periodic velocity grid v_j = (j - n/2) h, h = 2 v_max / n, in each direction.

    Arrays of distributions have shape ``(n, n)``, axis 0 the x and axis 1 the y
    velocity. Hashable (a static field of a System). ``n`` must be even (it puts v = 0 on
    the grid, the centre of the circle averages) and lie in [8, 1024].
    """

    n: int
    v_max: float

    def __post_init__(self):
        n = self.n
        if isinstance(n, bool) or not isinstance(n, int | np.integer):
            raise TypeError(f"n_v must be an integer, got {type(n).__name__}")
        if not (MIN_POINTS <= n <= MAX_POINTS) or n % 2:
            raise ValueError(
                f"n_v must be an even number of velocity points in [{MIN_POINTS}, {MAX_POINTS}], "
                f"got {n}"
            )
        v = self.v_max
        if isinstance(v, bool) or not isinstance(v, int | float | np.integer | np.floating):
            raise TypeError(f"v_max must be a number, got {type(v).__name__}")
        if not (math.isfinite(float(v)) and float(v) > 0):
            raise ValueError(f"v_max must be finite and positive, got {v!r}")
        object.__setattr__(self, "n", int(n))
        object.__setattr__(self, "v_max", float(v))

    @property
    def h(self) -> float:
        """Grid spacing."""
        return 2.0 * self.v_max / self.n

    @property
    def v(self) -> np.ndarray:
        """Velocities of one direction, shape (n,)."""
        return (np.arange(self.n) - self.n // 2) * self.h

    @property
    def k(self) -> np.ndarray:
        """Wave numbers of one direction in FFT order, shape (n,)."""
        return np.pi / self.v_max * np.fft.fftfreq(self.n, 1.0 / self.n)

    @property
    def support(self) -> float:
        """S: the radius of the disk the collision integral resolves, L = (3+√2) S / 2."""
        return 2.0 * self.v_max / (3.0 + math.sqrt(2.0))

    @property
    def truncation(self) -> float:
        """R = 2 S: the truncation of the relative velocities."""
        return 2.0 * self.support

    def mesh(self) -> tuple[np.ndarray, np.ndarray]:
        """(v_x, v_y) on the grid, each shape (n, n)."""
        return np.meshgrid(self.v, self.v, indexing="ij")

    def integrate(self, f: Array) -> Array:
        """∫ f dv by the (spectrally accurate) trapezoidal rule, over the last two axes."""
        return jnp.sum(f, axis=(-2, -1)) * self.h**2


def _phi(R: float, s: np.ndarray) -> np.ndarray:
    """φ_R(s) = ∫_{-R}^{R} e^{irs} dr = 2 sin(Rs)/s."""
    return 2.0 * R * np.sinc(R * s / np.pi)


@functools.lru_cache(maxsize=64)
def _angles(grid: VelocityGrid, n_angles: int, half: bool) -> tuple[np.ndarray, np.ndarray]:
    """k·e_p and k·e_p^⊥ for θ_p = pπ/M, shape (M, n, n) or (M, n, n//2+1) (rfft grid)."""
    kx = grid.k
    ky = np.abs(grid.k[: grid.n // 2 + 1]) if half else grid.k
    KX, KY = np.meshgrid(kx, ky, indexing="ij")
    th = np.pi * np.arange(n_angles) / n_angles
    c, s = np.cos(th)[:, None, None], np.sin(th)[:, None, None]
    return KX * c + KY * s, -KX * s + KY * c


@functools.lru_cache(maxsize=64)
def _single_kernels(grid: VelocityGrid, n_angles: int):
    kE, kP = _angles(grid, n_angles, True)
    R = grid.truncation
    A, B = _phi(R, kE), _phi(R, kP)
    loss = np.pi / n_angles * np.sum(A * B, axis=0)
    return A, B, loss


@functools.lru_cache(maxsize=64)
def _mixture_kernels(grid: VelocityGrid, n_angles: int, n_radial: int):
    kE, kP = _angles(grid, n_angles, True)
    R = grid.truncation
    x, w = np.polynomial.legendre.leggauss(n_radial)
    r, w = R * x, R * w
    B = _phi(R, kP)
    # φ_R by the same quadrature as the gain: the k = 0 modes of gain and loss then agree
    # exactly, i.e. the discrete operator conserves mass to round-off.
    phi_q = np.tensordot(w, np.cos(r[:, None, None, None] * kE[None]), axes=1)
    loss = np.pi / n_angles * np.sum(phi_q * B, axis=0)
    return kE, B, loss, r, w


def _rfft(f):
    return jnp.fft.rfft2(f, axes=(-2, -1))


def _irfft(fh, n):
    return jnp.fft.irfft2(fh, s=(n, n), axes=(-2, -1))


def _check_angles(n_angles: int, name: str = "n_angles", high: int = 256) -> None:
    if isinstance(n_angles, bool) or not isinstance(n_angles, int | np.integer):
        raise TypeError(f"{name} must be an integer, got {type(n_angles).__name__}")
    if not 2 <= n_angles <= high:
        raise ValueError(f"{name} must lie in [2, {high}], got {n_angles}")


def collision_operator(
    f: Float[Array, "n n"], grid: VelocityGrid, n_angles: int = 8, rate: ArrayLike = 1.0
) -> Float[Array, "n n"]:
    """Q(f, f) of one species of 2-D Maxwell molecules by the fast spectral method.

    ``rate`` is λ = ∫ B dσ (B = λ/2π): the loss term is λ ρ f with ρ = ∫ f. Mouhot &
    Pareschi's Carleman decomposition with ``n_angles`` directions (module docstring).
    """
    _check_angles(n_angles)
    A, B, loss = _single_kernels(grid, n_angles)
    n, h = grid.n, n_angles // 2
    fh = _rfft(f)
    if n_angles % 2 == 0:
        # e_θ^⊥ = e_{θ+π/2} and φ_R is even: the second factor of direction p is the first
        # factor of direction p + M/2, so the gain is (2/M) Σ_{p<M/2} a_p a_{p+M/2}, and one
        # batched inverse FFT (M filters and the loss) does all the transforms.
        a = _irfft(jnp.asarray(np.concatenate([A, loss[None] / np.pi])) * fh[None], n)
        gain = 2.0 * jnp.sum(a[:h] * a[h:n_angles], axis=0) / n_angles
        return rate * (gain - f * a[n_angles])
    a = _irfft(jnp.asarray(A) * fh[None], n)
    b = _irfft(jnp.asarray(B) * fh[None], n)
    gain = jnp.sum(a * b, axis=0) / n_angles
    return rate * (gain - f * _irfft(jnp.asarray(loss) * fh, n) / jnp.pi)


def mixture_collision_operator(
    f: Float[Array, "n n"],
    g: Float[Array, "n n"],
    grid: VelocityGrid,
    a: ArrayLike,
    n_angles: int = 8,
    n_radial: int | None = None,
    rate: ArrayLike = 1.0,
) -> Float[Array, "n n"]:
    """Q_ij(f, g) of species i (distribution f) colliding with j (g), Maxwell molecules.

    ``a = m_j / (m_i + m_j)`` (a = 1/2: one species; then this equals
    :func:`collision_operator` up to the radial quadrature). Velocities of both species
    are on the same grid, in the same units. ``n_radial`` Gauss-Legendre nodes do the
    r-integral of the gain (default ``grid.n``: the integrand oscillates with the
    resolved wave numbers times R).
    """
    _check_angles(n_angles)
    n_radial = grid.n if n_radial is None else n_radial
    _check_angles(n_radial, "n_radial", MAX_POINTS)
    kE, B, loss, r, w = _mixture_kernels(grid, n_angles, n_radial)
    kE, B, loss = jnp.asarray(kE), jnp.asarray(B), jnp.asarray(loss)
    n = grid.n
    fh, gh = _rfft(f), _rfft(g)
    Bg = B * gh[None]
    dtype = jnp.result_type(f)
    two_a, a_minus_b = 2.0 * a, 2.0 * a - 1.0

    def node(acc, rw):
        rq, wq = rw
        F = _irfft(jnp.exp(-1j * (two_a * rq) * kE) * fh[None], n)
        G = _irfft(jnp.exp(-1j * (a_minus_b * rq) * kE) * Bg, n)
        return acc + wq * jnp.sum(F * G, axis=0), None

    acc, _ = jax.lax.scan(
        node, jnp.zeros((n, n), dtype), (jnp.asarray(r, dtype), jnp.asarray(w, dtype))
    )
    gain = acc / n_angles
    return rate * (gain - f * _irfft(loss * gh, n) / jnp.pi)


def shift(f: Float[Array, "n n"], grid: VelocityGrid, s: ArrayLike) -> Float[Array, "n n"]:
    """f(v - s) by the Fourier shift theorem (exact for the trigonometric interpolant)."""
    kx = jnp.asarray(grid.k)
    ky = jnp.asarray(grid.k[: grid.n // 2 + 1])
    phase = jnp.exp(-1j * s[0] * kx)[:, None] * jnp.exp(-1j * s[1] * jnp.abs(ky))[None, :]
    return _irfft(phase * _rfft(f), grid.n)


@functools.lru_cache(maxsize=32)
def _rings(grid: VelocityGrid):
    """Ring decomposition of the lattice and the grid for exact circle averages."""
    from scipy.special import j0

    n = grid.n
    m = np.fft.fftfreq(n, 1.0 / n).astype(int)
    kk = (m[:, None] ** 2 + m[None, :] ** 2).ravel()
    kappa2, ring = np.unique(kk, return_inverse=True)
    j = np.arange(n) - n // 2
    rr = (j[:, None] ** 2 + j[None, :] ** 2).ravel()
    rad2, rid = np.unique(rr, return_inverse=True)
    kappa = np.pi / grid.v_max * np.sqrt(kappa2)
    radius = grid.h * np.sqrt(rad2)
    # Circles of radius >= L leave the box and would meet the periodic images of f:
    # there the average is set to zero (f is negligible beyond the resolved disk).
    J = np.where(radius[:, None] < grid.v_max, j0(radius[:, None] * kappa[None, :]), 0.0)
    # c_m = (-1)^(m1+m2) fft(f)_m / n² are the coefficients of f(v) = Σ c_m e^{i k_m·v}
    # on the grid v_j = (j - n/2) h (the grid starts at -L, not at 0).
    sign = ((-1.0) ** (np.arange(n)[:, None] + np.arange(n)[None, :])) / n**2
    return ring.reshape(n, n), len(kappa2), rid.reshape(n, n), J, sign


def circle_average(
    f: Float[Array, "n n"], grid: VelocityGrid, center: ArrayLike | None = None
) -> Float[Array, "n n"]:
    """(A_c f)(v) = (1/2π) ∫_{S¹} f(c + |v - c| σ) dσ: the average over the circle about c.

    Exact for the trigonometric interpolant f(v) = Σ c_k e^{ik·v}: about the origin
    (A_0 f)(v) = Σ_k c_k J_0(|k| |v|), computed as ring sums of the coefficients over
    the lattice circles |k| = κ times a J_0(κ r) matrix over the grid's radii; about c by
    conjugating with spectral shifts. This is the gain of the Lorentz operator (light
    particles scattered elastically by infinitely heavy ones, at rest in the frame c).
    """
    if center is not None:
        c = jnp.asarray(center)
        return shift(circle_average(shift(f, grid, -c), grid), grid, c)
    ring, n_kappa, rid, J, sign = _rings(grid)
    coef = jnp.real(jnp.fft.fft2(f)) * jnp.asarray(sign)
    sums = jax.ops.segment_sum(coef.ravel(), jnp.asarray(ring.ravel()), num_segments=n_kappa)
    return (jnp.asarray(J) @ sums)[jnp.asarray(rid)]


def _dft(grid: VelocityGrid, alpha: ArrayLike) -> Array:
    """E[m, j] = exp(-i α k_m v_j): the continuous Fourier transform at scaled wave numbers."""
    return jnp.exp(-1j * alpha * jnp.outer(jnp.asarray(grid.k), jnp.asarray(grid.v)))


def ou_flow(
    f: Float[Array, "n n"],
    grid: VelocityGrid,
    alpha: ArrayLike,
    center: ArrayLike,
    temperature: ArrayLike,
) -> Float[Array, "n n"]:
    """The exact flow of ∂_t f = γ ∇·((v - c) f + T ∇f) over a time s, α = e^{-γ s}.

    The Ornstein-Uhlenbeck semigroup in Fourier variables,
    f̂_s(k) = f̂(α k) exp(-i k·c (1 - α) - T (1 - α²) |k|²/2): a dilation about c towards
    the Maxwellian of temperature T, and a Gaussian smoothing. f̂ at the dilated wave
    numbers is the quadrature h² Σ_j f_j e^{-iαk·v_j} (separable: two n x n products);
    unconditionally stable, and exact on the second moments for any step.
    """
    E = _dft(grid, alpha)
    F = grid.h**2 * (E @ f.astype(E.dtype) @ E.T)
    k = jnp.asarray(grid.k)
    c = jnp.asarray(center)
    phase = (
        jnp.exp(-1j * (1.0 - alpha) * c[0] * k)[:, None]
        * jnp.exp(-1j * (1.0 - alpha) * c[1] * k)[None, :]
    )
    k2 = k[:, None] ** 2 + k[None, :] ** 2
    F = F * phase * jnp.exp(-0.5 * temperature * (1.0 - alpha**2) * k2)
    E1 = jnp.conj(_dft(grid, 1.0))
    return jnp.real(E1.T @ F @ E1) / (2.0 * grid.v_max) ** 2


def gradient(f: Float[Array, "n n"], grid: VelocityGrid) -> Float[Array, "2 n n"]:
    """(∂f/∂v_x, ∂f/∂v_y), spectrally."""
    n = grid.n
    kx = grid.k.copy()
    kx[n // 2] = 0.0  # odd multipliers: no Nyquist mode
    ky = np.abs(grid.k[: n // 2 + 1])
    ky[-1] = 0.0
    fh = _rfft(f)
    return jnp.stack(
        [_irfft(1j * jnp.asarray(kx)[:, None] * fh, n), _irfft(1j * jnp.asarray(ky)[None] * fh, n)]
    )


def fokker_planck(
    f: Float[Array, "n n"], grid: VelocityGrid, center: ArrayLike, temperature: ArrayLike
) -> Float[Array, "n n"]:
    """∇·((v - c) f + T ∇f), spectrally (the generator of :func:`ou_flow` with γ = 1)."""
    n = grid.n
    kx = grid.k.copy()
    kx[n // 2] = 0.0  # odd multipliers: no Nyquist mode
    ky = np.abs(grid.k[: n // 2 + 1])
    ky[-1] = 0.0
    KX, KY = (jnp.asarray(a) for a in np.meshgrid(kx, ky, indexing="ij"))
    vx, vy = (jnp.asarray(a) for a in grid.mesh())
    c = jnp.asarray(center)
    gx, gy = _rfft((vx - c[0]) * f), _rfft((vy - c[1]) * f)
    k2 = jnp.asarray(np.meshgrid(grid.k, np.abs(grid.k[: n // 2 + 1]), indexing="ij"))
    lap = -(k2[0] ** 2 + k2[1] ** 2) * _rfft(f)
    return _irfft(1j * (KX * gx + KY * gy) + temperature * lap, n)


def maxwellian(
    grid: VelocityGrid, density: ArrayLike, velocity: ArrayLike, temperature: ArrayLike
) -> Float[Array, "n n"]:
    """ρ / (2π √(T_x T_y)) exp(-(v_x-u_x)²/2T_x - (v_y-u_y)²/2T_y) on the grid.

    ``temperature`` is a scalar (isotropic) or (T_x, T_y); T is the variance of each
    velocity component (units where the particle mass is 1).
    """
    vx, vy = (jnp.asarray(a) for a in grid.mesh())
    T = jnp.broadcast_to(jnp.asarray(temperature), (2,))
    u = jnp.asarray(velocity)
    e = (vx - u[0]) ** 2 / (2.0 * T[0]) + (vy - u[1]) ** 2 / (2.0 * T[1])
    return density * jnp.exp(-e) / (2.0 * jnp.pi * jnp.sqrt(T[0] * T[1]))


def truncated_mass(f: Float[Array, "n n"], grid: VelocityGrid) -> Array:
    """Fraction of the mass of f outside the disk |v| < S that the collision integral resolves."""
    vx, vy = grid.mesh()
    outside = jnp.asarray((vx**2 + vy**2) >= grid.support**2)
    total = grid.integrate(f)
    return grid.integrate(jnp.where(outside, f, 0.0)) / total


__all__ = [
    "MAX_POINTS",
    "MIN_POINTS",
    "VelocityGrid",
    "circle_average",
    "collision_operator",
    "fokker_planck",
    "gradient",
    "maxwellian",
    "mixture_collision_operator",
    "ou_flow",
    "shift",
    "truncated_mass",
]
