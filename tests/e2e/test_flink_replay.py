"""Debezium replays after a Kafka Connect kill; the Flink job drops every copy.

Connect is SIGKILLed mid-workload and restarted: Debezium re-sends what it had sent since
its last flushed offset, so the raw topics hold copies of changes seconds old. The job
must drop each copy (counted as ``duplicates_dropped``), the processed topics must hold
each change once, and the windowed metrics must count each change once.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import psycopg
import pytest
from confluent_kafka import Consumer, KafkaError, Message

from cdc_core.envelope import parse_envelope
from cdc_core.event_id import event_id, header_event_id
from cdc_demo.measure import FLINK_DUPLICATES, counter_sum
from cdc_demo.pipeline import Pipeline
from cdc_stack import LocalStack
from tests.e2e.convergence import seeded
from tests.e2e.faults import Background, kill_and_restart_connect
from tests.e2e.test_debezium_to_warehouse import _assert_converged, _begin
from tests.integration.flink.jobrun import OutputDecoder
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e
METRICS_WINDOW_MS = 60_000  # the job's default metrics.window_ms
OUT_OF_ORDERNESS_MS = 5_000  # the job's default processing.max_out_of_orderness_ms


@dataclass
class RawChanges:
    """The raw topics read back: every copy, and each change's table and event time."""

    copies: Counter[str] = field(default_factory=Counter)  # event_id -> deliveries
    changes: dict[str, tuple[str, int]] = field(default_factory=dict)  # id -> (table, ts)

    def add(self, eid: str, table: str, ts_ms: int) -> None:
        self.copies[eid] += 1
        self.changes[eid] = (table, ts_ms)

    @property
    def replayed(self) -> int:
        return sum(self.copies.values()) - len(self.copies)


def records(bootstrap: str, topics: list[str], *, committed: bool) -> Iterator[Message]:
    """Every record of ``topics`` from the start, up to their end when read."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"probe-{time.time_ns()}",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False,
                         "enable.partition.eof": True,
                         "isolation.level": "read_committed" if committed else
                         "read_uncommitted"})
    consumer.subscribe(topics)
    partitions = sum(len(consumer.list_topics(t, timeout=10).topics[t].partitions)
                     for t in topics)
    ended: set[tuple[str | None, int | None]] = set()
    try:
        while len(ended) < partitions:
            msg = consumer.poll(10)
            if msg is None:
                raise AssertionError(f"{topics}: no record or end-of-partition within 10 s")
            error = msg.error()
            if error is not None and error.code() == KafkaError._PARTITION_EOF:
                ended.add((msg.topic(), msg.partition()))
            elif error is None:
                yield msg
    finally:
        consumer.close()


def raw_changes(pipe: Pipeline, avro: OutputDecoder) -> RawChanges:
    """The raw topics' changes by event_id (as the job computes it), tombstones left out."""
    found = RawChanges()
    for msg in records(pipe.endpoints.kafka_bootstrap, pipe.names.raw_topics(),
                       committed=False):
        if msg.value() is None:
            continue
        event = parse_envelope(avro.key(msg), avro.value(msg))
        headers = msg.headers()  # a list of pairs from the consumer
        eid = event_id(event, header_event_id(headers if isinstance(headers, list) else None))
        found.add(eid, event.source.table, event.source.ts_ms)
    return found


def processed_ids(pipe: Pipeline, avro: OutputDecoder) -> Counter[str]:
    """Committed processed records per event_id."""
    return Counter(avro.value(msg)["__event_id"] for msg in
                   records(pipe.endpoints.kafka_bootstrap, pipe.names.processed_topics(),
                           committed=True))


def metrics_counts(pipe: Pipeline, avro: OutputDecoder) -> Counter[tuple[str, int]]:
    """Changes counted by the windowed metrics per (table, window start), increments added."""
    topic = f"cdc_{pipe.names.run_id}.metrics"
    counts: Counter[tuple[str, int]] = Counter()
    for msg in records(pipe.endpoints.kafka_bootstrap, [topic], committed=True):
        value = avro.value(msg)
        counts[value["table"].split(".")[-1], value["window_start_ms"]] += sum(
            value[f"count_{op}"] for op in "cudr")
    return counts


def expected_counts(raw: RawChanges, before_ms: int) -> Counter[tuple[str, int]]:
    """Each change once per (table, window start), for the windows starting before
    ``before_ms``."""
    counts: Counter[tuple[str, int]] = Counter()
    for table, ts in raw.changes.values():
        start = ts - ts % METRICS_WINDOW_MS
        if start < before_ms:
            counts[table, start] += 1
    return counts


def close_the_workload_windows(pipe: Pipeline, raw: RawChanges) -> int:
    """One more source change once the last workload window has ended (plus the job's
    out-of-orderness), so the watermark passes every workload window; returns the start
    of the windows left open."""
    last = max(ts for _, ts in raw.changes.values())
    window_end = last - last % METRICS_WINDOW_MS + METRICS_WINDOW_MS
    wait_until(lambda: time.time() * 1000 > window_end + OUT_OF_ORDERNESS_MS + 1000, 90,
               "the wall clock to pass the last workload window")
    with psycopg.connect(pipe.source_dsn, autocommit=True) as conn:
        conn.execute("update customers set full_name = full_name "
                     "where id = (select min(id) from customers)")
    return window_end


def test_connect_killed_mid_workload_replays_and_the_job_keeps_each_change_once(
        e2e_stack: LocalStack, make_pipeline: Callable[..., Pipeline]) -> None:
    pipe = make_pipeline(through_flink=True)
    workload = seeded()
    loader = _begin(pipe, workload)
    load = Background(lambda: loader.run(changes=4000))
    load.start()
    wait_until(lambda: loader.stats.changes > 1500, 120, "workload progress")
    kill_and_restart_connect(e2e_stack)
    load.result()
    _assert_converged(pipe, workload)
    avro = OutputDecoder(pipe.endpoints.registry_url)
    raw = raw_changes(pipe, avro)
    assert raw.replayed > 0, "Debezium replayed nothing after the Connect kill"
    print(f"{len(raw.copies)} changes, {raw.replayed} replayed copies in the raw topics")
    open_from = close_the_workload_windows(pipe, raw)
    expected = expected_counts(raw, open_from)
    wait_until(lambda: {k: v for k, v in metrics_counts(pipe, avro).items()
                        if k[1] < open_from} == expected, 180,
               lambda: f"metrics counting each change once: {metrics_counts(pipe, avro)} "
                       f"vs {expected}")
    processed = processed_ids(pipe, avro)
    workload_ids = {e for e, (_, ts) in raw.changes.items() if ts < open_from}
    assert workload_ids <= set(processed)
    assert max(processed.values()) == 1, processed.most_common(3)
    metrics_url = f"http://127.0.0.1:{pipe.job_metrics_port}/metrics"
    wait_until(lambda: counter_sum(metrics_url, FLINK_DUPLICATES) == raw.replayed, 60,
               lambda: f"duplicates_dropped {counter_sum(metrics_url, FLINK_DUPLICATES)} at "
                       f"{metrics_url} to equal the {raw.replayed} replayed copies")
