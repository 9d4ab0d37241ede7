import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxdyn.models.fno import FNO1d, FNOStep, SpectralConv1d


def _band_limited(key, channels, n, max_mode):
    """Random real fields with Fourier modes 0..max_mode only, sampled on n points."""
    x = jnp.arange(n) / n
    m = jnp.arange(max_mode + 1)
    a, b = jax.random.normal(key, (2, channels, max_mode + 1))
    phase = 2 * jnp.pi * m[:, None] * x[None, :]
    return a @ jnp.cos(phase) + b @ jnp.sin(phase)


def test_spectral_layer_is_resolution_invariant(key):
    layer = SpectralConv1d(3, 4, modes=6, key=key)
    kx = jax.random.PRNGKey(1)
    f = eqx.filter_jit(lambda layer, n: layer(_band_limited(kx, 3, n, 10)))
    coarse, fine = f(layer, 32), f(layer, 64)
    assert coarse.shape == (4, 32) and fine.shape == (4, 64)
    np.testing.assert_allclose(fine[:, ::2], coarse, atol=1e-13)
    # And it really is a filter: modes >= `modes` of the output vanish.
    spec = np.abs(np.fft.rfft(np.asarray(fine), axis=-1))
    assert spec[:, 6:].max() < 1e-12 and spec[:, :6].max() > 1e-3


def test_spectral_layer_matches_dense_fourier_multiplier(key):
    """K v at one grid point equals the explicit sum over modes of R(m) v̂(m) e^{ikx}."""
    layer = SpectralConv1d(2, 2, modes=3, key=key)
    v = jax.random.normal(jax.random.PRNGKey(2), (2, 16))
    vh = np.fft.rfft(np.asarray(v), axis=-1) / 16
    w = np.asarray(layer.weight_re + 1j * layer.weight_im)
    yh = np.einsum("oim,im->om", w, vh[:, :3])
    x = np.arange(16) / 16
    expect = yh[:, :1].real + 2 * np.real(
        yh[:, 1:] @ np.exp(2j * np.pi * np.outer(np.arange(1, 3), x))
    )
    np.testing.assert_allclose(layer(v), expect, atol=1e-13)


def test_too_many_modes_raises(key):
    layer = SpectralConv1d(1, 1, modes=9, key=key)
    with pytest.raises(ValueError, match="n >= 18"):
        layer(jnp.zeros((1, 16)))


def test_fno_shapes_dtype_and_rollout(key):
    fno = FNO1d(1, 2, width=8, modes=4, n_layers=2, key=key)
    step = FNOStep(8, 4, 2, key=key, heteroscedastic=True, dtype=jnp.float32)
    plain = FNOStep(8, 4, 2, key=key)
    u = jnp.sin(2 * jnp.pi * jnp.arange(32) / 32).astype(jnp.float32)

    @eqx.filter_jit
    def run(fno, step, plain, u):
        three = step(step(step(u)))
        return fno(jnp.ones((1, 32))), step.mean_and_logvar(u), step.rollout(u, 3), three, plain(u)

    out, (mean, s), traj, three, plain_out = run(fno, step, plain, u)
    assert out.shape == (2, 32) and plain_out.shape == (32,)
    assert mean.dtype == jnp.float32 and s.dtype == jnp.float32
    assert np.all((s >= step.s_min) & (s <= step.s_max))
    np.testing.assert_allclose(traj[2], three, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(traj[0], mean, rtol=1e-6, atol=1e-6)
