"""Write collapsed changes of one table into PostgreSQL, set-based.

Inside the caller's transaction: COPY the batch into a temporary staging table, then run
the two statements of sqlbuild.py. PostgreSQL's refusals are told apart by SQLSTATE
(pgerrors.py). A value it refuses (a ``data`` error that slipped past the checks at decode
time: 22xxx, 23xxx, 54xxx) must not block the batch: the table's write is retried on halves
inside savepoints until the refused changes are isolated and returned for the dead-letter
topic; everything else is written. A ``schema`` refusal (42xxx: the warehouse table no
longer fits its recorded schema) is the table's, not a row's: nothing of the table is
written and the refusal is returned for the caller to halt that table. Transient and fatal
errors propagate (the caller retries the whole transaction, or exits).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import psycopg
from psycopg import sql

from cdc_sink import pgerrors, sqlbuild
from cdc_sink.model import SinkChange
from cdc_sink.sqlbuild import TableLayout
from cdc_sink.staging import staging_row

R = TypeVar("R")


@dataclass
class TableResult:
    """What one table's write did; ``rejected`` pairs a change with PostgreSQL's reason;
    ``refused`` is (reason, PostgreSQL's message) when the table itself was refused."""

    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    skipped_stale: int = 0
    rejected: list[tuple[SinkChange, str]] = field(default_factory=list)
    ties: int = 0  # updates only the Kafka offset ordered after the stored row
    refused: tuple[str, str] | None = None
    history: int = 0  # changes appended to the table's history (history.py)

    def merge(self, other: TableResult) -> TableResult:
        return TableResult(self.inserted + other.inserted, self.updated + other.updated,
                           self.deleted + other.deleted,
                           self.skipped_stale + other.skipped_stale,
                           self.rejected + other.rejected, self.ties + other.ties)


def _write(conn: psycopg.Connection[Any], layout: TableLayout,
           changes: list[SinkChange]) -> TableResult:
    staging = sqlbuild.staging_name(layout)
    with conn.cursor() as cur:
        stage(cur, (sqlbuild.create_staging(layout, staging), sqlbuild.clear_staging(staging),
                    sqlbuild.copy_staging(layout, staging)),
              (staging_row(layout, change) for change in changes))
        inserted, inserted_deleted, _ = _counts(cur, sqlbuild.insert_new(layout, staging))
        cur.execute(sqlbuild.PROBE_BY_KEY)
        updated, updated_deleted, ties = _counts(cur, sqlbuild.update_existing(layout, staging))
    return TableResult(inserted, updated, inserted_deleted + updated_deleted,
                       len(changes) - inserted - updated, ties=ties)


def stage(cur: psycopg.Cursor[Any], statements: tuple[sql.Composed, sql.Composed, sql.Composed],
          rows: Iterable[tuple[Any, ...]]) -> None:
    """Create (once per session), empty and COPY ``rows`` into a staging table:
    ``statements`` are its create, clear and copy statements."""
    create, clear, copy_rows = statements
    cur.execute(create)
    cur.execute(clear)
    with cur.copy(copy_rows) as copy:
        for row in rows:
            copy.write_row(row)


def _counts(cur: psycopg.Cursor[Any], applying: sql.Composed) -> tuple[int, int, int]:
    [(applied, deleted, ties)] = cur.execute(sqlbuild.counted(applying)).fetchall()
    return int(applied), int(deleted), int(ties)


def write_table(conn: psycopg.Connection[Any], layout: TableLayout,
                changes: list[SinkChange]) -> TableResult:
    """Write ``changes`` (one per key); isolate and return the ones PostgreSQL refuses.

    A schema refusal anywhere rolls back the table's whole write (its own savepoint), so a
    refused table leaves nothing half-written behind.
    """
    if not changes:
        return TableResult()
    try:
        with conn.transaction():
            return _isolating(conn, layout, changes)
    except psycopg.Error as exc:
        if pgerrors.classify(exc) != "schema":
            raise
        return TableResult(refused=(pgerrors.reason("schema_rejected", exc), str(exc)))


def isolating(conn: psycopg.Connection[Any], changes: list[SinkChange],
              attempt: Callable[[list[SinkChange]], R], rejected: Callable[[SinkChange, str], R],
              merge: Callable[[R, R], R]) -> R:
    """``attempt(changes)`` in a savepoint; on a ``data`` refusal, on halves until each
    refused change is alone, whose result is ``rejected(change, reason)``. The results of
    the halves are combined by ``merge``; other errors propagate."""
    try:
        with conn.transaction():  # a savepoint inside the batch transaction
            return attempt(changes)
    except psycopg.Error as exc:
        if pgerrors.classify(exc) != "data":
            raise
        if len(changes) == 1:
            return rejected(changes[0], pgerrors.reason("value_rejected", exc))
        mid = len(changes) // 2
        return merge(isolating(conn, changes[:mid], attempt, rejected, merge),
                     isolating(conn, changes[mid:], attempt, rejected, merge))


def _isolating(conn: psycopg.Connection[Any], layout: TableLayout,
               changes: list[SinkChange]) -> TableResult:
    return isolating(conn, changes, lambda part: _write(conn, layout, part),
                     lambda change, reason: TableResult(rejected=[(change, reason)]),
                     TableResult.merge)
