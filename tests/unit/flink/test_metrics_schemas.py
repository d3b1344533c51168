"""The metrics topic's schemas, kept in flink_jobs/metrics_schemas.json for both sides."""

from __future__ import annotations

import io
import json

import fastavro

from flink_jobs.stateful import metrics_schemas


def test_a_window_round_trips_through_the_value_schema_keyed_by_table_and_start() -> None:
    key_text, value_text = metrics_schemas()
    assert [f["name"] for f in json.loads(key_text)["fields"]] == ["table", "window_start_ms"]
    value = fastavro.parse_schema(json.loads(value_text))
    window = {"table": "public.orders", "window_start_ms": 0, "window_end_ms": 60_000,
              "count_c": 2, "count_u": 1, "count_d": 0, "count_r": 0,
              "sums": {"amount": "3.30"}, "late": False, "emitted_ts_ms": 60_001}
    out = io.BytesIO()
    fastavro.schemaless_writer(out, value, window)
    out.seek(0)
    assert fastavro.schemaless_reader(out, value) == window
