"""A spiking-by-synchronisation network (S2-Net, paper 7): LIF spikes <-> delayed Kuramoto.

Paper 7 (abstract) couples micro-scale spiking neurons on a connectivity scaffold to a
macro-scale oscillatory synchronisation, iterating bottom-up and top-down. Our standard
reconstruction, in windows of length T_w:

1. **bottom-up**: each neuron's phase φ_i and frequency 2π/T̂_i are estimated from its
   spikes in the finite memory window [t - W, t] (:func:`jaxdyn.analysis.phases.spike_phases`);
   a neuron without two spikes there keeps its oscillator's phase and its drive's
   closed-form rate;
2. **top-down coordination**: the phases evolve over the window by the delayed Kuramoto
   model on the scaffold (:class:`jaxdyn.systems.DelayedKuramoto`, integrated by the core's
   method of steps; its history is the previous window's oscillator trajectory),
       dθ_i/dt = ω_i + (K/d_i) Σ_j A_ij sin(θ_j(t - τ) - θ_i(t));
3. **spiking**: the LIF network (:class:`jaxdyn.systems.LIFNetwork`, spikes as
   clock-mode events) receives R I_i(t) = drive_i + a cos θ_i(t) over the window, so the
   synchronised phases gate when neurons fire, and its spikes feed step 1 of the next
   window.

:func:`run_s2net` runs it (one compiled window, iterated) and returns the spikes and the
oscillator phases.
"""

from __future__ import annotations

import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ..analysis.phases import spike_phases
from ..core import check_int, check_positive, simulate
from ..systems.kuramoto import DelayedKuramoto
from ..systems.lif import LIFNetwork


def run_s2net(
    lif: LIFNetwork,
    adjacency,
    *,
    K: float,
    tau: float,
    n_windows: int,
    window: float,
    memory: float,
    dt: float = 0.1,
    dt_osc: float = 0.1,
    max_spikes: int | None = None,
    key=None,
) -> dict:
    """Run the S2-Net loop for ``n_windows`` windows of length ``window``.

    Returns ``times``/``neurons`` of every spike (global time), ``dropped`` (spikes past
    the per-window buffer), the oscillator phases ``theta`` on ``t_grid`` (spacing
    ``dt_osc``) and the final LIF state.
    """
    n = lif.n
    n_windows = check_int("n_windows", n_windows, 1)
    window = check_positive("window", window)
    memory = check_positive("memory", memory)
    check_positive("K", K, allow_zero=True)
    tau = check_positive("tau", tau, allow_zero=True)
    if tau > window:
        raise ValueError(f"tau={tau} must not exceed the window length {window}")
    a = np.asarray(adjacency, float)
    if a.shape != (n, n):
        raise ValueError(f"adjacency must have shape ({n}, {n}), got {a.shape}")
    steps = int(round(window / dt_osc))
    if not math.isclose(steps * dt_osc, window, rel_tol=1e-9):
        raise ValueError(f"window={window} must be a multiple of dt_osc={dt_osc}")
    rate_bound = float(np.max(np.asarray(lif.rate()))) if n else 0.0
    if max_spikes is None:
        max_spikes = int(2 * n * (rate_bound * window + 2)) + 64
    max_spikes = check_int("max_spikes", max_spikes, 1)
    m_hist = max(1, int(math.ceil(memory / window)))
    grid = np.linspace(0.0, window, steps + 1)
    grid_j = jnp.asarray(grid)
    omega_rate = 2 * jnp.pi * lif.rate()
    omega_default = jnp.where(omega_rate > 0, omega_rate, jnp.mean(omega_rate))
    ev = lif.spikes(max_events=max_spikes, mode="clock")
    osc = DelayedKuramoto(K=K, tau=tau, omega=np.ones(n), adjacency=a)

    @eqx.filter_jit
    def one_window(lif, osc, t_w, y, theta_prev, hist_t, hist_i):
        # 1. bottom-up: phases and frequencies from the spikes in the memory window
        phi, freq = spike_phases(hist_t, hist_i, n, t_w, memory)
        theta0 = jnp.where(jnp.isfinite(phi), phi, theta_prev[-1])
        omega = jnp.where(jnp.isfinite(freq), freq, omega_default)
        # 2. top-down: delayed Kuramoto over the window; history = previous trajectory
        past = lambda s: jax.vmap(lambda p: jnp.interp(s + window, grid_j, p), in_axes=1)(
            theta_prev
        )
        osc_w = eqx.tree_at(lambda o: o.omega, osc, omega)
        theta = simulate(osc_w, window, y0=theta0, ts=grid, dt=dt_osc, history=past,
                         max_delay=tau, overlap_iters=0).ys  # fmt: skip
        # 3. spiking under the modulation a cos θ(t)
        traj = simulate(lif, window, y0=y, dt=dt, adaptive=False, events=ev,
                        args=(grid_j, theta))  # fmt: skip
        rec = traj.events
        spike = rec.index < n
        times = jnp.where(spike, rec.times + t_w, jnp.inf)
        return traj.ys[-1], theta, times, jnp.where(spike, rec.index, -1), rec.count

    y = lif.initial_state(key)
    theta_prev = omega_default[None, :] * (grid_j[:, None] - window)
    hist_t = jnp.full((m_hist * max_spikes,), jnp.inf)
    hist_i = jnp.full((m_hist * max_spikes,), -1)
    all_t, all_i, thetas, dropped = [], [], [], 0
    for w in range(n_windows):
        t_w = jnp.asarray(w * window)  # an array: one compilation for every window
        y, theta, times, idx, count = one_window(lif, osc, t_w, y, theta_prev, hist_t, hist_i)
        dropped += max(0, int(count) - max_spikes)
        hist_t = jnp.concatenate([hist_t[max_spikes:], times])
        hist_i = jnp.concatenate([hist_i[max_spikes:], idx])
        theta_prev = theta
        keep = np.isfinite(np.asarray(times))
        all_t.append(np.asarray(times)[keep])
        all_i.append(np.asarray(idx)[keep])
        thetas.append(np.asarray(theta[:-1]))
    t_all = np.concatenate(all_t)
    order = np.argsort(t_all, kind="stable")
    return {
        "times": t_all[order],
        "neurons": np.concatenate(all_i)[order],
        "dropped": dropped,
        "theta": np.concatenate(thetas),
        "t_grid": np.arange(n_windows * steps) * dt_osc,
        "state": np.asarray(y),
    }


__all__ = ["run_s2net"]
