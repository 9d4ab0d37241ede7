"""Every kind of bad input at the public API gets a clear error that names the argument.

Each case is (label, callable, expected exception type, a regex the message must match,
which names the argument). The command line's cases live in ``test_cli.py``.
"""

from __future__ import annotations

import math
from typing import ClassVar

import diffrax as dfx
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxdyn
from jaxdyn import Grid, Interval, Positive, fit, log_times, simulate, sweep
from jaxdyn.systems import (
    Burgers,
    DelayedReplicator,
    Heat2D,
    Lorenz,
    Quadratic,
    RedundantGradientNetwork,
    RepressionABM,
    Sync1D,
    UnderdampedLangevin,
)

KEY = jax.random.PRNGKey(0)
NAN, INF = math.nan, math.inf


class PlainArray(jaxdyn.AbstractODE):
    """A parameter annotated with a bare ``jax.Array``: a scalar unless annotated with a shape."""

    theta: jax.Array
    param_ranges: ClassVar = {"theta": (0.0, 10.0)}

    def __init__(self, theta=1.0):
        self.theta = jnp.asarray(theta, dtype=float)

    def drift(self, t, y, args=None):
        return -self.theta * y

    def initial_state(self, key=None):
        return jnp.ones(2)


lorenz = Lorenz()
noisy = Sync1D(L=8, randomness="white")
replicator = DelayedReplicator()
heat = Heat2D(m=4, dt=0.1)
abm = RepressionABM("reactive")
burgers = Burgers(N=16)
member = lambda s, k: simulate(s, 1.0, key=k)
grid = Grid.product(K=[1.0, 2.0])
decay_loss = lambda m: jnp.sum(simulate(m, 1.0).ys ** 2)

CASES = [
    # simulate: common arguments (the ODE path)
    ("system not a System", lambda: simulate("lorenz", 1.0), TypeError, "system must be"),
    ("t1 infinite", lambda: simulate(lorenz, INF), ValueError, "t1 must be finite"),
    ("t1 NaN", lambda: simulate(lorenz, NAN), ValueError, "t1 must be finite"),
    ("t1 not after t0", lambda: simulate(lorenz, 1.0, t0=2.0), ValueError, "t1 must be greater"),
    ("t0 infinite", lambda: simulate(lorenz, 1.0, t0=-INF), ValueError, "t0 must be finite"),
    ("t1 a string", lambda: simulate(lorenz, "1"), TypeError, "t1 must be a number"),
    ("dt negative", lambda: simulate(lorenz, 1.0, dt=-0.1), ValueError, "dt must be positive"),
    ("dt zero", lambda: simulate(lorenz, 1.0, dt=0.0), ValueError, "dt must be positive"),
    ("dt NaN", lambda: simulate(lorenz, 1.0, dt=NAN), ValueError, "dt must be finite"),
    ("ts after t1", lambda: simulate(lorenz, 1.0, ts=[0.5, 2.0]), ValueError, r"ts must lie in"),
    ("ts before t0", lambda: simulate(lorenz, 1.0, ts=[-1.0, 0.5]), ValueError, "ts must lie in"),
    (
        "ts decreasing",
        lambda: simulate(lorenz, 1.0, ts=[0.8, 0.2]),
        ValueError,
        "ts must be sorted",
    ),
    ("ts NaN", lambda: simulate(lorenz, 1.0, ts=[0.2, NAN]), ValueError, "ts must be finite"),
    ("ts 2-D", lambda: simulate(lorenz, 1.0, ts=np.zeros((2, 2))), ValueError, "ts must be a"),
    ("ts empty", lambda: simulate(lorenz, 1.0, ts=[]), ValueError, "ts must be a non-empty"),
    ("ts strings", lambda: simulate(lorenz, 1.0, ts=["a"]), TypeError, "ts must be an array"),
    ("rtol negative", lambda: simulate(lorenz, 1.0, rtol=-1.0), ValueError, "rtol must be"),
    ("atol zero", lambda: simulate(lorenz, 1.0, atol=0.0), ValueError, "atol must be"),
    ("rtol NaN", lambda: simulate(lorenz, 1.0, rtol=NAN), ValueError, "rtol must be"),
    ("max_steps 0", lambda: simulate(lorenz, 1.0, max_steps=0), ValueError, "max_steps"),
    ("max_steps float", lambda: simulate(lorenz, 1.0, max_steps=1.5), TypeError, "max_steps"),
    ("y0 wrong shape", lambda: simulate(lorenz, 1.0, y0=jnp.ones(2)), ValueError, "y0 must"),
    (
        "y0 wrong structure",
        lambda: simulate(lorenz, 1.0, y0=(jnp.ones(3), jnp.ones(3))),
        ValueError,
        "y0 must have the structure",
    ),
    ("observable", lambda: simulate(lorenz, 1.0, observable=3), TypeError, "observable must"),
    (
        "option of another kind",
        lambda: simulate(lorenz, 1.0, max_delay=2.0),
        TypeError,
        "'max_delay'",
    ),
    ("unknown option", lambda: simulate(lorenz, 1.0, tolerance=1e-3), TypeError, "'tolerance'"),
    ("key an int", lambda: simulate(lorenz, 1.0, key=3), TypeError, "key must be a single PRNG"),
    ("key batch", lambda: simulate(lorenz, 1.0, key=jax.random.split(KEY, 3)), TypeError, "key"),
    ("throw a string", lambda: simulate(lorenz, 1.0, throw="yes"), TypeError, "throw must"),
    # the SDE path
    ("SDE without key", lambda: simulate(noisy, 1.0), ValueError, "needs key="),
    ("SDE ts decreasing", lambda: simulate(noisy, 1.0, key=KEY, ts=[0.9, 0.1]), ValueError, "ts"),
    (
        "SDE ts NaN",
        lambda: simulate(noisy, 1.0, key=KEY, ts=[NAN]),
        ValueError,
        "ts must be finite",
    ),
    ("SDE ts outside", lambda: simulate(noisy, 1.0, key=KEY, ts=[2.0]), ValueError, "ts must lie"),
    (
        "adaptive SDE rtol",
        lambda: simulate(noisy, 1.0, key=KEY, adaptive=True, rtol=-1.0),
        ValueError,
        "rtol",
    ),
    # the delay path
    ("DDE rtol", lambda: simulate(replicator, 1.0, rtol=1e-6), TypeError, "'rtol' does not apply"),
    (
        "DDE max_delay < 0",
        lambda: simulate(replicator, 1.0, max_delay=-1.0),
        ValueError,
        "max_delay",
    ),
    (
        "DDE max_delay inf",
        lambda: simulate(replicator, 1.0, max_delay=INF),
        ValueError,
        "max_delay",
    ),
    (
        "DDE delay beyond max_delay",
        lambda: simulate(replicator, 1.0, max_delay=0.5),
        ValueError,
        r"max_delay=0.5",
    ),
    (
        "DDE overlap_iters",
        lambda: simulate(replicator, 1.0, overlap_iters=-1),
        ValueError,
        "overlap",
    ),
    ("DDE align", lambda: simulate(replicator, 1.0, align="yes"), TypeError, "align must"),
    ("DDE history", lambda: simulate(replicator, 1.0, history=2.0), TypeError, "history must"),
    (
        "DDE implicit solver",
        lambda: simulate(replicator, 1.0, solver=dfx.Kvaerno5()),
        TypeError,
        "solver must be an explicit",
    ),
    ("DDE ts outside", lambda: simulate(replicator, 1.0, ts=[3.0]), ValueError, "ts must lie"),
    ("DDE dt NaN", lambda: simulate(replicator, 1.0, dt=NAN), ValueError, "dt must be finite"),
    # the map path
    ("map dt", lambda: simulate(heat, 1.0, dt=0.05), ValueError, "dt does not apply to Heat2D"),
    ("map t1 off grid", lambda: simulate(heat, 0.25), ValueError, "whole number of steps"),
    (
        "map ts off grid",
        lambda: simulate(heat, 1.0, ts=[0.15]),
        ValueError,
        "ts must lie on the step",
    ),
    (
        "map solver",
        lambda: simulate(heat, 1.0, solver=dfx.Tsit5()),
        TypeError,
        "solver does not apply",
    ),
    ("random map without key", lambda: simulate(abm, 10.0), ValueError, "needs key="),
    ("map rtol", lambda: simulate(abm, 10.0, key=KEY, rtol=1e-3), TypeError, "'rtol'"),
    # the semi-linear path
    ("ETDRK4 rtol", lambda: simulate(burgers, 0.1, rtol=1e-6), TypeError, "'rtol' applies"),
    ("ETDRK4 dt inf", lambda: simulate(burgers, 0.1, dt=INF), ValueError, "dt must be finite"),
    (
        "IMEX on an ODE",
        lambda: simulate(lorenz, 1.0, solver=dfx.Sil3()),
        TypeError,
        "IMEX method: it needs a semi-linear",
    ),
    # parameters of systems
    ("parameter NaN", lambda: Lorenz(sigma=NAN), ValueError, "'sigma' must be finite"),
    ("parameter below range", lambda: Lorenz(sigma=-1.0), ValueError, r"'sigma' must lie in"),
    ("parameter infinite", lambda: Lorenz(rho=INF), ValueError, "'rho' must be finite"),
    ("parameter of wrong rank", lambda: Lorenz(sigma=[1.0, 2.0]), ValueError, "'sigma' must be a"),
    (
        "plain Array param rank",
        lambda: PlainArray(theta=[1.0, 2.0]),
        ValueError,
        "'theta' must be a",
    ),
    ("parameter a string", lambda: PlainArray(theta="x"), (ValueError, TypeError), "theta|float"),
    ("lattice too small", lambda: Sync1D(L=2), ValueError, r"L must lie in"),
    ("lattice not integer", lambda: Sync1D(L=3.5), TypeError, "L must be an integer"),
    ("randomness", lambda: Sync1D(randomness="pink"), ValueError, "randomness must be"),
    ("Burgers odd N", lambda: Burgers(N=9), ValueError, "N must be even"),
    ("Burgers nu", lambda: Burgers(nu=0.0), ValueError, "'nu' must lie in"),
    ("Heat2D dt", lambda: Heat2D(dt=0.0), ValueError, r"dt must be finite and lie in"),
    ("Heat2D amplitude", lambda: Heat2D(amplitude=1.0), ValueError, "'amplitude' must lie"),
    ("ABM architecture", lambda: RepressionABM("greedy"), ValueError, "architecture must be"),
    ("ABM delay", lambda: RepressionABM("reactive", 40.0), ValueError, "'delay' must lie"),
    ("replicator b >= c", lambda: DelayedReplicator(b=3.0, c=2.0), ValueError, "need b < c"),
    ("Langevin dim", lambda: UnderdampedLangevin(dim=0), ValueError, "dim must be"),
    ("Langevin potential", lambda: UnderdampedLangevin(potential=3.0), TypeError, "potential"),
    (
        "Laplacian not symmetric",
        lambda: RedundantGradientNetwork(laplacian=np.array([[1.0, -1.0], [0.0, 0.0]])),
        ValueError,
        "laplacian",
    ),
    ("Hessian indefinite", lambda: Quadratic(np.zeros(2), -1.0), ValueError, "hessian must be"),
    # sweep
    ("grid not a Grid", lambda: sweep(member, lorenz, {"rho": [1.0]}), TypeError, "grid must be"),
    ("seeds 0", lambda: sweep(member, noisy, grid, seeds=0), ValueError, "seeds must be"),
    ("seeds float", lambda: sweep(member, noisy, grid, seeds=1.5), ValueError, "seeds must be"),
    ("chunk_size 0", lambda: sweep(member, noisy, grid, chunk_size=0), ValueError, "chunk_size"),
    (
        "chunk_size bool",
        lambda: sweep(member, noisy, grid, chunk_size=True),
        ValueError,
        "chunk_size",
    ),
    (
        "static field swept",
        lambda: sweep(member, noisy, Grid.product(L=[8.0])),
        ValueError,
        "'L' is not a sweepable field",
    ),
    (
        "class setting swept",
        lambda: sweep(member, noisy, Grid.product(default_dt=[0.1])),
        ValueError,
        "'default_dt' is not a sweepable field",
    ),
    (
        "noise kind swept",
        lambda: sweep(member, noisy, Grid.product(noise=[1.0])),
        ValueError,
        "'noise' is not a sweepable",
    ),
    (
        "grid value out of range",
        lambda: sweep(member, noisy, Grid.product(sigma=[-1.0])),
        ValueError,
        "'sigma' must lie in",
    ),
    ("fn not callable", lambda: sweep(3, noisy, grid), TypeError, "fn must be a function"),
    ("sweep system", lambda: sweep(member, "ring", grid), TypeError, "system must be"),
    ("version not a string", lambda: sweep(member, noisy, grid, version=2), TypeError, "version"),
    # grids
    ("empty axis", lambda: Grid.product(K=[]), ValueError, "'K' is empty"),
    ("NaN in axis", lambda: Grid.product(K=[1.0, NAN]), ValueError, "'K' contains NaN"),
    ("2-D axis", lambda: Grid.product(K=np.ones((2, 2))), ValueError, "'K' must be 1-D"),
    ("points lengths", lambda: Grid.points(K=[1.0, 2.0], a=[1.0]), ValueError, "equal lengths"),
    ("no axes", lambda: Grid.product(), ValueError, "at least one"),
    ("axis strings", lambda: Grid.product(K=["a"]), ValueError, "'K'"),
    # fit
    ("fit no fields", lambda: fit(decay_loss, lorenz, []), ValueError, "fields must name"),
    ("fit unknown field", lambda: fit(decay_loss, lorenz, ["mu"]), ValueError, "no field 'mu'"),
    ("fit steps 0", lambda: fit(decay_loss, lorenz, ["rho"], steps=0), ValueError, "steps must be"),
    (
        "fit transform of unfitted field",
        lambda: fit(decay_loss, lorenz, ["rho"], transforms={"beta": Positive()}),
        ValueError,
        "transforms given for fields that are not fitted",
    ),
    ("fit loss", lambda: fit(3.0, lorenz, ["rho"]), TypeError, "loss must be"),
    (
        "fit optimizer",
        lambda: fit(decay_loss, lorenz, ["rho"], optimizer="adam"),
        TypeError,
        "optim",
    ),
    ("Interval bounds", lambda: Interval(1.0, 0.0), ValueError, "Interval needs high > low"),
    # helpers
    ("log_times t_min", lambda: log_times(0.0, 1.0, 5), ValueError, "log_times needs 0 < t_min"),
    ("log_times n", lambda: log_times(0.1, 1.0, 0), ValueError, "n must be a positive"),
]


@pytest.mark.parametrize("label, call, exc, message", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_named(label, call, exc, message):
    with pytest.raises(exc, match=message):
        call()


def test_fit_warns_when_a_constrained_parameter_starts_at_its_boundary():
    model = Lorenz(sigma=0.0)
    with pytest.warns(UserWarning, match="'sigma' starts at 0.0, the boundary of Positive"):
        fit(
            lambda m: (m.sigma - 1.0) ** 2,
            model,
            ["sigma"],
            transforms={"sigma": Positive()},
            optimizer=optax.adam(0.1),
            steps=2,
            curvature=False,
        )


def test_there_are_more_kinds_than_the_85_tried():
    from test_cli import test_bad_input_gives_a_clear_error_before_any_work as cli

    n_cli = len(cli.pytestmark[0].args[1])
    assert len(CASES) + n_cli >= 85
