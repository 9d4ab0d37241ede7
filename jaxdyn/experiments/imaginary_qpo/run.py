"""The computation of the imaginary_qpo experiment (see the package docstring)."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import scipy.stats

from ...analysis.bayes import maximize, sample_nuts
from ...analysis.lorentzians import MultiLorentzian
from ...analysis.spectra import CrossSpectrum, coherence, cross_spectrum, phase_lag
from ...analysis.stats import wilson_interval
from ...core import Interval, Positive
from .._kit import Run, experiment, number
from .config import PRESETS, ImaginaryQPOConfig
from .figures import fig_posterior, fig_spectra, fig_sweep

FIELDS = ("freq", "width", "rms1", "rms2", "lag")
TRANSFORMS = {
    "freq": Positive(),
    "width": Positive(),
    "rms1": Positive(),
    "rms2": Positive(),
    "lag": Interval(-math.pi, math.pi),
}
QPO = -1  # the QPO is the last component


def truth_model(cfg: ImaginaryQPOConfig, qpo_freq: float) -> MultiLorentzian:
    """The injected model: the broad components plus a QPO of quality Q at ``qpo_freq``."""
    return MultiLorentzian(
        freq=[*cfg.broad_freq, qpo_freq],
        width=[*cfg.broad_width, qpo_freq / cfg.qpo_quality],
        rms1=[*cfg.broad_rms1, cfg.qpo_rms1],
        rms2=[*cfg.broad_rms2, cfg.qpo_rms2],
        lag=[*cfg.broad_lag, cfg.qpo_lag],
    )


def observe(cfg: ImaginaryQPOConfig, truth: MultiLorentzian, key) -> CrossSpectrum:
    """Two-band Poisson light curves of ``segments`` segments and their cross spectrum."""
    nseg = int(round(cfg.segment_size / cfg.dt))
    counts = truth.simulate(key, cfg.segments * nseg, cfg.dt, cfg.rate1, cfg.rate2)
    return cross_spectrum(counts[0], counts[1], cfg.dt, segment_size=cfg.segment_size)


def start_model(cfg: ImaginaryQPOConfig, cs: CrossSpectrum) -> MultiLorentzian:
    """A data-driven start: generic broad components and a QPO at the peak of |Im C|/σ_Im
    (smoothed over 5 bins, above 0.3 Hz), with Q = 7 and the sign of Im C."""
    _, d_im = cs.cross_err()
    snr = jnp.convolve(jnp.imag(cs.cross) / d_im, jnp.ones(5) / 5, mode="same")
    snr = jnp.where(cs.freq > 0.3, snr, 0.0)
    k = jnp.argmax(jnp.abs(snr))
    f0 = cs.freq[k]
    nb = len(cfg.broad_freq)
    broad_f = jnp.asarray([0.2, 2.0, 5.0, 10.0][:nb])
    broad_w = jnp.asarray([2.5, 5.0, 8.0, 15.0][:nb])
    return MultiLorentzian(
        freq=jnp.concatenate([broad_f, f0[None]]),
        width=jnp.concatenate([broad_w, (f0 / 7)[None]]),
        rms1=jnp.asarray([0.15] * nb + [0.02]),
        rms2=jnp.asarray([0.15] * nb + [0.02]),
        lag=jnp.concatenate([jnp.zeros(nb), jnp.sign(snr[k])[None]]),
        noise1=cs.noise1,
        noise2=cs.noise2,
    )


def drop_qpo(model: MultiLorentzian) -> MultiLorentzian:
    return MultiLorentzian(
        model.freq[:QPO], model.width[:QPO], model.rms1[:QPO], model.rms2[:QPO],
        model.lag[:QPO], model.noise1, model.noise2,
    )  # fmt: skip


def fit_observation(cfg: ImaginaryQPOConfig, cs: CrossSpectrum) -> dict:
    """Maximum-likelihood fits with and without the QPO: joint (complex Wishart on PS1,
    PS2, Re and Im CS) and each band's power spectrum alone (Whittle). Pure jax."""
    steps = cfg.fit_steps
    joint = maximize(lambda m: m.loglike(cs), start_model(cfg, cs), FIELDS,
                     transforms=TRANSFORMS, steps=steps)  # fmt: skip
    joint0 = maximize(lambda m: m.loglike(cs), drop_qpo(joint.model), FIELDS,
                      transforms=TRANSFORMS, steps=steps)  # fmt: skip
    out = {
        "joint_params": joint.params,
        "joint_stderr": joint.stderr,
        "joint_dlnl": joint.log_density - joint0.log_density,
    }
    for band in (1, 2):
        ps = _band(cs, band)
        fields = ("freq", "width", f"rms{band}")
        tf = {f: TRANSFORMS[f] for f in fields}
        ll = lambda m, ps=ps, band=band: m.loglike_power(ps, band)
        with_q = maximize(ll, joint.model, fields, transforms=tf, steps=steps)
        without = maximize(ll, joint0.model, fields, transforms=tf, steps=steps)
        out[f"ps{band}_dlnl"] = with_q.log_density - without.log_density
        out[f"ps{band}_rms"] = with_q.params[f"rms{band}"][QPO]
        out[f"ps{band}_rms_err"] = with_q.stderr[f"rms{band}"][QPO]
    out["model"] = joint.model
    out["model0"] = joint0.model
    return out


def _band(cs: CrossSpectrum, band: int):
    from ...analysis.spectra import PowerSpectrum

    return PowerSpectrum(
        freq=cs.freq,
        power=cs.power1 if band == 1 else cs.power2,
        m=cs.m,
        mean_rate=cs.mean_rate1 if band == 1 else cs.mean_rate2,
        noise=cs.noise1 if band == 1 else cs.noise2,
        df=cs.df,
        norm=cs.norm,
    )


def lrt_sigma(dlnl, extra_params: int) -> np.ndarray:
    """Gaussian-equivalent significance of 2 Δln L for ``extra_params`` more parameters
    (Wilks; approximate: the QPO frequency is undefined under the null)."""
    p = scipy.stats.chi2.sf(np.maximum(2 * np.asarray(dlnl, float), 0.0), extra_params)
    return scipy.stats.norm.isf(np.clip(p, 1e-300, 1.0))


def compare_lags_coherence(cs: CrossSpectrum, model, model0, f0: float, fwhm: float) -> dict:
    """Measured vs model lags and intrinsic coherence; the drop and jump at the QPO."""
    f = np.asarray(cs.freq)
    lag, lag_err = (np.asarray(a) for a in phase_lag(cs))
    coh, coh_err = (np.asarray(a) for a in coherence(cs, intrinsic=True))
    band = (f > 0.25) & (f < 12.0) & np.isfinite(coh_err) & (coh_err > 0) & np.isfinite(lag_err)
    out = {}
    for name, m in (("with_qpo", model), ("without_qpo", model0)):
        lag_m = np.asarray(m.phase_lag(cs.freq))
        coh_m = np.asarray(m.coherence(cs.freq))
        dl = np.angle(np.exp(1j * (lag - lag_m)))
        out[f"lag_chi2_dof_{name}"] = float(np.mean((dl[band] / lag_err[band]) ** 2))
        out[f"coh_chi2_dof_{name}"] = float(np.mean(((coh - coh_m)[band] / coh_err[band]) ** 2))
    at = band & (np.abs(f - f0) < fwhm / 2)
    flank = band & (np.abs(f - f0) > fwhm) & (np.abs(f - f0) < 3 * fwhm)
    model_coh = np.asarray(model.coherence(cs.freq))
    model_lag = np.asarray(model.phase_lag(cs.freq))
    for name, v, e, mv in (
        ("coherence", coh, coh_err, model_coh),
        ("lag", lag, lag_err, model_lag),
    ):
        if not (at.any() and flank.any()):
            out[f"{name}_change"] = None
            continue
        w_at, w_fl = 1 / e[at] ** 2, 1 / e[flank] ** 2
        m_at, m_fl = np.sum(w_at * v[at]) / w_at.sum(), np.sum(w_fl * v[flank]) / w_fl.sum()
        err = math.sqrt(1 / w_at.sum() + 1 / w_fl.sum())
        out[f"{name}_change"] = {
            "measured": float(m_at - m_fl),
            "error": err,
            "sigma": float((m_at - m_fl) / err),
            "model": float(mv[at].mean() - mv[flank].mean()),
        }
    out["n_bins"] = int(band.sum())
    return out


@experiment("imaginary_qpo", paper="15", presets=PRESETS)
def run(cfg: ImaginaryQPOConfig, ctx: Run) -> dict:
    """Imaginary QPOs: a narrow feature in Im(CS), invisible in the PS (paper 15)."""
    key = jax.random.PRNGKey(cfg.seed)
    k_fid, k_nuts, k_sweep = jax.random.split(key, 3)
    fit_fn = jax.jit(lambda cs: fit_observation(cfg, cs))

    with ctx.stage("fiducial"):
        truth = truth_model(cfg, cfg.qpo_freq)
        cs = observe(cfg, truth, k_fid)
        fid = fit_fn(cs)
        truth = MultiLorentzian(truth.freq, truth.width, truth.rms1, truth.rms2, truth.lag,
                                cs.noise1, cs.noise2)  # fmt: skip
        cmp = compare_lags_coherence(
            cs, fid["model"], fid["model0"], cfg.qpo_freq, cfg.qpo_freq / cfg.qpo_quality
        )
    with ctx.stage("nuts"):
        post = jax.jit(
            lambda cs, k: sample_nuts(
                lambda m: m.loglike(cs),
                fid["model"],
                FIELDS,
                key=k,
                transforms=TRANSFORMS,
                num_warmup=cfg.nuts_warmup,
                num_samples=cfg.nuts_samples,
            )  # fmt: skip
        )(cs, k_nuts)
        qpo_samples = {f: np.asarray(post.samples[f])[:, QPO] for f in FIELDS}

    with ctx.stage("sweep"):
        sweep = {}
        fit_batch = jax.jit(jax.vmap(lambda cs: fit_observation(cfg, cs)))
        for i, f0 in enumerate(cfg.sweep_freqs):

            def compute(f0=f0, i=i):
                tr = truth_model(cfg, f0)
                keys = jax.random.split(jax.random.fold_in(k_sweep, i), cfg.sweep_seeds)
                css = jax.vmap(lambda k: observe(cfg, tr, k))(keys)
                r = fit_batch(css)
                return {
                    "freq": r["joint_params"]["freq"][:, QPO],
                    "freq_err": r["joint_stderr"]["freq"][:, QPO],
                    "width": r["joint_params"]["width"][:, QPO],
                    "rms1": r["joint_params"]["rms1"][:, QPO],
                    "rms2": r["joint_params"]["rms2"][:, QPO],
                    "lag": r["joint_params"]["lag"][:, QPO],
                    "lag_err": r["joint_stderr"]["lag"][:, QPO],
                    "joint_dlnl": r["joint_dlnl"],
                    "ps1_dlnl": r["ps1_dlnl"],
                    "ps2_dlnl": r["ps2_dlnl"],
                }

            sweep[float(f0)] = ctx.cached(f"sweep_{round(1000 * f0)}mHz", compute)
        table = summarise_sweep(cfg, sweep)

    with ctx.stage("figures"):
        ctx.savefig(fig_spectra(cs, fid["model"], fid["model0"], truth), "spectra")
        ctx.savefig(fig_sweep(table, cfg), "frequency_sweep")
        ctx.savefig(fig_posterior(qpo_samples, truth, QPO), "qpo_posterior")
    ctx.save_arrays(
        "imaginary_qpo",
        freq=cs.freq,
        power1=cs.power1,
        power2=cs.power2,
        cross_re=jnp.real(cs.cross),
        cross_im=jnp.imag(cs.cross),
        **{f"posterior_{k}": v for k, v in qpo_samples.items()},
    )

    injected = {f: float(getattr(truth, f)[QPO]) for f in FIELDS}
    recovered = {
        f: {
            "mle": float(fid["joint_params"][f][QPO]),
            "laplace_err": float(fid["joint_stderr"][f][QPO]),
            "posterior_median": float(np.median(qpo_samples[f])),
            "posterior_68": [float(q) for q in np.quantile(qpo_samples[f], [0.16, 0.84])],
            "injected": injected[f],
            "pull": float(
                (fid["joint_params"][f][QPO] - injected[f]) / fid["joint_stderr"][f][QPO]
            ),
        }
        for f in FIELDS
    }
    sig = {
        "ps1": float(lrt_sigma(fid["ps1_dlnl"], 3)),
        "ps2": float(lrt_sigma(fid["ps2_dlnl"], 3)),
        "joint": float(lrt_sigma(fid["joint_dlnl"], 5)),
    }
    return {
        "fiducial_qpo_injected": injected,
        "fiducial_qpo_recovered": recovered,
        "significance_ps1_sigma": number(
            sig["ps1"], literature="< 3", note="LRT of a QPO in the band-1 power spectrum alone"
        ),
        "significance_ps2_sigma": number(
            sig["ps2"], literature="< 3", note="LRT of a QPO in the band-2 power spectrum alone"
        ),
        "significance_joint_sigma": number(
            sig["joint"], literature="clear detection", note="LRT, joint PS1+PS2+Re/Im CS fit"
        ),
        "ps_rms_over_err": {
            "band1": float(fid["ps1_rms"] / (2 * fid["ps1_rms_err"])),
            "band2": float(fid["ps2_rms"] / (2 * fid["ps2_rms_err"])),
        },
        "lags_and_coherence": cmp,
        "nuts": {
            "acceptance": float(post.acceptance),
            "divergences": int(post.divergences),
            "step_size": float(post.step_size),
        },
        "sweep": table,
    }


def summarise_sweep(cfg: ImaginaryQPOConfig, sweep: dict) -> dict:
    """Detection rates (Wilson 95 %) and recovery per QPO frequency."""
    out = {}
    for f0, r in sweep.items():
        n = len(r["joint_dlnl"])
        row = {}
        for name, dof in (("joint", 5), ("ps1", 3), ("ps2", 3)):
            det = lrt_sigma(r[f"{name}_dlnl"], dof) >= cfg.detect_sigma
            lo, hi = wilson_interval(int(det.sum()), n)
            row[f"detected_{name}"] = {"rate": float(det.mean()), "ci95": [float(lo), float(hi)]}
        row["freq_median"] = float(np.median(r["freq"]))
        row["freq_bias_over_err"] = float(np.median((r["freq"] - f0) / r["freq_err"]))
        row["lag_median"] = float(np.median(r["lag"]))
        row["rms1_median"] = float(np.median(r["rms1"]))
        row["rms2_median"] = float(np.median(r["rms2"]))
        row["width_median"] = float(np.median(r["width"]))
        row["n"] = n
        out[f"{f0:g}"] = row
    return out
