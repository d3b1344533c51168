"""Small helpers for tests that talk to Kafka: create topics, consume until a count or a
quiet period."""

from __future__ import annotations

import time
from typing import Any

from confluent_kafka import Consumer, Message
from confluent_kafka.admin import AdminClient, NewTopic


def create_topics(bootstrap: str, names: list[str], *, partitions: int = 1,
                  config: dict[str, str] | None = None) -> None:
    """Create the topics and wait until each exists (an existing one is an error)."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    new = [NewTopic(n, partitions, 1, config=config or {}) for n in names]
    for future in admin.create_topics(new, operation_timeout=30).values():
        future.result(timeout=30)


def consume_all(bootstrap: str, topic: str, group: str, *, expected: int | None = None,
                isolation: str = "read_committed", quiet_s: float = 3.0,
                timeout_s: float = 60.0, extra: dict[str, Any] | None = None) -> list[Message]:
    """Read ``topic`` from the start until ``expected`` messages, or ``quiet_s`` of silence."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                         "auto.offset.reset": "earliest", "enable.auto.commit": False,
                         "isolation.level": isolation, **(extra or {})})
    consumer.subscribe([topic])
    out: list[Message] = []
    deadline = time.monotonic() + timeout_s
    last = time.monotonic()
    try:
        while time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is None:
                if expected is None and out and time.monotonic() - last > quiet_s:
                    break
                continue
            if msg.error():
                raise AssertionError(f"consumer error: {msg.error()}")
            out.append(msg)
            last = time.monotonic()
            if expected is not None and len(out) >= expected:
                break
    finally:
        consumer.close()
    return out
