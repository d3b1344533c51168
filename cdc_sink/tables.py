"""Warehouse tables: creation from the Avro schema, evolution, and halting.

The last applied schema of every table is kept in ``<target>._cdc_schemas`` (columns with
their Avro types, key fields, and a halt reason), so classification survives restarts and a
halted table stays halted until an operator clears ``halted_reason``.

For each new writer schema of a table (docs/design.md, "Schema evolution"):
- an older schema (every column already applied with the same or a narrower type) needs no
  DDL: the columns it lacks are kept as stored (the writer treats them as unavailable);
- additive changes are applied in the batch's own transaction (``ALTER TABLE``), counted,
  logged;
- breaking changes halt the table: its records go to the DLQ with reason
  ``breaking_schema_change``, a metric and a log name table, column, old and new type.
DDL waits in ``pending`` until the batch commits, so a rolled-back batch leaves no trace.

Replicas of one group share the target schema: bootstrap and every batch that runs DDL
take one transaction-scoped advisory lock per target schema first.  ``IF NOT EXISTS`` alone
is not safe under concurrency (two replicas creating the same schema or table at once: one
fails with a unique violation on the catalog); serialized, the second one's DDL is a no-op.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql

from cdc_core import evolution
from cdc_core.errors import SchemaChangeError, SinkError
from cdc_sink import offsets, pgerrors, sqlbuild, typemap
from cdc_sink.decode import RowSchema
from cdc_sink.errors import SinkServiceError
from cdc_sink.metrics import SinkMetrics
from cdc_sink.sqlbuild import MetaNames, TableLayout

log = logging.getLogger(__name__)
SCHEMAS_TABLE = "_cdc_schemas"
QUALITY_HALT = "quality gate:"
REFUSED_HALT = "refused by PostgreSQL:"  # then the DLQ reason, e.g. schema_rejected_42804


@dataclass
class TableState:
    key_fields: tuple[str, ...]
    columns: list[evolution.Column]
    halted_reason: str | None = None
    ddl: list[sql.Composed] = field(default_factory=list)  # pending until commit
    _layout: TableLayout | None = field(default=None, repr=False)

    def layout(self, schema: str, table: str, meta: MetaNames) -> TableLayout:
        """The table's layout, built once per state (states are replaced, never mutated)."""
        if self._layout is None:
            self._layout = self._build_layout(schema, table, meta)
        return self._layout

    def _build_layout(self, schema: str, table: str, meta: MetaNames) -> TableLayout:
        pg = {c.name: typemap.pg_type(c.avro_type).sql for c in self.columns}
        key = tuple(sqlbuild.Column(k, pg[k]) for k in self.key_fields)
        values = tuple(sqlbuild.Column(c.name, pg[c.name]) for c in self.columns
                       if c.name not in self.key_fields)
        return TableLayout(schema, table, key, values, meta)


def _column_json(c: evolution.Column) -> dict[str, Any]:
    return {"name": c.name, "avro_type": c.avro_type, "nullable": c.nullable,
            "has_default": c.has_default}


class Tables:
    """In-memory view of the warehouse tables, persisted with every committed batch."""

    def __init__(self, schema: str, meta: MetaNames, metrics: SinkMetrics) -> None:
        self.schema = schema
        self.meta = meta
        self._metrics = metrics
        self._state: dict[str, TableState] = {}
        self._pending: dict[str, TableState] = {}
        self._accepted: set[int] = set()  # id() of RowSchemas already judged for a table
        self._sources: dict[str, str] = {}  # warehouse table -> its source <schema>.<table>
        self._clashes: set[tuple[str, str]] = set()  # (table, refused source), logged once

    def bootstrap(self, conn: psycopg.Connection[Any]) -> None:
        """Create the schema and bookkeeping tables; load every applied table schema."""
        self._lock_ddl(conn)
        conn.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(self.schema)))
        conn.execute(offsets.create_table(self.schema))
        conn.execute(sql.SQL(
            "create table if not exists {} (table_name text primary key, key_fields text[] "
            "not null, columns jsonb not null, halted_reason text, "
            "updated_at timestamptz not null default now())").format(self._schemas_ident()))
        conn.execute(sql.SQL("alter table {} add column if not exists source_table text").format(
            self._schemas_ident()))
        rows = conn.execute(sql.SQL("select table_name, key_fields, columns, halted_reason, "
                                    "source_table from {}").format(
            self._schemas_ident())).fetchall()
        for name, keys, cols, halted, source in rows:
            if source is not None:
                self._sources[name] = source
            columns = [evolution.Column(**c) for c in cols]
            self._state[name] = TableState(tuple(keys), columns, halted)
            conn.execute(sqlbuild.add_position_column(
                self._state[name].layout(self.schema, name, self.meta)))
            if halted:
                self._metrics.table_halted.labels(name, "halted").set(1)

    def _lock_ddl(self, conn: psycopg.Connection[Any]) -> None:
        """Serialize DDL with other replicas until the caller's transaction ends."""
        conn.execute("select pg_advisory_xact_lock(hashtext(%s))", (f"cdc_sink:{self.schema}",))

    def _schemas_ident(self) -> sql.Identifier:
        return sql.Identifier(self.schema, SCHEMAS_TABLE)

    def layout_for(self, row: RowSchema) -> TableLayout:
        """The table's layout for a record of ``row``; raises CdcError if it must not load."""
        state = self._current(row.table)
        if state is not None and state.halted_reason:
            refused = self.refusal(row.table)
            if refused is not None:
                raise SinkError(f"table {row.table} is halted: {state.halted_reason}",
                                reason=refused)
            if state.halted_reason.startswith(QUALITY_HALT):
                raise SinkError(f"table {row.table} is halted: {state.halted_reason}",
                                reason="quality_gate_halted")
            raise SchemaChangeError(f"table {row.table} is halted: {state.halted_reason}",
                                    table=row.table, column="", old_type="applied",
                                    new_type="refused")
        if id(row) not in self._accepted:
            self._check_source(row)
            state = self._judge(row, state)
            self._accepted.add(id(row))
        assert state is not None
        return state.layout(self.schema, row.table, self.meta)

    def _check_source(self, row: RowSchema) -> None:
        """One warehouse table, one source: a second is refused, never merged (naming.py)."""
        owner = self._sources.setdefault(row.table, row.source_table)
        if owner == row.source_table:
            return
        if (row.table, row.source_table) not in self._clashes:
            self._clashes.add((row.table, row.source_table))
            self._metrics.table_halted.labels(row.table, "name_clash").set(1)
            log.error("REFUSED %s -> warehouse table %s.%s: that table already holds %s; "
                      "set sink.table_naming: schema_table or map it in sink.table_names",
                      row.source_table, self.schema, row.table, owner)
        raise SinkError(f"{row.source_table}: warehouse table {row.table} already holds "
                        f"{owner}; set sink.table_naming or sink.table_names",
                        reason="table_name_clash")

    def _current(self, table: str) -> TableState | None:
        return self._pending.get(table) or self._state.get(table)

    def _judge(self, row: RowSchema, state: TableState | None) -> TableState:
        self._check_meta_collision(row)
        incoming = list(row.columns)
        if state is None:
            return self._create(row, incoming)
        if _is_older(incoming, row.key_fields, state):
            return state
        change = evolution.classify(state.columns, incoming, list(state.key_fields),
                                    list(row.key_fields))
        if change.kind == "breaking":
            self._halt(row.table, state, evolution.breaking_error(row.table, change))
        return self._evolve(row.table, state, change)

    def _check_meta_collision(self, row: RowSchema) -> None:
        clash = sorted({c.name for c in row.columns} & set(self.meta.all()))
        if clash:
            raise SinkError(f"{row.table}: source columns {clash} collide with metadata "
                            "column names; configure sink.meta_columns", reason="meta_collision")

    def _create(self, row: RowSchema, columns: list[evolution.Column]) -> TableState:
        state = TableState(row.key_fields, columns)
        state.ddl.append(sqlbuild.create_table(state.layout(self.schema, row.table, self.meta)))
        self._pending[row.table] = state
        self._metrics.schema_changes.labels(row.table, "new_table").inc()
        log.info("new table %s.%s with %d columns", self.schema, row.table, len(columns))
        return state

    def _evolve(self, table: str, old: TableState, change: evolution.SchemaChange) -> TableState:
        by_name = {c.name: c for c in old.columns}
        for before, after in change.widened:
            by_name[before.name] = after
        state = TableState(old.key_fields, [by_name[c.name] for c in old.columns] + change.added,
                           ddl=list(old.ddl))
        layout = state.layout(self.schema, table, self.meta)
        pg = {c.name: c for c in layout.columns}
        state.ddl += [sqlbuild.alter_column_type(layout, pg[b.name]) for b, _ in change.widened]
        state.ddl += [sqlbuild.add_column(layout, pg[c.name]) for c in change.added]
        self._pending[table] = state
        self._metrics.schema_changes.labels(table, change.kind).inc()
        log.info("schema change on %s (%s): added %s, widened %s", table, change.kind,
                 [c.name for c in change.added], [b.name for b, _ in change.widened])
        return state

    def _halt(self, table: str, state: TableState, error: SchemaChangeError) -> None:
        halted = TableState(state.key_fields, state.columns, str(error), ddl=list(state.ddl))
        self._pending[table] = halted
        self._metrics.schema_changes.labels(table, "breaking").inc()
        self._metrics.table_halted.labels(table, "breaking_schema_change").set(1)
        log.error("HALTED table %s: %s", table, error)
        raise error

    def halt_for_quality(self, table: str, detail: str) -> None:
        """Stop a table whose hard-violation rate passed its contract's threshold."""
        state = self._current(table)
        if state is not None and not state.halted_reason:
            reason = f"{QUALITY_HALT} {detail}"
            self._pending[table] = TableState(state.key_fields, state.columns, reason,
                                              ddl=list(state.ddl))
            self._metrics.table_halted.labels(table, "quality_gate").set(1)
            log.error("HALTED table %s: %s", table, reason)

    def refuse(self, table: str, reason: str, detail: str) -> None:
        """Halt a table PostgreSQL refused for a schema reason (pgerrors "schema"): it keeps
        its applied schema, the refused DDL is dropped, the other tables go on."""
        base = self._state.get(table) or self._current(table)
        assert base is not None  # a table is refused only while it is being written
        halted = f"{REFUSED_HALT} {reason}: {detail.splitlines()[0] if detail else ''}"
        self._pending[table] = TableState(base.key_fields, base.columns, halted)
        self._metrics.table_halted.labels(table, "schema_rejected").set(1)
        log.error("HALTED table %s: %s", table, halted)

    def refusal(self, table: str) -> str | None:
        """The DLQ reason when ``table`` is halted by a PostgreSQL schema refusal."""
        state = self._current(table)
        halted = state.halted_reason if state is not None else None
        if not halted or not halted.startswith(REFUSED_HALT):
            return None
        return halted[len(REFUSED_HALT):].split(":", 1)[0].strip()

    def is_halted(self, table: str) -> bool:
        state = self._current(table)
        return bool(state and state.halted_reason)

    def write_pending(self, conn: psycopg.Connection[Any]) -> None:
        """Run pending DDL and persist changed table states (inside the batch transaction)."""
        if any(state.ddl for state in self._pending.values()):
            self._lock_ddl(conn)
        for table in list(self._pending):
            self._apply_ddl(conn, table)
            self.persist(conn, table)

    def _apply_ddl(self, conn: psycopg.Connection[Any], table: str) -> None:
        """The table's pending DDL in its own savepoint: a schema refusal halts it alone."""
        ddl = self._pending[table].ddl
        if not ddl:
            return
        try:
            with conn.transaction():
                for statement in ddl:
                    conn.execute(statement)
        except psycopg.Error as exc:
            if pgerrors.classify(exc) != "schema":
                raise
            self.refuse(table, pgerrors.reason("schema_rejected", exc), str(exc))

    def persist(self, conn: psycopg.Connection[Any], table: str) -> None:
        """Record the table's pending state in the schema catalog (batch transaction)."""
        state = self._pending[table]
        cur = conn.execute(sql.SQL(
            "insert into {t} (table_name, key_fields, columns, halted_reason, source_table) "
            "values (%s, %s, %s, %s, %s) on conflict (table_name) do update set key_fields = "
            "excluded.key_fields, columns = excluded.columns, halted_reason = "
            "excluded.halted_reason, source_table = coalesce({t}.source_table, "
            "excluded.source_table), updated_at = now() returning source_table").format(
            t=self._schemas_ident()),
            (table, list(state.key_fields), json.dumps([_column_json(c) for c in state.columns]),
             state.halted_reason, self._sources.get(table)))
        self._owned_by_us(table, cur.fetchone())

    def _owned_by_us(self, table: str, stored: tuple[Any, ...] | None) -> None:
        """Another replica recorded another source for ``table`` first: stop rather than merge
        (the restart loads the catalog and refuses the clashing source's records)."""
        ours = self._sources.get(table)
        if stored is not None and stored[0] is not None and ours is not None and stored[0] != ours:
            raise SinkServiceError(f"warehouse table {table} holds {stored[0]}, not {ours}: "
                                   "another replica recorded it first")

    def committed(self) -> None:
        """The batch committed: pending states become the applied ones."""
        for table, state in self._pending.items():
            state.ddl = []
            self._state[table] = state
        self._pending.clear()

    def rolled_back(self) -> None:
        """The batch was abandoned: forget its pending DDL and judgements."""
        self._pending.clear()
        self._accepted.clear()


def _is_older(incoming: list[evolution.Column], key_fields: tuple[str, ...],
              state: TableState) -> bool:
    """Every incoming column is applied with the same or a wider type, same key."""
    if key_fields != state.key_fields:
        return False
    applied = {c.name: c for c in state.columns}
    return all(c.name in applied and _same_or_wider(c, applied[c.name]) for c in incoming)


def _same_or_wider(incoming: evolution.Column, applied: evolution.Column) -> bool:
    old, new = evolution.signature(incoming.avro_type), evolution.signature(applied.avro_type)
    return old == new or evolution.widens(old, new)

