"""Configuration and presets of the benign_oscillation experiment."""

from __future__ import annotations

from dataclasses import dataclass

from .._config import Config, param


@dataclass(frozen=True)
class BenignOscillationConfig(Config):
    dim: int = param(200, "dimension d of each patch", low=3)
    n_train: int = param(50, "training examples", low=2)
    batch: int = param(50, "SGD minibatch size (= n_train: full-batch gradient descent)", low=1)
    width: int = param(10, "filters per output sign m", low=1)
    n_test: int = param(1000, "test examples (each of the two test sets)", low=10)
    weak: float = param(0.2, "norm of the weak feature v", low=0.0, high=100.0)
    strong: float = param(1.0, "norm of the strong feature u", low=0.0, high=100.0)
    rho: float = param(0.8, "fraction of examples with the strong feature", low=0.0, high=1.0)
    sigma: float = param(0.05, "noise standard deviation per coordinate", low=0.0, high=100.0)
    lr_small: float = param(0.5, "small learning rate (smooth convergence)", low=1e-6, high=1e3)
    lr_large: float = param(16.0, "large learning rate (oscillating)", low=1e-6, high=1e3)
    lr_control: float = param(
        4.0, "a stable learning rate run for the large one's budget η·steps (0: skip)", low=0.0
    )
    steps: int = param(6000, "SGD steps of the small/large comparison", low=10)
    acc_every: int = param(200, "steps between test-accuracy evaluations", low=1)
    seeds: int = param(16, "seeds of the comparison (vmapped)", low=1)
    phase_lrs: tuple[float, ...] = param(
        (0.5, 2.0, 6.0, 10.0, 13.0, 16.0, 18.0), "learning rates of the phase diagram", low=1e-6
    )
    phase_weaks: tuple[float, ...] = param(
        (0.1, 0.15, 0.2, 0.3), "weak-feature norms of the phase diagram", low=0.0
    )
    phase_steps: int = param(3000, "SGD steps of each phase-diagram run", low=10)
    phase_seeds: int = param(4, "seeds per phase-diagram point (vmapped)", low=1)


PRESETS = {
    "tiny": BenignOscillationConfig(
        dim=20,
        n_train=10,
        batch=10,
        width=4,
        n_test=50,
        lr_control=0.0,
        steps=40,
        acc_every=20,
        seeds=2,
        phase_lrs=(0.5, 16.0),
        phase_weaks=(0.2,),
        phase_steps=20,
        phase_seeds=2,
    ),
    "quick": BenignOscillationConfig(
        lr_control=0.0,
        steps=2000,
        seeds=8,
        phase_lrs=(0.5, 6.0, 13.0, 16.0),
        phase_weaks=(0.15, 0.3),
        phase_steps=1500,
        phase_seeds=2,
    ),
    "full": BenignOscillationConfig(),
}
