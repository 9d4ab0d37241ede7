"""Configuration and presets of the spiking_sync experiment."""

from __future__ import annotations

from dataclasses import dataclass

from .._config import Config, param


@dataclass(frozen=True)
class SpikingSyncConfig(Config):
    delay_K: float = param(0.8, "coupling of the identical delayed oscillators", low=0.0)
    delay_omega: float = param(1.0, "their natural frequency", low=0.01)
    delay_taus: tuple[float, ...] = param(
        (0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0), "delays τ of the locked-frequency check", low=0.0
    )
    delay_n: int = param(8, "identical oscillators (all-to-all)", low=2)
    delay_t1: float = param(200.0, "length of each delayed run", low=10.0)
    lorentz_gamma: float = param(0.5, "half-width γ of the Lorentzian frequencies", low=1e-3)
    lorentz_n: int = param(1000, "oscillators of the Lorentzian population", low=10)
    lorentz_Ks: tuple[float, ...] = param(
        (0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0), "couplings K", low=0.0
    )
    lorentz_t1: float = param(200.0, "length of each Kuramoto run", low=10.0)
    side: int = param(16, "pixels per side of the grid scaffold", low=4)
    window: float = param(20.0, "S2-Net window T_w (ms)", low=1.0)
    memory: float = param(40.0, "memory window W of the phase estimate (ms)", low=1.0)
    n_windows: int = param(40, "windows per network run", low=2)
    K_net: float = param(2.0, "top-down Kuramoto coupling of the network", low=0.0)
    tau_net: float = param(2.0, "its delay (ms)", low=0.0)
    mod_amp: float = param(0.4, "modulation amplitude a of the input current", low=0.0)
    w_syn: float = param(0.02, "synaptic weight along the scaffold", low=0.0)
    drive_range: tuple[float, float] = param(
        (1.3, 1.6), "drive range of the partial-sync network", low=0.0
    )
    drive_objects: tuple[float, float] = param((1.6, 1.25), "drives of the two objects", low=0.0)
    drive_background: float = param(0.5, "drive of the background pixels", low=0.0)


PRESETS = {
    "tiny": SpikingSyncConfig(
        delay_taus=(0.5, 2.0),
        delay_t1=40.0,
        lorentz_n=50,
        lorentz_Ks=(0.5, 2.0),
        lorentz_t1=30.0,
        side=4,
        n_windows=3,
        window=10.0,
        memory=20.0,
    ),  # fmt: skip
    "quick": SpikingSyncConfig(lorentz_n=400, side=10, n_windows=20),
    "full": SpikingSyncConfig(),
}
