"""The decode stage against an in-memory registry: outputs, DLQ records, schema changes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cdc_core.avro import parse, read_record
from cdc_core.dlq import HEADER_REASON, HEADER_SOURCE_OFFSET, HEADER_STAGE
from cdc_core.framing import frame
from flink_jobs.decode import RecordDecoder
from flink_jobs.records import RawRecord
from tests.integration.flink.debezium import (
    CUSTOMERS_COLUMNS,
    ORDERS_COLUMNS,
    customer,
    order,
)
from tests.unit.flink.registry_memory import MemoryRegistry, table


def raw(kv: tuple[bytes | None, bytes | None], offset: int = 7,
        headers: dict[str, bytes] | None = None) -> RawRecord:
    return RawRecord(kv[0], kv[1], "cdc.public.orders", 0, offset, headers or {})


def test_valid_order_becomes_change_with_registered_schema(
        decoder: RecordDecoder, registry: MemoryRegistry) -> None:
    orders = table(registry, "orders", ORDERS_COLUMNS)
    out = decoder.decode(raw(orders.change("c", order(1), lsn=5, ts_ms=1000)), 42)
    change = out.change
    assert change is not None and out.dlq is None
    assert (change.table, change.topic, change.op, change.ts_ms) == (
        "public.orders", "processed.public.orders", "c", 1000)
    assert change.join == "public.customers|1" and change.sums == (("total_amount", "10.00"),)
    subjects = set(registry.subjects)
    assert subjects == {"processed.public.orders-value", "processed.public.orders-key"}
    full = json.loads(registry.latest("processed.public.orders-value") or "")
    assert [f["name"] for f in full["fields"]][-2:] == ["customer_segment",
                                                         "__enrichment_missing"]


def test_one_registry_fetch_per_schema_id(decoder: RecordDecoder,
                                          registry: MemoryRegistry) -> None:
    orders = table(registry, "orders", ORDERS_COLUMNS)
    for i in range(5):
        decoder.decode(raw(orders.change("c", order(i), lsn=i, ts_ms=1000)), 42)
    assert registry.fetches == 2  # key schema + value schema


@pytest.mark.parametrize(("make", "reason", "stage"), [
    (lambda o: (o[0], b"xx"), "not_confluent_framing", "decode"),
    (lambda o: (o[0], frame(999, o[1][5:])), "unknown_schema_id", "decode"),
    (lambda o: (o[0], o[1][:-2]), "corrupt_avro", "decode"),
])
def test_undecodable_values_go_to_dlq_with_original_bytes(
        decoder: RecordDecoder, registry: MemoryRegistry, make: Any, reason: str,
        stage: str) -> None:
    orders = table(registry, "orders", ORDERS_COLUMNS)
    key, value = make(orders.change("c", order(1), lsn=5, ts_ms=1000))
    out = decoder.decode(raw((key, value), offset=9), 42)
    assert out.change is None and out.dlq is not None and out.reason == reason
    assert (out.dlq.topic, out.dlq.key, out.dlq.value) == ("dlq", key, value)
    assert out.dlq.headers[HEADER_REASON] == reason.encode()
    assert out.dlq.headers[HEADER_STAGE] == stage.encode()
    assert out.dlq.headers[HEADER_SOURCE_OFFSET] == b"9"


def test_envelope_and_contract_failures_go_to_dlq(decoder: RecordDecoder,
                                                  registry: MemoryRegistry) -> None:
    orders = table(registry, "orders", ORDERS_COLUMNS)
    no_after = decoder.decode(raw(orders.change("c", order(1), lsn=5, ts_ms=1, after=None)), 1)
    negative = decoder.decode(raw(orders.change("c", order(2, amount="-1.00"), lsn=6,
                                                ts_ms=1)), 1)
    assert no_after.reason == "missing_after"
    assert negative.reason == "contract_total_non_negative"


def test_tombstone_is_skipped(decoder: RecordDecoder) -> None:
    out = decoder.decode(raw((b"k", None)), 1)
    assert out.change is None and out.dlq is None and out.reason == "tombstone"


def test_breaking_writer_schema_goes_to_dlq_additive_one_passes(
        decoder: RecordDecoder, registry: MemoryRegistry) -> None:
    orders = table(registry, "orders", ORDERS_COLUMNS)
    decoder.decode(raw(orders.change("c", order(1), lsn=5, ts_ms=1000)), 1)
    added = table(registry, "orders", [*ORDERS_COLUMNS, {"name": "note", "type": [
        "null", "string"], "default": None}])
    ok = decoder.decode(raw(added.change("c", {**order(2), "note": "x"}, lsn=6, ts_ms=1)), 1)
    assert ok.change is not None
    narrowed = [c if c["name"] != "status" else {"name": "status", "type": "int"}
                for c in ORDERS_COLUMNS]
    broken = table(registry, "orders", narrowed)
    out = decoder.decode(raw(broken.change("c", {**order(3), "status": 1}, lsn=7, ts_ms=1)), 1)
    assert out.reason == "breaking_schema_change" and out.dlq is not None
    assert out.dlq.headers[HEADER_STAGE] == b"schema-change"


def test_event_id_header_wins_and_dimension_changes_feed_enrichment(
        decoder: RecordDecoder, registry: MemoryRegistry) -> None:
    orders = table(registry, "orders", ORDERS_COLUMNS)
    out = decoder.decode(raw(orders.change("c", order(1), lsn=5, ts_ms=1),
                             headers={"event_id": b"abc"}), 1)
    assert out.change is not None and out.change.event_id == "abc"
    customers = table(registry, "customers", CUSTOMERS_COLUMNS)
    dim = decoder.decode(raw(customers.change("u", customer(7, "gold", "DE"), lsn=9,
                                              ts_ms=3)), 1)
    assert [(d.join, d.fields) for d in dim.dims] == [("public.customers|7",
                                                       {"segment": "gold"})]


def test_processed_value_decodes_with_base_schema(decoder: RecordDecoder,
                                                  registry: MemoryRegistry) -> None:
    orders = table(registry, "orders", ORDERS_COLUMNS)
    change = decoder.decode(raw(orders.change("c", order(1, customer_id=None), lsn=5,
                                              ts_ms=1000)), 42).change
    assert change is not None and change.join is None  # null lookup: suffix already added
    schema_id = int.from_bytes(change.value[1:5], "big")
    record = read_record(parse(registry.by_id[schema_id]), change.value[5:])
    assert record["__enrichment_missing"] is True and record["__processed_ts_ms"] == 42


def test_bucket_is_stable_and_in_range() -> None:
    from flink_jobs.decode import BUCKETS, bucket

    keys = [f"public.orders|{{\"id\":{i}}}" for i in range(2000)]
    buckets = [bucket(k) for k in keys]
    assert buckets == [bucket(k) for k in keys]
    assert all(0 <= int(b) < BUCKETS for b in buckets)
    assert bucket("public.orders|{\"id\":1}") == "748"  # fixed across processes (crc32)
    assert len(set(buckets)) > 1000
