"""Non-terminating events with resets (``simulate(..., events=Event(...))``).

Closed forms: the bouncing ball (impact times t_n = t_1 + Σ_{k<n} 2 e^k v_1 / g, energy
e^{2n} E_0 after n impacts) and the leaky integrate-and-fire neuron with constant input
(first spike τ ln(RI/(RI-θ)), interspike interval τ_ref + τ ln(RI/(RI-θ))); the order
of accuracy of located event times; vmap; gradients of event times.
"""

from __future__ import annotations

import diffrax as dfx
import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jaxtyping import Array

import jaxdyn


class Ball(jaxdyn.AbstractODE):
    """x'' = -g; at x = 0 (moving down) v -> -e v."""

    g: Array = eqx.field(converter=jnp.asarray, default=9.81)
    e: Array = eqx.field(converter=jnp.asarray, default=0.8)
    param_ranges = {"g": (0.0, 100.0), "e": (0.0, 1.0)}

    def initial_state(self, key=None):
        return jnp.array([1.0, 0.0])

    def drift(self, t, y, args=None):
        return jnp.stack([y[1], -self.g + 0 * y[0]])

    def impacts(self, **kw):
        def reset(t, y, fired, args):
            return jnp.stack([y[0], jnp.where(fired, -self.e * y[1], y[1])])

        return jaxdyn.Event(lambda t, y, a: y[0], reset, direction="down", **kw)


class Neuron(jaxdyn.AbstractODE):
    """τ dv/dt = -v + RI outside refractoriness; state (v, time since spike, refractory)."""

    tau: Array = eqx.field(converter=jnp.asarray, default=10.0)
    RI: Array = eqx.field(converter=jnp.asarray, default=1.5)
    theta: Array = eqx.field(converter=jnp.asarray, default=1.0)
    tau_ref: Array = eqx.field(converter=jnp.asarray, default=2.0)
    param_ranges = {"tau": (1e-3, 1e3), "RI": (0, 1e3), "theta": (1e-6, 1e3), "tau_ref": (0, 1e3)}

    def initial_state(self, key=None):
        return jnp.stack([jnp.asarray(0.0), self.tau_ref + 1.0, jnp.asarray(0.0)])

    def drift(self, t, y, args=None):
        dv = (1 - y[2]) * (-y[0] + self.RI) / self.tau
        return jnp.stack([dv, jnp.ones_like(y[1]), jnp.zeros_like(y[2])])

    def spikes(self, **kw):
        def reset(t, y, fired, args):
            after_spike = jnp.stack([0.0 * y[0], 0.0 * y[1], 1.0 + 0 * y[2]])
            return jnp.where(fired[0], after_spike, jnp.where(fired[1], y.at[2].set(0.0), y))

        cond = lambda t, y, a: jnp.stack([y[0] - self.theta, y[1] - self.tau_ref])
        return jaxdyn.Event(cond, reset, direction="up", **kw)

    def first_spike(self):
        return self.tau * jnp.log(self.RI / (self.RI - self.theta))

    def rate(self):
        return 1.0 / (self.tau_ref + self.first_spike())


def spike_times(traj):
    t = np.asarray(traj.events.of(0))
    return t[np.isfinite(t)]


def ball_impacts(g=9.81, e=0.8, n=8):
    t1 = np.sqrt(2 / g)
    v1 = g * t1
    return t1 + np.concatenate([[0.0], np.cumsum(2 * e ** np.arange(1, n) * v1 / g)])


@pytest.mark.parametrize("kw", [{}, {"adaptive": False, "dt": 0.01}], ids=["adaptive", "fixed"])
def test_bouncing_ball_impact_times_and_energy_loss(kw):
    ball = Ball()
    traj = jaxdyn.simulate(ball, 3.0, events=ball.impacts(max_events=16), **kw)
    n = int(traj.events.count)
    exact = ball_impacts(n=16)
    assert n == int(np.sum(exact < 3.0)) == 6
    # Tsit5 integrates the parabola exactly: impact times to round-off
    np.testing.assert_allclose(traj.events.times[:n], exact[:n], rtol=0, atol=1e-12)
    x, v = np.asarray(traj.ys[-1])
    energy = 0.5 * v**2 + 9.81 * x
    np.testing.assert_allclose(energy, 0.8 ** (2 * n) * 9.81, rtol=1e-12)
    assert np.all(np.isinf(traj.events.times[n:])) and np.all(traj.events.index[n:] == -1)


def test_lif_rate_matches_closed_form_and_vmaps_over_the_input():
    currents = jnp.asarray([1.2, 1.5, 3.0])

    def isi(RI):
        n = Neuron(RI=RI)
        traj = jaxdyn.simulate(n, 150.0, events=n.spikes(max_events=64), rtol=1e-10, atol=1e-12)
        return traj.events.of(0)

    times = np.asarray(jax.jit(jax.vmap(isi))(currents))
    for RI, t in zip(currents, times, strict=True):
        t = t[np.isfinite(t)]
        n = Neuron(RI=RI)
        np.testing.assert_allclose(t[0], n.first_spike(), rtol=1e-8)
        np.testing.assert_allclose(np.diff(t), 1 / n.rate(), rtol=1e-8)
        assert len(t) == int(np.floor((150.0 - n.first_spike()) * n.rate())) + 1


@pytest.mark.parametrize(
    "solver,order",
    [(dfx.Heun(), 2), (jaxdyn.ClassicRK4(), 4)],
    ids=["heun", "rk4"],
)
def test_order_of_accuracy_of_located_event_times(solver, order):
    n = Neuron()
    hs = np.array([0.4, 0.2, 0.1, 0.05])

    @jax.jit
    def spikes(h):  # a traced step: one compilation for every h
        ev = n.spikes(max_events=16)
        kw = dict(adaptive=False, dt=h, solver=solver, max_steps=2000)
        return jaxdyn.simulate(n, 40.0, events=ev, **kw).events.of(0)

    errs = []
    for h in hs:
        t = np.asarray(spikes(h))
        t = t[np.isfinite(t)]
        assert len(t) == 3
        exact = n.first_spike() + np.arange(len(t)) / n.rate()
        errs.append(np.max(np.abs(t - exact)))
    slope = np.polyfit(np.log(hs), np.log(errs), 1)[0]
    assert abs(slope - order) < 0.15, (errs, slope)


def test_gradient_of_an_event_time_matches_closed_form_and_finite_differences():
    @jax.jit
    def third_impact(e):
        ball = Ball(e=e)
        return jaxdyn.simulate(ball, 3.0, events=ball.impacts(max_events=8)).events.times[2]

    g = jax.jit(jax.grad(third_impact))(0.8)
    fd = (third_impact(0.8 + 1e-6) - third_impact(0.8 - 1e-6)) / 2e-6
    t1 = np.sqrt(2 / 9.81)
    np.testing.assert_allclose(g, 2 * t1 * (1 + 2 * 0.8), rtol=1e-10)  # d/de of t_3
    np.testing.assert_allclose(g, fd, rtol=1e-7)


def _ball_height(e, T, g=9.81, h=1.0):
    """Closed form: the height at T of a ball dropped from h, bouncing with restitution e."""
    v0 = np.sqrt(2 * g * h)
    t, v = np.sqrt(2 * h / g), v0  # first impact
    while True:
        v = e * v
        if t + 2 * v / g > T:
            return v * (T - t) - g / 2 * (T - t) ** 2
        t += 2 * v / g


def test_gradient_of_saved_heights_over_many_bounces_under_vmap():
    """Saves at fixed times after up to 8 impacts: the reverse pass replays the recorded
    segments in blocks of 16 (two for one member here, one for the other) and
    matches the derivative of the closed-form height."""
    ts = np.array([1.0, 2.5, 4.0, 5.0])

    def heights(e):
        ball = Ball(e=e)
        traj = jaxdyn.simulate(ball, 5.0, ts=ts, events=ball.impacts(max_events=32),
                               rtol=1e-10, atol=1e-10)  # fmt: skip
        return traj.ys[:, 0], traj.num_steps

    es = jnp.array([0.85, 0.9])
    jac, n = jax.vmap(jax.jacrev(heights, has_aux=True))(es)
    assert int(jnp.max(n)) > 16 and len(set(np.asarray(n).tolist())) > 1
    for e, row in zip(np.asarray(es), np.asarray(jac), strict=True):
        fd = [(_ball_height(e + 1e-6, T) - _ball_height(e - 1e-6, T)) / 2e-6 for T in ts]
        np.testing.assert_allclose(row, fd, rtol=1e-6, atol=1e-8)


@pytest.mark.slow
def test_gradient_of_a_spike_time_through_a_reset_and_a_refractory_period():
    def second_spike(RI):
        n = Neuron(RI=RI)
        ev = n.spikes(max_events=8)
        traj = jaxdyn.simulate(n, 30.0, events=ev, rtol=1e-10, atol=1e-12)
        return traj.events.times[2]  # spike, end of refractoriness, spike

    d = jax.jit(jax.grad(second_spike))(1.5)
    n = Neuron()
    d_first = -n.tau * n.theta / (n.RI * (n.RI - n.theta))
    np.testing.assert_allclose(d, 2 * d_first, rtol=1e-6)


def test_clock_mode_locates_spikes_of_a_population_and_resets_at_the_step_end():
    """m independent neurons as one vector condition: fixed steps, all reset together."""
    RI = jnp.linspace(1.2, 3.0, 5)
    tau, theta, dt = 10.0, 1.0, 0.01

    class Pop(jaxdyn.AbstractODE):
        def initial_state(self, key=None):
            return jnp.zeros(5)

        def drift(self, t, y, args=None):
            return (-y + RI) / tau

    ev = jaxdyn.Event(
        lambda t, y, a: y - theta,
        lambda t, y, fired, a: jnp.where(fired, 0.0, y),
        max_events=200,
        direction="up",
        mode="clock",
    )
    traj = jaxdyn.simulate(Pop(), 50.0, events=ev, adaptive=False, dt=dt)
    isi = tau * np.log(RI / (RI - theta))
    for i in range(5):
        t = np.asarray(traj.events.of(i))
        t = t[np.isfinite(t)]
        np.testing.assert_allclose(t[0], isi[i], atol=1e-8)  # located in the first step
        # the reset at the step's end loses up to dt per spike (clock-driven scheme)
        assert np.all(np.diff(t) >= isi[i] - 1e-8) and np.all(np.diff(t) <= isi[i] + dt)
    order = np.asarray(traj.events.times[: int(traj.events.count)])
    assert np.all(np.diff(order) >= -dt)  # recorded step by step


BAD = [
    (lambda: jaxdyn.Event(lambda t, y, a: y, max_events=0), ValueError, "max_events"),
    (lambda: jaxdyn.Event(lambda t, y, a: y, direction="sideways"), ValueError, "direction"),
    (lambda: jaxdyn.Event(lambda t, y, a: y, mode="event-driven"), ValueError, "mode"),
    (lambda: jaxdyn.Event("y > 1"), TypeError, "condition"),
    (lambda: jaxdyn.Event(lambda t, y, a: y, reset=3.0), TypeError, "reset"),
    (lambda: jaxdyn.simulate(Ball(), 1.0, events="impacts"), TypeError, "events"),
    (
        lambda: jaxdyn.simulate(Ball(), 1.0, events=Ball().impacts(mode="clock"), adaptive=True),
        ValueError,
        "clock",
    ),
    (
        lambda: jaxdyn.simulate(Ball(), 1.0, events=Ball().impacts(), solver=dfx.Kvaerno5()),
        TypeError,
        "explicit Runge-Kutta",
    ),
]


@pytest.mark.parametrize("make,exc,match", BAD)
def test_bad_event_input(make, exc, match):
    with pytest.raises(exc, match=match):
        make()
