"""``cdc job run --config FILE``: run the processor job (embedded mini-cluster by default);
``cdc job submit | status | stop``: the same job on a Flink session cluster (``cluster_cli``).

Errors are reported by the ``cdc`` entry point; a configuration error found while the job
is wired (a contracts file, say) reads the same as one found in the YAML.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from cdc_core.logs import configure_logging
from flink_jobs import cluster_cli

if TYPE_CHECKING:
    from flink_jobs.config import JobConfig

log = logging.getLogger(__name__)


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``job`` command and its ``run`` sub-command."""
    job = subparsers.add_parser("job", help="run the PyFlink processor job")
    sub = job.add_subparsers(dest="job_command", required=True)
    run_cmd = sub.add_parser("run", help="run the job until it ends (bounded) or is stopped")
    run_cmd.add_argument("--config", type=Path, required=True,
                         help="job YAML (keys overridable by CDC_JOB__SECTION__KEY)")
    run_cmd.set_defaults(job_handler=run_embedded)
    cluster_cli.add_parsers(sub)


def run(args: argparse.Namespace) -> int:
    """Dispatch a parsed ``job`` command."""
    return int(args.job_handler(args))


def run_embedded(args: argparse.Namespace) -> int:
    """Validate the configuration, check Kafka's and the registry's answer to the job's
    user (flink_jobs/preflight.py), then run the job in this process."""
    configure_logging()
    # import-time INFO chatter of PyFlink's dependencies; a line per registry request
    for noisy in ("apache_beam", "py4j", "httpx", "httpx2"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    from flink_jobs.config import load
    from flink_jobs.preflight import check_job

    config = load(args.config)
    check_job(config)
    for warning in local_warnings(config):
        log.warning(warning)
    _run_saying_refusals(config)
    return 0


def _run_saying_refusals(config: JobConfig) -> None:
    """Run the job; a failure caused by a Kafka refusal becomes its one line."""
    from flink_jobs.preflight import job_failure
    from flink_jobs.processor import run as run_job

    try:
        run_job(config)
    except Exception as exc:  # py4j's error for the failed job: its Java cause chain
        refused = job_failure(config, exc)
        if refused is None:
            raise
        raise refused from None


def local_warnings(config: JobConfig) -> list[str]:
    """What an operator should know before this config runs on the embedded mini-cluster."""
    job, warnings = config.job, []
    if job.execution_mode == "thread" and job.parallelism > 1:
        warnings.append(
            f"job.parallelism {job.parallelism} in thread mode: the embedded mini-cluster "
            "runs every subtask in one Python interpreter, so this is slower than "
            "parallelism 1, not faster (flink_jobs/README.md, Performance); on a "
            "cluster give each TaskManager one slot")
    if job.checkpoint_dir is None and not config.kafka.bounded:
        warnings.append(
            "job.checkpoint_dir is not set: checkpoints are kept in the JobManager's memory, "
            "capped at 5 MB of state (a larger checkpoint fails and the job restarts) and "
            "lost with this process, so there is nothing to restore from; set a durable "
            "job.checkpoint_dir for a long-running job")
    return warnings
