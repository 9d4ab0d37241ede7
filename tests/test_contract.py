"""The contract every registered System keeps; a new system gets these checks for free."""

from __future__ import annotations

import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxdyn
from jaxdyn import systems
from jaxdyn.core import KINDS, AbstractSystem


def short_run(system, key, **kw):
    """A run of one characteristic time (rounded to whole steps for maps)."""
    t1 = system.t_char
    if isinstance(system, jaxdyn.AbstractMap):
        h = system.time_step()
        t1 = h * max(1, round(t1 / h))
    return jaxdyn.simulate(system, t1, key=key, **kw)


def first_param(cls) -> str:
    return next(iter(cls.param_ranges))


def nudged(cls, p, value):
    lo, hi = cls.param_ranges[p]
    v = float(value) * 1.05 + 1e-3
    return min(max(v, lo), hi) if v <= hi else float(value) - 1e-3


@pytest.fixture(params=systems.names())
def cls(request):
    return systems.get(request.param)


def test_constructs_from_defaults_and_a_short_run_is_ok(cls, key):
    system = cls()
    traj = short_run(system, key)
    assert int(traj.status) == jaxdyn.STATUS_OK
    assert int(traj.num_steps) >= 1
    for leaf in jax.tree_util.tree_leaves(traj.ys):
        assert np.all(np.isfinite(np.asarray(leaf, dtype=float)))


def test_jit_and_vmap_over_a_parameter_equal_single_runs(cls, key):
    system = cls()
    p = first_param(cls)
    v0 = float(getattr(system, p))
    values = jnp.asarray([v0, nudged(cls, p, v0)])
    final = lambda s: jax.tree_util.tree_map(lambda x: x[-1], short_run(s, key).ys)

    @jax.jit
    def batched(vs):
        return jax.vmap(lambda v: final(eqx.tree_at(lambda s: getattr(s, p), system, v)))(vs)

    out = batched(values)
    for i, v in enumerate(np.asarray(values)):
        single = final(cls(**{p: float(v)}))
        for a, b in zip(
            jax.tree_util.tree_leaves(out), jax.tree_util.tree_leaves(single), strict=True
        ):
            np.testing.assert_allclose(np.asarray(a)[i], np.asarray(b), rtol=1e-6, atol=1e-9)


def test_gradient_with_respect_to_a_parameter_is_finite(cls, key):
    system = cls()
    p = first_param(cls)

    def loss(v):
        s = eqx.tree_at(lambda s: getattr(s, p), system, v)
        leaves = jax.tree_util.tree_leaves(short_run(s, key).ys)
        return sum(jnp.sum(jnp.asarray(x, dtype=float)[-1]) for x in leaves)

    g = jax.grad(loss)(jnp.asarray(getattr(system, p), dtype=float))
    assert np.all(np.isfinite(np.asarray(g)))


def test_bad_parameters_raise_the_documented_error(cls):
    for p, (lo, hi) in cls.param_ranges.items():
        with pytest.raises(ValueError, match=p):
            cls(**{p: math.nan})
        bad = hi + 1.0 + abs(hi) if math.isfinite(hi) else lo - 1.0 - abs(lo)
        if math.isfinite(bad):
            with pytest.raises(ValueError, match=p):
                cls(**{p: bad})


def test_metadata_is_complete(cls):
    assert cls.name and cls.reference
    assert cls.t_char > 0 and cls.default_dt > 0
    info = systems.info(cls.name)
    assert info["kind"] in {k.__name__ for k in KINDS}
    assert set(info["parameters"]) == set(cls.param_ranges)


def test_concrete_systems_are_final_and_bases_are_abstract():
    registered = [systems.get(n) for n in systems.names()]
    for cls in registered:
        for other in registered:
            assert other is cls or not issubclass(other, cls), (other, cls)
        for base in cls.__mro__[1:]:
            if isinstance(base, type) and issubclass(base, AbstractSystem):
                assert base.__name__.startswith("Abstract"), base
