"""A Flink standalone session cluster from PyFlink's own distribution (no download).

The ``apache-flink`` package ships ``bin/``, ``lib/``, ``opt/`` and ``plugins/`` of the
Flink release it wraps; ``jobmanager.sh`` / ``taskmanager.sh start-foreground`` exec the
JVM in place, so the pid recorded is the JVM's and SIGTERM stops it cleanly. The cluster's
configuration lives in its own directory in the run directory (``FLINK_CONF_DIR``):
loopback binds, ports picked free by the stack, checkpoint and savepoint directories, a
restart strategy and Prometheus reporters. Settings that differ per process (a
TaskManager's ports, every process's reporter port) are dynamic properties (``-D``).
"""

from __future__ import annotations

import os
import shutil
import site
from dataclasses import dataclass
from pathlib import Path

import yaml

from cdc_stack.processes import ProcessRecord, spawn

PROMETHEUS_FACTORY = "org.apache.flink.metrics.prometheus.PrometheusReporterFactory"
JOBMANAGER = "flink-jobmanager"
PROJECT_ROOT = Path(__file__).resolve().parents[3]


def flink_home() -> Path:
    """The Flink distribution inside the installed ``pyflink`` package."""
    import pyflink

    return Path(pyflink.__file__).resolve().parent


def taskmanager_name(index: int) -> str:
    """Process name of TaskManager ``index`` (from 1) in the stack's records."""
    return f"flink-taskmanager-{index}"


@dataclass(frozen=True)
class JobManagerPorts:
    """The JobManager's listening ports."""

    rest: int
    rpc: int
    blob: int
    metrics: int


@dataclass(frozen=True)
class TaskManagerPorts:
    """One TaskManager's listening ports."""

    rpc: int
    data: int
    metrics: int


def cluster_config(jm: JobManagerPorts, work: Path, *, slots: int) -> dict[str, str]:
    """The cluster-wide ``config.yaml`` (flat keys): what every process of it reads."""
    return {
        "jobmanager.rpc.address": "127.0.0.1",
        "jobmanager.rpc.port": str(jm.rpc),
        "jobmanager.bind-host": "127.0.0.1",
        "jobmanager.memory.process.size": "1024m",
        "jobmanager.execution.failover-strategy": "region",
        "rest.address": "127.0.0.1",
        "rest.bind-address": "127.0.0.1",
        "rest.port": str(jm.rest),
        "blob.server.port": str(jm.blob),
        "taskmanager.host": "127.0.0.1",
        "taskmanager.bind-host": "127.0.0.1",
        "taskmanager.numberOfTaskSlots": str(slots),
        "taskmanager.memory.process.size": "1536m",
        # A job's slots are spread over the TaskManagers, not packed into the first.
        "taskmanager.load-balance.mode": "SLOTS",
        # A lost TaskManager is noticed in seconds, not the 50 s default.
        "heartbeat.interval": "2000",
        "heartbeat.timeout": "10000",
        "restart-strategy.type": "fixed-delay",
        "restart-strategy.fixed-delay.attempts": "1000",
        "restart-strategy.fixed-delay.delay": "2 s",
        "execution.checkpointing.dir": (work / "checkpoints").as_uri(),
        "execution.checkpointing.savepoint-dir": (work / "savepoints").as_uri(),
        "io.tmp.dirs": str(work / "tmp"),
        "metrics.reporter.prom.factory.class": PROMETHEUS_FACTORY,
        "metrics.reporter.prom.port": str(jm.metrics),
    }


def taskmanager_properties(index: int, ports: TaskManagerPorts) -> dict[str, str]:
    """What differs between TaskManagers of one cluster on one host."""
    return {"taskmanager.resource-id": taskmanager_name(index),
            "taskmanager.rpc.port": str(ports.rpc),
            "taskmanager.data.port": str(ports.data),
            "metrics.reporter.prom.port": str(ports.metrics)}


def dynamic_args(properties: dict[str, str]) -> list[str]:
    """``-D key=value`` arguments of the start scripts."""
    return [arg for key, value in properties.items() for arg in ("-D", f"{key}={value}")]


def write_conf(work: Path, config: dict[str, str]) -> Path:
    """The cluster's conf directory: its ``config.yaml`` and the distribution's log4j files."""
    conf = work / "conf"
    conf.mkdir(parents=True, exist_ok=True)
    for name in ("log4j-console.properties", "log4j-cli.properties", "logback-console.xml"):
        shutil.copyfile(flink_home() / "conf" / name, conf / name)
    (conf / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    for sub in ("checkpoints", "savepoints", "tmp", "pids"):
        (work / sub).mkdir(parents=True, exist_ok=True)
    return conf


def script_env(work: Path, java: str) -> dict[str, str]:
    """Environment of the start scripts and of ``flink run``.

    ``PYTHONPATH`` holds the project and this interpreter's packages: thread mode embeds
    Python in the TaskManager JVM, which imports from the JVM's environment."""
    python_path = os.pathsep.join([str(PROJECT_ROOT), *site.getsitepackages()])
    return {**os.environ, "FLINK_CONF_DIR": str(work / "conf"),
            "FLINK_LOG_DIR": str(work.parent / "logs"), "FLINK_PID_DIR": str(work / "pids"),
            "JAVA_HOME": str(Path(java).resolve().parent.parent),
            "PYTHONPATH": python_path}


def start_jobmanager(java: str, run_dir: Path, jm: JobManagerPorts, *, slots: int
                     ) -> ProcessRecord:
    """Write the cluster's configuration and start its JobManager."""
    work = run_dir / "flink"
    write_conf(work, cluster_config(jm, work, slots=slots))
    argv = [str(flink_home() / "bin" / "jobmanager.sh"), "start-foreground"]
    return spawn(JOBMANAGER, argv, run_dir / "logs" / f"{JOBMANAGER}.log",
                 env=script_env(work, java), cwd=work)


def start_taskmanager(java: str, run_dir: Path, index: int, ports: TaskManagerPorts
                      ) -> ProcessRecord:
    """Start TaskManager ``index`` against the cluster configured by ``start_jobmanager``."""
    work, name = run_dir / "flink", taskmanager_name(index)
    argv = [str(flink_home() / "bin" / "taskmanager.sh"), "start-foreground",
            *dynamic_args(taskmanager_properties(index, ports))]
    return spawn(name, argv, run_dir / "logs" / f"{name}.log", env=script_env(work, java),
                 cwd=work)
