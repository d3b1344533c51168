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


def python_path_for_workers() -> str:
    """This interpreter's import path, for PEMJA's embedded interpreter (thread mode)."""
    paths = [*site.getsitepackages(), *sys.path]
    project_root = str(Path(__file__).resolve().parent.parent)
    return os.pathsep.join(dict.fromkeys([project_root, *[p for p in paths if p]]))


def environment(options: RuntimeOptions) -> StreamExecutionEnvironment:
    """A configured StreamExecutionEnvironment (mini-cluster when run as a plain script)."""
    os.environ["PYTHONPATH"] = python_path_for_workers()  # read by the JVM launched next
    config = Configuration()
    config.set_string("python.executable", sys.executable)
    config.set_string("python.client.executable", sys.executable)
    config.set_string("python.execution-mode", options.execution_mode)
    config.set_string("pipeline.jars", ";".join(p.resolve().as_uri() for p in options.jars))
    env = StreamExecutionEnvironment.get_execution_environment(config)
    env.set_parallelism(options.parallelism)
    if options.checkpoint_interval_ms:
        env.enable_checkpointing(options.checkpoint_interval_ms)
    return env
