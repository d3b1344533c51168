"""The sink as operators see it: probes, every metric of docs/design.md, graceful SIGTERM."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import psycopg
from confluent_kafka import TopicPartition
from confluent_kafka.admin import AdminClient
from psycopg import sql

from cdc_stack.ports import free_port
from tests.integration.kafkaclients import create_topics
from tests.integration.sink.harness import (
    SinkProcess,
    Target,
    end_offsets,
    run_to_convergence,
    stored_offsets,
    wait_converged,
    write_config,
)
from tests.stackfixtures import Services, unique
from tests.support.cdcgen import TABLES, Workload, processed_writers, produce
from tests.support.registry import registry_client
from tests.support.waiting import wait_until

METRICS = ("cdc_sink_records_consumed_total", "cdc_sink_rows_upserted_total",
           "cdc_sink_rows_soft_deleted_total", "cdc_sink_rows_skipped_stale_total",
           "cdc_sink_batch_duration_seconds_bucket", "cdc_end_to_end_latency_seconds_bucket",
           "cdc_dlq_records", "cdc_schema_changes_total", "cdc_quality_violations",
           "cdc_table_staleness_seconds", "cdc_consumer_lag_records",
           "cdc_consumer_lag_seconds", "cdc_sink_up")


def _wait_for(url: str, predicate: Callable[[httpx.Response], bool],
              timeout: float = 30) -> httpx.Response:
    """The first answer of ``url`` that satisfies ``predicate``."""
    last: list[httpx.Response] = []

    def answered() -> bool:
        try:
            last[:] = [httpx.get(url, timeout=2)]
        except httpx.HTTPError:
            return False
        return predicate(last[0])

    wait_until(answered, timeout, lambda: f"{url}; last answer "
               f"{last[0].text[:500] if last else None!r}", interval_s=0.3)
    return last[0]


def test_probes_metrics_and_graceful_shutdown(services: Services, pg_schema: str,
                                              tmp_path: Path) -> None:
    registry = registry_client(services.registry_url)
    prefix = unique("ops").replace("-", "")
    writers = processed_writers(registry, prefix)
    at = Target(services.kafka_bootstrap, services.postgres_dsn, pg_schema, unique("sink"),
                tuple(w.topic for w in writers.values()))
    port = free_port()
    cfg = write_config(tmp_path / "sink.yaml", at, services.registry_url, lag_interval_s=0.5,
                       http_port=port)
    produce(services.kafka_bootstrap, writers, Workload(seed=3).events(500))
    sink = SinkProcess(cfg, tmp_path / "sink.log").start()
    base = f"http://127.0.0.1:{port}"
    try:
        assert _wait_for(f"{base}/healthz", lambda r: r.status_code == 200).json() == {
            "live": True}
        _wait_for(f"{base}/readyz", lambda r: r.status_code == 200)
        wait_converged(sink, at)
        text = _wait_for(f"{base}/metrics",
                         lambda r: "cdc_consumer_lag_seconds{" in r.text).text
        missing = [m for m in METRICS if m not in text]
        assert missing == [], missing
        assert f'cdc_sink_records_consumed_total{{topic="{prefix}.public.orders"}}' in text
        assert httpx.get(f"{base}/nope", timeout=2).status_code == 404
    finally:
        code = sink.stop()
    assert code == 0, sink.tail()
    assert "sink stopped cleanly" in sink.log.read_text()


def test_stored_offsets_outside_the_log_halt_their_partitions_loudly(
        services: Services, pg_schema: str, tmp_path: Path) -> None:
    """A topic recreated under the sink (stored offset past the end) and records deleted
    before the sink wrote them (stored offset before the log start) are never skipped
    silently: those partitions are paused with a metric and a log line; others go on."""
    registry = registry_client(services.registry_url)
    prefix = unique("gap").replace("-", "")
    writers = processed_writers(registry, prefix)
    ahead, behind, fine = (writers[s.table].topic for s in TABLES)
    at = Target(services.kafka_bootstrap, services.postgres_dsn, pg_schema, unique("sink"),
                (ahead, behind, fine))
    workload = Workload(seed=11)
    produce(services.kafka_bootstrap, writers, workload.events(300))
    run_to_convergence(tmp_path, at, services.registry_url)
    before = stored_offsets(at.dsn, at.schema, at.group)
    _shift_stored(at, ahead, 1000)  # as if the topic had been deleted and recreated
    produce(services.kafka_bootstrap, writers, workload.events(300))
    ends = _delete_all_records(services.kafka_bootstrap, behind)  # retention outran the sink
    lost = {tp for tp, o in before.items() if tp[0] == behind and ends[tp] > o}
    assert lost, "the second workload wrote nothing to the topic whose records are deleted"

    port = free_port()
    cfg = write_config(tmp_path / "again.yaml", at, services.registry_url, http_port=port)
    sink = SinkProcess(cfg, tmp_path / "again.log").start()
    try:
        _wait_for(f"http://127.0.0.1:{port}/metrics",
                  lambda r: "cdc_sink_partition_halted{" in r.text)
        produce(services.kafka_bootstrap, writers, workload.events(300))  # while assigned
        wait_converged(sink, Target(at.bootstrap, at.dsn, at.schema, at.group, (fine,)))
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    finally:
        assert sink.stop() == 0, sink.tail()
    halted = {line.split(" ")[0] for line in text.splitlines()
              if line.startswith("cdc_sink_partition_halted{") and line.endswith(" 1.0")}
    expected = {(tp, "offset_beyond_log_end") for tp in before if tp[0] == ahead}
    expected |= {(tp, "offset_before_log_start") for tp in lost}
    assert halted == {
        f'cdc_sink_partition_halted{{partition="{p}",reason="{reason}",topic="{topic}"}}'
        for (topic, p), reason in expected}, text
    after = stored_offsets(at.dsn, at.schema, at.group)
    assert {tp: o for tp, o in after.items() if tp[0] == behind} == {
        tp: o for tp, o in before.items() if tp[0] == behind}
    assert {tp: o for tp, o in after.items() if tp[0] == ahead} == {
        tp: o + 1000 for tp, o in before.items() if tp[0] == ahead}
    assert "halted (offset_before_log_start)" in sink.log.read_text()


def _shift_stored(at: Target, topic: str, by: int) -> None:
    query = sql.SQL("update {} set next_offset = next_offset + %s where consumer_group = %s "
                    "and topic = %s").format(sql.Identifier(at.schema, "_cdc_offsets"))
    with psycopg.connect(at.dsn, autocommit=True) as conn:
        conn.execute(query, (by, at.group, topic))


def _delete_all_records(bootstrap: str, topic: str) -> dict[tuple[str, int], int]:
    ends = end_offsets(bootstrap, [topic])
    admin = AdminClient({"bootstrap.servers": bootstrap})
    targets = [TopicPartition(t, p, end) for (t, p), end in ends.items()]
    for future in admin.delete_records(targets).values():
        future.result(timeout=30)
    return ends


def test_a_topic_created_after_the_sink_started_is_loaded_within_seconds(
        services: Services, pg_schema: str, tmp_path: Path) -> None:
    """A subscribed topic that appears later is noticed at the next metadata refresh
    (10 s in the sink's defaults; librdkafka's own is 5 minutes, longer than this test)."""
    registry = registry_client(services.registry_url)
    prefix = unique("later").replace("-", "")
    writers = processed_writers(registry, prefix)
    late = writers.pop("customers")
    early_topics = tuple(w.topic for w in writers.values())
    create_topics(services.kafka_bootstrap, list(early_topics))
    events = Workload(seed=5).events(300)
    produce(services.kafka_bootstrap, writers, [e for e in events if e.spec.table in writers])
    group = unique("sink")
    early = Target(services.kafka_bootstrap, services.postgres_dsn, pg_schema, group,
                   early_topics)
    every = Target(services.kafka_bootstrap, services.postgres_dsn, pg_schema, group,
                   (*early_topics, late.topic))
    assert late.topic not in AdminClient({"bootstrap.servers": services.kafka_bootstrap}
                                         ).list_topics(timeout=10).topics
    sink = SinkProcess(write_config(tmp_path / "sink.yaml", every, services.registry_url),
                       tmp_path / "sink.log").start()
    try:
        wait_converged(sink, early, timeout=60)
        create_topics(services.kafka_bootstrap, [late.topic])
        sent = produce(services.kafka_bootstrap, {"customers": late},
                       [e for e in events if e.spec.table == "customers"])
        assert sent > 0
        wait_converged(sink, every, timeout=60)
    finally:
        assert sink.stop() == 0, sink.tail()


def test_a_batch_is_committed_once_the_input_goes_quiet(
        services: Services, pg_schema: str, tmp_path: Path) -> None:
    """Caught up, the sink writes its batch at once instead of waiting for the batch timer
    (set to ten minutes here, far beyond the test's deadline)."""
    registry = registry_client(services.registry_url)
    writers = processed_writers(registry, unique("quiet").replace("-", ""))
    topics = tuple(w.topic for w in writers.values())
    create_topics(services.kafka_bootstrap, list(topics))
    assert produce(services.kafka_bootstrap, writers, Workload(seed=6).events(200)) > 0
    at = Target(services.kafka_bootstrap, services.postgres_dsn, pg_schema, unique("sink"),
                topics)
    config = write_config(tmp_path / "sink.yaml", at, services.registry_url,
                          batch_max_rows=100_000, batch_max_wait_ms=600_000)
    sink = SinkProcess(config, tmp_path / "sink.log").start()
    try:
        wait_converged(sink, at, timeout=60)
    finally:
        assert sink.stop() == 0, sink.tail()
