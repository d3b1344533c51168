"""The original bytes of changes PostgreSQL refused, read back from Kafka for the DLQ.

A batch keeps decoded changes, not the records they came from; the rare refused ones are
read again by their coordinates, all of a batch with one group-less consumer.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from confluent_kafka import Consumer, Message, TopicPartition

from cdc_sink.model import RawMessage

Coordinates = tuple[str, int, int]  # topic, partition, offset
Headers = Callable[[Message], tuple[tuple[str, bytes | None], ...]]
WAIT_S = 30.0  # for all of them; a record not read by then goes out without its bytes


def refetch(client: dict[str, Any], wanted: Iterable[Coordinates],
            headers: Headers) -> dict[Coordinates, RawMessage]:
    """Each wanted record as a RawMessage (without bytes if Kafka no longer has it)."""
    wanted = set(wanted)
    found: dict[Coordinates, RawMessage] = {}
    if wanted:
        probe = Consumer({**client, "group.id": "cdc-sink-refetch",
                          "enable.auto.commit": False})
        try:
            probe.assign(_starts(wanted))
            _read(probe, wanted, found, headers)
        finally:
            probe.close()
    return {c: found.get(c) or RawMessage(c[0], c[1], c[2], None, None) for c in wanted}


def _starts(wanted: set[Coordinates]) -> list[TopicPartition]:
    first: dict[tuple[str, int], int] = {}
    for topic, partition, offset in wanted:
        first[(topic, partition)] = min(offset, first.get((topic, partition), offset))
    return [TopicPartition(t, p, o) for (t, p), o in first.items()]


def _read(probe: Consumer, wanted: set[Coordinates], found: dict[Coordinates, RawMessage],
          headers: Headers) -> None:
    deadline = time.monotonic() + WAIT_S
    while len(found) < len(wanted) and time.monotonic() < deadline:
        for msg in probe.consume(num_messages=500, timeout=1.0):
            at = _coordinates(msg)
            if at is not None and at in wanted:
                found[at] = RawMessage(at[0], at[1], at[2], msg.key(), msg.value(),
                                       headers(msg))


def _coordinates(msg: Message) -> Coordinates | None:
    if msg.error() is not None:
        return None
    return str(msg.topic()), int(msg.partition() or 0), int(msg.offset() or 0)
