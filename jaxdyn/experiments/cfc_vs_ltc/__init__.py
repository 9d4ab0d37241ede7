"""CfC against ODE-based LTC networks on irregularly sampled sequences (paper 19).

Models (:mod:`jaxdyn.models.cfc`, :mod:`jaxdyn.models.ltc`): the closed-form
continuous-time cell (Hasani et al., Nat. Mach. Intell. 4, 992 (2022), eqs. 9-10,
``default`` gated form), the liquid time-constant network as a neural ODE integrated by
``jaxdyn.simulate`` (adaptive Tsit5; Hasani et al., AAAI 2021) and by the reference
implementation's fused semi-implicit unfolding, and a GRU fed the elapsed time (the
standard-RNN baseline).

Tasks that run on a CPU:

* **event-based bit-stream parity** (Lechner & Hasani, arXiv:2006.04418, the "event-based
  XOR" of the CfC paper's Table 3): a stream of bits is sent as events, runs of equal
  bits compressed into one event whose elapsed time is the run length; the label is the
  parity of the whole stream, so the model must integrate the elapsed times exactly;
* **a physical series with irregular sampling**: nonlinear pendulums (random ω₀ and
  initial state, integrated by ``simulate``) observed at Poisson times; from the angles
  and the gaps the model estimates the unobserved angular velocity at each sample.

Reported per task and model: test accuracy (Wilson 95 % interval) or normalised RMSE
(bootstrap interval), training time per sequence and inference time per sequence (after
compilation), and the speed ratios LTC(ODE)/CfC that the paper states are one to five
orders of magnitude.
"""

from .config import PRESETS, CfCConfig
from .run import run

__all__ = ["PRESETS", "CfCConfig", "run"]
