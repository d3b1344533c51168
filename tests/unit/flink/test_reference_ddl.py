"""The benchmark's Flink SQL reference: table columns from a Debezium writer schema, DDL."""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks.flink_references import flink_type, flinksql_statements, row_columns
from flink_jobs.config import JobConfig
from tests.support.cdcgen import ORDER_ITEMS, ORDERS


def test_columns_follow_the_writer_schema_nullability_and_decimals() -> None:
    assert row_columns(ORDERS.envelope_schema("ns")) == [
        ("id", "BIGINT NOT NULL"), ("customer_id", "INT"), ("total_amount", "DECIMAL(12, 2)"),
        ("status", "STRING"), ("created_at", "STRING"), ("meta", "STRING")]


def test_a_type_without_a_column_type_is_refused() -> None:
    with pytest.raises(ValueError, match="'map'"):
        flink_type({"type": "map", "values": "string"})


def test_each_topic_gets_a_keyed_debezium_source_and_an_exactly_once_upsert_sink() -> None:
    config = JobConfig.model_validate({
        "kafka": {"bootstrap_servers": "b:9092", "topics": ["src.public.order_items"],
                  "bounded": True},
        "registry": {"url": "http://r/apis/ccompat/v7"},
        "processing": {"processed_prefix": "out"}})
    subjects: dict[str, Any] = {"src.public.order_items-key": ORDER_ITEMS.key_schema("ns"),
                                "src.public.order_items-value":
                                    ORDER_ITEMS.envelope_schema("ns")}
    source, sink, insert = flinksql_statements(config, subjects.__getitem__)
    for ddl in (source, sink):
        assert "PRIMARY KEY (`order_id`, `line`) NOT ENFORCED" in ddl
    assert "'format' = 'debezium-avro-confluent'" in source
    assert "'scan.bounded.mode' = 'latest-offset'" in source
    assert "'topic' = 'out.public.order_items'" in sink
    assert "'sink.delivery-guarantee' = 'exactly-once'" in sink
    assert insert == "INSERT INTO sink_0 SELECT * FROM source_0"
