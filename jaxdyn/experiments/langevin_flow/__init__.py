"""LangevinFlow vs LFADS vs smoothed spikes on Lorenz-driven synthetic spiking (paper 8).

Song et al. 2025, "Langevin Flows for Modeling Neural Latent Dynamics": a sequential
VAE whose latent state follows the underdamped Langevin equation

    dz = v dt,    dv = (-∇U(z) - γ ⊙ v) dt + σ dW

in a learned potential U of locally coupled oscillators
(:class:`jaxdyn.models.LangevinFlow`; the latent SDE is the jaxdyn System
:class:`jaxdyn.systems.UnderdampedLangevin`, integrated and differentiated through
:func:`jaxdyn.simulate`), with a GRU encoder and a one-layer Transformer decoder, trained
on the ELBO with KL annealing and coordinated dropout through the shared training loop
(``ctx.train``: resumable, the best model by validation co-bps kept).

Data (:mod:`jaxdyn.data.lorenz_spikes`, cached): Poisson spikes driven by the Lorenz
attractor under the Neural Latents Benchmark protocol (Pei et al. 2021); every model sees
held-in neurons over the observed bins of the test trials and predicts held-out neurons
(co-bps) and the forward bins (fp-bps). Rows:

* ``langevin_flow``: GRU encoder -> Langevin latent SDE -> Transformer decoder;
* ``lfads``: the autonomous LFADS GRU-generator VAE (Sussillo et al. 2018), same encoder,
  steps, optimiser and selection rule;
* ``smoothing``: Gaussian-smoothed held-in spikes -> Poisson GLM (the NLB baseline);
* ``oracle``: the true rates (the ceiling); ``null``: mean rates (0 bits/spike).

Both models are trained with ``train_seeds`` independent training seeds (initialisation,
batches, dropout masks, posterior and SDE samples; the data are fixed by ``seed``). Tested:
the paper's claim that LangevinFlow beats LFADS and smoothing on synthetic Lorenz data and
closely matches the true rates, on co-bps, fp-bps and rate R² with three intervals for
each number and each paired difference: Student-t over training seeds, a paired
bootstrap over test trials (seed means), and a two-level bootstrap resampling both; and
the affine recovery of the Lorenz state.
"""

from .config import PRESETS, LangevinFlowConfig
from .run import METRICS, MODELS, run, smoothing_baseline

__all__ = ["METRICS", "MODELS", "PRESETS", "LangevinFlowConfig", "run", "smoothing_baseline"]
