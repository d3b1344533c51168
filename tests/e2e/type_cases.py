"""Expected round trips of PostgreSQL values through Debezium (the shipped connector settings)
and ``cdc sink`` into the warehouse, compared as ``col::text`` on both sides.

One ``Case`` per (column type, hostile value), grouped into families (one source table each).
``outcome`` says what the warehouse holds:

* ``EXACT``: the warehouse text equals the source text;
* ``Equivalent(how, text)``: the same value in another spelling or type (``text`` pins it);
* ``Lossy(why, whose, text)``: information is gone (``text`` pins what remains; ``NO_ROW``
  when the row never arrives (dead-lettered), ``NO_COLUMN`` when Debezium drops the column).

``snapshot`` overrides the outcome for the row captured by Debezium's initial snapshot, where
Debezium reads through JDBC instead of the replication stream and sometimes differs;
``update`` overrides it for the row inserted with NULL and then updated to the value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

NO_ROW = "<no row>"
NO_COLUMN = "<no column>"


@dataclass(frozen=True)
class Equivalent:
    how: str
    text: str | None


@dataclass(frozen=True)
class Lossy:
    why: str
    whose: str  # "debezium" (the connector's encoding) or "sink"
    text: str | None


@dataclass(frozen=True)
class Exact:
    pass


EXACT = Exact()
Outcome = Exact | Equivalent | Lossy


@dataclass(frozen=True)
class Case:
    family: str
    pg_type: str
    literal: str  # SQL literal, cast to pg_type by the column
    outcome: Outcome = EXACT
    snapshot: Outcome | None = None  # when the snapshot row differs from streamed rows
    update: Outcome | None = None  # when the updated row differs from inserted ones

    def expected(self, phase: str) -> Outcome:
        override = {"snapshot": self.snapshot, "update": self.update}.get(phase)
        return self.outcome if override is None else override


def _family(name: str, *cases: tuple[str, str] | tuple[str, str, Outcome] | Case
            ) -> list[Case]:
    return [c if isinstance(c, Case) else Case(name, *c) for c in cases]


NAN_NULL = Lossy("decimal.handling.mode=precise has no NaN/Infinity: Debezium sends null",
                 "debezium", None)
TZ_UTC = "Debezium's ZonedTime carries the time in UTC; the source offset is gone"
BIT1 = "Debezium carries bit(1) as a boolean; the warehouse column is boolean"
UNKNOWN = Lossy("a type Debezium's PostgreSQL connector does not know: the column is left out "
                "of the record (include.unknown.datatypes=false)", "debezium", NO_COLUMN)
BC_SNAPSHOT = "the snapshot (JDBC) loses the era of BC dates; streamed rows keep it"
PLACEHOLDER_UPDATE = Lossy(
    "in an update, a value equal to Debezium's unavailable-value placeholder cannot be told "
    "from an unchanged TOASTed value: the sink keeps the stored value (here NULL); "
    "inserts and snapshots carry it exactly", "debezium", None)
TS_OVERFLOW = ("Debezium's MicroTimestamp overflows int64 microseconds past "
               "294247-01-10 04:00:54.775807: the sink refuses the wrapped value "
               "(DLQ, value_misfit_timestamp_out_of_range)")

CASES: list[Case] = [
    *_family(
        "numeric",
        ("numeric", "'0'"), ("numeric", "'1.500'", Lossy(
            "VariableScaleDecimal (unconstrained numeric) drops trailing zeros", "debezium",
            "1.5")), ("numeric", "'-0.001'"),
        ("numeric", "'12345678901234567890.123456789'"),
        ("numeric", "'NaN'", NAN_NULL), ("numeric", "'Infinity'", NAN_NULL),
        ("numeric", "'-Infinity'", NAN_NULL),
        ("numeric(10,3)", "'1.5'"), ("numeric(10,3)", "'-9999999.999'"),
        ("numeric(10,3)", "'NaN'", NAN_NULL),
        ("smallint", "'-32768'"), ("integer", "'2147483647'"),
        ("bigint", "'-9223372036854775808'"),
        ("real", "'NaN'"), ("real", "'-Infinity'"), ("real", "'1.17549435e-38'"),
        ("real", "'0.1'"),
        ("double precision", "'Infinity'"), ("double precision", "'-0'"),
        ("double precision", "'4.9e-324'"), ("double precision", "'0.1'"),
        ("money", "'-92233720368547758.08'", Equivalent(
            "money arrives as a decimal; the warehouse column is numeric",
            "-92233720368547758.08")),
    ),
    *_family(
        "text",
        ("text", "''"), ("text", "'it''s'"), ("text", "'🙂 é \\ \" tab\t'"),
        Case("text", "text", "'__debezium_unavailable_value'", update=PLACEHOLDER_UPDATE),
        ("varchar(5)", "'abcde'"),
        ("char(3)", "'a'", Equivalent("char(n) arrives blank-padded; the warehouse column is "
                                      "text", "a  ")),
        ("bytea", "'\\x'"), ("bytea", "'\\x00ff'"),
        Case("text", "bytea", "'__debezium_unavailable_value'::bytea",
             update=PLACEHOLDER_UPDATE),
        ("citext", "'MiXeD'"),
    ),
    *_family(
        "datetime",
        ("date", "'infinity'"), ("date", "'-infinity'"),
        Case("datetime", "date", "'4713-11-24 BC'", EXACT,
             Lossy(BC_SNAPSHOT, "debezium", "4713-11-24")),
        Case("datetime", "date", "'0001-12-31 BC'", EXACT,
             Lossy(BC_SNAPSHOT, "debezium", "0001-12-31")),
        ("date", "'0001-01-01'"), ("date", "'9999-12-31'"),
        ("date", "'10000-01-01'"), ("date", "'5874897-12-31'"),
        ("timestamp", "'infinity'"), ("timestamp", "'-infinity'"),
        ("timestamp", "'4713-11-24 00:00:00 BC'"),
        Case("datetime", "timestamp", "'294276-12-31 23:59:59.999999'",
             Lossy(TS_OVERFLOW, "debezium", NO_ROW),
             update=Lossy(TS_OVERFLOW, "debezium", None)),
        ("timestamp", "'2020-02-29 12:34:56.789012'"), ("timestamp", "'1970-01-01'"),
        ("timestamp(0)", "'2020-02-29 12:34:56'"),
        ("timestamptz", "'infinity'"), ("timestamptz", "'2020-01-01 00:00:00+05:30'"),
        ("timestamptz", "'0001-01-01 00:00:00+00 BC'"),
        ("timestamptz", "'294276-12-31 23:59:59.999999+00'"),
        ("time", "'00:00'"), ("time", "'23:59:59.999999'"), ("time", "'24:00:00'"),
        ("time(3)", "'12:00:00.123'"),
        ("timetz", "'01:02:03+05:30'", Equivalent(TZ_UTC, "19:32:03+00")),
        ("timetz", "'00:00:00-12'", Equivalent(TZ_UTC, "12:00:00+00")),
        ("interval", "'1 mon'"), ("interval", "'-1 mon -2 days +03:00:00'"),
        ("interval", "'1 year 2 mons 3 days 04:05:06.789'"),
        ("interval", "'178000000 years'"), ("interval", "'0'"),
        ("interval", "'-00:00:00.000001'"),
    ),
    *_family(
        "bits",
        ("bit(1)", "'1'", Equivalent(BIT1, "true")),
        ("bit(1)", "'0'", Equivalent(BIT1, "false")),
        ("bit(8)", "'00000001'"),
        ("bit(12)", "'101000000000'"),
        ("varbit(20)", "'0001'", Lossy(
            "Debezium's Bits drops leading zero bits and carries only the declared length",
            "debezium", "00000000000000000001")), ("varbit", "''"), ("varbit", "'1'"),
        ("varbit", "repeat('1101', 250)::varbit"),
    ),
    *_family(
        "misc",
        ("boolean", "'t'"), ("uuid", "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'"),
        ("json", "'{\"b\": 1,  \"a\": [1, 2]}'", Equivalent(
            "json and jsonb both arrive as io.debezium.data.Json; the warehouse column is jsonb "
            "(normalised spacing and key order)", '{"a": [1, 2], "b": 1}')),
        ("jsonb", "'{\"b\": 1, \"a\": [1, 2]}'"),
        ("jsonb", "'\"\\u00e9\"'"), ("xml", "'<a x=\"1\">t</a>'"),
        ("inet", "'192.168.0.1/24'"), ("cidr", "'10.0.0.0/8'"),
        ("macaddr", "'08:00:2b:01:02:03'"), ("mood", "'happy'"),
        ("int4range", "'[1,5)'"), ("daterange", "'[2020-01-01,infinity)'"),
        ("hstore", "'a=>1, b=>NULL'", Equivalent(
            "hstore arrives as a JSON object (hstore.handling.mode=json); the warehouse column "
            "is jsonb", '{"a": "1", "b": null}')), ("ltree", "'top.middle.leaf'"),
    ),
    *_family(
        "arrays",
        ("integer[]", "'{1,NULL,3}'"), ("integer[]", "'{}'"),
        ("integer[]", "'{{1,2},{3,4}}'", Lossy(
            "Debezium cannot carry multi-dimensional arrays: the elements become NULL",
            "debezium", "{NULL,NULL}")),
        ("integer[]", "'[0:1]={7,8}'", Lossy("array lower bounds are not carried", "debezium",
                                             "{7,8}")),
        ("text[]", "'{\"a,b\",\"\",NULL,\"NULL\"}'"), ("numeric[]", "'{1.50,NaN}'", Lossy(
            "a NaN element makes Debezium send the whole array as null (precise mode)",
            "debezium", None)),
        ("date[]", "'{2020-01-01,0001-01-01}'"), ("date[]", "'{2020-01-01,infinity,NULL}'"),
        ("timestamp[]", "'{2020-02-29 12:34:56.789012,-infinity}'"), ("boolean[]", "'{t,f}'"),
        ("uuid[]", "'{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}'"),
    ),
    *_family(
        "geometric",
        ("point", "'(1,2)'", Equivalent(
            "Debezium's Point struct (x, y, wkb, srid); the warehouse column is jsonb",
            '{"x": 1.0, "y": 2.0, "wkb": "AQEAAAAAAAAAAADwPwAAAAAAAABA", "srid": null}')),
        ("box", "'((0,0),(1,1))'", UNKNOWN), ("path", "'[(0,0),(1,1)]'", UNKNOWN),
        ("polygon", "'((0,0),(1,1),(1,0))'", UNKNOWN), ("circle", "'<(0,0),1>'", UNKNOWN),
        ("line", "'{1,-1,0}'", UNKNOWN), ("lseg", "'[(0,0),(1,1)]'", UNKNOWN),
        ("tsvector", "'a fat cat'"), ("tsquery", "'fat & cat'", UNKNOWN),
        ("pair", "'(1,x)'", UNKNOWN),
    ),
]

SETUP_SQL = ("create extension if not exists citext; create extension if not exists hstore; "
             "create extension if not exists ltree; "
             "create type mood as enum ('sad', 'happy'); create type pair as (a int, b text);")


def families(cases: list[Case] = CASES) -> dict[str, list[Case]]:
    out: dict[str, list[Case]] = {}
    for case in cases:
        out.setdefault(case.family, []).append(case)
    return out


def _named(base: str, name: str, **extra: Any) -> dict[str, Any]:
    return {"type": base, "connect.name": name, **extra}


def _decimal(precision: int, params: dict[str, str]) -> dict[str, Any]:
    return _named("bytes", "org.apache.kafka.connect.data.Decimal", logicalType="decimal",
                  precision=precision, scale=int(params["scale"]),
                  **{"connect.parameters": params})


def _bits(length: int) -> dict[str, Any]:
    return _named("bytes", "io.debezium.data.Bits",
                  **{"connect.parameters": {"length": str(length)}})


def _array(item: Any) -> dict[str, Any]:
    return {"type": "array", "items": ["null", item]}


_VSD = _named("record", "io.debezium.data.VariableScaleDecimal")
_DATE = _named("int", "io.debezium.time.Date")
_MICRO_TS = _named("long", "io.debezium.time.MicroTimestamp")
_UUID = _named("string", "io.debezium.data.Uuid")
_JSON = _named("string", "io.debezium.data.Json")

# What Debezium writes for a nullable column of each type with the shipped connector
# settings: the non-null branch of the field's Avro type as the registry holds it, cut to
# ``carried`` (None: the column is left out of the record). The e2e test compares it with
# the schemas the real connector registers; docs/types.md is generated from it.
DEBEZIUM: dict[str, Any] = {
    "numeric": _VSD,
    "numeric(10,3)": _decimal(10, {"scale": "3", "connect.decimal.precision": "10"}),
    "smallint": {"type": "int", "connect.type": "int16"},
    "integer": "int", "bigint": "long", "real": "float", "double precision": "double",
    "money": _decimal(64, {"scale": "2"}),
    "text": "string", "varchar(5)": "string", "char(3)": "string", "bytea": "bytes",
    "citext": "string",
    "date": _DATE, "timestamp": _MICRO_TS,
    "timestamp(0)": _named("long", "io.debezium.time.Timestamp"),
    "timestamptz": _named("string", "io.debezium.time.ZonedTimestamp"),
    "time": _named("long", "io.debezium.time.MicroTime"),
    "time(3)": _named("long", "io.debezium.time.MicroTime"),
    "timetz": _named("string", "io.debezium.time.ZonedTime"),
    "interval": _named("string", "io.debezium.time.Interval"),
    "bit(1)": "boolean", "bit(8)": _bits(8), "bit(12)": _bits(12), "varbit(20)": _bits(20),
    "varbit": _bits(2**31 - 1),
    "boolean": "boolean", "uuid": _UUID, "json": _JSON, "jsonb": _JSON,
    "xml": _named("string", "io.debezium.data.Xml"),
    "inet": "string", "cidr": "string", "macaddr": "string",
    "mood": _named("string", "io.debezium.data.Enum",
                   **{"connect.parameters": {"allowed": "sad,happy"}}),
    "int4range": "string", "daterange": "string", "hstore": _JSON,
    "ltree": _named("string", "io.debezium.data.Ltree"),
    "integer[]": _array("int"), "text[]": _array("string"), "numeric[]": _array(_VSD),
    "date[]": _array(_DATE), "timestamp[]": _array(_MICRO_TS),
    "boolean[]": _array("boolean"), "uuid[]": _array(_UUID),
    "point": _named("record", "io.debezium.data.geometry.Point"),
    "box": None, "path": None, "polygon": None, "circle": None, "line": None, "lseg": None,
    "tsvector": _named("string", "io.debezium.data.Tsvector"),
    "tsquery": None, "pair": None,
}

_CARRIED_KEYS = ("type", "connect.name", "connect.type", "connect.parameters", "logicalType",
                 "precision", "scale")


def carried(avro_type: Any) -> Any:
    """What of an Avro type says how a value is carried: base type, Connect name, type and
    parameters, decimal attributes, array items (record fields are named by the type)."""
    if isinstance(avro_type, list):
        return [carried(branch) for branch in avro_type]
    if not isinstance(avro_type, dict):
        return avro_type
    out = {k: avro_type[k] for k in _CARRIED_KEYS if k in avro_type}
    if avro_type.get("type") == "array":
        out["items"] = carried(avro_type["items"])
    return out
