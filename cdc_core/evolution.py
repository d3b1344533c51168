"""Classify a new writer schema against the last applied one (docs/design.md, "Schema evolution").

Additive changes are applied automatically; breaking ones stop the table, because
guessing would silently produce wrong data.  The rules:

* additive: a new table (no old columns); a new column that is nullable or has a default;
  widening int8→int16→int→long (Debezium's ``connect.type`` int8/int16), float→double,
  decimal precision up with the same scale; a column becoming nullable (``widened``);
  a removed column whose old field had a default (``removed``: the warehouse keeps the
  column, new rows simply do not set it — Debezium gives optional columns default null).
* breaking: a removed column without a default; a new non-null column without a default;
  any other type change, including logical type, connect.name, precision or scale
  (narrowing is reported as "type narrowed"); a changed primary key (as a set of names).
* no DDL needed (``kind`` stays "none"): a column becoming NOT NULL (``tightened``; the
  warehouse column still accepts every new value) and annotation-only edits (doc,
  connect.version, connect.parameters).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from cdc_core.avro_schema import (
    NAMED,
    branches,
    expand,
    is_null,
    is_nullable,
    kind_of,
    named_types,
    non_null,
    row_record,
)
from cdc_core.errors import SchemaChangeError

PRIMARY_KEY = "PRIMARY KEY"
Signature = tuple[Any, ...]


@dataclass(frozen=True)
class Column:
    """One column of a row schema; ``avro_type`` is the field type with references inlined."""

    name: str
    avro_type: Any
    nullable: bool
    has_default: bool


@dataclass(frozen=True)
class BreakingChange:
    column: str
    old_type: str
    new_type: str
    why: str


@dataclass(frozen=True)
class SchemaChange:
    kind: Literal["none", "additive", "breaking"]
    added: list[Column] = field(default_factory=list)
    widened: list[tuple[Column, Column]] = field(default_factory=list)
    breaking: list[BreakingChange] = field(default_factory=list)
    removed: list[Column] = field(default_factory=list)
    tightened: list[tuple[Column, Column]] = field(default_factory=list)


def columns_of(record_schema: dict[str, Any]) -> list[Column]:
    """Columns of a flat record schema or of a Debezium envelope's row record."""
    row = row_record(record_schema)
    names = named_types(row)
    return [
        Column(
            name=f["name"],
            avro_type=expand(f["type"], names),
            nullable=is_nullable(f["type"]),
            has_default="default" in f,
        )
        for f in row["fields"]
    ]


def classify(
    old: list[Column],
    new: list[Column],
    key_fields_old: list[str],
    key_fields_new: list[str],
) -> SchemaChange:
    """How ``new`` differs from ``old``, and whether it may be applied automatically."""
    if not old:
        return SchemaChange("additive", added=list(new))
    old_by = {c.name: c for c in old}
    new_names = {c.name for c in new}
    added = [c for c in new if c.name not in old_by]
    removed = [c for c in old if c.name not in new_names]
    widened, tightened, retyped = _compare_common(old_by, new)
    breaking = _key_change(key_fields_old, key_fields_new) + _membership(added, removed) + retyped
    added = [c for c in added if _optional(c)]
    removed = [c for c in removed if c.has_default]
    kind = _kind(breaking, added, widened, removed)
    return SchemaChange(kind, added, widened, breaking, removed, tightened)


def _membership(added: list[Column], removed: list[Column]) -> list[BreakingChange]:
    """Columns that appear or disappear in a way existing rows cannot follow."""
    appeared = [
        _breaking(c.name, None, c, "new non-null column without default")
        for c in added
        if not _optional(c)
    ]
    return appeared + [
        _breaking(c.name, c, None, "column removed without default")
        for c in removed
        if not c.has_default
    ]


def _optional(column: Column) -> bool:
    """Existing rows can take the column: it may be null or has a default."""
    return column.nullable or column.has_default


def breaking_error(table: str, change: SchemaChange) -> SchemaChangeError:
    """The error that stops ``table``, naming every breaking column with old and new type."""
    if not change.breaking:
        raise ValueError(f"schema change on {table} is not breaking")
    first = change.breaking[0]
    details = "; ".join(
        f"{b.column}: {b.old_type} -> {b.new_type} ({b.why})" for b in change.breaking
    )
    return SchemaChangeError(
        f"breaking schema change on {table}: {details}",
        table=table,
        column=first.column,
        old_type=first.old_type,
        new_type=first.new_type,
    )


def _kind(
    breaking: list[BreakingChange], *changes: list[Any]
) -> Literal["none", "additive", "breaking"]:
    if breaking:
        return "breaking"
    return "additive" if any(changes) else "none"


def _key_change(old: list[str], new: list[str]) -> list[BreakingChange]:
    if not old or set(old) == set(new):
        return []
    return [
        BreakingChange(
            PRIMARY_KEY, f"({', '.join(old)})", f"({', '.join(new)})", "primary key changed"
        )
    ]


def _breaking(name: str, old: Column | None, new: Column | None, why: str) -> BreakingChange:
    def label(col: Column | None) -> str:
        return type_label(col.avro_type) if col else "absent"

    return BreakingChange(name, label(old), label(new), why)


def _compare_common(
    old_by: dict[str, Column], new: list[Column]
) -> tuple[list[tuple[Column, Column]], list[tuple[Column, Column]], list[BreakingChange]]:
    """Columns present in both, sorted into (widened, tightened, breaking)."""
    widened, tightened, breaking = [], [], []
    for col in (c for c in new if c.name in old_by):
        old = old_by[col.name]
        verdict = _compare(old, col)
        if isinstance(verdict, BreakingChange):
            breaking.append(verdict)
        elif verdict == "widened":
            widened.append((old, col))
        elif verdict == "tightened":
            tightened.append((old, col))
    return widened, tightened, breaking


def _compare(old: Column, new: Column) -> str | BreakingChange:
    old_sig, new_sig = signature(old.avro_type), signature(new.avro_type)
    if old_sig != new_sig and not widens(old_sig, new_sig):
        why = "type narrowed" if widens(new_sig, old_sig) else "type changed"
        return _breaking(new.name, old, new, why)
    if old_sig != new_sig or (new.nullable and not old.nullable):
        return "widened"
    return "tightened" if old.nullable and not new.nullable else "same"


def signature(avro_type: Any) -> Signature:
    """What matters about a type for storage: (base, logical, connect.name, connect.type,
    details).  Nullability, names, docs and connect.parameters are left out."""
    t = non_null(avro_type)
    if isinstance(t, list):
        return ("union", None, None, None, tuple(signature(b) for b in t))
    if isinstance(t, str):
        return (t, None, None, None, None)
    base = t.get("type")
    if isinstance(base, dict | list):
        return signature(base)
    return (base, t.get("logicalType"), t.get("connect.name"), t.get("connect.type"), _details(t))


def _details(t: dict[str, Any]) -> Any:
    if t.get("logicalType") == "decimal":
        return (t.get("precision"), t.get("scale", 0))
    detail = _DETAILS.get(kind_of(t) or "")
    return detail(t) if detail else None


def _record_details(t: dict[str, Any]) -> Any:
    return tuple(
        (f["name"], signature(f["type"]), is_nullable(f["type"])) for f in t.get("fields", [])
    )


_DETAILS: dict[Any, Callable[[dict[str, Any]], Any]] = {
    "record": _record_details,
    "error": _record_details,
    "array": lambda t: signature(t["items"]),
    "map": lambda t: signature(t["values"]),
    "enum": lambda t: tuple(t.get("symbols", [])),
    "fixed": lambda t: t.get("size"),
}


_INT_RANKS = {
    ("int", "int8"): 1,
    ("int", "int16"): 2,
    ("int", None): 3,
    ("long", None): 4,
    ("long", "int64"): 4,
}
_FLOAT_RANKS = {"float": 1, "double": 2}


def widens(old: Signature, new: Signature) -> bool:
    """Whether ``new`` holds every value of ``old`` under the widening rules of docs/design.md."""
    if old[1:3] != (None, None) or new[1:3] != (None, None):
        return _decimal_widens(old, new)
    old_int, new_int = _INT_RANKS.get((old[0], old[3])), _INT_RANKS.get((new[0], new[3]))
    if old_int and new_int:
        return new_int > old_int
    old_float, new_float = _FLOAT_RANKS.get(old[0]), _FLOAT_RANKS.get(new[0])
    return bool(old_float and new_float and new_float > old_float)


def _decimal_widens(old: Signature, new: Signature) -> bool:
    if old[:4] != new[:4] or old[1] != "decimal":
        return False
    (old_precision, old_scale), (new_precision, new_scale) = old[4], new[4]
    return bool(old_scale == new_scale and new_precision > old_precision)


def type_label(avro_type: Any) -> str:
    """Short human form of a type for logs and errors, e.g. ``nullable decimal(12,2)``."""
    if isinstance(avro_type, list):
        rest = [b for b in avro_type if not is_null(b)]
        inner = " | ".join(type_label(b) for b in rest) or "null"
        return f"nullable {inner}" if len(rest) < len(branches(avro_type)) else inner
    if isinstance(avro_type, str):
        return avro_type
    base = avro_type.get("type")
    if isinstance(base, dict | list):
        return type_label(base)
    return _dict_label(avro_type, base)


def _dict_label(t: dict[str, Any], base: Any) -> str:
    if t.get("logicalType") == "decimal":
        return f"decimal({t.get('precision')},{t.get('scale', 0)})"
    if base == "array":
        return f"array<{type_label(t['items'])}>"
    if base == "map":
        return f"map<{type_label(t['values'])}>"
    if base in NAMED:
        return f"{base} {t.get('name')}"
    note = t.get("connect.name") or t.get("logicalType") or t.get("connect.type")
    return f"{base} ({note})" if note else str(base)
