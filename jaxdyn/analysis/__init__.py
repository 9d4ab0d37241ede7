"""Observables and diagnostics as small pure functions, reusable by every system.

Import from the submodules (``jaxdyn.analysis.roughness``, ``jaxdyn.analysis.sync``, ...);
the most used names of each are re-exported here. The reductions of a ring's profile and
phases (roughness, skewness, phase slips, locking) take JAX arrays inside a traced
``simulate``/``sweep`` member and NumPy arrays afterwards.
"""

from . import continuation
from .continuation import bifurcations, from_system, hopf_curve
from .roughness import (
    EXPONENTS,
    columnar_linear_w2,
    columnar_linear_w2_sat,
    ew_linear_w2,
    ew_linear_w2_sat,
    excess_kurtosis,
    growth_exponent,
    growth_window,
    is_saturated,
    local_slopes,
    power_law_fit,
    profile,
    roughness2,
    roughness_exponent,
    saturation_time,
    saturation_value,
    skewness,
    width,
)
from .sync import (
    frequency_locking,
    frequency_spread,
    is_locked,
    kpz_coupling,
    locked_fraction,
    locking_lower_bound,
    locking_threshold,
    mean_frequencies,
    neighbour_differences,
    phase_locked_state,
    phase_slips,
    winding_indices,
)

__all__ = [
    "bifurcations",
    "continuation",
    "from_system",
    "hopf_curve",
    "EXPONENTS",
    "columnar_linear_w2",
    "columnar_linear_w2_sat",
    "ew_linear_w2",
    "ew_linear_w2_sat",
    "frequency_locking",
    "frequency_spread",
    "growth_exponent",
    "growth_window",
    "is_locked",
    "is_saturated",
    "kpz_coupling",
    "local_slopes",
    "locked_fraction",
    "locking_lower_bound",
    "locking_threshold",
    "mean_frequencies",
    "neighbour_differences",
    "phase_locked_state",
    "phase_slips",
    "power_law_fit",
    "profile",
    "roughness2",
    "roughness_exponent",
    "saturation_time",
    "saturation_value",
    "skewness",
    "excess_kurtosis",
    "width",
    "winding_indices",
]
