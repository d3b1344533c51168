"""SQL for the change-history tables, built from plain data; no connection needed.

A history table ``<history_schema>.<table>`` holds every distinct change the sink consumed
for one warehouse table: the source columns (NULL where the change carried no value, those
columns named in ``_unavailable_columns``), then ``_op``, ``_deleted``, the source position,
LSN and commit time, ``_event_id``, the Kafka topic/partition/offset and ``_loaded_at``.

- **Unique on (event_id, commit time).** ``event_id`` is the same for every replay of one
  change and differs between two changes (docs/design.md "Source position and event_id"),
  whereas the position of a change without a source position includes its Kafka offset, so a
  replay at a later offset would be a second row. The commit time is part of the key only
  because PostgreSQL requires a partitioned table's unique key to hold the partition key;
  every replay of a change carries its commit time, so it changes nothing.
- **Partitioned by month of the source commit time** (``partition by range``, UTC months,
  partitions ``<table>__pYYYYMM``), so retention drops whole partitions.
- **``<table>__versions``** is the history as versions: each row with ``valid_from`` (its
  commit time) and ``valid_to`` (the next version's, by source position; NULL for the
  newest), and every value resolved as the current-state table resolves it: a column the
  change did not know (a placeholder, a column the writer schema lacked, any column of a
  delete) has the value of the newest older version that knew it.
- **``<table>__as_of(timestamptz)``** returns the versions valid at that instant.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from psycopg import sql

from cdc_sink.naming import identifier
from cdc_sink.sqlbuild import (
    _STAGED_TS,
    Column,
    MetaNames,
    TableLayout,
    _ids,
    _typed,
    copy_into,
    create_temp,
)

# History-only metadata columns; the shared ones (commit time, LSN, position, event id,
# loaded at) follow sink.meta_columns.
OP, DELETED, UNAVAILABLE = "_op", "_deleted", "_unavailable_columns"
TOPIC, PARTITION, OFFSET = "_kafka_topic", "_kafka_partition", "_kafka_offset"
HISTORY_ONLY = (OP, DELETED, UNAVAILABLE, TOPIC, PARTITION, OFFSET)
STAGING_META = ("__op", "__deleted", "__lsn", "__ts_ms", "__event_id", "__pos",
                "__unavailable", "__topic", "__partition", "__offset")
_STAGING_META_TYPES = ("text", "boolean", "bigint", "bigint", "text", "bytea", "text[]",
                       "text", "integer", "bigint")


@dataclass(frozen=True, slots=True)
class HistoryLayout:
    """One history table: the current table's columns under ``schema``."""

    schema: str
    current: TableLayout

    @property
    def table(self) -> str:
        return self.current.table

    @property
    def meta(self) -> MetaNames:
        return self.current.meta

    @property
    def ident(self) -> sql.Identifier:
        return sql.Identifier(self.schema, self.table)

    @property
    def columns(self) -> tuple[Column, ...]:
        return self.current.columns

    def derived(self, suffix: str) -> str:
        """A name derived from the table's (view, function, partition), within 63 bytes."""
        return identifier(f"{self.table}__{suffix}")

    def meta_names(self) -> tuple[str, ...]:
        m = self.meta
        return (*HISTORY_ONLY, m.source_updated_at, m.source_lsn, m.source_position,
                m.event_id, m.loaded_at)


def create_schema(schema: str) -> sql.Composed:
    return sql.SQL("create schema if not exists {}").format(sql.Identifier(schema))


def create_table(h: HistoryLayout) -> sql.Composed:
    m = h.meta
    meta = sql.SQL(
        "{op} text not null, {deleted} boolean not null, {unavailable} text[] not null, "
        "{pos} bytea, {lsn} bigint, {ts} timestamptz not null, {eid} text not null, "
        "{topic} text not null, {partition} integer not null, {offset} bigint not null, "
        "{loaded} timestamptz not null default now()").format(
        op=sql.Identifier(OP), deleted=sql.Identifier(DELETED),
        unavailable=sql.Identifier(UNAVAILABLE), pos=sql.Identifier(m.source_position),
        lsn=sql.Identifier(m.source_lsn), ts=sql.Identifier(m.source_updated_at),
        eid=sql.Identifier(m.event_id), topic=sql.Identifier(TOPIC),
        partition=sql.Identifier(PARTITION), offset=sql.Identifier(OFFSET),
        loaded=sql.Identifier(m.loaded_at))
    cols = sql.SQL(", ").join(_typed(c) for c in h.columns)
    return sql.SQL("create table if not exists {} ({}, {}, primary key ({}, {})) "
                   "partition by range ({})").format(
        h.ident, cols, meta, sql.Identifier(m.event_id), sql.Identifier(m.source_updated_at),
        sql.Identifier(m.source_updated_at))


def create_version_index(h: HistoryLayout) -> sql.Composed:
    """The versions of one key in position order: what the view's window and lookups use."""
    names = [c.name for c in h.current.key] + [h.meta.source_position]
    return sql.SQL("create index if not exists {} on {} ({})").format(
        sql.Identifier(h.derived("versions_idx")), h.ident, _ids(names))


def month_of(ts_ms: int) -> tuple[int, int]:
    moment = datetime.fromtimestamp(ts_ms // 1000, UTC)
    return moment.year, moment.month


def partition_name(h: HistoryLayout, month: tuple[int, int]) -> str:
    return h.derived(f"p{month[0]:04d}{month[1]:02d}")


def _month_start(month: tuple[int, int]) -> str:
    return f"{month[0]:04d}-{month[1]:02d}-01 00:00:00+00"


def next_month(month: tuple[int, int]) -> tuple[int, int]:
    return (month[0] + 1, 1) if month[1] == 12 else (month[0], month[1] + 1)


def create_partition(h: HistoryLayout, month: tuple[int, int]) -> sql.Composed:
    return sql.SQL("create table if not exists {} partition of {} for values from ({}) to ({})"
                   ).format(sql.Identifier(h.schema, partition_name(h, month)), h.ident,
                            sql.Literal(_month_start(month)),
                            sql.Literal(_month_start(next_month(month))))


def missing_partitions(h: HistoryLayout, months: list[tuple[int, int]]) -> tuple[
        sql.SQL, list[str]]:
    """A query returning which of ``months``' partitions do not exist, and its parameter."""
    names = [sql.Identifier(h.schema, partition_name(h, m)).as_string(None) for m in months]
    return sql.SQL("select n from unnest(%s::text[]) n where to_regclass(n) is null"), names


def add_column(h: HistoryLayout, col: Column) -> sql.Composed:
    return sql.SQL("alter table {} add column if not exists {}").format(h.ident, _typed(col))


def alter_column_type(h: HistoryLayout, col: Column) -> sql.Composed:
    return sql.SQL("alter table {} alter column {} type {}").format(
        h.ident, sql.Identifier(col.name), sql.SQL(col.sql_type))


COLUMN_TYPES = sql.SQL(
    "select a.attname, format_type(a.atttypid, a.atttypmod) from pg_attribute a "
    "where a.attrelid = to_regclass(%s) and a.attnum > 0 and not a.attisdropped")


def regclass_text(schema: str, table: str) -> str:
    return sql.Identifier(schema, table).as_string(None)


def staging_name(h: HistoryLayout) -> str:
    """The session's history staging table: one per history table and column set."""
    shape = repr(("history", h.schema, h.table, h.columns))
    return f"_cdc_hstage_{hashlib.sha256(shape.encode()).hexdigest()[:20]}"


def create_staging(h: HistoryLayout, name: str) -> sql.Composed:
    meta = [Column(n, t) for n, t in zip(STAGING_META, _STAGING_META_TYPES, strict=True)]
    return create_temp(name, (*h.columns, *meta))


def copy_staging(h: HistoryLayout, name: str) -> sql.Composed:
    return copy_into(name, tuple(c.name for c in h.columns) + STAGING_META)


def append(h: HistoryLayout, staging: str) -> sql.Composed:
    """Append the staged changes; one already stored (a replay: same event id) is left."""
    m = h.meta
    data = tuple(c.name for c in h.columns)
    target = (*data, OP, DELETED, UNAVAILABLE, m.source_position, m.source_lsn,
              m.source_updated_at, m.event_id, TOPIC, PARTITION, OFFSET)
    return sql.SQL(
        "insert into {} ({}) select {}, s.__op, s.__deleted, s.__unavailable, s.__pos, "
        "s.__lsn, {ts}, s.__event_id, s.__topic, s.__partition, s.__offset from {} s "
        "on conflict ({}, {}) do nothing").format(
        h.ident, _ids(target), _ids(data, "s"), sql.Identifier(staging),
        sql.Identifier(m.event_id), sql.Identifier(m.source_updated_at), ts=_STAGED_TS)


def _key_join(h: HistoryLayout, left: str, right: str) -> sql.Composed:
    return sql.SQL(" and ").join(
        sql.SQL("{} = {}").format(sql.Identifier(left, c.name), sql.Identifier(right, c.name))
        for c in h.current.key)


def _resolved(h: HistoryLayout, col: Column) -> sql.Composed:
    """``col`` as the version leaves it: its own value when it knew it, else that of the
    newest older version that knew it; a delete's image only when none did (a delete for a
    key first seen by it is stored with its before-image)."""
    pos, lit = h.meta.source_position, sql.Literal(col.name)
    return sql.SQL(
        "case when not h.{d} and not ({lit} = any(h.{u})) then h.{c} else "
        "(select x.v from (select p.{c} as v, p.{pos} as k from {t} p where {join} and "
        "p.{pos} < h.{pos} and not p.{d} and not ({lit} = any(p.{u})) "
        "union all select h.{c}, ''::bytea where h.{d}) x order by x.k desc limit 1) end as {c}"
    ).format(c=sql.Identifier(col.name), pos=sql.Identifier(pos), t=h.ident,
             join=_key_join(h, "p", "h"), d=sql.Identifier(DELETED), lit=lit,
             u=sql.Identifier(UNAVAILABLE))


def create_view(h: HistoryLayout) -> sql.Composed:
    m = h.meta
    key = [c.name for c in h.current.key]
    values = sql.SQL(", ").join(_resolved(h, c) for c in h.current.values)
    meta = _ids(h.meta_names(), "h")
    order = sql.SQL("h.{}, h.{}").format(sql.Identifier(m.source_position),
                                         sql.Identifier(m.event_id))
    return sql.SQL(
        "create view {view} as select {key}, {values}, {meta}, h.{ts} as valid_from, "
        "lead(h.{ts}) over (partition by {key} order by {order}) as valid_to from {t} h"
    ).format(view=sql.Identifier(h.schema, h.derived("versions")), key=_ids(key, "h"),
             values=values, meta=meta, ts=sql.Identifier(m.source_updated_at), order=order,
             t=h.ident)


def create_as_of(h: HistoryLayout) -> sql.Composed:
    """The table as of ``ts``: per key the version valid then (deleted ones included,
    ``_deleted`` true)."""
    view = sql.Identifier(h.schema, h.derived("versions"))
    body = sql.SQL("select * from {} v where v.valid_from <= ts and "
                   "(v.valid_to is null or v.valid_to > ts)").format(view).as_string(None)
    return sql.SQL("create or replace function {}(ts timestamptz) returns setof {} "
                   "language sql stable as {}").format(
        sql.Identifier(h.schema, h.derived("as_of")), view, sql.Literal(body))


def view_regclass(h: HistoryLayout) -> str:
    return regclass_text(h.schema, h.derived("versions"))


def drop_view(h: HistoryLayout) -> sql.Composed:
    """Before DDL on the table: the view (and the function returning its rows) pins the
    columns' types and lists the columns it had when created."""
    return sql.SQL("drop view if exists {} cascade").format(
        sql.Identifier(h.schema, h.derived("versions")))
