"""High-temperature data for machine-learned interatomic potentials (paper 20, AQVolt26).

Paper 20 builds AQVolt26, 322,656 r²SCAN single points of lithium halides sampled at high
temperature, and reports that universal ML potentials trained on foundational
(near-equilibrium) data transfer local forces well but lose absolute energies in distorted
high-temperature configurations, that co-training with the high-temperature data resolves
this blind spot, and that targeted high-temperature sampling is what reliable dynamic
screening needs. This experiment reproduces the *shape* of that claim on a toy that runs on
a CPU.

* Reference ("first-principles") potential: the Kob-Andersen binary Lennard-Jones mixture
  (W. Kob and H. C. Andersen, Phys. Rev. E 51, 4626 (1995); 80:20, ε_AB = 1.5, σ_AB = 0.8,
  ..., truncated and shifted at 2.5 σ_ab), 2-D, N = 40 at density 1.2 in a periodic box
  (:mod:`jaxdyn.systems.lennard_jones`). Configurations come from Langevin (BAOAB) MD,
  independent chains melted, equilibrated and sampled at a low temperature (T = 0.5, the
  "foundation" data) and at high temperatures (T = 1.5, 3.0, the targeted data), each with
  its energy and forces; held-out sets come from separate chains.
* Curation: configurations whose largest atomic force exceeds a threshold are dropped.
* ML potential: :class:`jaxdyn.models.mlip.RadialMLIP`, a Behler-Parrinello network (radial
  symmetry functions per neighbour species, one MLP per species, E = Σ atomic energies,
  F = -∇E), trained on energies per atom and forces through ``jaxdyn.models.train``.
* Compared: (a) trained on low-T data only, (b) co-trained on low- and high-T data; energy
  MAE per atom and force MAE on held-out sets at every temperature over several seeds;
  Langevin MD driven by each learned potential at the high temperatures, with a run
  counted as failed when two particles come closer than ``fail_distance`` σ_ab (the
  reference potential never does: at T = 3 its closest approach stays above 0.8 σ_ab), or
  the state becomes non-finite or overheats; and a sweep of the curation threshold.
"""

from .config import PRESETS, MLIPHighTemperatureConfig
from .run import run

__all__ = ["PRESETS", "MLIPHighTemperatureConfig", "run"]
