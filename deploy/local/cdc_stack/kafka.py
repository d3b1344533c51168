"""An Apache Kafka 4.x broker in KRaft combined mode (broker + controller in one process)."""

from __future__ import annotations

import base64
import subprocess
import uuid
from pathlib import Path

from cdc_stack import resolve
from cdc_stack.errors import ServiceStartError
from cdc_stack.processes import ProcessRecord, spawn

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def server_properties(port: int, controller_port: int, log_dir: Path) -> str:
    """One combined node; replication factors of 1 and a 1 h transaction maximum (Flink)."""
    return "\n".join([
        "process.roles=broker,controller",
        "node.id=1",
        f"controller.quorum.voters=1@127.0.0.1:{controller_port}",
        f"listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
        f"advertised.listeners=PLAINTEXT://127.0.0.1:{port}",
        "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "controller.listener.names=CONTROLLER",
        "inter.broker.listener.name=PLAINTEXT",
        f"log.dirs={log_dir}",
        "num.partitions=1",
        "offsets.topic.replication.factor=1",
        "offsets.topic.num.partitions=10",
        "transaction.state.log.replication.factor=1",
        "transaction.state.log.min.isr=1",
        "transaction.state.log.num.partitions=10",
        "share.coordinator.state.topic.replication.factor=1",
        "share.coordinator.state.topic.min.isr=1",
        "group.initial.rebalance.delay.ms=0",
        "transaction.max.timeout.ms=3600000",
        "auto.create.topics.enable=true",
        "log.retention.hours=168",
        "",
    ])


def cluster_id() -> str:
    """A random cluster id in Kafka's own Uuid text form (url-safe base64, no padding).

    Never one starting with ``-`` (1 in 64 would): the storage tool's argument parser takes
    it for an option and the format fails, which is why Kafka's ``Uuid.randomUuid`` skips
    those too.
    """
    while True:
        found = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not found.startswith("-"):
            return found


def start(java: str, cache: Path, run_dir: Path, *, port: int, controller_port: int,
          jvm_opts: list[str]) -> ProcessRecord:
    """Format the storage (first start only) and launch the broker."""
    work = run_dir / "kafka"
    work.mkdir(parents=True, exist_ok=True)
    props = work / "server.properties"
    props.write_text(server_properties(port, controller_port, work / "data"))
    log = run_dir / "logs" / "kafka.log"
    base = [java, *jvm_opts, f"-Dlog4j2.configurationFile={TEMPLATES / 'log4j2.properties'}",
            "-cp", resolve.classpath(cache, "kafka")]
    if not (work / "data" / "meta.properties").exists():
        fmt = subprocess.run([*base, "kafka.tools.StorageTool", "format", "-t", cluster_id(),
                              "-c", str(props)], capture_output=True, text=True, check=False)
        if fmt.returncode != 0:
            raise ServiceStartError("kafka", "storage format failed", fmt.stdout + fmt.stderr)
    return spawn("kafka", [*base, "kafka.Kafka", str(props)], log)
