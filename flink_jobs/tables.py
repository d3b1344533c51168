"""DDL of the Kafka source and sink tables (Flink's Kafka SQL connector, same shaded JAR).

Why the Table connector and not ``KafkaSource``/``KafkaSink`` from the DataStream API:
PyFlink only offers a value-only deserializer and no header serializer, while the job
needs the key bytes, topic/partition/offset and headers in (event_id header, DLQ
location) and a per-record topic plus headers out (DLQ).  The Table connector exposes
exactly that as ``raw`` key/value columns and metadata columns, and it is the same
``KafkaSource`` / ``KafkaSink`` underneath: offsets in checkpoints (committed to Kafka on
checkpoint completion), ``read_committed`` input, and a transactional exactly-once sink.

Four sinks, all exactly-once, each with its own transactional id prefix: processed
changes (dedup's output), enriched changes and metrics records go to one sink table each,
so each sink chains into the operator that feeds it; they carry no headers, so their
tables have no ``headers`` column; only the DLQ's does.  Converting an (empty) header map
per record was about a fifth of a trivial Table-API job's cost.
"""

from __future__ import annotations

import re

from cdc_core.event_id import EVENT_ID_HEADER
from flink_jobs.config import JobConfig

SOURCE_TABLE = "cdc_raw"
SINK_TABLE = "cdc_out"
ENRICHED_TABLE = "cdc_out_enriched"
METRICS_TABLE = "cdc_out_metrics"
DLQ_TABLE = "cdc_dlq"
DLQ_TRANSACTION_SUFFIX = "-dlq"
# Transactional id suffix of each sink table of processed and metrics records.
OUTPUT_TABLES = {SINK_TABLE: "", ENRICHED_TABLE: "-enriched", METRICS_TABLE: "-metrics"}


def source_ddl(config: JobConfig) -> str:
    """The raw topics as (k, v, topic, partition, offset, headers) rows of bytes."""
    kafka = config.kafka
    options = {
        "connector": "kafka",
        "properties.bootstrap.servers": kafka.bootstrap_servers,
        "properties.group.id": kafka.group_id,
        "properties.isolation.level": "read_committed",
        "properties.auto.offset.reset": "earliest",
        "scan.startup.mode": "group-offsets",
        "key.format": "raw", "key.fields": "k",
        "value.format": "raw", "value.fields-include": "EXCEPT_KEY",
        **_subscription(config),
        **_passthrough(kafka.java_properties()),
    }
    if kafka.bounded:
        options["scan.bounded.mode"] = "latest-offset"
    columns = ("k BYTES, v BYTES, `topic` STRING METADATA VIRTUAL, "
               "`partition` INT METADATA VIRTUAL, `offset` BIGINT METADATA VIRTUAL, "
               "`headers` MAP<STRING, BYTES> METADATA VIRTUAL")
    return f"CREATE TABLE {SOURCE_TABLE} ({columns}) WITH ({_with(options)})"


def source_query() -> str:
    """The source rows the decoder reads: of the headers only ``event_id``'s bytes (or
    NULL), so no record pays for converting a map of all its headers."""
    return ("SELECT k, v, `topic`, `partition`, `offset`, "
            f"`headers`['{EVENT_ID_HEADER}'] AS event_id FROM {SOURCE_TABLE}")


_SINK_COLUMNS = "`topic` STRING METADATA, k BYTES, v BYTES"


def sink_ddl(config: JobConfig, table: str = SINK_TABLE) -> str:
    """An exactly-once sink of processed or metrics records (topic per record); ``table``
    is one of ``OUTPUT_TABLES``, whose suffix makes its transactional ids its own."""
    prefix = config.job.transactional_id_prefix + OUTPUT_TABLES[table]
    options = _sink_options(config, output_pattern(config), prefix)
    return f"CREATE TABLE {table} ({_SINK_COLUMNS}) WITH ({_with(options)})"


def dlq_sink_ddl(config: JobConfig) -> str:
    """The exactly-once sink of DLQ records, which carry the headers of docs/design.md."""
    columns = f"{_SINK_COLUMNS}, `headers` MAP<STRING, BYTES> METADATA"
    pattern = f"^{re.escape(config.processing.dlq_topic)}$"
    prefix = config.job.transactional_id_prefix + DLQ_TRANSACTION_SUFFIX
    options = _sink_options(config, pattern, prefix)
    return f"CREATE TABLE {DLQ_TABLE} ({columns}) WITH ({_with(options)})"


def output_pattern(config: JobConfig) -> str:
    """Regex of the topics the processed sink writes: processed topics and metrics topic."""
    prefix = re.escape(config.processing.processed_prefix)
    return f"^(?:{prefix}\\..+|{re.escape(config.metrics.topic)})$"


def _sink_options(config: JobConfig, pattern: str, transactional_prefix: str) -> dict[str, str]:
    return {
        "connector": "kafka",
        "topic-pattern": pattern,
        "properties.bootstrap.servers": config.kafka.bootstrap_servers,
        "properties.transaction.timeout.ms": str(config.job.transaction_timeout_ms),
        "sink.delivery-guarantee": "exactly-once",
        "sink.transactional-id-prefix": transactional_prefix,
        "key.format": "raw", "key.fields": "k",
        "value.format": "raw", "value.fields-include": "EXCEPT_KEY",
        **_passthrough(config.kafka.java_properties()),
    }


def _subscription(config: JobConfig) -> dict[str, str]:
    if config.kafka.topic_pattern:
        return {"topic-pattern": config.kafka.topic_pattern}
    return {"topic": ";".join(config.kafka.topics)}


def _passthrough(properties: dict[str, str]) -> dict[str, str]:
    """Kafka client properties (SASL/SSL ...) for the connector's ``properties.*``."""
    return {f"properties.{k}": v for k, v in properties.items()}


def _with(options: dict[str, str]) -> str:
    return ", ".join(f"'{_quote(k)}' = '{_quote(v)}'" for k, v in options.items())


def _quote(text: str) -> str:
    return text.replace("'", "''")
