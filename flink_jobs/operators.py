"""The PyFlink decode function: a thin shell that keeps metrics and calls pure code.

Every per-record decision of the decode stage lives in ``decode``; this class only moves
values between Flink (side outputs, counters) and that module.  Dedup, enrichment and the
windowed metrics run in the JVM (``flink_jobs/jvm``, package ``cdc.flink.state``): the
decoder hands them typed rows (``ROUTED_ROW``), which ``cdc.flink.state.RoutedOfRow``
turns into Java records.

Every call from Python into Flink crosses JNI under the TaskManager's one shared GIL, so
counts are plain Python ints that Flink reads as gauges when it reports.  Metrics are
registered under the ``cdc`` group; per-reason counts use a ``reason`` key/value group (a
Prometheus label).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from pyflink.common import Row, Types
from pyflink.datastream import OutputTag, ProcessFunction, RuntimeContext

from cdc_core.connections import RegistryConnection
from cdc_core.registry import Registry
from flink_jobs.catalog import SchemaCatalog
from flink_jobs.decode import Decoded, DecodeSettings, RecordDecoder
from flink_jobs.records import Change, DimUpdate, OutRecord, RawRecord

BYTES = Types.PRIMITIVE_ARRAY(Types.BYTE())
TEXT_MAP = Types.MAP(Types.STRING(), Types.STRING())
# DLQ records have headers; processed and metrics records (written by the JVM stages) do not.
DLQ_ROW = Types.ROW_NAMED(["topic", "k", "v", "headers"],
                          [Types.STRING(), BYTES, BYTES, Types.MAP(Types.STRING(), BYTES)])
DLQ_TAG = OutputTag("dlq", DLQ_ROW)
# A change, or a dimension update (``table`` null), for cdc.flink.state.RoutedOfRow: the
# fields of records.Change, then a DimUpdate's lsn and fields (its join and ts_ms reuse
# the change's columns).
ROUTED_ROW = Types.ROW_NAMED(
    ["table", "pk", "event_id", "ts_ms", "op", "topic", "k", "v", "join", "sums", "lsn",
     "fields"],
    [Types.STRING(), Types.STRING(), Types.STRING(), Types.LONG(), Types.STRING(),
     Types.STRING(), BYTES, BYTES, Types.STRING(), TEXT_MAP, Types.LONG(), TEXT_MAP])
# What the decoder emits: (routed row, event time in ms), for the Java-side watermarks.
STAMPED = Types.TUPLE([ROUTED_ROW, Types.LONG()])


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def raw_of(row: Row) -> RawRecord:
    """The source table's row (k, v, topic, partition, offset, headers) as a RawRecord."""
    return RawRecord(row[0], row[1], row[2], row[3], row[4], dict(row[5] or {}))


def dlq_row(out: OutRecord) -> Row:
    return Row(out.topic, out.key, out.value, out.headers)


def change_row(change: Change) -> Row:
    return Row(change.table, change.pk, change.event_id, change.ts_ms, change.op,
               change.topic, change.key, change.value, change.join, dict(change.sums),
               None, None)


def dim_row(dim: DimUpdate) -> Row:
    return Row(None, None, None, dim.ts_ms, None, None, None, None, dim.join, None, dim.lsn,
               dim.fields)


class _Counters:
    """Monotonic counts of one operator, by name and optional reason label.

    Kept as Python ints and registered once as gauges that Flink reads when it reports:
    a Flink ``Counter.inc`` per record was a JNI call each (about 14 % of the job's Python
    time).  Flink's Prometheus reporter exports counters and gauges alike as gauges, so
    names and values are what counters gave.  Like counters, they restart from 0 when a
    task restarts.
    """

    def __init__(self, ctx: RuntimeContext, *eager: str) -> None:
        self._group = ctx.get_metrics_group().add_group("cdc")
        self._counts: dict[tuple[str, str | None], int] = {}
        for name in eager:  # exported as 0 before the first event, so alerts can see them
            self.inc(name, n=0)

    def inc(self, name: str, reason: str | None = None, n: int = 1) -> None:
        key = (name, reason)
        count = self._counts.get(key)
        if count is None:
            group = self._group if reason is None else self._group.add_group("reason", reason)
            group.gauge(name, lambda: self._counts[key])
            count = 0
        self._counts[key] = count + n


def open_decoder(settings: DecodeSettings, registry: RegistryConnection,
                 prefix: str) -> RecordDecoder:
    """A task's decoder over the registry (processed schemas under ``prefix``)."""
    client = Registry(registry)
    return RecordDecoder(settings, client.fetch,
                         SchemaCatalog(client, prefix, settings.rules()))


class DecodeFunction(ProcessFunction):  # type: ignore[misc]
    """Raw rows → changes and dimension updates (main), DLQ rows (side output).

    The main output is ``(ROUTED_ROW, event time)``, ready for the Java-side watermarks of
    ``flink_jobs.streams`` (event time = source commit time).
    """

    def __init__(self, settings: DecodeSettings, registry: RegistryConnection, prefix: str) -> None:
        self._settings, self._registry, self._prefix = settings, registry, prefix

    def open(self, ctx: RuntimeContext) -> None:
        self._decoder = open_decoder(self._settings, self._registry, self._prefix)
        self._counters = _Counters(ctx, "records_in")

    def process_element(self, value: Row, ctx: ProcessFunction.Context) -> Iterator[Any]:
        yield from self._route(self._decoder.decode(raw_of(value), now_ms()))

    def _route(self, decoded: Decoded) -> Iterator[Any]:
        self._counters.inc("records_in")
        for name in decoded.soft_violations:
            self._counters.inc("soft_violations", name)
        if decoded.change is not None:
            yield change_row(decoded.change), decoded.change.ts_ms
        for dim in decoded.dims:  # same stream as changes: one watermark for both
            yield dim_row(dim), dim.ts_ms
        if decoded.dlq is not None:
            self._counters.inc("dlq_records", decoded.reason)
            yield DLQ_TAG, dlq_row(decoded.dlq)
        elif decoded.change is None:
            self._counters.inc("skipped", decoded.reason)
