"""The Kob-Andersen reference, its Langevin dynamics, the radial MLIP and the curation.

The conftest runs every test in float64 (``jax_enable_x64``), so finite differences of the
learned energy can be compared with its forces to many digits.
"""

from __future__ import annotations

import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxdyn
from jaxdyn.experiments.mlip_high_temperature import MLIPHighTemperatureConfig
from jaxdyn.experiments.mlip_high_temperature.run import stability_summary
from jaxdyn.models.mlip import EnergyForceLoss, RadialMLIP, curate, errors, max_force
from jaxdyn.models.training import train
from jaxdyn.systems.lennard_jones import (
    KA_EPSILON,
    KA_SIGMA,
    LangevinMD,
    LennardJonesMixture,
    box_length,
    kinetic_temperature,
    min_scaled_distance,
    pair_distances,
    species_array,
)

KEY = jax.random.PRNGKey(0)


def lj_by_hand(r, eps, sig, rc=2.5):
    """φ(r) = 4ε[(σ/r)^12 - (σ/r)^6] - 4ε[rc^-12 - rc^-6] and -dφ/dr, written out."""
    phi = 4 * eps * ((sig / r) ** 12 - (sig / r) ** 6) - 4 * eps * (rc**-12 - rc**-6)
    force = 4 * eps * (12 * sig**12 / r**13 - 6 * sig**6 / r**7)  # -dφ/dr, > 0 repulsive
    return phi, force


# ---------------------------------------------------------------------------- reference


def test_pair_energy_and_force_match_the_hand_computed_values():
    lj = LennardJonesMixture()
    box = 10.0
    # an A-B pair 1.1 apart along x: 4·1.5[(0.8/1.1)^12 - (0.8/1.1)^6] + shift
    x = jnp.asarray([[1.0, 2.0], [2.1, 2.0]])
    species = jnp.asarray([0, 1])
    e, f = lj.energy_and_forces(x, species, box)
    phi, fr = lj_by_hand(1.1, 1.5, 0.8)
    assert float(e) == pytest.approx(-0.731989, abs=2e-6)  # worked out by hand
    assert float(e) == pytest.approx(phi, rel=1e-12)
    # repulsion or attraction along the line of centres, equal and opposite
    np.testing.assert_allclose(np.asarray(f), [[-fr, 0.0], [fr, 0.0]], rtol=1e-12, atol=1e-14)
    assert fr < 0  # 1.1 > 2^(1/6) σ_AB: attractive

    # minimum image: 0.2 and 9.5 in a box of 10 are 0.7 apart (B-B, σ = 0.88, repulsive)
    x = jnp.asarray([[0.2, 5.0], [9.5, 5.0]])
    e, f = lj.energy_and_forces(x, jnp.asarray([1, 1]), box)
    phi, fr = lj_by_hand(0.7, 0.5, 0.88)
    assert float(e) == pytest.approx(phi, rel=1e-12)
    # particle 0 is pushed to +x (away from its image at -0.5)
    np.testing.assert_allclose(float(f[0, 0]), fr, rtol=1e-12)

    # truncated at 2.5 σ_ab and shifted to zero there: continuous, zero beyond
    for r, expected in ((2.5 * 1.0 + 1e-9, 0.0), (2.6, 0.0)):
        x = jnp.asarray([[0.0, 0.0], [r, 0.0]])
        assert float(lj(x, jnp.asarray([0, 0]), box)) == pytest.approx(expected, abs=1e-12)
    x = jnp.asarray([[0.0, 0.0], [2.5 - 1e-7, 0.0]])
    assert abs(float(lj(x, jnp.asarray([0, 0]), box))) < 1e-8


def test_ka_parameters_and_box():
    lj = LennardJonesMixture()
    np.testing.assert_array_equal(np.asarray(lj.epsilon), KA_EPSILON)
    np.testing.assert_array_equal(np.asarray(lj.sigma), KA_SIGMA)
    assert lj.range == 2.5
    assert box_length(40, 1.2, 2) == pytest.approx(math.sqrt(40 / 1.2))
    sp = np.asarray(species_array(40, 0.2))
    assert (sp == 0).sum() == 32 and (sp == 1).sum() == 8


def test_energy_is_the_sum_over_pairs_and_forces_its_gradient():
    system = LangevinMD(n_particles=32)
    y = system.initial_state(KEY)
    x, sp, box = y["positions"], system.species, system.box
    lj = system.potential
    # brute force over pairs and periodic images
    total = 0.0
    xs, s = np.asarray(x), np.asarray(sp)
    for i in range(32):
        for j in range(i + 1, 32):
            d = xs[i] - xs[j]
            d -= box * np.round(d / box)
            r = np.linalg.norm(d)
            eps, sig = KA_EPSILON[s[i]][s[j]], KA_SIGMA[s[i]][s[j]]
            if r < 2.5 * sig:
                total += lj_by_hand(r, eps, sig)[0]
    assert float(y["energy"]) == pytest.approx(total, rel=1e-10)
    h = 1e-6
    for i, k in ((0, 0), (17, 1), (31, 0)):
        dx = jnp.zeros_like(x).at[i, k].set(h)
        fd = -(lj(x + dx, sp, box) - lj(x - dx, sp, box)) / (2 * h)
        assert float(y["forces"][i, k]) == pytest.approx(float(fd), rel=1e-6, abs=1e-6)


@pytest.mark.slow  # importing jax-md (flax, e3nn-jax, pymatgen) takes ~20 s
def test_energy_and_forces_agree_with_jax_md():
    jax_md = pytest.importorskip("jax_md")
    system = LangevinMD(n_particles=40)
    y = system.initial_state(jax.random.PRNGKey(3))
    x, sp, box = y["positions"], system.species, system.box

    def truncated_lj(dr, sigma, epsilon, **unused):
        # the Kob-Andersen pair term, written against jax-md's per-pair interface
        idr6 = (sigma / dr) ** 6
        shift = 4 * (2.5**-12 - 2.5**-6)
        return jnp.where(dr < 2.5 * sigma, 4 * epsilon * (idr6**2 - idr6) - epsilon * shift, 0.0)

    displacement, _ = jax_md.space.periodic(box)
    energy_fn = jax_md.smap.pair(
        truncated_lj,
        jax_md.space.canonicalize_displacement_or_metric(displacement),
        species=np.asarray(sp),
        sigma=jnp.asarray(KA_SIGMA),
        epsilon=jnp.asarray(KA_EPSILON),
    )
    e_md = energy_fn(x)
    f_md = -jax.grad(energy_fn)(x)
    assert float(y["energy"]) == pytest.approx(float(e_md), rel=1e-9)
    np.testing.assert_allclose(np.asarray(y["forces"]), np.asarray(f_md), rtol=1e-8, atol=1e-8)


def test_langevin_thermostat_holds_the_target_temperature():
    """Kinetic temperature of BAOAB Langevin MD (γ = 1, h = 0.005) averaged over 8 chains x
    15 τ after 2 τ of equilibration; standard error about 1 %."""
    target = 1.0
    system = LangevinMD(temperature=target, friction=1.0, n_particles=40)
    ts = np.arange(401, 3401) * system.dt

    def chain(key):
        kinetic = lambda t, y: kinetic_temperature(y["velocities"])
        return jaxdyn.simulate(system, float(ts[-1]), key=key, ts=ts, observable=kinetic).ys

    temps = np.asarray(jax.jit(jax.vmap(chain))(jax.random.split(KEY, 8)))
    assert np.all(np.isfinite(temps))
    assert temps.mean() == pytest.approx(target, rel=0.03)
    # the canonical spread of T_kin: T sqrt(2 / (d N)) = 0.158 for d N = 80
    assert temps.std() == pytest.approx(target * math.sqrt(2 / 80), rel=0.15)


def test_without_friction_the_integrator_is_velocity_verlet_and_conserves_energy():
    """γ = 0: velocity Verlet, whose energy error is O(h²): halving the step divides the
    fluctuation of the total energy by about four, and nothing drifts."""
    hot = LangevinMD(temperature=1.0, n_particles=32)
    y0 = jaxdyn.simulate(hot, 2.0, key=KEY, ts=[2.0], observable=lambda t, y: y).ys
    y0 = jax.tree_util.tree_map(lambda a: a[-1], y0)
    ts = np.arange(1, 201) * 0.025
    spread = []
    for dt in (0.005, 0.0025):
        nve = LangevinMD(temperature=1.0, friction=0.0, n_particles=32, dt=dt)
        e = jaxdyn.simulate(nve, 5.0, y0=y0, key=KEY, ts=ts,
                            observable=lambda t, y, nve=nve: nve.total_energy(y))  # fmt: skip
        e = np.asarray(e.ys) / 32
        assert abs(e[-1] - e[0]) < 3e-3  # per particle; kinetic fluctuations are ~0.2
        spread.append(np.std(e))
    assert spread[0] < 3e-3
    assert 3.0 < spread[0] / spread[1] < 6.0


def test_min_scaled_distance_uses_the_pair_diameter():
    x = jnp.asarray([[0.0, 0.0], [0.4, 0.0], [3.0, 3.0]])
    # pair (0, 1) is A-B: 0.4 / 0.8
    assert float(min_scaled_distance(x, jnp.asarray([0, 1, 0]), 6.0)) == pytest.approx(0.5)
    r, distinct = pair_distances(x, 6.0)
    assert not bool(distinct[0, 0]) and float(r[0, 1]) == pytest.approx(0.4)


# ---------------------------------------------------------------------------- the MLIP


@pytest.fixture(scope="module")
def trained_setup():
    """A random (untrained) MLIP normalised on a few LJ configurations (float64)."""
    system = LangevinMD(temperature=1.0, n_particles=32)
    ts = np.arange(1, 9) * 0.1
    traj = jaxdyn.simulate(system, 0.8, key=KEY, ts=ts, observable=lambda t, y: y)
    data = {"positions": traj.ys["positions"], "energies": traj.ys["energy"],
            "forces": traj.ys["forces"]}  # fmt: skip
    model = RadialMLIP(key=jax.random.PRNGKey(1), n_radial=8, width=16)
    model = model.normalised(
        data["positions"], system.species, system.box, data["energies"], data["forces"]
    )
    return model, system, data


def randomised(model: RadialMLIP) -> RadialMLIP:
    """The model with random output and linear weights (a fresh one starts at zero there,
    and would make every invariance trivially true)."""
    k1, k2 = jax.random.split(jax.random.PRNGKey(11))
    w = model.networks.layers[-1].weight
    return eqx.tree_at(
        lambda m: (m.networks.layers[-1].weight, m.linear),
        model,
        (jax.random.normal(k1, w.shape), 0.3 * jax.random.normal(k2, model.linear.shape)),
    )


def test_learned_forces_are_minus_the_gradient_of_the_learned_energy(trained_setup):
    model, system, data = trained_setup
    model = randomised(model)
    x, sp, box = data["positions"][-1], system.species, system.box
    assert x.dtype == jnp.float64
    e, f = model.energy_and_forces(x, sp, box)
    assert float(jnp.max(jnp.abs(f))) > 1.0  # a model with forces to check
    h = 1e-6
    for i, k in ((0, 0), (5, 1), (20, 0), (31, 1)):
        dx = jnp.zeros_like(x).at[i, k].set(h)
        fd = -(model(x + dx, sp, box) - model(x - dx, sp, box)) / (2 * h)
        assert float(f[i, k]) == pytest.approx(float(fd), rel=1e-6, abs=1e-7)
    # total force vanishes (translation invariance: Newton's third law in aggregate)
    np.testing.assert_allclose(np.asarray(f.sum(0)), 0.0, atol=1e-9)


def test_learned_energy_is_invariant_under_translation_rotation_permutation(trained_setup):
    model, system, data = trained_setup
    model = randomised(model)
    x, sp, box = data["positions"][-1], system.species, system.box
    e0, f0 = model.energy_and_forces(x, sp, box)
    shifted = jnp.mod(x + jnp.asarray([0.37, -1.91])[None, :], box)
    assert float(model(shifted, sp, box)) == pytest.approx(float(e0), rel=1e-12)
    # a quarter turn maps the square periodic box onto itself
    rotated = jnp.mod(jnp.stack([-x[:, 1], x[:, 0]], axis=-1), box)
    assert float(model(rotated, sp, box)) == pytest.approx(float(e0), rel=1e-12)
    perm = jax.random.permutation(jax.random.PRNGKey(7), x.shape[0])
    e_p, f_p = model.energy_and_forces(x[perm], sp[perm], box)
    assert float(e_p) == pytest.approx(float(e0), rel=1e-12)
    np.testing.assert_allclose(np.asarray(f_p), np.asarray(f0)[np.asarray(perm)], atol=1e-10)
    # but swapping the species of an A and a B atom changes it
    swapped = sp.at[0].set(1).at[-1].set(0)
    assert abs(float(model(x, swapped, box)) - float(e0)) > 1e-6


def test_descriptors_count_neighbours_with_the_smooth_cutoff():
    model = RadialMLIP(key=KEY, n_radial=4, r_min=1.0, cutoff=2.5, width=4)
    x = jnp.asarray([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0], [4.0, 4.0]])
    sp = jnp.asarray([0, 0, 1, 0])
    g = np.asarray(model.descriptors(x, sp, 8.0)).reshape(4, 2, 4)
    mu = np.asarray(model.centers)
    eta = np.asarray(model.eta)
    fc = lambda r: 0.5 * (np.cos(np.pi * r / 2.5) + 1)
    gauss = lambda r: np.exp(-eta * (r - mu) ** 2) * fc(r)
    # atom 0: an A neighbour at 1 and a B neighbour at 2; atom 3 has none within 2.5
    np.testing.assert_allclose(g[0, 0], gauss(1.0), rtol=1e-12)
    np.testing.assert_allclose(g[0, 1], gauss(2.0), rtol=1e-12)
    np.testing.assert_allclose(g[3], 0.0, atol=1e-15)


def test_training_on_reference_data_reduces_the_errors(trained_setup):
    model, system, data = trained_setup
    sp, box = system.species, system.box
    before = errors(model, data, sp, box)
    # the untrained model predicts the mean energy and no forces
    assert before["energy_bias_per_atom"] == pytest.approx(0.0, abs=1e-12)
    assert before["force_rmse"] == pytest.approx(float(np.sqrt(np.mean(data["forces"] ** 2))))
    loss = EnergyForceLoss(tuple(int(s) for s in np.asarray(sp)), box, 0.05, 20.0)
    res = train(loss, model, lambda k: data, optimizer=optax.adam(3e-3), steps=400, key=KEY,
                progress=False, log_every=50)  # fmt: skip
    after = errors(res.model, data, sp, box)
    assert after["force_mae"] < 0.6 * before["force_mae"]
    assert after["energy_mae_per_atom"] < 0.5 * before["energy_mae_per_atom"]
    assert res.losses[-10:].mean() < 0.25 * res.losses[0]


# ---------------------------------------------------------------------------- curation etc.


def test_curation_removes_exactly_the_configurations_over_threshold():
    forces = np.zeros((5, 3, 2))
    forces[0, 1] = [3.0, 4.0]  # |F| = 5
    forces[1, 0] = [0.0, -10.0]  # 10
    forces[2, 2] = [6.0, 8.0]  # 10 (on the threshold: kept)
    forces[3, 0] = [10.0, 0.1]  # just over 10
    forces[4] = 1.0  # sqrt(2)
    np.testing.assert_allclose(max_force(forces), [5, 10, 10, math.hypot(10, 0.1), math.sqrt(2)])
    np.testing.assert_array_equal(curate(forces, 10.0), [True, True, True, False, True])
    np.testing.assert_array_equal(curate(forces, 4.0), [False, False, False, False, True])
    assert curate(forces, math.inf).all()


def test_stability_summary_finds_the_first_failure():
    times = np.arange(1, 6) * 0.1
    d = np.array(
        [[0.9, 0.88, 0.9, 0.87, 0.9], [0.9, 0.5, 0.9, 0.9, 0.9], [0.9, 0.9, np.nan] + [0.9] * 2]
    )
    obs = {"min_distance": d, "reference_energy": np.zeros_like(d),
           "kinetic_temperature": np.ones_like(d)}  # fmt: skip
    cfg = MLIPHighTemperatureConfig(fail_distance=0.6)
    s = stability_summary(obs, times, 1.0, cfg)
    assert s["stable_fraction"] == pytest.approx(1 / 3)
    np.testing.assert_allclose(s["time_to_failure"], [0.5, 0.2, 0.3])
    np.testing.assert_allclose(s["survival"], [1, 2 / 3, 1 / 3, 1 / 3, 1 / 3])
    assert s["min_distance"] == pytest.approx(0.87)
    hot = {**obs, "kinetic_temperature": np.full_like(d, 6.0)}
    assert stability_summary(hot, times, 1.0, cfg)["stable_fraction"] == 0.0


BAD = [
    ("curation threshold 0", lambda: curate(np.ones((1, 2, 2)), 0.0), ValueError, "threshold"),
    ("curation threshold NaN", lambda: curate(np.ones((1, 2, 2)), math.nan), ValueError,
     "threshold"),
    ("curation threshold text", lambda: curate(np.ones((1, 2, 2)), "1"), TypeError, "threshold"),
    ("curation forces 2-D", lambda: curate(np.ones((2, 2)), 1.0), ValueError, "forces"),
    ("temperature <= 0", lambda: LangevinMD(temperature=-1.0), ValueError, "temperature"),
    ("temperature NaN", lambda: LangevinMD(temperature=math.nan), ValueError, "temperature"),
    ("friction < 0", lambda: LangevinMD(friction=-0.1), ValueError, "friction"),
    ("box too small", lambda: LangevinMD(n_particles=12), ValueError, "too small"),
    ("too few particles", lambda: LangevinMD(n_particles=1), ValueError, "n_particles"),
    ("dimension 4", lambda: LangevinMD(dim=4), ValueError, "dim"),
    ("dt 0", lambda: LangevinMD(dt=0.0), ValueError, "dt"),
    ("potential not callable", lambda: LangevinMD(potential=3), TypeError, "potential"),
    ("fraction_b > 1", lambda: species_array(10, 1.5), ValueError, "fraction_b"),
    ("density 0", lambda: box_length(10, 0.0, 2), ValueError, "density"),
    ("sigma asymmetric", lambda: LennardJonesMixture(sigma=((1, 0.8), (0.9, 1))), ValueError,
     "symmetric"),
    ("epsilon negative", lambda: LennardJonesMixture(epsilon=((1, -1), (-1, 1))), ValueError,
     "epsilon"),
    ("cutoff <= 1", lambda: LennardJonesMixture(cutoff=0.9), ValueError, "cutoff"),
    ("MLIP r_min >= cutoff", lambda: RadialMLIP(key=KEY, r_min=3.0), ValueError, "r_min"),
    ("MLIP n_radial 1", lambda: RadialMLIP(key=KEY, n_radial=1), ValueError, "n_radial"),
    ("loss box 0", lambda: EnergyForceLoss((0, 1), 0.0), ValueError, "box"),
    ("loss weight < 0", lambda: EnergyForceLoss((0, 1), 5.0, force_weight=-1.0), ValueError,
     "force_weight"),
    ("config t_low <= 0", lambda: MLIPHighTemperatureConfig(t_low=0.0), ValueError, "t_low"),
    ("config t_high", lambda: MLIPHighTemperatureConfig(t_high=(1.5, -3.0)), ValueError,
     "t_high"),
    ("config threshold 0", lambda: MLIPHighTemperatureConfig(force_threshold=0.0), ValueError,
     "force_threshold"),
    ("config dim 4", lambda: MLIPHighTemperatureConfig(dim=4), ValueError, "dim"),
]  # fmt: skip


@pytest.mark.parametrize("label, fn, exc, match", BAD, ids=[b[0] for b in BAD])
def test_bad_inputs_raise_clear_errors(label, fn, exc, match):
    with pytest.raises(exc, match=match):
        fn()


def test_experiment_refuses_a_box_smaller_than_the_cutoff(tmp_path):
    from jaxdyn.experiments import run_experiment

    with pytest.raises(ValueError, match="too small"):
        run_experiment("mlip_high_temperature", tmp_path, preset="tiny",
                       overrides=["n_particles=16"], quiet=True)  # fmt: skip
