"""The JARs a job run needs: the Kafka SQL connector and the job's own JVM operators.

Each comes from the job config (``job.connector_jar``, ``job.jvm_jar``); what a config
leaves out, the command line that runs the job fills in for this machine (``cdc_cli.jars``:
the local stack's cache and this checkout's ``flink_jobs/jvm/target``) through the
environment variables below, so the job itself never looks for an engine's files.  On a
cluster (``flink run -j``) the JARs are given on the command line instead.
"""

from __future__ import annotations

import os
from pathlib import Path

from cdc_core.errors import ConfigError
from flink_jobs.config import JobConfig

DEFAULT_ENV = {"connector_jar": "CDC_JOB_DEFAULT_CONNECTOR_JAR",
               "jvm_jar": "CDC_JOB_DEFAULT_JVM_JAR"}


def connector_jar(config: JobConfig) -> Path | None:
    """The Kafka connector JAR, if known here (a cluster may provide its own)."""
    return _configured(config, "connector_jar")


def jvm_jar(config: JobConfig) -> Path:
    """The JAR of the job's JVM operators; it must exist."""
    jar = _configured(config, "jvm_jar")
    if jar is None:
        raise ConfigError("job.jvm_jar is not set (cdc job run sets it to flink_jobs/jvm/target's"
                          " JAR, built by `make jvm`)")
    if not jar.is_file():
        raise ConfigError(f"job.jvm_jar: {jar} does not exist (build it with `make jvm`)")
    return jar


def _configured(config: JobConfig, key: str) -> Path | None:
    value: Path | None = getattr(config.job, key)
    if value is not None:
        return value
    default = os.environ.get(DEFAULT_ENV[key])
    return Path(default) if default else None
