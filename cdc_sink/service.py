"""The sink service: consume, decode, batch, and commit rows with their offsets.

Kafka → ``Decoder`` → (``Tables`` judge the schema, ``QualityGate`` the contract) → ``Batch``
→ ``commit()``. A record that cannot be applied goes to the DLQ and never stops the loop.
PostgreSQL failures are retried (warehouse.py); offsets never move past unwritten rows because
they are written in the same transaction as the rows. On partition assignment the consumer
seeks to the offsets stored in the warehouse; Kafka commits only feed lag monitoring.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

import psycopg
from confluent_kafka import (
    OFFSET_BEGINNING,
    Consumer,
    KafkaError,
    KafkaException,
    Message,
    TopicPartition,
)

from cdc_core.errors import CdcError, SinkError
from cdc_sink import offsets, pgerrors
from cdc_sink.batch import Batch
from cdc_sink.collapse import collapse
from cdc_sink.deadletter import DeadLetters
from cdc_sink.decode import Decoded, Decoder
from cdc_sink.health import Health
from cdc_sink.history import History
from cdc_sink.lag import LagProbe
from cdc_sink.metrics import SinkMetrics
from cdc_sink.model import RawMessage, SinkChange
from cdc_sink.quality import QualityGate
from cdc_sink.refetch import refetch
from cdc_sink.tables import Tables
from cdc_sink.warehouse import Warehouse
from cdc_sink.writer import TableResult, write_table

log = logging.getLogger(__name__)
# Optional, called after step 4 of commit() with {table: (its input topics, rows written)}:
# the OpenLineage emitter of cdc_sink.lineage. It must not raise; if it does, it is logged.
LineageHook = Callable[[dict[str, tuple[frozenset[str], int]]], None]


def headers_of(msg: Message) -> tuple[tuple[str, bytes | None], ...]:
    """Message headers as (name, bytes) pairs, whatever shape the client returned."""
    raw = msg.headers()
    if not raw:
        return ()
    pairs = raw.items() if isinstance(raw, dict) else raw
    return tuple((k, v.encode() if isinstance(v, str) else v) for k, v in pairs)


def _coordinates(change: SinkChange) -> tuple[str, int, int]:
    return change.origin.topic, change.origin.partition, change.origin.offset


def client_config(consumer_config: dict[str, Any]) -> dict[str, Any]:
    """Connection and security settings of the consumer, without its group behaviour."""
    drop = ("group.id", "enable.auto.commit", "auto.offset.reset", "max.poll.interval.ms",
            "isolation.level", "partition.assignment.strategy", "enable.partition.eof",
            "session.timeout.ms", "heartbeat.interval.ms", "group.instance.id")
    return {k: v for k, v in consumer_config.items() if k not in drop}


def _distinct_rejections(rejected: Iterable[tuple[SinkChange, str]]
                         ) -> list[tuple[SinkChange, str]]:
    """One dead letter per record: the current-state and the history write may both
    refuse one change."""
    seen: dict[tuple[str, int, int], tuple[SinkChange, str]] = {}
    for change, reason in rejected:
        seen.setdefault(_coordinates(change), (change, reason))
    return list(seen.values())


class SinkParts:
    """Everything the service is wired from; built once by app.py (or a test)."""

    def __init__(self, *, consumer_config: dict[str, Any], subscription: list[str],
                 conninfo: str, target_schema: str, decoder: Decoder, tables: Tables,
                 quality: QualityGate, dead_letters: DeadLetters, metrics: SinkMetrics,
                 health: Health, batch_max_rows: int, batch_max_wait_s: float,
                 retry_initial_s: float, retry_max_s: float, retry_budget_s: float,
                 lag_interval_s: float = 10.0, lineage: LineageHook | None = None,
                 history: History | None = None) -> None:
        self.consumer_config = consumer_config
        self.subscription = subscription
        self.conninfo = conninfo
        self.target_schema = target_schema
        self.decoder = decoder
        self.tables = tables
        self.quality = quality
        self.dead_letters = dead_letters
        self.metrics = metrics
        self.health = health
        self.batch_max_rows = batch_max_rows
        self.batch_max_wait_s = batch_max_wait_s
        self.retry = {"initial_s": retry_initial_s, "max_s": retry_max_s,
                      "budget_s": retry_budget_s}
        self.lag_interval_s = lag_interval_s
        self.lineage = lineage
        self.history = history  # None: no table keeps a change history


class SinkService:
    def __init__(self, parts: SinkParts) -> None:
        self.p = parts
        self.group = str(parts.consumer_config["group.id"])
        self._db = Warehouse(parts.conninfo, parts.retry, parts.metrics, parts.health,
                             lambda: self._stopping)
        self._consumer = Consumer(parts.consumer_config)
        self._lag = LagProbe(client_config(parts.consumer_config))
        self._batch = self._new_batch()
        self._assigned: set[tuple[str, int]] = set()
        self._stored: dict[tuple[str, int], int] = {}  # committed next offsets, for lag
        self._halted: dict[tuple[str, int], str] = {}  # paused: stored offset outside the log
        self._stopping = False
        self._last_source_ts: dict[str, int] = {}
        self._consumed: dict[str, Any] = {}
        self._with_history: set[str] = set()  # warehouse tables that keep a change history

    # -- lifecycle -----------------------------------------------------------------------
    def run(self) -> None:
        """Consume until ``stop()``; then commit what is in flight and leave the group."""
        self._db.run(self._bootstrap)
        self._consumer.subscribe(self.p.subscription, on_assign=self._on_assign,
                                 on_revoke=self._on_revoke, on_lost=self._on_lost)
        self.p.metrics.up.set(1)
        threading.Thread(target=self._measure_lag_forever, name="cdc-sink-lag",
                         daemon=True).start()
        try:
            while not self._stopping:
                self._step()
            self.commit()
        finally:
            self.p.metrics.up.set(0)
            self.p.health.set_ready(False, "stopped")
            self._consumer.close()
            self._db.close()

    def stop(self, *_: Any) -> None:
        """Ask the loop to finish (SIGTERM/SIGINT handler)."""
        self._stopping = True

    @property
    def stopping(self) -> bool:
        """``stop()`` was asked: retries give up waiting (retry.py)."""
        return self._stopping

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)

    def _step(self) -> None:
        """Consume what is there; commit when the batch is due or the input went quiet.

        A poll that waited its whole timeout for nothing means the partitions are caught
        up: the batch is written then instead of idling until ``batch_max_wait_ms``.
        """
        self.p.health.beat()
        room = max(self.p.batch_max_rows - self._batch.size(), 1)
        messages = self._consumer.consume(num_messages=min(room, 2000), timeout=0.2)
        for msg in messages:
            self._handle(msg)
        self._count_consumed(messages)
        if not messages or self._batch.due():
            self.commit()

    # -- one message ---------------------------------------------------------------------
    def _handle(self, msg: Message) -> None:
        err = msg.error()
        if err is not None:
            report = self.p.consumer_config.get("error_cb")
            if err.code() == KafkaError._PARTITION_EOF:
                return
            if report is not None:
                report(err)  # cdc_core/kafka_problems.py: one line, readiness with it
            else:
                log.warning("consumer error: %s", err)
            return
        raw = RawMessage(str(msg.topic()), int(msg.partition() or 0), int(msg.offset() or 0),
                         msg.key(), msg.value(), headers_of(msg), msg.timestamp()[1])
        self._batch.note((raw.topic, raw.partition), raw.offset, raw.timestamp_ms)
        try:
            self._apply(raw)
        except CdcError as error:
            self.p.dead_letters.send(raw, error.at(raw.topic, raw.partition, raw.offset,
                                                   raw.value))

    def _count_consumed(self, messages: list[Message]) -> None:
        """One increment per topic and poll: the counter locks on every ``inc``."""
        for topic, n in Counter(str(m.topic()) for m in messages if m.error() is None).items():
            child = self._consumed.get(topic)
            if child is None:
                child = self._consumed[topic] = self.p.metrics.records_consumed.labels(topic)
            child.inc(n)

    def _apply(self, raw: RawMessage) -> None:
        decoded = self.p.decoder.decode(raw)
        if decoded is None:
            self.p.metrics.tombstones.labels(raw.topic).inc()
            return
        layout = self.p.tables.layout_for(decoded.schema)
        if self.p.history is not None and self.p.history.wants(decoded.schema):
            self._with_history.add(decoded.change.table)
        self._check_quality(decoded)
        self._batch.add(decoded.change, layout, decoded.source_ts_ms)

    def _check_quality(self, decoded: Decoded) -> None:
        """Contract check; a crossed halt rate halts the table even when the record that
        crossed it is itself a hard violation (else an all-garbage source never halts)."""
        source_table = decoded.schema.source_table
        try:
            self.p.quality.check(source_table, decoded.change)  # raises ContractViolation
        finally:
            halt = self.p.quality.halt_due(source_table)
            if halt is not None:
                self.p.tables.halt_for_quality(decoded.change.table, halt)

    # -- the delivery guarantee ----------------------------------------------------------
    def commit(self) -> None:
        """Make the batch durable, exactly once.

        1. Flush the DLQ producer: records skipped by this batch's offsets are in Kafka.
        2. Collapse each table's changes to the newest per key.
        3. In ONE PostgreSQL transaction: pending DDL and table states, the history
           tables' DDL and partitions, each table's COPY + guarded upsert, then each
           history table's COPY of every distinct change of the batch (collapse folds
           nothing away there; replays are left out by event id), then the next offsets
           of every partition touched.
           Values PostgreSQL refuses are isolated and dead-lettered (flushed before commit).
        4. Commit that transaction (retried as a whole on infrastructure errors).
        5. Only then commit the offsets to Kafka, asynchronously: advisory, for lag.
        A crash before 4 leaves nothing behind and the batch is consumed again from the
        stored offsets; a crash after 4 resumes after it. The ordering guard makes a
        re-applied change a no-op in any case.
        """
        batch = self._batch
        if batch.empty():
            return
        started = time.monotonic()
        self.p.dead_letters.flush()
        collapsed = {t: collapse(c) for t, c in batch.changes.items()}
        for table, folded in collapsed.items():
            if folded.ties:
                self.p.metrics.position_ties.labels(table).inc(folded.ties)
        results = self._db.run(lambda conn: self._write(
            conn, batch, {t: folded.changes for t, folded in collapsed.items()}))
        self.p.tables.committed()
        if self.p.history is not None:
            self.p.history.committed()
        self._emit_lineage(batch, results)
        self._stored.update(batch.next_offsets)
        self._commit_kafka(batch)
        self._record(batch, results, time.monotonic() - started)
        self._batch = self._new_batch()

    def _write(self, conn: psycopg.Connection[Any], batch: Batch,
               collapsed: dict[str, list[SinkChange]]) -> dict[str, TableResult]:
        with conn.transaction():
            self.p.tables.write_pending(conn)
            history = self._prepare_history(conn, batch)
            results = {t: self._write_table(conn, batch, t, changes, t in history)
                       for t, changes in collapsed.items()}
            rejected = _distinct_rejections(r for res in results.values() for r in res.rejected)
            if rejected:
                self._dead_letter_rejected(rejected)
                self.p.dead_letters.flush()
            offsets.write(conn, self.p.target_schema, self.group, batch.next_offsets)
        return results

    def _prepare_history(self, conn: psycopg.Connection[Any], batch: Batch) -> set[str]:
        """The batch's tables that keep a history, their history DDL run (step 3), each in
        its own savepoint: a table whose history PostgreSQL refuses is halted like one whose
        rows it refuses."""
        history = self.p.history
        if history is None:
            return set()
        history.begin()
        ready = set()
        for table in [t for t in batch.changes if t in self._with_history]:
            prepare = partial(history.prepare, conn, batch.layouts[table], batch.changes[table])
            if self.p.tables.refusal(table) is None and self._refusable(conn, table, prepare):
                ready.add(table)
        return ready

    def _refusable(self, conn: psycopg.Connection[Any], table: str,
                   work: Callable[[], None]) -> bool:
        """Run ``work`` in a savepoint; a schema refusal halts ``table`` (False)."""
        try:
            with conn.transaction():
                work()
            return True
        except psycopg.Error as exc:
            if pgerrors.classify(exc) != "schema":
                raise
            self.p.tables.refuse(table, pgerrors.reason("schema_rejected", exc), str(exc))
            self.p.tables.persist(conn, table)
            return False

    def _write_table(self, conn: psycopg.Connection[Any], batch: Batch, table: str,
                     changes: list[SinkChange], with_history: bool) -> TableResult:
        """One table's write; a table PostgreSQL refuses (pgerrors "schema") halts, and all
        of its records in the batch, not only the newest per key, go to the DLQ."""
        tables = self.p.tables
        if tables.refusal(table) is None:
            result = self._write_rows(conn, batch, table, changes, with_history)
            if result.refused is None:
                return result
            tables.refuse(table, *result.refused)
            tables.persist(conn, table)
        reason = tables.refusal(table) or "schema_rejected"
        return TableResult(rejected=[(change, reason) for change in batch.changes[table]])

    def _write_rows(self, conn: psycopg.Connection[Any], batch: Batch, table: str,
                    changes: list[SinkChange], with_history: bool) -> TableResult:
        """The current-state rows, then the history's of every change of the batch: in one
        savepoint, so a refused history leaves the table's rows unwritten too."""
        layout = batch.layouts[table]
        if not with_history or self.p.history is None:
            return write_table(conn, layout, changes)
        try:
            with conn.transaction():
                result = write_table(conn, layout, changes)
                if result.refused is None:
                    appended = self.p.history.write(conn, layout, batch.changes[table])
                    result.rejected.extend(appended.rejected)
                    result.history = appended.appended
                return result
        except psycopg.Error as exc:
            if pgerrors.classify(exc) != "schema":
                raise
            return TableResult(refused=(pgerrors.reason("schema_rejected", exc), str(exc)))

    def _dead_letter_rejected(self, rejected: list[tuple[SinkChange, str]]) -> None:
        raws = refetch(client_config(self.p.consumer_config),
                       [_coordinates(c) for c, _ in rejected], headers_of)
        for change, reason in rejected:
            error = SinkError(f"{change.table}: PostgreSQL refused the row ({reason})",
                              reason=reason)
            self.p.dead_letters.send(raws[_coordinates(change)], error)

    def _emit_lineage(self, batch: Batch, results: dict[str, TableResult]) -> None:
        """After the commit: lineage is a report on durable work and never fails a batch."""
        if self.p.lineage is None:
            return
        try:
            self.p.lineage({t: (frozenset(c.origin.topic for c in changes),
                                results[t].inserted + results[t].updated)
                            for t, changes in batch.changes.items() if t in results})
        except Exception:
            log.exception("lineage emission failed")

    def _commit_kafka(self, batch: Batch) -> None:
        tps = [TopicPartition(t, p, o) for (t, p), o in batch.next_offsets.items()
               if (t, p) in self._assigned]
        if tps:
            try:
                self._consumer.commit(offsets=tps, asynchronous=True)
            except Exception as exc:  # advisory only: the warehouse holds the real offsets
                log.warning("advisory Kafka offset commit failed: %s", exc)

    def _record(self, batch: Batch, results: dict[str, TableResult], took: float) -> None:
        m = self.p.metrics
        m.batch_duration.observe(took)
        m.batch_changes.observe(batch.size())
        m.commits.inc()
        for table, res in results.items():
            m.rows_upserted.labels(table).inc(res.inserted + res.updated - res.deleted)
            m.rows_soft_deleted.labels(table).inc(res.deleted)
            m.rows_skipped_stale.labels(table).inc(res.skipped_stale)
            if res.ties:
                m.position_ties.labels(table).inc(res.ties)
            if res.history:
                m.history_rows.labels(table).inc(res.history)
        now = time.time()
        for table, stamps in batch.source_ts_ms.items():
            m.e2e_latency.observe_many((table,), [max(now - ts / 1000, 0.0) for ts in stamps])
            self._last_source_ts[table] = max(self._last_source_ts.get(table, 0), *stamps)
        self.p.health.set_ready(True)

    def _new_batch(self) -> Batch:
        return Batch(self.p.batch_max_rows, self.p.batch_max_wait_s)

    # -- PostgreSQL ----------------------------------------------------------------------
    def _bootstrap(self, conn: psycopg.Connection[Any]) -> None:
        with conn.transaction():
            self.p.tables.bootstrap(conn)

    # -- rebalancing ---------------------------------------------------------------------
    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        wanted = [(tp.topic, tp.partition) for tp in partitions]
        stored = self._db.run(lambda conn: offsets.read(conn, self.p.target_schema,
                                                        self.group, wanted))
        for tp in partitions:
            tp.offset = stored.get((tp.topic, tp.partition), OFFSET_BEGINNING)
        self._assigned |= set(wanted)
        self._stored.update(stored)
        consumer.assign(partitions)
        halted = [tp for tp in partitions if (tp.topic, tp.partition) in stored
                  and self._halt_on_gap(consumer, tp)]
        if halted:
            consumer.pause(halted)
        self.p.health.set_ready(True)
        log.info("assigned %s at stored offsets %s", wanted, stored)

    def _halt_on_gap(self, consumer: Consumer, tp: TopicPartition) -> bool:
        """Pause a partition whose stored offset is outside its log (see offsets.gap):
        loud and kept until an operator decides, never a silent skip."""
        try:
            start, end = consumer.get_watermark_offsets(tp, timeout=10, cached=False)
        except KafkaException as exc:
            log.warning("could not check %s[%d]'s stored offset against its log: %s",
                        tp.topic, tp.partition, exc)
            return False
        reason = offsets.gap(tp.offset, start, end)
        if reason is None:
            return False
        self._halted[(tp.topic, tp.partition)] = reason
        self.p.metrics.partition_halted.labels(tp.topic, str(tp.partition), reason).set(1)
        log.error("partition %s[%d] halted (%s): stored next offset %d, log holds %d..%d; "
                  "see the runbook, 'Partition halted'", tp.topic, tp.partition, reason,
                  tp.offset, start, end)
        return True

    def _on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        """Flush and commit before the partitions go to another replica."""
        self.commit()
        self._release(partitions)
        consumer.unassign()

    def _on_lost(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        """Partitions lost without a clean revoke: their uncommitted work is abandoned."""
        self._batch = self._new_batch()
        self.p.tables.rolled_back()
        self._release(partitions)
        consumer.unassign()

    def _release(self, partitions: list[TopicPartition]) -> None:
        gone = {(tp.topic, tp.partition) for tp in partitions}
        self._assigned -= gone
        for tp in gone:
            self._stored.pop(tp, None)
            reason = self._halted.pop(tp, None)
            if reason is not None:  # the next owner checks (and reports) it again
                self.p.metrics.partition_halted.remove(tp[0], str(tp[1]), reason)
        if not self._assigned:
            self.p.health.set_ready(False, "no partitions assigned")

    # -- lag (own thread: a lag read may wait on the broker, the loop must not) ----------
    def _measure_lag_forever(self) -> None:
        try:
            while not self._stopping:
                try:
                    self._measure_lag()
                except Exception:  # a failed measurement must never stop the sink
                    log.exception("lag measurement failed")
                time.sleep(self.p.lag_interval_s)
        finally:
            self._lag.close()

    def _measure_lag(self) -> None:
        stored = dict(self._stored)
        for topic, partition in sorted(set(self._assigned)):
            records, seconds = self._lag.lag(topic, partition, stored.get((topic, partition), 0))
            labels = (self.group, topic, str(partition))
            self.p.metrics.lag_records.labels(*labels).set(records)
            self.p.metrics.lag_seconds.labels(*labels).set(seconds)
        wall = time.time()
        for table, ts_ms in dict(self._last_source_ts).items():
            self.p.metrics.staleness.labels(table).set(max(wall - ts_ms / 1000, 0.0))
