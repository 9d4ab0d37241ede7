"""CfC and LTC cells (paper 19) against the reference implementation, ``ncps`` (PyTorch).

With the same weights our cells give ncps's outputs to float32 round-off; the LTC ODE
integrated by ``simulate`` is the limit of the fused unfolding; bad sizes and modes raise.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxdyn.models.cfc import CfC, CfCCell, TimeGRU
from jaxdyn.models.ltc import LTC, LTCODE, LTCCell

torch = pytest.importorskip("torch")
ncps_torch = pytest.importorskip("ncps.torch")
wirings = pytest.importorskip("ncps.wirings")

F32_TOL = dict(rtol=2e-5, atol=2e-6)


def _arr(t):
    return jnp.asarray(t.detach().numpy(), jnp.float32)


def cfc_from_ncps(tc, mode: str) -> CfCCell:
    """Our cell with the weights of an ncps CfCCell (same layer names)."""
    n_bb = tc.backbone_layers
    units = tc.ff1.in_features if n_bb else 1
    kw = dict(mode=mode, backbone_layers=n_bb, backbone_units=units, key=jax.random.PRNGKey(0))
    cell = CfCCell(tc.input_size, tc.hidden_size, **kw)

    def lin(ours, theirs):
        new = (_arr(theirs.weight), _arr(theirs.bias))
        return eqx.tree_at(lambda layer: (layer.weight, layer.bias), ours, new)

    bb = tuple(lin(o, t) for o, t in zip(cell.backbone, tc.backbone[::2], strict=True))
    cell = eqx.tree_at(lambda c: c.backbone, cell, bb)
    cell = eqx.tree_at(lambda c: c.ff1, cell, lin(cell.ff1, tc.ff1))
    if mode == "pure":
        return eqx.tree_at(lambda c: (c.w_tau, c.A), cell, (_arr(tc.w_tau)[0], _arr(tc.A)[0]))
    for name in ("ff2", "time_a", "time_b"):
        cell = eqx.tree_at(
            lambda c, n=name: getattr(c, n), cell, lin(getattr(cell, name), getattr(tc, name))
        )
    return cell


@pytest.mark.parametrize("mode", ["default", "no_gate", "pure"])
@pytest.mark.parametrize("layers", [1, 2])
def test_cfc_cell_matches_ncps(mode, layers):
    torch.manual_seed(0)
    tc = ncps_torch.CfCCell(3, 8, mode=mode, backbone_units=16, backbone_layers=layers)
    if mode == "pure":  # ncps starts at w_tau = 0, A = 1: perturb to test every term
        with torch.no_grad():
            tc.w_tau.normal_()
            tc.A.normal_()
    cell = cfc_from_ncps(tc, mode)
    x, h = torch.randn(5, 3), torch.randn(5, 8)
    ts = torch.rand(5) * 3
    ref, _ = tc(x, h, ts[:, None])
    ours = jax.vmap(cell)(_arr(x), _arr(h), _arr(ts)[:, None])
    assert ours.dtype == jnp.float32
    np.testing.assert_allclose(ours, ref.detach().numpy(), **F32_TOL)


def ltc_from_ncps(tc, units, motor) -> LTCCell:
    cell = LTCCell(
        tc.sensory_size, units, motor, ode_unfolds=tc._ode_unfolds, key=jax.random.PRNGKey(0)
    )
    names = ["gleak", "vleak", "cm", "sigma", "mu", "w", "erev", "sensory_sigma", "sensory_mu",
             "sensory_w", "sensory_erev", "input_w", "input_b", "output_w", "output_b"]  # fmt: skip
    vals = tuple(_arr(tc._params[n]) for n in names)
    return eqx.tree_at(lambda c: tuple(getattr(c, n) for n in names), cell, vals)


def test_ltc_fused_cell_matches_ncps_over_an_irregular_sequence():
    torch.manual_seed(1)
    units, motor = 10, 2
    wiring = wirings.FullyConnected(units, motor)
    tc = ncps_torch.LTCCell(wiring, in_features=3)
    with torch.no_grad():  # non-trivial input/output maps
        tc._params["input_w"].normal_()
        tc._params["input_b"].normal_()
        tc._params["output_b"].normal_()
    cell = ltc_from_ncps(tc, units, motor)
    xs, dts = torch.randn(12, 3), torch.rand(12) * 2 + 0.1
    h = torch.zeros(1, units)
    ref = []
    for k in range(12):
        out, h = tc(xs[k : k + 1], h, float(dts[k]))
        ref.append(out.detach().numpy()[0])
    model = eqx.tree_at(lambda m: m.cell, LTC(3, units, motor, key=jax.random.PRNGKey(0)), cell)
    ours = model(_arr(xs), _arr(dts))
    np.testing.assert_allclose(ours, np.stack(ref), **F32_TOL)


@pytest.mark.slow
def test_ltc_ode_is_the_limit_of_the_fused_unfolding():
    """The fused step is semi-implicit Euler: first order in Δ/unfolds towards the ODE."""
    key = jax.random.PRNGKey(2)
    cell = LTCCell(2, 6, 1, key=key)
    x = jnp.array([0.7, -0.3])
    v0 = jax.random.normal(key, (6,)) * 0.3
    from jaxdyn import simulate

    exact = simulate(LTCODE(cell, x), 1.0, y0=v0, rtol=1e-10, atol=1e-12).ys[-1]
    errs = []
    ns = (16, 32, 64, 128)
    for unfolds in ns:
        fused = jax.jit(lambda x, v: cell.fused(x, v, 1.0, unfolds))
        errs.append(float(jnp.max(jnp.abs(fused(x, v0) - exact))))
    slope = np.polyfit(np.log(ns), np.log(errs), 1)[0]
    assert abs(slope + 1) < 0.1, (errs, slope)


@pytest.mark.slow
def test_sequence_models_run_and_differentiate():
    key = jax.random.PRNGKey(3)
    xs, dts = jax.random.normal(key, (6, 2)), jnp.full(6, 0.5)
    for model in (CfC(2, 8, 1, key=key, backbone_units=8), TimeGRU(2, 8, 1, key=key),
                  LTC(2, 6, 1, key=key), LTC(2, 6, 1, key=key, solver="ode")):  # fmt: skip
        g = eqx.filter_grad(lambda m: jnp.sum(m(xs, dts) ** 2))(model)
        leaves = jax.tree_util.tree_leaves(eqx.filter(g, eqx.is_inexact_array))
        assert all(np.all(np.isfinite(np.asarray(x))) for x in leaves)


BAD = [
    (lambda: CfCCell(0, 4, key=jax.random.PRNGKey(0)), "input_size"),
    (lambda: CfCCell(2, 4, mode="gated", key=jax.random.PRNGKey(0)), "mode"),
    (lambda: CfCCell(2, 4, activation="swish", key=jax.random.PRNGKey(0)), "activation"),
    (lambda: LTCCell(2, 3, 4, key=jax.random.PRNGKey(0)), "motor_size"),
    (lambda: LTCCell(2, 3, 1, ode_unfolds=0, key=jax.random.PRNGKey(0)), "ode_unfolds"),
    (lambda: LTC(2, 3, 1, solver="euler", key=jax.random.PRNGKey(0)), "solver"),
]


@pytest.mark.parametrize("make,match", BAD)
def test_bad_model_input(make, match):
    with pytest.raises(ValueError, match=match):
        make()
