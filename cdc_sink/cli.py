"""``cdc sink run --config FILE``; errors are reported by the ``cdc`` entry point."""

from __future__ import annotations

import argparse
from pathlib import Path

from cdc_core.logs import configure_logging
from cdc_sink.config import load


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sink = subparsers.add_parser("sink", help="the Kafka -> PostgreSQL sink service")
    sub = sink.add_subparsers(dest="sink_command", required=True)
    run = sub.add_parser("run", help="consume and upsert until SIGTERM")
    run.add_argument("--config", type=Path, required=False,
                     help="YAML file; every key can be overridden by CDC_SINK__<SECTION>__<KEY>")
    run.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    configure_logging()
    config = load(args.config)
    from cdc_sink.app import run  # imported late: --help stays fast

    return run(config)


def run(args: argparse.Namespace) -> int:
    return int(args.handler(args))
