"""Apache Kafka 4.x brokers in KRaft combined mode (broker + controller in one process).

One node by default; with three, every node is a voter of the controller quorum, and the
internal and pipeline topics are replicated three times with ``min.insync.replicas=2``,
so any one node can be lost without losing an acknowledged write."""

from __future__ import annotations

import base64
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

from cdc_stack import kafka_secure, resolve
from cdc_stack.errors import ServiceStartError
from cdc_stack.processes import ProcessRecord, spawn
from cdc_stack.security import Material

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


@dataclass(frozen=True)
class Node:
    """One node of the cluster: its id and ports."""

    node_id: int
    port: int
    controller_port: int


def process_name(node_id: int) -> str:
    """``kafka`` for the first node (the single-broker stack's name), ``kafka-N`` after."""
    return "kafka" if node_id == 1 else f"kafka-{node_id}"


def voters(nodes: list[Node]) -> str:
    """The static controller quorum: every node."""
    return ",".join(f"{n.node_id}@127.0.0.1:{n.controller_port}" for n in nodes)


def server_properties(port: int, controller_port: int, log_dir: Path, *, node_id: int = 1,
                      quorum: str | None = None, replicas: int = 1) -> str:
    """One combined node; ``replicas`` copies of every topic (at least two in sync when
    there are more than one) and a 1 h transaction maximum (Flink)."""
    min_isr = str(min(replicas, 2))
    return "\n".join([
        "process.roles=broker,controller",
        f"node.id={node_id}",
        f"controller.quorum.voters={quorum or f'{node_id}@127.0.0.1:{controller_port}'}",
        f"listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
        f"advertised.listeners=PLAINTEXT://127.0.0.1:{port}",
        "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "controller.listener.names=CONTROLLER",
        "inter.broker.listener.name=PLAINTEXT",
        f"log.dirs={log_dir}",
        "num.partitions=1",
        f"offsets.topic.replication.factor={replicas}",
        "offsets.topic.num.partitions=10",
        f"transaction.state.log.replication.factor={replicas}",
        f"transaction.state.log.min.isr={min_isr}",
        "transaction.state.log.num.partitions=10",
        f"share.coordinator.state.topic.replication.factor={replicas}",
        f"share.coordinator.state.topic.min.isr={min_isr}",
        f"default.replication.factor={replicas}",
        f"min.insync.replicas={min_isr}",
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
          jvm_opts: list[str], node_id: int = 1, cluster: list[Node] | None = None,
          cluster_uuid: str | None = None, secured: Material | None = None) -> ProcessRecord:
    """Format the storage (first start only) and launch the node (one of ``cluster``);
    ``secured``: its client listener SASL_SSL, its users and ACLs on (kafka_secure.py)."""
    name = process_name(node_id)
    work = run_dir / name
    work.mkdir(parents=True, exist_ok=True)
    props = work / "server.properties"
    nodes = cluster or [Node(node_id, port, controller_port)]
    text = server_properties(port, controller_port, work / "data", node_id=node_id,
                             quorum=voters(nodes), replicas=min(len(nodes), 3))
    props.touch(mode=0o600, exist_ok=True)  # a secured node's file holds its passwords
    props.write_text(text if secured is None else
                     kafka_secure.secure_properties(text, port, controller_port, secured))
    log = run_dir / "logs" / f"{name}.log"
    base = [java, *jvm_opts, f"-Dlog4j2.configurationFile={TEMPLATES / 'log4j2.properties'}",
            "-cp", resolve.classpath(cache, "kafka")]
    if not (work / "data" / "meta.properties").exists():
        fmt = subprocess.run([*base, "kafka.tools.StorageTool", "format", "-t",
                              cluster_uuid or cluster_id(), "-c", str(props),
                              *(kafka_secure.scram_format_args(secured) if secured else [])],
                             capture_output=True, text=True, check=False)
        if fmt.returncode != 0:
            raise ServiceStartError(name, "storage format failed", fmt.stdout + fmt.stderr)
    return spawn(name, [*base, "kafka.Kafka", str(props)], log)
