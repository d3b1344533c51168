"""Entry point of the ``cdc`` console script."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from cdc_demo import cli as demo_cli
from cdc_ops import cli as ops_cli
from cdc_sink import cli as sink_cli
from cdc_stack import cli as stack_cli
from flink_jobs import cli as job_cli


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cdc", description="cdc-pipeline command line")
    sub = parser.add_subparsers(dest="command", required=True)
    stack_cli.add_parser(sub)
    job_cli.add_parser(sub)
    sink_cli.add_parser(sub)
    demo_cli.add_parsers(sub)
    ops_cli.add_parsers(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "stack":
        return stack_cli.run(args)
    if args.command == "job":
        return job_cli.run(args)
    if args.command == "sink":
        return sink_cli.run(args)
    if args.command in ("demo", "verify"):
        return demo_cli.run(args)
    if args.command in ops_cli.COMMANDS:
        return ops_cli.run(args)
    raise AssertionError(f"unhandled command {args.command}")  # argparse rejects unknown ones


if __name__ == "__main__":
    raise SystemExit(main())
