"""Configuration and presets of the rnn_hmm experiment."""

from __future__ import annotations

from dataclasses import dataclass

from .._config import Config, param

HMMS = ("chain2", "chain3", "chain4", "chain5", "full3", "cyclic3")


@dataclass(frozen=True)
class RNNHMMConfig(Config):
    hmms: tuple[str, ...] = param(HMMS, "HMMs emulated", choices=HMMS)
    analysed: str = param("cyclic3", "HMM whose trained RNN is reverse-engineered", choices=HMMS)
    p_stay: float = param(0.9, "HMM self-transition probability", low=0.0, high=0.999)
    hidden: int = param(48, "RNN units", low=2)
    length: int = param(40, "training sequence length", low=2)
    burn_in: int = param(20, "RNN steps discarded before the sequence", low=0)
    batch: int = param(128, "sequences per batch (per side of the Sinkhorn divergence)", low=2)
    steps: int = param(800, "training steps per HMM", low=1)
    lr: float = param(3e-3, "Adam learning rate", low=1e-6, high=1.0)
    sigma: float = param(1.0, "input noise standard deviation", low=0.0)
    temperature: float = param(0.5, "Gumbel-softmax temperature in training", low=1e-3)
    epsilon: float = param(2.0, "Sinkhorn regularisation ε", low=1e-3)
    sinkhorn_iters: int = param(100, "Sinkhorn iterations", low=1)
    n_eval: int = param(256, "evaluation sequences", low=2)
    eval_length: int = param(200, "evaluation sequence length", low=10)
    noise_scales: tuple[float, ...] = param(
        (0.25, 0.5, 1.0, 1.5, 2.0), "input s.d. / sigma of the orbit-size scan", low=0.0
    )


PRESETS = {
    "tiny": RNNHMMConfig(
        hmms=("cyclic3",),
        hidden=8,
        length=8,
        burn_in=4,
        batch=8,
        steps=3,
        sinkhorn_iters=10,
        n_eval=8,
        eval_length=30,
        noise_scales=(0.5, 1.0),
    ),  # fmt: skip
    "quick": RNNHMMConfig(
        hmms=("chain2", "chain3", "cyclic3"), hidden=32, steps=300, batch=64, n_eval=128
    ),  # fmt: skip
    "full": RNNHMMConfig(steps=1200),
}
