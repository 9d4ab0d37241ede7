"""Spiking neurons with delayed synchronisation (paper 7's S2-Net) and the Kuramoto
results it builds on.

Model (:mod:`jaxdyn.models.s2net`): leaky integrate-and-fire neurons on a pixel-grid
scaffold (:class:`jaxdyn.systems.LIFNetwork`, spikes and resets as core events) whose
phases, estimated from their spikes over a finite memory window, are coordinated by a
delayed Kuramoto model on the same scaffold (:class:`jaxdyn.systems.DelayedKuramoto`,
the core's DDE solver), which modulates the neurons' input current
(R I_i = drive_i + a cos θ_i(t)); bottom-up and top-down alternate in windows.

Reproduced:

1. delayed Kuramoto, identical oscillators: the locked frequency against the roots of
   Ω = ω - K sin(Ωτ) (Yeung & Strogatz, PRL 82, 648 (1999)) over a range of delays;
2. Kuramoto without delay, Lorentzian frequencies of half-width γ: the order parameter
   against r = sqrt(1 - 2γ/K) above K_c = 2γ (Kuramoto 1984);
3. the network's partial and transient synchrony: the spike-phase order parameter r(t)
   with and without the top-down coupling (mean, fluctuations, time spent above 0.5);
4. binding by synchrony: two objects (pixel squares) driven at different rates on a
   silent background; within-group order parameter and between-group phase locking,
   with and without the top-down coupling.
"""

from .config import PRESETS, SpikingSyncConfig
from .run import run

__all__ = ["PRESETS", "SpikingSyncConfig", "run"]
