"""The flat processed record: the Flink job's output and the sink's input.

Layout (docs/design.md, "Processed topics"): every table column, then ``METADATA_FIELDS`` in
that order, then the enrichment fields and ``__enrichment_missing``.

Every non-key column is nullable in the processed schema (with default null), even one
that is NOT NULL at the source.  A delete carries the ``before`` image, which PostgreSQL may
reduce to the key columns (REPLICA IDENTITY DEFAULT), and the warehouse keeps rows for
deleted keys it never saw, so non-key values must be allowed to be absent; the column's
own type (logical type, connect.name, precision/scale ...) is kept as the non-null
branch.  Named types keep their fully qualified source names, so they cannot clash with
each other or with the processed record, which is named ``<namespace>.<schema>.<table>``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cdc_core.avro_schema import branches, is_null, is_nullable, named_types, row_record
from cdc_core.envelope import ChangeEvent
from cdc_core.errors import ConfigError, EnvelopeError

METADATA_FIELDS: list[tuple[str, Any]] = [
    ("__op", "string"),
    ("__deleted", "boolean"),
    ("__event_id", "string"),
    ("__source_ts_ms", "long"),
    ("__source_lsn", ["null", "long"]),
    ("__source_txid", ["null", "long"]),
    ("__processed_ts_ms", "long"),
]
METADATA_NAMES = frozenset(name for name, _ in METADATA_FIELDS)
ENRICHMENT_MISSING = "__enrichment_missing"
RESERVED_NAMES = METADATA_NAMES | {ENRICHMENT_MISSING}
PROCESSED_OPS = frozenset({"c", "u", "d", "r"})


@dataclass(slots=True)  # per record: not frozen (a frozen __init__ is 4x slower)
class ProcessedMeta:
    """The metadata half of a processed record, as the sink uses it."""

    op: str
    deleted: bool
    event_id: str
    source_ts_ms: int
    source_lsn: int | None
    source_txid: int | None
    processed_ts_ms: int
    enrichment_missing: bool | None = None


def processed_topic(schema: str, table: str, prefix: str = "processed") -> str:
    return f"{prefix}.{schema}.{table}"


def processed_schema(
    value_schema: dict[str, Any],
    table: str,
    namespace: str = "cdc.processed",
    enrichment: Sequence[tuple[str, Any]] = (),
    *,
    key_fields: Sequence[str] = (),
) -> dict[str, Any]:
    """Flat Avro record schema for ``table`` (``schema.table``) from its envelope schema.

    ``key_fields`` (the Kafka key's fields) keep their exact type: every change,
    deletes included, carries them non-null.
    """
    columns = [
        f if f["name"] in key_fields else _nullable_field(f)
        for f in row_record(value_schema)["fields"]
    ]
    _check_names([f["name"] for f in columns], [name for name, _ in enrichment])
    name, space = _record_name(table, namespace, set(named_types([f["type"] for f in columns])))
    fields = columns + [{"name": n, **_typed(t)} for n, t in METADATA_FIELDS]
    if enrichment:
        fields += [{"name": n, **_typed(t, nullable=True)} for n, t in enrichment]
        fields.append({"name": ENRICHMENT_MISSING, "type": "boolean", "default": False})
    return {
        "type": "record",
        "name": name,
        "namespace": space,
        "fields": fields,
        "doc": f"Processed change records of {table}",
    }


def to_processed(
    event: ChangeEvent,
    event_id: str,
    processed_ts_ms: int,
    enrichment: Mapping[str, Any] | None = None,
    *,
    enrichment_missing: bool | None = None,
) -> dict[str, Any]:
    """The processed record of ``event``.

    ``enrichment`` None means the table has no enrichment; an empty mapping means the
    lookup found nothing, which sets ``__enrichment_missing`` unless overridden.
    """
    if event.is_truncate:
        raise EnvelopeError(
            f"truncate of {event.source.qualified_table} has no row",
            reason="truncate_not_supported",
        )
    record = dict(event.row)
    _check_names(list(record), list(enrichment or ()))
    record.update(_metadata(event, event_id, processed_ts_ms))
    if enrichment is not None:
        record.update(enrichment)
        missing = not enrichment if enrichment_missing is None else enrichment_missing
        record[ENRICHMENT_MISSING] = missing
    return record


def from_processed(record: Mapping[str, Any]) -> tuple[dict[str, Any], ProcessedMeta]:
    """Split a decoded processed record into (columns incl. enrichment, metadata)."""
    columns = {k: v for k, v in record.items() if k not in RESERVED_NAMES}
    return columns, processed_meta(record)


def meta_typed_by(value_schema: Mapping[str, Any]) -> bool:
    """True when a writer schema declares every metadata field with exactly the type
    ``processed_meta`` checks for: records it decodes then need no per-record type checks.

    A different declaration (a logical type, a nullable ``__op`` ...) keeps the checks.
    """
    declared = {f.get("name"): f.get("type") for f in value_schema.get("fields", [])}
    if declared.get(ENRICHMENT_MISSING, "boolean") not in ("boolean", ["null", "boolean"]):
        return False
    return all(declared.get(name) == avro_type for name, avro_type in METADATA_FIELDS)


def processed_meta(record: Mapping[str, Any], *, typed: bool = False) -> ProcessedMeta:
    """The metadata of a decoded processed record; raises ``EnvelopeError`` if it is not one.

    ``typed``: the writer schema already guarantees the types (``meta_typed_by``).
    """
    if typed:
        return ProcessedMeta(
            _op(record), record["__deleted"], record["__event_id"], record["__source_ts_ms"],
            record["__source_lsn"], record["__source_txid"], record["__processed_ts_ms"],
            record.get(ENRICHMENT_MISSING))
    return ProcessedMeta(
        op=_op(record),
        deleted=_get(record, "__deleted", bool),
        event_id=_get(record, "__event_id", str),
        source_ts_ms=_get(record, "__source_ts_ms", int),
        source_lsn=_get(record, "__source_lsn", int, optional=True),
        source_txid=_get(record, "__source_txid", int, optional=True),
        processed_ts_ms=_get(record, "__processed_ts_ms", int),
        enrichment_missing=_get(record, ENRICHMENT_MISSING, bool, optional=True),
    )


def _metadata(event: ChangeEvent, event_id: str, processed_ts_ms: int) -> dict[str, Any]:
    return {
        "__op": event.op,
        "__deleted": event.is_delete,
        "__event_id": event_id,
        "__source_ts_ms": event.source.ts_ms,
        "__source_lsn": event.source.lsn,
        "__source_txid": event.source.txid,
        "__processed_ts_ms": processed_ts_ms,
    }


def _typed(avro_type: Any, *, nullable: bool = False) -> dict[str, Any]:
    """Field body for a type; nullable ones get null first and default null."""
    if nullable and not is_nullable(avro_type):
        avro_type = ["null", *branches(avro_type)]
    if is_nullable(avro_type) and is_null(branches(avro_type)[0]):
        return {"type": avro_type, "default": None}
    return {"type": avro_type}


def _nullable_field(field: dict[str, Any]) -> dict[str, Any]:
    if is_nullable(field["type"]) and "default" in field:
        return dict(field)
    rest = {k: v for k, v in field.items() if k not in ("type", "default")}
    return {**rest, **_typed(field["type"], nullable=True)}


def _check_names(columns: list[str], enrichment: list[str]) -> None:
    """Metadata names are reserved and enrichment must not shadow a column."""
    clashes = sorted(RESERVED_NAMES.intersection(columns + enrichment))
    clashes += sorted(set(columns).intersection(enrichment))
    if clashes:
        raise ConfigError(
            f"column name(s) {', '.join(clashes)} clash with processed "
            "metadata or enrichment fields"
        )


def _record_name(table: str, namespace: str, taken: set[str]) -> tuple[str, str]:
    schema, _, name = table.rpartition(".")
    space = ".".join(_avro_name(p) for p in [*namespace.split("."), schema] if p)
    name = _avro_name(name)
    while f"{space}.{name}" in taken:
        name += "_processed"
    return name, space


def _avro_name(part: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9_]", "_", part)
    return cleaned if re.match(r"[A-Za-z_]", cleaned) else f"_{cleaned}"


def _op(record: Mapping[str, Any]) -> str:
    op: str = _get(record, "__op", str)
    if op not in PROCESSED_OPS:
        raise EnvelopeError(f"__op {op!r} is not one of c/u/d/r", reason="bad_processed_record")
    return op


def _get(record: Mapping[str, Any], name: str, kind: type, *, optional: bool = False) -> Any:
    value = record.get(name)
    if value is None and optional:
        return None
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise EnvelopeError(
            f"{name} is {value!r}, expected {kind.__name__}", reason="bad_processed_record"
        )
    return value
