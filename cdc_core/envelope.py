"""Debezium change envelope -> ``ChangeEvent``, with the envelope rules checked once here.

Rules (a break raises ``EnvelopeError`` with the reason in brackets):

* ``op`` is one of c (create), u (update), d (delete), r (snapshot read), t (truncate)
  [bad_op];
* ``source`` is present with connector, db, schema, table and an integer ts_ms
  [missing_source]; lsn / txId are integers when present, and the connector's position
  fields are well formed (source_position.py) [bad_source_field];
* c, r and u carry ``after`` [missing_after]; d carries ``before`` [missing_before].
  With REPLICA IDENTITY DEFAULT PostgreSQL only logs key columns for deletes; if Debezium
  sent no ``before`` at all but the key is there, the key stands in for it;
* every key field is non-null [missing_key, missing_key_field].

Truncate (``t``) events have no key and no row: they are represented (``is_truncate``,
empty ``key``) so the caller decides what to do; ``to_processed`` refuses them, so a
caller that only catches ``CdcError`` dead-letters them instead of losing them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cdc_core.errors import EnvelopeError
from cdc_core.source_position import Order, source_order

OPS = frozenset({"c", "u", "d", "r", "t"})
ROW_OPS = frozenset({"c", "u", "r"})
# Debezium's stand-in for an unchanged TOASTed column; must never overwrite a stored value.
UNAVAILABLE_VALUE = "__debezium_unavailable_value"
_UNAVAILABLE_BYTES = UNAVAILABLE_VALUE.encode()


@dataclass(slots=True)  # per record: not frozen (a frozen __init__ is 4x slower)
class SourceInfo:
    """Where and when the change happened, from the envelope's ``source`` block."""

    connector: str
    db: str
    schema: str
    table: str
    ts_ms: int
    lsn: int | None
    txid: int | None
    snapshot: str | None
    order: Order | None = None  # the connector's ordered position (source_position.py)

    @property
    def qualified_table(self) -> str:
        """``schema.table``, the key of contracts and warehouse tables."""
        return f"{self.schema}.{self.table}"


@dataclass(slots=True)  # treated as immutable; not frozen, as SourceInfo
class ChangeEvent:
    """One validated change to one row (or a whole-table truncate)."""

    op: str
    key: dict[str, Any]
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    source: SourceInfo
    ts_ms: int | None

    @property
    def is_delete(self) -> bool:
        return self.op == "d"

    @property
    def is_truncate(self) -> bool:
        return self.op == "t"

    @property
    def row(self) -> dict[str, Any]:
        """The row image: ``after``, or ``before`` for deletes; empty for truncates."""
        image = self.before if self.is_delete else self.after
        return image if image is not None else {}


def parse_envelope(key: Mapping[str, Any] | None, value: Mapping[str, Any]) -> ChangeEvent:
    """Validate a decoded Debezium key + value and build the ``ChangeEvent``."""
    op = value.get("op")
    if not isinstance(op, str) or op not in OPS:
        raise EnvelopeError(f"op {op!r} is not one of c/u/d/r/t", reason="bad_op")
    source = parse_source(value.get("source"))
    before, after = _images(op, key, value, source)
    return ChangeEvent(
        op=op,
        key=_checked_key(op, key, source),
        before=before,
        after=after,
        source=source,
        ts_ms=_optional_int(value.get("ts_ms"), "ts_ms"),
    )


def parse_source(block: Any) -> SourceInfo:
    """The ``source`` block as ``SourceInfo``; snapshot normalised to a lower-case string."""
    if not isinstance(block, Mapping):
        raise EnvelopeError("envelope has no source block", reason="missing_source")
    missing = [f for f in ("connector", "db", "schema", "table", "ts_ms") if block.get(f) is None]
    if missing:
        raise EnvelopeError(f"source block lacks {', '.join(missing)}", reason="missing_source")
    connector = str(block["connector"])
    return SourceInfo(
        connector=connector,
        db=str(block["db"]),
        schema=str(block["schema"]),
        table=str(block["table"]),
        ts_ms=_required_int(block["ts_ms"], "source.ts_ms"),
        lsn=_optional_int(block.get("lsn"), "source.lsn"),
        txid=_optional_int(block.get("txId"), "source.txId"),
        snapshot=normalise_snapshot(block.get("snapshot")),
        order=source_order(connector, block),
    )


def normalise_snapshot(flag: Any) -> str | None:
    """Debezium sends ``snapshot`` as a string (true/false/last/first/incremental) or bool."""
    if flag is None:
        return None
    if isinstance(flag, bool):
        return "true" if flag else "false"
    return str(flag).lower()


def is_unavailable(value: Any) -> bool:
    """Whether a value is Debezium's unchanged-TOAST placeholder (as text or as bytes)."""
    return isinstance(value, str | bytes) and value in (UNAVAILABLE_VALUE, _UNAVAILABLE_BYTES)


def unavailable_columns(row: Mapping[str, Any]) -> frozenset[str]:
    """Columns whose value is unknown in this change and must not overwrite a stored one."""
    return frozenset(name for name, val in row.items() if is_unavailable(val))


def _images(
    op: str, key: Mapping[str, Any] | None, value: Mapping[str, Any], source: SourceInfo
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    before, after = _image(value, "before"), _image(value, "after")
    if op in ROW_OPS and after is None:
        raise EnvelopeError(
            f"op {op} on {source.qualified_table} has no after", reason="missing_after"
        )
    if op == "d" and before is None:
        if not key:
            raise EnvelopeError(
                f"delete on {source.qualified_table} has no before and no key",
                reason="missing_before",
            )
        before = dict(key)
    return before, after


def _image(value: Mapping[str, Any], name: str) -> dict[str, Any] | None:
    image = value.get(name)
    if image is None:
        return None
    if not isinstance(image, Mapping):
        raise EnvelopeError(
            f"{name} is {type(image).__name__}, not a row",
            reason="missing_after" if name == "after" else "missing_before",
        )
    return dict(image)


def _checked_key(op: str, key: Mapping[str, Any] | None, source: SourceInfo) -> dict[str, Any]:
    if op == "t":
        return dict(key or {})
    if not key:
        raise EnvelopeError(f"change on {source.qualified_table} has no key", reason="missing_key")
    nulls = sorted(name for name, val in key.items() if val is None)
    if nulls:
        raise EnvelopeError(
            f"key field(s) {', '.join(nulls)} of {source.qualified_table} are null",
            reason="missing_key_field",
        )
    return dict(key)


def _required_int(raw: Any, field: str) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise EnvelopeError(f"{field} is {raw!r}, not an integer", reason="bad_source_field")
    return raw


def _optional_int(raw: Any, field: str) -> int | None:
    return None if raw is None else _required_int(raw, field)
