"""``cdc sink run --config FILE``."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from pydantic import ValidationError

from cdc_cli.logs import configure_logging
from cdc_sink.config import load
from cdc_sink.errors import SinkServiceError


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sink = subparsers.add_parser("sink", help="the Kafka -> PostgreSQL sink service")
    sub = sink.add_subparsers(dest="sink_command", required=True)
    run = sub.add_parser("run", help="consume and upsert until SIGTERM")
    run.add_argument("--config", type=Path, required=False,
                     help="YAML file; every key can be overridden by CDC_SINK__<SECTION>__<KEY>")
    run.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    configure_logging()
    try:
        config = load(args.config)
    except (ValidationError, OSError) as exc:
        print(f"invalid sink configuration: {exc}", file=sys.stderr)
        return 2
    from cdc_sink.app import run  # imported late: --help stays fast

    try:
        return run(config)
    except SinkServiceError as exc:
        logging.getLogger("cdc_sink").critical("sink stopped: %s", exc)
        return 1


def run(args: argparse.Namespace) -> int:
    return int(args.handler(args))
