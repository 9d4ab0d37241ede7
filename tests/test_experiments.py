"""Every registered experiment runs end to end at its tiny size and writes what it says."""

from __future__ import annotations

import json

import pytest

from jaxdyn.experiments import PRESETS, get, load_run, names, run_experiment

EXPERIMENTS = [n for n in names() if not n.startswith("_")]


def test_every_experiment_has_the_three_presets_of_one_typed_config():
    assert len(EXPERIMENTS) >= 6
    for name in EXPERIMENTS:
        exp = get(name)
        assert set(PRESETS) <= set(exp.presets)  # extra ones (e.g. gpu) are welcome
        assert exp.description, f"{name}: run() needs a docstring"
        for row in exp.config_cls.describe():
            assert row["help"], f"{name}.{row['name']} has no meaning"


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_tiny_run_writes_results_and_every_listed_file(name, tmp_path):
    payload = run_experiment(name, tmp_path, preset="tiny", quiet=True)
    on_disk = json.loads((tmp_path / "results.json").read_text())
    assert on_disk == payload
    assert payload["files"], "an experiment writes at least one figure or dataset"
    assert any(f.endswith(".png") for f in payload["files"])
    for rel in payload["files"]:
        assert (tmp_path / rel).stat().st_size > 0, rel
    # nothing half-written is left behind
    assert not [p for p in tmp_path.rglob("*.tmp")]
    run = load_run(tmp_path)
    assert run.config == get(name).presets["tiny"]
    assert run.results == payload["results"]
