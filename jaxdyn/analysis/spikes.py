"""Metrics for spiking-data models, following the Neural Latents Benchmark (NLB).

All arrays are laid out ``(trials, bins, neurons)``; rates are expected counts per bin.

* Poisson log-likelihood, including the ``-log k!`` term:
  ``LL(λ; k) = Σ k log λ - λ - log k!``.
* Bits per spike (Pei et al., "Neural Latents Benchmark '21", NeurIPS Datasets 2021):
  ``bps = (LL(λ_model; k) - LL(λ_null; k)) / (n_spikes · ln 2)``, where the null model
  predicts each neuron's mean count per bin over the evaluation data. The null model
  therefore scores exactly 0; co-bps is bps on held-out neurons over the observed bins,
  forward-prediction bps (fp-bps) is bps on all neurons over the forward bins.
* R² between inferred and true rates (per neuron, then averaged over neurons).

Also the NLB "smoothed spikes" baseline: Gaussian-smoothed held-in spikes regressed onto
each neuron's counts by a ridge-penalised Poisson GLM (log link), fitted by Newton's
method. These are evaluation utilities: they run in NumPy (float64) on concrete data.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import gammaln, xlogy


def _check(rates, counts) -> tuple[np.ndarray, np.ndarray]:
    rates = np.asarray(rates, dtype=np.float64)
    counts = np.asarray(counts, dtype=np.float64)
    if rates.shape != counts.shape:
        raise ValueError(
            f"rates and counts must have the same shape, got {rates.shape} and {counts.shape}"
        )
    if np.any(counts < 0) or np.any(counts != np.round(counts)):
        raise ValueError("counts must be non-negative integers")
    if np.any(~np.isfinite(rates)) or np.any(rates < 0):
        raise ValueError("rates must be finite and non-negative")
    return rates, counts


def poisson_log_likelihood(rates, counts) -> float:
    """Total Poisson log-likelihood ``Σ k log λ - λ - log k!`` (``0 log 0 = 0``)."""
    rates, counts = _check(rates, counts)
    return float(np.sum(xlogy(counts, rates) - rates - gammaln(counts + 1.0)))


def null_rates(counts) -> np.ndarray:
    """NLB null model: each neuron's mean count per bin over all trials and bins."""
    counts = np.asarray(counts, dtype=np.float64)
    mean = counts.reshape(-1, counts.shape[-1]).mean(axis=0)
    return np.broadcast_to(mean, counts.shape)


def bits_per_spike(rates, counts) -> float:
    """Bits per spike of ``rates`` on ``counts`` relative to the NLB null model.

    ``(LL(rates) - LL(null)) / (n_spikes ln 2)``; exactly 0 for the null rates, and
    ``nan`` when ``counts`` holds no spike. A model rate of 0 where a spike occurred gives
    ``-inf``, as the likelihood demands.
    """
    rates, counts = _check(rates, counts)
    n_spikes = counts.sum()
    if n_spikes == 0:
        return float("nan")
    ll_model = poisson_log_likelihood(rates, counts)
    ll_null = poisson_log_likelihood(null_rates(counts), counts)
    return (ll_model - ll_null) / (n_spikes * math.log(2.0))


def co_bps(rates, counts, heldout, n_obs: int) -> float:
    """Co-smoothing bps: held-out neurons (indices ``heldout``) over the first ``n_obs`` bins."""
    rates, counts = np.asarray(rates), np.asarray(counts)
    return bits_per_spike(rates[:, :n_obs][..., heldout], counts[:, :n_obs][..., heldout])


def fp_bps(rates, counts, n_obs: int) -> float:
    """Forward-prediction bps: every neuron over the bins after the first ``n_obs``."""
    rates, counts = np.asarray(rates), np.asarray(counts)
    if n_obs >= counts.shape[1]:
        raise ValueError(
            f"n_obs must be smaller than the number of bins {counts.shape[1]}, got {n_obs}"
        )
    return bits_per_spike(rates[:, n_obs:], counts[:, n_obs:])


def rate_r2(pred, true) -> float:
    """Mean over neurons of ``1 - SS_res/SS_tot`` of predicted vs true rates (all trials, bins)."""
    pred = np.asarray(pred, dtype=np.float64)
    true = np.asarray(true, dtype=np.float64)
    if pred.shape != true.shape:
        raise ValueError(
            f"pred and true must have the same shape, got {pred.shape} and {true.shape}"
        )
    p = pred.reshape(-1, pred.shape[-1])
    t = true.reshape(-1, true.shape[-1])
    ss_res = np.sum((p - t) ** 2, axis=0)
    ss_tot = np.sum((t - t.mean(axis=0)) ** 2, axis=0)
    return float(np.mean(1.0 - ss_res / ss_tot))


def rate_correlation(pred, true) -> float:
    """Pearson correlation of predicted and true rates, pooled over every entry."""
    return float(np.corrcoef(np.ravel(pred), np.ravel(true))[0, 1])


# --- smoothed-spikes baseline -------------------------------------------------------------


def smooth_spikes(counts, sigma_bins: float) -> np.ndarray:
    """Gaussian-smooth counts along the bin axis (width ``sigma_bins``), edge-normalised."""
    if not sigma_bins > 0:
        raise ValueError(f"sigma_bins must be positive, got {sigma_bins}")
    counts = np.asarray(counts, dtype=np.float64)
    n = counts.shape[1]
    t = np.arange(n)
    kern = np.exp(-0.5 * ((t[:, None] - t[None, :]) / sigma_bins) ** 2)
    # Renormalising each row keeps the first and last bins unbiased (no zero padding).
    kern /= kern.sum(axis=1, keepdims=True)
    return np.einsum("st,btn->bsn", kern, counts)


def fit_poisson_glm(x, y, alpha: float = 1e-2, iters: int = 50) -> np.ndarray:
    """Ridge-penalised Poisson GLM ``y_j ~ Poisson(exp(x w_j + b_j))``, one per column of y.

    Minimises ``mean(exp(η) - y η) + alpha/2 |w|²`` (the bias is not penalised) by
    Newton's method, which converges quadratically on this strictly convex problem.
    Returns weights of shape ``(p + 1, n_out)``, the last row being the bias.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n, p = x.shape
    xb = np.concatenate([x, np.ones((n, 1))], axis=1)
    reg = alpha * np.eye(p + 1)
    reg[-1, -1] = 0.0
    w = np.zeros((p + 1, y.shape[1]))
    w[-1] = np.log(np.maximum(y.mean(axis=0), 1e-6))
    for j in range(y.shape[1]):
        for _ in range(iters):
            mu = np.exp(np.clip(xb @ w[:, j], -30, 30))
            grad = xb.T @ (mu - y[:, j]) / n + reg @ w[:, j]
            hess = (xb * mu[:, None]).T @ xb / n + reg + 1e-10 * np.eye(p + 1)
            step = np.linalg.solve(hess, grad)
            w[:, j] -= step
            if np.max(np.abs(step)) < 1e-10:
                break
    return w


def smoothed_spikes_baseline(
    train_counts,
    eval_counts,
    heldin,
    n_obs: int,
    *,
    sigma_bins: float = 2.0,
    alpha: float = 1e-2,
) -> np.ndarray:
    """NLB smoothing baseline: predicted rates of every neuron for ``eval_counts`` trials.

    Over the observed bins, held-in neurons get their own smoothed spikes, and each
    held-out neuron a Poisson GLM of the (standardised) smoothed held-in spikes in the
    same bin, fitted on ``train_counts``, as in NLB's reference baseline. Smoothing
    carries no information about the future, so the forward bins get each neuron's mean
    training rate there.
    """
    train_counts = np.asarray(train_counts, dtype=np.float64)
    eval_counts = np.asarray(eval_counts, dtype=np.float64)
    n_neurons = train_counts.shape[-1]
    heldin = np.asarray(heldin)
    heldout = np.setdiff1d(np.arange(n_neurons), heldin)

    def smoothed(c):
        return smooth_spikes(c[:, :n_obs][..., heldin], sigma_bins)

    str_, sev = smoothed(train_counts), smoothed(eval_counts)
    xtr = str_.reshape(-1, len(heldin))
    mu, sd = xtr.mean(axis=0), xtr.std(axis=0) + 1e-8
    ytr = train_counts[:, :n_obs][..., heldout].reshape(-1, len(heldout))
    w = fit_poisson_glm((xtr - mu) / sd, ytr, alpha=alpha)
    xev = (sev.reshape(-1, len(heldin)) - mu) / sd
    xev = np.concatenate([xev, np.ones((xev.shape[0], 1))], axis=1)
    n_ev = eval_counts.shape[0]
    obs = np.empty((n_ev, n_obs, n_neurons))
    # A smoothed count of exactly zero would make a spike infinitely unlikely.
    obs[..., heldin] = np.maximum(sev, 1e-4)
    obs[..., heldout] = np.exp(np.clip(xev @ w, -30, 30)).reshape(n_ev, n_obs, len(heldout))
    fwd_mean = train_counts[:, n_obs:].reshape(-1, n_neurons).mean(axis=0)
    n_fwd = eval_counts.shape[1] - n_obs
    fwd = np.broadcast_to(np.maximum(fwd_mean, 1e-6), (n_ev, n_fwd, n_neurons))
    return np.concatenate([obs, fwd], axis=1)
