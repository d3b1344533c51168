"""Small helpers for tests that talk to Kafka: consume until a count or a quiet period."""

from __future__ import annotations

import time
from typing import Any

from confluent_kafka import Consumer, Message


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
