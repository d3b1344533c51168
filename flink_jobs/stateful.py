"""Dedup, enrichment and windowed metrics: the JVM stages (``cdc.flink.state``) wired in.

The operators are Java classes in ``flink_jobs/jvm`` (built by ``make jvm`` into its
``target/``); this module only configures them through PyFlink's gateway, once per job, so
no Python function runs per record in these stages.  Per-job work stays here: registering
the metrics topic's schemas (``metrics_schemas.json``) and reading the enrichment rules
from the contracts.
"""

from __future__ import annotations

import json
from pathlib import Path

from pyflink.datastream import DataStream
from pyflink.java_gateway import get_gateway
from pyflink.util.java_utils import add_jars_to_context_class_loader

from cdc_core.registry import Registry
from flink_jobs.config import JobConfig
from flink_jobs.jars import jvm_jar
from flink_jobs.jvm_decode import DecodeSettings

# Kept once for both sides: MetricsFunctionTest (flink_jobs/jvm) decodes the topic with it.
METRICS_SCHEMAS = Path(__file__).resolve().parent / "metrics_schemas.json"


def stateful_stages(routed: DataStream, settings: DecodeSettings, config: JobConfig
                    ) -> tuple[DataStream, DataStream, DataStream]:
    """Sink rows of dedup (processed), enrichment (enriched) and metrics, in that order
    (``flink_jobs.tables.OUTPUT_TABLES``), over the decoder's timestamped rows."""
    add_jars_to_context_class_loader([jvm_jar(config).resolve().as_uri()])
    state = get_gateway().jvm.cdc.flink.state
    processing, metrics = config.processing, config.metrics
    key_id, value_id = register_metrics_schemas(config)
    stages = state.StatefulStages(config.job.parallelism == 1, processing.dedup_window_ms,
                                  processing.dedup_retention_ms, metrics.window_ms,
                                  metrics.topic, key_id, value_id)
    for table, rule in settings.rules().items():
        stages.enrich(table, list(rule.fields), rule.wait_ms)
    processed = DataStream(stages.apply(routed._j_data_stream))
    return processed, DataStream(stages.enriched()), DataStream(stages.metrics())


def register_metrics_schemas(config: JobConfig) -> tuple[int, int]:
    """The metrics topic's key and value schema ids (TopicNameStrategy), registered."""
    registry = Registry(config.registry)
    topic = config.metrics.topic
    key, value = metrics_schemas()
    return registry.register(f"{topic}-key", key), registry.register(f"{topic}-value", value)


def metrics_schemas() -> tuple[str, str]:
    """The metrics topic's key and value schemas, as Avro schema JSON."""
    doc = json.loads(METRICS_SCHEMAS.read_text(encoding="utf-8"))
    return json.dumps(doc["key"]), json.dumps(doc["value"])
