"""The experiment kit and the command line: typed configs, owned outputs, resume, errors."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from typing import ClassVar

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxdyn
import jaxdyn.plotting
from jaxdyn.cli import main
from jaxdyn.core import ChunkStore
from jaxdyn.experiments import Config, experiment, load_run, number, param, parse_overrides


class Decay(jaxdyn.AbstractODE):
    rate: jnp.ndarray
    param_ranges: ClassVar = {"rate": (0.0, 1e3)}

    def __init__(self, rate=1.0):
        self.rate = jnp.asarray(rate, dtype=float)

    def drift(self, t, y, args=None):
        return -self.rate * y

    def initial_state(self, key=None):
        return jnp.ones(())


@dataclass(frozen=True)
class ToyConfig(Config):
    n: int = param(4, "terms of the sum", low=1, high=100)
    scale: float = param(0.5, "scale of the sum", low=0.0)
    rates: tuple[float, ...] = param((0.5, 1.0, 2.0, 4.0), "decay rates swept", low=0.0)
    mode: str = param("sum", "what to report", choices=("sum", "max"))


CALLS: list[str] = []
TOY = {"tiny": ToyConfig(n=2), "quick": ToyConfig(), "full": ToyConfig(n=10, scale=1.0)}


@experiment("_toy", paper="0", presets=TOY)
def _toy(cfg: ToyConfig, ctx) -> dict:
    """A test experiment: sums of 1..n and a small sweep."""
    CALLS.append(str(ctx.out))
    ts = np.linspace(0.5, 2.0, 4)
    with ctx.stage("decay"):
        ds = ctx.sweep(
            "decay",
            lambda s, k: jaxdyn.simulate(s, 2.0, ts=ts, rtol=1e-10, atol=1e-12),
            Decay(),
            jaxdyn.Grid.product(rate=cfg.rates),
            chunk_size=1,
            devices=jax.devices()[:1],  # one member per chunk: a chunk spans every device
            progress=False,
        )
    ctx.save_dataset(ds, "decay")
    fig, axes = jaxdyn.plotting.figure()
    axes[0, 0].plot(ds["time"], ds["y"].isel(seed=0).T)
    ctx.savefig(fig, "decay")
    total = cfg.scale * sum(range(1, cfg.n + 1))
    return {"total": number(total, literature=cfg.scale * cfg.n * (cfg.n + 1) / 2)}


@experiment("_other", paper="0", presets=TOY)
def _other(cfg: ToyConfig, ctx) -> dict:
    """Another test experiment."""
    return {}


def test_list_shows_experiments_and_systems(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "_toy" in out and "sums of 1..n" in out
    assert "sync1d_noisy" in out and "AbstractSDE" in out


def test_show_lists_parameters_with_presets_and_ranges(capsys):
    assert main(["show", "_toy"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"n\s+int\s+2\s+4\s+10\s+\[1, 100\]\s+terms of the sum", out)
    assert "{sum, max}" in out
    assert main(["show", "lorenz"]) == 0
    assert "rho" in capsys.readouterr().out


def test_version(capsys):
    with pytest.raises(SystemExit):
        main(["--version"])
    assert jaxdyn.__version__ in capsys.readouterr().out


def test_run_writes_results_listing_only_its_files(tmp_path, capsys):
    (tmp_path / "stale.png").write_bytes(b"")  # another tool's file: not ours to list
    assert main(["run", "_toy", "--quick", "--out", str(tmp_path), "--set", "n=4"]) == 0
    payload = json.loads((tmp_path / "results.json").read_text())
    assert payload["preset"] == "quick"
    assert payload["config"]["n"] == 4 and payload["config"]["rates"] == [0.5, 1.0, 2.0, 4.0]
    assert payload["results"]["total"] == {"value": 5.0, "literature": 5.0}
    assert payload["files"] == ["decay.nc", "decay.png"]
    assert "decay_s" in payload["timings"]
    out = capsys.readouterr().out
    assert re.search(r"total\s+5\s+5", out)  # the measured-vs-literature table
    run = load_run(tmp_path)
    assert run.config == ToyConfig(n=4)
    np.testing.assert_allclose(
        run.dataset("decay")["y"].sel(rate=2.0).isel(seed=0), np.exp(-2.0 * np.linspace(0.5, 2, 4))
    )


@pytest.mark.parametrize(
    "argv, message",
    [
        (["run", "no_such_experiment"], "unknown experiment 'no_such_experiment'"),
        (["run", "_toy", "--set", "bogus=1"], "unknown --set key 'bogus'.*valid keys: seed, n"),
        (["run", "_toy", "--set", "n=three"], "--set n: cannot read 'three' as int"),
        (["run", "_toy", "--set", "n"], "expects key=value"),
        (["run", "_toy", "--set", "n=0"], r"--set n: .*must lie in \[1, 100\]"),
        (["run", "_toy", "--set", "n=1000"], r"--set n: .*must lie in \[1, 100\]"),
        (["run", "_toy", "--set", "scale=inf"], "--set scale: must be finite"),
        (["run", "_toy", "--set", "scale=nan"], "--set scale: must be finite"),
        (["run", "_toy", "--set", "scale=-1"], r"--set scale: .*must lie in \[0.0, inf\]"),
        (["run", "_toy", "--set", "rates="], "--set rates: give a non-empty comma-separated"),
        (["run", "_toy", "--set", "rates=0.3,nan"], "--set rates: must be finite"),
        (["run", "_toy", "--set", "rates=0.3,,1"], "--set rates: give a non-empty"),
        (["run", "_toy", "--set", "rates=0.3,-2"], r"--set rates: .*must lie in \[0.0, inf\]"),
        (["run", "_toy", "--set", "mode=min"], r"--set mode: .*must be one of \['sum', 'max'\]"),
        (["run", "_toy", "--set", "seed=-3"], r"--set seed: .*must lie in \[0, inf\]"),
        (
            ["run", "_toy", "--preset", "huge"],
            r"preset must be one of \['tiny', 'quick', 'full'\], got 'huge'",
        ),
        (["run", "_toy", "--preset", "full", "--quick"], "--quick contradicts --preset full"),
        (["show", "nothing"], "no experiment or system named 'nothing'"),
    ],
)
def test_bad_input_gives_a_clear_error_before_any_work(argv, message, capsys, tmp_path):
    CALLS.clear()
    try:
        code = main([*argv, "--out", str(tmp_path / "out")] if argv[0] == "run" else argv)
    except SystemExit as exit_:  # argparse's own errors
        code = exit_.code
    assert code == 2
    assert re.search(message, capsys.readouterr().err)
    assert CALLS == []
    assert not (tmp_path / "out" / "results.json").exists()


def test_unusable_out_directories_are_refused_before_computing(tmp_path, capsys):
    CALLS.clear()
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    assert main(["run", "_toy", "--quick", "--out", str(a_file)]) == 2
    assert "is a file, not a directory" in capsys.readouterr().err
    assert main(["run", "_toy", "--quick", "--out", str(a_file / "sub")]) == 2
    assert "is a file" in capsys.readouterr().err
    if os.geteuid() != 0:  # root can write anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        assert main(["run", "_toy", "--quick", "--out", str(locked)]) == 2
        assert "not writable" in capsys.readouterr().err
    assert CALLS == []


def test_output_directories_are_owned(tmp_path, capsys):
    out = str(tmp_path)
    assert main(["run", "_toy", "--quick", "--out", out, "--quiet"]) == 0
    assert main(["run", "_other", "--quick", "--out", out]) == 2
    assert "holds a run of experiment '_toy'" in capsys.readouterr().err
    assert main(["run", "_toy", "--quick", "--out", out, "--set", "n=5"]) == 2
    assert "add --fresh" in capsys.readouterr().err
    (tmp_path / "decay.png").unlink()
    assert main(["run", "_toy", "--quick", "--out", out, "--set", "n=5", "--fresh"]) == 0
    payload = json.loads((tmp_path / "results.json").read_text())
    assert payload["config"]["n"] == 5 and payload["resumed"] == []
    assert (tmp_path / "decay.png").exists()


def test_interrupted_run_resumes_and_equals_an_uninterrupted_one(tmp_path, monkeypatch, capsys):
    reference = tmp_path / "reference"
    assert main(["run", "_toy", "--quick", "--out", str(reference), "--quiet"]) == 0

    saves = []
    original = ChunkStore.save

    def crash_after_two(self, i, arrays):
        if len(saves) == 2:
            raise KeyboardInterrupt
        saves.append(i)
        original(self, i, arrays)

    out = tmp_path / "run"
    monkeypatch.setattr(ChunkStore, "save", crash_after_two)
    assert main(["run", "_toy", "--quick", "--out", str(out), "--quiet"]) == 130
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Run the same command again to resume" in err[0]
    assert not (out / "results.json").exists()

    redone = []
    monkeypatch.setattr(
        ChunkStore, "save", lambda self, i, a: (redone.append(i), original(self, i, a))
    )
    assert main(["run", "_toy", "--quick", "--out", str(out), "--quiet"]) == 0
    assert redone == [2, 3]
    payload = json.loads((out / "results.json").read_text())
    assert payload["resumed"] == ["sweep decay"]
    a, b = load_run(out).dataset("decay"), load_run(reference).dataset("decay")
    np.testing.assert_array_equal(a["y"].values, b["y"].values)


def test_config_validation_in_python():
    with pytest.raises(ValueError, match="config 'n' must be an integer"):
        ToyConfig(n=2.5)
    with pytest.raises(ValueError, match="config 'rates' must not be empty"):
        ToyConfig(rates=())
    with pytest.raises(ValueError, match="unknown config key 'm'"):
        ToyConfig().replace(m=1)
    assert ToyConfig(rates=[1, 2]).rates == (1.0, 2.0)
    assert parse_overrides(ToyConfig(), ["rates=1,2", "mode=max"]) == ToyConfig(
        rates=(1.0, 2.0), mode="max"
    )
    assert ToyConfig().hash() == ToyConfig().hash() != ToyConfig(n=5).hash()


def test_cli_solves_are_cacheable_executables(monkeypatch):
    """JAX never writes an executable holding a host callback to the persistent cache;
    diffrax's input checks are such callbacks unless equinox's errors are in "nan" mode,
    which the CLI selects (so a second ``jaxdyn run`` of an adaptive ODE sweep compiles
    nothing)."""
    import equinox._errors as eqx_errors

    from jaxdyn.cli import _cacheable_errors
    from jaxdyn.systems import Sync1D

    def callbacks(L):
        ring = Sync1D(L=L, randomness="columnar")
        f = lambda k: jaxdyn.simulate(ring, 1.0, key=k, ts=np.linspace(0.5, 1.0, 2)).ys
        return str(jax.make_jaxpr(f)(jax.random.PRNGKey(0))).count("callback")

    monkeypatch.delenv("EQX_ON_ERROR", raising=False)
    monkeypatch.setattr(eqx_errors, "EQX_ON_ERROR", "raise")
    assert callbacks(4) > 0
    _cacheable_errors()
    assert eqx_errors.EQX_ON_ERROR == "nan"
    jax.clear_caches()  # equinox's check is a jit that resolves the mode when traced
    assert callbacks(4) == 0
    monkeypatch.undo()
    jax.clear_caches()
