"""The sink's unit of work: one decoded change for one warehouse row.

A change is plain data by the time it reaches batching and SQL building: decoding, contract
checks and type conversion happened at the edge (decode.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ORDERED = b"\x01"  # the key's first byte: the connector's own position decides
UNORDERED = b"\x00"  # no position: commit time, then the Kafka offset
_TS_BIAS = 1 << 63  # an 8-byte big-endian ts_ms that sorts like the signed number


def position_key(order: tuple[int, ...] | None, ts_ms: int, offset: int) -> bytes:
    """The bytes that order two changes of one key: compared as bytes, here and in SQL.

    ``01`` + each part of the source position as 8 big-endian bytes, or, when the source
    gives none, ``00`` + ts_ms + the Kafka offset (one key's changes share a partition, in
    commit order). The warehouse stores it as ``bytea``, which PostgreSQL compares byte by
    byte, so the guard in SQL and this module agree by construction.
    """
    if order is not None:
        return ORDERED + b"".join(part.to_bytes(8, "big") for part in order)
    return UNORDERED + (ts_ms + _TS_BIAS).to_bytes(8, "big") + offset.to_bytes(8, "big")


@dataclass(slots=True)  # per message: not frozen (a frozen __init__ is slower)
class Position:
    """Where a change sits in its source's history.

    ``key`` orders changes (``position_key``); ``lsn`` and ``ts_ms`` are what the warehouse
    shows as ``_source_lsn`` and ``_source_updated_at``. Built from ``lsn`` alone, the
    position is PostgreSQL's ``(lsn,)``. ``newer_than`` is strict: an equal key is the same
    change, a no-op.
    """

    lsn: int | None
    ts_ms: int
    key: bytes = b""

    def __post_init__(self) -> None:
        if not self.key:
            self.key = position_key(None if self.lsn is None else (self.lsn,), self.ts_ms, 0)

    def newer_than(self, other: Position) -> bool:
        return self.key > other.key

    def tied_with(self, other: Position) -> bool:
        """Neither has a source position and both share a commit time: only the Kafka
        offset orders them."""
        return self.key[:9] == other.key[:9] and self.key[:1] == UNORDERED


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
    so the stored value must be kept (a value in ``columns`` for such a column is only what a
    new row gets). ``carried`` maps a column to the position of an older change of the same
    batch whose value was carried into this one (see collapse.py).
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
