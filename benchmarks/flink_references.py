"""The jobs the processor is measured against (benchmarks/flink_throughput.py).

Both are defined from PyFlink and run wholly in the JVM: no Python function is on the
record path. Each reads a bounded processor job config (the same YAML the benchmark gives
``cdc job run``), so topics, group, parallelism, checkpoints and transactions are the
processor's, and each writes ``<processing.processed_prefix>.<schema>.<table>``.

* ``passthrough``: the processor's own Kafka source table and exactly-once sink table
  (``flink_jobs.tables``); each raw key and value copied as bytes to the processed topic
  of its raw topic. What Kafka in and out costs, with nothing else.
* ``flinksql``: the pipeline a user would write in Flink SQL instead of the processor: per
  raw topic a ``debezium-avro-confluent`` source table with the primary key (columns taken
  from the topic's registered writer schema), ``table.exec.source.cdc-events-duplicate``
  (Flink's own handling of replayed changes: a changelog-normalize stage keyed by the
  primary key), and an ``upsert-kafka`` sink with ``avro-confluent`` keys and values,
  exactly once. No DLQ, contracts, enrichment or metrics.

    .venv/bin/python benchmarks/flink_references.py {passthrough,flinksql} --config job.yaml
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cdc_cli.jars import export_local_job_jars
from cdc_stack import StackSettings, resolve
from cdc_stack.versions import FLINK_AVRO_CONFLUENT_REGISTRY_JAR
from flink_jobs.config import JobConfig, load
from flink_jobs.tables import SINK_TABLE, SOURCE_TABLE, sink_ddl, source_ddl
from tests.support.registry import registry_client

# Debezium's Avro types (Confluent converter) → Flink SQL types, for the tables' columns.
_PRIMITIVES = {"int": "INT", "long": "BIGINT", "string": "STRING", "boolean": "BOOLEAN",
               "float": "FLOAT", "double": "DOUBLE", "bytes": "BYTES"}


def processed_topic(config: JobConfig, raw_topic: str) -> str:
    """``<prefix>.<schema>.<table>`` → ``<processed_prefix>.<schema>.<table>``, as the
    processor names it."""
    return config.processing.processed_prefix + raw_topic[raw_topic.index("."):]


def passthrough_statements(config: JobConfig) -> list[str]:
    """DDL and the one INSERT of the pass-through job."""
    prefix = _literal(config.processing.processed_prefix)
    copy = (f"INSERT INTO {SINK_TABLE} SELECT CONCAT({prefix}, "
            f"SUBSTR(`topic`, POSITION('.' IN `topic`))), k, v FROM {SOURCE_TABLE}")
    return [source_ddl(config), sink_ddl(config), copy]


def flinksql_statements(config: JobConfig,
                        writer_schema: Callable[[str], dict[str, Any]]) -> list[str]:
    """DDL and INSERTs of the Flink SQL pipeline; ``writer_schema(subject)`` is the latest
    registered Avro schema of a subject."""
    statements = []
    for n, topic in enumerate(config.kafka.topics):
        key = [f["name"] for f in writer_schema(f"{topic}-key")["fields"]]
        columns = row_columns(writer_schema(f"{topic}-value"))
        statements += [_source_table(config, n, topic, columns, key),
                       _upsert_table(config, n, processed_topic(config, topic), columns, key),
                       f"INSERT INTO sink_{n} SELECT * FROM source_{n}"]
    return statements


def row_columns(envelope: dict[str, Any]) -> list[tuple[str, str]]:
    """(name, Flink type) of the row in a Debezium envelope schema's ``before`` field."""
    before = next(f for f in envelope["fields"] if f["name"] == "before")
    row = next(t for t in before["type"] if isinstance(t, dict))
    return [(f["name"], flink_type(f["type"])) for f in row["fields"]]


def flink_type(avro: Any) -> str:
    """The Flink SQL type of one Avro field type; a union with null is nullable."""
    if isinstance(avro, list):
        (inner,) = [t for t in avro if t != "null"]
        return flink_type(inner).removesuffix(" NOT NULL")
    if isinstance(avro, dict):
        if avro.get("logicalType") == "decimal":
            return f"DECIMAL({avro['precision']}, {avro.get('scale', 0)}) NOT NULL"
        avro = avro["type"]
    if avro not in _PRIMITIVES:
        raise ValueError(f"no Flink SQL column type for the Avro type {avro!r}")
    return f"{_PRIMITIVES[avro]} NOT NULL"


def _source_table(config: JobConfig, n: int, topic: str, columns: list[tuple[str, str]],
                  key: list[str]) -> str:
    kafka = config.kafka
    options = {"connector": "kafka", "topic": topic,
               "properties.bootstrap.servers": kafka.bootstrap_servers,
               "properties.group.id": f"{kafka.group_id}-{n}",
               "properties.isolation.level": "read_committed",
               "scan.startup.mode": "earliest-offset",
               "format": "debezium-avro-confluent",
               "debezium-avro-confluent.url": config.registry.url}
    if kafka.bounded:
        options["scan.bounded.mode"] = "latest-offset"
    return _table(f"source_{n}", columns, key, options)


def _upsert_table(config: JobConfig, n: int, topic: str, columns: list[tuple[str, str]],
                  key: list[str]) -> str:
    job = config.job
    options = {"connector": "upsert-kafka", "topic": topic,
               "properties.bootstrap.servers": config.kafka.bootstrap_servers,
               "properties.transaction.timeout.ms": str(job.transaction_timeout_ms),
               "sink.delivery-guarantee": "exactly-once",
               "sink.transactional-id-prefix": f"{job.transactional_id_prefix}-{n}",
               "key.format": "avro-confluent", "key.avro-confluent.url": config.registry.url,
               "value.format": "avro-confluent",
               "value.avro-confluent.url": config.registry.url}
    return _table(f"sink_{n}", columns, key, options)


def _table(name: str, columns: list[tuple[str, str]], key: list[str],
           options: dict[str, str]) -> str:
    cols = ", ".join(f"`{c}` {t}" for c, t in columns)
    pk = ", ".join(f"`{k}`" for k in key)
    with_ = ", ".join(f"{_literal(k)} = {_literal(v)}" for k, v in options.items())
    return f"CREATE TABLE {name} ({cols}, PRIMARY KEY ({pk}) NOT ENFORCED) WITH ({with_})"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def format_jar() -> Path:
    """The debezium-avro-confluent / avro-confluent format JAR (resolved if missing)."""
    cache = StackSettings().cache_dir
    resolve.resolve(cache, ["flink-formats"])
    return resolve.path_of(cache, "flink-formats") / FLINK_AVRO_CONFLUENT_REGISTRY_JAR


def run(kind: str, config: JobConfig) -> None:
    """Run one reference job to its end (a bounded config ends when its input does)."""
    from pyflink.table import StreamTableEnvironment

    from flink_jobs.processor import runtime_options
    from flink_jobs.runtime import environment

    options = runtime_options(config)
    if kind == "flinksql":
        options = dataclasses.replace(options, jars=(*options.jars, format_jar()))
        client = registry_client(config.registry.url)
        statements = flinksql_statements(config, lambda subject: json.loads(
            client.get_latest_version(subject).schema.schema_str))
    else:
        statements = passthrough_statements(config)
    t_env = StreamTableEnvironment.create(environment(options))
    t_env.get_config().set("table.exec.source.cdc-events-duplicate", "true")
    inserts = t_env.create_statement_set()
    for statement in statements:
        if statement.startswith("INSERT"):
            inserts.add_insert_sql(statement)
        else:
            t_env.execute_sql(statement)
    inserts.execute().wait()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kind", choices=["passthrough", "flinksql"])
    parser.add_argument("--config", type=Path, required=True,
                        help="a bounded processor job config (kafka.topics, not a pattern)")
    args = parser.parse_args(argv)
    export_local_job_jars()  # as cdc job run does: the connector JAR a config leaves out
    run(args.kind, load(args.config))


if __name__ == "__main__":
    main()
