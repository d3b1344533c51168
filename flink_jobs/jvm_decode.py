"""The decode/validate stage: the JVM operator (``cdc.flink.decode``) wired in.

Per record, everything runs in the JVM (``flink_jobs/jvm``): Confluent framing, writer
schema by id from the registry, envelope rules, schema-change classification, contracts,
event_id, the processed record's encoding and every DLQ case; no Python function runs per
record on this path.  Per job, Python reads the contracts and hands the operator what it
needs as one JSON document (``settings_json``); the rules the JVM implements are the ones
``cdc_core`` implements for the sink, held in step by the golden vectors in ``tests/golden``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pyflink.datastream import DataStream
from pyflink.java_gateway import get_gateway

from cdc_core.connections import RegistryConnection
from cdc_core.contracts import EnrichmentRule, TableContract
from flink_jobs.config import JobConfig


@dataclass(frozen=True)
class DecodeSettings:
    """What the decode and the stateful stages need of the job: DLQ topic, contracts, sums."""

    dlq_topic: str
    contracts: dict[str, TableContract] = field(default_factory=dict)
    sums: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def rules(self) -> dict[str, EnrichmentRule]:
        """Enrichment rule per fact table (one per table, checked at start-up)."""
        return {t: c.enrichment[0] for t, c in self.contracts.items() if c.enrichment}

    def dimension_rules(self) -> dict[str, list[EnrichmentRule]]:
        """Per dimension table, one rule per lookup column with every field any fact uses.

        One update per dimension row and lookup column keeps a single, newest row in state
        even when several fact tables read different columns of it.
        """
        merged: dict[tuple[str, str], EnrichmentRule] = {}
        for rule in self.rules().values():
            key = (rule.dimension_table, rule.dimension_key)
            old = merged.get(key)
            fields = {**(old.fields if old else {}), **rule.fields}
            merged[key] = rule.model_copy(update={"fields": fields})
        found: dict[str, list[EnrichmentRule]] = {}
        for (table, _), rule in merged.items():
            found.setdefault(table, []).append(rule)
        return found


def settings_json(settings: DecodeSettings, config: JobConfig) -> str:
    """The JVM operator's settings (``cdc.flink.decode.DecodeSettings`` reads them)."""
    return json.dumps({
        "dlq_topic": settings.dlq_topic,
        "processed_prefix": config.processing.processed_prefix,
        "contracts": {t: c.model_dump(mode="json") for t, c in settings.contracts.items()},
        "enrichment": {t: r.model_dump(mode="json") for t, r in settings.rules().items()},
        "dimensions": {t: [r.model_dump(mode="json") for r in rules]
                       for t, rules in settings.dimension_rules().items()},
        "sums": {t: list(columns) for t, columns in settings.sums.items()},
        "registry": registry_json(config.registry),
    })


def registry_json(registry: RegistryConnection) -> dict[str, Any]:
    """The registry connection; a user-info file is read by each task, not shipped."""
    inline = registry.basic_auth_user_info
    return {"url": registry.url, "timeout_s": registry.timeout_s,
            "user_info": inline.get_secret_value() if inline is not None else None,
            "user_info_file": _text(registry.basic_auth_user_info_file),
            "ssl_ca_location": _text(registry.ssl_ca_location)}


def _text(value: object | None) -> str | None:
    return None if value is None else str(value)


@dataclass(frozen=True)
class Decoded:
    """The decode stage's outputs: changes and dimension updates (``cdc.flink.state.Routed``,
    timestamped and watermarked) and DLQ rows (topic, k, v, headers)."""

    routed: DataStream
    dlq: DataStream


def decode_stage(raw: DataStream, settings: DecodeSettings, config: JobConfig) -> Decoded:
    """The JVM decode over the source table's rows; the JVM JAR must be loaded."""
    stage = get_gateway().jvm.cdc.flink.decode.DecodeStage(
        settings_json(settings, config), config.processing.max_out_of_orderness_ms,
        config.processing.idle_partition_ms)
    routed = DataStream(stage.apply(raw._j_data_stream))
    return Decoded(routed, DataStream(stage.dlq()))
