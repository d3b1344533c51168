"""Kafka bytes → ``SinkChange``: the sink's decoding edge, pure apart from the schema lookup.

Both input formats are accepted, per topic or detected from the writer schema: the flat
processed record of the Flink job (``__op`` … fields) and a raw Debezium envelope (``op``,
``before``, ``after``, ``source``), so the sink can also run straight off Debezium. Every
failure raises a ``CdcError`` carrying the stage and reason for the dead-letter record.

Table names come from the topic, ``<prefix>.<schema>.<table>``: contracts are looked up as
``<schema>.<table>``; the warehouse table and column names come from naming.py (within
PostgreSQL's 63 bytes, never two source names on one identifier). From here on a change
speaks warehouse names only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from cdc_core import evolution
from cdc_core.avro import AvroDecoder
from cdc_core.envelope import parse_envelope
from cdc_core.errors import EnvelopeError, SinkError
from cdc_core.event_id import event_id, header_event_id
from cdc_core.processed import RESERVED_NAMES, meta_typed_by, processed_meta
from cdc_sink import fitcheck, naming, pgvalues, typemap
from cdc_sink.model import KafkaCoordinates, Position, RawMessage, SinkChange, position_key

Format = Literal["processed", "debezium"]
log = logging.getLogger(__name__)
KEYLESS_ADVICE = ("the source table has no primary key, so its changes cannot be upserted; "
                  "give it one (ALTER TABLE ... ADD PRIMARY KEY), or set the connector's "
                  "message.key.columns for it together with REPLICA IDENTITY FULL")
_KEYLESS_WARNED: set[str] = set()  # topics already warned about, once per process
_PLACEHOLDER_SHAPES = typemap.PLACEHOLDER_SHAPES
_NONE_UNAVAILABLE: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class ColumnPlan:
    """How one column's values are prepared, decided once per writer schema."""

    name: str  # the warehouse column
    source: str  # the field of the writer schema
    pg: typemap.PgType
    convert: pgvalues.Convert | None  # None: decoded values are what psycopg wants
    check: fitcheck.Check | None  # None: every value of the Avro type fits the column
    work: bool  # convert or check: False lets values through untouched

    @classmethod
    def of(cls, name: str, source: str, pg: typemap.PgType) -> ColumnPlan:
        convert, check = pgvalues.converter(pg), fitcheck.checker(pg)
        return cls(name, source, pg, convert, check, convert is not None or check is not None)


@dataclass(frozen=True)
class RowSchema:
    """What one (key schema, value schema) pair means for the warehouse table."""

    table: str
    source_table: str
    format: Format
    key_fields: tuple[str, ...]
    columns: tuple[evolution.Column, ...]
    pg: dict[str, typemap.PgType]
    plan: dict[str, ColumnPlan] = field(default_factory=dict)  # by column, in schema order
    # per key field: its plan when its values need converting or checking, else None
    key_plan: tuple[tuple[str, ColumnPlan | None], ...] = ()
    key_as_is: bool = True  # no key field needs converting or checking
    meta_typed: bool = False  # processed metadata types guaranteed by the writer schema


@dataclass(slots=True)  # per message: not frozen (a frozen __init__ is 4x slower)
class Decoded:
    change: SinkChange
    schema: RowSchema
    source_ts_ms: int


def split_topic(topic: str) -> tuple[str, str]:
    """(schema, table) from ``<prefix>.<schema>.<table>``."""
    parts = topic.split(".")
    if len(parts) < 3:
        raise SinkError(f"topic {topic!r} is not <prefix>.<schema>.<table>",
                        reason="unroutable_topic")
    return parts[-2], parts[-1]


class Decoder:
    """Stateful only in caches: writer schemas by id and row schemas by id pair."""

    def __init__(self, fetch_schema: Callable[[int], str],
                 format_for: Callable[[str], str],
                 names: naming.TableNames | None = None) -> None:
        self._avro = AvroDecoder(fetch_schema)
        self._format_for = format_for
        self._names = names or naming.TableNames()
        self._rows: dict[tuple[str, int, int], RowSchema] = {}

    def decode(self, raw: RawMessage) -> Decoded | None:
        """The change in ``raw``; None for a tombstone. Raises CdcError for the DLQ."""
        if raw.value is None:
            return None
        if raw.key is None:
            raise _keyless(raw.topic)
        key_id, key = self._avro.decode(raw.key)
        value_id, value = self._avro.decode(raw.value)
        row = self._row_schema(raw.topic, key_id, value_id)
        if row.format == "processed":
            return self._from_processed(raw, row, key, value)
        return self._from_debezium(raw, row, key, value)

    def _row_schema(self, topic: str, key_id: int, value_id: int) -> RowSchema:
        cache_key = (topic, key_id, value_id)
        if cache_key not in self._rows:
            self._rows[cache_key] = self._build_row_schema(topic, key_id, value_id)
        return self._rows[cache_key]

    def _build_row_schema(self, topic: str, key_id: int, value_id: int) -> RowSchema:
        value_schema = self._avro.schema_of(value_id)
        fmt = self._detect(topic, value_schema)
        schema, table = split_topic(topic)
        warehouse_table = self._names.table(schema, table)
        source_columns = [c for c in evolution.columns_of(value_schema)
                          if c.name not in RESERVED_NAMES]
        names = naming.column_names(warehouse_table, [c.name for c in source_columns])
        columns = tuple(replace(c, name=names[c.name]) for c in source_columns)
        key_sources = tuple(f["name"] for f in self._avro.schema_of(key_id).get("fields", []))
        key_fields = tuple(names.get(f, naming.identifier(f)) for f in key_sources)
        pg = {c.name: typemap.pg_type(c.avro_type) for c in columns}
        plan = {c.name: ColumnPlan.of(c.name, s.name, pg[c.name])
                for c, s in zip(columns, source_columns, strict=True)}
        key_plan = tuple((src, _needs_work(plan.get(f)))
                         for src, f in zip(key_sources, key_fields, strict=True))
        return RowSchema(warehouse_table, f"{schema}.{table}", fmt, key_fields, columns, pg,
                         plan, key_plan, all(col is None for _, col in key_plan),
                         fmt == "processed" and meta_typed_by(value_schema))

    def _detect(self, topic: str, value_schema: dict[str, Any]) -> Format:
        names = {f["name"] for f in value_schema.get("fields", [])}
        found: Format | None = ("processed" if "__op" in names else
                                "debezium" if {"op", "source"} <= names else None)
        wanted = self._format_for(topic)
        if found is None or wanted not in ("auto", found):
            raise EnvelopeError(f"topic {topic}: value schema is not a {wanted} record",
                                reason="bad_processed_record")
        return found

    def _from_processed(self, raw: RawMessage, row: RowSchema, key: dict[str, Any],
                        value: dict[str, Any]) -> Decoded:
        meta = processed_meta(value, typed=row.meta_typed)  # columns: _prepare skips the rest
        lsn, ts_ms = meta.source_lsn, meta.source_ts_ms
        order = None if lsn is None else (lsn,)
        change = self._change(raw, row, key, value, deleted=meta.deleted, op=meta.op,
                              eid=meta.event_id,
                              position=Position(lsn, ts_ms, position_key(order, ts_ms, raw.offset)))
        return Decoded(change, row, meta.source_ts_ms)

    def _from_debezium(self, raw: RawMessage, row: RowSchema, key: dict[str, Any],
                       value: dict[str, Any]) -> Decoded:
        event = parse_envelope(key, value)
        if event.is_truncate:
            raise EnvelopeError("truncate events are not applied to the warehouse",
                                reason="truncate_not_supported")
        eid = event_id(event, header_event_id(raw.headers))
        source = event.source
        position = Position(source.lsn, source.ts_ms,
                            position_key(source.order, source.ts_ms, raw.offset))
        change = self._change(raw, row, key, event.row, deleted=event.is_delete, op=event.op,
                              eid=eid, position=position)
        return Decoded(change, row, event.source.ts_ms)

    def _change(self, raw: RawMessage, row: RowSchema, key: dict[str, Any],
                values: dict[str, Any], *, deleted: bool, op: str, eid: str,
                position: Position) -> SinkChange:
        """The Kafka key is authoritative for the primary key (docs/design.md)."""
        columns, unavailable = self._prepare(row, values, op)
        return SinkChange(row.table, _key_values(row, key), columns, deleted, op, eid, position,
                          KafkaCoordinates(raw.topic, raw.partition, raw.offset),
                          frozenset(unavailable) if unavailable else _NONE_UNAVAILABLE)

    @staticmethod
    def _prepare(row: RowSchema, values: dict[str, Any],
                 op: str) -> tuple[dict[str, Any], list[str]]:
        """One pass over the columns: placeholders set aside, values converted and checked.

        Names in ``values`` that are not columns (processed metadata) are not looked at.
        Debezium sends the placeholder only in updates (an unchanged TOASTed value): in any
        other event a value equal to it is real and stored as it is.
        """
        update = op == "u"
        columns: dict[str, Any] = {}
        unavailable: list[str] = []
        for col in row.plan.values():
            if col.source not in values:
                continue
            value = values[col.source]
            if update and type(value) in _PLACEHOLDER_SHAPES and typemap.is_unavailable(value):
                unavailable.append(col.name)
            elif value is None or not col.work:
                columns[col.name] = value
            else:
                columns[col.name] = _fit(row.table, col, value)
        return columns, unavailable


def _keyless(topic: str) -> EnvelopeError:
    """A record without a Kafka key: its table has no primary key, so Debezium has no key
    to send and the sink no row to upsert (docs/types.md, Keyless tables)."""
    if topic not in _KEYLESS_WARNED:
        _KEYLESS_WARNED.add(topic)
        log.warning("topic %s: %s", topic, KEYLESS_ADVICE)
    return EnvelopeError(f"topic {topic}: record without a key: {KEYLESS_ADVICE}",
                         reason="keyless_table")


def _needs_work(col: ColumnPlan | None) -> ColumnPlan | None:
    return col if col is not None and col.work else None


def _key_values(row: RowSchema, key: dict[str, Any]) -> tuple[Any, ...]:
    """The primary key from the Kafka key, each value fitted to its column."""
    values = tuple([key.get(name) for name, _ in row.key_plan])
    if not values or None in values:
        raise EnvelopeError(f"key of {row.table} lacks a primary-key value",
                            reason="missing_key_field")
    if row.key_as_is:
        return values
    return tuple(v if col is None else _fit(row.table, col, v)
                 for (_, col), v in zip(row.key_plan, values, strict=True))


def _fit(table: str, col: ColumnPlan, value: Any) -> Any:
    """The value ready for COPY, or a SinkError naming why the column cannot hold it."""
    converted = value if col.convert is None else pgvalues.convert(col.convert, value, col.pg)
    if isinstance(converted, typemap.Unfit):
        why: str | None = converted.reason
    else:
        why = col.check(converted, col.pg) if col.check is not None else None
    if why is not None:
        raise SinkError(f"{table}.{col.name}: value does not fit {col.pg.sql} ({why})",
                        reason=f"value_misfit_{why}")
    return converted
