"""A change's place in its source's history, from Debezium's ``source`` block.

Every Debezium connector orders changes with its own fields. They are read here into one
tuple of non-negative integers, compared element by element (longer tuples of one connector
never meet shorter ones: each connector always yields the same length):

* PostgreSQL: ``(lsn,)``. One key's changes are written to the WAL in commit order (a row
  lock serialises writers of one row), and two changes never share an LSN; snapshot rows
  share the snapshot's LSN but differ by key.
* MySQL, MariaDB: ``(binlog file number, pos, row)``: the numeric suffix of ``file``
  (``mysql-bin.000042`` -> 42), the event's ``pos`` and the ``row`` within that event.
  A GTID orders transactions across servers but not the rows of one; the binlog position of
  the server the connector reads is used, so a failover to another server's binlog is not
  ordered by it (the commit time and the Kafka offset still are, see the sink's guard).
* SQL Server: ``(commit_lsn, change_lsn, event_serial_no)``, each LSN as its three
  hexadecimal parts (``0000002a:00000758:0003``); a snapshot row has no change LSN (zeros).
* Oracle: ``(commit_scn or scn, scn, ssn)``: the commit SCN orders transactions, the change
  SCN and the SQL sequence number order changes inside one; a snapshot row has no commit SCN.
* MongoDB: ``(ts_ms, ord)``: the oplog time (whole seconds, in ms) and the ordinal within it.

Any other connector has no known order: ``None``, and the caller falls back to the commit
time and then the Kafka offset. A field present but malformed raises ``EnvelopeError``
[bad_source_field]: guessing an order would risk applying a stale change over a newer one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from cdc_core.errors import EnvelopeError

Order = tuple[int, ...]
MAX_PART = (1 << 64) - 1  # every part fits 8 unsigned bytes (the warehouse's encoding)
_FILE_NUMBER = re.compile(r"\.(\d+)$")
_SQLSERVER_LSN = re.compile(r"^([0-9A-Fa-f]{8}):([0-9A-Fa-f]{8}):([0-9A-Fa-f]{4})$")


def source_order(connector: str, block: Mapping[str, Any]) -> Order | None:
    """The ordered position of the change described by ``block``; None if unknown."""
    reader = _READERS.get(connector.lower())
    if reader is None:
        return None
    order = reader(block)
    if order is not None and not all(0 <= part <= MAX_PART for part in order):
        raise EnvelopeError(f"{connector} source position {order} is out of range",
                            reason="bad_source_field")
    return order


def _postgresql(block: Mapping[str, Any]) -> Order | None:
    lsn = _int(block, "lsn")
    return None if lsn is None else (lsn,)


def _mysql(block: Mapping[str, Any]) -> Order | None:
    name, pos = block.get("file"), _int(block, "pos")
    if not name or pos is None:
        return None
    found = _FILE_NUMBER.search(str(name))
    if found is None:
        raise EnvelopeError(f"binlog file {name!r} has no numeric suffix",
                            reason="bad_source_field")
    return (int(found.group(1)), pos, _int(block, "row") or 0)


def _sqlserver(block: Mapping[str, Any]) -> Order | None:
    commit = _lsn_parts(block, "commit_lsn")
    if commit is None:
        return None
    change = _lsn_parts(block, "change_lsn") or (0, 0, 0)
    return (*commit, *change, _int(block, "event_serial_no") or 0)


def _oracle(block: Mapping[str, Any]) -> Order | None:
    scn = _int(block, "scn")
    if scn is None:
        return None
    commit = _int(block, "commit_scn")
    return (scn if commit is None else commit, scn, _int(block, "ssn") or 0)


def _mongodb(block: Mapping[str, Any]) -> Order | None:
    ts_ms, ordinal = _int(block, "ts_ms"), _int(block, "ord")
    return None if ts_ms is None or ordinal is None else (ts_ms, ordinal)


def _int(block: Mapping[str, Any], name: str) -> int | None:
    """An integer field, also when sent as a decimal string (Oracle's SCNs are strings)."""
    raw = block.get(name)
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise EnvelopeError(f"source.{name} is {raw!r}, not an integer", reason="bad_source_field")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and raw.strip().isdigit():
        return int(raw.strip())
    raise EnvelopeError(f"source.{name} is {raw!r}, not an integer", reason="bad_source_field")


def _lsn_parts(block: Mapping[str, Any], name: str) -> tuple[int, int, int] | None:
    raw = block.get(name)
    if raw is None:
        return None
    found = _SQLSERVER_LSN.match(str(raw))
    if found is None:
        raise EnvelopeError(f"source.{name} {raw!r} is not an LSN (xxxxxxxx:xxxxxxxx:xxxx)",
                            reason="bad_source_field")
    return (int(found.group(1), 16), int(found.group(2), 16), int(found.group(3), 16))


_READERS: dict[str, Callable[[Mapping[str, Any]], Order | None]] = {
    "postgresql": _postgresql,
    "mysql": _mysql,
    "mariadb": _mysql,
    "sqlserver": _sqlserver,
    "oracle": _oracle,
    "mongodb": _mongodb,
}
