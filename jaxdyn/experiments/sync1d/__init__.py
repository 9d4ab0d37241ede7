"""Dynamical phase diagram of synchronization in one dimension (paper 1).

R. Gutiérrez and R. Cuerno, "Dynamical phase diagram of synchronization in one
dimension: universal behavior from Edwards-Wilkinson to random deposition through
Kardar-Parisi-Zhang", arXiv:2604.06040 (2026); earlier: arXiv:2210.03782 (columnar
disorder), arXiv:2407.15634 (white noise); Lauter, Mitra & Marquardt, arXiv:1607.03696
(KPZ in oscillator lattices and its breakdown by phase slips).

The model (:mod:`jaxdyn.systems.sync1d`) is a ring of L phase oscillators

    dθ_j = [ω_j + K (Γ(θ_{j+1} - θ_j) + Γ(θ_{j-1} - θ_j))] dt + σ dW_j,
    Γ(x) = sin x + a (1 - cos x),

with white noise (ω_j = 0) or columnar disorder (ω_j = σ ξ_j frozen, no dW). The
unwrapped phases form a growing interface; in the continuum limit it obeys KPZ with
ν = K, λ = 2Ka, D = σ²/2. The experiment

1. sweeps coupling K x randomness σ x non-oddity a (x seeds) for each kind of
   randomness (``ctx.sweep``, resumable), saving the phases and reducing them in each
   member with :mod:`jaxdyn.analysis` to the roughness W²(t), the profile's skewness,
   the phase slips between saves, and the frequency-locked fraction and frequency
   spread over the second half of the run;
2. classifies every grid point (:func:`.run.classify`): not synchronized (locked
   fraction < 1/2) grows as random deposition (white noise, β = 1/2) or linear growth
   (columnar, β = 1); synchronized points with phase slips are "distorted"; slip-free
   synchronized points are EW or KPZ (or their columnar counterparts) according to
   whether β_eff exceeds the exact linear-theory exponent in the same window (a ≠ 0);
3. compares the exact locking threshold K_c (a = 0, any winding,
   :func:`jaxdyn.analysis.sync.locking_threshold`) with the simulated locking of every
   a = 0 member of the columnar sweep (whose disorder is recovered from
   :func:`jaxdyn.member_key` and the system's ``initial_state``), and of rings at
   0.9 K_c and 1.1 K_c;
4. measures α from W_sat against L for EW and columnar EW, beside the exact lattice
   linear theory;
5. fits K and a to a synthetic columnar W(t) curve by gradient descent through the
   solver (:func:`jaxdyn.fit`).

Presets: ``tiny`` (smoke test), ``quick`` (L = 64, 5 x 5 x 2 grid, 10 seeds; the
numbers of docs/results/sync1d_quick.json) and ``full`` (L = 512, 11 x 11 x 5, 32 seeds).
"""

from .config import PRESETS, Sync1DConfig
from .run import classify, fit_demo, member_disorder, member_fn, run, save_times

__all__ = [
    "PRESETS",
    "Sync1DConfig",
    "classify",
    "fit_demo",
    "member_disorder",
    "member_fn",
    "run",
    "save_times",
]
