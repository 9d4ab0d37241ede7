"""The computation of the rnn_hmm experiment (see the package docstring)."""

from __future__ import annotations

import functools

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax

from ...analysis.sequences import emission_statistics, event_triggered_average
from ...analysis.sinkhorn import sinkhorn_divergence
from ...models.rnn_hmm import HMM, NoisyRNN, cyclic, fully_connected, linear_chain
from .._kit import Run, experiment, number
from .config import PRESETS, RNNHMMConfig
from .figures import fig_dynamics, fig_kick, fig_statistics


def make_hmm(name: str, p_stay: float) -> HMM:
    n = int(name[-1])
    if name.startswith("chain"):
        return linear_chain(n, p_stay)
    return fully_connected(n, p_stay) if name.startswith("full") else cyclic(n, p_stay)


def sinkhorn_loss(model, target, key, *, cfg: RNNHMMConfig):
    """Debiased Sinkhorn divergence between RNN and HMM sequence batches (one-hots
    flattened over time: each sequence is one point)."""
    b = target.shape[0]
    sample = lambda k: model.sample(k, cfg.length, cfg.sigma, cfg.temperature, cfg.burn_in)[1]
    x = jax.vmap(sample)(jax.random.split(key, b))
    return sinkhorn_divergence(x.reshape(b, -1), target.reshape(b, -1), cfg.epsilon,
                               iters=cfg.sinkhorn_iters)  # fmt: skip


def generate(model: NoisyRNN, key, cfg: RNNHMMConfig, n: int, sigma=None, clamp=None):
    """Hidden states (n, T, N), hard outputs (n, T) (τ -> 0: categorical samples of the
    readout) and the most likely outputs argmax(C h + c)."""
    sigma = cfg.sigma if sigma is None else sigma

    @eqx.filter_jit
    def go(model, keys):
        def one(k):
            hs, y = model.sample(k, cfg.eval_length, sigma, 1e-6, cfg.burn_in, clamp=clamp)
            return hs, jnp.argmax(y, -1), jnp.argmax(model.logits(hs), -1)

        return jax.vmap(one)(keys)

    hs, out, mode = go(model, jax.random.split(key, n))
    return np.asarray(hs), np.asarray(out), np.asarray(mode)


def compare(hmm: HMM, model: NoisyRNN, key, cfg: RNNHMMConfig) -> dict:
    k1, k2 = jax.random.split(key)
    _, o_hmm = hmm.sample(k1, cfg.n_eval, cfg.eval_length)
    _, o_rnn, _ = generate(model, k2, cfg, cfg.n_eval)
    s_h = emission_statistics(np.asarray(o_hmm), hmm.n_outputs)
    s_r = emission_statistics(o_rnn, hmm.n_outputs)
    dwell_rel = np.nanmax(np.abs(s_r["dwell"] / s_h["dwell"] - 1))
    return {
        "hmm": s_h,
        "rnn": s_r,
        "marginal_max_abs_error": float(np.max(np.abs(s_r["marginals"] - s_h["marginals"]))),
        "transition_max_abs_error": float(np.max(np.abs(s_r["transitions"] - s_h["transitions"]))),
        "dwell_max_rel_error": float(dwell_rel),
        "volatility": [s_h["volatility"], s_r["volatility"]],
    }


def dynamics(model: NoisyRNN, key, cfg: RNNHMMConfig) -> dict:
    """Fixed point without noise; orbit size against the input variance; speeds."""
    k = jax.random.split(key, 4)
    h0s = jax.random.uniform(k[0], (16, model.n_hidden), maxval=2.0)
    roll = jax.jit(jax.vmap(lambda h0: model.rollout(k[1], 1000, 0.0, h0=h0)))
    ends = np.asarray(roll(h0s))
    fp = ends[:, -1].mean(0)
    spread = float(np.max(np.linalg.norm(ends[:, -1] - fp, axis=1)))
    last_step = float(np.max(np.linalg.norm(ends[:, -1] - ends[:, -2], axis=1)))
    sizes = []
    for s in cfg.noise_scales:
        hs, _, _ = generate(model, k[2], cfg, 32, sigma=s * cfg.sigma)
        sizes.append(float(np.mean(np.linalg.norm(hs - fp, axis=-1))))
    hs, out, mode = generate(model, k[3], cfg, 64)
    flat = hs.reshape(-1, hs.shape[-1])
    speed = np.linalg.norm(
        np.asarray(jax.vmap(lambda h: model.step(h, jnp.zeros(model.B.shape[1])))(flat)) - flat,
        axis=1,
    )
    speed = speed.reshape(hs.shape[:2])
    # changes of the most likely output between t and t+1, and where they happen
    change = mode[:, 1:] != mode[:, :-1]
    fast = speed[:, :-1] > np.quantile(speed, 0.8)
    p_fast = float(np.mean(fast))
    frac_changes_fast = float(np.mean(fast[change])) if change.any() else float("nan")
    # PCA of the noisy orbits (figure)
    centred = flat - flat.mean(0)
    _, _, vt = np.linalg.svd(centred[:4000], full_matrices=False)
    pcs = (hs[:4] - flat.mean(0)) @ vt[:2].T
    return {
        "fixed_point": fp, "fp_spread": spread, "fp_last_step": last_step,
        "noise_scales": np.asarray(cfg.noise_scales), "orbit_size": np.asarray(sizes),
        "kick_zone_share_of_time": p_fast, "kick_zone_share_of_changes": frac_changes_fast,
        "pcs": pcs, "speed_example": speed[:4], "mode_example": mode[:4], "hs": hs, "mode": mode,
        "out": out, "fp_pc": (fp - flat.mean(0)) @ vt[:2].T,
    }  # fmt: skip


def kick_neurons(model: NoisyRNN, dyn: dict, key, cfg: RNNHMMConfig) -> dict:
    """Transition-triggered averages pick the kick neurons; silence / over-drive them."""
    hs, mode = dyn["hs"], dyn["mode"]
    n = model.n_hidden
    w = 5
    tta = []
    for h, m in zip(hs, mode, strict=True):
        ev = np.flatnonzero(m[1:] != m[:-1]) + 1
        if ev.size:
            tta.append(event_triggered_average(h, ev, w))
    tta = np.nanmean(np.stack(tta), axis=0) if tta else np.zeros((2 * w + 1, n))
    mu = hs.reshape(-1, n).mean(0)
    sd = hs.reshape(-1, n).std(0) + 1e-9
    z = (tta[w - 2 : w + 1].mean(0) - mu) / sd  # activity just before a change
    n_kick = max(1, n // 10)
    kick = np.argsort(z)[::-1][:n_kick]
    rng = np.random.default_rng(cfg.seed)
    control = rng.choice(np.setdiff1d(np.arange(n), kick), n_kick, replace=False)
    hmax = float(hs.max())

    def stats(units, value):
        mask = np.zeros(n, bool)
        mask[units] = True
        clamp = None if units is None else (jnp.asarray(mask), jnp.asarray(value))
        _, out, _ = generate(model, key, cfg, 64, clamp=clamp)
        s = emission_statistics(out, model.C.shape[0])
        return {"volatility": s["volatility"], "marginals": s["marginals"], "dwell": s["dwell"]}

    return {
        "z": z, "tta": tta, "kick": kick, "control": control,
        "intact": stats(None, 0.0),
        "silenced": stats(kick, 0.0),
        "silenced_control": stats(control, 0.0),
        "overdriven": stats(kick, 2.0 * hmax),
    }  # fmt: skip


@experiment("rnn_hmm", paper="23", presets=PRESETS)
def run(cfg: RNNHMMConfig, ctx: Run) -> dict:
    """Noise-driven ReLU RNNs trained by Sinkhorn divergence to emulate HMMs (paper 23)."""
    if cfg.analysed not in cfg.hmms:
        raise ValueError(f"analysed={cfg.analysed!r} must be one of hmms={cfg.hmms}")
    key = jax.random.PRNGKey(cfg.seed)
    loss = functools.partial(sinkhorn_loss, cfg=cfg)
    models, comparisons = {}, {}
    for i, name in enumerate(cfg.hmms):
        hmm = make_hmm(name, cfg.p_stay)
        batch_fn = jax.jit(lambda k, hmm=hmm: jax.nn.one_hot(
            hmm.sample(k, cfg.batch, cfg.length)[1], hmm.n_outputs))  # fmt: skip
        with ctx.stage(f"train_{name}"):
            model = NoisyRNN(cfg.hidden, hmm.n_outputs, key=jax.random.fold_in(key, 100 + i))
            res = ctx.train(name, loss, model, batch_fn, optimizer=optax.adam(cfg.lr),
                            steps=cfg.steps, key=jax.random.fold_in(key, i))  # fmt: skip
            models[name] = res.model
            comparisons[name] = compare(hmm, res.model, jax.random.fold_in(key, 200 + i), cfg)
            comparisons[name]["losses"] = res.losses
    model = models[cfg.analysed]
    with ctx.stage("dynamics"):
        dyn = dynamics(model, jax.random.fold_in(key, 300), cfg)
    with ctx.stage("kick_neurons"):
        kick = kick_neurons(model, dyn, jax.random.fold_in(key, 400), cfg)
    with ctx.stage("figures"):
        ctx.savefig(fig_statistics(comparisons), "statistics")
        ctx.savefig(fig_dynamics(dyn), "dynamics")
        ctx.savefig(fig_kick(kick), "kick_neurons")
    ctx.save_arrays("rnn_hmm", orbit_size=dyn["orbit_size"], noise_scales=dyn["noise_scales"],
                    kick_z=kick["z"], kick=kick["kick"], tta=kick["tta"])  # fmt: skip
    sizes = dyn["orbit_size"]
    return {
        "emission": {
            name: {
                k: c[k]
                for k in (
                    "marginal_max_abs_error",
                    "transition_max_abs_error",
                    "dwell_max_rel_error",
                    "volatility",
                )
            }  # fmt: skip
            for name, c in comparisons.items()
        },
        "worst_transition_error": number(
            max(c["transition_max_abs_error"] for c in comparisons.values()),
            literature=0.0,
            note=f"max |P_rnn(o'|o) - P_hmm(o'|o)| over outputs and HMMs; {cfg.n_eval} sequences "
            f"of {cfg.eval_length} steps each side",
        ),  # fmt: skip
        "fixed_point_spread": number(
            dyn["fp_spread"],
            literature=0.0,
            note="max distance of the noiseless end points (16 random starts, 1000 steps) "
            "from their mean",
        ),  # fmt: skip
        "orbit_size_increases_with_noise": number(
            bool(np.all(np.diff(sizes) > 0)),
            literature=True,
            note=f"mean |h - h*| at input s.d. {list(cfg.noise_scales)} x sigma: "
            f"{np.round(sizes, 3).tolist()}",
        ),  # fmt: skip
        "kick_zones": number(
            {
                "share_of_time": dyn["kick_zone_share_of_time"],
                "share_of_output_changes": dyn["kick_zone_share_of_changes"],
            },  # fmt: skip
            note="kick zone: top 20% of the deterministic speed |F(h) - h|; output changes "
            "concentrate there when the second number exceeds the first",
        ),
        "kick_neurons": {
            "units": kick["kick"].tolist(),
            **{
                k: float(kick[k]["volatility"])
                for k in ("intact", "silenced", "silenced_control", "overdriven")
            },  # fmt: skip
            "note": "volatility (fraction of steps whose output changes) of the analysed RNN",
        },
    }
