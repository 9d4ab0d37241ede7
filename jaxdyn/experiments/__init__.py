"""Experiments: one per paper, registered by name, each with tiny, quick and full presets.

See :mod:`jaxdyn.experiments._kit` for the shape every experiment takes (a typed config,
``run(config, ctx)``, outputs written through the run context) and
:func:`run_experiment` / :func:`load_run` to run one and read it back.
"""

from ._config import Config, param, parse_overrides
from ._kit import (
    PRESETS,
    Experiment,
    Run,
    RunRecord,
    experiment,
    get,
    load_run,
    names,
    number,
    plain,
    run_experiment,
    summary_table,
)

__all__ = [
    "PRESETS",
    "Config",
    "Experiment",
    "Run",
    "RunRecord",
    "experiment",
    "get",
    "load_run",
    "names",
    "number",
    "param",
    "parse_overrides",
    "plain",
    "run_experiment",
    "summary_table",
]
