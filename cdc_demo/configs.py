"""Names and configuration files of one pipeline run, as plain data.

Every run gets its own names (topic prefix, connector, slot, warehouse schema, consumer
group, transactional ids) derived from one ``run_id``, so runs and test cases never share
state. The sink and job configurations are the same YAML a user would write by hand
(``cdc sink run`` / ``cdc job run``), built here so the demo and the tests cannot drift
from the real services' configuration.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cdc_demo.secured import kafka_section, registry_section, warehouse_dsn
from cdc_demo.source import TABLES

REPO = Path(__file__).resolve().parent.parent
CONTRACTS_DIR = REPO / "schemas/contracts"


@dataclass(frozen=True)
class Names:
    """Everything named after the run (``run_id``: lowercase letters, digits, ``_``)."""

    run_id: str
    source_db: str = "shop"
    target_schema: str = "warehouse"

    @property
    def topic_prefix(self) -> str:
        return f"shop_{self.run_id}"

    @property
    def processed_prefix(self) -> str:
        return f"processed_{self.run_id}"

    @property
    def connector(self) -> str:
        return f"shop-{self.run_id}"

    @property
    def dlq_topic(self) -> str:
        return f"cdc_{self.run_id}.dlq"

    @property
    def sink_group(self) -> str:
        return f"cdc-sink-{self.run_id}"

    @property
    def job_group(self) -> str:
        return f"cdc-job-{self.run_id}"

    def raw_topics(self) -> list[str]:
        return [f"{self.topic_prefix}.public.{t}" for t in TABLES]

    def processed_topics(self) -> list[str]:
        return [f"{self.processed_prefix}.public.{t}" for t in TABLES]


@dataclass(frozen=True)
class Endpoints:
    """Where the engines answer (from ``cdc stack`` or real deployments)."""

    kafka_bootstrap: str
    registry_url: str  # Confluent-compatible API
    registry_v2_url: str  # Apicurio v2 API, for the Connect converter
    connect_url: str
    postgres_dsn: str  # the warehouse database
    secrets_dir: str = ""  # the secured stack's secrets (cdc stack up --secure); "": plain


def sink_config(names: Names, ep: Endpoints, *, through_flink: bool, http_port: int,
                batch_max_wait_ms: int = 50) -> dict[str, Any]:
    """``cdc sink run`` config: processed topics behind Flink, else the raw Debezium ones."""
    topics = names.processed_topics() if through_flink else names.raw_topics()
    return {
        "kafka": kafka_section(ep.secrets_dir, "sink", {
            "bootstrap_servers": ep.kafka_bootstrap, "group_id": names.sink_group,
            "topics": topics,
            # a killed sink's partitions move on after 10 s, not librdkafka's 45 s
            "properties": {"session.timeout.ms": "10000"}}),
        "registry": registry_section(ep.secrets_dir, ep.registry_url),
        "postgres": {"dsn": warehouse_dsn(ep.secrets_dir, ep.postgres_dsn, "sink"),
                     "target_schema": names.target_schema},
        "sink": {"batch_max_rows": 5000, "batch_max_wait_ms": batch_max_wait_ms,
                 "input_format": "processed" if through_flink else "debezium",
                 "dlq_topic": names.dlq_topic, "contracts_dir": str(CONTRACTS_DIR),
                 "lag_interval_s": 2.0},
        "http": {"host": "127.0.0.1", "port": http_port},
    }


def exporter_config(names: Names, ep: Endpoints, *, through_flink: bool,
                    http_port: int) -> dict[str, Any]:
    """``cdc lag-exporter`` config: the sink's group (and the job's), the run's connector."""
    groups = [names.sink_group, *([names.job_group] if through_flink else [])]
    return {"kafka": kafka_section(ep.secrets_dir, "exporter",
                                   {"bootstrap_servers": ep.kafka_bootstrap}),
            "groups": groups,
            "interval_s": 5.0,
            "connect": {"url": ep.connect_url, "connectors": [names.connector]},
            "http": {"host": "127.0.0.1", "port": http_port}}


def job_config(names: Names, ep: Endpoints, *, checkpoint_dir: Path,
               checkpoint_interval_ms: int, prometheus_port: int,
               restore_from: str | None = None, parallelism: int = 1) -> dict[str, Any]:
    """``cdc job run`` config for the raw topics of this run."""
    return {
        "kafka": kafka_section(ep.secrets_dir, "job", {
            "bootstrap_servers": ep.kafka_bootstrap, "topics": names.raw_topics(),
            "group_id": names.job_group}),
        "registry": registry_section(ep.secrets_dir, ep.registry_url),
        # the job_name the shipped flink_* alert rules select
        "job": {"name": "cdc-processor", "parallelism": parallelism,
                "checkpoint_interval_ms": checkpoint_interval_ms,
                "checkpoint_dir": checkpoint_dir.as_uri(), "restore_from": restore_from,
                "transactional_id_prefix": names.job_group,
                "transaction_timeout_ms": 120_000, "prometheus_port": str(prometheus_port)},
        "processing": {"processed_prefix": names.processed_prefix,
                       "dlq_topic": names.dlq_topic,
                       "contracts": [str(CONTRACTS_DIR / "shop.yaml")]},
        "metrics": {"topic": f"cdc_{names.run_id}.metrics",
                    "sums": {"public.orders": ["total_amount"]}},
    }
