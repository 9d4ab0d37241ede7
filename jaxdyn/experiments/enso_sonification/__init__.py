"""ENSO in gamelan scales: recharge and delayed-action oscillators, RQA, sonification (paper 11).

Models (:mod:`jaxdyn.systems.recharge_oscillator`, :mod:`jaxdyn.systems.delayed_oscillator`):

* Jin's (1997) recharge oscillator, an SDE in east-Pacific temperature T and
  west-Pacific thermocline depth h,
  dT = [R T + γ h - ε (h + bT)³] dt + σ_T dW, dh = (-r h - α b T) dt, b = b₀ μ, R = γb - c,
  whose Hopf onset in the coupling μ is μ_c = (c + r)/(γ b₀) with period 2π/ω_c,
  ω_c² = α γ b₀ μ_c - r² (41 months ≈ 3.4 years at Jin's values);
* the delayed-action oscillator (Suarez & Schopf 1988; Battisti & Hirst 1989),
  dT/dt = a T - b T(t - τ) - c T³, a delay equation whose equilibrium loses stability at
  τ_c = arccos(-α_l/β)/√(β² - α_l²) (α_l = 2a - 3b, β = b at T*² = (a - b)/c).

What the experiment computes:

* both onsets located by simulation (growth rates of small perturbations through zero,
  and amplitudes beyond onset), against the closed forms; the recharge oscillator's period
  at onset against 2π/ω_c;
* a synthetic Niño-3.4-like index (monthly, kelvin, 3-month running mean) from the
  stochastic recharge oscillator in two regimes: damped and noise-driven (μ < μ_c) and
  self-sustained (μ > μ_c) with weak noise; Welch spectra and their peak periods;
* RQA of the index (delay embedding, fixed recurrence rate, Theiler window) in both
  regimes over independent realisations, as paper 11's dynamical characterisation;
* the sonification: the index mapped to pitches of slendro and pelog scales, thermocline
  depth to loudness, written as WAV (and MIDI) files; a pitch-time figure.
"""

from .config import PRESETS, EnsoConfig
from .run import run

__all__ = ["PRESETS", "EnsoConfig", "run"]
