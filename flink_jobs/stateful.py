"""Dedup, enrichment and windowed metrics: the JVM stages (``cdc.flink.state``) wired in.

The operators are Java classes in ``flink_jobs/jvm`` (built by ``make jvm`` into its
``target/``); this module only configures them through PyFlink's gateway, once per job, so
no Python function runs per record in these stages.  Per-job work stays here: registering
the metrics topic's schemas and reading the enrichment rules from the contracts.
"""

from __future__ import annotations

import json
from typing import Any

from pyflink.datastream import DataStream
from pyflink.java_gateway import get_gateway
from pyflink.util.java_utils import add_jars_to_context_class_loader

from cdc_core.registry import Registry
from flink_jobs.config import JobConfig
from flink_jobs.jars import jvm_jar
from flink_jobs.jvm_decode import DecodeSettings

METRICS_KEY_SCHEMA: dict[str, Any] = {
    "type": "record", "name": "WindowKey", "namespace": "cdc.metrics",
    "fields": [{"name": "table", "type": "string"},
               {"name": "window_start_ms", "type": "long"}],
}
METRICS_VALUE_SCHEMA: dict[str, Any] = {
    "type": "record", "name": "TableWindow", "namespace": "cdc.metrics",
    "doc": "Increments of one table's changes in one event-time window; add per key.",
    "fields": [
        {"name": "table", "type": "string"},
        {"name": "window_start_ms", "type": "long"},
        {"name": "window_end_ms", "type": "long"},
        *({"name": f"count_{op}", "type": "long"} for op in ("c", "u", "d", "r")),
        {"name": "sums", "type": {"type": "map", "values": "string"}},
        {"name": "late", "type": "boolean"},
        {"name": "emitted_ts_ms", "type": "long"},
    ],
}
def stateful_stages(routed: DataStream, settings: DecodeSettings, config: JobConfig
                    ) -> DataStream:
    """Sink rows of dedup, enrichment and metrics over the decoder's timestamped rows."""
    add_jars_to_context_class_loader([jvm_jar(config).resolve().as_uri()])
    state = get_gateway().jvm.cdc.flink.state
    processing, metrics = config.processing, config.metrics
    key_id, value_id = register_metrics_schemas(config)
    stages = state.StatefulStages(config.job.parallelism == 1, processing.dedup_window_ms,
                                  processing.dedup_retention_ms, metrics.window_ms,
                                  metrics.topic, key_id, value_id)
    for table, rule in settings.rules().items():
        stages.enrich(table, list(rule.fields), rule.wait_ms)
    return DataStream(stages.apply(routed._j_data_stream))


def register_metrics_schemas(config: JobConfig) -> tuple[int, int]:
    """The metrics topic's key and value schema ids (TopicNameStrategy), registered."""
    registry = Registry(config.registry)
    topic = config.metrics.topic
    return (registry.register(f"{topic}-key", json.dumps(METRICS_KEY_SCHEMA)),
            registry.register(f"{topic}-value", json.dumps(METRICS_VALUE_SCHEMA)))
