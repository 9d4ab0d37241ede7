"""Oscillation-free quantisation of a small vision transformer (paper 18).

Paper 18 (S.-Y. Liu, Z. Liu and K.-T. Cheng, "Oscillation-free quantization for low-bit
vision transformers", ICML 2023) finds that in quantisation-aware training (QAT) latent
weights hover at rounding boundaries and their quantised values flip back and forth
between two levels ("oscillation", M. Nagel et al., ICML 2022), that the learnable scale
of LSQ (S. K. Esser et al., ICLR 2020) aggravates it, and that the query-key product of
self-attention makes ViTs especially prone to it. Its remedies: a statistics-based weight
quantiser (StatsQ), confidence-guided annealing (CGA: freeze confident weights while the
learning rate anneals) and query-key reparameterisation (QKR: quantise W_qᵀ W_k).

Reproduced here at CPU size (:mod:`jaxdyn.models.vit`, :mod:`jaxdyn.models.quantization`):
a ViT (patches 2x2 of scikit-learn's 8x8 digits, 2 blocks, width 32) is trained in full
precision, then quantised to W b A b, b ∈ {2, 3, 4}, with three recipes, LSQ, StatsQ
and OFQ (StatsQ + QKR + CGA), each trained for the same steps with the same optimiser:
a constant-rate phase, then cosine annealing to zero (during which OFQ freezes its
confident weights). Reported per recipe and bit width, over seeds: the fraction of
oscillating weights (EMA of level direction flips above a threshold) over training and
the test accuracy, with paired differences (same full-precision model per seed) and
their standard errors. Training goes through :func:`jaxdyn.models.training.train`.
"""

from .config import PRESETS, OFQConfig
from .run import run

__all__ = ["PRESETS", "OFQConfig", "run"]
