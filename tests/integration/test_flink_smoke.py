"""PyFlink smoke test: a job on the embedded mini-cluster reads one topic and writes another.

It runs the real ``flink_jobs.passthrough`` module in a child process (as ``cdc job`` will),
with the Kafka connector JAR from the cache, Python in thread mode and an exactly-once sink;
a read_committed consumer must see every input record exactly once.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

from confluent_kafka import Producer

from tests.integration.kafkaclients import consume_all
from tests.stackfixtures import Services


def test_passthrough_job_copies_topic_exactly_once(services: Services,
                                                   new_topic: Callable[..., str],
                                                   new_group: Callable[[], str]) -> None:
    source, sink = new_topic("flink-in"), new_topic("flink-out")
    producer = Producer({"bootstrap.servers": services.kafka_bootstrap})
    for i in range(2000):
        producer.produce(source, value=f"event-{i}".encode())
    assert producer.flush(30) == 0

    job = subprocess.run(
        [sys.executable, "-m", "flink_jobs.passthrough", "--bootstrap", services.kafka_bootstrap,
         "--source-topic", source, "--sink-topic", sink, "--group-id", new_group(),
         "--connector-jar", str(services.flink_connector_jar), "--execution-mode", "thread",
         "--transactional-id-prefix", f"smoke-{sink}", "--bounded"],
        capture_output=True, text=True, timeout=300, check=False)
    assert job.returncode == 0, job.stdout[-3000:] + job.stderr[-3000:]

    out = consume_all(services.kafka_bootstrap, sink, new_group(), quiet_s=3)
    assert sorted(m.value().decode() for m in out) == sorted(f"event-{i}" for i in range(2000))
