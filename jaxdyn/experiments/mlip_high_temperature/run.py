"""The computation of the mlip_high_temperature experiment (see the package docstring)."""

from __future__ import annotations

import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax

from ...core import simulate
from ...models import mlip
from ...systems.lennard_jones import (
    LangevinMD,
    LennardJonesMixture,
    kinetic_temperature,
    maxwell_boltzmann,
    min_scaled_distance,
)
from .._kit import Run, experiment, number
from .config import PRESETS, MLIPHighTemperatureConfig
from .figures import fig_curation, fig_data, fig_errors, fig_parity, fig_stability

#: paper 20's claims (AQVolt26), in this toy's terms
PAPER = {
    "high_t_energy": "foundation-only energies degrade at high T; co-training resolves it",
    "high_t_forces": "foundation data transfer local forces comparatively well",
    "low_t_cost": "small (co-training keeps near-equilibrium accuracy)",
    "stability": "targeted high-T data needed for reliable high-T dynamics",
}
VARIANTS = {"low": "low-T data only", "co": "co-trained (low + high T)"}


# ---------------------------------------------------------------------------- reference data


def make_system(cfg: MLIPHighTemperatureConfig, temperature, potential=None) -> LangevinMD:
    return LangevinMD(
        temperature=temperature,
        friction=cfg.friction,
        potential=potential,
        n_particles=cfg.n_particles,
        dim=cfg.dim,
        density=cfg.density,
        fraction_b=cfg.fraction_b,
        dt=cfg.dt,
    )


def _run_to(system: LangevinMD, y0: dict, steps: int, key) -> dict:
    """The state after ``steps`` MD steps."""
    t1 = steps * system.dt
    traj = simulate(system, t1, y0=y0, key=key, ts=[t1], observable=lambda t, y: y)
    return jax.tree_util.tree_map(lambda a: a[-1], traj.ys)


def make_sampler(cfg: MLIPHighTemperatureConfig):
    """``sample(temperature, keys)``: reference configurations from ``len(keys)``
    independent Langevin chains, each started on a random lattice, melted at ``t_melt``,
    equilibrated at the temperature and then sampled every ``sample_every`` steps, with the
    Kob-Andersen energy and forces of every saved configuration. The temperature is an
    argument, so one compilation serves every temperature."""
    hot = make_system(cfg, cfg.t_melt)
    species, box = hot.species, hot.box
    times = np.arange(1, cfg.samples_per_chain + 1) * cfg.sample_every * cfg.dt

    def observe(t, y):
        return {
            "positions": y["positions"],
            "energies": y["energy"],
            "forces": y["forces"],
            "min_distance": min_scaled_distance(y["positions"], species, box),
        }

    @jax.jit
    def sample(temperature, keys):
        system = make_system(cfg, temperature)

        def chain(k):
            k0, k1, k2, k3 = jax.random.split(k, 4)
            y = _run_to(hot, hot.initial_state(k0), cfg.melt_steps, k1)
            y = system.with_forces(y["positions"], y["velocities"])
            y = _run_to(system, y, cfg.equilibration_steps, k2)
            traj = simulate(system, float(times[-1]), y0=y, key=k3, ts=times, observable=observe)
            return traj.ys

        return jax.vmap(chain)(keys)

    return sample


def reference_data(cfg: MLIPHighTemperatureConfig, ctx: Run, key) -> dict:
    """Train and test sets at every temperature from independent chains (the first
    ``train_chains`` for training, the rest for testing), cached in the run."""
    sample = make_sampler(cfg)
    n_chains = cfg.train_chains + cfg.test_chains
    n_train = cfg.train_chains * cfg.samples_per_chain
    data = {}
    for i, temp in enumerate((cfg.t_low, *cfg.t_high)):
        keys = jax.random.split(jax.random.fold_in(key, i), n_chains)

        def compute(temp=temp, keys=keys):
            out = sample(jnp.asarray(temp, dtype=float), keys)
            return {k: np.asarray(v).reshape((-1, *v.shape[2:])) for k, v in out.items()}

        raw = ctx.cached(f"data_T{temp:g}", compute)
        split = {
            "train": {k: v[:n_train] for k, v in raw.items()},
            "test": {k: v[n_train:] for k, v in raw.items()},
        }
        for name, d in split.items():
            ok = np.all(np.isfinite(d["positions"]), axis=(1, 2))
            ok &= np.all(np.isfinite(d["forces"]), axis=(1, 2)) & np.isfinite(d["energies"])
            if not ok.all():  # a reference chain that blew up (none should): not data
                ctx.log(f"T={temp:g} {name}: dropped {int((~ok).sum())} non-finite configurations")
            split[name] = {**select(d, ok), "dropped": int((~ok).sum())}
        data[temp] = split
    return data


def select(d: dict, mask: np.ndarray) -> dict:
    """The configurations of ``d`` where ``mask`` holds (its arrays only)."""
    return {k: v[mask] for k, v in d.items() if isinstance(v, np.ndarray)}


def pool(data: dict, temps, threshold: float | None) -> tuple[dict, dict]:
    """The curated training pool over ``temps`` (``threshold`` None: all of it) and, per
    temperature, the fraction kept."""
    parts, kept = [], {}
    for t in temps:
        d = data[t]["train"]
        mask = mlip.curate(d["forces"], math.inf if threshold is None else threshold)
        kept[t] = float(mask.mean())
        parts.append(select(d, mask))
    joined = {k: np.concatenate([p[k] for p in parts]) for k in ("positions", "energies", "forces")}
    return joined, kept


# ---------------------------------------------------------------------------- training


def batch_sampler(train: dict, size: int):
    """``batch_fn(key)``: ``size`` configurations drawn uniformly with replacement."""
    arrays = {k: jnp.asarray(v) for k, v in train.items()}
    n = arrays["positions"].shape[0]
    if n == 0:
        raise ValueError("curation left no training configuration; raise force_threshold")

    @jax.jit
    def batch_fn(key):
        idx = jax.random.randint(key, (size,), 0, n)
        return {k: v[idx] for k, v in arrays.items()}

    return batch_fn


def new_model(cfg: MLIPHighTemperatureConfig, key, norm: dict, species, box) -> mlip.RadialMLIP:
    model = mlip.RadialMLIP(
        key=key,
        n_species=2,
        n_radial=cfg.n_radial,
        r_min=cfg.r_min,
        cutoff=cfg.cutoff,
        width=cfg.width,
        depth=cfg.depth,
    )
    return model.normalised(
        jnp.asarray(norm["positions"]), species, box, norm["energies"], norm["forces"]
    )


# ---------------------------------------------------------------------------- stability


def make_md_runs(cfg: MLIPHighTemperatureConfig, species, box: float):
    """``runs(potential, temperature, x0, keys)``: Langevin MD from positions ``x0``
    (runs, N, d) with fresh Maxwell-Boltzmann velocities; every ``record_every`` steps the
    closest approach (units of σ_ab), the reference potential energy per atom of the
    configuration and the kinetic temperature. One compilation serves every learned model
    (the potential is an argument)."""
    lj = LennardJonesMixture()
    n = species.shape[0]
    times = np.arange(1, cfg.stability_steps // cfg.record_every + 1) * cfg.record_every * cfg.dt

    @eqx.filter_jit
    def runs(potential, temperature, x0, keys):
        system = LangevinMD(
            temperature=temperature,
            friction=cfg.friction,
            potential=potential,
            species=species,
            box=box,
            dt=cfg.dt,
            dim=cfg.dim,
        )

        def observe(t, y):
            x = y["positions"]
            return {
                "min_distance": min_scaled_distance(x, species, box),
                "reference_energy": lj(x, species, box) / n,
                "kinetic_temperature": kinetic_temperature(y["velocities"]),
            }

        def one(x, k):
            k_v, k_run = jax.random.split(k)
            y0 = system.with_forces(x, maxwell_boltzmann(k_v, x.shape, temperature))
            return simulate(
                system, float(times[-1]), y0=y0, key=k_run, ts=times, observable=observe
            ).ys

        return jax.vmap(one)(x0, keys)

    return runs, times


def stability_summary(obs: dict, times: np.ndarray, temperature: float, cfg) -> dict:
    """Failure of each run: a non-finite state, a pair closer than ``fail_distance`` σ_ab
    or a kinetic temperature above 5 T; time to failure (the run length if none)."""
    d = np.asarray(obs["min_distance"], float)
    e = np.asarray(obs["reference_energy"], float)
    tk = np.asarray(obs["kinetic_temperature"], float)
    bad = ~np.isfinite(d) | ~np.isfinite(e) | ~np.isfinite(tk)
    bad |= np.nan_to_num(d, nan=0.0) < cfg.fail_distance
    bad |= np.nan_to_num(tk, nan=np.inf) > 5 * temperature
    failed = bad.any(axis=1)
    first = np.where(failed, bad.argmax(axis=1), len(times) - 1)
    t_fail = np.where(failed, times[first], times[-1])
    alive = ~np.maximum.accumulate(bad, axis=1)
    e_ok = np.where(alive, e, np.nan)
    return {
        "stable_fraction": float(1 - failed.mean()),
        "mean_time_to_failure": float(t_fail.mean()),
        "time_to_failure": t_fail,
        "survival": alive.mean(axis=0),
        "min_distance": float(np.nanmin(np.where(alive, d, np.nan))) if alive.any() else math.nan,
        "reference_energy_per_atom": float(np.nanmean(e_ok)) if alive.any() else math.nan,
        "run_length": float(times[-1]),
    }


# ---------------------------------------------------------------------------- the experiment


def _stats(values) -> dict:
    v = np.asarray(values, float)
    return {"mean": float(np.mean(v)), "std": float(np.std(v)), "per_seed": v.tolist()}


@experiment("mlip_high_temperature", paper="20", presets=PRESETS)
def run(cfg: MLIPHighTemperatureConfig, ctx: Run) -> dict:
    """High-temperature data for ML potentials: low-T-only vs co-trained on a LJ mixture."""
    temps = (cfg.t_low, *cfg.t_high)
    if len(set(temps)) != len(temps):
        raise ValueError(f"t_high {cfg.t_high} must differ from each other and from t_low")
    probe = make_system(cfg, cfg.t_low)  # validates the box against the LJ cut-off
    species, box = probe.species, probe.box
    if not cfg.cutoff < box / 2:
        raise ValueError(
            f"cutoff {cfg.cutoff} must be below half the box ({box / 2:.3g}) for "
            f"n_particles={cfg.n_particles} at density {cfg.density}"
        )
    if cfg.record_every > cfg.stability_steps:
        raise ValueError(
            f"record_every ({cfg.record_every}) must not exceed stability_steps "
            f"({cfg.stability_steps})"
        )
    key = jax.random.PRNGKey(cfg.seed)
    k_data, k_init, k_train, k_md = jax.random.split(key, 4)
    with ctx.stage("reference_data"):
        data = reference_data(cfg, ctx, k_data)
    n = cfg.n_particles

    # One loss (hashable) and one optimiser: every model reuses one compiled step.
    low_pool, _ = pool(data, (cfg.t_low,), cfg.force_threshold)
    e_ref = float(np.std(low_pool["energies"] / n)) or 1.0
    f_ref = float(np.sqrt(np.mean(low_pool["forces"] ** 2))) or 1.0
    loss = mlip.EnergyForceLoss(
        species=tuple(int(s) for s in np.asarray(species)),
        box=box,
        energy_ref=e_ref,
        force_ref=f_ref,
        energy_weight=cfg.energy_weight,
        force_weight=cfg.force_weight,
    )
    opt = optax.adam(optax.cosine_decay_schedule(cfg.lr, cfg.steps, alpha=0.03))

    def fit(name: str, temps_used, threshold: float, seed: int):
        train, kept = pool(data, temps_used, threshold)
        model = new_model(cfg, jax.random.fold_in(k_init, seed), low_pool, species, box)
        res = ctx.train(
            name,
            loss,
            model,
            batch_sampler(train, cfg.batch),
            optimizer=opt,
            steps=cfg.steps,
            key=jax.random.fold_in(k_train, seed),
            log_every=max(1, min(50, cfg.steps)),
        )
        errs = {t: mlip.errors(res.model, data[t]["test"], species, box) for t in temps}
        return {
            "model": res.model,
            "errors": errs,
            "kept": kept,
            "losses": res.losses,
            "n_train": int(train["positions"].shape[0]),
        }

    models: dict[str, list[dict]] = {}
    with ctx.stage("train"):
        for v, temps_used in (("low", (cfg.t_low,)), ("co", temps)):
            models[v] = [
                fit(f"{v}_seed{s}", temps_used, cfg.force_threshold, s) for s in range(cfg.seeds)
            ]

    runs, times = make_md_runs(cfg, species, box)
    test_low = data[cfg.t_low]["test"]["positions"]
    starts = jnp.asarray(
        test_low[np.linspace(0, len(test_low) - 1, cfg.stability_runs).astype(int)]
    )

    def stability(potential, temp: float, i: int) -> dict:
        keys = jax.random.split(jax.random.fold_in(k_md, i), cfg.stability_runs)
        obs = runs(potential, jnp.asarray(temp, starts.dtype), starts, keys)
        return stability_summary(obs, times, temp, cfg)

    stab: dict[str, dict] = {}
    with ctx.stage("stability"):
        for i, t in enumerate(cfg.t_high):
            stab[t] = {"reference": stability(LennardJonesMixture(), t, i)}
            for v in VARIANTS:
                stab[t][v] = [stability(m["model"], t, i) for m in models[v]]

    sweep = {}
    with ctx.stage("curation_sweep"):
        thresholds = [None, *sorted(set(cfg.sweep_thresholds) - {None}, reverse=True)]
        if cfg.force_threshold is not None and cfg.force_threshold not in thresholds:
            thresholds.insert(1, cfg.force_threshold)
        t_top = max(cfg.t_high)
        for th in thresholds:
            tag = "none" if th is None else f"{th:g}"
            fits = [
                models["co"][s]
                if th == cfg.force_threshold and s < cfg.seeds
                else fit(f"co_curate{tag}_seed{s}", temps, th, s)
                for s in range(cfg.sweep_seeds)
            ]
            st = [stability(f["model"], t_top, len(cfg.t_high) + 1) for f in fits]
            sweep[th] = {"fits": fits, "stability": st}

    with ctx.stage("figures"):
        ctx.savefig(fig_data(data, cfg), "data")
        ctx.savefig(fig_errors(models, cfg), "errors")
        ctx.savefig(fig_parity(models, data, cfg, species, box), "parity")
        ctx.savefig(fig_stability(stab, times, cfg), "stability")
        ctx.savefig(fig_curation(sweep, data, cfg), "curation")
    ctx.save_arrays(
        "mlip_high_temperature",
        temperatures=np.asarray(temps),
        **{f"{v}_losses_seed0": models[v][0]["losses"] for v in VARIANTS},
        stability_times=times,
        **{
            f"survival_T{t:g}_{v}": np.stack([s["survival"] for s in stab[t][v]])
            for t in cfg.t_high
            for v in VARIANTS
        },
    )
    return summarise(cfg, data, models, stab, sweep, temps, low_pool, e_ref, f_ref)


def summarise(cfg, data, models, stab, sweep, temps, low_pool, e_ref, f_ref) -> dict:
    def err(v, t, k):
        return _stats([m["errors"][t][k] for m in models[v]])

    errors = {
        v: {
            f"T{t:g}": {
                k: err(v, t, k)
                for k in ("energy_mae_per_atom", "force_mae", "energy_bias_per_atom", "force_rmse")
            }
            for t in temps
        }
        for v in VARIANTS
    }
    t_top = max(cfg.t_high)
    e_mae = lambda v, t: errors[v][f"T{t:g}"]["energy_mae_per_atom"]["mean"]
    f_mae = lambda v, t: errors[v][f"T{t:g}"]["force_mae"]["mean"]
    stable = lambda v, t: float(np.mean([s["stable_fraction"] for s in stab[t][v]]))
    data_stats = {
        f"T{t:g}": {
            "train_configs": int(len(data[t]["train"]["energies"])),
            "energy_per_atom_mean": float(np.mean(data[t]["train"]["energies"]) / cfg.n_particles),
            "force_rms": float(np.sqrt(np.mean(data[t]["train"]["forces"] ** 2))),
            "max_force_median": float(np.median(mlip.max_force(data[t]["train"]["forces"]))),
            "max_force_max": float(np.max(mlip.max_force(data[t]["train"]["forces"]))),
            "min_pair_distance": float(np.min(data[t]["train"]["min_distance"])),
            "non_finite_dropped": data[t]["train"]["dropped"] + data[t]["test"]["dropped"],
        }
        for t in temps
    }
    return {
        "high_T_energy_mae_low_over_co": number(
            e_mae("low", t_top) / e_mae("co", t_top),
            literature="> 1: " + PAPER["high_t_energy"],
            note=f"energy MAE per atom at T={t_top:g}, mean over {cfg.seeds} seeds: "
            f"low-T only {e_mae('low', t_top):.3g}, co-trained {e_mae('co', t_top):.3g} eps",
        ),
        "high_T_force_mae_low_over_co": number(
            f_mae("low", t_top) / f_mae("co", t_top),
            literature="> 1, less than the energy ratio: " + PAPER["high_t_forces"],
            note=f"force MAE at T={t_top:g}: low-T only {f_mae('low', t_top):.3g}, "
            f"co-trained {f_mae('co', t_top):.3g} eps/sigma",
        ),
        "low_model_energy_degradation": number(
            e_mae("low", t_top) / e_mae("low", cfg.t_low),
            literature="large: " + PAPER["high_t_energy"],
            note=f"low-T-only model: energy MAE per atom at T={t_top:g} over that at "
            f"T={cfg.t_low:g}",
        ),
        "low_model_relative_force_degradation": number(
            (f_mae("low", t_top) / data_stats[f"T{t_top:g}"]["force_rms"])
            / (f_mae("low", cfg.t_low) / data_stats[f"T{cfg.t_low:g}"]["force_rms"]),
            literature="smaller than the energy's: " + PAPER["high_t_forces"],
            note="low-T-only model: force MAE relative to the RMS force at the high over the "
            "low temperature",
        ),
        "low_T_energy_mae_co_over_low": number(
            e_mae("co", cfg.t_low) / e_mae("low", cfg.t_low),
            literature="about 1: " + PAPER["low_t_cost"],
            note=f"energy MAE per atom at T={cfg.t_low:g}",
        ),
        "low_T_force_mae_co_over_low": number(
            f_mae("co", cfg.t_low) / f_mae("low", cfg.t_low),
            literature="about 1: " + PAPER["low_t_cost"],
            note=f"force MAE at T={cfg.t_low:g}",
        ),
        **{
            f"stable_fraction_T{t:g}_{v}": number(
                stable(v, t),
                literature=("high (co-trained)" if v == "co" else "low (foundation only)")
                + ": "
                + PAPER["stability"],
                note=f"{cfg.stability_runs} runs x {cfg.seeds} seeds, "
                f"{cfg.stability_steps * cfg.dt:g} tau each; reference potential: "
                f"{stab[t]['reference']['stable_fraction']:.2f}",
            )
            for t in cfg.t_high
            for v in VARIANTS
        },
        "errors": errors,
        "stability": {
            f"T{t:g}": {
                "reference": {
                    k: v
                    for k, v in stab[t]["reference"].items()
                    if k not in ("survival", "time_to_failure")
                },
                **{
                    v: {
                        "stable_fraction": _stats([s["stable_fraction"] for s in stab[t][v]]),
                        "mean_time_to_failure": _stats(
                            [s["mean_time_to_failure"] for s in stab[t][v]]
                        ),
                        "reference_energy_per_atom_while_alive": _stats(
                            [s["reference_energy_per_atom"] for s in stab[t][v]]
                        ),
                    }
                    for v in VARIANTS
                },
            }
            for t in cfg.t_high
        },
        "curation_sweep": [
            {
                "threshold": th,
                "kept_fraction": {f"T{t:g}": sw["fits"][0]["kept"][t] for t in temps},
                "train_configs": sw["fits"][0]["n_train"],
                **{
                    f"T{t:g}_{k}": _stats([f["errors"][t][k] for f in sw["fits"]])["mean"]
                    for t in temps
                    for k in ("energy_mae_per_atom", "force_mae")
                },
                f"stable_fraction_T{t_top:g}": float(
                    np.mean([s["stable_fraction"] for s in sw["stability"]])
                ),
            }
            for th, sw in sweep.items()
        ],
        "data": data_stats,
        "loss_scales": {"energy_per_atom": e_ref, "force": f_ref},
        "low_T_train_configs_after_curation": int(len(low_pool["energies"])),
        "train_configs": {v: models[v][0]["n_train"] for v in VARIANTS},
    }
