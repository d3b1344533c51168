"""The Flink execution environment, wired the same way for every job.

PyFlink's embedded mini-cluster is the local default; on a real cluster (``flink run -py``)
the same code runs against the cluster's configuration. What the wiring must get right:
- the Kafka connector JAR (a shaded jar from Maven Central, see cdc_stack/versions.py);
- ``python.executable`` / ``python.client.executable``: the interpreter that has pyflink,
  or the Python workers fail with "No module named 'pyflink'";
- thread mode (PEMJA) runs Python inside the TaskManager JVM and imports from the JVM's
  ``PYTHONPATH``, so the environment's site-packages must be on it before the JVM starts.
"""

from __future__ import annotations

import os
import site
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pyflink.common import Configuration
from pyflink.datastream import StreamExecutionEnvironment

ExecutionMode = Literal["thread", "process"]


@dataclass(frozen=True)
class RuntimeOptions:
    """How to run a job: parallelism, Python execution mode and extra JARs."""

    jars: tuple[Path, ...]
    parallelism: int = 1
    execution_mode: ExecutionMode = "thread"
    checkpoint_interval_ms: int | None = None
    # Any other Flink options (state backend, checkpoint storage, restore path, reporters).
    conf: tuple[tuple[str, str], ...] = ()
    # Serve Flink's metrics (ours included) for Prometheus on this port or range ("9249-9259").
    prometheus_port: str | None = None


def python_path_for_workers() -> str:
    """This interpreter's import path, for PEMJA's embedded interpreter (thread mode)."""
    paths = [*site.getsitepackages(), *sys.path]
    project_root = str(Path(__file__).resolve().parent.parent)
    return os.pathsep.join(dict.fromkeys([project_root, *[p for p in paths if p]]))


def environment(options: RuntimeOptions) -> StreamExecutionEnvironment:
    """A configured StreamExecutionEnvironment (mini-cluster when run as a plain script)."""
    os.environ["PYTHONPATH"] = python_path_for_workers()  # read by the JVM launched next
    if options.prometheus_port:
        _add_prometheus_reporter(options.prometheus_port)
    config = Configuration()
    config.set_string("python.executable", sys.executable)
    config.set_string("python.client.executable", sys.executable)
    config.set_string("python.execution-mode", options.execution_mode)
    if options.jars:
        config.set_string("pipeline.jars", ";".join(p.resolve().as_uri() for p in options.jars))
    for key, value in (*_reporter_conf(options.prometheus_port), *options.conf):
        config.set_string(key, value)
    env = StreamExecutionEnvironment.get_execution_environment(config)
    env.set_parallelism(options.parallelism)
    if options.checkpoint_interval_ms:
        env.enable_checkpointing(options.checkpoint_interval_ms)
    return env


def _reporter_conf(port: str | None) -> tuple[tuple[str, str], ...]:
    if not port:
        return ()
    factory = "org.apache.flink.metrics.prometheus.PrometheusReporterFactory"
    return (("metrics.reporter.prom.factory.class", factory),
            ("metrics.reporter.prom.port", port))


def _add_prometheus_reporter(port: str) -> None:
    """Put PyFlink's bundled Prometheus reporter on the local JVM's classpath.

    The embedded mini-cluster does not load ``plugins/``; PyFlink's gateway launcher does
    add ``HADOOP_CLASSPATH`` to the JVM classpath, so the reporter JAR goes there.  On a
    cluster the reporter is configured in the cluster's own Flink configuration instead.
    """
    import pyflink

    found = sorted(Path(pyflink.__file__).parent.glob(
        "plugins/metrics-prometheus/flink-metrics-prometheus-*.jar"))
    if found:
        current = os.environ.get("HADOOP_CLASSPATH", "")
        os.environ["HADOOP_CLASSPATH"] = os.pathsep.join(p for p in (current, str(found[0])) if p)
