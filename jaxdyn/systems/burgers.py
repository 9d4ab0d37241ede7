"""1-D viscous Burgers equation, pseudo-spectral, with an exponential (ETDRK4) stepper.

    u_t + (u²/2)_x = ν u_xx,    x ∈ [0, L) periodic (default L = 1, as in Li et al. 2021),

discretised by the method of lines on N equispaced points: the state is u on the grid,
derivatives are taken in Fourier space (wavenumbers k = 2π m / L) and the quadratic term
is de-aliased by the 2/3 rule (modes |m| > N/3 are zeroed before and after squaring).
Writing the nonlinearity in conservation form makes the m = 0 mode (the mean) exactly
invariant: its tendency is i·0·(...) = 0, so the mean is conserved to round-off.

``drift`` is the full right-hand side, so the system runs through
:func:`jaxdyn.core.simulate.simulate` like any other (explicit Tsit5: correct but stiff,
its step is limited by ν k_max² Δt ≲ 3). ``linear``/``nonlinear`` split it for an IMEX
solve (:func:`simulate_imex`, diffrax Sil3 with the diffusion implicit). Data are made
with :meth:`Burgers.solve`, the fourth-order exponential time differencing scheme
ETDRK4 of Cox & Matthews (J. Comput. Phys. 176, 430 (2002)) with the contour-integral
coefficients of Kassam & Trefethen (SIAM J. Sci. Comput. 26, 1214 (2005)): the stiff
diffusion is integrated exactly, so the step is limited only by the advective CFL
number, and each step costs 4 pairs of real FFTs with no linear solve. Measured in
``benchmarks/bench_fno.py``: at equal accuracy ETDRK4 is far faster than diffrax's IMEX
Sil3 (whose implicit stages solve a dense N×N linear system) and than explicit Tsit5.

Initial conditions are Gaussian random fields N(0, σ² (-Δ + τ² I)^{-α}) with the
defaults σ = 25, τ = 5, α = 2 of Li et al., "Fourier Neural Operator for Parametric
Partial Differential Equations", ICLR 2021, and zero mean. :func:`cole_hopf_sine` is
the exact solution for u0 = A sin(2πx/L) through the Cole-Hopf transform, used in tests.
"""

from __future__ import annotations

from typing import ClassVar

import diffrax as dfx
import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optimistix as optx
from jaxtyping import Array, ArrayLike, Float, PRNGKeyArray

from ..core.system import AbstractSystem, check_int


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


def _etdrk4_coefficients(lin: Array, h: Array, n_contour: int = 32):
    """E, E/2 and the φ-function weights of ETDRK4 for the diagonal operator ``lin``.

    The weights are evaluated as means over a circle of radius 1 around each h·λ
    (Kassam & Trefethen 2005), which avoids the cancellation of the closed forms.
    """
    r = jnp.exp(1j * jnp.pi * (jnp.arange(1, n_contour + 1) - 0.5) / n_contour)
    lr = (h * lin)[:, None] + r[None, :]
    e = jnp.exp(lr)
    q = h * jnp.real(jnp.mean((jnp.exp(lr / 2) - 1.0) / lr, axis=1))
    f1 = h * jnp.real(jnp.mean((-4.0 - lr + e * (4.0 - 3.0 * lr + lr**2)) / lr**3, axis=1))
    f2 = h * jnp.real(jnp.mean((2.0 + lr + e * (lr - 2.0)) / lr**3, axis=1))
    f3 = h * jnp.real(jnp.mean((-4.0 - 3.0 * lr - lr**2 + e * (4.0 - lr)) / lr**3, axis=1))
    return jnp.exp(h * lin), jnp.exp(h * lin / 2), q, f1, f2, f3


class Burgers(AbstractSystem):
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
    param_ranges: ClassVar[dict[str, tuple[float, float]]] = {"nu": (1e-6, 1e3)}
    default_dt: ClassVar[float] = 1e-3

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

    def _nonlinear_hat(self, v: Array) -> Array:
        """-(u²/2)_x in rfft space, de-aliased by the 2/3 rule."""
        mask = jnp.asarray(dealias_mask(self.N))
        u = jnp.fft.irfft(mask * v, n=self.N)
        return -0.5j * self._k() * mask * jnp.fft.rfft(u * u)

    def nonlinear(self, t, u, args=None) -> Array:
        """Explicit part of the IMEX split: -u u_x (de-aliased)."""
        return jnp.fft.irfft(self._nonlinear_hat(jnp.fft.rfft(u)), n=self.N)

    def linear(self, t, u, args=None) -> Array:
        """Stiff part of the IMEX split: ν u_xx."""
        return jnp.fft.irfft(-self.nu * self._k() ** 2 * jnp.fft.rfft(u), n=self.N)

    def drift(self, t, u, args=None) -> Array:
        v = jnp.fft.rfft(u)
        return jnp.fft.irfft(self._nonlinear_hat(v) - self.nu * self._k() ** 2 * v, n=self.N)

    def initial_state(self, key: PRNGKeyArray | None = None, amplitude: float = 1.0) -> Array:
        """A Li et al. (2021) Gaussian random field sample (needs a key)."""
        if key is None:
            raise ValueError("Burgers.initial_state needs a key to draw the random field")
        return grf_initial_condition(key, self.N, amplitude=amplitude, length=self.length)

    def solve(
        self,
        u0: Float[ArrayLike, "*batch N"],
        ts: Float[ArrayLike, " T"],
        dt: float = 1e-3,
    ) -> Float[Array, "*batch T N"]:
        """ETDRK4 solution at the save times ``ts`` (t0 = 0; ``ts`` multiples of ``dt``).

        Batched over any leading axes of ``u0``. Each save interval is split into the
        nearest whole number of equal steps of at most ``dt``.
        """
        ts = np.asarray(ts, dtype=float)
        if ts.ndim != 1 or np.any(np.diff(np.concatenate([[0.0], ts])) < 0):
            raise ValueError("ts must be a 1-D non-decreasing array of times >= 0")
        if not dt > 0:
            raise ValueError(f"dt must be positive, got {dt}")
        gaps = np.diff(np.concatenate([[0.0], ts]))
        u0 = jnp.asarray(u0)
        if u0.shape[-1] != self.N:
            raise ValueError(f"u0 must have last axis N={self.N}, got shape {u0.shape}")
        # Steps within a save interval share one h, so one set of coefficients per distinct
        # gap; equispaced saves (the usual case) need just one.
        batch = u0.shape[:-1]
        out = []
        v = jnp.fft.rfft(u0.reshape(-1, self.N))
        for gap, count in _runs(gaps):
            n_sub = max(1, int(np.ceil(gap / dt - 1e-9)))
            v, vs = _etdrk4_run(self, v, gap / n_sub, n_sub, count)
            out.append(vs)
        us = jnp.fft.irfft(jnp.concatenate(out, axis=1), n=self.N)
        return us.reshape(*batch, len(ts), self.N)


def _runs(gaps: np.ndarray):
    """Group consecutive equal gaps: [(gap, count), ...]."""
    runs: list[list] = []
    for g in gaps:
        if runs and np.isclose(runs[-1][0], g, rtol=1e-12, atol=1e-14):
            runs[-1][1] += 1
        else:
            runs.append([float(g), 1])
    return [(g, c) for g, c in runs]


@eqx.filter_jit
def _etdrk4_run(system: Burgers, v: Array, h: float, n_sub: int, n_save: int):
    lin = -system.nu * system._k() ** 2
    if h == 0.0:
        return v, jnp.broadcast_to(v[:, None, :], (v.shape[0], n_save, v.shape[1]))
    e, e2, q, f1, f2, f3 = _etdrk4_coefficients(lin, jnp.asarray(h, dtype=lin.dtype))
    g = system._nonlinear_hat

    def step(v, _):
        nv = g(v)
        a = e2 * v + q * nv
        na = g(a)
        b = e2 * v + q * na
        nb = g(b)
        c = e2 * a + q * (2.0 * nb - nv)
        nc = g(c)
        return e * v + f1 * nv + 2.0 * f2 * (na + nb) + f3 * nc, None

    def save(v, _):
        v, _ = jax.lax.scan(step, v, None, length=n_sub)
        return v, v

    def run(v):
        return jax.lax.scan(save, v, None, length=n_save)

    # vmap over the batch keeps every array op rank-matched (no implicit rank promotion).
    v, vs = jax.vmap(run)(v)
    return v, vs


def simulate_imex(
    system: Burgers,
    u0: Float[ArrayLike, " N"],
    ts: Float[ArrayLike, " T"],
    dt: float = 1e-3,
    solver: dfx.AbstractSolver | None = None,
    rtol: float | None = None,
    atol: float | None = None,
) -> Float[Array, "T N"]:
    """IMEX solve with diffrax: explicit -u u_x, implicit ν u_xx (default Sil3).

    diffrax 0.7.2's KenCarp4 rejects nearly every step on this split (it hit max_steps
    with a wrong answer in our checks), whereas Sil3 converges; both are accepted here.

    Fixed step ``dt`` unless ``rtol``/``atol`` are given (then PID-adaptive).
    """
    terms = dfx.MultiTerm(dfx.ODETerm(system.nonlinear), dfx.ODETerm(system.linear))
    adaptive = rtol is not None
    controller = (
        dfx.PIDController(rtol=rtol, atol=atol if atol is not None else rtol * 1e-2)
        if adaptive
        else dfx.ConstantStepSize()
    )
    t_end = float(np.asarray(ts)[-1])  # save times are structural: they must be concrete
    ts = jnp.asarray(ts, dtype=jnp.result_type(float))
    if solver is None:
        # The implicit stage is linear (ν u_xx), so the chord iteration converges at once;
        # fixed steps need its tolerances given explicitly.
        tol = 1e-10 if rtol is None else rtol
        root = dfx.VeryChord(rtol=tol, atol=tol * 1e-2, norm=optx.max_norm)
        solver = dfx.Sil3(root_finder=root)
    sol = dfx.diffeqsolve(
        terms,
        solver,
        0.0,
        t_end,
        dt,
        jnp.asarray(u0),
        saveat=dfx.SaveAt(ts=ts),
        stepsize_controller=controller,
        max_steps=int(np.ceil(t_end / dt)) + 10 if not adaptive else 100_000,
    )
    return sol.ys


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

    Returns ``{"u": (n_traj, n_steps + 1, n_grid) float64, "t": (n_steps + 1,),
    "x": (n_grid,)}``; u[:, 0] is the initial condition. Wrap the call in
    :func:`jaxdyn.data.cache.cached` to store it on disk.
    """
    if n_solver % n_grid:
        raise ValueError(f"n_solver={n_solver} must be a multiple of n_grid={n_grid}")
    system = Burgers(nu=nu, N=n_solver, length=length)
    ts = dt_save * np.arange(1, n_steps + 1)
    keys = jax.random.split(jax.random.PRNGKey(seed), n_traj)
    stride = n_solver // n_grid
    out = []
    for i in range(0, n_traj, chunk):
        k = keys[i : i + chunk]
        u0 = jax.vmap(
            lambda kk: grf_initial_condition(kk, n_solver, amplitude=amplitude, length=length)
        )(k)
        us = system.solve(u0, ts, dt=dt_solver)
        out.append(np.concatenate([np.asarray(u0)[:, None], np.asarray(us)], axis=1)[..., ::stride])
    return {
        "u": np.concatenate(out, axis=0),
        "t": np.concatenate([[0.0], ts]),
        "x": np.arange(n_grid) * length / n_grid,
    }
