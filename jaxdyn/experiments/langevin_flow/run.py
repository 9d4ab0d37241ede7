"""The computation of the langevin_flow experiment (see the package docstring)."""

from __future__ import annotations

import jax
import numpy as np

from ...analysis import spikes as metrics
from ...analysis.bootstrap import bootstrap_interval
from ...analysis.latents import affine_alignment
from ...analysis.stats import t_interval
from ...core import member_key
from ...data.lorenz_spikes import LorenzSpikes, LorenzSpikesConfig, load_lorenz_spikes
from ...models.langevin_flow import (
    LangevinFlow,
    elbo_training,
    evaluate,
    infer_latents,
    predict_rates,
    with_readout_bias,
)
from ...models.lfads import LFADS
from .._kit import Run, experiment, number
from .config import PRESETS, LangevinFlowConfig
from .figures import fig_latents, fig_rates_raster, fig_summary

MODELS = ("langevin_flow", "lfads")
#: the metrics compared with intervals (co-bps, forward prediction, rate R² on observed bins)
METRICS = ("co_bps", "fp_bps", "rate_r2")


def smoothing_baseline(data: LorenzSpikes, sigmas) -> tuple[np.ndarray, float]:
    """NLB smoothed-spikes baseline on the test split; kernel width chosen on validation."""
    tr, va, te = data.split("train"), data.split("valid"), data.split("test")
    n_obs = data.n_obs
    best_sigma, best_val = None, -np.inf
    for s in sigmas:
        pv = metrics.smoothed_spikes_baseline(
            tr["spikes"], va["spikes"], data.heldin, n_obs, sigma_bins=s
        )
        v = metrics.co_bps(pv, va["spikes"], data.heldout, n_obs)
        if v > best_val:
            best_sigma, best_val = s, v
    rates = metrics.smoothed_spikes_baseline(
        tr["spikes"], te["spikes"], data.heldin, n_obs, sigma_bins=best_sigma
    )
    return rates, best_sigma


def seed_key(cfg: LangevinFlowConfig, s: int):
    """Key of training seed ``s``: seed 0 is ``PRNGKey(cfg.seed)`` itself (the key of the
    earlier single-seed runs, so they are reproduced), seed s > 0 ``member_key`` of it."""
    root = jax.random.PRNGKey(cfg.seed)
    return root if s == 0 else member_key(root, s)


def build_models(cfg: LangevinFlowConfig, n_in: int, key) -> tuple[dict, jax.Array]:
    """Both models of one training seed with their training keys, and the evaluation key."""
    k_lf, k_lfads, k_train_lf, k_train_lfads, k_eval = jax.random.split(key, 5)
    lf = LangevinFlow(
        n_in,
        cfg.n_neurons,
        cfg.n_bins,
        key=k_lf,
        d_latent=cfg.d_latent,
        enc_hidden=cfg.enc_hidden,
        dec_width=cfg.dec_width,
        noise=cfg.noise,
    )
    lfads = LFADS(
        n_in,
        cfg.n_neurons,
        cfg.n_bins,
        key=k_lfads,
        enc_hidden=cfg.enc_hidden,
        gen_hidden=cfg.lfads_hidden,
        n_factors=cfg.lfads_factors,
    )
    return {"langevin_flow": (lf, k_train_lf), "lfads": (lfads, k_train_lfads)}, k_eval


def train_seed(cfg: LangevinFlowConfig, ctx: Run, data: LorenzSpikes, s: int) -> dict:
    """Train both models with seed ``s`` (resumable); test rates, metrics, latents."""
    tr, va, te = data.split("train"), data.split("valid"), data.split("test")
    n_obs, heldout = data.n_obs, data.heldout
    bias = np.log(tr["spikes"].reshape(-1, cfg.n_neurons).mean(axis=0) + 1e-3)
    x_test = te["spikes"][:, :n_obs][..., data.heldin]
    models, k_eval = build_models(cfg, len(data.heldin), seed_key(cfg, s))
    out = {}
    for name, (model, k) in models.items():
        with ctx.stage(f"train_{name}"):
            res = ctx.train(
                name if s == 0 else f"{name}_seed{s}",
                model=with_readout_bias(model, bias),
                **elbo_training(
                    tr["spikes"],
                    va["spikes"],
                    data.heldin,
                    heldout,
                    n_obs,
                    key=k,
                    steps=cfg.steps,
                    batch_size=cfg.batch_size,
                    lr=cfg.lr,
                    weight_decay=cfg.weight_decay,
                    cd_rate=cfg.cd_rate,
                    kl_warmup_steps=cfg.kl_warmup,
                    eval_every=cfg.eval_every,
                ),
            )
        with ctx.stage("evaluate"):
            rates = predict_rates(res.best, x_test, k_eval, n_samples=cfg.eval_samples)
            row = evaluate(rates, te["spikes"], te["rates"], heldout, n_obs)
            lat = infer_latents(res.best, x_test, k_eval)
            d = cfg.d_latent if name == "langevin_flow" else lat.shape[-1]
            aligned, row["latent_r2"] = affine_alignment(lat[..., :d], te["latents"])
        out[name] = {
            "rates": rates,
            "row": row,
            "aligned": aligned,
            "history": res.metrics,
            "best_valid": res.best_score,
        }
    return out


# ---------------------------------------------------------------- statistics


def _ci(mean, lo, hi) -> dict:
    return {"mean": float(mean), "ci95": [float(lo), float(hi)]}


def seed_interval(values) -> dict:
    """Mean over training seeds and its 95 % Student-t interval (none for one seed)."""
    v = np.asarray(values, float)
    if v.size < 2:
        return {"mean": float(v.mean()), "ci95": None, "seeds": v.tolist()}
    return {**_ci(*t_interval(v)), "seeds": v.tolist()}


def _sliced(rates, te, heldout, n_obs):
    """The parts of rates/counts each metric reads, so that resampling copies only those."""
    r = np.asarray(rates)
    return r[:, :n_obs][..., heldout], r[:, n_obs:], r[:, :n_obs]


def trial_bootstrap(
    cfg: LangevinFlowConfig, seed_rates: dict, fixed_rates: dict, te, heldout, n_obs, key
) -> dict:
    """Bootstrap over test trials of the seed-mean metrics and their differences.

    ``seed_rates``: per model a list of test rates, one per training seed; ``fixed_rates``:
    the seed-independent smoothing and oracle rates. Each resample of the test trials
    scores every model and seed on the same trials (paired), giving

    * ``trials``: the interval of the seed-mean metric (and of LangevinFlow's difference to
      each baseline) from the test trials alone, every seed kept;
    * ``two_level``: the same with the training seeds resampled as well (each model's seeds
      drawn with replacement, independently), which adds the seed-to-seed spread.
    """
    counts = _sliced(te["spikes"], te, heldout, n_obs)
    truth = np.asarray(te["rates"])[:, :n_obs]
    sl = {n: [_sliced(r, te, heldout, n_obs) for r in rs] for n, rs in seed_rates.items()}
    sl_fixed = {n: _sliced(r, te, heldout, n_obs) for n, r in fixed_rates.items()}
    n_heldout = len(heldout)
    rng = np.random.default_rng(cfg.seed)
    names = [*seed_rates, *fixed_rates]
    n_seeds = {n: len(rs) for n, rs in seed_rates.items()}

    def score(parts, idx):
        co, fp, obs = parts
        return (
            metrics.co_bps(co[idx], counts[0][idx], np.arange(n_heldout), n_obs),
            metrics.bits_per_spike(fp[idx], counts[1][idx]),
            metrics.rate_r2(obs[idx], truth[idx]),
        )

    def stat(idx):
        per_seed = {n: np.array([score(p, idx) for p in sl[n]]) for n in seed_rates}
        fixed = {n: np.asarray(score(p, idx)) for n, p in sl_fixed.items()}
        out = []
        for resample in (False, True):
            mean = {
                n: (v[rng.integers(0, n_seeds[n], n_seeds[n])] if resample else v).mean(axis=0)
                for n, v in per_seed.items()
            }
            mean.update(fixed)
            lf = mean["langevin_flow"]
            out += [mean[n] for n in names]
            out += [lf - mean["lfads"], lf - mean["smoothing"]]
            out.append(np.array([lf[0] / mean["oracle"][0]]))
        return np.concatenate(out)

    low, high = bootstrap_interval(stat, len(te["spikes"]), key, n_boot=cfg.n_bootstrap)
    labels = [*names, "lf_minus_lfads", "lf_minus_smoothing"]
    result, pos = {}, 0
    for part in ("trials", "two_level"):
        block = {}
        for lab in labels:
            block[lab] = {
                m: [float(low[pos + i]), float(high[pos + i])] for i, m in enumerate(METRICS)
            }
            pos += len(METRICS)
        block["fraction_of_oracle_co_bps"] = [float(low[pos]), float(high[pos])]
        pos += 1
        result[part] = block
    return result


# ---------------------------------------------------------------- the experiment


@experiment("langevin_flow", paper="8", presets=PRESETS)
def run(cfg: LangevinFlowConfig, ctx: Run) -> dict:
    """LangevinFlow (underdamped Langevin latent SDE) on Lorenz spiking data, vs LFADS."""
    with ctx.stage("data"):
        data = load_lorenz_spikes(
            LorenzSpikesConfig(
                n_trials=cfg.n_trials,
                n_neurons=cfg.n_neurons,
                n_heldout=cfg.n_heldout,
                n_bins=cfg.n_bins,
                n_fwd=cfg.n_fwd,
                seed=cfg.seed,
            )
        )
    te = data.split("test")
    n_obs, heldout = data.n_obs, data.heldout

    seeds = [train_seed(cfg, ctx, data, s) for s in range(cfg.train_seeds)]

    with ctx.stage("baselines"):
        fixed = {}
        fixed["smoothing"], sigma = smoothing_baseline(data, cfg.smooth_sigmas)
        fixed["oracle"] = te["rates"]
        fixed["null"] = np.concatenate(
            [
                metrics.null_rates(te["spikes"][:, :n_obs]),
                metrics.null_rates(te["spikes"][:, n_obs:]),
            ],
            axis=1,
        )
        rows = {
            name: evaluate(r, te["spikes"], te["rates"], heldout, n_obs)
            for name, r in fixed.items()
        }

    per_seed = {
        name: {k: [sd[name]["row"][k] for sd in seeds] for k in seeds[0][name]["row"]}
        for name in MODELS
    }
    table = {name: {k: seed_interval(v) for k, v in per_seed[name].items()} for name in MODELS}
    table.update({name: {k: float(v) for k, v in r.items()} for name, r in rows.items()})
    diffs = {}
    for other in ("lfads", "smoothing"):
        diffs[f"lf_minus_{other}"] = {
            m: seed_interval(
                np.asarray(per_seed["langevin_flow"][m])
                - (np.asarray(per_seed[other][m]) if other in per_seed else rows[other][m])
            )
            for m in METRICS
        }

    with ctx.stage("bootstrap"):
        k_boot = jax.random.fold_in(jax.random.split(seed_key(cfg, 0), 5)[4], 1)
        boot = trial_bootstrap(
            cfg,
            {n: [sd[n]["rates"] for sd in seeds] for n in MODELS},
            {n: fixed[n] for n in ("smoothing", "oracle")},
            te,
            heldout,
            n_obs,
            k_boot,
        )

    first = seeds[0]
    rates0 = {**{n: first[n]["rates"] for n in MODELS}, **fixed}
    with ctx.stage("figures"):
        aligned = {n: first[n]["aligned"] for n in MODELS}
        r2 = {n: first[n]["row"]["latent_r2"] for n in MODELS}
        ctx.savefig(fig_latents(te["latents"], aligned, n_obs, r2), "latents_aligned")
        ctx.savefig(fig_rates_raster(te, rates0, heldout, n_obs), "rates_raster")
        histories = {n: [sd[n]["history"] for sd in seeds] for n in MODELS}
        ctx.savefig(fig_summary(table, diffs, histories, METRICS), "summary")
    ctx.save_arrays(
        "langevin_flow_test_rates",
        **{f"rates_{n}_seed0": first[n]["rates"] for n in MODELS},
        rates_smoothing=fixed["smoothing"],
        **{f"{n}_{m}_per_seed": np.asarray(per_seed[n][m]) for n in MODELS for m in METRICS},
    )
    return key_numbers(cfg, table, diffs, boot, rows, seeds, sigma, data)


def key_numbers(cfg, table, diffs, boot, rows, seeds, sigma, data) -> dict:
    n_seeds, n_test = cfg.train_seeds, len(data.split("test")["spikes"])
    where = (
        f"full-size Lorenz data ({cfg.n_trials} trials, {n_test} test), {cfg.steps} steps, "
        f"{n_seeds} training seed(s)"
    )

    def fmt(d):
        if d["ci95"] is None:
            return f"{d['mean']:.4f} (one seed: no interval)"
        return f"{d['mean']:.4f} [{d['ci95'][0]:.4f}, {d['ci95'][1]:.4f}]"

    def tb(part, name, m):
        lo, hi = boot[part][name][m]
        return f"[{lo:.4f}, {hi:.4f}]"

    lf_vs = diffs["lf_minus_lfads"]["co_bps"]
    lead_real = lf_vs["ci95"] is not None and lf_vs["ci95"][0] > 0
    out = {
        "table": table,
        "differences_over_seeds": diffs,
        "bootstrap_ci95": boot,
        "lead_over_lfads_co_bps_real": bool(lead_real),
    }
    for name in MODELS:
        for m in METRICS:
            out[f"{m}_{name}"] = number(
                table[name][m]["mean"],
                note=f"mean over seeds [95% t-interval over seeds] {fmt(table[name][m])}; "
                f"95% bootstrap over test trials {tb('trials', name, m)}; {where}",
            )
    for m in METRICS:
        for other in ("lfads", "smoothing"):
            d = diffs[f"lf_minus_{other}"][m]
            out[f"{m}_langevin_flow_minus_{other}"] = number(
                d["mean"],
                note=f"paired by seed: mean [95% t-interval over seeds] {fmt(d)}; test-trial "
                f"bootstrap {tb('trials', f'lf_minus_{other}', m)}; seeds and trials "
                f"{tb('two_level', f'lf_minus_{other}', m)}",
            )
    frac = np.asarray(table["langevin_flow"]["co_bps"]["seeds"]) / rows["oracle"]["co_bps"]
    out["fraction_of_oracle_co_bps"] = number(
        float(frac.mean()),
        note=f"LangevinFlow co-bps / true-rate co-bps, {fmt(seed_interval(frac))} over seeds",
    )
    out["rate_r2_langevin_flow"]["literature"] = (
        "close to the true rates (Song et al. 2025, Fig. 2; no number quoted)"
    )
    out["smoothing_sigma_bins"] = sigma
    out["rates_hz_percentiles_5_50_95"] = np.percentile(data.rates / data.bin_s, [5, 50, 95]).round(
        1
    )
    out["best_valid_co_bps"] = {n: [sd[n]["best_valid"] for sd in seeds] for n in MODELS}
    return out
