"""Batch-cut invariance, as a property, against the real PostgreSQL writer.

For any sequence of changes the warehouse after applying it in one batch equals the warehouse
after applying it one change per batch, and after any split in between — column by column,
metadata included (``_loaded_at`` is wall-clock time and not compared). The sequences mix
inserts, updates, snapshot reads, deletes with full, NULL and key-only before-images,
revivals, unavailable (TOAST) values, exact duplicates, out-of-order arrival, two writer
schema versions and changes without a source position (ordered by commit time, then offset).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg import sql

from cdc_sink import sqlbuild
from cdc_sink.collapse import collapse
from cdc_sink.model import KafkaCoordinates, Position, SinkChange, position_key
from cdc_sink.sqlbuild import Column, TableLayout
from cdc_sink.writer import write_table

KEY = (Column("id", "integer"),)
VALUES = (Column("a", "text"), Column("b", "text"), Column("body", "text"))
TABLES = ("one_batch", "per_change", "split")
BASE_TS = 1_700_000_000_000


@dataclass(frozen=True)
class Spec:
    """One generated change, before it gets its arrival offset."""

    key: int
    op: str  # c, u, r, d
    lsn: int | None
    ts: int
    a: str | None
    b: str | None
    body: str | None
    v1: bool  # the older writer schema, without column b
    toast: bool  # body is Debezium's unavailable-value placeholder
    image: str  # a delete's before-image: full, null, key


def spec() -> st.SearchStrategy[Spec]:
    text = st.sampled_from([None, "x", "y", "z"])
    return st.builds(Spec, key=st.integers(1, 3), op=st.sampled_from("cuurdd"),
                     lsn=st.one_of(st.none(), st.integers(1, 12)), ts=st.integers(0, 3),
                     a=text, b=text, body=text, v1=st.booleans(), toast=st.booleans(),
                     image=st.sampled_from(["full", "null", "key"]))


@st.composite
def histories(draw: st.DrawFn) -> tuple[list[Spec], list[int]]:
    """Changes in arrival order (some re-sent verbatim) and the cut points of one split."""
    specs: list[Spec] = []
    for _ in range(draw(st.integers(1, 14))):
        if specs and draw(st.integers(0, 5)) == 0:
            specs.append(specs[draw(st.integers(0, len(specs) - 1))])  # a duplicate
        else:
            specs.append(draw(spec()))
    cuts = sorted(draw(st.sets(st.integers(1, max(len(specs) - 1, 1)), max_size=4)))
    return specs, cuts


def to_change(s: Spec, offset: int, table: str) -> SinkChange:
    deleted = s.op == "d"
    columns: dict[str, Any] = {"id": s.key}
    unavailable: frozenset[str] = frozenset()
    if not deleted or s.image != "key":
        full = not deleted or s.image == "full"
        columns |= {"a": s.a if full else None, "body": s.body if full else None}
        if not s.v1:
            columns["b"] = s.b if full else None
        if s.toast and s.op == "u":
            del columns["body"]
            unavailable = frozenset({"body"})
    ts = BASE_TS + s.ts
    order = None if s.lsn is None else (s.lsn,)
    eid = f"{s.key}-{s.op}-{s.lsn}-{s.ts}-{s.a}-{s.b}-{s.body}-{s.v1}-{s.toast}-{s.image}"
    return SinkChange(table, (s.key,), columns, deleted, s.op, eid,
                      Position(s.lsn, ts, position_key(order, ts, offset)),
                      KafkaCoordinates("p.public.t", 0, offset), unavailable)


def layout(schema: str, table: str) -> TableLayout:
    return TableLayout(schema, table, KEY, VALUES)


def apply_batches(conn: psycopg.Connection[Any], schema: str, table: str, specs: list[Spec],
                  cuts: list[int]) -> None:
    changes = [to_change(s, offset, table) for offset, s in enumerate(specs)]
    bounds = [0, *cuts, len(changes)]
    for start, end in itertools.pairwise(bounds):
        if start < end:
            write_table(conn, layout(schema, table), collapse(changes[start:end]).changes)
            conn.commit()


def snapshot(conn: psycopg.Connection[Any], schema: str, table: str) -> list[tuple[Any, ...]]:
    names = [c.name for c in (*KEY, *VALUES)] + [n for n in sqlbuild.MetaNames().all()
                                                  if n != "_loaded_at"]
    query = sql.SQL("select {} from {} order by id").format(
        sql.SQL(", ").join(map(sql.Identifier, names)), sql.Identifier(schema, table))
    return conn.execute(query).fetchall()


@pytest.fixture
def conn(postgres_dsn: str, pg_schema: str) -> Any:
    with psycopg.connect(postgres_dsn) as c:
        for table in TABLES:
            c.execute(sqlbuild.create_table(layout(pg_schema, table)))
        c.commit()
        yield c


@settings(max_examples=250, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=histories())
def test_the_warehouse_does_not_depend_on_where_batches_are_cut(
        conn: psycopg.Connection[Any], pg_schema: str,
        history: tuple[list[Spec], list[int]]) -> None:
    specs, cuts = history
    conn.execute(sql.SQL("truncate {}").format(sql.SQL(", ").join(
        sql.Identifier(pg_schema, t) for t in TABLES)))
    conn.commit()
    apply_batches(conn, pg_schema, "one_batch", specs, [])
    apply_batches(conn, pg_schema, "per_change", specs, list(range(1, len(specs))))
    apply_batches(conn, pg_schema, "split", specs, cuts)
    whole = snapshot(conn, pg_schema, "one_batch")
    assert whole == snapshot(conn, pg_schema, "per_change")
    assert whole == snapshot(conn, pg_schema, "split")
