"""``cdc job submit | status | stop``: the processor on a Flink session cluster.

The cluster is ``--cluster URL`` (its REST API), else ``$CDC_FLINK_CLUSTER``, else the
session cluster of the local stack in ``$CDC_STACK_DIR`` (``cdc stack up --flink-cluster``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
from pathlib import Path

from cdc_core.errors import ConfigError
from flink_jobs.cluster import Cluster, ClusterRefused, submit_argv, submitted_job_id


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``submit``, ``status`` and ``stop`` under ``cdc job``."""
    submit = sub.add_parser("submit", help="submit the job to a Flink session cluster")
    submit.add_argument("--config", type=Path, required=True, help="the job YAML of `run`")
    submit.add_argument("--from-savepoint", help="start from this savepoint or checkpoint")
    submit.add_argument("--pyfs", type=Path,
                        help="ship this directory to the cluster's Python workers (a cluster "
                             "whose TaskManagers do not have the project installed)")
    submit.set_defaults(job_handler=_submit)
    status = sub.add_parser("status", help="the cluster's jobs, state, last checkpoint")
    status.set_defaults(job_handler=_status)
    stop = sub.add_parser("stop", help="stop a job with a savepoint")
    stop.add_argument("--savepoint", required=True, help="directory (URI or path) to write to")
    stop.set_defaults(job_handler=_stop)
    for cmd in (submit, status, stop):
        cmd.add_argument("--cluster", help="the JobManager's REST URL (default: "
                                           "$CDC_FLINK_CLUSTER or the local stack's cluster)")
    for cmd in (status, stop):
        cmd.add_argument("--job", help="job id (default: the one running job)")


def cluster_url(given: str | None) -> str:
    """``--cluster``, ``$CDC_FLINK_CLUSTER``, or the local stack's session cluster."""
    url = given or os.environ.get("CDC_FLINK_CLUSTER") or _local_stack_cluster()
    if not url:
        raise ConfigError("--cluster: no Flink cluster given, no $CDC_FLINK_CLUSTER and no "
                          "local stack cluster (cdc stack up --flink-cluster)")
    return url


def _local_stack_cluster() -> str:
    state = Path(os.environ.get("CDC_STACK_DIR", ".cdc-stack")) / "stack.json"
    try:
        return str(json.loads(state.read_text())["endpoints"].get("flink_rest_url", ""))
    except (OSError, ValueError, KeyError, AttributeError):
        return ""


def _submit(args: argparse.Namespace) -> int:
    from flink_jobs.config import load
    from flink_jobs.preflight import check_job
    from flink_jobs.processor import runtime_options

    job_config = load(args.config)
    check_job(job_config)  # the cluster would retry a refusal quietly: said here instead
    config = runtime_options(job_config)
    argv = submit_argv(cluster_url(args.cluster), args.config, config.jars,
                       from_savepoint=args.from_savepoint, pyfs=args.pyfs)
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise ClusterRefused("flink run", " | ".join(
            (done.stdout + done.stderr).strip().splitlines()[-8:]))
    print(submitted_job_id(done.stdout + done.stderr))
    return 0


def _status(args: argparse.Namespace) -> int:
    cluster = Cluster(cluster_url(args.cluster))
    jobs = [j for j in cluster.jobs() if args.job in (None, j.job_id)]
    for job in jobs:
        checkpoint = cluster.latest_checkpoint(job.job_id) or "-"
        print(f"{job.job_id}  {job.state:<12} {job.name}  last checkpoint {checkpoint}")
    return 0 if any(j.state == "RUNNING" for j in jobs) else 3


def _stop(args: argparse.Namespace) -> int:
    cluster = Cluster(cluster_url(args.cluster))
    job_id = args.job or cluster.running_job().job_id
    print(cluster.stop_with_savepoint(job_id, args.savepoint))
    return 0
