"""The change history: every distinct change of a table, appended once (docs/sink.md "History").

Opt-in per table: ``sink.history.tables`` (``"<schema>.<table>": true|false``) wins over the
table contract's ``history`` key, which wins over ``sink.history.default``. The history of a
warehouse table ``<table>`` is ``<sink.history.target_schema>.<table>`` (historysql.py).

Inside the batch's transaction (service.py, commit step 3), before collapse has folded
anything away: ``prepare`` runs the history DDL (table, view, function, new columns, the
month partitions the batch needs), then ``write`` COPYs the batch's changes of the table —
stale ones and replays included — into a staging table and appends them with
``ON CONFLICT DO NOTHING`` on (event id, commit time). The rows, the current-state upsert
and the offsets commit together or not at all, so a replay after a crash appends nothing
twice and leaves nothing out.

A value PostgreSQL refuses is isolated by the current-state write's ``isolating`` (halves in
savepoints, writer.py); the refused changes are returned for the dead-letter topic.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import psycopg

from cdc_core.errors import SinkError
from cdc_sink import historysql as hsql
from cdc_sink.decode import RowSchema
from cdc_sink.model import SinkChange
from cdc_sink.sqlbuild import Column, TableLayout, clear_staging
from cdc_sink.staging import EMPTY_ARRAY
from cdc_sink.writer import isolating, stage

Month = tuple[int, int]


@dataclass
class Appended:
    """What one history write did: rows appended (a replay appends none), refused changes."""

    appended: int = 0
    rejected: list[tuple[SinkChange, str]] = field(default_factory=list)

    def __add__(self, other: Appended) -> Appended:
        return Appended(self.appended + other.appended, self.rejected + other.rejected)


class HistoryPolicy:
    """Which source tables keep a history: explicit setting, then contract, then default."""

    def __init__(self, default: bool, tables: Mapping[str, bool],
                 contracts: Mapping[str, bool | None]) -> None:
        self.default = default
        self.tables = dict(tables)
        self.contracts = dict(contracts)

    def enabled(self, source_table: str) -> bool:
        explicit = self.tables.get(source_table)
        if explicit is not None:
            return explicit
        contract = self.contracts.get(source_table)
        return self.default if contract is None else contract


def history_row(h: hsql.HistoryLayout, change: SinkChange) -> tuple[Any, ...]:
    """Key, values (NULL where the change carried none), then the staging metadata.

    The unavailable columns are the placeholder ones and those the writer schema lacked: a
    reader takes their value from the newest older version that knew it (the view does).
    """
    columns, unavailable = change.columns, change.unavailable
    values = [None if c.name in unavailable else columns.get(c.name) for c in h.current.values]
    absent = [c.name for c in h.current.values
              if c.name not in columns and c.name not in unavailable]
    missing = sorted(unavailable) + absent
    origin, position = change.origin, change.position
    return (*change.key, *values, change.op, change.deleted, position.lsn, position.ts_ms,
            change.event_id, position.key, missing or EMPTY_ARRAY, origin.topic,
            origin.partition, origin.offset)


def distinct(changes: list[SinkChange]) -> list[SinkChange]:
    """The first copy of each event id, in arrival order (a batch may hold replays)."""
    seen: set[str] = set()
    out = []
    for change in changes:
        if change.event_id not in seen:
            seen.add(change.event_id)
            out.append(change)
    return out


class History:
    """The history tables of one sink; DDL state is cached per session, committed with the
    batch (``begin`` forgets an attempt's, ``committed`` keeps it)."""

    def __init__(self, schema: str, policy: HistoryPolicy, lock_key: str) -> None:
        self.schema = schema
        self.policy = policy
        self._lock_key = lock_key
        self._wanted: dict[str, bool] = {}  # by source table
        self._checked: set[int] = set()  # id() of RowSchemas checked for column collisions
        self._ensured: dict[str, tuple[Column, ...]] = {}  # table -> columns its DDL has
        self._pending: dict[str, tuple[Column, ...]] = {}

    def wants(self, row: RowSchema) -> bool:
        """Whether ``row``'s table keeps a history; raises SinkError when its columns clash
        with the history's metadata columns (the record goes to the DLQ)."""
        wanted = self._wanted.get(row.source_table)
        if wanted is None:
            wanted = self._wanted[row.source_table] = self.policy.enabled(row.source_table)
        if wanted and id(row) not in self._checked:
            clash = sorted({c.name for c in row.columns} & set(hsql.HISTORY_ONLY))
            if clash:
                raise SinkError(f"{row.table}: source columns {clash} collide with history "
                                "metadata column names", reason="meta_collision")
            self._checked.add(id(row))
        return wanted

    def begin(self) -> None:
        self._pending.clear()

    def committed(self) -> None:
        self._ensured.update(self._pending)
        self._pending.clear()

    def layout(self, current: TableLayout) -> hsql.HistoryLayout:
        return hsql.HistoryLayout(self.schema, current)

    def prepare(self, conn: psycopg.Connection[Any], current: TableLayout,
                changes: list[SinkChange]) -> None:
        """The history table in the shape of the current one, with the partitions the
        batch's commit times fall in (after the current table's own DDL)."""
        h = self.layout(current)
        known = self._pending.get(h.table) or self._ensured.get(h.table)
        if known != h.columns:
            self._lock(conn)
            self._ensure_table(conn, h)
            self._pending[h.table] = h.columns
        self._ensure_partitions(conn, h, sorted({hsql.month_of(c.position.ts_ms)
                                                  for c in changes}))

    def _lock(self, conn: psycopg.Connection[Any]) -> None:
        """The DDL lock of the current tables (tables.py): one DDL writer at a time."""
        conn.execute("select pg_advisory_xact_lock(hashtext(%s))", (self._lock_key,))

    def _ensure_table(self, conn: psycopg.Connection[Any], h: hsql.HistoryLayout) -> None:
        """The view is re-created only when the table's columns change (it lists them, and
        dropping it drops what was built on it) or when it does not exist yet."""
        conn.execute(hsql.create_schema(h.schema))
        conn.execute(hsql.create_table(h))
        ddl = self._evolution(conn, h)
        view = conn.execute("select to_regclass(%s)", (hsql.view_regclass(h),)).fetchone()
        if ddl or view is None or view[0] is None:
            conn.execute(hsql.drop_view(h))
            for statement in ddl:
                conn.execute(statement)
            conn.execute(hsql.create_view(h))
        conn.execute(hsql.create_version_index(h))
        conn.execute(hsql.create_as_of(h))

    @staticmethod
    def _evolution(conn: psycopg.Connection[Any], h: hsql.HistoryLayout) -> list[Any]:
        """Columns the current table gained, and types it widened, since the history table
        was last brought in line (schema evolution applies to both alike)."""
        current = dict(conn.execute(hsql.COLUMN_TYPES, (
            hsql.regclass_text(h.current.schema, h.table),)).fetchall())
        stored = dict(conn.execute(hsql.COLUMN_TYPES, (
            hsql.regclass_text(h.schema, h.table),)).fetchall())
        out: list[Any] = []
        for col in h.columns:
            want = current.get(col.name, col.sql_type)
            if col.name not in stored:
                out.append(hsql.add_column(h, Column(col.name, want)))
            elif stored[col.name] != want:
                out.append(hsql.alter_column_type(h, Column(col.name, want)))
        return out

    def _ensure_partitions(self, conn: psycopg.Connection[Any], h: hsql.HistoryLayout,
                           months: list[Month]) -> None:
        """Checked every batch: a partition dropped by ``cdc history prune`` is created
        again when a change of its month arrives."""
        query, names = hsql.missing_partitions(h, months)
        missing = {row[0] for row in conn.execute(query, (names,)).fetchall()}
        if not missing:
            return
        self._lock(conn)
        for month, name in zip(months, names, strict=True):
            if name in missing:
                conn.execute(hsql.create_partition(h, month))

    def write(self, conn: psycopg.Connection[Any], current: TableLayout,
              changes: list[SinkChange]) -> Appended:
        """Append ``changes`` (every one of the batch, arrival order)."""
        rows = distinct(changes)
        return _isolating(conn, self.layout(current), rows) if rows else Appended()


def _append(conn: psycopg.Connection[Any], h: hsql.HistoryLayout,
            changes: list[SinkChange]) -> int:
    staging = hsql.staging_name(h)
    with conn.cursor() as cur:
        stage(cur, (hsql.create_staging(h, staging), clear_staging(staging),
                    hsql.copy_staging(h, staging)),
              (history_row(h, change) for change in changes))
        return cur.execute(hsql.append(h, staging)).rowcount


def _isolating(conn: psycopg.Connection[Any], h: hsql.HistoryLayout,
               changes: list[SinkChange]) -> Appended:
    return isolating(conn, changes, lambda part: Appended(_append(conn, h, part)),
                     lambda change, reason: Appended(rejected=[(change, reason)]),
                     Appended.__add__)
