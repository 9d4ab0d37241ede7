"""Paper 23: log-domain Sinkhorn (against ott-jax and an exact OT solve), HMMs and their
emission statistics, the noise-driven RNN; bad HMM definitions raise."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from scipy.optimize import linear_sum_assignment

from jaxdyn.analysis.sequences import emission_statistics, event_triggered_average
from jaxdyn.analysis.sinkhorn import sinkhorn, sinkhorn_divergence, sq_euclidean
from jaxdyn.models import train
from jaxdyn.models.rnn_hmm import HMM, NoisyRNN, cyclic, fully_connected, linear_chain


def clouds(n=12, m=12, d=3):
    x = jax.random.normal(jax.random.PRNGKey(0), (n, d))
    return x, jax.random.normal(jax.random.PRNGKey(1), (m, d)) + 0.5


def test_sinkhorn_converges_to_the_exact_assignment_as_epsilon_shrinks():
    x, y = clouds()
    c = np.asarray(sq_euclidean(x, y))
    r, k = linear_sum_assignment(c)
    exact = c[r, k].mean()  # uniform weights 1/n: OT = the optimal assignment / n
    out = sinkhorn(jnp.asarray(c), 1e-3, iters=20000)
    np.testing.assert_allclose(out["transport"], exact, rtol=2e-3)
    np.testing.assert_allclose(out["plan"].sum(0), 1 / 12, rtol=1e-9)  # a coupling (the last
    np.testing.assert_allclose(out["plan"].sum(1), 1 / 12, rtol=1e-3)  # update fits columns)
    # the dual value exceeds the transport cost by ε times the entropy, O(ε log n)
    assert abs(float(out["ot"]) - exact) < 1e-3 * np.log(144) + 1e-3


@pytest.mark.slow
def test_sinkhorn_matches_ott_jax():
    ott = pytest.importorskip("ott")
    from ott.geometry import pointcloud
    from ott.problems.linear import linear_problem
    from ott.solvers.linear import sinkhorn as ott_sinkhorn
    from ott.tools import sinkhorn_divergence as ott_sd

    del ott
    x, y = clouds(20, 25)
    eps = 0.5
    solve = {"threshold": 1e-12, "max_iterations": 5000}
    with jax.numpy_rank_promotion("allow"):  # ott relies on implicit rank promotion
        geom = pointcloud.PointCloud(x, y, epsilon=eps)
        prob = linear_problem.LinearProblem(geom)
        ref = ott_sinkhorn.Sinkhorn(threshold=1e-12, max_iterations=5000)(prob)
        div = ott_sd.sinkhorn_divergence(pointcloud.PointCloud, x, y, epsilon=eps,
                                         solve_kwargs=solve)  # fmt: skip
    ours = sinkhorn(sq_euclidean(x, y), eps, iters=2000)["ot"]
    np.testing.assert_allclose(ours, ref.reg_ot_cost, rtol=1e-10)
    div = div[0] if isinstance(div, tuple) else div.divergence
    np.testing.assert_allclose(sinkhorn_divergence(x, y, eps, iters=2000), div, rtol=1e-7)


def test_sinkhorn_divergence_vanishes_on_equal_clouds_and_is_stable_for_small_epsilon():
    x, y = clouds()
    assert abs(float(sinkhorn_divergence(x, x, 0.1))) < 1e-10
    assert float(sinkhorn_divergence(x, y, 0.1)) > 0.1
    # log domain: no underflow even when exp(-C/ε) underflows everywhere
    small = sinkhorn_divergence(100 * x, 100 * y, 1e-2, iters=50)
    assert np.isfinite(float(small))
    g = jax.grad(lambda u: sinkhorn_divergence(u, y, 0.5))(x)
    assert np.all(np.isfinite(np.asarray(g)))


@pytest.mark.parametrize("make", [linear_chain, fully_connected, cyclic])
def test_hmm_emission_statistics_match_their_definition(make):
    hmm = make(3, p_stay=0.8, n_outputs=3, purity=1.0)  # outputs = states
    _, o = hmm.sample(jax.random.PRNGKey(0), 100, 1000)
    s = emission_statistics(np.asarray(o), 3)
    np.testing.assert_allclose(s["transitions"], hmm.transition, atol=0.01)
    np.testing.assert_allclose(s["marginals"], hmm.initial, atol=0.02)
    np.testing.assert_allclose(s["dwell"], 1 / (1 - 0.8), rtol=0.05)  # geometric dwell
    np.testing.assert_allclose(s["volatility"], 0.2, atol=0.01)


def test_event_triggered_average_recovers_a_bump():
    x = np.zeros((100, 2))
    ev = np.array([20, 50, 80])
    x[ev - 1, 0] = 1.0
    tta = event_triggered_average(x, ev, 3)
    np.testing.assert_allclose(tta[:, 0], [0, 0, 1, 0, 0, 0, 0])


@pytest.mark.slow
def test_a_trained_rnn_matches_a_two_state_chain():
    hmm = linear_chain(2, p_stay=0.9)
    model = NoisyRNN(24, 3, key=jax.random.PRNGKey(0))
    T, B = 30, 64

    def loss(m, y, key):
        x = jax.vmap(lambda k: m.sample(k, T, 1.0, 0.5, 20)[1])(jax.random.split(key, B))
        return sinkhorn_divergence(x.reshape(B, -1), y.reshape(B, -1), 2.0, iters=60)

    batch = jax.jit(lambda k: jax.nn.one_hot(hmm.sample(k, B, T)[1], 3))
    res = train(loss, model, batch, optimizer=optax.adam(3e-3), steps=400,
                key=jax.random.PRNGKey(1), progress=False)  # fmt: skip
    sample = jax.jit(jax.vmap(lambda k: jnp.argmax(res.model.sample(k, 200, 1.0, 1e-6, 50)[1], -1)))
    o_rnn = np.asarray(sample(jax.random.split(jax.random.PRNGKey(2), 128)))
    o_hmm = np.asarray(hmm.sample(jax.random.PRNGKey(3), 128, 200)[1])
    s_r, s_h = emission_statistics(o_rnn, 3), emission_statistics(o_hmm, 3)
    np.testing.assert_allclose(s_r["marginals"], s_h["marginals"], atol=0.1)
    np.testing.assert_allclose(s_r["volatility"], s_h["volatility"], atol=0.08)


BAD = [
    (lambda: HMM([[0.5, 0.6], [0.5, 0.5]], np.eye(2)), "transition"),
    (lambda: HMM([[1.5, -0.5], [0.5, 0.5]], np.eye(2)), "transition"),
    (lambda: HMM(np.eye(2), [[1.0, 0.0], [0.5, 0.6]]), "emission"),
    (lambda: HMM(np.eye(2), np.eye(3)), "emission"),
    (lambda: HMM(np.eye(2), np.eye(2), initial=[0.2, 0.2]), "initial"),
    (lambda: HMM(np.ones((2, 3)) / 3, np.eye(2)), "transition"),
    (lambda: linear_chain(1), "n_states"),
    (lambda: cyclic(2), "n_states"),
    (lambda: linear_chain(3, p_stay=1.0), "p_stay"),
    (lambda: fully_connected(3, purity=0.1), "purity"),
    (lambda: linear_chain(3, n_outputs=1), "n_outputs"),
    (lambda: NoisyRNN(0, 3, key=jax.random.PRNGKey(0)), "n_hidden"),
    (lambda: sinkhorn(jnp.ones((2, 2)), 0.0), "epsilon"),
    (lambda: sinkhorn_divergence(jnp.ones((2, 3)), jnp.ones((2, 4)), 1.0), "point clouds"),
    (lambda: emission_statistics(np.array([[0, 3]]), 3), "outputs"),
]


@pytest.mark.parametrize("make,match", BAD)
def test_bad_input(make, match):
    with pytest.raises(ValueError, match=match):
        make()
