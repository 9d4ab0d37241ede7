"""System construction: parameters validated with errors that name them."""

import jax.numpy as jnp
import pytest

from jaxdyn.systems import Lorenz, Sync1D


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"L": 2}, r"L must lie in \[3, inf\], got 2"),
        ({"L": 8.5}, "L must be an integer"),
        ({"sigma": -0.1}, r"'sigma' must lie in \[0.0, 1000000.0\], got -0.1"),
        ({"K": float("nan")}, "'K' must be finite"),
        ({"K": [1.0, 2.0]}, r"'K' must be a scalar, got shape \(2,\)"),
        ({"a": jnp.ones((2, 2))}, "'a' must be a scalar"),
        ({"randomness": "pink"}, "randomness must be 'columnar' or 'white'"),
    ],
)
def test_sync1d_rejects_bad_parameters(kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message):
        Sync1D(**kwargs)


def test_lorenz_validates_and_keeps_defaults():
    sys = Lorenz()
    assert (float(sys.sigma), float(sys.rho), float(sys.beta)) == (10.0, 28.0, 8.0 / 3.0)
    with pytest.raises(ValueError, match="'beta' must lie in"):
        Lorenz(beta=-1.0)
    # The classic fixed points C± = (±sqrt(β(ρ-1)), ±sqrt(β(ρ-1)), ρ-1) are equilibria.
    c = jnp.sqrt(sys.beta * (sys.rho - 1))
    for s in (1, -1):
        assert jnp.allclose(sys.drift(0.0, jnp.array([s * c, s * c, sys.rho - 1])), 0, atol=1e-12)
