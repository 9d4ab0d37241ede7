"""Configuration and presets of the moment_closure experiment."""

from __future__ import annotations

from dataclasses import dataclass

from .._config import Config, param

CLOSURE_NAMES = ("normal", "zero", "poisson", "lognormal")


@dataclass(frozen=True)
class MomentClosureConfig(Config):
    omegas_mono: tuple[float, ...] = param(
        (0.5, 1.0, 1.5, 2.0, 2.3, 2.6, 3.0, 4.0, 6.0, 10.0, 20.0),
        "system sizes Ω of the monostable (dimerisation) scan",
        low=1e-3,
    )
    omegas_bi: tuple[float, ...] = param(
        (0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 40.0, 80.0, 120.0, 160.0, 240.0, 320.0),
        "system sizes Ω of the bistable (Schlögl) scan",
        low=1e-3,
    )
    omegas_osc: tuple[float, ...] = param(
        (0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 20.0, 40.0, 70.0, 100.0, 200.0, 300.0),
        "system sizes Ω of the oscillatory (Brusselator) scan",
        low=1e-3,
    )
    orders: tuple[int, ...] = param((2, 3, 4), "closure orders of the phase diagram", low=2, high=6)
    closures: tuple[str, ...] = param(
        CLOSURE_NAMES, "closures of the phase diagram", choices=CLOSURE_NAMES
    )
    conventions: tuple[str, ...] = param(
        ("rate", "combinatorial"),
        "propensity conventions of the Brusselator scan (the first with every closure and "
        "used elsewhere; the others with the first closure)",
        choices=("rate", "combinatorial"),
    )
    t1_mono: float = param(100.0, "integration time of the monostable moment equations", low=1.0)
    t1_bi: float = param(100.0, "integration time of the bistable moment equations", low=1.0)
    t1_osc: float = param(400.0, "integration time of the oscillatory moment equations", low=1.0)
    bisect: bool = param(True, "refine the monostable thresholds by bisection")
    ssa_trajectories: int = param(2000, "SSA ensemble size of each ground-truth check", low=10)
    ssa_omega_bi: float = param(4.0, "Ω of the SSA check of the bistable stationary law", low=0.5)
    ssa_t1_bi: float = param(60.0, "length of the bistable SSA runs", low=1.0)
    big_omega_bi: float = param(
        160.0, "Ω of the bistable closure-vs-CME figure (a point of omegas_bi)", low=1.0
    )
    osc_omega: float = param(100.0, "Ω of the oscillatory time series (SSA vs closure)", low=1.0)
    osc_t1: float = param(120.0, "length of the oscillatory time series", low=1.0)


PRESETS = {
    "tiny": MomentClosureConfig(
        omegas_mono=(1.0, 4.0),
        omegas_bi=(2.0,),
        omegas_osc=(3.0,),
        orders=(2,),
        closures=("normal",),
        conventions=("rate",),
        t1_mono=30.0,
        t1_bi=30.0,
        t1_osc=60.0,
        bisect=False,
        ssa_trajectories=50,
        ssa_t1_bi=5.0,
        big_omega_bi=2.0,
        osc_omega=5.0,
        osc_t1=10.0,
    ),
    "quick": MomentClosureConfig(
        omegas_mono=(1.0, 2.0, 3.0, 6.0, 20.0),
        omegas_bi=(1.0, 10.0, 40.0, 160.0),
        omegas_osc=(1.0, 5.0, 30.0, 200.0),
        orders=(2, 3),
        closures=("normal",),
        conventions=("rate",),
        bisect=False,
        ssa_trajectories=500,
        ssa_t1_bi=30.0,
        osc_t1=60.0,
    ),
    "full": MomentClosureConfig(ssa_trajectories=4000),
}
