"""The sink's unit of work: one decoded change for one warehouse row.

A change is plain data by the time it reaches batching and SQL building: decoding, contract
checks and type conversion happened at the edge (decode.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True, order=True)  # per message: not frozen (a frozen __init__ is slower)
class Position:
    """Where a change sits in the source's history.

    The LSN orders changes when both sides have one; the source commit time is the fallback
    (DESIGN.md "Ordering guard"). ``newer_than`` is strict: an equal change is a no-op.
    """

    lsn: int | None
    ts_ms: int

    def newer_than(self, other: Position) -> bool:
        if self.lsn is not None and other.lsn is not None:
            return self.lsn > other.lsn
        return self.ts_ms > other.ts_ms


@dataclass(slots=True)  # not frozen: built per message, and frozen __init__ is 4x slower
class KafkaCoordinates:
    """Topic, partition and offset of the message a change came from."""

    topic: str
    partition: int
    offset: int


@dataclass(slots=True)  # treated as immutable; not frozen, as KafkaCoordinates
class SinkChange:
    """One change to apply to ``table``.

    ``columns`` holds every column the writer schema carried, already converted for
    PostgreSQL. ``unavailable`` names columns whose value is unknown in this change — Debezium's
    placeholder for an unchanged TOASTed value, or a column the (older) writer schema lacks —
    so the stored value must be kept. ``carried`` maps a column to the position of an older
    change of the same batch whose value was carried into this one (see collapse.py).
    """

    table: str
    key: tuple[Any, ...]
    columns: dict[str, Any]
    deleted: bool
    op: str
    event_id: str
    position: Position
    origin: KafkaCoordinates
    unavailable: frozenset[str] = frozenset()
    carried: dict[str, Position] = field(default_factory=dict)


@dataclass(slots=True)  # treated as immutable; not frozen, as KafkaCoordinates
class RawMessage:
    """A Kafka message as plain data: what decoding reads and what a DLQ record copies."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes | None], ...] = ()
    timestamp_ms: int | None = None
