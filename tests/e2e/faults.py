"""Faults the e2e tests inject, and probes proving the tested path was really taken."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from confluent_kafka import Consumer, KafkaError

from cdc_stack import LocalStack


def kill_and_restart_connect(stack: LocalStack) -> None:
    """SIGKILL the Connect worker and start a new one on the same port and group.

    Connect keeps connector configs and source offsets in Kafka, so the new worker resumes
    the connector by itself from the last flushed offset: Debezium replays what it had
    sent since, which is the duplicate delivery the pipeline must absorb."""
    stack.kill_and_restart_connect()


def topic_contains(bootstrap: str, topic: str, needle: bytes) -> int:
    """How many record values of ``topic`` (read from the start) contain ``needle``."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"probe-{time.time_ns()}",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False,
                         "enable.partition.eof": True})
    consumer.subscribe([topic])
    found, ended = 0, False
    try:
        while not ended:
            msg = consumer.poll(10)
            if msg is None:
                raise AssertionError(f"{topic}: no record or end-of-partition within 10 s")
            ended = bool(msg.error()) and msg.error().code() == KafkaError._PARTITION_EOF
            found += 1 if not msg.error() and needle in (msg.value() or b"") else 0
    finally:
        consumer.close()
    return found


class Background(threading.Thread):
    """Run ``target`` in a thread; ``result()`` re-raises its exception in the test."""

    def __init__(self, target: Callable[[], object]) -> None:
        super().__init__(daemon=True)
        self._target_fn, self._error, self.value = target, None, None

    def run(self) -> None:
        try:
            self.value = self._target_fn()
        except BaseException as exc:  # re-raised in the test thread
            self._error = exc  # type: ignore[assignment]

    def result(self, timeout_s: float = 300) -> object:
        self.join(timeout_s)
        assert not self.is_alive(), "background work did not finish"
        if self._error is not None:
            raise self._error
        return self.value
