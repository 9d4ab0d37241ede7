"""CLI and experiment registry: list, run, results.json, clear errors."""

import json

import pytest

from jaxdyn.cli import main
from jaxdyn.experiments import number, register


@register("_tiny", paper="0", quick={"n": 2, "scale": 0.5}, full={"n": 10, "scale": 1.0})
def _tiny(config, out):
    """A test experiment: sums of 1..n."""
    (out / "fig.png").write_bytes(b"")
    total = config["scale"] * sum(range(1, config["n"] + 1))
    return {
        "total": number(total, literature=config["scale"] * config["n"] * (config["n"] + 1) / 2)
    }


def test_list_shows_registered_experiments(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "_tiny" in out and "sums of 1..n" in out


def test_run_writes_results_json_with_overrides(tmp_path):
    assert main(["run", "_tiny", "--quick", "--out", str(tmp_path), "--set", "n=4"]) == 0
    payload = json.loads((tmp_path / "results.json").read_text())
    assert payload["mode"] == "quick"
    assert payload["config"] == {"n": 4, "scale": 0.5}
    assert payload["results"]["total"] == {"value": 5.0, "literature": 5.0}
    assert payload["figures"] == ["fig.png"]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["run", "no_such_experiment"], "unknown experiment 'no_such_experiment'"),
        (["run", "_tiny", "--set", "bogus=1"], "unknown --set key 'bogus'.*valid keys: n, scale"),
        (["run", "_tiny", "--set", "n=three"], "cannot read 'three' as int"),
        (["run", "_tiny", "--set", "n"], "expects key=value"),
    ],
)
def test_bad_input_gives_a_clear_error(argv, message, capsys, tmp_path):
    assert main([*argv, "--out", str(tmp_path)]) == 2
    import re

    assert re.search(message, capsys.readouterr().err)
