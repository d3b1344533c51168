"""The sink rides out a warehouse restart: retries, no loss, no duplicate effect."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cdc_stack import LocalStack, StackSettings
from tests.integration.sink.harness import SinkProcess, Target, wait_converged, write_config
from tests.integration.sink.warehouse import mismatches, table_rows
from tests.stackfixtures import Services, unique
from tests.support.cdcgen import TABLES, Workload, perturb, processed_writers, produce
from tests.support.registry import registry_client


@pytest.fixture
def own_postgres(tmp_path: Path) -> Iterator[LocalStack]:
    """A PostgreSQL of this test's own, so restarting it disturbs no other test."""
    stack = LocalStack(StackSettings(services=("postgres",)), tmp_path / "pg")
    stack.up()
    yield stack
    stack.down()


def test_postgres_restart_mid_stream_loses_nothing(services: Services, own_postgres: LocalStack,
                                                   tmp_path: Path) -> None:
    dsn = own_postgres.state.endpoints.postgres_dsn
    registry = registry_client(services.registry_url)
    prefix = unique("pgr").replace("-", "")
    writers = processed_writers(registry, prefix)
    at = Target(services.kafka_bootstrap, dsn, "warehouse", unique("sink"),
                tuple(w.topic for w in writers.values()))
    cfg = write_config(tmp_path / "sink.yaml", at, services.registry_url, batch_max_rows=200,
                       retry_initial_backoff_s=0.2, retry_max_backoff_s=1.0)
    workload = Workload(seed=23)
    rng = random.Random(23)
    produce(services.kafka_bootstrap, writers, perturb(workload.events(1500), rng))
    sink = SinkProcess(cfg, tmp_path / "sink.log").start()
    time.sleep(3)  # mid-stream: the sink is consuming and committing
    own_postgres.restart_postgres(down_s=4)
    produce(services.kafka_bootstrap, writers, perturb(workload.events(1500), rng))
    try:
        wait_converged(sink, at, timeout=180)
        assert sink.alive(), sink.tail()
    finally:
        assert sink.stop() == 0, sink.tail()
    log = sink.log.read_text()
    assert "retrying in" in log  # the outage was seen, and ridden out
    expected = workload.expected()
    problems = [p for spec in TABLES
                for p in mismatches(spec, expected[spec.table], table_rows(dsn, "warehouse", spec))]
    assert problems == [], "\n".join(problems[:20])
