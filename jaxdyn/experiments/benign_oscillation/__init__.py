"""Benign oscillation of SGD with large learning rates (paper 3).

M. Lu, B. Wu, X. Yang and D. Zou, "Benign oscillation of stochastic gradient descent with
large learning rates" (ICLR 2024): on data whose examples all carry a weak feature v,
a fraction ρ of them a strong feature u, plus noise (:mod:`jaxdyn.data.feature_noise`),
a two-layer CNN with squared-ReLU filters and a fixed second layer
(:mod:`jaxdyn.models.patch_cnn`) trained by SGD on the square loss learns the weak
feature only when the learning rate is large enough for the iterates to oscillate; with
a small rate it fits the strong feature, memorises the noise of the weak-only examples
and fails on test examples that carry only the weak feature.

The training run is a jaxdyn map (:class:`~jaxdyn.systems.benign_sgd.FeatureNoiseSGD`:
one SGD step per step of the map, the data in the state), so that ``sweep`` runs many
learning rates, signal strengths and seeds as one vmapped computation. Reproduced here:

* small vs large learning rate over seeds: test accuracy on all and on weak-only
  examples (mean ± standard error, pooled Wilson intervals), the filters' alignment with
  v and u over training, the training loss and its oscillation (fraction of steps at
  which it goes up);
* a control at a stable learning rate given the large rate's budget η·steps, which
  separates the oscillation from a mere longer effective training time;
* a phase diagram of weak-only accuracy and weak alignment over (learning rate, |v|).
"""

from .config import PRESETS, BenignOscillationConfig
from .run import run

__all__ = ["PRESETS", "BenignOscillationConfig", "run"]
