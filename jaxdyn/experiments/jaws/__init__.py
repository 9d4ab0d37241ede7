"""JAWS: spatially-adaptive Jacobian regularisation of FNO rollouts on viscous Burgers (paper 16).

Data (:mod:`jaxdyn.data.burgers`): 1-D viscous Burgers u_t + (u²/2)_x = ν u_xx on [0, 1)
(:class:`jaxdyn.systems.Burgers`, a semi-linear System), Gaussian-random-field initial
conditions N(0, 625(-Δ + 25 I)^{-2}) (Li et al., ICLR 2021), integrated by
:func:`jaxdyn.simulate` (ETDRK4, Cox & Matthews 2002; Kassam & Trefethen 2005) on
``n_solver`` points and subsampled to the model grid; shock-forming ν = ``nu`` for the
step maps, and out-of-distribution sets at a lower viscosity and a larger initial
amplitude. Every data set is cached on disk keyed by its config's hash.

Models (:class:`jaxdyn.models.FNOStep`, residual FNO step maps u_n -> u_{n+1}), all with
the same data, optimiser, batch size, steps and initialisation, trained through
``ctx.train`` (resumable); losses from :func:`jaxdyn.models.unrolled_loss`:

* ``plain``: one-step MSE;
* ``global``: MSE + λ ||J||_F²/N (Hutchinson, one Rademacher probe);
* ``jaws``: heteroscedastic NLL + λ (1/N) Σ_x w(x) ρ(x), w ∝ 1/σ²(x) with mean one
  (:mod:`jaxdyn.models.jacobian`; reconstructed from the paper's abstract);
* ``unroll``/``unroll_jaws``: K-step unrolled trajectory loss (short horizon)
  without/with the JAWS terms at every unrolled step;
* ``unroll_long``: the long-horizon (K_long) unrolled MSE baseline.

Plus the classic FNO map u0 -> u(t = 1) at ν = 0.1 (Li et al. 2021 report a relative
L2 error of about 2e-3 with 1000 samples).

Reproduced: rollout relative L2 error against time, late-time energy spectra, shock
fidelity (position and steepness of the steepest negative gradient,
:mod:`jaxdyn.analysis.fields`), blow-up rate, time to failure (relative L2 error
reaching 1) and the late error-growth rate, out-of-distribution error, training-step
memory (XLA memory analysis) and time, and the classic map's test error. With ``seeds``
> 1 every variant is trained from several initialisations and the differences to
``plain`` get Student-t intervals over paired seeds; ``lam_sweep`` adds the
contraction-dissipation sweep of the penalty weight. The ``cpu`` preset is the headline
configuration (docs/jaws.md).
"""

from .config import PRESETS, VARIANTS, JawsConfig
from .run import BLOWUP_FACTOR, rollout_metrics, run, variant_setup

__all__ = [
    "BLOWUP_FACTOR",
    "PRESETS",
    "VARIANTS",
    "JawsConfig",
    "rollout_metrics",
    "run",
    "variant_setup",
]
