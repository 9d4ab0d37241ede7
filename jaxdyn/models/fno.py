"""One-dimensional Fourier neural operator (Li et al., ICLR 2021).

    v_0 = P_in [u; x],   v_{l+1} = σ( K_l v_l + W_l v_l + b_l ),   out = Q v_L,

where P_in and Q are pointwise (per grid point) maps, W_l is a pointwise linear map,
σ = GELU (not applied after the last layer), and the spectral convolution

    K_l v = F^{-1}[ R_l(m) · (F v)(m) ]  for |m| < modes,  0 otherwise,

multiplies the lowest ``modes`` Fourier modes by learned complex matrices R_l(m)
(width × width). Fourier transforms use the "forward" normalisation, so F v holds the
Fourier-series coefficients of the sampled function: for a band-limited input the
spectral layer gives the same function at any resolution (tested), and the operator can
be evaluated on grids other than the training grid.

:class:`FNOStep` wraps an FNO as the autoregressive step map of a 1-D field,
u(t + Δt) = u(t) + G(u)(x), optionally with a second output channel giving the
per-location log-variance s(x) of the heteroscedastic JAWS likelihood (see
:mod:`jaxdyn.models.jacobian`).
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray

from ..core import check_int


class PointwiseLinear(eqx.Module):
    """y[o, n] = Σ_i W[o, i] x[i, n] + b[o]: a 1×1 convolution over grid points."""

    weight: Float[Array, "c_out c_in"]
    bias: Float[Array, " c_out"]

    def __init__(self, in_size: int, out_size: int, *, key: PRNGKeyArray, dtype=None):
        dtype = dtype or jnp.result_type(float)
        lim = 1.0 / jnp.sqrt(in_size)
        kw, kb = jax.random.split(key)
        self.weight = jax.random.uniform(kw, (out_size, in_size), dtype, -lim, lim)
        self.bias = jax.random.uniform(kb, (out_size,), dtype, -lim, lim)

    def __call__(self, x: Float[Array, "c_in n"]) -> Float[Array, "c_out n"]:
        return self.weight @ x + self.bias[:, None]


class SpectralConv1d(eqx.Module):
    """K v = irfft( R(m) rfft(v)(m) ) on the lowest ``modes`` modes (Li et al. 2021)."""

    weight_re: Float[Array, "c_out c_in modes"]
    weight_im: Float[Array, "c_out c_in modes"]
    modes: int = eqx.field(static=True)

    def __init__(self, in_size: int, out_size: int, modes: int, *, key, dtype=None):
        dtype = dtype or jnp.result_type(float)
        self.modes = check_int("modes", modes, 1)
        # Li et al.'s initialisation: uniform in [0, 1/(in·out)) for both parts.
        scale = 1.0 / (in_size * out_size)
        kr, ki = jax.random.split(key)
        self.weight_re = scale * jax.random.uniform(kr, (out_size, in_size, modes), dtype)
        self.weight_im = scale * jax.random.uniform(ki, (out_size, in_size, modes), dtype)

    def __call__(self, x: Float[Array, "c_in n"]) -> Float[Array, "c_out n"]:
        n = x.shape[-1]
        if self.modes > n // 2:
            raise ValueError(
                f"SpectralConv1d keeps {self.modes} modes but a grid of n={n} points "
                f"resolves only n//2={n // 2}: use n >= {2 * self.modes}"
            )
        xh = jnp.fft.rfft(x, axis=-1, norm="forward")[:, : self.modes]
        w = self.weight_re + 1j * self.weight_im
        yh = jnp.einsum("oim,im->om", w, xh)
        return jnp.fft.irfft(yh, n=n, axis=-1, norm="forward").astype(x.dtype)


class FNO1d(eqx.Module):
    """Fourier neural operator on a periodic 1-D grid: (in_channels, n) -> (out_channels, n).

    The grid coordinate x_j = j / n ∈ [0, 1) is appended to the input channels, as in
    Li et al. (2021).
    """

    lift: PointwiseLinear
    spectral: tuple[SpectralConv1d, ...]
    pointwise: tuple[PointwiseLinear, ...]
    proj1: PointwiseLinear
    proj2: PointwiseLinear

    def __init__(
        self,
        in_channels: int = 1,
        out_channels: int = 1,
        width: int = 32,
        modes: int = 16,
        n_layers: int = 4,
        proj_width: int | None = None,
        *,
        key: PRNGKeyArray,
        dtype=None,
    ):
        check_int("in_channels", in_channels, 1)
        check_int("out_channels", out_channels, 1)
        check_int("width", width, 1)
        check_int("n_layers", n_layers, 1)
        proj_width = proj_width or 4 * width
        keys = jax.random.split(key, 2 * n_layers + 3)
        self.lift = PointwiseLinear(in_channels + 1, width, key=keys[0], dtype=dtype)
        self.spectral = tuple(
            SpectralConv1d(width, width, modes, key=keys[1 + i], dtype=dtype)
            for i in range(n_layers)
        )
        self.pointwise = tuple(
            PointwiseLinear(width, width, key=keys[1 + n_layers + i], dtype=dtype)
            for i in range(n_layers)
        )
        self.proj1 = PointwiseLinear(width, proj_width, key=keys[-2], dtype=dtype)
        self.proj2 = PointwiseLinear(proj_width, out_channels, key=keys[-1], dtype=dtype)

    def __call__(self, u: Float[Array, "c_in n"]) -> Float[Array, "c_out n"]:
        n = u.shape[-1]
        grid = (jnp.arange(n) / n).astype(u.dtype)[None, :]
        v = self.lift(jnp.concatenate([u, grid], axis=0))
        last = len(self.spectral) - 1
        for i, (k, w) in enumerate(zip(self.spectral, self.pointwise, strict=True)):
            v = k(v) + w(v)
            if i < last:
                v = jax.nn.gelu(v)
        return self.proj2(jax.nn.gelu(self.proj1(v)))


class FNOStep(eqx.Module):
    """Autoregressive step map u(t) -> u(t + Δt) = u + G(u), G an :class:`FNO1d`.

    With ``heteroscedastic=True`` the FNO has a second output channel r(x) and
    :meth:`mean_and_logvar` also returns the per-location log-variance
    s(x) = s_min + (s_max - s_min) sigmoid(r(x)), bounded so that the Gaussian NLL stays
    finite in float32 (the small JAWS uncertainty head, sharing the FNO trunk).
    """

    fno: FNO1d
    heteroscedastic: bool = eqx.field(static=True)
    residual: bool = eqx.field(static=True)
    s_min: float = eqx.field(static=True, default=-16.0)
    s_max: float = eqx.field(static=True, default=2.0)

    def __init__(
        self,
        width: int = 32,
        modes: int = 16,
        n_layers: int = 4,
        *,
        key: PRNGKeyArray,
        heteroscedastic: bool = False,
        residual: bool = True,
        dtype=None,
    ):
        self.heteroscedastic = heteroscedastic
        self.residual = residual
        out = 2 if heteroscedastic else 1
        self.fno = FNO1d(1, out, width, modes, n_layers, key=key, dtype=dtype)

    def mean_and_logvar(self, u: Float[Array, " n"]) -> tuple[Array, Array | None]:
        out = self.fno(u[None, :])
        mean = u + out[0] if self.residual else out[0]
        if not self.heteroscedastic:
            return mean, None
        s = self.s_min + (self.s_max - self.s_min) * jax.nn.sigmoid(out[1])
        return mean, s

    def __call__(self, u: Float[Array, " n"]) -> Float[Array, " n"]:
        return self.mean_and_logvar(u)[0]

    def rollout(self, u0: Float[Array, " n"], n_steps: int) -> Float[Array, "T n"]:
        """States u_1 .. u_T of the autoregressive rollout from u0 (T = n_steps)."""

        def body(u, _):
            u = self(u)
            return u, u

        return jax.lax.scan(body, u0, None, length=n_steps)[1]
