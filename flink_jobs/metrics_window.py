"""Per-table metrics in tumbling event-time windows: counts per op and configured sums.

One record per (table, window) is emitted when the watermark passes the window end.  A
change arriving after its window was emitted (behind the watermark) starts a new
accumulator for that window, emitted at the next watermark as another record with
``late = true``: records are increments, so a consumer loads them by adding per
(table, window_start_ms) and late data is never lost.  Sums are exact decimals, carried as
text so no precision is lost on the way to the warehouse.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from cdc_core.avro import ParsedSchema, encode_framed, parse
from cdc_core.values import as_decimal
from flink_jobs.dedup import window_end
from flink_jobs.records import Counted

OPS = ("c", "u", "d", "r")

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
        *({"name": f"count_{op}", "type": "long"} for op in OPS),
        {"name": "sums", "type": {"type": "map", "values": "string"}},
        {"name": "late", "type": "boolean"},
        {"name": "emitted_ts_ms", "type": "long"},
    ],
}


@dataclass
class Accumulator:
    """What one window of one table has seen so far."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OPS, 0))
    sums: dict[str, Decimal] = field(default_factory=dict)
    late: bool = False


def add(windows: dict[int, Accumulator], change: Counted, size_ms: int,
        watermark: Callable[[], int]) -> int | None:
    """Count ``change`` in its window (mutating ``windows``); the timer to set if new.

    ``watermark`` is only called when a window opens: reading it is a call into Flink.
    """
    end = window_end(change.ts_ms, size_ms)
    acc = windows.get(end)
    timer = None
    if acc is None:
        acc = windows[end] = Accumulator(late=end - 1 <= watermark())
        timer = end - 1
    if change.op in acc.counts:
        acc.counts[change.op] += 1
    for column, text in change.sums:
        acc.sums[column] = acc.sums.get(column, Decimal(0)) + Decimal(text)
    return timer


def due(windows: dict[int, Accumulator], timer_ts: int) -> list[tuple[int, Accumulator]]:
    """Windows ending by ``timer_ts``, removed from ``windows``, as (end, accumulator)."""
    ends = sorted(end for end in windows if end - 1 <= timer_ts)
    return [(end, windows.pop(end)) for end in ends]


def metrics_record(table: str, end: int, size_ms: int, acc: Accumulator,
                   now_ms: int) -> dict[str, Any]:
    """The metrics topic's value for one emitted window."""
    record: dict[str, Any] = {"table": table, "window_start_ms": end - size_ms,
                              "window_end_ms": end, "late": acc.late, "emitted_ts_ms": now_ms}
    record.update({f"count_{op}": acc.counts[op] for op in OPS})
    record["sums"] = {column: str(total) for column, total in acc.sums.items()}
    return record


@dataclass(frozen=True)
class MetricsCodec:
    """Encodes metrics records with their registered key and value schema ids."""

    key_id: int
    value_id: int
    key_schema: ParsedSchema = field(default_factory=lambda: parse(METRICS_KEY_SCHEMA))
    value_schema: ParsedSchema = field(default_factory=lambda: parse(METRICS_VALUE_SCHEMA))

    def encode(self, record: dict[str, Any]) -> tuple[bytes, bytes]:
        key = {"table": record["table"], "window_start_ms": record["window_start_ms"]}
        return (encode_framed(self.key_id, self.key_schema, key),
                encode_framed(self.value_id, self.value_schema, record))


def sum_values(row: dict[str, Any], columns: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """The configured sum columns of a row, as exact decimal text (nulls left out)."""
    found = ((c, as_decimal(row.get(c))) for c in columns)
    return tuple((c, str(v)) for c, v in found if v is not None and v.is_finite())
