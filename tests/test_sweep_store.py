"""A sweep store can neither lose nor mix results: resume across processes, refuse changes."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxdyn
from jaxdyn.systems import Sync1D

GAIN = 1.0
TS = np.linspace(0.5, 2.0, 4)


def member(system, key):
    # The README's pattern: a nested lambda as the observable; it also reads a global.
    return jaxdyn.simulate(
        system, 2.0, key=key, ts=TS, observable=lambda t, y: {"W2": GAIN * jnp.var(y)}
    )


def _sweep(store, system=None, fn=member, **kw):
    system = system or Sync1D(L=8, K=1.0, sigma=0.3, randomness="white")
    grid = jaxdyn.Grid.product(K=[0.5, 1.0, 2.0])
    return jaxdyn.sweep(
        fn,
        system,
        grid,
        key=jax.random.PRNGKey(3),
        seeds=2,
        chunk_size=2,
        store=store,
        progress=False,
        **kw,
    )


SCRIPT = textwrap.dedent(
    """
    import os, sys
    import jax, jax.numpy as jnp, numpy as np
    import jaxdyn
    from jaxdyn.core import ChunkStore
    from jaxdyn.systems import Sync1D

    store, crash_after = sys.argv[1], int(sys.argv[2])
    saves = []
    original = ChunkStore.save

    def save(self, i, arrays):
        original(self, i, arrays)
        saves.append(i)
        print("saved", i, flush=True)
        if len(saves) == crash_after:
            os._exit(9)  # killed: no cleanup, no exception handling

    ChunkStore.save = save
    ts = np.linspace(0.5, 3.0, 6)

    def fn(system, key):
        obs = lambda t, y: {"W2": jnp.var(y), "mean": (lambda z: jnp.mean(z))(y)}
        return jaxdyn.simulate(system, 3.0, key=key, ts=ts, observable=obs)

    system = Sync1D(L=8, K=1.0, sigma=0.3, randomness="white")
    grid = jaxdyn.Grid.product(K=[0.5, 1.0, 2.0], sigma=[0.1, 0.3])
    ds = jaxdyn.sweep(fn, system, grid, key=jax.random.PRNGKey(5), seeds=4, chunk_size=4,
                      store=store, progress=False)
    np.save(os.path.join(store, "out.npy"), ds["W2"].values)
    """
)


def _run_script(tmp_path, store, crash_after):
    script = tmp_path / "sweep_script.py"
    script.write_text(SCRIPT)
    return subprocess.run(
        [sys.executable, str(script), str(store), str(crash_after)],
        capture_output=True,
        text=True,
        env={"JAXDYN_NO_COMPILATION_CACHE": "1", "PATH": "/usr/bin:/bin"},
    )


def test_killed_sweep_with_nested_lambdas_resumes_in_a_new_process(tmp_path):
    killed = _run_script(tmp_path, tmp_path / "store", crash_after=2)
    assert killed.returncode == 9, killed.stderr
    assert killed.stdout.split() == ["saved", "0", "saved", "1"]
    resumed = _run_script(tmp_path, tmp_path / "store", crash_after=0)
    assert resumed.returncode == 0, resumed.stderr
    # 24 members in chunks of 4: the new process computes only chunks 2..5
    assert resumed.stdout.split() == ["saved", "2", "saved", "3", "saved", "4", "saved", "5"]
    whole = _run_script(tmp_path, tmp_path / "whole", crash_after=0)
    assert whole.returncode == 0, whole.stderr
    np.testing.assert_array_equal(
        np.load(tmp_path / "store" / "out.npy"), np.load(tmp_path / "whole" / "out.npy")
    )
    manifest = json.loads((tmp_path / "store" / "manifest.json").read_text())
    assert manifest["description"]["system fields"]["L"] == 8
    assert manifest["description"]["unverified"] == []


def test_an_unchanged_sweep_resumes(tmp_path):
    a = _sweep(tmp_path)
    b = _sweep(tmp_path)
    np.testing.assert_array_equal(a["W2"].values, b["W2"].values)


def test_a_changed_global_is_refused(tmp_path, monkeypatch):
    _sweep(tmp_path)
    monkeypatch.setattr(sys.modules[__name__], "GAIN", 2.0)
    with pytest.raises(ValueError, match="holds chunks of a different sweep"):
        _sweep(tmp_path)


def test_a_changed_static_field_is_refused_and_named(tmp_path):
    _sweep(tmp_path)
    with pytest.raises(ValueError, match="differs in: system fields"):
        _sweep(tmp_path, system=Sync1D(L=9, K=1.0, sigma=0.3, randomness="white"))


def _with_final_time(t1):
    def fn(system, key):
        return jaxdyn.simulate(system, t1, key=key, ts=[t1 / 2, t1])

    return fn


def test_a_changed_closure_value_or_final_time_is_refused(tmp_path):
    _sweep(tmp_path / "a", fn=_with_final_time(2.0))
    with pytest.raises(ValueError, match="differs in: function captures"):
        _sweep(tmp_path / "a", fn=_with_final_time(3.0))

    def literal(system, key):
        return jaxdyn.simulate(system, 2.0, key=key)

    def literal_changed(system, key):
        return jaxdyn.simulate(system, 2.5, key=key)

    literal_changed.__qualname__ = literal.__qualname__
    _sweep(tmp_path / "b", fn=literal)
    with pytest.raises(ValueError, match="holds chunks of a different sweep"):
        _sweep(tmp_path / "b", fn=literal_changed)


def test_a_changed_nested_closure_is_refused(tmp_path):
    def make(scale):
        obs = lambda t, y: {"W2": scale * jnp.var(y)}
        return lambda system, key: jaxdyn.simulate(system, 2.0, key=key, ts=TS, observable=obs)

    _sweep(tmp_path, fn=make(1.0))
    _sweep(tmp_path, fn=make(1.0))  # same values: resumes
    with pytest.raises(ValueError, match="holds chunks of a different sweep"):
        _sweep(tmp_path, fn=make(2.0))


class Opaque:
    """An object whose value the fingerprint cannot see."""

    __slots__ = ("v",)

    def __init__(self, v):
        self.v = v


def test_an_unverifiable_sweep_warns_and_resumes_only_with_a_version(tmp_path):
    box = Opaque(1.0)

    def fn(system, key):
        return jaxdyn.simulate(system, 2.0, key=key, ts=TS, observable=lambda t, y: box.v * y)

    with pytest.warns(UserWarning, match="cannot see .*Opaque"):
        _sweep(tmp_path / "a", fn=fn)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match="pass version="):
            _sweep(tmp_path / "a", fn=fn)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # with a version there is nothing to warn about
        _sweep(tmp_path / "b", fn=fn, version="opaque-v1")
        _sweep(tmp_path / "b", fn=fn, version="opaque-v1")
    with pytest.raises(ValueError, match="differs in: version"):
        _sweep(tmp_path / "b", fn=fn, version="opaque-v2")


def test_the_dataset_on_disk_describes_the_run(tmp_path):
    ds = _sweep(tmp_path)
    import xarray as xr

    with xr.open_dataset(tmp_path / "dataset.nc", engine="h5netcdf") as disk:
        np.testing.assert_array_equal(disk["time"].values, TS)
        np.testing.assert_array_equal(disk["W2"].values, ds["W2"].values)
    assert not list(tmp_path.glob("*.tmp"))
