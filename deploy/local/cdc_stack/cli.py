"""``cdc stack up | down | status | resolve``: the local stack from a shell."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from cdc_stack import compose, resolve
from cdc_stack.stack import STATE_FILE, LocalStack, StackSettings, StackState


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``stack`` command and its sub-commands."""
    stack = subparsers.add_parser("stack", help="run Kafka, the registry and PostgreSQL locally")
    sub = stack.add_subparsers(dest="stack_command", required=True)
    default_dir = os.environ.get("CDC_STACK_DIR", ".cdc-stack")
    for name, text in (("up", "start the stack and wait until it is ready"),
                       ("down", "stop the stack's processes and delete its data"),
                       ("status", "show the stack's processes and endpoints")):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("--dir", type=Path, default=Path(default_dir),
                         help="run directory holding data, logs and stack.json "
                              "(default: $CDC_STACK_DIR or .cdc-stack)")
        cmd.set_defaults(handler=_HANDLERS[name])
        if name == "up":
            _add_up_options(cmd)
    gen = sub.add_parser("secrets", help="generate a CA, a server certificate and every "
                         "component's password (as --secure does), e.g. for "
                         "docker-compose.secure.yml")
    gen.add_argument("--out", type=Path, required=True, help="folder to write them into")
    gen.add_argument("--host", action="append", default=[],
                     help="a name the server certificate must also hold (repeatable)")
    gen.set_defaults(handler=_secrets)
    res = sub.add_parser("resolve", help="download the engines' JARs from Maven Central")
    res.add_argument("--all", action="store_true",
                     help="also Kafka Connect, Debezium and Compose's loader (built with Go)")
    res.set_defaults(handler=_resolve)


def _add_up_options(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("--connect", action="store_true",
                     help="also start Kafka Connect with the Debezium PostgreSQL plugin")
    cmd.add_argument("--secure", action="store_true",
                     help="TLS and passwords everywhere: Kafka SASL_SSL/SCRAM with ACLs, "
                          "PostgreSQL TLS + scram-sha-256, the registry over HTTPS "
                          "(CA, certificates, passwords in <dir>/secrets)")
    cmd.add_argument("--kafka-brokers", type=int, choices=(1, 3), default=1,
                     help="Kafka nodes (3: replication factor 3, min.insync.replicas 2)")
    cmd.add_argument("--flink-cluster", action="store_true",
                     help="also start a Flink session cluster (JobManager + TaskManagers) "
                          "from PyFlink's bundled distribution")
    cmd.add_argument("--taskmanagers", type=int, default=2,
                     help="TaskManagers of --flink-cluster (default 2)")
    cmd.add_argument("--slots", type=int, default=1,
                     help="task slots per TaskManager (default 1: one Python interpreter "
                          "per subtask in thread mode)")


def up_settings(args: argparse.Namespace) -> StackSettings:
    """The stack settings an ``up`` command line asks for, over the environment's."""
    settings = StackSettings()
    extra = [name for name, wanted in (("connect", args.connect),
                                       ("flink", args.flink_cluster))
             if wanted and name not in settings.services]
    return settings.model_copy(update={"services": (*settings.services, *extra),
                                       "flink_taskmanagers": args.taskmanagers,
                                       "flink_slots": args.slots,
                                       "kafka_brokers": args.kafka_brokers,
                                       "secure": args.secure or settings.secure})


def _print_state(state: StackState, alive: dict[str, bool] | None = None) -> None:
    ep = state.endpoints
    rows = [("kafka bootstrap", ep.kafka_bootstrap), ("schema registry", ep.registry_url),
            ("postgres dsn", ep.postgres_dsn), ("kafka connect", ep.connect_url),
            ("prometheus", ep.prometheus_url), ("flink rest/ui", ep.flink_rest_url),
            ("secrets", ep.secrets_dir)]
    for label, value in rows:
        if value:
            print(f"{label:<16} {value}")
    for name, rec in state.processes.items():
        # A service of several processes (flink-jobmanager, ...) has one start-up time.
        took = state.startup_s.get(name, state.startup_s.get(name.split("-")[0]))
        extra = f"ready in {took:.1f}s" if took is not None else ""
        if alive is not None:
            extra = "running" if alive.get(name) else "NOT RUNNING"
        print(f"  {name:<20} pid {rec.pid:<8} {extra:<16} log {rec.log_file}")
    if alive is None:
        print(f"stack ready in {state.total_startup_s:.1f}s; data and logs in {state.run_dir}")


def _up(args: argparse.Namespace) -> int:
    run_dir: Path = args.dir.resolve()
    if (run_dir / STATE_FILE).exists() and any(LocalStack.load(run_dir).status().values()):
        print(f"a stack is already running in {run_dir}; run `cdc stack down` first",
              file=sys.stderr)
        return 1
    stack = LocalStack(up_settings(args), run_dir)
    _print_state(stack.up())
    return 0


def _down(args: argparse.Namespace) -> int:
    run_dir: Path = args.dir.resolve()
    if not (run_dir / STATE_FILE).exists():
        print(f"no stack in {run_dir}", file=sys.stderr)
        return 1
    LocalStack.load(run_dir).down()
    print(f"stack in {run_dir} stopped and removed")
    return 0


def _status(args: argparse.Namespace) -> int:
    run_dir: Path = args.dir.resolve()
    if not (run_dir / STATE_FILE).exists():
        print(f"no stack in {run_dir}")
        return 3
    stack = LocalStack.load(run_dir)
    alive = stack.status()
    _print_state(stack.state, alive)
    return 0 if alive and all(alive.values()) else 3


def _secrets(args: argparse.Namespace) -> int:
    from cdc_stack import security

    found = security.generate_into(args.out.resolve(), tuple(args.host))
    env = found.directory / "compose.env"
    env.touch(mode=0o600, exist_ok=True)
    env.write_text(security.compose_env(found))
    print(f"CA, server certificate and passwords in {args.out}")
    return 0


def _resolve(args: argparse.Namespace) -> int:
    settings = StackSettings()
    resolve.resolve(settings.cache_dir, resolve.ALL if args.all else resolve.CORE)
    if args.all:
        compose.ensure(settings.cache_dir)
    print(f"engines resolved into {settings.cache_dir}")
    return 0


_HANDLERS = {"up": _up, "down": _down, "status": _status}


def run(args: argparse.Namespace) -> int:
    """Dispatch a parsed ``stack`` command (the ``cdc`` entry point reports its errors)."""
    return int(args.handler(args))
