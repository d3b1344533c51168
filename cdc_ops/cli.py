"""``cdc lag-exporter --config FILE`` and ``cdc freshness --config SINK_FILE``."""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Callable
from pathlib import Path

from pydantic import ValidationError

from cdc_cli.logs import configure_logging

COMMANDS = ("lag-exporter", "freshness")


def add_parsers(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register both commands (each is a top-level ``cdc`` sub-command)."""
    lag = subparsers.add_parser("lag-exporter", help="export consumer lag of Kafka groups")
    lag.add_argument("--config", type=Path, required=False,
                     help="YAML; every key overridable by CDC_LAG_EXPORTER__<SECTION>__<KEY>")
    lag.set_defaults(handler=_lag_exporter)
    fresh = subparsers.add_parser("freshness", help="table freshness against contract SLOs")
    fresh.add_argument("--config", type=Path, required=False,
                       help="the sink's YAML (warehouse, contracts_dir, meta columns)")
    fresh.set_defaults(handler=_freshness)


def run(args: argparse.Namespace) -> int:
    return int(args.handler(args))


def _freshness(args: argparse.Namespace) -> int:
    """Print the table; exit 1 when any table is STALE, 2 on a bad configuration."""
    from cdc_ops.freshness import any_stale, check, render
    from cdc_sink.config import load

    try:
        rows = check(load(args.config))
    except (ValidationError, OSError) as exc:
        print(f"invalid configuration: {exc}", file=sys.stderr)
        return 2
    print(render(rows))
    return 1 if any_stale(rows) else 0


def _lag_exporter(args: argparse.Namespace) -> int:
    """Serve /metrics, /healthz, /readyz and measure until SIGTERM."""
    configure_logging()
    from cdc_ops.config import load

    try:
        config = load(args.config)
    except (ValidationError, OSError) as exc:
        print(f"invalid lag-exporter configuration: {exc}", file=sys.stderr)
        return 2
    from cdc_ops.serve import serve_exporter

    return serve_exporter(config, _install_stop)


def _install_stop(stop: Callable[..., None]) -> None:
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
