"""RNNs that emulate hidden Markov models, and how they do it (paper 23).

Model (:mod:`jaxdyn.models.rnn_hmm`): a ReLU rate network driven only by Gaussian input
noise, h_{t+1} = relu(W h_t + B ξ_t + b), with a Gumbel-softmax readout of C h_t + c,
trained so that batches of its output sequences match batches of sequences of a discrete
HMM in debiased Sinkhorn divergence (log-domain, :mod:`jaxdyn.analysis.sinkhorn`).
HMMs: linear chains of 2-5 states, a fully connected and a cyclic HMM (each state
prefers one of three outputs).

Reproduced (paper 23's abstract):

* the emission statistics are matched: output marginals, output transition matrix,
  dwell times and volatility of the trained RNN against the HMM;
* without input noise the dynamics collapse to a single fixed point (the end points from
  random initial states coincide); with noise they follow orbits around it whose size
  grows with the input variance;
* slow regions and fast "kick zones": the deterministic speed |F(h) - h| along the
  noisy trajectories; changes of the most likely output happen preferentially where it
  is high;
* "kick neurons": the units whose activity rises just before output changes
  (transition-triggered averages); silencing them lowers the transition rate (longer
  dwell), over-driving them changes the output statistics, and silencing as many random
  units is the control.
"""

from .config import PRESETS, RNNHMMConfig
from .run import run

__all__ = ["PRESETS", "RNNHMMConfig", "run"]
