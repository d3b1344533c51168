"""Avro field types (as Debezium PostgreSQL writes them) -> PostgreSQL column types and values.

Why the mapping is what it is
-----------------------------
The warehouse must hold what the source held, so every column gets the *source's* type
back, not the wire encoding Debezium chose.  Debezium's PostgreSQL connector (defaults
``decimal.handling.mode=precise``, ``time.precision.mode=adaptive``) writes Kafka Connect
schemas; the Confluent/Apicurio Avro converter turns them into Avro, keeping the Connect
schema name as ``connect.name`` (also with ``schema.name.adjustment.mode=avro``), Connect
parameters as ``connect.parameters`` (string values) and INT8/INT16 as
``{"type": "int", "connect.type": "int16"}``.  The semantic name, not the Avro base type,
says what a value means, so it is looked up first (``connect.name``, then ``logicalType``,
then a named type's full name), then Avro logical types, then the base type:

* ``io.debezium.time.Timestamp`` / ``MicroTimestamp`` / ``NanoTimestamp`` are epoch
  counts of a *local* date-time (PostgreSQL ``timestamp``), so -> ``timestamp``;
  ``ZonedTimestamp`` is an ISO-8601 string in UTC -> ``timestamptz``.  Avro
  ``timestamp-*`` and Connect ``Timestamp`` are instants -> ``timestamptz`` (note: under
  ``time.precision.mode=connect`` Debezium uses Connect ``Timestamp`` for ``timestamp``
  columns too, i.e. wall-clock read as UTC; the default ``adaptive`` mode never does).
* PostgreSQL infinities arrive as the strings ``infinity``/``-infinity``
  (ZonedTimestamp) or as sentinel epoch values far outside any real date; both become
  the strings ``'infinity'``/``'-infinity'``, which PostgreSQL parses back to infinity.
* ``time`` ``24:00:00`` is legal in PostgreSQL but not in Python; it is kept as the string.
* ``MicroDuration`` is Debezium's *approximation* of an interval (a month counted as
  30.4375 days); the month/day split is lost at the source and cannot be rebuilt here.
* Decimals: ``org.apache.kafka.connect.data.Decimal`` -> ``numeric(p,s)`` from
  ``connect.parameters`` (``scale``, ``connect.decimal.precision``) or Avro
  ``precision``/``scale``.  Without ``logicalType: decimal`` fastavro returns the raw
  two's-complement big-endian unscaled bytes, which are decoded here.  Beware: the
  converter writes Avro ``precision: 64`` when the Connect schema has no precision, and
  fastavro *rounds* decoded decimals to the declared precision.
  ``io.debezium.data.VariableScaleDecimal`` (unconstrained ``numeric``) is a record
  ``{scale, value}`` -> unconstrained ``numeric``.
* ``io.debezium.data.Json`` -> ``jsonb`` (json and jsonb sources look the same);
  ``Uuid`` -> ``uuid``; ``Xml`` -> ``xml``; ``Enum``/``EnumSet``/``Ltree`` -> ``text``
  (the warehouse need not have the source's enum types or extensions).
* ``io.debezium.data.Bits`` is a little-endian byte array sized by *content*, so
  leading zero bits are gone; it becomes ``bit varying(length)`` and is zero-padded to
  ``length`` (exact for ``bit(n)`` columns, for which Debezium's ``length`` is ``n``).
* Avro arrays -> PostgreSQL arrays of the item type; arrays of records, maps, unions or
  arrays (PostgreSQL arrays are rectangular and untyped-element-free) -> ``jsonb``.
* ``["null", X]`` -> X, nullable.  Any other union -> ``jsonb``: PostgreSQL has no sum
  type, and jsonb keeps every branch's value without guessing a common type.
* Records and maps (PostGIS geometry structs, hstore in map mode) -> ``jsonb`` via
  ``json.dumps`` (bytes as base64, decimals/datetimes/uuids as strings).

Values (``pgvalues`` and ``fitcheck``; this module holds the types they share)
-------------------------------------------------------------------------------
``pgvalues.to_pg`` turns a fastavro ``schemaless_reader`` value into what psycopg 3 adapts
for COPY (text format) into the column.  It is idempotent (converted values pass through),
never raises for bad data and never touches the TOAST placeholder (see
``is_unavailable``).  A value the column cannot hold becomes an ``Unfit``, which psycopg
cannot adapt, so it can never be written by accident; ``fitcheck.misfit`` reports its reason, and
also checks converted values against the column (ranges, NUL bytes, precision, JSON).
"""

from __future__ import annotations

import functools
import hashlib
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

UNAVAILABLE = "__debezium_unavailable_value"

LONG_MAX = 2**63 - 1
LONG_MIN = -(2**63)
_BITS_UNBOUNDED = 2**31 - 1  # Debezium's length for bit varying without a length
_SOURCE_TYPE = "__debezium.source.column.type"  # with datatype.propagate.source.type
_VARBIT_NAMES = frozenset({"varbit", "bit varying"})
PG_BIT_MAX = 83886080
PG_NUMERIC_MAX_PRECISION = 1000


@dataclass(frozen=True, slots=True)
class PgType:
    """A warehouse column type, plus what ``to_pg``/``misfit``/``widens`` need to know."""

    sql: str  # e.g. "numeric(12,2)", "timestamptz", "bigint", "jsonb", "text[]"
    nullable: bool = False  # the Avro type was a union with null
    conv: str = "text"  # converter tag: how decoded Avro values become column values
    precision: int | None = None  # numeric precision (None = unconstrained)
    scale: int | None = None  # numeric scale
    length: int | None = None  # bit varying length (None = unbounded)
    item: PgType | None = None  # element type of an array column

    @property
    def base(self) -> str:
        """The type without modifiers: ``numeric(12,2)`` -> ``numeric``."""
        return self.sql.partition("(")[0]


@dataclass(frozen=True, slots=True)
class Unfit:
    """What ``to_pg`` returns for a value its column cannot hold (``misfit`` says why)."""

    reason: str
    value: Any


class JsonText(str):
    """A JSON document already encoded (so ``to_pg`` never encodes it twice)."""

    __slots__ = ()


class PgText(str):
    """A value already written as PostgreSQL input text (``4713-11-24 BC``), which COPY
    hands to the column's input function: for values Python's types cannot hold."""

    __slots__ = ()


# ---------------------------------------------------------------------------- Avro -> SQL

Factory = Callable[[Mapping[str, Any]], PgType]


def _simple(sql: str, conv: str) -> Factory:
    made = PgType(sql, False, conv)
    return lambda _schema: made


def _params(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    params = schema.get("connect.parameters")
    return params if isinstance(params, Mapping) else {}


def _decimal(schema: Mapping[str, Any]) -> PgType:
    params = _params(schema)
    scale = int(params.get("scale", schema.get("scale", 0)))
    precision = params.get("connect.decimal.precision", schema.get("precision"))
    if precision is None or not 0 < int(precision) <= PG_NUMERIC_MAX_PRECISION:
        return PgType("numeric", False, "decimal", None, scale)
    p = int(precision)
    return PgType(f"numeric({p},{scale})", False, "decimal", p, scale)


def _bits(schema: Mapping[str, Any]) -> PgType:
    params = _params(schema)
    raw = params.get("length")
    n = int(raw) if raw is not None else None
    if n is None or n <= 0 or n >= _BITS_UNBOUNDED or n > PG_BIT_MAX:
        return PgType("bit varying", False, "varbits")
    # bit(n) and varbit(n) look alike unless the connector propagates the source type
    # (datatype.propagate.source.type); bit(n) is padded to n, varbit(n) is not.
    varying = str(params.get(_SOURCE_TYPE, "")).lower() in _VARBIT_NAMES
    return PgType(f"bit varying({n})", False, "varbits" if varying else "bits", length=n)


_JSONB_ANY = _simple("jsonb", "json_any")

# Semantic types, keyed by Connect schema name (connect.name / logicalType / Avro name).
_SEMANTIC: dict[str, Factory] = {
    "io.debezium.time.Date": _simple("date", "date"),
    "io.debezium.time.Time": _simple("time", "time_ms"),
    "io.debezium.time.MicroTime": _simple("time", "time_us"),
    "io.debezium.time.NanoTime": _simple("time", "time_ns"),
    "io.debezium.time.Timestamp": _simple("timestamp", "ts_ms"),
    "io.debezium.time.MicroTimestamp": _simple("timestamp", "ts_us"),
    "io.debezium.time.NanoTimestamp": _simple("timestamp", "ts_ns"),
    "io.debezium.time.ZonedTimestamp": _simple("timestamptz", "tstz_iso"),
    "io.debezium.time.ZonedTime": _simple("timetz", "timetz"),
    "io.debezium.time.MicroDuration": _simple("interval", "interval_us"),
    "io.debezium.time.Interval": _simple("interval", "interval_iso"),
    "io.debezium.data.Json": _simple("jsonb", "json"),
    "io.debezium.data.Uuid": _simple("uuid", "uuid"),
    "io.debezium.data.Xml": _simple("xml", "xml"),
    "io.debezium.data.Bits": _bits,
    "io.debezium.data.VariableScaleDecimal": _simple("numeric", "varnumeric"),
    "io.debezium.data.Enum": _simple("text", "text"),
    "io.debezium.data.EnumSet": _simple("text", "text"),
    "io.debezium.data.Ltree": _simple("text", "text"),
    "io.debezium.data.geometry.Point": _JSONB_ANY,
    "io.debezium.data.geometry.Geometry": _JSONB_ANY,
    "io.debezium.data.geometry.Geography": _JSONB_ANY,
    "org.apache.kafka.connect.data.Decimal": _decimal,
    "org.apache.kafka.connect.data.Timestamp": _simple("timestamptz", "tstz_ms"),
    "org.apache.kafka.connect.data.Date": _simple("date", "date"),
    "org.apache.kafka.connect.data.Time": _simple("time", "time_ms"),
}

# Avro logical types, keyed by (base type, logicalType) as the Avro spec pairs them.
_LOGICAL: dict[tuple[str, str], Factory] = {
    ("bytes", "decimal"): _decimal,
    ("fixed", "decimal"): _decimal,
    ("fixed", "duration"): _simple("interval", "avro_duration"),
    ("int", "date"): _simple("date", "date"),
    ("int", "time-millis"): _simple("time", "time_ms"),
    ("long", "time-micros"): _simple("time", "time_us"),
    ("long", "timestamp-millis"): _simple("timestamptz", "tstz_ms"),
    ("long", "timestamp-micros"): _simple("timestamptz", "tstz_us"),
    ("long", "timestamp-nanos"): _simple("timestamptz", "tstz_ns"),
    ("long", "local-timestamp-millis"): _simple("timestamp", "ts_ms"),
    ("long", "local-timestamp-micros"): _simple("timestamp", "ts_us"),
    ("long", "local-timestamp-nanos"): _simple("timestamp", "ts_ns"),
    ("string", "uuid"): _simple("uuid", "uuid"),
}

_CONNECT_TYPE: dict[str, PgType] = {
    "int8": PgType("smallint", False, "int2"),  # PostgreSQL has no 1-byte integer
    "int16": PgType("smallint", False, "int2"),
}

_PRIMITIVE: dict[str, PgType] = {
    "null": PgType("text", True, "text"),
    "boolean": PgType("boolean", False, "bool"),
    "int": PgType("integer", False, "int4"),
    "long": PgType("bigint", False, "int8"),
    "float": PgType("real", False, "float4"),
    "double": PgType("double precision", False, "float8"),
    "string": PgType("text", False, "text"),
    "bytes": PgType("bytea", False, "bytea"),
}

_NOT_ARRAY_ITEMS = frozenset({"json_any", "array"})


def pg_type(avro_type: Any) -> PgType:
    """The column type for a field's Avro ``type`` JSON (str | dict | list)."""
    if isinstance(avro_type, list):
        return _union(avro_type)
    if isinstance(avro_type, dict):
        return _from_dict(avro_type)
    if isinstance(avro_type, str):
        return _from_name(avro_type)
    raise ValueError(f"not an Avro type: {avro_type!r}")


def _union(branches: list[Any]) -> PgType:
    rest = [b for b in branches if b not in ("null", {"type": "null"})]
    nullable = len(rest) < len(branches)
    if len(rest) == 1:
        return replace(pg_type(rest[0]), nullable=nullable)
    return PgType("jsonb", nullable, "json_any")


def _from_name(name: str) -> PgType:
    if name in _PRIMITIVE:
        return _PRIMITIVE[name]
    if name in _SEMANTIC:  # a reference to a Debezium named type defined earlier
        return _SEMANTIC[name]({})
    raise ValueError(f"unresolved Avro type reference {name!r}: expand named references "
                     "first (cdc_core.avro_schema.expand)")


def _from_dict(schema: Mapping[str, Any]) -> PgType:
    kind = schema.get("type")
    if isinstance(kind, dict | list):
        return pg_type(kind)
    semantic = _semantic_factory(schema)
    if semantic is not None:
        return semantic(schema)
    logical = _LOGICAL.get((str(kind), str(schema.get("logicalType"))))
    if logical is not None:
        return logical(schema)
    if schema.get("connect.type") in _CONNECT_TYPE:
        return _CONNECT_TYPE[schema["connect.type"]]
    return _COMPLEX.get(str(kind), _primitive)(schema)


def _semantic_factory(schema: Mapping[str, Any]) -> Factory | None:
    name = schema.get("name")
    space = schema.get("namespace")
    full = f"{space}.{name}" if space and isinstance(name, str) and "." not in name else name
    for key in (schema.get("connect.name"), schema.get("logicalType"), full):
        if isinstance(key, str) and key in _SEMANTIC:
            return _SEMANTIC[key]
    return None


def _array(schema: Mapping[str, Any]) -> PgType:
    item = pg_type(schema["items"])
    if item.conv in _NOT_ARRAY_ITEMS:
        return PgType("jsonb", False, "json_any")
    return PgType(f"{item.sql}[]", False, "array", item=item)


def _primitive(schema: Mapping[str, Any]) -> PgType:
    return _from_name(str(schema.get("type")))


_COMPLEX: dict[str, Factory] = {
    "array": _array,
    "map": _JSONB_ANY,
    "record": _JSONB_ANY,
    "error": _JSONB_ANY,
    "enum": _simple("text", "text"),
    "fixed": _simple("bytea", "bytea"),
}


# ------------------------------------------------------------------ TOAST placeholder


@functools.cache
def _placeholders(placeholder: str) -> tuple[tuple[Any, ...], tuple[list[Any], ...]]:
    """Every shape Debezium gives the placeholder, by column type.

    Scalars: the string, or its UTF-8 bytes for ``bytea``.  Arrays: a one-element list
    of the string (text-like), of the bytes (``bytea[]``), of the name-based UUID of the
    bytes (``uuid[]``, Java's ``UUID.nameUUIDFromBytes``), or, for ``int[]``/``bigint[]``,
    the placeholder's bytes as numbers (``[95, 95, 100, ...]``).
    """
    raw = placeholder.encode()
    as_uuid = uuid.UUID(bytes=hashlib.md5(raw, usedforsecurity=False).digest(), version=3)
    lists = ([placeholder], [raw], list(raw), [str(as_uuid)], [as_uuid])
    return (placeholder, raw), lists


_GEOMETRY_PLACEHOLDER_WKB = frozenset({
    bytes.fromhex("0101000020E6100000000000FC83D797C1000000FC83D797C1"),
    bytes.fromhex("0101000020E61000000C21E7FDFF7F66401842CEFBFF7F5640"),
})


# The only types a placeholder can have: a value of any other type is never one.
PLACEHOLDER_SHAPES = frozenset({str, bytes, list, dict})


def is_unavailable(value: Any, placeholder: str = UNAVAILABLE) -> bool:
    """True for Debezium's unchanged-TOAST placeholder, in any of its shapes.

    Besides the string/bytes/lists of ``_placeholders``, hstore (map mode) gets
    ``{placeholder: placeholder}`` and PostGIS columns a fixed far-away point.  A real
    value equal to one of these is indistinguishable; that is Debezium's contract.
    """
    if type(value) not in PLACEHOLDER_SHAPES:
        return False  # the hot path: numbers, None, decoded temporals are never placeholders
    scalars, lists = _placeholders(placeholder)
    if isinstance(value, list):
        return value in lists
    if isinstance(value, dict):
        return value == {placeholder: placeholder} or _is_geometry_placeholder(value)
    return isinstance(value, str | bytes) and value in scalars


def _is_geometry_placeholder(value: Mapping[str, Any]) -> bool:
    if value.get("x") == value.get("y") == -99999999:
        return True
    return value.get("wkb") in _GEOMETRY_PLACEHOLDER_WKB


# ------------------------------------------------------------------------------ widens

_WIDER: frozenset[tuple[str, str]] = frozenset({
    ("smallint", "integer"),
    ("smallint", "bigint"),
    ("integer", "bigint"),
    ("real", "double precision"),
    ("smallint", "real"),  # 16-bit ints fit real's 24-bit mantissa exactly
    ("smallint", "double precision"),
    ("integer", "double precision"),  # 32-bit ints fit double's 53-bit mantissa exactly
})
_INT_DIGITS = {"smallint": 5, "integer": 10, "bigint": 19}


def widens(old: PgType, new: PgType) -> bool:
    """True when ``ALTER COLUMN … TYPE new`` keeps every value of ``old`` exactly.

    Same type is not a widening (nothing to alter).  Only the type is compared:
    nullability changes are the caller's to judge.
    """
    if old.item is not None or new.item is not None:
        return old.item is not None and new.item is not None and widens(old.item, new.item)
    if (old.base, new.base) in _WIDER:
        return True
    if new.base == "numeric":
        return _numeric_widens(old, new)
    if old.base == new.base == "bit varying":
        if old.sql == new.sql or old.length is None:
            return False
        return new.length is None or old.length <= new.length
    return False


def _numeric_widens(old: PgType, new: PgType) -> bool:
    if old.sql == new.sql:
        return False
    if new.precision is None:  # unconstrained numeric holds any int or numeric
        return old.base in _INT_DIGITS or old.base == "numeric"
    new_scale = new.scale or 0
    if old.base in _INT_DIGITS:
        return _INT_DIGITS[old.base] <= new.precision - new_scale
    if old.base != "numeric" or old.precision is None:
        return False
    old_scale = old.scale or 0
    return new_scale >= old_scale and new.precision - new_scale >= old.precision - old_scale
