"""Deterministic event ids, the basis of deduplication across replays.

A replay of the same change (connector restart, Kafka redelivery, Flink recovery) must
get the same id, and two different changes must not.  The id is the source's own
``event_id`` header when it sends one; otherwise the first 32 hex digits (128 bits) of a
SHA-256 over a canonical JSON encoding of::

    ["cdc-event-id/v1", connector, db, schema, table, position, op, key]

* ``position`` is ``["lsn", lsn]`` for PostgreSQL: every row change has its own WAL
  position, and snapshot rows share one but differ by key.
* Other connectors with an ordered position (source_position.py: MySQL/MariaDB binlog
  file/pos/row, SQL Server LSNs, Oracle SCNs, MongoDB ts/ord) give ``["pos", [parts…]]``:
  the position of one change, the same on every replay.
* With neither (an unknown connector) it is ``["ts_txid", ts_ms, txid, row]``: ``row`` (the
  canonical row image) separates two changes to one row in one transaction, which share
  ts_ms and txid, while a replay still carries the identical image.
* ``key`` is the primary key as ``[name, value]`` pairs sorted by name, so field order in
  the key schema is irrelevant.

Values are canonicalised so the bytes do not depend on the process: Decimal as its
string, bytes as hex, date/time as ISO-8601, UUID as its string, mappings with sorted
keys.  Python's ``hash()`` is never used (it is salted per process).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from cdc_core.envelope import ChangeEvent

EVENT_ID_HEADER = "event_id"
ID_HEX_CHARS = 32
_VERSION = "cdc-event-id/v1"
# One encoder for every id: ``json.dumps`` with options builds a new one per call.
_CANONICAL_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def event_id(event: ChangeEvent, header_event_id: str | None = None) -> str:
    """The event's id: the source-provided one if any, else the documented hash."""
    if header_event_id and header_event_id.strip():
        return header_event_id.strip()
    source = event.source
    parts = [
        _VERSION,
        source.connector,
        source.db,
        source.schema,
        source.table,
        _position(event),
        event.op,
        canonical_key(event.key),
    ]
    encoded = _CANONICAL_JSON.encode(parts)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()[:ID_HEX_CHARS]


def header_event_id(headers: Iterable[tuple[str, bytes | str | None]] | None) -> str | None:
    """The ``event_id`` Kafka header's value, if the source sent one."""
    for name, raw in headers or ():
        if name == EVENT_ID_HEADER and raw:
            return raw.decode("utf-8") if isinstance(raw, bytes) else raw
    return None


def canonical_key(key: Mapping[str, Any]) -> list[list[Any]]:
    """Primary key as [name, canonical value] pairs sorted by name."""
    return [[name, canonical(key[name])] for name in sorted(key)]


def canonical(value: Any) -> Any:
    """A JSON-ready value whose encoding is the same in every process."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return repr(value)  # also covers nan/inf, which JSON cannot carry
    if isinstance(value, Mapping):
        return {str(k): canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, list | tuple):
        return [canonical(v) for v in value]
    return _canonical_scalar(value)


def _canonical_scalar(value: Any) -> str:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, dt.date | dt.time):  # datetime is a date
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID | dt.timedelta):
        return str(value)
    # Anything else has no stable canonical form; refuse rather than hash a repr.
    raise TypeError(f"cannot canonicalise {type(value).__name__} for an event id")


def _position(event: ChangeEvent) -> list[Any]:
    source = event.source
    if source.lsn is not None:
        return ["lsn", source.lsn]
    if source.order is not None:
        return ["pos", list(source.order)]
    image = event.after if event.after is not None else event.before
    return ["ts_txid", source.ts_ms, source.txid, canonical(image)]
