"""Debezium's encodings of hostile values, converted by pgvalues and written by the real
writer: the warehouse's ``col::text`` equals the source's PostgreSQL text."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from psycopg import sql

from cdc_sink import sqlbuild
from cdc_sink.collapse import collapse
from cdc_sink.fitcheck import checker
from cdc_sink.model import KafkaCoordinates, Position, SinkChange
from cdc_sink.pgvalues import to_pg
from cdc_sink.sqlbuild import Column, TableLayout
from cdc_sink.typemap import UNAVAILABLE, pg_type
from cdc_sink.writer import write_table


def dbz(base: str, name: str, **params: str) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": base, "connect.name": name}
    if params:
        schema["connect.parameters"] = params
    return schema


DATE = dbz("int", "io.debezium.time.Date")
MICRO_TS = dbz("long", "io.debezium.time.MicroTimestamp")
MILLI_TS = dbz("long", "io.debezium.time.Timestamp")
ZONED_TS = dbz("string", "io.debezium.time.ZonedTimestamp")
BIT20 = dbz("bytes", "io.debezium.data.Bits", length="20")
VARBIT20 = dbz("bytes", "io.debezium.data.Bits", length="20",
               **{"__debezium.source.column.type": "VARBIT"})
VARBIT = dbz("bytes", "io.debezium.data.Bits", length=str(2**31 - 1))
ASYMMETRIC = "1" + "0" * 498 + "1" + "0" * 499 + "1"


def bitset_bytes(bits: str) -> bytes:
    """What Debezium sends for a bit string: BitSet.toByteArray(), last character = bit 0."""
    number = int(bits, 2) if bits else 0
    return number.to_bytes((number.bit_length() + 7) // 8, "little")


# (Avro type, what Debezium 3.x sends, the source column's PostgreSQL text)
CASES: list[tuple[Any, Any, str]] = [
    (DATE, -2147472692, "infinity"),  # streamed date 'infinity'
    (DATE, -2147472691, "-infinity"),
    (DATE, -622191234, "infinity"),  # snapshot date 'infinity'
    (DATE, -2440222, "4713-11-24 BC"),
    (DATE, -719163, "0001-12-31 BC"),
    (DATE, -2440588, "4714-11-24 BC"),
    (DATE, 2932897, "10000-01-01"),
    (DATE, 2145042905, "5874897-12-31"),
    (DATE, 0, "1970-01-01"),
    (MICRO_TS, 9223372036825200000, "infinity"),
    (MICRO_TS, -9223372036832400000, "-infinity"),
    (MICRO_TS, -210835180800000000, "4713-11-24 00:00:00 BC"),
    (MICRO_TS, 253402300800000001, "10000-01-01 00:00:00.000001"),
    (MICRO_TS, 1582979696789012, "2020-02-29 12:34:56.789012"),
    (MILLI_TS, -62135596800001, "0001-12-31 23:59:59.999 BC"),
    (ZONED_TS, "infinity", "infinity"),
    (ZONED_TS, "0000-01-01T00:00:00.000000Z", "0001-01-01 00:00:00+00 BC"),
    (ZONED_TS, "+294276-12-31T23:59:59.999999Z", "294276-12-31 23:59:59.999999+00"),
    (ZONED_TS, "2019-12-31T18:30:00.000000Z", "2019-12-31 18:30:00+00"),
    (BIT20, bitset_bytes("00000000000000000001"), "00000000000000000001"),
    (VARBIT20, bitset_bytes("1011"), "1011"),
    (VARBIT, b"", ""),
    (VARBIT, bitset_bytes("1"), "1"),
    (VARBIT, bitset_bytes(ASYMMETRIC), ASYMMETRIC),
    (VARBIT, bitset_bytes("1101" * 250), "1101" * 250),
    # an array mixing values Python's types hold with ones only PostgreSQL's text holds
    ({"type": "array", "items": ["null", DATE]}, [18262, -2147472692, -2440222, None],
     '{2020-01-01,infinity,"4713-11-24 BC",NULL}'),
    ({"type": "array", "items": ["null", MICRO_TS]},
     [1582979696789012, 9223372036825200000, 253402300800000001],
     '{"2020-02-29 12:34:56.789012",infinity,"10000-01-01 00:00:00.000001"}'),
    ({"type": "array", "items": ["null", ZONED_TS]},
     ["2019-12-31T18:30:00.000000Z", "-infinity"],
     '{"2019-12-31 18:30:00+00",-infinity}'),
    ("string", UNAVAILABLE, UNAVAILABLE),  # an insert's real value, not the placeholder
    ("bytes", UNAVAILABLE.encode(), "\\x" + UNAVAILABLE.encode().hex()),
]


def test_every_value_reads_back_as_the_source_text(postgres_dsn: str, pg_schema: str) -> None:
    columns = tuple(Column(f"c{i}", pg_type(t).sql) for i, (t, _, _) in enumerate(CASES))
    layout = TableLayout(pg_schema, "type_values", key=(Column("id", "integer"),),
                         values=columns)
    values = {f"c{i}": to_pg(v, pg_type(t)) for i, (t, v, _) in enumerate(CASES)}
    checks = {f"c{i}": (checker(pg_type(t)), pg_type(t)) for i, (t, _, _) in enumerate(CASES)}
    misfits = {n: check(values[n], pg) for n, (check, pg) in checks.items() if check}
    assert {n: r for n, r in misfits.items() if r is not None} == {}  # as the decoder checks
    change = SinkChange("type_values", (1,), {"id": 1, **values}, False, "c", "e1",
                        Position(1, 1_700_000_000_000), KafkaCoordinates("t", 0, 1),
                        frozenset())
    with psycopg.connect(postgres_dsn) as conn:
        conn.execute("set timezone = 'UTC'")
        conn.execute(sqlbuild.create_table(layout))
        write_table(conn, layout, collapse([change]).changes)
        conn.commit()
        query = sql.SQL("select {} from {}").format(
            sql.SQL(", ").join(sql.SQL("{}::text").format(sql.Identifier(c.name))
                               for c in columns), layout.ident)
        row = conn.execute(query).fetchone()
    assert row is not None
    got = dict(zip([c.name for c in columns], row, strict=True))
    want = {f"c{i}": text for i, (_, _, text) in enumerate(CASES)}
    assert got == want


@pytest.mark.parametrize(("days", "text"), [(-2440588, "4714-11-24 BC"), (2932897, "10000-01-01")])
def test_postgresql_agrees_with_the_epoch_day_arithmetic(postgres_dsn: str, days: int,
                                                          text: str) -> None:
    with psycopg.connect(postgres_dsn) as conn:
        row = conn.execute("select (date 'epoch' + %s::int)::text", (days,)).fetchone()
    assert row == (text,)
