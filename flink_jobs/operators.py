"""The PyFlink functions: thin shells that keep state and metrics and call pure code.

Every per-record decision lives in ``decode``, ``dedup``, ``enrich`` and
``metrics_window``; these classes only move values between Flink (state, timers, side
outputs, counters) and those modules.  State values are pickled Python objects (one
``value()`` and at most one ``update()`` per record), which is the cheapest state access
PyFlink offers in thread mode.

Every call from Python into Flink crosses JNI under the TaskManager's one shared GIL and
costs tens of µs (see flink_jobs/README.md "Performance"), so the hot paths avoid the
ones they can: counts are plain Python ints that Flink reads as gauges when it reports,
the dedup stage reads the watermark at most every ``WATERMARK_REFRESH_S`` and state is
written only when it changed.  Metrics are registered under the ``cdc`` group; per-reason
counts use a ``reason`` key/value group (a Prometheus label).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any, cast

from pyflink.common import Row, Types
from pyflink.datastream import (
    KeyedProcessFunction,
    OutputTag,
    ProcessFunction,
    RuntimeContext,
)
from pyflink.datastream.state import ValueStateDescriptor

from cdc_core.connections import RegistryConnection
from cdc_core.registry import Registry
from flink_jobs import dedup, enrich, metrics_window
from flink_jobs.catalog import SchemaCatalog
from flink_jobs.decode import Decoded, DecodeSettings, RecordDecoder
from flink_jobs.records import Change, Counted, DimUpdate, OutRecord, RawRecord
from flink_jobs.streams import KEYED

BYTES = Types.PRIMITIVE_ARRAY(Types.BYTE())
# Processed and metrics records have no headers; DLQ records do (see flink_jobs.tables).
SINK_ROW = Types.ROW_NAMED(["topic", "k", "v"], [Types.STRING(), BYTES, BYTES])
DLQ_ROW = Types.ROW_NAMED(["topic", "k", "v", "headers"],
                          [Types.STRING(), BYTES, BYTES, Types.MAP(Types.STRING(), BYTES)])
DLQ_TAG = OutputTag("dlq", DLQ_ROW)
# Side outputs that feed a keyed stage carry Row(routing key, value): see flink_jobs.streams.
# Facts to enrich and dimension updates share one stream keyed by join key, so enrichment
# is a one-input operator chained into dedup's task at parallelism 1 (see EnrichFunction).
ENRICH_TAG = OutputTag("enrich", KEYED)
METRICS_TAG = OutputTag("metrics", KEYED)


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def raw_of(row: Row) -> RawRecord:
    """The source table's row (k, v, topic, partition, offset, headers) as a RawRecord."""
    return RawRecord(row[0], row[1], row[2], row[3], row[4], dict(row[5] or {}))


def dlq_row(out: OutRecord) -> Row:
    return Row(out.topic, out.key, out.value, out.headers)


WATERMARK_REFRESH_S = 0.02


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


class _Watermark:
    """The current watermark, read from Flink at most every ``WATERMARK_REFRESH_S``.

    A change is "late" when it is behind a watermark at most that old; reading it per
    record was a JNI call each.  Late changes are passed through either way.
    """

    def __init__(self) -> None:
        self._value, self._read_at = -(2**63), -1.0

    def get(self, ctx: KeyedProcessFunction.Context) -> int:
        now = time.monotonic()
        if now - self._read_at >= WATERMARK_REFRESH_S:
            self._value, self._read_at = ctx.timer_service().current_watermark(), now
        return self._value


class _CachedState:
    """A ValueState read through a cache of what this function instance last wrote per key.

    Saves the ``value()`` call into Flink for keys seen before (the metrics stage has one
    key per table, enrichment one per dimension row).  Safe because an operator instance is
    the only writer of its keys' state, and a restart or rescale opens a new instance with
    an empty cache.  Bounded: emptied when it holds ``limit`` keys.
    """

    def __init__(self, state: Any, limit: int = 50_000) -> None:
        self._state, self._limit = state, limit
        self._cache: dict[str, Any] = {}

    def get(self, key: str) -> Any:
        """The state of ``key``, which must be the current key."""
        try:
            return self._cache[key]
        except KeyError:
            return self._remember(key, self._state.value())

    def put(self, key: str, value: Any) -> None:
        """Write ``value`` for ``key`` (the current key); ``None`` clears the state."""
        if value is None:
            self._state.clear()
        else:
            self._state.update(value)
        self._remember(key, value)

    def _remember(self, key: str, value: Any) -> Any:
        if len(self._cache) >= self._limit:
            self._cache.clear()
        self._cache[key] = value
        return value


def open_decoder(settings: DecodeSettings, registry: RegistryConnection,
                 prefix: str) -> RecordDecoder:
    """A task's decoder over the registry (processed schemas under ``prefix``)."""
    client = Registry(registry)
    return RecordDecoder(settings, client.fetch,
                         SchemaCatalog(client, prefix, settings.rules()))


class DecodeFunction(ProcessFunction):  # type: ignore[misc]
    """Raw rows → Change and DimUpdate (main), DLQ rows (side output).

    The main output is ``(Row(routing key, value), event time)``, ready for the Java-side
    watermarks and key_by of ``flink_jobs.streams`` (event time = source commit time).
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
            yield Row(decoded.change.pk, decoded.change), decoded.change.ts_ms
        for dim in decoded.dims:  # same stream as changes: one watermark for both
            yield Row(dedup.bucket(dim.pk), dim), dim.ts_ms
        if decoded.dlq is not None:
            self._counters.inc("dlq_records", decoded.reason)
            yield DLQ_TAG, dlq_row(decoded.dlq)
        elif decoded.change is None:
            self._counters.inc("skipped", decoded.reason)


class DedupFunction(KeyedProcessFunction):  # type: ignore[misc]
    """Keyed by row bucket: an event_id's first occurrence per window out at once, copies
    dropped (see ``flink_jobs.dedup``)."""

    def __init__(self, window_ms: int) -> None:
        self._window_ms = window_ms

    def open(self, ctx: RuntimeContext) -> None:
        self._seen = _CachedState(
            ctx.get_state(ValueStateDescriptor("seen", Types.PICKLED_BYTE_ARRAY())))
        self._counters = _Counters(ctx, "duplicates_dropped", "late_events", "records_out")
        self._watermark = _Watermark()

    def process_element(self, change: Change | DimUpdate, ctx: KeyedProcessFunction.Context
                        ) -> Iterator[Any]:
        if isinstance(change, DimUpdate):
            yield ENRICH_TAG, Row(change.join, change)
            return
        key = change.pk  # the current key, without asking Flink for it
        seen = self._seen.get(key) or {}
        decision = dedup.observe(seen, change.event_id, change.ts_ms,
                                 self._watermark.get(ctx), self._window_ms)
        if decision.verdict is dedup.Verdict.DUPLICATE:
            self._counters.inc("duplicates_dropped")
            return
        if decision.verdict is dedup.Verdict.LATE:
            self._counters.inc("late_events")
        else:
            self._seen.put(key, seen)
        if decision.timer is not None:
            ctx.timer_service().register_event_time_timer(decision.timer)
        yield from self._emit(change)

    def _emit(self, change: Change) -> Iterator[Any]:
        yield METRICS_TAG, Row(change.table,
                                Counted(change.table, change.ts_ms, change.op, change.sums))
        if change.join is not None:
            yield ENRICH_TAG, Row(change.join, change)
        else:
            self._counters.inc("records_out")
            yield Row(change.topic, change.key, change.value)

    def on_timer(self, timestamp: int, ctx: KeyedProcessFunction.OnTimerContext
                 ) -> Iterator[Any]:
        """Forget the window's ids.  Returns an (empty) iterator: process mode iterates
        whatever ``on_timer`` returns and failed on ``None``, restarting the job forever."""
        key = ctx.get_current_key()
        self._seen.put(key, dedup.expire(self._seen.get(key) or {}, timestamp) or None)
        return iter(())


class EnrichFunction(KeyedProcessFunction):  # type: ignore[misc]
    """Facts joined with dimension updates, both on one stream keyed by join key.

    One input rather than connected streams: a two-input operator always starts a task of
    its own, whose thread then contends for the TaskManager's one GIL with the decoder's
    on every record; a keyed one-input operator chains behind dedup.  It also keeps a
    dimension update and a later fact of the same upstream task in order.
    """

    def __init__(self, rules: dict[str, Any]) -> None:
        self._rules = rules

    def open(self, ctx: RuntimeContext) -> None:
        self._state = _CachedState(
            ctx.get_state(ValueStateDescriptor("join", Types.PICKLED_BYTE_ARRAY())))
        self._suffixes = {t: enrich.suffix_schema(r) for t, r in self._rules.items()}
        self._counters = _Counters(ctx, "enrichment_missing", "records_out")

    def process_element(self, value: Change | DimUpdate, ctx: KeyedProcessFunction.Context
                        ) -> Iterator[Row]:
        if isinstance(value, DimUpdate):
            return self._on_dimension(value)
        return self._on_fact(value, ctx)

    def _on_fact(self, fact: Change, ctx: KeyedProcessFunction.Context) -> Iterator[Row]:
        key = cast(str, fact.join)  # only facts with a lookup key are routed here
        state = self._state.get(key) or enrich.JoinState()
        found, timer = enrich.on_fact(state, fact, self._rules[fact.table].wait_ms)
        if timer is not None:  # the fact waits: the only case that changes the state
            self._state.put(key, state)
            ctx.timer_service().register_event_time_timer(timer)
        return self._emit(found, state.dimension)

    def _on_dimension(self, update: DimUpdate) -> Iterator[Row]:
        state = self._state.get(update.join) or enrich.JoinState()
        before = state.dimension
        released = enrich.on_dimension(state, update)
        if state.dimension is not before:  # an older or equal update changes nothing
            self._state.put(update.join, state)
        return self._emit(released, state.dimension)

    def on_timer(self, timestamp: int, ctx: KeyedProcessFunction.OnTimerContext
                 ) -> Iterator[Row]:
        key = ctx.get_current_key()
        state = self._state.get(key) or enrich.JoinState()
        due = enrich.on_deadline(state, timestamp)
        self._state.put(key, state)
        self._counters.inc("enrichment_missing", n=len(due))
        yield from self._emit(due, None)

    def _emit(self, facts: list[Change], dimension: Any) -> Iterator[Row]:
        fields = dimension.fields if dimension is not None else None
        for fact in facts:
            tail = enrich.suffix(self._suffixes[fact.table], self._rules[fact.table], fields)
            self._counters.inc("records_out")
            yield Row(fact.topic, fact.key, fact.value + tail)


class MetricsFunction(KeyedProcessFunction):  # type: ignore[misc]
    """Keyed by table: per-window op counts and sums, emitted when the window closes."""

    def __init__(self, window_ms: int, topic: str, codec: metrics_window.MetricsCodec) -> None:
        self._window_ms, self._topic, self._codec = window_ms, topic, codec

    def open(self, ctx: RuntimeContext) -> None:
        self._state = _CachedState(
            ctx.get_state(ValueStateDescriptor("windows", Types.PICKLED_BYTE_ARRAY())))

    def process_element(self, counted: Counted, ctx: KeyedProcessFunction.Context
                        ) -> Iterator[Row]:
        windows = self._state.get(counted.table) or {}
        timer = metrics_window.add(windows, counted, self._window_ms,
                                   ctx.timer_service().current_watermark)
        self._state.put(counted.table, windows)
        if timer is not None:
            ctx.timer_service().register_event_time_timer(timer)
        return iter(())

    def on_timer(self, timestamp: int, ctx: KeyedProcessFunction.OnTimerContext
                 ) -> Iterator[Row]:
        table = ctx.get_current_key()
        windows = self._state.get(table) or {}
        emitted = metrics_window.due(windows, timestamp)
        self._state.put(table, windows)
        for end, acc in emitted:
            record = metrics_window.metrics_record(table, end,
                                                   self._window_ms, acc, now_ms())
            key, value = self._codec.encode(record)
            yield Row(self._topic, key, value)
