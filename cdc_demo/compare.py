"""Source vs. warehouse, table by table: the pure core of ``cdc verify``.

The warehouse converged when, for every table:
- every source row is in the warehouse, live, equal column by column (source columns only:
  enrichment and metadata columns are the pipeline's own);
- every warehouse row whose key the source no longer has is marked deleted with a
  ``deleted_at`` (soft delete: never hard-deleted, never left live);
- every key the caller knows was deleted (``expected_deleted``) is present, marked deleted.
Values are compared after ``canonical`` so that equal data in different Python types
(a ``UUID`` and its text, timestamps in different zones) is equal, and nothing else is.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

Key = tuple[Any, ...]
Row = Mapping[str, Any]
SHOWN = 20  # mismatch lines kept per table; the count is always exact


@dataclass(frozen=True)
class Snapshot:
    """All rows of one table, keyed by primary key, and the columns they carry."""

    table: str
    key_columns: tuple[str, ...]
    columns: tuple[str, ...]
    rows: Mapping[Key, Row]


@dataclass(frozen=True)
class MetaColumns:
    """Names of the warehouse's soft-delete columns (the sink's are configurable)."""

    is_deleted: str = "is_deleted"
    deleted_at: str = "deleted_at"


@dataclass
class TableResult:
    """Counts and the differences found for one table."""

    table: str
    source_rows: int
    warehouse_live: int
    warehouse_deleted: int
    mismatch_count: int = 0
    mismatches: list[str] = field(default_factory=list)

    def add(self, problem: str) -> None:
        self.mismatch_count += 1
        if len(self.mismatches) < SHOWN:
            self.mismatches.append(problem)


DEFAULT_META = MetaColumns()


def canonical(value: Any) -> Any:
    """One representation per value: UUIDs as text, aware datetimes in UTC."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC)
    return value


def compare(source: Snapshot, warehouse: Snapshot, expected_deleted: Iterable[Key] = (),
            meta: MetaColumns = DEFAULT_META) -> TableResult:
    """Every difference between ``source`` and ``warehouse`` for one table."""
    deleted = sum(1 for r in warehouse.rows.values() if r.get(meta.is_deleted))
    result = TableResult(source.table, len(source.rows), len(warehouse.rows) - deleted, deleted)
    _check_columns(source, warehouse, result)
    shared = [c for c in source.columns if c in warehouse.columns]
    for key, row in source.rows.items():
        _check_live(key, row, warehouse.rows.get(key), shared, meta=meta, result=result)
    for key, row in warehouse.rows.items():
        if key not in source.rows:
            _check_gone(key, row, meta, result)
    for key in expected_deleted:
        if key not in source.rows and key not in warehouse.rows:
            result.add(f"{source.table}{key}: deleted at the source, absent from the warehouse")
    return result


def _check_columns(source: Snapshot, warehouse: Snapshot, result: TableResult) -> None:
    """Schema drift. A table the warehouse has not created yet has no columns to compare:
    its missing rows (if the source has any) are the finding."""
    if not warehouse.columns:
        return
    if warehouse.key_columns and warehouse.key_columns != source.key_columns:
        result.add(f"{source.table}: key {warehouse.key_columns} != source {source.key_columns}")
    for column in source.columns:
        if column not in warehouse.columns:
            result.add(f"{source.table}: column {column} missing from the warehouse")


def _check_live(key: Key, row: Row, stored: Row | None, columns: list[str], *,
                meta: MetaColumns, result: TableResult) -> None:
    if stored is None:
        result.add(f"{result.table}{key}: missing from the warehouse")
        return
    if stored.get(meta.is_deleted):
        result.add(f"{result.table}{key}: marked deleted, but live at the source")
    for column in columns:
        want, got = canonical(row[column]), canonical(stored[column])
        if want != got:
            result.add(f"{result.table}{key}.{column}: warehouse {_short(got)} != "
                       f"source {_short(want)}")


def _check_gone(key: Key, row: Row, meta: MetaColumns, result: TableResult) -> None:
    if not row.get(meta.is_deleted):
        result.add(f"{result.table}{key}: live in the warehouse, gone from the source")
    elif row.get(meta.deleted_at) is None:
        result.add(f"{result.table}{key}: marked deleted without {meta.deleted_at}")


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}...({len(text)} chars)"
