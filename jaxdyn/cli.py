"""Command line: ``jaxdyn list`` and ``jaxdyn run NAME [--quick] [--out DIR] [--set k=v]``."""

from __future__ import annotations

import argparse
import json
import sys

from .experiments import registry


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="jaxdyn", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list the registered experiments")
    run = sub.add_parser("run", help="run an experiment; writes results.json and figures")
    run.add_argument("name")
    run.add_argument("--quick", action="store_true", help="small configuration (CI, demo)")
    run.add_argument("--out", default=None, help="output directory (default runs/NAME)")
    run.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="override a config key"
    )
    run.add_argument("--x64", action="store_true", help="run in double precision")
    args = parser.parse_args(argv)

    if args.command == "list":
        for name in registry.names():
            exp = registry.get(name)
            print(f"{name:24s} paper {exp.paper:4s} {exp.description}")
        return 0

    if args.x64:
        import jax

        jax.config.update("jax_enable_x64", True)
    out = args.out or f"runs/{args.name}"
    try:
        payload = registry.run_experiment(args.name, out, quick=args.quick, overrides=args.set)
    except (KeyError, ValueError) as err:
        print(f"jaxdyn: error: {err.args[0] if err.args else err}", file=sys.stderr)
        return 2
    print(json.dumps(payload["results"], indent=2))
    print(f"wrote {out}/results.json and {len(payload['figures'])} figures")
    return 0


if __name__ == "__main__":
    sys.exit(main())
