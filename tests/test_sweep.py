"""sweep: labels, determinism across chunking and devices, resume, per-member status."""

from typing import ClassVar

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxdyn import STATUS_MAX_STEPS, STATUS_OK, AbstractODE, Grid, simulate, status_counts, sweep
from jaxdyn.core import ChunkStore
from jaxdyn.systems import Sync1D

TS = np.linspace(0.5, 5.0, 6)


def roughness_run(system, key):
    return simulate(system, 5.0, key=key, ts=TS, observable=lambda t, y: {"W2": jnp.var(y)})


@pytest.fixture(scope="module")
def noisy():
    return Sync1D(L=16, K=1.0, sigma=0.3, a=0.5, randomness="white")


@pytest.fixture(scope="module")
def grid():
    return Grid.product(K=[0.5, 1.0, 2.0], sigma=[0.1, 0.4])


@pytest.fixture(scope="module")
def reference(noisy, grid):
    return sweep(roughness_run, noisy, grid, key=jax.random.PRNGKey(7), seeds=3, progress=False)


def test_dataset_is_labelled_and_matches_direct_simulation(noisy, reference):
    ds = reference
    assert ds["W2"].dims == ("K", "sigma", "seed", "time")
    assert ds["W2"].shape == (3, 2, 3, 6)
    np.testing.assert_allclose(ds["time"], TS)
    # Member (K=2, sigma=0.1, seed=1) is the plain simulation with key fold_in(key, 1).
    sys = Sync1D(L=16, K=2.0, sigma=0.1, a=0.5, randomness="white")
    direct = roughness_run(sys, jax.random.fold_in(jax.random.PRNGKey(7), 1))
    np.testing.assert_allclose(ds["W2"].sel(K=2.0, sigma=0.1, seed=1), direct.ys["W2"], rtol=1e-12)
    assert status_counts(ds) == {"ok": 18, "max_steps": 0, "nonfinite": 0, "failed": 0}


@pytest.mark.parametrize("chunk_size", [1, 4, 7, 64])
def test_same_numbers_for_any_chunk_size(noisy, grid, reference, chunk_size):
    ds = sweep(
        roughness_run,
        noisy,
        grid,
        key=jax.random.PRNGKey(7),
        seeds=3,
        chunk_size=chunk_size,
        progress=False,
    )
    np.testing.assert_allclose(ds["W2"], reference["W2"], rtol=1e-13, atol=0)


def test_same_numbers_on_one_and_four_devices(noisy, grid, reference):
    assert len(jax.devices()) == 4, "conftest sets four host devices"
    kw = dict(key=jax.random.PRNGKey(7), seeds=3, chunk_size=8, progress=False)
    one = sweep(roughness_run, noisy, grid, devices=jax.devices()[:1], **kw)
    four = sweep(roughness_run, noisy, grid, devices=jax.devices(), **kw)
    np.testing.assert_allclose(one["W2"], reference["W2"], rtol=1e-13)
    np.testing.assert_allclose(four["W2"], reference["W2"], rtol=1e-13)


def test_interrupted_sweep_resumes_without_redoing_chunks(
    noisy, grid, reference, tmp_path, monkeypatch
):
    saves = []
    original = ChunkStore.save

    def crash_after_two(self, i, arrays):
        if len(saves) == 2:
            raise KeyboardInterrupt("simulated crash")
        saves.append(i)
        original(self, i, arrays)

    kw = dict(key=jax.random.PRNGKey(7), seeds=3, chunk_size=4, store=tmp_path, progress=False)
    monkeypatch.setattr(ChunkStore, "save", crash_after_two)
    with pytest.raises(KeyboardInterrupt):
        sweep(roughness_run, noisy, grid, **kw)
    assert saves == [0, 1]

    redone = []

    def record(self, i, arrays):
        redone.append(i)
        original(self, i, arrays)

    monkeypatch.setattr(ChunkStore, "save", record)
    ds = sweep(roughness_run, noisy, grid, **kw)
    assert redone == [2, 3, 4]  # 18 members in chunks of 4: chunks 0, 1 were kept
    np.testing.assert_array_equal(ds["W2"], reference["W2"])
    assert (tmp_path / "dataset.nc").exists()


def test_store_refuses_a_different_sweep(noisy, grid, tmp_path):
    sweep(roughness_run, noisy, grid, seeds=1, store=tmp_path, progress=False)
    with pytest.raises(ValueError, match="different sweep"):
        sweep(roughness_run, noisy, grid, seeds=2, store=tmp_path, progress=False)


class Decay(AbstractODE):
    """y' = -rate y: stiff for large rate, exact solution exp(-rate t)."""

    rate: jax.Array
    param_ranges: ClassVar = {"rate": (0.0, 1e9)}

    def drift(self, t, y, args=None):
        return -self.rate * y

    def initial_state(self, key=None):
        return jnp.ones(())


def test_failing_member_is_marked_and_the_rest_unaffected():
    run = lambda s, k: simulate(s, 1.0, ts=[0.5, 1.0], max_steps=200, rtol=1e-8, atol=1e-10)
    # A rate of 1e5 needs ~1e5 explicit steps: it exhausts max_steps; the others do not.
    ds = sweep(run, Decay(rate=1.0), Grid.points(rate=[0.5, 1e5, 2.0]), progress=False)
    status = ds["status"].values[:, 0]
    assert list(status) == [STATUS_OK, STATUS_MAX_STEPS, STATUS_OK]
    y = ds["y"].values[:, 0]
    np.testing.assert_allclose(y[0], np.exp(-0.5 * np.array([0.5, 1.0])), rtol=1e-7)
    np.testing.assert_allclose(y[2], np.exp(-2.0 * np.array([0.5, 1.0])), rtol=1e-7)


def test_bad_grids_are_rejected_with_the_name(noisy):
    with pytest.raises(ValueError, match="'K' is empty"):
        Grid.product(K=[])
    with pytest.raises(ValueError, match="'K' contains NaN"):
        Grid.product(K=[1.0, np.nan])
    with pytest.raises(ValueError, match="equal lengths"):
        Grid.points(K=[1.0, 2.0], sigma=[0.1])
    with pytest.raises(ValueError, match="'L' is not a sweepable field"):
        sweep(roughness_run, noisy, Grid.product(L=[8, 16]), progress=False)
    with pytest.raises(ValueError, match="'sigma' must lie in"):
        sweep(roughness_run, noisy, Grid.product(sigma=[-0.1, 0.2]), progress=False)
    with pytest.raises(ValueError, match="seeds must be a positive integer"):
        sweep(roughness_run, noisy, Grid.product(K=[1.0]), seeds=0, progress=False)


def test_a_second_sweep_reuses_the_compiled_chunk(noisy):
    traces = []

    def run(system, key):
        traces.append(1)  # runs only while JAX traces the member function
        return roughness_run(system, key)

    kw = dict(seeds=2, chunk_size=4, progress=False)
    sweep(run, noisy, Grid.product(K=[0.5, 1.0, 2.0]), key=jax.random.PRNGKey(0), **kw)
    sweep(run, noisy, Grid.product(K=[3.0, 4.0]), key=jax.random.PRNGKey(1), **kw)
    other = Sync1D(L=16, K=1.0, sigma=0.9, a=0.1, randomness="white")
    sweep(run, other, Grid.product(sigma=[0.2, 0.3]), **kw)
    assert len(traces) == 2  # one trace per swept-field set, none per call or value
