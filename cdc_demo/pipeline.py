"""One pipeline run: source database, Debezium connector, optional Flink job, sink.

Used by the demo, the e2e tests and the latency benchmark alike, so all three exercise the
same wiring. Every piece can be stopped and started on its own (the e2e tests kill them);
``close`` removes what the run created that would otherwise keep costing: the connector,
its replication slot (which pins WAL) and publication.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic

from cdc_core.errors import PostgresUnavailable
from cdc_demo import cluster_jobs, connector, secured, source
from cdc_demo.children import CDC, Child, write_yaml
from cdc_demo.configs import Endpoints, Names, exporter_config, job_config, sink_config
from cdc_demo.verify import Side, VerifyReport, verify, wait_converged
from cdc_demo.workload import Key
from flink_jobs.cluster import Cluster

DEFAULT_CHECKPOINT_MS = 2000


def free_port() -> int:
    """A free loopback port for a child's HTTP endpoint."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Pipeline:
    """The moving parts of one run and where their files and logs go."""

    names: Names
    endpoints: Endpoints
    work_dir: Path
    through_flink: bool = True
    checkpoint_interval_ms: int = DEFAULT_CHECKPOINT_MS
    sink_port: int = field(default_factory=free_port)
    job_metrics_port: int = field(default_factory=free_port)
    exporter_port: int = field(default_factory=free_port)
    sink: Child | None = None
    job: Child | None = None
    exporter: Child | None = None
    job_starts: int = 0
    # The job on a Flink session cluster (its REST URL) instead of the embedded mini-cluster.
    cluster_url: str | None = None
    cluster_job_id: str | None = None
    job_parallelism: int = 1
    partitions: int = 1  # of every topic the run creates (a subtask per partition reads)
    job_metrics_ports: list[int] = field(default_factory=list)  # a cluster's reporters

    # -- source and connector ---------------------------------------------------------------
    @property
    def source_dsn(self) -> str:
        return source.with_database(self.endpoints.postgres_dsn, self.names.source_db)

    def prepare_source(self) -> None:
        """Create the source database and tables, and the topics the services read."""
        source.create_database(self.endpoints.postgres_dsn, self.names.source_db)
        source.apply_ddl(self.source_dsn)
        if self.endpoints.secrets_dir:  # debezium owns no table: it cannot make its own
            source.publish_to(self.source_dsn, "debezium",
                              self.connector_params().placeholders()["publication_name"])
        topics = [*self.names.raw_topics(), self.names.dlq_topic]
        topics += self.names.processed_topics() if self.through_flink else []
        create_topics(self.kafka_client(), topics, self.partitions)

    def kafka_client(self) -> dict[str, Any]:
        """librdkafka settings of the run's own clients (``admin`` on a secured stack)."""
        return secured.client(self.endpoints.secrets_dir, self.endpoints.kafka_bootstrap)

    def connector_params(self) -> connector.SourceParams:
        return connector.SourceParams.from_dsn(
            self.endpoints.postgres_dsn, name=self.names.connector,
            topic_prefix=self.names.topic_prefix, db_name=self.names.source_db)

    def start_connector(self) -> None:
        """Register the Debezium connector (template in deploy/) and wait until it runs."""
        spec = connector.connector_spec(self.connector_params(), self.endpoints.registry_v2_url,
                                        connector.load_template())
        spec["config"].update(secured.connector_settings(self.endpoints.secrets_dir))
        connector.register(self.endpoints.connect_url, spec)

    # -- Flink job and sink -----------------------------------------------------------------
    @property
    def checkpoint_dir(self) -> Path:
        return self.work_dir / "checkpoints"

    def start_job(self, restore_from: str | None = None) -> None:
        """``cdc job run`` on the embedded mini-cluster, or ``cdc job submit`` to the session
        cluster, optionally from a checkpoint or savepoint."""
        self.job_starts += 1
        embedded = self.cluster_url is None
        config = job_config(self.names, self.endpoints, checkpoint_dir=self.checkpoint_dir,
                            checkpoint_interval_ms=self.checkpoint_interval_ms,
                            prometheus_port=self.job_metrics_port,
                            restore_from=restore_from if embedded else None,
                            parallelism=self.job_parallelism)
        path = write_yaml(self.work_dir / f"job-{self.job_starts}.yaml", config)
        if self.cluster_url is None:
            self.job = Child.cdc("job", path, self.work_dir / "logs/job.log").start()
            return
        self.cluster_job_id = cluster_jobs.submit(self.cluster_url, path,
                                                  self.work_dir / "logs/job-submit.log",
                                                  from_savepoint=restore_from)

    def stop_job_with_savepoint(self) -> str:
        """Stop the cluster job with a savepoint in the run's directory; its path."""
        assert self.cluster_url is not None and self.cluster_job_id is not None
        target = (self.work_dir / "savepoints").as_uri()
        found = Cluster(self.cluster_url).stop_with_savepoint(self.cluster_job_id, target)
        self.cluster_job_id = None
        return found

    def start_sink(self) -> None:
        config = sink_config(self.names, self.endpoints, through_flink=self.through_flink,
                             http_port=self.sink_port)
        path = write_yaml(self.work_dir / "sink.yaml", config)
        self.sink = Child.cdc("sink", path, self.work_dir / "logs/sink.log").start()

    def start_exporter(self) -> None:
        """``cdc lag-exporter`` for the run's groups and its connector's health in Connect."""
        config = exporter_config(self.names, self.endpoints, through_flink=self.through_flink,
                                 http_port=self.exporter_port)
        path = write_yaml(self.work_dir / "lag-exporter.yaml", config)
        self.exporter = Child([*CDC, "lag-exporter", "--config", str(path)],
                              self.work_dir / "logs/lag-exporter.log").start()

    def job_metrics_urls(self) -> list[str]:
        """Where the job's metrics are: its own reporter, or the cluster's TaskManagers'."""
        ports = self.job_metrics_ports or [self.job_metrics_port]
        return [f"http://127.0.0.1:{port}/metrics" for port in ports]

    def scrape_targets(self) -> dict[str, list[str]]:
        """Prometheus jobs of this run, named as deploy/prometheus/alerts.yml selects them.
        Connect has no metrics endpoint: its connector and task health reaches Prometheus
        through the lag exporter (``cdc_connect_*``)."""
        targets = {"cdc-sink": [f"127.0.0.1:{self.sink_port}"],
                   "cdc-lag-exporter": [f"127.0.0.1:{self.exporter_port}"]}
        if self.through_flink:
            targets["flink"] = [url.removeprefix("http://").removesuffix("/metrics")
                                for url in self.job_metrics_urls()]
        return targets

    def start(self) -> None:
        """Source, connector, job (if in the path) and sink, in dependency order."""
        self.prepare_source()
        self.start_connector()
        if self.through_flink:
            self.start_job()
        self.start_sink()

    def latest_checkpoint(self) -> str | None:
        """The newest completed checkpoint (``chk-N`` with ``_metadata``), if any."""
        found = sorted(self.checkpoint_dir.glob("*/chk-*/_metadata"),
                       key=lambda p: int(p.parent.name[4:]))
        return str(found[-1].parent) if found else None

    # -- convergence and teardown -----------------------------------------------------------
    def wait_converged(self, expected_deleted: dict[str, set[Key]] | None = None,
                       timeout_s: float = 180.0,
                       on_report: Callable[[VerifyReport], None] | None = None
                       ) -> VerifyReport:
        connect = connector.Connect(self.endpoints.connect_url)
        return wait_converged(Side(self.source_dsn, "public"),
                              Side(self.endpoints.postgres_dsn, self.names.target_schema),
                              source.TABLES, expected_deleted, timeout_s=timeout_s,
                              health=lambda: connect.failure(self.names.connector),
                              on_report=on_report)

    def compare_now(self) -> VerifyReport:
        """One comparison of source and warehouse, now."""
        return verify(Side(self.source_dsn, "public"),
                      Side(self.endpoints.postgres_dsn, self.names.target_schema),
                      source.TABLES)

    def stop_services(self) -> None:
        """Graceful stop of the sink, then the job (the sink finishes its batch first)."""
        for child in (self.sink, self.job, self.exporter):
            if child is not None:
                child.stop()
        if self.cluster_url is not None and self.cluster_job_id is not None:
            Cluster(self.cluster_url).cancel(self.cluster_job_id)
            self.cluster_job_id = None

    def close(self, drop_source: bool = False) -> None:
        """Stop everything this run started; drop connector, slot and publication."""
        self.stop_services()
        connector.Connect(self.endpoints.connect_url).delete(self.names.connector)
        params = self.connector_params().placeholders()
        with contextlib.suppress(PostgresUnavailable):  # the source was never created
            source.drop_replication(self.source_dsn, params["slot_name"],
                                    params["publication_name"])
        if drop_source:
            source.drop_database(self.endpoints.postgres_dsn, self.names.source_db)


def create_topics(client: dict[str, Any], names: list[str], partitions: int = 1) -> None:
    """Topics with the brokers' default replication (existing ones are fine): subscribers
    need them to exist. ``client``: the brokers and any security settings."""
    admin = AdminClient(client)
    futures = admin.create_topics([NewTopic(n, partitions, -1) for n in names],
                                  operation_timeout=30)
    for future in futures.values():
        try:
            future.result(timeout=30)
        except Exception as exc:  # KafkaException; only "already exists" is fine
            if "TOPIC_ALREADY_EXISTS" not in str(exc):
                raise
