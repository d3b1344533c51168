"""Run the sink as a real process (``cdc sink run``) and watch it from outside."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import yaml
from confluent_kafka import Consumer, TopicPartition
from psycopg import sql

from tests.integration.kafkaclients import consume_all
from tests.stackfixtures import unique
from tests.support.cdcgen import Event, TopicWriter, chunks, produce


def write_config(path: Path, at: Target, registry: str, *, http_port: int = 0,
                 **sink: Any) -> Path:
    config = {"kafka": {"bootstrap_servers": at.bootstrap, "group_id": at.group,
                        "topics": list(at.topics)},
              "registry": {"url": registry},
              "postgres": {"dsn": at.dsn, "target_schema": at.schema},
              "sink": {"batch_max_rows": 500, "batch_max_wait_ms": 200,
                       "dlq_topic": f"dlq-{at.group}", **sink},
              "http": {"host": "127.0.0.1", "port": http_port}}
    path.write_text(yaml.safe_dump(config))
    return path


class SinkProcess:
    """One ``cdc sink run`` child; its log goes to a file for post-mortems."""

    def __init__(self, config: Path, log: Path) -> None:
        self.config, self.log = config, log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> SinkProcess:
        env = {**os.environ, "CDC_LOG_FORMAT": "text"}
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "cdc_cli.main", "sink", "run", "--config",
                 str(self.config)], stdout=out, stderr=subprocess.STDOUT, env=env)
        return self

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)

    def stop(self, timeout: float = 60) -> int:
        """SIGTERM and wait: the graceful path."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def tail(self, lines: int = 60) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def end_offsets(bootstrap: str, topics: Iterable[str]) -> dict[tuple[str, int], int]:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "end-offsets"})
    try:
        out = {}
        for topic in topics:
            meta = consumer.list_topics(topic, timeout=10).topics[topic]
            for p in meta.partitions:
                _low, high = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
                out[(topic, p)] = high
        return out
    finally:
        consumer.close()


def stored_offsets(dsn: str, schema: str, group: str) -> dict[tuple[str, int], int]:
    query = sql.SQL("select topic, partition, next_offset from {} where consumer_group = %s"
                    ).format(sql.Identifier(schema, "_cdc_offsets"))
    try:
        with psycopg.connect(dsn) as conn:
            rows = conn.execute(query, (group,)).fetchall()
    except psycopg.errors.UndefinedTable:
        return {}
    return {(t, p): o for t, p, o in rows}


@dataclass(frozen=True)
class Target:
    """Where one sink reads and writes."""

    bootstrap: str
    dsn: str
    schema: str
    group: str
    topics: tuple[str, ...]


def dlq_reasons(bootstrap: str, dlq: str) -> dict[tuple[str, int], str]:
    """(source topic, offset) -> reason of every dead letter, checked to carry the bytes."""
    total = sum(end_offsets(bootstrap, [dlq]).values())
    records = consume_all(bootstrap, dlq, unique("dlq-reader"), expected=total)
    out = {}
    for msg in records:
        headers = {k: (v or b"").decode() for k, v in msg.headers() or []}
        assert msg.value(), headers  # the original record, read back from Kafka
        out[(headers["cdc.source.topic"], int(headers["cdc.source.offset"]))] = \
            headers["cdc.error.reason"]
    return out


def wait_converged(sink: SinkProcess, at: Target, timeout: float = 180) -> None:
    """Until the warehouse's stored offsets reach the end of every topic."""
    bootstrap, dsn, schema, group = at.bootstrap, at.dsn, at.schema, at.group
    target = {tp: o for tp, o in end_offsets(bootstrap, at.topics).items() if o > 0}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stored = stored_offsets(dsn, schema, group)
        if all(stored.get(tp, 0) >= o for tp, o in target.items()):
            return
        if not sink.alive():
            raise AssertionError(f"sink exited early:\n{sink.tail()}")
        time.sleep(0.3)
    raise AssertionError(f"no convergence: stored {stored_offsets(dsn, schema, group)}, "
                         f"end {target}\n{sink.tail()}")


def produce_killing(sink: SinkProcess, at: Target, writers: dict[str, TopicWriter],
                    events: list[Event], rng: random.Random, *, chunk: int = 1000) -> int:
    """Produce ``events`` in chunks, killing the running sink with -9 a random moment after
    each and starting it again; then wait until it has consumed everything and stop it.
    Returns how many times it was killed."""
    kills = 0
    for part in chunks(events, chunk):
        produce(at.bootstrap, writers, part)
        time.sleep(rng.uniform(0.5, 2.0))
        sink.kill9()
        kills += 1
        sink.start()
    wait_converged(sink, at, timeout=240)
    assert sink.stop() == 0, sink.tail()
    return kills


def run_to_convergence(tmp: Path, at: Target, registry: str, **sink: Any) -> SinkProcess:
    """Start a sink, wait until it has consumed everything, stop it gracefully."""
    name = at.group
    process = SinkProcess(write_config(tmp / f"{name}.yaml", at, registry, **sink),
                          tmp / f"{name}.log").start()
    try:
        wait_converged(process, at)
    finally:
        code = process.stop()
    assert code == 0, process.tail()
    return process
