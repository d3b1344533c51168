"""``cdc job run --config FILE``: run the processor job (embedded mini-cluster by default)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pydantic import ValidationError

from cdc_core.errors import ConfigError


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``job`` command and its ``run`` sub-command."""
    job = subparsers.add_parser("job", help="run the PyFlink processor job")
    sub = job.add_subparsers(dest="job_command", required=True)
    run_cmd = sub.add_parser("run", help="run the job until it ends (bounded) or is stopped")
    run_cmd.add_argument("--config", type=Path, required=True,
                         help="job YAML (keys overridable by CDC_JOB__SECTION__KEY)")


def run(args: argparse.Namespace) -> int:
    """Validate the configuration, then run the job in this process."""
    from flink_jobs.config import load
    from flink_jobs.processor import run as run_job

    try:
        config = load(args.config)
    except (ValidationError, ConfigError, OSError) as exc:
        print(f"invalid job configuration {args.config}: {exc}", file=sys.stderr)
        return 2
    run_job(config)
    return 0
