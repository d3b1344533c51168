"""Entry point of the ``cdc`` console script.

Every command runs under one handler of the project's error root (``cdc_core.errors``): an
error a user can cause prints as one line per problem, prefixed with the command, and no
traceback. A configuration error exits 2, any other project error (or an operating-system
error such as an unwritable output file) exits 1.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from itertools import takewhile

from cdc_cli.jars import export_local_job_jars
from cdc_core.errors import ConfigError, PipelineError, StackError
from cdc_core.logs import logging_configured
from cdc_demo import cli as demo_cli
from cdc_ops import cli as ops_cli
from cdc_sink import cli as sink_cli
from cdc_stack import cli as stack_cli
from flink_jobs import cli as job_cli

CONFIG_EXIT = 2
ERROR_EXIT = 1

log = logging.getLogger("cdc")


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
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    try:
        return dispatch(args)
    except (PipelineError, OSError) as exc:
        return report(command_name(argv), exc)


def dispatch(args: argparse.Namespace) -> int:
    """Run the parsed command in this process; its exit code."""
    if args.command == "stack":
        return stack_cli.run(args)
    if args.command == "job":
        export_local_job_jars()  # what a job config leaves out: this machine's JARs
        return job_cli.run(args)
    if args.command in ("sink", "history"):
        return sink_cli.run(args)
    if args.command in ("demo", "verify"):
        return demo_cli.run(args)
    if args.command in ops_cli.COMMANDS:
        return ops_cli.run(args)
    raise AssertionError(f"unhandled command {args.command}")  # argparse rejects unknown ones


def command_name(argv: Sequence[str]) -> str:
    """``cdc sink run`` from ``["sink", "run", "--config", ...]``: the words before options."""
    return " ".join(["cdc", *takewhile(lambda word: not word.startswith("-"), argv)])


def report(command: str, exc: PipelineError | OSError) -> int:
    """Say what went wrong, one line per problem (through logging once it is set up)."""
    for line in error_lines(exc):
        if logging_configured():
            log.critical("%s: %s", command, line)
        else:
            print(f"{command}: {line}", file=sys.stderr)
    return CONFIG_EXIT if isinstance(exc, ConfigError) else ERROR_EXIT


def error_lines(exc: PipelineError | OSError) -> list[str]:
    """A configuration error's problems; any other error's message on one line.

    A local-stack error keeps its lines: a service that did not start appends its log tail.
    """
    if isinstance(exc, ConfigError):
        return exc.lines()
    text = str(exc) or type(exc).__name__
    return text.splitlines() if isinstance(exc, StackError) else [" ".join(text.split())]


if __name__ == "__main__":
    raise SystemExit(main())
