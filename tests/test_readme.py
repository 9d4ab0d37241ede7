"""The README's Python examples run as written and give the numbers they claim."""

import re
from pathlib import Path

import numpy as np
import pytest

README = Path(__file__).parents[1] / "README.md"


def test_readme_examples_run():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert len(blocks) >= 4
    namespace: dict = {}
    exec(compile("\n".join(blocks), str(README), "exec"), namespace)
    ds, result = namespace["ds"], namespace["result"]
    assert ds["var"].dims == ("theta", "s", "seed", "time")
    assert int(ds["status"].max()) == 0
    # The fit recovers the decay rate that generated the data.
    assert float(result.params["theta"]) == pytest.approx(1.3, rel=1e-3)
    # Stationary OU variance s^2 / (2 theta); 64 seeds x 4 components: 9% standard error.
    v = float(ds["var"].sel(theta=2.0, s=0.5, time=5.0).mean("seed"))
    assert v == pytest.approx(0.5**2 / 4, rel=0.3)
    with pytest.raises(ValueError, match=r"'theta' must lie in \[0.0, 1000.0\], got -1.0"):
        namespace["OrnsteinUhlenbeck"](theta=-1.0, s=0.5)
    assert np.isfinite(float(result.history[-1]))
    # Lorenz: the spectrum sums to the constant divergence -(sigma + 1 + beta); the largest
    # exponent is negative at rho = 20 (stable fixed points) and positive at rho = 28
    assert float(namespace["lam"].sum()) == pytest.approx(-(10 + 1 + 8 / 3), rel=1e-3)
    lam1 = np.asarray(namespace["lam1"])
    assert lam1[0] < 0 < lam1[1]
