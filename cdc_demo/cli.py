"""``cdc demo run|up|load`` and ``cdc verify``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from cdc_demo.source import TABLES

if TYPE_CHECKING:
    from cdc_demo.demo import DemoOptions
    from cdc_demo.verify import Health

    _Sub = argparse._SubParsersAction[argparse.ArgumentParser]


def add_parsers(subparsers: _Sub) -> None:
    """Register ``demo`` (with run/up/load) and ``verify``."""
    demo = subparsers.add_parser("demo", help="the end-to-end pipeline on the local default")
    sub = demo.add_subparsers(dest="demo_command", required=True)
    for name, text in (("run", "workload, convergence, report; then stop everything"),
                       ("up", "start everything and keep it running until Ctrl-C")):
        _add_run_options(sub.add_parser(name, help=text), name)
    _add_load_parser(sub)
    _add_verify_parser(subparsers)


def _add_run_options(cmd: argparse.ArgumentParser, name: str) -> None:
    cmd.add_argument("--duration", type=float, default=60.0, help="workload seconds (run)")
    cmd.add_argument("--rate", type=float, default=200.0 if name == "run" else 20.0,
                     help="row changes per second")
    cmd.add_argument("--seed", type=int, default=42)
    cmd.add_argument("--checkpoint-interval-ms", type=int, default=2000,
                     help="Flink checkpoint interval: the floor of end-to-end latency")
    cmd.add_argument("--no-flink", action="store_true",
                     help="sink reads the raw Debezium topics (no Flink job)")
    cmd.add_argument("--cluster", action="store_true",
                     help="the job on a Flink session cluster (a JobManager and two "
                          "TaskManagers, cdc job submit) at parallelism 2")
    cmd.add_argument("--faults", action="store_true",
                     help="run: mid-workload plant a poison record, restart Kafka Connect, "
                          "kill -9 a TaskManager (the job, embedded) and the sink, once each")
    cmd.add_argument("--stack-dir", type=Path,
                     help="re-use the stack of `cdc stack up --connect --dir DIR` "
                          "(none there: start one in DIR for this run)")
    cmd.set_defaults(handler=_run if name == "run" else _up)


def _add_load_parser(sub: _Sub) -> None:
    load = sub.add_parser("load", help="play the seeded shop workload against a source DB")
    load.add_argument("--dsn", required=True, help="source database (schema from "
                      "schemas/source/shop.sql, applied with --setup)")
    load.add_argument("--setup", action="store_true", help="apply the DDL, insert base rows")
    load.add_argument("--rate", type=float, default=200.0, help="row changes per second")
    load.add_argument("--duration", type=float, help="seconds (default: until --changes)")
    load.add_argument("--changes", type=int, help="stop after this many row changes")
    load.add_argument("--seed", type=int, default=42)
    load.set_defaults(handler=_load)


def _add_verify_parser(subparsers: _Sub) -> None:
    cmd = subparsers.add_parser("verify", help="compare source and warehouse table by table")
    cmd.add_argument("--source-dsn", required=True)
    cmd.add_argument("--source-schema", default="public")
    cmd.add_argument("--warehouse-dsn", required=True)
    cmd.add_argument("--warehouse-schema", default="warehouse")
    cmd.add_argument("--tables", nargs="+", default=list(TABLES))
    cmd.add_argument("--wait", type=float, default=0.0,
                     help="retry for up to this many seconds until converged")
    cmd.add_argument("--connect-url", help="Kafka Connect REST API: also report a FAILED "
                     "connector or task of --connector (and stop waiting on it)")
    cmd.add_argument("--connector", action="append", default=[],
                     help="connector feeding these tables (repeatable; needs --connect-url)")
    cmd.set_defaults(handler=_verify)


def run(args: argparse.Namespace) -> int:
    return int(args.handler(args))


def _options(args: argparse.Namespace) -> DemoOptions:
    from cdc_demo.demo import DemoOptions

    return DemoOptions(duration_s=args.duration, rate=args.rate, seed=args.seed,
                       through_flink=not args.no_flink,
                       checkpoint_interval_ms=args.checkpoint_interval_ms,
                       stack_dir=args.stack_dir.resolve() if args.stack_dir else None,
                       cluster=args.cluster, faults=args.faults)


def _run(args: argparse.Namespace) -> int:
    from cdc_demo import demo

    return demo.run(_options(args))


def _up(args: argparse.Namespace) -> int:
    from cdc_demo import demo

    return demo.up(_options(args))


def _load(args: argparse.Namespace) -> int:
    from cdc_demo import source
    from cdc_demo.load import Loader
    from cdc_demo.workload import Workload

    loader = Loader(args.dsn, Workload(args.seed), args.rate)
    if args.setup:
        source.apply_ddl(args.dsn)
        loader.setup()
    stats = loader.run(duration_s=args.duration, changes=args.changes)
    print(f"{stats.transactions} transactions, {stats.changes} changes in "
          f"{stats.elapsed_s:.1f}s ({stats.rate:.0f}/s)")
    return 0


def _verify(args: argparse.Namespace) -> int:
    from cdc_demo.verify import Side, wait_converged

    report = wait_converged(Side(args.source_dsn, args.source_schema),
                            Side(args.warehouse_dsn, args.warehouse_schema), args.tables,
                            timeout_s=args.wait, health=_connector_health(args))
    for t in report.tables:
        print(f"{t.table:<14} source {t.source_rows:>7}  live {t.warehouse_live:>7}  "
              f"deleted {t.warehouse_deleted:>7}  mismatches {t.mismatch_count}")
        print("".join(f"    {m}\n" for m in t.mismatches), end="")
    if report.pipeline_failure is not None:
        print(f"PIPELINE FAILURE: {report.pipeline_failure}")
    print("CONVERGED" if report.converged else "DIVERGED", file=sys.stdout)
    return 0 if report.converged else 1


def _connector_health(args: argparse.Namespace) -> Health | None:
    """The first FAILED connector or task among ``--connector``, when Connect is named."""
    if not args.connect_url or not args.connector:
        return None
    from cdc_demo.connector import Connect

    connect = Connect(args.connect_url)
    return lambda: next((f for f in map(connect.failure, args.connector) if f), None)
