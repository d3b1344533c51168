"""Recovery after ``kill -9``: a replica restarted at once holds its partitions again within
a bound, read from its own log (the start line to the first non-empty assignment).

The dead consumer's membership ends when the group coordinator stops hearing from it: the
sink's session timeout (``app.SESSION_TIMEOUT_MS``) bounds that with dynamic membership;
with ``kafka.instance_id`` (static membership) the restarted replica takes its place at once.
"""

from __future__ import annotations

import re
import time
from datetime import datetime
from pathlib import Path

import pytest
import yaml

from cdc_sink.app import SESSION_TIMEOUT_MS
from tests.integration.kafkaclients import create_topics
from tests.integration.sink.harness import SinkProcess, Target, wait_converged, write_config
from tests.integration.sink.test_sink_evolution import NAME, rec, rows
from tests.stackfixtures import Services, unique
from tests.support.cdcgen import TableSpec, TopicWriter, produce_raw
from tests.support.registry import registry_client

SPEC = TableSpec("items", ("id",), ({"name": "id", "type": "long"}, NAME),
                 lambda _rng, key: dict(key))
_STAMP = r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3})"
# The coordinator notices the dead member within one session timeout; the rebalance that
# follows and the restarted process's own start add a few seconds on a loaded machine.
DYNAMIC_BOUND_S = SESSION_TIMEOUT_MS / 1000 + 6
STATIC_BOUND_S = 6.0


def _stamp(text: str) -> float:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S,%f").timestamp()


def _assigned_after_start(log: Path, timeout: float = 60) -> float:
    """Seconds from this process's start line to its first non-empty assignment."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = log.read_text()
        started = re.search(_STAMP + r" INFO cdc_sink.app: sink started", text)
        assigned = re.search(_STAMP + r" INFO cdc_sink.service: assigned \[\(", text)
        if started and assigned:
            return _stamp(assigned.group(1)) - _stamp(started.group(1))
        time.sleep(0.2)
    raise AssertionError(f"no assignment within {timeout} s:\n{log.read_text()[-3000:]}")


@pytest.mark.parametrize("static", [False, True], ids=["dynamic", "static"])
def test_a_replica_killed_and_restarted_gets_its_partitions_back_within_the_bound(
        services: Services, pg_schema: str, tmp_path: Path, static: bool) -> None:
    topic = f"{unique('rec').replace('-', '')}.public.items"
    create_topics(services.kafka_bootstrap, [topic], partitions=2)
    writer = TopicWriter.register(registry_client(services.registry_url), topic, SPEC,
                                  processed=True)
    at = Target(services.kafka_bootstrap, services.postgres_dsn, pg_schema, unique("sink"),
                (topic,))
    config = write_config(tmp_path / "sink.yaml", at, services.registry_url)
    if static:
        loaded = yaml.safe_load(config.read_text())
        loaded["kafka"]["instance_id"] = unique("replica")
        config.write_text(yaml.safe_dump(loaded))
    first = SinkProcess(config, tmp_path / "first.log").start()
    produce_raw(services.kafka_bootstrap, [rec(writer, SPEC, 101, id=1, name="before")])
    wait_converged(first, at, timeout=90)
    first.kill9()
    second = SinkProcess(config, tmp_path / "second.log").start()
    try:
        delay = _assigned_after_start(second.log)
        print(f"partitions back {delay:.2f} s after the restart (static={static})")
        assert delay <= (STATIC_BOUND_S if static else DYNAMIC_BOUND_S), second.tail()
        produce_raw(services.kafka_bootstrap, [rec(writer, SPEC, 103, id=2, name="after")])
        wait_converged(second, at, timeout=90)
    finally:
        assert second.stop() == 0, second.tail()
    assert rows(services.postgres_dsn, pg_schema, "items", "name") == {1: ("before",),
                                                                      2: ("after",)}
