"""OpenLineage run events for the sink: per committed batch and table, inputs the Kafka
topics, output the warehouse table with its row count (outputStatistics facet).

The sink calls ``LineageEmitter`` through its ``lineage`` hook after the warehouse commit
(step 4 of ``SinkService.commit``), so an event only ever describes durable work. Transports
(openlineage-python): ``http`` to a Marquez-compatible ``/api/v1/lineage``, ``file`` (JSON
lines, appended) or ``console`` (the log). Dataset names follow the OpenLineage naming spec:
``kafka://host:port`` + topic, ``postgres://host:port`` + ``database.schema.table``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.generated.output_statistics_output_dataset import (
    OutputStatisticsOutputDatasetFacet,
)
from openlineage.client.uuid import generate_new_uuid
from psycopg.conninfo import conninfo_to_dict

from cdc_sink.config import LineageConfig, SinkConfig
from cdc_sink.service import LineageHook

PRODUCER = "urn:cdc-pipeline:cdc_sink"  # the producer URI every event carries


@dataclass(frozen=True)
class Naming:
    """Where the sink's datasets live, in OpenLineage's naming scheme."""

    job_namespace: str
    job_prefix: str  # the consumer group: one lineage job per (group, table)
    kafka_namespace: str
    postgres_namespace: str
    postgres_prefix: str  # database.schema

    def job(self, table: str) -> Job:
        return Job(namespace=self.job_namespace, name=f"{self.job_prefix}.{table}")

    def output(self, table: str, rows: int) -> OutputDataset:
        stats = OutputStatisticsOutputDatasetFacet(rowCount=rows)
        return OutputDataset(namespace=self.postgres_namespace,
                             name=f"{self.postgres_prefix}.{table}",
                             outputFacets={"outputStatistics": stats})


def batch_events(naming: Naming, batch: Mapping[str, tuple[frozenset[str], int]],
                 now: datetime) -> list[RunEvent]:
    """One COMPLETE run event per table of the batch (pure: the clock is given)."""
    return [RunEvent(eventType=RunState.COMPLETE, eventTime=now.isoformat(),
                     run=Run(runId=str(generate_new_uuid(now))), job=naming.job(table),
                     inputs=[InputDataset(namespace=naming.kafka_namespace, name=topic)
                             for topic in sorted(topics)],
                     outputs=[naming.output(table, rows)], producer=PRODUCER)
            for table, (topics, rows) in sorted(batch.items())]


def naming_for(config: SinkConfig) -> Naming:
    """Dataset namespaces from the sink's own Kafka bootstrap and warehouse DSN."""
    first_broker = config.kafka.bootstrap_servers.split(",")[0].strip()
    dsn = conninfo_to_dict(config.postgres.conninfo())
    pg_host = f"{dsn.get('host', 'localhost')}:{dsn.get('port', 5432)}"
    database = dsn.get("dbname", dsn.get("user", "postgres"))
    return Naming(config.lineage.namespace, config.kafka.group_id, f"kafka://{first_broker}",
                  f"postgres://{pg_host}", f"{database}.{config.postgres.target_schema}")


def transport_config(config: LineageConfig) -> dict[str, Any]:
    """openlineage-python's transport settings for the configured target."""
    if config.transport == "http":
        return {"type": "http", "url": config.url, "endpoint": config.endpoint}
    if config.transport == "file":
        return {"type": "file", "log_file_path": str(config.file_path), "append": True}
    return {"type": "console"}


class LineageEmitter:
    """The sink's lineage hook: builds the batch's events and emits them."""

    def __init__(self, client: OpenLineageClient, naming: Naming) -> None:
        self.client, self.naming = client, naming

    def __call__(self, batch: dict[str, tuple[frozenset[str], int]]) -> None:
        for event in batch_events(self.naming, batch, datetime.now(UTC)):
            self.client.emit(event)


def hook_for(config: SinkConfig) -> LineageHook | None:
    """The emitter the sink configuration asks for, or None when lineage is off."""
    if config.lineage.transport == "off":
        return None
    client = OpenLineageClient(config={"transport": transport_config(config.lineage)})
    return LineageEmitter(client, naming_for(config))
