"""``cdc lag-exporter --config FILE``, ``cdc freshness --config SINK_FILE`` and
``cdc dbt sources --contracts DIR --schema SCHEMA [--out FILE]``.

Errors are reported by the ``cdc`` entry point (a configuration error exits 2).
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Callable
from pathlib import Path

from cdc_core.logs import configure_logging

COMMANDS = ("lag-exporter", "freshness", "dbt")


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
    _add_dbt(subparsers)


def _add_dbt(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    dbt = subparsers.add_parser("dbt", help="dbt files generated from the table contracts")
    sources = dbt.add_subparsers(dest="dbt_command", required=True).add_parser(
        "sources", help="write a dbt sources.yml: freshness and tests from the contracts")
    sources.add_argument("--contracts", type=Path, required=True,
                         help="directory of contract YAML files (as sink.contracts_dir)")
    sources.add_argument("--schema", required=True, help="the sink's postgres.target_schema")
    sources.add_argument("--out", type=Path, help="file to write (default: standard output)")
    sources.add_argument("--source-name", default="cdc", help="the dbt source's name")
    sources.add_argument("--deleted-column", default="is_deleted",
                         help="the sink's soft-delete column (sink.meta_columns)")
    sources.add_argument("--loaded-at-field", default="_loaded_at",
                         help="the sink's load-time column (sink.meta_columns)")
    sources.set_defaults(handler=_dbt_sources)


def run(args: argparse.Namespace) -> int:
    return int(args.handler(args))


def _freshness(args: argparse.Namespace) -> int:
    """Print the table; exit 1 when any table is STALE, 2 on a bad configuration."""
    from cdc_ops.freshness import any_stale, check, render
    from cdc_sink.config import load

    rows = check(load(args.config))
    print(render(rows))
    return 1 if any_stale(rows) else 0


def _dbt_sources(args: argparse.Namespace) -> int:
    """Write the sources file; a missing or invalid contracts directory exits 2."""
    from cdc_core.errors import ConfigError
    from cdc_ops.dbt_sources import render, sources_document
    from cdc_sink.app import load_contracts

    if not args.contracts.is_dir():
        raise ConfigError(f"--contracts {args.contracts}: not a directory")
    contracts = load_contracts(args.contracts)
    text = render(sources_document(contracts, args.schema, args.source_name,
                                   args.deleted_column, args.loaded_at_field))
    if args.out:
        args.out.write_text(text)
    else:
        sys.stdout.write(text)
    return 0


def _lag_exporter(args: argparse.Namespace) -> int:
    """Serve /metrics, /healthz, /readyz and measure until SIGTERM."""
    configure_logging()
    from cdc_ops.config import load

    config = load(args.config)
    from cdc_ops.serve import serve_exporter

    return serve_exporter(config, _install_stop)


def _install_stop(stop: Callable[..., None]) -> None:
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
