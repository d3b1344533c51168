"""``cdc sink run --config FILE`` and ``cdc history prune``; errors are reported by the
``cdc`` entry point."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path

from cdc_core.logs import configure_logging
from cdc_sink.config import load
from cdc_sink.errors import SinkServiceError


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sink = subparsers.add_parser("sink", help="the Kafka -> PostgreSQL sink service")
    sub = sink.add_subparsers(dest="sink_command", required=True)
    run = sub.add_parser("run", help="consume and upsert until SIGTERM")
    run.add_argument("--config", type=Path, required=False,
                     help="YAML file; every key can be overridden by CDC_SINK__<SECTION>__<KEY>")
    run.set_defaults(handler=_run)
    _add_history_parser(subparsers)


def _add_history_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]
                        ) -> None:
    history = subparsers.add_parser("history", help="the warehouse's change history")
    sub = history.add_subparsers(dest="history_command", required=True)
    prune = sub.add_parser("prune", help="drop whole month partitions older than an age")
    prune.add_argument("--older-than", required=True, help="an age such as 90d or 12h")
    prune.add_argument("--config", type=Path, required=False,
                       help="the sink's YAML file (postgres.dsn, sink.history.target_schema)")
    prune.add_argument("--dry-run", action="store_true", help="list, drop nothing")
    prune.set_defaults(handler=_prune)


def _run(args: argparse.Namespace) -> int:
    configure_logging()
    config = load(args.config)
    from cdc_sink.app import run  # imported late: --help stays fast

    return run(config)


def _prune(args: argparse.Namespace) -> int:
    import psycopg

    from cdc_sink.prune import parse_age, prune

    age = parse_age(args.older_than)
    config = load(args.config)
    schema = config.sink.history.target_schema
    try:
        with psycopg.connect(config.postgres.conninfo(), autocommit=True) as conn:
            done = prune(conn, schema, f"cdc_sink:{config.postgres.target_schema}", age,
                         datetime.now(UTC), dry_run=args.dry_run)
    except psycopg.Error as exc:
        raise SinkServiceError(f"warehouse: {exc}") from exc
    verb = "would drop" if args.dry_run else "dropped"
    print(f"{verb} {len(done.dropped)} partition(s) of {schema} older than "
          f"{args.older_than}, kept {done.kept}: {', '.join(done.dropped) or '-'}")
    return 0


def run(args: argparse.Namespace) -> int:
    return int(args.handler(args))
