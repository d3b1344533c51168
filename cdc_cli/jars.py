"""This machine's JARs for a job run: what a job config may leave out (``flink_jobs.jars``).

The Kafka connector comes from the local stack's cache (``cdc stack resolve``), the job's
JVM operators from this checkout's build (``make jvm``).  Exported as environment defaults
before a ``cdc job`` command runs, so child processes (benchmark jobs) see them too; a
value already in the environment or in the job config wins.
"""

from __future__ import annotations

import os
from pathlib import Path

from cdc_stack import StackSettings, resolve
from cdc_stack.versions import CDC_FLINK_JVM_JAR, FLINK_KAFKA_CONNECTOR_JAR
from flink_jobs.jars import DEFAULT_ENV

JVM_TARGET = Path(__file__).resolve().parents[1] / "flink_jobs" / "jvm" / "target"


def local_job_jars() -> dict[str, Path]:
    """The connector JAR (if resolved) and the JVM operators' JAR (where it is built)."""
    connector = resolve.path_of(StackSettings().cache_dir, "flink") / FLINK_KAFKA_CONNECTOR_JAR
    found = {"jvm_jar": JVM_TARGET / CDC_FLINK_JVM_JAR}
    if connector.exists():
        found["connector_jar"] = connector
    return found


def export_local_job_jars() -> None:
    """Set the job's JAR defaults in this process's environment (existing values kept)."""
    for key, path in local_job_jars().items():
        os.environ.setdefault(DEFAULT_ENV[key], str(path))
