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

Values
------
``to_pg`` turns a fastavro ``schemaless_reader`` value into what psycopg 3 adapts for
COPY (text format) into the column.  It is idempotent (converted values pass through),
never raises for bad data and never touches the TOAST placeholder (see
``is_unavailable``).  A value the column cannot hold becomes an ``Unfit``, which psycopg
cannot adapt, so it can never be written by accident; ``misfit`` reports its reason, and
also checks converted values against the column (ranges, NUL bytes, precision, JSON).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation, localcontext
from typing import Any

UNAVAILABLE = "__debezium_unavailable_value"

LONG_MAX = 2**63 - 1
LONG_MIN = -(2**63)
# pgjdbc's PGStatement.DATE_POSITIVE/NEGATIVE_INFINITY, which Debezium reads as epoch µs.
_PG_INFINITY_US = 9223372036825200000
_PG_NEG_INFINITY_US = -9223372036832400000
# PostgreSQL date range as days since 1970-01-01 (Julian day 0 .. 5874897-12-31).
_PG_DATE_MIN_DAYS = -2440588
_PG_DATE_MAX_DAYS = 2145042905
_BITS_UNBOUNDED = 2**31 - 1  # Debezium's length for bit varying without a length
_PG_BIT_MAX = 83886080
_PG_NUMERIC_MAX_PRECISION = 1000
_REAL_MAX = 3.4028234663852886e38
_DAY_US = 86_400_000_000
_EPOCH = datetime(1970, 1, 1)  # naive: the epoch of `timestamp` (local date-time) values
_EPOCH_UTC = datetime(1970, 1, 1, tzinfo=UTC)
_INFINITIES = frozenset({"infinity", "-infinity"})
_ISO_INTERVAL = re.compile(
    r"-?P(?!$)(-?\d+Y)?(-?\d+M)?(-?\d+W)?(-?\d+D)?"
    r"(T(?=-?\d)(-?\d+H)?(-?\d+M)?(-?\d+(\.\d+)?S)?)?"
)


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
    if precision is None or not 0 < int(precision) <= _PG_NUMERIC_MAX_PRECISION:
        return PgType("numeric", False, "decimal", None, scale)
    p = int(precision)
    return PgType(f"numeric({p},{scale})", False, "decimal", p, scale)


def _bits(schema: Mapping[str, Any]) -> PgType:
    raw = _params(schema).get("length")
    n = int(raw) if raw is not None else None
    if n is None or n <= 0 or n >= _BITS_UNBOUNDED or n > _PG_BIT_MAX:
        return PgType("bit varying", False, "bits")
    return PgType(f"bit varying({n})", False, "bits", length=n)


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


_PLACEHOLDER_SHAPES = frozenset({str, bytes, list, dict})


def is_unavailable(value: Any, placeholder: str = UNAVAILABLE) -> bool:
    """True for Debezium's unchanged-TOAST placeholder, in any of its shapes.

    Besides the string/bytes/lists of ``_placeholders``, hstore (map mode) gets
    ``{placeholder: placeholder}`` and PostGIS columns a fixed far-away point.  A real
    value equal to one of these is indistinguishable; that is Debezium's contract.
    """
    if type(value) not in _PLACEHOLDER_SHAPES:
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


# -------------------------------------------------------------------- values -> COPY

Convert = Callable[[Any, PgType], Any]


class _Unfit(Exception):
    """Internal signal: raised inside converters, returned as an ``Unfit`` by ``to_pg``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def to_pg(value: Any, pg: PgType) -> Any:
    """A decoded Avro value as psycopg should receive it for COPY into ``pg``.

    ``None`` and the TOAST placeholder pass through untouched (callers must keep the
    stored value for the latter); a value the column cannot hold becomes an ``Unfit``.
    """
    if value is None or isinstance(value, Unfit) or is_unavailable(value):
        return value
    try:
        return _CONVERT.get(pg.conv, _same)(value, pg)
    except _Unfit as unfit:
        return Unfit(unfit.reason, value)
    except (TypeError, AttributeError):
        return Unfit("type_mismatch", value)
    except (ValueError, OverflowError, ArithmeticError, KeyError):
        return Unfit(_FAILURE.get(pg.conv, "type_mismatch"), value)


def needs_conversion(pg: PgType) -> bool:
    """False when decoded values already are what psycopg wants (a hot-path shortcut)."""
    return _CONVERT.get(pg.conv, _same) is not _same


def _same(value: Any, _pg: PgType) -> Any:
    return value


def _decimal_value(value: Any, pg: PgType) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bytes):
        unscaled = int.from_bytes(value, "big", signed=True)
        return Decimal(f"{unscaled}E{-(pg.scale or 0)}")  # exact: no context rounding
    raise TypeError(type(value).__name__)


def _varnumeric(value: Any, _pg: PgType) -> Decimal:
    if isinstance(value, Decimal):
        return value
    unscaled = int.from_bytes(value["value"], "big", signed=True)
    return Decimal(f"{unscaled}E{-int(value['scale'])}")


def _is_infinity(value: Any) -> bool:
    return isinstance(value, str) and value in _INFINITIES


def _date(value: Any, _pg: PgType) -> date | str:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if _is_infinity(value):
        return str(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(type(value).__name__)
    if value > _PG_DATE_MAX_DAYS or value < _PG_DATE_MIN_DAYS:  # Debezium's infinities
        return "infinity" if value > 0 else "-infinity"
    return date(1970, 1, 1) + timedelta(days=value)


_TO_MICROS: dict[str, Callable[[int], int]] = {
    "ms": lambda v: v * 1000,
    "us": lambda v: v,
    "ns": lambda v: v // 1000,  # PostgreSQL keeps microseconds
}


def _epoch_int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(type(value).__name__)
    return value


def _time(value: Any, pg: PgType) -> time | str:
    if isinstance(value, time) or value == "24:00:00":
        return value  # type: ignore[no-any-return]
    micros = _TO_MICROS[pg.conv[-2:]](_epoch_int(value))
    if micros == _DAY_US:
        return "24:00:00"
    if not 0 <= micros < _DAY_US:
        raise _Unfit("time_out_of_range")
    return (datetime.min + timedelta(microseconds=micros)).time()


def _infinity(raw: int, micros: int) -> str | None:
    if raw == LONG_MAX or micros >= _PG_INFINITY_US:
        return "infinity"
    if raw == LONG_MIN or micros <= _PG_NEG_INFINITY_US:
        return "-infinity"
    return None


def _timestamp(value: Any, pg: PgType) -> datetime | str:
    if isinstance(value, datetime) or _is_infinity(value):
        return value  # type: ignore[no-any-return]
    raw = _epoch_int(value)
    micros = _TO_MICROS[pg.conv[-2:]](raw)
    infinite = _infinity(raw, micros)
    if infinite is not None:
        return infinite
    epoch = _EPOCH_UTC if pg.conv.startswith("tstz") else _EPOCH
    return epoch + timedelta(microseconds=micros)


def _zoned_timestamp(value: Any, _pg: PgType) -> datetime | str:
    if isinstance(value, datetime) or _is_infinity(value):
        return value  # type: ignore[no-any-return]
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise _Unfit("timestamp_without_offset")
    return parsed


def _zoned_time(value: Any, _pg: PgType) -> time:
    parsed = value if isinstance(value, time) else time.fromisoformat(value)
    if parsed.tzinfo is None:
        raise _Unfit("time_without_offset")
    return parsed


def _interval_us(value: Any, _pg: PgType) -> timedelta:
    if isinstance(value, timedelta):
        return value
    return timedelta(microseconds=_epoch_int(value))


def _avro_duration(value: Any, _pg: PgType) -> str:
    if isinstance(value, str):
        return value
    months, days, millis = (int.from_bytes(value[i:i + 4], "little") for i in (0, 4, 8))
    return f"P{months}M{days}DT{Decimal(millis).scaleb(-3)}S"


def _uuid(value: Any, _pg: PgType) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(value)


def _bit_string(value: Any, pg: PgType) -> str:
    if isinstance(value, str):
        return value
    bits = format(int.from_bytes(value, "little"), "b") if any(value) else ""
    if len(bits) > (pg.length or len(bits)):
        raise _Unfit("bit_length_overflow")
    return bits.zfill(pg.length or 0) or "0"


def _json_default(value: Any) -> Any:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, date | time):  # datetime is a date
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _json_any(value: Any, _pg: PgType) -> JsonText:
    if isinstance(value, JsonText):
        return value
    return JsonText(json.dumps(value, default=_json_default, allow_nan=False))


def _json(value: Any, pg: PgType) -> str:
    return value if isinstance(value, str) else _json_any(value, pg)


def _array_value(value: Any, pg: PgType) -> list[Any]:
    assert pg.item is not None
    items = [to_pg(v, pg.item) for v in value]
    unfit = next((i for i in items if isinstance(i, Unfit)), None)
    if unfit is not None:
        raise _Unfit(unfit.reason)
    return items


_CONVERT: dict[str, Convert] = {
    "decimal": _decimal_value,
    "varnumeric": _varnumeric,
    "date": _date,
    "time_ms": _time,
    "time_us": _time,
    "time_ns": _time,
    "timetz": _zoned_time,
    "ts_ms": _timestamp,
    "ts_us": _timestamp,
    "ts_ns": _timestamp,
    "tstz_ms": _timestamp,
    "tstz_us": _timestamp,
    "tstz_ns": _timestamp,
    "tstz_iso": _zoned_timestamp,
    "interval_us": _interval_us,
    "avro_duration": _avro_duration,
    "uuid": _uuid,
    "bits": _bit_string,
    "json": _json,
    "json_any": _json_any,
    "array": _array_value,
}

# Reason codes for conversions that fail with an ordinary exception.
_FAILURE: dict[str, str] = {
    "date": "date_out_of_range",
    "ts_ms": "timestamp_out_of_range",
    "ts_us": "timestamp_out_of_range",
    "ts_ns": "timestamp_out_of_range",
    "tstz_ms": "timestamp_out_of_range",
    "tstz_us": "timestamp_out_of_range",
    "tstz_ns": "timestamp_out_of_range",
    "tstz_iso": "bad_timestamp",
    "timetz": "bad_time",
    "uuid": "bad_uuid",
    "json_any": "bad_json",
    "json": "bad_json",
    "interval_us": "interval_out_of_range",
    "varnumeric": "bad_numeric",
    "decimal": "bad_numeric",
}


# ------------------------------------------------------------------------------- misfit

Check = Callable[[Any, PgType], str | None]


# Checks left to PostgreSQL on the hot path: it validates jsonb itself on COPY, and a value
# it refuses is isolated by the writer and dead-lettered (reason value_rejected_<sqlstate>).
_LEFT_TO_POSTGRES = frozenset({"json", "json_any"})


def checker(pg: PgType) -> Check | None:
    """The check for values already passed through ``to_pg``, or None when every value of the
    column's Avro type fits. Decided once per column, used per value."""
    check = _CHECK.get(pg.conv, _no_check)
    if check is _no_check or pg.conv in _LEFT_TO_POSTGRES or pg.sql in _ALWAYS_FITS:
        return None
    return check


def misfit(value: Any, pg: PgType) -> str | None:
    """None if the value (decoded or already converted) fits the column, else a reason code.

    ``unavailable_value`` flags the TOAST placeholder: it must never reach a column.
    """
    if value is None:
        return None if pg.nullable else "null_in_not_null"
    if is_unavailable(value):
        return "unavailable_value"
    converted = to_pg(value, pg)
    if isinstance(converted, Unfit):
        return converted.reason
    return _CHECK.get(pg.conv, _no_check)(converted, pg)


def _no_check(_value: Any, _pg: PgType) -> str | None:
    return None


# Avro int/long/double/boolean/bytes values always fit these (an Avro int is 32-bit).
_ALWAYS_FITS = frozenset({"boolean", "integer", "bigint", "double precision", "bytea"})


def _of(*types: type) -> Check:
    def check(value: Any, _pg: PgType) -> str | None:
        ok = isinstance(value, types) and not (isinstance(value, bool) and bool not in types)
        return None if ok else "type_mismatch"
    return check


def _int_range(low: int, high: int) -> Check:
    def check(value: Any, _pg: PgType) -> str | None:
        if not isinstance(value, int) or isinstance(value, bool):
            return "type_mismatch"
        return None if low <= value <= high else "int_out_of_range"
    return check


def _check_real(value: Any, _pg: PgType) -> str | None:
    if not isinstance(value, float | int) or isinstance(value, bool):
        return "type_mismatch"
    return "real_out_of_range" if _REAL_MAX < abs(value) < float("inf") else None


def _check_text(value: Any, _pg: PgType) -> str | None:
    if not isinstance(value, str):
        return "type_mismatch"
    return "nul_in_text" if "\x00" in value else None


def _check_numeric(value: Any, pg: PgType) -> str | None:
    if not isinstance(value, Decimal):
        return "type_mismatch"
    if value.is_nan():  # numeric(p,s) and numeric both store NaN
        return None
    if pg.precision is None:
        return None
    if value.is_infinite():  # only an unconstrained numeric stores +-Infinity
        return "numeric_overflow"
    return _numeric_fit(value, pg.precision, pg.scale or 0)


def _numeric_fit(value: Decimal, precision: int, scale: int) -> str | None:
    """PostgreSQL rounds to ``scale`` then needs at most ``precision - scale`` int digits."""
    if -value.as_tuple().exponent <= scale:  # type: ignore[operator]  # finite here
        # The common case, no rounding needed: count the integer digits directly.
        return "numeric_overflow" if value and value.adjusted() >= precision - scale else None
    with localcontext() as ctx:
        ctx.prec = 2 * _PG_NUMERIC_MAX_PRECISION + abs(scale)
        try:
            rounded = value.quantize(Decimal(1).scaleb(-scale))
        except InvalidOperation:
            return "numeric_overflow"
    if rounded != value:
        return "numeric_scale"  # PostgreSQL would round silently
    digits = rounded.adjusted() + 1 if rounded else 0
    return "numeric_overflow" if digits > precision - scale else None


def _check_date(value: Any, _pg: PgType) -> str | None:
    ok = _is_infinity(value) or (isinstance(value, date) and not isinstance(value, datetime))
    return None if ok else "type_mismatch"


def _check_time(value: Any, _pg: PgType) -> str | None:
    ok = value == "24:00:00" or (isinstance(value, time) and value.tzinfo is None)
    return None if ok else "type_mismatch"


def _check_timetz(value: Any, _pg: PgType) -> str | None:
    return None if isinstance(value, time) and value.tzinfo is not None else "type_mismatch"


def _check_timestamp(value: Any, pg: PgType) -> str | None:
    if _is_infinity(value):
        return None
    if not isinstance(value, datetime):
        return "type_mismatch"
    aware = value.tzinfo is not None
    return None if aware == (pg.sql == "timestamptz") else "type_mismatch"


def _check_interval(value: Any, _pg: PgType) -> str | None:
    if isinstance(value, timedelta):
        return None
    ok = isinstance(value, str) and _ISO_INTERVAL.fullmatch(value) is not None
    return None if ok else "bad_interval"


def _check_bits(value: Any, pg: PgType) -> str | None:
    if not isinstance(value, str) or value.strip("01"):
        return "bad_bits"
    return "bit_length_overflow" if len(value) > (pg.length or _PG_BIT_MAX) else None


def _check_json(value: Any, _pg: PgType) -> str | None:
    if not isinstance(value, str):
        return "type_mismatch"
    try:
        document = json.loads(value)
    except ValueError:
        return "bad_json"
    return "nul_in_text" if _has_nul(document) else None  # jsonb rejects \u0000


def _has_nul(document: Any) -> bool:
    if isinstance(document, str):
        return "\x00" in document
    if isinstance(document, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in document.items())
    if isinstance(document, list):
        return any(_has_nul(v) for v in document)
    return False


def _check_array(value: Any, pg: PgType) -> str | None:
    assert pg.item is not None
    if not isinstance(value, list):
        return "type_mismatch"
    item = replace(pg.item, nullable=True)  # array elements may be null
    return next((r for r in (misfit(v, item) for v in value) if r), None)


_CHECK: dict[str, Check] = {
    "bool": _of(bool),
    "int2": _int_range(-(2**15), 2**15 - 1),
    "int4": _int_range(-(2**31), 2**31 - 1),
    "int8": _int_range(LONG_MIN, LONG_MAX),
    "float4": _check_real,
    "float8": _of(float, int),
    "text": _check_text,
    "xml": _check_text,
    "bytea": _of(bytes),
    "decimal": _check_numeric,
    "varnumeric": _check_numeric,
    "date": _check_date,
    "time_ms": _check_time,
    "time_us": _check_time,
    "time_ns": _check_time,
    "timetz": _check_timetz,
    "ts_ms": _check_timestamp,
    "ts_us": _check_timestamp,
    "ts_ns": _check_timestamp,
    "tstz_ms": _check_timestamp,
    "tstz_us": _check_timestamp,
    "tstz_ns": _check_timestamp,
    "tstz_iso": _check_timestamp,
    "interval_us": _check_interval,
    "interval_iso": _check_interval,
    "avro_duration": _check_interval,
    "uuid": _of(uuid.UUID),
    "bits": _check_bits,
    "json": _check_json,
    "json_any": _check_json,
    "array": _check_array,
}


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
