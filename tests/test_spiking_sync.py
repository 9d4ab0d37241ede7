"""Paper 7: LIF neurons through events, Kuramoto results, phases from spikes, S2-Net.

Closed forms: the LIF firing rate 1/(τ_ref + τ ln(RI/(RI-θ))); the locked frequency of
identical delayed oscillators, Ω = ω - K sin(Ωτ); the Lorentzian Kuramoto order parameter
r = sqrt(1 - 2γ/K). Bad thresholds, delays, graph sizes raise errors naming them.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxdyn
from jaxdyn.analysis.phases import group_order_parameters, order_parameter, spike_phases
from jaxdyn.models.s2net import run_s2net
from jaxdyn.systems import DelayedKuramoto, Kuramoto, LIFNetwork, scaffold_adjacency
from jaxdyn.systems.kuramoto import (
    locked_frequencies,
    lorentzian_frequencies,
    lorentzian_order_parameter,
)
from jaxdyn.systems.lif import spike_raster


@pytest.mark.parametrize("mode", [pytest.param("exact", marks=pytest.mark.slow), "clock"])
def test_lif_network_rates_match_closed_form(mode):
    net = LIFNetwork(drive=(1.2, 1.5, 2.0, 3.0, 0.9), tau=10.0, theta=1.0, tau_ref=2.0)
    kw = {} if mode == "exact" else {"adaptive": False, "dt": 0.01}
    traj = jaxdyn.simulate(net, 200.0, events=net.spikes(max_events=400, mode=mode), **kw)
    t, i = spike_raster(traj.events, net.n)
    rate = np.asarray(net.rate())
    assert rate[4] == 0 and np.sum(i == 4) == 0  # sub-threshold drive: silent
    for k in range(4):
        isi = np.diff(t[i == k])
        tol = 1e-5 if mode == "exact" else 0.011  # clock mode: resets at the step end
        np.testing.assert_allclose(isi, 1 / rate[k], atol=tol)


def test_delta_synapses_advance_the_postsynaptic_spike():
    """Neuron 0 fires at τ ln(RI/(RI-θ)); its kick w lifts neuron 1 (sub-threshold drive
    0.9) from v(t0) to v(t0) + w, and neuron 1 then relaxes to 0.9: no spike unless
    v + w >= θ."""
    w = np.array([[0.0, 0.5], [0.0, 0.0]])
    net = LIFNetwork(drive=(1.5, 0.9), weights=w, tau=10.0, theta=1.0, tau_ref=2.0)
    traj = jaxdyn.simulate(net, 15.0, events=net.spikes(max_events=8, mode="exact"))
    t0 = 10 * np.log(3.0)
    v1_at_t0 = 0.9 * (1 - np.exp(-t0 / 10))
    t, i = spike_raster(traj.events, 2)
    np.testing.assert_allclose(t[0], t0, rtol=1e-6)
    assert v1_at_t0 + 0.5 >= 1.0 and np.any(i == 1)
    np.testing.assert_allclose(t[i == 1][0], t0, rtol=1e-6)  # kicked over threshold at once


def test_delayed_identical_oscillators_lock_at_the_root_of_the_transcendental_equation():
    omega, K = 1.0, 0.8
    taus = jnp.asarray([0.5, 1.0, 2.0])

    def freq(tau):
        sys = DelayedKuramoto(K=K, tau=tau, omega=jnp.full(5, omega))
        ys = simulate_delay(sys)
        return (ys[1] - ys[0]) / 25.0

    def simulate_delay(sys):
        return jaxdyn.simulate(sys, 100.0, ts=np.array([75.0, 100.0]), dt=0.02, max_delay=2.0,
                               overlap_iters=0).ys  # fmt: skip

    got = np.asarray(jax.jit(jax.vmap(freq))(taus))
    for tau, f in zip(taus, got, strict=True):
        roots = locked_frequencies(omega, K, float(tau))
        stable = roots["Omega"][roots["stable"]]
        assert len(stable) == 1  # K tau < 2: one stable in-phase solution here
        np.testing.assert_allclose(f, stable[0], atol=1e-6)
        np.testing.assert_allclose(
            stable[0], omega - K * np.sin(stable[0] * float(tau)), atol=1e-12
        )


@pytest.mark.slow
def test_lorentzian_kuramoto_order_parameter_matches_theory():
    gamma, n = 0.5, 400
    omega = lorentzian_frequencies(n, gamma)
    ts = np.linspace(60.0, 120.0, 61)
    theta0 = jax.random.uniform(jax.random.PRNGKey(0), (n,), minval=-np.pi, maxval=np.pi)

    def r_of(K):
        ys = jaxdyn.simulate(Kuramoto(K=K, omega=omega), 120.0, y0=theta0, ts=ts, rtol=1e-6).ys
        return jnp.mean(order_parameter(ys)[0])

    Ks = jnp.asarray([0.5, 2.0, 4.0])
    r = np.asarray(jax.jit(jax.vmap(r_of))(Ks))
    theory = lorentzian_order_parameter(np.asarray(Ks), gamma)
    assert r[0] < 0.15  # below K_c = 1: incoherent (finite N: r ~ N^-1/2 = 0.05)
    np.testing.assert_allclose(r[1:], theory[1:], atol=0.03)  # 0.707, 0.866


def test_spike_phases_of_a_periodic_train_are_linear_in_time():
    period = 7.0
    times = np.arange(1.0, 100.0, period)
    t = np.array([50.5, 60.0, 71.2])
    ph, fr = spike_phases(times, np.zeros_like(times, int), 1, t, 30.0)
    last = times[np.searchsorted(times, t) - 1]
    np.testing.assert_allclose(ph[:, 0], 2 * np.pi * (t - last) / period, atol=1e-12)
    np.testing.assert_allclose(fr[:, 0], 2 * np.pi / period, rtol=1e-12)
    ph, _ = spike_phases(times, np.zeros_like(times, int), 2, t, 5.0)  # < 2 spikes in window
    assert np.all(np.isnan(ph))


def test_group_order_parameters_of_two_locked_and_drifting_groups():
    t = np.linspace(0, 100, 2001)[:, None]
    theta = np.concatenate(
        [np.broadcast_to(1.0 * t, (2001, 3)), np.broadcast_to(1.3 * t, (2001, 3))], 1
    )
    g = group_order_parameters(theta, np.array([0, 0, 0, 1, 1, 1]))
    np.testing.assert_allclose(g["within"], 1.0, atol=1e-12)
    assert g["between"] < 0.05  # the groups' phases drift apart at 0.3 rad per unit time


@pytest.mark.slow
def test_s2net_top_down_coupling_synchronises_spikes():
    n = 16
    drive = jnp.linspace(1.3, 1.6, n)
    a = scaffold_adjacency("all", n)
    r = {}
    for K in (0.0, 3.0):
        net = LIFNetwork(drive=drive, tau=10.0, mod_amp=0.5)
        out = run_s2net(net, a, K=K, tau=1.0, n_windows=12, window=20.0, memory=40.0)
        t = np.arange(120.0, 240.0, 1.0)
        ph, _ = spike_phases(out["times"], out["neurons"], n, t, 40.0)
        r[K] = float(np.mean(order_parameter(ph)[0]))
        assert out["dropped"] == 0
    assert r[3.0] > r[0.0] + 0.2, r


BAD = [
    (lambda: LIFNetwork(theta=1.0, v_reset=1.5), ValueError, "v_reset"),
    (lambda: LIFNetwork(theta=-1.0), ValueError, "theta"),
    (lambda: LIFNetwork(tau_ref=-1.0), ValueError, "tau_ref"),
    (lambda: LIFNetwork(drive=(1.0, 2.0), weights=np.zeros((3, 3))), ValueError, "weights"),
    (lambda: LIFNetwork(drive=()), ValueError, "drive"),
    (lambda: LIFNetwork().spikes(max_events=0), ValueError, "max_events"),
    (lambda: DelayedKuramoto(tau=-0.5), ValueError, "tau"),
    (lambda: DelayedKuramoto(omega=(1.0, 1.0), adjacency=np.ones((3, 3))), ValueError, "adjacency"),
    (
        lambda: DelayedKuramoto(omega=(1.0, 1.0), adjacency=-np.ones((2, 2))),
        ValueError,
        "adjacency",
    ),
    (lambda: scaffold_adjacency("grid", 10, cols=3), ValueError, "cols"),
    (lambda: scaffold_adjacency("torus", 10), ValueError, "scaffold"),
    (lambda: scaffold_adjacency("ring", 0), ValueError, "n"),
    (lambda: locked_frequencies(1.0, 0.5, -1.0), ValueError, "tau"),
    (lambda: spike_phases([1.0], [0], 1, [2.0], 0.0), ValueError, "window"),
    (
        lambda: run_s2net(
            LIFNetwork(), np.ones((4, 4)), K=1.0, tau=30.0, n_windows=1, window=20.0, memory=20.0
        ),  # fmt: skip
        ValueError,
        "tau",
    ),
    (
        lambda: run_s2net(
            LIFNetwork(), np.ones((3, 3)), K=1.0, tau=1.0, n_windows=1, window=20.0, memory=20.0
        ),  # fmt: skip
        ValueError,
        "adjacency",
    ),
]


@pytest.mark.parametrize("make,exc,match", BAD)
def test_bad_input(make, exc, match):
    with pytest.raises(exc, match=match):
        make()
