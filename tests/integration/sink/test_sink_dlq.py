"""Bad records go to the dead-letter topic, once, byte-for-byte; the sink keeps going."""

from __future__ import annotations

import json
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import psycopg
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from psycopg import sql

from cdc_core.avro import AvroEncoder
from cdc_core.dlq import ALL_HEADERS
from cdc_core.framing import frame
from cdc_stack.ports import free_port
from tests.integration.kafkaclients import consume_all, create_topics
from tests.integration.sink.harness import (
    SinkProcess,
    Target,
    end_offsets,
    wait_converged,
    write_config,
)
from tests.stackfixtures import Services, unique
from tests.support.cdcgen import CUSTOMERS, TopicWriter, change_event, produce_raw
from tests.support.registry import registry_client

UNKNOWN_SCHEMA_ID = 987654
# reason -> stage, for every bad record this test produces
EXPECTED = {"not_confluent_framing": "decode", "unknown_schema_id": "decode",
            "corrupt_avro": "decode", "missing_key_field": "validate",
            "value_misfit_nul_in_text": "sink"}


def row(i: int, name: str | None = None) -> dict[str, Any]:
    return {"id": i, "name": name or f"customer {i}", "segment": "retail",
            "balance": Decimal(i) + Decimal("0.25")}


def good(writer: TopicWriter, i: int, lsn: int) -> tuple[str, bytes | None, bytes | None]:
    key, value = writer.encode(change_event(CUSTOMERS, row(i), lsn))
    return writer.topic, key, value


def bad_records(registry: SchemaRegistryClient, writer: TopicWriter,
                ) -> dict[str, tuple[str, bytes | None, bytes | None]]:
    """One record per expected reason, keyed by it (all with otherwise plausible bytes)."""
    good_key, good_value = writer.encode(change_event(CUSTOMERS, row(901), 90_100))
    nullable_key = {"type": "record", "name": "NullableKey", "namespace": "dlqtest",
                    "fields": [{"name": "id", "type": ["null", "int"], "default": None}]}
    key_id = registry.register_schema(f"{writer.topic}-nullkey",
                                      Schema(json.dumps(nullable_key), "AVRO"))
    null_key = AvroEncoder(key_id, nullable_key).encode({"id": None})
    _, nul_value = writer.encode(change_event(CUSTOMERS, row(902, "bad\x00name"), 90_200))
    _, unknown_body = writer.encode(change_event(CUSTOMERS, row(903), 90_300))
    topic = writer.topic
    return {
        "not_confluent_framing": (topic, good_key, b"{\"id\": 904, \"plain\": \"json\"}"),
        "unknown_schema_id": (topic, good_key, frame(UNKNOWN_SCHEMA_ID, unknown_body[5:])),
        "corrupt_avro": (topic, good_key,
                         frame(writer.value.schema_id, b"\x02\x02\xff\xff\xff\xff\xff\xff")),
        "missing_key_field": (topic, null_key, good_value),
        "value_misfit_nul_in_text": (topic, writer.key.encode({"id": 902}), nul_value),
    }


def warehouse_ids(dsn: str, schema: str) -> dict[int, tuple[str, bool]]:
    query = sql.SQL("select id, name, is_deleted from {}").format(
        sql.Identifier(schema, "customers"))
    with psycopg.connect(dsn) as conn:
        return {i: (name, deleted) for i, name, deleted in conn.execute(query).fetchall()}


def metric_value(text: str, name: str, labels: dict[str, str]) -> float | None:
    wanted = {f'{k}="{v}"' for k, v in labels.items()}
    for line in text.splitlines():
        if not line.startswith(name + "{"):
            continue
        inside = line[len(name) + 1:line.index("}")]
        if set(inside.split(",")) == wanted:
            return float(line.rsplit(" ", 1)[1])
    return None


def test_bad_records_go_to_the_dlq_once_with_original_bytes_and_headers(
        services: Services, pg_schema: str, tmp_path: Path) -> None:
    registry = registry_client(services.registry_url)
    topic = f"{unique('dlqt').replace('-', '')}.public.customers"
    create_topics(services.kafka_bootstrap, [topic])
    writer = TopicWriter.register(registry, topic, CUSTOMERS, processed=True)
    bad = bad_records(registry, writer)
    reason_order = list(EXPECTED)
    tombstone = (topic, writer.key.encode({"id": 3}), None)

    # good 1..12 with a bad record (or the tombstone) after every other good one
    plan: list[tuple[str, tuple[str, bytes | None, bytes | None]]] = []
    extras = [*reason_order[:3], "tombstone", *reason_order[3:]]
    for i in range(1, 13):
        plan.append(("good", good(writer, i, 1000 + i * 10)))
        if i % 2 == 0 and extras:
            extra = extras.pop(0)
            plan.append((extra, tombstone if extra == "tombstone" else bad[extra]))
    assert not extras

    group = unique("sink")
    at = Target(services.kafka_bootstrap, services.postgres_dsn, pg_schema, group, (topic,))
    dlq_topic = f"dlq-{group}"
    port = free_port()
    cfg = write_config(tmp_path / "sink.yaml", at, services.registry_url, http_port=port)
    started_ms = int(time.time() * 1000)
    sink = SinkProcess(cfg, tmp_path / "sink.log").start()
    try:
        # first half, let the sink work through it, then the rest: it must keep running
        half = len(plan) // 2
        delivered = produce_raw(services.kafka_bootstrap, [rec for _, rec in plan[:half]])
        wait_converged(sink, at, timeout=60)
        delivered += produce_raw(services.kafka_bootstrap, [rec for _, rec in plan[half:]])
        wait_converged(sink, at, timeout=60)
        assert sink.alive(), sink.tail()
        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    finally:
        code = sink.stop()
    assert code == 0, sink.tail()
    finished_ms = int(time.time() * 1000)
    where = {kind: d for (kind, _), d in zip(plan, delivered, strict=True) if kind != "good"}

    # every good record is in the warehouse, and nothing else
    assert warehouse_ids(services.postgres_dsn, pg_schema) == {
        i: (f"customer {i}", False) for i in range(1, 13)}

    # the DLQ holds exactly one record per bad one (the tombstone is not one of them)
    total = sum(end_offsets(services.kafka_bootstrap, [dlq_topic]).values())
    assert total == len(EXPECTED), sink.tail()
    records = consume_all(services.kafka_bootstrap, dlq_topic, unique("dlq-reader"),
                          expected=total)
    by_reason: dict[str, list[Any]] = {}
    for msg in records:
        headers = {k: (v or b"").decode() for k, v in msg.headers() or []}
        assert set(ALL_HEADERS) <= set(headers), headers
        by_reason.setdefault(headers["cdc.error.reason"], []).append((msg, headers))
    assert sorted(by_reason) == sorted(EXPECTED)
    for reason, stage in EXPECTED.items():
        [(msg, headers)] = by_reason[reason]
        origin = where[reason]
        assert msg.key() == origin.key, reason  # the ORIGINAL bytes, unchanged
        assert msg.value() == origin.value, reason
        assert headers["cdc.error.stage"] == stage
        assert headers["cdc.error.message"].strip(), reason
        assert headers["cdc.source.topic"] == topic
        assert int(headers["cdc.source.partition"]) == origin.partition
        assert int(headers["cdc.source.offset"]) == origin.offset, reason
        assert started_ms <= int(headers["cdc.error.ts_ms"]) <= finished_ms
    assert "987654" in by_reason["unknown_schema_id"][0][1]["cdc.error.message"]

    # /metrics: one DLQ record per reason, the tombstone counted as skipped
    for reason, stage in EXPECTED.items():
        value = metric_value(metrics, "cdc_dlq_records_total",
                             {"stage": stage, "reason": reason})
        assert value == 1.0, (reason, [m for m in metrics.splitlines() if "dlq" in m])
    assert metric_value(metrics, "cdc_sink_tombstones_skipped_total", {"topic": topic}) == 1.0
    consumed = metric_value(metrics, "cdc_sink_records_consumed_total", {"topic": topic})
    assert consumed == len(plan)
