"""SQL for the warehouse tables, built from plain data; no connection needed.

Every identifier goes through ``sql.Identifier`` and every name used as a value through
``sql.Literal``: a column called ``"; drop table x; --`` is just a column of that name.

The upsert of a batch is two set-based statements over a staging table filled by COPY:
1. ``insert_new``: keys never seen are inserted (``ON CONFLICT DO NOTHING``);
2. ``update_existing``: keys already stored are updated only where the staged change is
   newer (the ordering guard). Rows inserted by step 1 have an equal position and are left
   alone, and a key inserted concurrently by another writer is handled by step 2, so no change
   is ever dropped by a conflict.
Per column the update applies a carried value (collapse.py) only where its own position is
newer than the stored row's, and otherwise keeps the stored value for deletes (soft delete
keeps the last known values) and for unavailable values (Debezium's TOAST placeholder, or a
column the writer schema lacked).

Positions are compared as ``bytea`` (``model.position_key``): ``_source_position`` of the
stored row against the staged ``__pos``. A row written before ``_source_position`` existed
has only ``_source_lsn`` and ``_source_updated_at``; its key is rebuilt from them
(``stored_key``), as the position of such a change is built in Python.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from psycopg import sql

STAGING_META = ("__deleted", "__lsn", "__ts_ms", "__event_id", "__pos", "__unavailable",
                "__carried", "__carried_pos")
_STAGING_META_TYPES = ("boolean", "bigint", "bigint", "text", "bytea", "text[]", "text[]",
                       "bytea[]")
# The change's source commit time. Staged as epoch milliseconds: a bigint is cheaper to COPY
# than a timestamptz (which psycopg formats and PostgreSQL parses per row). Converted
# exactly for any millisecond: whole seconds (an integer, exact as a double) plus the
# remaining milliseconds, never a fractional double.
_STAGED_TS = sql.SQL("(to_timestamp(s.__ts_ms / 1000) + (s.__ts_ms % 1000) * interval '1 ms')")
# For the rest of the batch's transaction: join staged rows to a warehouse table by probing
# its primary key once per staged row (an index nested loop: cost grows with the batch),
# never by hashing or merging the whole table (cost grows with the table, paid again by every
# batch). Left to itself the planner, which never sees statistics for the temporary staging
# table, hashes the whole warehouse table to update a small part of it, which gets slower
# as the table grows. The key always has a unique index (``insert_new`` relies on it).
PROBE_BY_KEY = sql.SQL("set local enable_hashjoin = off; set local enable_mergejoin = off")


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    sql_type: str  # a PostgreSQL type name from typemap.py, never user text


@dataclass(frozen=True, slots=True)
class MetaNames:
    """Names of the metadata columns (configurable; defaults in docs/design.md)."""

    is_deleted: str = "is_deleted"
    deleted_at: str = "deleted_at"
    source_updated_at: str = "_source_updated_at"
    source_lsn: str = "_source_lsn"
    event_id: str = "_event_id"
    loaded_at: str = "_loaded_at"
    source_position: str = "_source_position"

    def all(self) -> tuple[str, ...]:
        return (self.is_deleted, self.deleted_at, self.source_updated_at, self.source_lsn,
                self.event_id, self.loaded_at, self.source_position)


@dataclass(frozen=True, slots=True)
class TableLayout:
    schema: str
    table: str
    key: tuple[Column, ...]
    values: tuple[Column, ...]
    meta: MetaNames = MetaNames()

    @property
    def ident(self) -> sql.Identifier:
        return sql.Identifier(self.schema, self.table)

    @property
    def columns(self) -> tuple[Column, ...]:
        return self.key + self.values


def _ids(names: tuple[str, ...] | list[str], prefix: str | None = None) -> sql.Composed:
    if prefix is None:
        return sql.SQL(", ").join(sql.Identifier(n) for n in names)
    return sql.SQL(", ").join(sql.Identifier(prefix, n) for n in names)


def _typed(col: Column) -> sql.Composed:
    return sql.SQL("{} {}").format(sql.Identifier(col.name), sql.SQL(col.sql_type))


def create_table(layout: TableLayout) -> sql.Composed:
    m = layout.meta
    meta = sql.SQL(
        "{} boolean not null default false, {} timestamptz, {} timestamptz, {} bigint, {} text, "
        "{} timestamptz not null default now(), {} bytea").format(
        *(sql.Identifier(n) for n in m.all()))
    cols = sql.SQL(", ").join(_typed(c) for c in layout.columns)
    return sql.SQL("create table if not exists {} ({}, {}, primary key ({}))").format(
        layout.ident, cols, meta, _ids([c.name for c in layout.key]))


def add_position_column(layout: TableLayout) -> sql.Composed:
    """For a table created before ``_source_position`` existed (a no-op otherwise)."""
    return sql.SQL("alter table if exists {} add column if not exists {} bytea").format(
        layout.ident, sql.Identifier(layout.meta.source_position))


def add_column(layout: TableLayout, col: Column) -> sql.Composed:
    return sql.SQL("alter table {} add column if not exists {}").format(layout.ident, _typed(col))


def alter_column_type(layout: TableLayout, col: Column) -> sql.Composed:
    return sql.SQL("alter table {} alter column {} type {}").format(
        layout.ident, sql.Identifier(col.name), sql.SQL(col.sql_type))


def staging_name(layout: TableLayout) -> str:
    """The session's staging table for ``layout``: one per table and column set, so a
    schema change gets a new one and two tables never share one."""
    shape = repr((layout.schema, layout.table, layout.columns))
    return f"_cdc_stage_{hashlib.sha256(shape.encode()).hexdigest()[:20]}"


def create_staging(layout: TableLayout, name: str) -> sql.Composed:
    """Created once per session and emptied at every commit: creating and dropping a
    temporary table per batch and table cost more than a millisecond each time."""
    meta = [Column(n, t) for n, t in zip(STAGING_META, _STAGING_META_TYPES, strict=True)]
    return create_temp(name, (*layout.columns, *meta))


def create_temp(name: str, columns: tuple[Column, ...]) -> sql.Composed:
    """A session's temporary staging table, emptied at every commit."""
    cols = sql.SQL(", ").join(_typed(c) for c in columns)
    return sql.SQL("create temp table if not exists {} ({}) on commit delete rows").format(
        sql.Identifier(name), cols)


def clear_staging(name: str) -> sql.Composed:
    """Rows an earlier attempt in the same transaction left (a batch split to isolate a
    value PostgreSQL refuses); a no-op on the first."""
    return sql.SQL("delete from {}").format(sql.Identifier(name))


def copy_staging(layout: TableLayout, name: str) -> sql.Composed:
    return copy_into(name, tuple(c.name for c in layout.columns) + STAGING_META)


def copy_into(name: str, names: tuple[str, ...]) -> sql.Composed:
    return sql.SQL("copy {} ({}) from stdin").format(sql.Identifier(name), _ids(names))


def insert_new(layout: TableLayout, staging: str) -> sql.Composed:
    m = layout.meta
    data = tuple(c.name for c in layout.columns)
    target = (*data, m.is_deleted, m.deleted_at, m.source_updated_at, m.source_lsn, m.event_id,
              m.source_position)
    return sql.SQL(
        "insert into {} ({}) select {}, s.__deleted, case when s.__deleted then {ts} end, "
        "{ts}, s.__lsn, s.__event_id, s.__pos from {} s on conflict ({}) do nothing "
        "returning {} as applied_deleted, false as applied_tie").format(
        layout.ident, _ids(target), _ids(data, "s"), sql.Identifier(staging),
        _ids([c.name for c in layout.key]), sql.Identifier(m.is_deleted), ts=_STAGED_TS)


def stored_key(meta: MetaNames, alias: str) -> sql.Composed:
    """The stored row's position key: ``_source_position``, or for a row written before that
    column existed, the key its LSN (ordered) or commit time (unordered, offset 0) gives."""
    lsn, ts = sql.Identifier(alias, meta.source_lsn), sql.Identifier(alias, meta.source_updated_at)
    return sql.SQL(
        "coalesce({pos}, case when {lsn} is not null then '\\x01'::bytea || int8send({lsn}) "
        "else '\\x00'::bytea || int8send(((extract(epoch from {ts}) * 1000)::bigint) "
        "# (-9223372036854775807 - 1)) || '\\x0000000000000000'::bytea end)").format(
        pos=sql.Identifier(alias, meta.source_position), lsn=lsn, ts=ts)


def _value_update(layout: TableLayout, col: Column) -> sql.Composed:
    t, s, lit = sql.Identifier("t", col.name), sql.Identifier("s", col.name), sql.Literal(col.name)
    carried_pos = sql.SQL("s.__carried_pos[array_position(s.__carried, {})]").format(lit)
    return sql.SQL(
        "{col} = case when {lit} = any(s.__carried) then "
        "(case when {carried_pos} > {stored} then {s} else {t} end) "
        "when s.__deleted or {lit} = any(s.__unavailable) then {t} else {s} end").format(
        col=sql.Identifier(col.name), lit=lit, t=t, s=s, carried_pos=carried_pos,
        stored=stored_key(layout.meta, "t"))


def _tie(layout: TableLayout) -> sql.Composed:
    """Whether only the Kafka offset put the staged change after the stored one: read from
    the statement's snapshot, which still holds the row as it was before the update."""
    join = _key_join(layout, "o", "s")
    return sql.SQL(
        "(get_byte(s.__pos, 0) = 0 and substr(s.__pos, 1, 9) = "
        "(select substr({old}, 1, 9) from {table} o where {join}))").format(
        old=stored_key(layout.meta, "o"), table=layout.ident, join=join)


def _key_join(layout: TableLayout, left: str, right: str) -> sql.Composed:
    return sql.SQL(" and ").join(
        sql.SQL("{} = {}").format(sql.Identifier(left, c.name), sql.Identifier(right, c.name))
        for c in layout.key)


def update_existing(layout: TableLayout, staging: str) -> sql.Composed:
    m = layout.meta
    sets = [_value_update(layout, c) for c in layout.values]
    sets += [sql.SQL("{} = s.__deleted").format(sql.Identifier(m.is_deleted)),
             sql.SQL("{} = case when s.__deleted then {} end").format(
                 sql.Identifier(m.deleted_at), _STAGED_TS),
             sql.SQL("{} = {}").format(sql.Identifier(m.source_updated_at), _STAGED_TS),
             sql.SQL("{} = s.__lsn").format(sql.Identifier(m.source_lsn)),
             sql.SQL("{} = s.__event_id").format(sql.Identifier(m.event_id)),
             sql.SQL("{} = s.__pos").format(sql.Identifier(m.source_position)),
             sql.SQL("{} = now()").format(sql.Identifier(m.loaded_at))]
    return sql.SQL("update {} as t set {} from {} s where {} and s.__pos > {} "
                   "returning s.__deleted as applied_deleted, {} as applied_tie").format(
        layout.ident, sql.SQL(", ").join(sets), sql.Identifier(staging),
        _key_join(layout, "t", "s"), stored_key(m, "t"), _tie(layout))


def counted(applying: sql.Composed) -> sql.Composed:
    """(rows applied, of them deletes, of them ordered by the Kafka offset alone) of
    ``insert_new``/``update_existing``, counted by the server instead of sending the client
    a row per change."""
    return sql.SQL("with applied as ({}) select count(*), count(*) filter "
                   "(where applied_deleted), count(*) filter (where applied_tie) "
                   "from applied").format(applying)
