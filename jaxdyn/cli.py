"""Command line: ``jaxdyn list | show NAME | run NAME [--preset P] [--out DIR] [--set k=v]``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def _enable_compilation_cache() -> None:
    """Persist XLA executables across processes, so a second ``jaxdyn run`` compiles nothing
    (it still traces and lowers: measured on ``sync1d --quick``, 32 s first, 20 s second).

    The cache lives in ``$JAXDYN_CACHE`` or ``~/.cache/jaxdyn/xla``; set
    ``JAXDYN_NO_COMPILATION_CACHE=1`` to turn it off.
    """
    if os.environ.get("JAXDYN_NO_COMPILATION_CACHE"):
        return
    import jax

    base = os.environ.get("JAXDYN_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "jaxdyn"
    )
    path = Path(base) / "xla"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return
    jax.config.update("jax_compilation_cache_dir", str(path))
    # Every executable: the quick sync1d run's compiles under 0.2 s added up to 7 s.
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    _cacheable_errors()


def _cacheable_errors() -> None:
    """Put equinox's runtime checks in "nan" mode, unless ``EQX_ON_ERROR`` is set.

    diffrax's input checks (equinox's ``error_if``) are host callbacks by default, and JAX
    never caches an executable holding one: every adaptive ODE sweep recompiled (4.6 s of
    the quick sync1d run's second call). In "nan" mode a failed check poisons the output
    instead, which the member's status reports; jaxdyn validates its inputs before they
    reach diffrax.
    """
    if "EQX_ON_ERROR" in os.environ:
        return
    import equinox._errors as eqx_errors

    if getattr(eqx_errors, "EQX_ON_ERROR", None) == "raise":
        eqx_errors.EQX_ON_ERROR = "nan"


def _list() -> None:
    from . import systems
    from .experiments import get, names

    print("experiments (jaxdyn run NAME --preset tiny|quick|full, or an extra preset):")
    for name in names():
        exp = get(name)
        print(f"  {name:24s} paper {exp.paper:4s} {exp.description}")
    print("\nsystems (jaxdyn show NAME):")
    for name in systems.names():
        info = systems.info(name)
        paper = f"paper {info['paper']}" if info["paper"] else ""
        print(f"  {name:24s} {info['kind']:20s} {paper:9s} {info['description']}")


def _show(name: str) -> int:
    from . import systems
    from .experiments import get, names

    if name in names():
        exp = get(name)
        print(f"{name} (paper {exp.paper}): {exp.description}\n")
        cls = exp.config_cls
        rows = cls.describe()
        presets = {p: c.to_dict() for p, c in exp.presets.items()}
        head = f"{'parameter':18s} {'type':16s} " + " ".join(f"{p:>14s}" for p in presets)
        print(head + f"  {'allowed':16s} meaning")
        for r in rows:
            vals = " ".join(f"{_short(presets[p][r['name']]):>14s}" for p in presets)
            print(f"{r['name']:18s} {r['type']:16s} {vals}  {r['allowed']:16s} {r['help']}")
        print("\nOverride any parameter with --set NAME=VALUE (lists comma-separated).")
        return 0
    if name in systems.names():
        info = systems.info(name)
        print(f"{name}: {info['description']}")
        for k in ("kind", "class", "paper", "reference", "default_dt", "t_char"):
            print(f"  {k:12s} {info[k]}")
        print("  parameters:")
        for p, d in info["parameters"].items():
            print(f"    {p:16s} default {d['default']!s:12s} range {list(d['range'])}")
        return 0
    raise KeyError(f"no experiment or system named {name!r}; see `jaxdyn list`")


def _short(v) -> str:
    if isinstance(v, list):
        s = ",".join(f"{x:g}" if isinstance(x, float) else str(x) for x in v)
        return s if len(s) <= 14 else f"[{len(v)} values]"
    return f"{v:g}" if isinstance(v, float) else str(v)


def main(argv: list[str] | None = None) -> int:
    from . import __version__

    parser = argparse.ArgumentParser(prog="jaxdyn", description=__doc__)
    parser.add_argument("--version", action="version", version=f"jaxdyn {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list the registered experiments and systems")
    show = sub.add_parser("show", help="an experiment's parameters, or a system's metadata")
    show.add_argument("name")
    run = sub.add_parser("run", help="run an experiment; writes results.json and figures")
    run.add_argument("name")
    run.add_argument(
        "--preset",
        default=None,
        help="tiny | quick | full (default), or an extra preset the experiment defines "
        "(e.g. gpu); `jaxdyn show NAME` lists them",
    )
    run.add_argument("--quick", action="store_true", help="same as --preset quick")
    run.add_argument("--out", default=None, help="output directory (default runs/NAME)")
    run.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="override a parameter"
    )
    run.add_argument("--fresh", action="store_true", help="discard a previous run in --out")
    run.add_argument("--quiet", action="store_true", help="no stage lines or progress bars")
    run.add_argument("--x64", action="store_true", help="run in double precision")
    args = parser.parse_args(argv)

    try:
        if args.command == "list":
            _list()
            return 0
        if args.command == "show":
            return _show(args.name)
        from .experiments._kit import execute, plan_run, summary_table

        if args.quick and args.preset not in (None, "quick"):
            raise ValueError("--quick contradicts --preset " + args.preset)
        preset = "quick" if args.quick else (args.preset or "full")
        exp, config, out, preset = plan_run(
            args.name, args.out, preset=preset, overrides=args.set, fresh=args.fresh
        )
    except (KeyError, ValueError, TypeError) as err:
        print(f"jaxdyn: error: {err.args[0] if err.args else err}", file=sys.stderr)
        return 2

    import jax

    if args.x64:
        jax.config.update("jax_enable_x64", True)
    _enable_compilation_cache()
    try:
        payload = execute(exp, config, out, preset, quiet=args.quiet)
    except KeyboardInterrupt:
        print(
            f"\njaxdyn: interrupted; finished sweep chunks, checkpoints and stages are kept in "
            f"{out / '_state'}. Run the same command again to resume (--fresh starts over).",
            file=sys.stderr,
        )
        return 130
    print(summary_table(payload))
    print(
        f"\n{exp.name} ({preset}) done in {payload['elapsed_s']:.0f} s: wrote "
        f"{len(payload['files'])} files and results.json to {out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
