"""cdc_sink.typemap: Avro (Debezium PostgreSQL via the Avro converter) -> PostgreSQL."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import fastavro
import psycopg
import pytest
from psycopg.adapt import PyFormat, Transformer

from cdc_sink.fitcheck import misfit
from cdc_sink.pgvalues import to_pg
from cdc_sink.typemap import (
    LONG_MAX,
    UNAVAILABLE,
    JsonText,
    PgText,
    PgType,
    Unfit,
    is_unavailable,
    pg_type,
    widens,
)


def unscaled(n: int) -> bytes:
    """Two's-complement big-endian bytes, as Connect Decimal / VariableScaleDecimal use."""
    return n.to_bytes(n.bit_length() // 8 + 1, "big", signed=True)


def dbz(base: str, name: str, **params: str) -> dict[str, Any]:
    """A Debezium semantic type as the Avro converter writes it."""
    schema: dict[str, Any] = {"type": base, "connect.version": 1, "connect.name": name}
    if params:
        schema["connect.parameters"] = params
    return schema


def connect_decimal(precision: int, scale: int, *, logical: bool = True) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "bytes", "connect.version": 1,
        "connect.parameters": {"scale": str(scale), "connect.decimal.precision": str(precision)},
        "connect.name": "org.apache.kafka.connect.data.Decimal",
    }
    if logical:
        schema.update(logicalType="decimal", precision=precision, scale=scale)
    return schema


VSD: dict[str, Any] = {
    "type": "record", "name": "VariableScaleDecimal", "namespace": "io.debezium.data",
    "fields": [{"name": "scale", "type": "int"}, {"name": "value", "type": "bytes"}],
    "connect.doc": "Variable scaled decimal", "connect.version": 1,
    "connect.name": "io.debezium.data.VariableScaleDecimal",
}
POINT: dict[str, Any] = {
    "type": "record", "name": "Point", "namespace": "io.debezium.data.geometry",
    "fields": [{"name": "x", "type": "double"}, {"name": "y", "type": "double"},
               {"name": "wkb", "type": ["null", "bytes"], "default": None},
               {"name": "srid", "type": ["null", "int"], "default": None}],
    "connect.name": "io.debezium.data.geometry.Point",
}
ZONED_TS = dbz("string", "io.debezium.time.ZonedTimestamp")
MICRO_TS = dbz("long", "io.debezium.time.MicroTimestamp")
MILLI_TS = dbz("long", "io.debezium.time.Timestamp")
NANO_TS = dbz("long", "io.debezium.time.NanoTimestamp")
DBZ_DATE = dbz("int", "io.debezium.time.Date")
MICRO_TIME = dbz("long", "io.debezium.time.MicroTime")
MILLI_TIME = dbz("int", "io.debezium.time.Time")
NANO_TIME = dbz("long", "io.debezium.time.NanoTime")
ZONED_TIME = dbz("string", "io.debezium.time.ZonedTime")
MICRO_DURATION = dbz("long", "io.debezium.time.MicroDuration")
ISO_INTERVAL = dbz("string", "io.debezium.time.Interval")
JSON = dbz("string", "io.debezium.data.Json")
UUID = dbz("string", "io.debezium.data.Uuid")
XML = dbz("string", "io.debezium.data.Xml")
BITS8 = dbz("bytes", "io.debezium.data.Bits", length="8")
BITS_ANY = dbz("bytes", "io.debezium.data.Bits", length=str(2**31 - 1))
BITS20 = dbz("bytes", "io.debezium.data.Bits", length="20")
VARBITS20 = dbz("bytes", "io.debezium.data.Bits", length="20",
                **{"__debezium.source.column.type": "VARBIT"})
ENUM = dbz("string", "io.debezium.data.Enum", allowed="happy,sad")
INT16 = {"type": "int", "connect.type": "int16"}
NUM_12_2 = connect_decimal(12, 2)
NUM_12_2_RAW = connect_decimal(12, 2, logical=False)
NUM_5_2 = connect_decimal(5, 2)

U = uuid.UUID("6f1c1f8e-3a56-4a2b-9a49-5d8f0e0d2b11")
TS = datetime(2024, 5, 1, 10, 15, 30, 123456)
TS_MICROS = 1714558530123456


# ------------------------------------------------------------------------- pg_type

MAPPINGS: list[tuple[Any, str, bool]] = [
    ("boolean", "boolean", False),
    ("int", "integer", False),
    ("long", "bigint", False),
    ("float", "real", False),
    ("double", "double precision", False),
    ("string", "text", False),
    ("bytes", "bytea", False),
    (INT16, "smallint", False),
    ({"type": "int", "connect.type": "int8"}, "smallint", False),
    ({"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 3}, "numeric(10,3)",
     False),
    ({"type": "fixed", "name": "f", "size": 8, "logicalType": "decimal", "precision": 9,
      "scale": 0}, "numeric(9,0)", False),
    ({"type": "int", "logicalType": "date"}, "date", False),
    ({"type": "int", "logicalType": "time-millis"}, "time", False),
    ({"type": "long", "logicalType": "time-micros"}, "time", False),
    ({"type": "long", "logicalType": "timestamp-millis"}, "timestamptz", False),
    ({"type": "long", "logicalType": "timestamp-micros"}, "timestamptz", False),
    ({"type": "long", "logicalType": "local-timestamp-millis"}, "timestamp", False),
    ({"type": "long", "logicalType": "local-timestamp-micros"}, "timestamp", False),
    ({"type": "string", "logicalType": "uuid"}, "uuid", False),
    ({"type": "fixed", "name": "d", "size": 12, "logicalType": "duration"}, "interval", False),
    (DBZ_DATE, "date", False),
    (MILLI_TIME, "time", False),
    (MICRO_TIME, "time", False),
    (NANO_TIME, "time", False),
    (MILLI_TS, "timestamp", False),
    (MICRO_TS, "timestamp", False),
    (NANO_TS, "timestamp", False),
    (ZONED_TS, "timestamptz", False),
    (ZONED_TIME, "timetz", False),
    (MICRO_DURATION, "interval", False),
    (ISO_INTERVAL, "interval", False),
    (JSON, "jsonb", False),
    (UUID, "uuid", False),
    (XML, "xml", False),
    (BITS8, "bit varying(8)", False),
    (BITS_ANY, "bit varying", False),
    (dbz("bytes", "io.debezium.data.Bits"), "bit varying", False),
    (VSD, "numeric", False),
    (NUM_12_2, "numeric(12,2)", False),
    (NUM_12_2_RAW, "numeric(12,2)", False),
    ({**NUM_12_2_RAW, "connect.parameters": {"scale": "4"}}, "numeric", False),
    ({"type": "bytes", "logicalType": "decimal", "precision": 2000, "scale": 2}, "numeric",
     False),
    (dbz("long", "org.apache.kafka.connect.data.Timestamp"), "timestamptz", False),
    (dbz("int", "org.apache.kafka.connect.data.Date"), "date", False),
    (dbz("int", "org.apache.kafka.connect.data.Time"), "time", False),
    (ENUM, "text", False),
    (dbz("string", "io.debezium.data.EnumSet"), "text", False),
    (POINT, "jsonb", False),
    # logicalType fallback and named-type identification of Debezium semantic types
    ({"type": "string", "logicalType": "io.debezium.time.ZonedTimestamp"}, "timestamptz",
     False),
    ({k: v for k, v in VSD.items() if k != "connect.name"}, "numeric", False),
    ("io.debezium.data.VariableScaleDecimal", "numeric", False),  # a later reference
    ({"type": MICRO_TS}, "timestamp", False),  # a type wrapped in {"type": ...}
    # arrays
    ({"type": "array", "items": "string"}, "text[]", False),
    ({"type": "array", "items": ["null", "string"]}, "text[]", False),
    ({"type": "array", "items": NUM_12_2}, "numeric(12,2)[]", False),
    ({"type": "array", "items": ["null", ZONED_TS]}, "timestamptz[]", False),
    ({"type": "array", "items": JSON}, "jsonb[]", False),
    ({"type": "array", "items": POINT}, "jsonb", False),
    ({"type": "array", "items": {"type": "array", "items": "int"}}, "jsonb", False),
    ({"type": "array", "items": ["null", "string", "long"]}, "jsonb", False),
    # unions
    (["null", "long"], "bigint", True),
    (["long", "null"], "bigint", True),
    ([{"type": "null"}, MICRO_TS], "timestamp", True),
    (["null", {"type": "array", "items": "int"}], "integer[]", True),
    (["string", "long"], "jsonb", False),
    (["null", "string", "long"], "jsonb", True),
    # records, maps, enums, fixed
    ({"type": "record", "name": "R", "fields": [{"name": "a", "type": "int"}]}, "jsonb", False),
    ({"type": "map", "values": "string"}, "jsonb", False),
    ({"type": "enum", "name": "E", "symbols": ["A", "B"]}, "text", False),
    ({"type": "fixed", "name": "F", "size": 4}, "bytea", False),
    ({"type": "string", "logicalType": "unknown-thing"}, "text", False),
]


@pytest.mark.parametrize(("avro_type", "sql", "nullable"), MAPPINGS)
def test_pg_type(avro_type: Any, sql: str, nullable: bool) -> None:
    pg = pg_type(avro_type)
    assert (pg.sql, pg.nullable) == (sql, nullable)


def test_decimal_keeps_precision_and_scale() -> None:
    pg = pg_type(NUM_12_2)
    assert (pg.precision, pg.scale, pg.base) == (12, 2, "numeric")


def test_array_remembers_its_item_type() -> None:
    pg = pg_type({"type": "array", "items": ["null", MICRO_TS]})
    assert pg.item is not None and pg.item.sql == "timestamp"


@pytest.mark.parametrize("avro_type", ["com.acme.Thing", 42, {"type": "nonsense"}])
def test_pg_type_rejects_what_it_cannot_resolve(avro_type: Any) -> None:
    with pytest.raises(ValueError, match="Avro type"):
        pg_type(avro_type)


# ------------------------------------------------------------------------- to_pg

CONVERSIONS: list[tuple[Any, Any, Any]] = [
    ("boolean", True, True),
    ("int", 7, 7),
    ("long", -(2**40), -(2**40)),
    ("double", 1.5, 1.5),
    ("string", "héllo", "héllo"),
    ("bytes", b"\x00\xff", b"\x00\xff"),
    (INT16, -5, -5),
    (ZONED_TS, "2024-05-01T10:15:30.123456Z", TS.replace(tzinfo=UTC)),
    (ZONED_TS, "2024-05-01T12:15:30+02:00", datetime(2024, 5, 1, 10, 15, 30, tzinfo=UTC)),
    (ZONED_TS, "infinity", "infinity"),
    (ZONED_TS, "-infinity", "-infinity"),
    (MICRO_TS, TS_MICROS, TS),
    (MILLI_TS, TS_MICROS // 1000, TS.replace(microsecond=123000)),
    (NANO_TS, TS_MICROS * 1000 + 789, TS),
    (MICRO_TS, -1, datetime(1969, 12, 31, 23, 59, 59, 999999)),
    (MICRO_TS, 9223372036825200000, "infinity"),  # pgjdbc's infinity, read as epoch µs
    (MICRO_TS, -9223372036832400000, "-infinity"),
    (MILLI_TS, 9223372036825200, "infinity"),
    (NANO_TS, LONG_MAX, "infinity"),
    (MICRO_TS, -210835180800000000, PgText("4713-11-24 00:00:00.000000 BC")),
    (MICRO_TS, -210866803200000000, PgText("4714-11-24 00:00:00.000000 BC")),
    (MICRO_TS, -62135596800000001, PgText("0001-12-31 23:59:59.999999 BC")),
    (MICRO_TS, 253402300800000000, PgText("10000-01-01 00:00:00.000000")),
    (MICRO_TS, 9223372036825199999, PgText("294247-01-10 04:00:25.199999")),
    (MILLI_TS, -62135596800001, PgText("0001-12-31 23:59:59.999000 BC")),
    (dbz("long", "org.apache.kafka.connect.data.Timestamp"), 253402300800000,
     PgText("10000-01-01 00:00:00.000000+00")),
    (ZONED_TS, "0000-01-01T00:00:00.000000Z", PgText("0001-01-01 00:00:00.000000+00 BC")),
    (ZONED_TS, "+294276-12-31T23:59:59.999999Z", PgText("294276-12-31 23:59:59.999999+00")),
    (ZONED_TS, "-4713-11-24T00:00:00Z", PgText("4714-11-24 00:00:00+00 BC")),
    (ZONED_TS, "+10000-01-01T00:00:00+05:30", PgText("10000-01-01 00:00:00+05:30")),
    (dbz("long", "org.apache.kafka.connect.data.Timestamp"), TS_MICROS // 1000,
     TS.replace(microsecond=123000, tzinfo=UTC)),
    ({"type": "long", "logicalType": "timestamp-micros"}, TS.replace(tzinfo=UTC),
     TS.replace(tzinfo=UTC)),
    ({"type": "long", "logicalType": "local-timestamp-micros"}, TS, TS),
    (DBZ_DATE, 19844, date(2024, 5, 1)),
    (DBZ_DATE, -1, date(1969, 12, 31)),
    (DBZ_DATE, 2**31 - 1, "infinity"),
    (DBZ_DATE, -(2**31), "-infinity"),
    # Debezium 3.x as measured: streamed, then snapshot sentinels (was: both -infinity)
    (DBZ_DATE, -2147472692, "infinity"),
    (DBZ_DATE, -2147472691, "-infinity"),
    (DBZ_DATE, -622191234, "infinity"),
    (DBZ_DATE, -625821272, "-infinity"),
    (DBZ_DATE, -2440222, PgText("4713-11-24 BC")),  # was: 4713-11-24 AD or the DLQ
    (DBZ_DATE, -719163, PgText("0001-12-31 BC")),
    (DBZ_DATE, -2440588, PgText("4714-11-24 BC")),  # PostgreSQL's first date
    (DBZ_DATE, -719162, date(1, 1, 1)),
    (DBZ_DATE, 2932896, date(9999, 12, 31)),
    (DBZ_DATE, 2932897, PgText("10000-01-01")),  # was: the DLQ
    (DBZ_DATE, 2145042905, PgText("5874897-12-31")),  # PostgreSQL's last date
    ({"type": "int", "logicalType": "date"}, date(2024, 5, 1), date(2024, 5, 1)),
    (MICRO_TIME, 36930123456, time(10, 15, 30, 123456)),
    (MICRO_TIME, 86_400_000_000, "24:00:00"),
    (MILLI_TIME, 36930123, time(10, 15, 30, 123000)),
    (NANO_TIME, 36930123456789, time(10, 15, 30, 123456)),
    ({"type": "int", "logicalType": "time-millis"}, time(1, 2, 3), time(1, 2, 3)),
    (ZONED_TIME, "10:15:30.5Z", time(10, 15, 30, 500000, tzinfo=UTC)),
    (MICRO_DURATION, 90_061_000_001, timedelta(days=1, hours=1, minutes=1, seconds=1,
                                                microseconds=1)),
    (MICRO_DURATION, -1_000_000, timedelta(seconds=-1)),
    (ISO_INTERVAL, "P1Y2M3DT4H5M6.78S", "P1Y2M3DT4H5M6.78S"),
    ({"type": "fixed", "name": "d", "size": 12, "logicalType": "duration"},
     (1).to_bytes(4, "little") + (2).to_bytes(4, "little") + (3500).to_bytes(4, "little"),
     "P1M2DT3.500S"),
    (JSON, '{"a": [1, 2.50]}', '{"a": [1, 2.50]}'),  # unchanged text: fastest for COPY
    (UUID, str(U), U),
    ({"type": "string", "logicalType": "uuid"}, U, U),
    (XML, "<a>1</a>", "<a>1</a>"),
    (BITS8, b"\x05", "00000101"),  # bit(8) '00000101': little-endian, content-sized
    (BITS8, b"", "00000000"),
    (BITS_ANY, b"\x05", "101"),
    (BITS_ANY, b"\x01\x01", "100000001"),
    (BITS_ANY, b"", ""),  # varbit '' (was stored as '0')
    (BITS_ANY, (int("1" + "0" * 998 + "1", 2) | 1 << 500).to_bytes(126, "little"),
     "1" + "0" * 498 + "1" + "0" * 499 + "1"),  # 1,001 bits, asymmetric: not reversed
    (BITS20, b"\x01", "00000000000000000001"),  # bit(20): padded to n (Debezium drops zeros)
    (VARBITS20, b"\x0b", "1011"),  # varbit(20) with the source type: not padded
    (VARBITS20, b"", ""),
    (NUM_12_2, Decimal("1234.50"), Decimal("1234.50")),
    (NUM_12_2_RAW, unscaled(123450), Decimal("1234.50")),
    (NUM_12_2_RAW, unscaled(-5), Decimal("-0.05")),
    (connect_decimal(60, 2, logical=False), unscaled(10**50 + 1),
     Decimal("1000000000000000000000000000000000000000000000000.01")),  # > 28 digits, exact
    (VSD, {"scale": 3, "value": unscaled(-12345)}, Decimal("-12.345")),
    (VSD, {"scale": 0, "value": unscaled(0)}, Decimal(0)),
    (ENUM, "happy", "happy"),
    ({"type": "enum", "name": "E", "symbols": ["A", "B"]}, "B", "B"),
    ({"type": "array", "items": ["null", "string"]}, ["a", None], ["a", None]),
    ({"type": "array", "items": MICRO_TS}, [TS_MICROS], [TS]),
    ({"type": "array", "items": UUID}, [str(U)], [U]),
    ({"type": "array", "items": NUM_12_2_RAW}, [unscaled(1)], [Decimal("0.01")]),
    (POINT, {"x": 1.0, "y": 2.0, "wkb": None, "srid": None},
     '{"x": 1.0, "y": 2.0, "wkb": null, "srid": null}'),
    ({"type": "map", "values": "string"}, {"k": "v"}, '{"k": "v"}'),
    (["null", "string", "long"], 5, "5"),
    (["null", "string", "long"], "x", '"x"'),
    ({"type": "record", "name": "R", "fields": []},
     {"b": b"\x00\x01", "d": Decimal("1.10"), "t": TS, "u": U, "dt": date(2024, 5, 1)},
     '{"b": "AAE=", "d": "1.10", "t": "2024-05-01T10:15:30.123456", '
     f'"u": "{U}", "dt": "2024-05-01"}}'),
]


@pytest.mark.parametrize(("avro_type", "value", "expected"), CONVERSIONS)
def test_to_pg(avro_type: Any, value: Any, expected: Any) -> None:
    pg = pg_type(avro_type)
    converted = to_pg(value, pg)
    assert converted == expected
    assert type(converted) is type(expected) or isinstance(converted, JsonText)
    assert misfit(value, pg) is None
    assert misfit(converted, pg) is None


@pytest.mark.parametrize(("avro_type", "value", "expected"), CONVERSIONS)
def test_to_pg_is_idempotent(avro_type: Any, value: Any, expected: Any) -> None:
    pg = pg_type(avro_type)
    assert to_pg(to_pg(value, pg), pg) == expected


def test_aware_results_are_utc_instants() -> None:
    converted = to_pg("2024-05-01T12:15:30+02:00", pg_type(ZONED_TS))
    assert converted.utcoffset() == timedelta(hours=2)
    assert converted == datetime(2024, 5, 1, 10, 15, 30, tzinfo=UTC)


@pytest.mark.parametrize("avro_type", [ZONED_TS, ["null", "long"], NUM_12_2, JSON, UUID])
def test_null_passes_through(avro_type: Any) -> None:
    assert to_pg(None, pg_type(avro_type)) is None


# ------------------------------------------------------------------------- misfit

MISFITS: list[tuple[Any, Any, str]] = [
    ("int", 2**31, "int_out_of_range"),
    ("int", -(2**31) - 1, "int_out_of_range"),
    (INT16, 40000, "int_out_of_range"),
    ("long", 2**63, "int_out_of_range"),
    ("int", "5", "type_mismatch"),
    ("int", True, "type_mismatch"),
    ("boolean", 1, "type_mismatch"),
    ("float", 1e39, "real_out_of_range"),
    ("bytes", "not bytes", "type_mismatch"),
    ("string", "a\x00b", "nul_in_text"),
    (ENUM, "a\x00", "nul_in_text"),
    (XML, "<a>\x00</a>", "nul_in_text"),
    (NUM_5_2, Decimal("1234.56"), "numeric_overflow"),
    (NUM_5_2, Decimal("1000"), "numeric_overflow"),
    (NUM_5_2, Decimal("1.234"), "numeric_scale"),  # PostgreSQL would round silently
    (NUM_5_2, Decimal("Infinity"), "numeric_overflow"),
    (NUM_5_2, Decimal("-Infinity"), "numeric_overflow"),
    (connect_decimal(2, 2), Decimal("1.00"), "numeric_overflow"),
    (connect_decimal(5, 2, logical=False), unscaled(10_000_000), "numeric_overflow"),
    (NUM_5_2, 1.5, "type_mismatch"),
    (VSD, {"scale": 1}, "bad_numeric"),
    (JSON, "{not json", "bad_json"),
    (JSON, '{"a": "\\u0000"}', "nul_in_text"),  # jsonb cannot store U+0000
    (JSON, '{"a\\u0000": 1}', "nul_in_text"),
    (["string", "double"], float("nan"), "bad_json"),
    (UUID, "not-a-uuid", "bad_uuid"),
    (UUID, 12, "type_mismatch"),
    (ZONED_TS, "2024-13-01T00:00:00Z", "bad_timestamp"),
    (ZONED_TS, "+10000-02-30T00:00:00Z", "bad_timestamp"),
    (ZONED_TS, "0001-02-29T00:00:00Z", "bad_timestamp"),  # 1 AD is no leap year
    (ZONED_TS, "-4714-01-01T00:00:00Z", "bad_timestamp"),  # before PostgreSQL's range
    (ZONED_TS, "+10000-01-01T24:00:00Z", "bad_timestamp"),
    (ZONED_TS, "2024-05-01T10:15:30", "timestamp_without_offset"),
    (ZONED_TS, 12, "type_mismatch"),
    # Debezium's MicroTimestamp for timestamp '294276-12-31 23:59:59.999999' (an overflow:
    # the value needs more than 64 bits); it was stored as -infinity
    (MICRO_TS, -9223372036853775810, "timestamp_out_of_range"),
    (MICRO_TS, -210866803200000001, "timestamp_out_of_range"),  # before 4714-11-24 BC
    (MILLI_TS, 9224318016000000, "timestamp_out_of_range"),  # after 294276 AD
    (MICRO_TS, "yesterday", "type_mismatch"),
    (MICRO_TS, datetime(2024, 1, 1, tzinfo=UTC), "type_mismatch"),  # aware into timestamp
    (dbz("long", "org.apache.kafka.connect.data.Timestamp"), TS, "type_mismatch"),
    (DBZ_DATE, 2145042906, "date_out_of_range"),  # after 5874897-12-31
    (DBZ_DATE, -2440589, "date_out_of_range"),  # before 4714-11-24 BC
    (DBZ_DATE, -2147472690, "date_out_of_range"),  # next to a sentinel, not one
    (DBZ_DATE, TS, "type_mismatch"),
    (MICRO_TIME, 90_000_000_000, "time_out_of_range"),
    (MICRO_TIME, -1, "time_out_of_range"),
    (ZONED_TIME, "10:15:30", "time_without_offset"),
    (ZONED_TIME, "25:00:00Z", "bad_time"),
    (ISO_INTERVAL, "1 day", "bad_interval"),
    (ISO_INTERVAL, "P", "bad_interval"),
    (dbz("bytes", "io.debezium.data.Bits", length="4"), b"\xff", "bit_length_overflow"),
    (BITS_ANY, "012", "bad_bits"),
    ("long", None, "null_in_not_null"),
    ("string", UNAVAILABLE, "unavailable_value"),
    (["null", "string"], UNAVAILABLE, "unavailable_value"),
    (JSON, UNAVAILABLE, "unavailable_value"),
    ("bytes", UNAVAILABLE.encode(), "unavailable_value"),
    ({"type": "array", "items": "string"}, [UNAVAILABLE], "unavailable_value"),
    ({"type": "array", "items": "int"}, [2**31], "int_out_of_range"),
    ({"type": "array", "items": ["null", "string"]}, ["ok", None, "x\x00"], "nul_in_text"),
    ({"type": "array", "items": UUID}, ["nope"], "bad_uuid"),
    ({"type": "array", "items": "int"}, 5, "type_mismatch"),
]


@pytest.mark.parametrize(("avro_type", "value", "reason"), MISFITS)
def test_misfit(avro_type: Any, value: Any, reason: str) -> None:
    assert misfit(value, pg_type(avro_type)) == reason


@pytest.mark.parametrize(("avro_type", "value", "reason"), MISFITS)
def test_misfit_is_the_same_after_conversion(avro_type: Any, value: Any, reason: str) -> None:
    pg = pg_type(avro_type)
    assert misfit(to_pg(value, pg), pg) == reason


FITS: list[tuple[Any, Any]] = [
    (["null", "long"], None),
    ("int", 2**31 - 1),
    (INT16, -32768),
    ("double", float("inf")),
    ("float", float("nan")),
    (NUM_5_2, Decimal("999.99")),
    (NUM_5_2, Decimal("-999.99")),
    (NUM_5_2, Decimal("0.00")),
    (NUM_5_2, Decimal("1.2")),  # fewer decimals than the scale is exact
    (NUM_5_2, Decimal("NaN")),  # numeric(p,s) stores NaN; only +-Infinity needs numeric
    (connect_decimal(2, 2), Decimal("0.99")),
    (VSD, Decimal("Infinity")),  # unconstrained numeric stores infinities
    ({"type": "bytes", "logicalType": "decimal", "precision": 38, "scale": 10},
     Decimal("1234567890123456789012345678.0123456789")),
    (ISO_INTERVAL, "P-1Y-2M0DT0H0M-6.500S"),
    (ISO_INTERVAL, "PT0.5S"),
    (JSON, "[]"),
    (JSON, '"\\\\u0000 is fine when the backslash is escaped"'),
    (BITS_ANY, "0101"),
]


@pytest.mark.parametrize(("avro_type", "value"), FITS)
def test_fits(avro_type: Any, value: Any) -> None:
    assert misfit(value, pg_type(avro_type)) is None


def test_unfit_carries_reason_and_original_value() -> None:
    result = to_pg("not-a-uuid", pg_type(UUID))
    assert result == Unfit("bad_uuid", "not-a-uuid")


def test_unfit_cannot_be_written_by_accident() -> None:
    unfit = to_pg("not-a-uuid", pg_type(UUID))
    with pytest.raises(psycopg.ProgrammingError, match="cannot adapt"):
        Transformer().get_dumper(unfit, PyFormat.TEXT)


def test_json_text_adapts_as_plain_text() -> None:
    converted = to_pg({"k": 1}, pg_type({"type": "map", "values": "int"}))
    dumper = Transformer().get_dumper(converted, PyFormat.TEXT)
    assert dumper.dump(converted) == b'{"k": 1}'


# ------------------------------------------------------------------ TOAST placeholder

# Debezium's shapes of the placeholder (UnchangedToastedPlaceholder): the string, its
# bytes for bytea, one-element lists for text-like/bytea/uuid arrays, the placeholder's
# bytes as numbers for int[]/bigint[], {p: p} for hstore maps, a far-away PostGIS point.
UNAVAILABLE_SHAPES: list[Any] = [
    UNAVAILABLE,
    UNAVAILABLE.encode(),
    [UNAVAILABLE],
    [UNAVAILABLE.encode()],
    list(UNAVAILABLE.encode()),
    ["b68a35a7-17ad-35b3-af2a-ae46edb4545a"],  # Java UUID.nameUUIDFromBytes(placeholder)
    [uuid.UUID("b68a35a7-17ad-35b3-af2a-ae46edb4545a")],
    {UNAVAILABLE: UNAVAILABLE},
    {"x": -99999999.0, "y": -99999999.0, "wkb": None, "srid": None},
    {"wkb": bytes.fromhex("0101000020E6100000000000FC83D797C1000000FC83D797C1"),
     "srid": 4326},
]


@pytest.mark.parametrize("value", UNAVAILABLE_SHAPES)
def test_is_unavailable(value: Any) -> None:
    assert is_unavailable(value)


@pytest.mark.parametrize("value", [
    None, "", "__debezium_unavailable", [UNAVAILABLE, UNAVAILABLE], [], {}, {"k": "v"},
    [1, 2, 3], 0, Decimal(1), b"", {"x": 1.0, "y": 2.0},
])
def test_is_not_unavailable(value: Any) -> None:
    assert not is_unavailable(value)


def test_custom_placeholder() -> None:
    assert is_unavailable(["__toasted"], placeholder="__toasted")
    assert not is_unavailable(UNAVAILABLE, placeholder="__toasted")


@pytest.mark.parametrize("avro_type", [
    "string", UUID, JSON, MICRO_TS, {"type": "array", "items": "int"},
])
def test_to_pg_leaves_the_placeholder_alone(avro_type: Any) -> None:
    placeholder = list(UNAVAILABLE.encode()) if isinstance(avro_type, dict) and \
        avro_type.get("type") == "array" else UNAVAILABLE
    assert to_pg(placeholder, pg_type(avro_type)) == placeholder


# ------------------------------------------------------------------------- widens

WIDENINGS: list[tuple[Any, Any, bool]] = [
    ("int", "long", True),
    (INT16, "int", True),
    (INT16, "long", True),
    ("float", "double", True),
    ("int", "double", True),
    (INT16, "float", True),
    ("long", "int", False),
    ("double", "float", False),
    ("long", "double", False),  # 64-bit ints do not all fit a double
    ("int", "float", False),
    ("int", "int", False),  # nothing to alter
    (connect_decimal(10, 2), connect_decimal(12, 2), True),
    (connect_decimal(12, 2), connect_decimal(10, 2), False),
    (connect_decimal(10, 2), connect_decimal(12, 4), True),
    (connect_decimal(10, 2), connect_decimal(10, 3), False),  # loses an integer digit
    (connect_decimal(10, 2), connect_decimal(10, 1), False),  # loses a decimal
    (connect_decimal(10, 2), connect_decimal(10, 2), False),
    (connect_decimal(10, 2), VSD, True),
    (VSD, connect_decimal(10, 2), False),
    ("int", connect_decimal(10, 0), True),
    ("int", connect_decimal(9, 0), False),
    ("long", connect_decimal(19, 0), True),
    ("long", VSD, True),
    ("double", VSD, False),
    ({"type": "array", "items": "int"}, {"type": "array", "items": "long"}, True),
    ({"type": "array", "items": "long"}, {"type": "array", "items": "int"}, False),
    ({"type": "array", "items": "int"}, "long", False),
    ("string", JSON, False),
    (MICRO_TS, ZONED_TS, False),  # timestamp -> timestamptz depends on the session zone
    (BITS8, dbz("bytes", "io.debezium.data.Bits", length="16"), True),
    (BITS8, BITS_ANY, True),
    (BITS_ANY, BITS8, False),
    (dbz("bytes", "io.debezium.data.Bits", length="16"), BITS8, False),
]


@pytest.mark.parametrize(("old", "new", "expected"), WIDENINGS)
def test_widens(old: Any, new: Any, expected: bool) -> None:
    assert widens(pg_type(old), pg_type(new)) is expected


def test_widens_ignores_nullability() -> None:
    assert widens(pg_type("int"), pg_type(["null", "long"]))
    assert widens(PgType("integer", True, "int4"), PgType("bigint", False, "int8"))


# --------------------------------------------- round trip of a Debezium value schema

ROW: dict[str, Any] = {
    "type": "record", "name": "Value", "namespace": "shop.public.orders",
    "fields": [
        {"name": "id", "type": "int"},
        {"name": "qty", "type": ["null", INT16], "default": None},
        {"name": "customer_id", "type": "long"},
        {"name": "price", "type": ["null", NUM_12_2], "default": None},
        {"name": "price_raw", "type": NUM_12_2_RAW},
        {"name": "amount", "type": ["null", VSD], "default": None},
        {"name": "amount_again", "type": ["null", "io.debezium.data.VariableScaleDecimal"],
         "default": None},
        {"name": "created_at", "type": ["null", ZONED_TS], "default": None},
        {"name": "updated_local", "type": MICRO_TS},
        {"name": "legacy_ts", "type": MILLI_TS},
        {"name": "birthday", "type": ["null", DBZ_DATE], "default": None},
        {"name": "alarm", "type": MICRO_TIME},
        {"name": "alarm_ms", "type": MILLI_TIME},
        {"name": "tz_time", "type": ZONED_TIME},
        {"name": "waited", "type": MICRO_DURATION},
        {"name": "doc", "type": ["null", JSON], "default": None},
        {"name": "uid", "type": UUID},
        {"name": "xmldoc", "type": XML},
        {"name": "flags", "type": BITS8},
        {"name": "tags", "type": ["null", {"type": "array", "items": ["null", "string"]}],
         "default": None},
        {"name": "scores", "type": {"type": "array", "items": ["null", "int"]}},
        {"name": "mood", "type": ENUM},
        {"name": "payload", "type": "bytes"},
        {"name": "ratio", "type": "float"},
        {"name": "score", "type": "double"},
        {"name": "active", "type": "boolean"},
        {"name": "location", "type": ["null", POINT], "default": None},
        {"name": "attrs", "type": {"type": "map", "values": ["null", "string"]}},
        {"name": "body", "type": ["null", "string"], "default": None},
    ],
    "connect.name": "shop.public.orders.Value",
}
ENVELOPE: dict[str, Any] = {
    "type": "record", "name": "Envelope", "namespace": "shop.public.orders",
    "fields": [
        {"name": "before", "type": ["null", ROW], "default": None},
        {"name": "after", "type": ["null", "Value"], "default": None},
        {"name": "source", "type": {
            "type": "record", "name": "Source", "namespace": "io.debezium.connector.postgresql",
            "fields": [{"name": "lsn", "type": ["null", "long"], "default": None},
                       {"name": "ts_ms", "type": "long"}]}},
        {"name": "op", "type": "string"},
        {"name": "ts_ms", "type": ["null", "long"], "default": None},
    ],
    "connect.name": "shop.public.orders.Envelope",
}
# (value as Debezium writes it, value expected from to_pg)
AFTER: dict[str, tuple[Any, Any]] = {
    "id": (1, 1),
    "qty": (3, 3),
    "customer_id": (2**40, 2**40),
    "price": (Decimal("1234.50"), Decimal("1234.50")),
    "price_raw": (unscaled(-123450), Decimal("-1234.50")),
    "amount": ({"scale": 4, "value": unscaled(31415)}, Decimal("3.1415")),
    "amount_again": ({"scale": 0, "value": unscaled(7)}, Decimal(7)),
    "created_at": ("2024-05-01T10:15:30.123456Z", TS.replace(tzinfo=UTC)),
    "updated_local": (TS_MICROS, TS),
    "legacy_ts": (TS_MICROS // 1000, TS.replace(microsecond=123000)),
    "birthday": (19844, date(2024, 5, 1)),
    "alarm": (36930123456, time(10, 15, 30, 123456)),
    "alarm_ms": (36930123, time(10, 15, 30, 123000)),
    "tz_time": ("10:15:30Z", time(10, 15, 30, tzinfo=UTC)),
    "waited": (3_600_000_000, timedelta(hours=1)),
    "doc": ('{"a": 1}', '{"a": 1}'),
    "uid": (str(U), U),
    "xmldoc": ("<a/>", "<a/>"),
    "flags": (b"\x05", "00000101"),
    "tags": (["x", None], ["x", None]),
    "scores": ([1, None, 3], [1, None, 3]),
    "mood": ("happy", "happy"),
    "payload": (b"\x00\x01", b"\x00\x01"),
    "ratio": (0.5, 0.5),
    "score": (2.25, 2.25),
    "active": (True, True),
    "location": ({"x": 1.5, "y": -2.0, "wkb": None, "srid": 4326},
                 '{"x": 1.5, "y": -2.0, "wkb": null, "srid": 4326}'),
    "attrs": ({"k": "v", "n": None}, '{"k": "v", "n": null}'),
    "body": (UNAVAILABLE, UNAVAILABLE),  # unchanged TOASTed column in an update
}


def test_debezium_after_round_trips_through_fastavro() -> None:
    parsed = fastavro.parse_schema(ENVELOPE)
    message = {"before": None, "after": {k: raw for k, (raw, _) in AFTER.items()},
               "source": {"lsn": 123, "ts_ms": 1}, "op": "u", "ts_ms": 2}
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, parsed, message)
    buffer.seek(0)
    record: Any = fastavro.schemaless_reader(buffer, parsed, parsed)
    decoded: dict[str, Any] = record["after"]
    fields = {f["name"]: f["type"] for f in ROW["fields"]}
    assert set(fields) == set(AFTER)
    for name, (_, expected) in AFTER.items():
        pg = pg_type(fields[name])
        assert to_pg(decoded[name], pg) == expected, name
        assert misfit(decoded[name], pg) == ("unavailable_value" if name == "body" else None)


def test_round_trip_column_types() -> None:
    types = {f["name"]: pg_type(f["type"]).sql for f in ROW["fields"]}
    assert types == {
        "id": "integer", "qty": "smallint", "customer_id": "bigint",
        "price": "numeric(12,2)", "price_raw": "numeric(12,2)", "amount": "numeric",
        "amount_again": "numeric", "created_at": "timestamptz", "updated_local": "timestamp",
        "legacy_ts": "timestamp", "birthday": "date", "alarm": "time", "alarm_ms": "time",
        "tz_time": "timetz", "waited": "interval", "doc": "jsonb", "uid": "uuid",
        "xmldoc": "xml", "flags": "bit varying(8)", "tags": "text[]", "scores": "integer[]",
        "mood": "text", "payload": "bytea", "ratio": "real", "score": "double precision",
        "active": "boolean", "location": "jsonb", "attrs": "jsonb", "body": "text",
    }
