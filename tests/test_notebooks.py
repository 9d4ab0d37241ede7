"""The example notebooks execute from top to bottom without error."""

import json
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


@pytest.mark.parametrize("name", ["01_sync1d.ipynb"])
def test_notebook_runs(name, tmp_path, monkeypatch):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    # the kernel must be this interpreter (the project's venv), whatever jupyter finds first
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    spec = tmp_path / "kernels" / "python3"
    spec.mkdir(parents=True)
    kernel = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (jaxdyn venv)",
        "language": "python",
    }
    (spec / "kernel.json").write_text(json.dumps(kernel))
    # one simulated device in the kernel: the notebook shows what a user sees
    monkeypatch.setenv("XLA_FLAGS", "")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    client = nbclient.NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    errors = [
        out
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if out.get("output_type") == "error"
    ]
    assert not errors
    # the notebook's own physics check printed an EW-like exponent
    text = "".join(out.get("text", "") for cell in nb.cells for out in cell.get("outputs", []))
    beta = float(text.split("beta_eff over 1 < t < 10:")[1].split()[0])
    assert beta == pytest.approx(0.25, abs=0.05)
