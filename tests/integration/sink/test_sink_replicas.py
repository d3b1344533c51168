"""Replicas of one consumer group starting together on a new warehouse schema.

Creating the schema, the bookkeeping tables and each warehouse table with ``IF NOT
EXISTS`` is not safe when two sessions do it at the same moment (one fails on a catalog
unique index); the sink serializes its DDL with an advisory lock, tested here.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from cdc_sink.metrics import SinkMetrics
from cdc_sink.sqlbuild import MetaNames
from cdc_sink.tables import Tables
from tests.integration.kafkaclients import create_topics
from tests.integration.sink.harness import SinkProcess, Target, wait_converged, write_config
from tests.integration.sink.warehouse import assert_matches_model
from tests.stackfixtures import Services, unique
from tests.support.cdcgen import Workload, mixed_writers, produce


def test_concurrent_bootstraps_of_a_new_schema_all_succeed(services: Services) -> None:
    schema, sessions = "t_" + uuid.uuid4().hex[:12], 8
    start, errors = threading.Barrier(sessions), []

    def bootstrap() -> None:
        try:
            with psycopg.connect(services.postgres_dsn) as conn, conn.transaction():
                start.wait(timeout=30)
                Tables(schema, MetaNames(), SinkMetrics()).bootstrap(conn)
        except Exception as exc:  # collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=bootstrap) for _ in range(sessions)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert errors == []
    finally:
        with psycopg.connect(services.postgres_dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("drop schema if exists {} cascade").format(
                sql.Identifier(schema)))


@pytest.mark.parametrize("partitions", [2, 1])
def test_two_replicas_started_together_share_the_partitions_and_match_the_model(
        services: Services, pg_schema: str, tmp_path: Path, partitions: int) -> None:
    """With one partition per topic (common for Debezium topics), Kafka's default range
    assignor would give every topic to the same replica; the sink's default spreads them."""
    prefix = unique("rep").replace("-", "")
    topics = [f"{prefix}.public.{t}" for t in ("customers", "orders", "order_items")]
    create_topics(services.kafka_bootstrap, topics, partitions=partitions)
    writers = mixed_writers(services.registry_url, prefix)
    workload = Workload(seed=5)
    at = Target(services.kafka_bootstrap, services.postgres_dsn, pg_schema, unique("sink"),
                tuple(topics))
    sinks = [SinkProcess(write_config(tmp_path / f"sink{n}.yaml", at, services.registry_url),
                         tmp_path / f"sink{n}.log") for n in range(2)]
    try:
        for sink in sinks:
            sink.start()
        _until_both_hold_partitions(sinks)  # so both create the tables at the same time
        produce(services.kafka_bootstrap, writers, workload.events(2000))
        wait_converged(sinks[0], at)
        assert all(sink.alive() for sink in sinks), "\n".join(s.tail() for s in sinks)
    finally:
        codes = [sink.stop() for sink in sinks]
    assert codes == [0, 0], "\n".join(s.tail() for s in sinks)
    assert_matches_model(services.postgres_dsn, pg_schema, workload)


def _until_both_hold_partitions(sinks: list[SinkProcess], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        latest = [re.findall(r"assigned (\[.*?\]) at stored", s.log.read_text()) for s in sinks]
        if all(found and found[-1] != "[]" for found in latest):
            return
        assert all(s.alive() for s in sinks), "\n".join(s.tail() for s in sinks)
        time.sleep(0.3)
    raise AssertionError("the replicas never shared the partitions:\n"
                         + "\n".join(s.tail() for s in sinks))
