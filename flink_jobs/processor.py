"""The processor job: raw Debezium topics → processed topics, DLQ and metrics, exactly once.

Topology (one job; dedup, enrichment and metrics are JVM operators, see flink_jobs.stateful)::

    Kafka source table (raw key/value + topic/partition/offset + the event_id header)
      → decode+validate ──side──→ DLQ rows (with headers) ──────────→ Kafka DLQ sink table
          → watermarks (source.ts_ms per source partition)
          → key_by(row bucket) dedup ─────────────────→ processed rows → Kafka sink table
                  ├─side→ facts + dimension updates → key_by(join) enrich → Kafka sink table
                  └─side→ key_by(table) windowed metrics → metrics rows → Kafka sink table

Every Kafka sink table is exactly-once with its own transactional ids; each chains into
the operator that feeds it (flink_jobs.tables).

Runs unchanged on the embedded mini-cluster (``cdc job run --config FILE``) and on a Flink
cluster (``flink run -py flink_jobs/processor.py -j <connector jar> --config FILE``).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from pyflink.datastream import StreamExecutionEnvironment
from pyflink.table import StreamTableEnvironment
from pyflink.util.java_utils import add_jars_to_context_class_loader

from cdc_core.contracts import TableContract, load_contracts_text
from cdc_core.errors import ConfigError
from flink_jobs.config import JobConfig, load
from flink_jobs.jars import connector_jar, jvm_jar
from flink_jobs.jvm_decode import DecodeSettings, decode_stage
from flink_jobs.runtime import RuntimeOptions, environment
from flink_jobs.stateful import stateful_stages
from flink_jobs.tables import (
    DLQ_TABLE,
    OUTPUT_TABLES,
    dlq_sink_ddl,
    sink_ddl,
    source_ddl,
    source_query,
)


def load_table_contracts(paths: Sequence[Path]) -> dict[str, TableContract]:
    """All contracts of the configured files; one enrichment rule per table for now."""
    contracts = load_contracts_text("\n---\n".join(p.read_text() for p in paths))
    many = sorted(t for t, c in contracts.items() if len(c.enrichment) > 1)
    if many:
        raise ConfigError(f"{', '.join(many)}: only one enrichment rule per table is supported")
    return contracts


def runtime_options(config: JobConfig) -> RuntimeOptions:
    """Flink settings from the job config: checkpoints, state backend, restore path.

    Object reuse hands a record to the next chained operator as it is instead of a
    serializer copy: every operator of the job builds new output objects and never changes
    an input it has emitted or stored, which is what reuse requires.
    """
    job = config.job
    conf = {"state.backend.type": job.state_backend,
            "pipeline.object-reuse": "true",
            "execution.checkpointing.mode": "EXACTLY_ONCE",
            "execution.checkpointing.externalized-checkpoint-retention":
                "RETAIN_ON_CANCELLATION",
            "pipeline.name": job.name}
    if job.checkpoint_dir:
        conf["execution.checkpointing.dir"] = job.checkpoint_dir
    if job.restore_from:
        conf["execution.state-recovery.path"] = job.restore_from
    connector = connector_jar(config)
    jars = ((connector,) if connector else ()) + (jvm_jar(config),)
    return RuntimeOptions(jars=jars, parallelism=job.parallelism,
                          execution_mode=job.execution_mode,
                          checkpoint_interval_ms=job.checkpoint_interval_ms,
                          conf=tuple({**conf, **job.flink_conf}.items()),
                          prometheus_port=job.prometheus_port)


def decode_settings(config: JobConfig) -> DecodeSettings:
    """The decode stage's static inputs: DLQ topic, table contracts, metric sums."""
    return DecodeSettings(config.processing.dlq_topic,
                          load_table_contracts(config.processing.contracts),
                          dict(config.metrics.sums))


def build(env: StreamExecutionEnvironment, config: JobConfig) -> None:
    """Wire the whole job onto ``env`` (registers the metrics schemas: client-side I/O)."""
    t_env = StreamTableEnvironment.create(env)
    t_env.execute_sql(source_ddl(config))
    for table in OUTPUT_TABLES:
        t_env.execute_sql(sink_ddl(config, table))
    t_env.execute_sql(dlq_sink_ddl(config))
    settings = decode_settings(config)
    add_jars_to_context_class_loader([jvm_jar(config).resolve().as_uri()])
    raw = t_env.to_data_stream(t_env.sql_query(source_query()))
    decoded = decode_stage(raw, settings, config)
    statements = t_env.create_statement_set()
    outputs = stateful_stages(decoded.routed, settings, config)
    for table, stream in zip(OUTPUT_TABLES, outputs, strict=True):
        statements.add_insert(table, t_env.from_data_stream(stream))
    statements.add_insert(DLQ_TABLE, t_env.from_data_stream(decoded.dlq))
    statements.attach_as_datastream()


def run(config: JobConfig) -> None:
    """Build and execute the job; returns when a bounded job has finished."""
    env = environment(runtime_options(config))
    env.get_config().set_auto_watermark_interval(config.processing.watermark_interval_ms)
    build(env, config)
    env.execute(config.job.name)


def main(argv: Sequence[str] | None = None) -> None:
    """``flink run -py flink_jobs/processor.py -j <jar> --config FILE`` entry point."""
    parser = argparse.ArgumentParser(description="cdc processor job")
    parser.add_argument("--config", type=Path, required=True)
    args = parser.parse_args(argv)
    run(load(args.config))


if __name__ == "__main__":
    main()
