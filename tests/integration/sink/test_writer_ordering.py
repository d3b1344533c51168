"""The issue's reproductions of lost changes, against the real PostgreSQL writer.

Each applies a sequence in the batches the report used and checks the stored row; the
property test (test_batch_cut_invariance.py) covers the class, these pin the cases.
"""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from psycopg import sql

from cdc_sink import sqlbuild
from cdc_sink.collapse import collapse
from cdc_sink.model import KafkaCoordinates, Position, SinkChange, position_key
from cdc_sink.sqlbuild import Column, TableLayout
from cdc_sink.writer import TableResult, write_table

_offsets = iter(range(1, 1_000_000))


def layout(schema: str) -> TableLayout:
    return TableLayout(schema, "orders", key=(Column("id", "integer"),),
                       values=(Column("status", "text"), Column("amount", "integer"),
                               Column("b", "text")))


def change(key: int, op: str, lsn: int | None, ts: int = 1000, **columns: Any) -> SinkChange:
    offset = next(_offsets)
    order = None if lsn is None else (lsn,)
    return SinkChange("orders", (key,), {"id": key, **columns}, op == "d", op,
                      f"e{offset}", Position(lsn, ts, position_key(order, ts, offset)),
                      KafkaCoordinates("p.public.orders", 0, offset))


@pytest.fixture
def conn(postgres_dsn: str, pg_schema: str) -> Any:
    with psycopg.connect(postgres_dsn) as c:
        c.execute(sqlbuild.create_table(layout(pg_schema)))
        c.commit()
        yield c


def apply(conn: psycopg.Connection[Any], schema: str, *batches: list[SinkChange]) -> TableResult:
    result = TableResult()
    for batch in batches:
        folded = collapse(batch)
        result = result.merge(write_table(conn, layout(schema), folded.changes))
        result.ties += folded.ties
        conn.commit()
    return result


def stored(conn: psycopg.Connection[Any], schema: str) -> dict[int, tuple[Any, ...]]:
    query = sql.SQL("select id, status, amount, b, is_deleted from {} order by id").format(
        sql.Identifier(schema, "orders"))
    return {r[0]: r[1:] for r in conn.execute(query).fetchall()}


@pytest.mark.parametrize("image", ["null", "key"])
def test_a_delete_keeps_the_values_of_the_update_before_it_in_its_batch(
        conn: Any, pg_schema: str, image: str) -> None:
    """Defect 1: ``1|new|10|deleted`` instead of ``paid/20``; ``2|NULL|NULL`` instead of new/5."""
    empty: dict[str, Any] = {"status": None, "amount": None} if image == "null" else {}
    apply(conn, pg_schema, [change(1, "c", 100, status="new", amount=10)],
          [change(1, "u", 200, status="paid", amount=20), change(1, "d", 300, **empty),
           change(2, "c", 200, status="new", amount=5), change(2, "d", 300, **empty)])
    assert stored(conn, pg_schema) == {1: ("paid", 20, None, True), 2: ("new", 5, None, True)}


def test_an_older_writer_schema_never_nulls_a_newer_column(conn: Any, pg_schema: str) -> None:
    """Defect 2: v2 (id, a, b) then v1 (id, a) in one batch left b NULL."""
    apply(conn, pg_schema, [change(1, "c", 100, status="v1", amount=1)],
          [change(1, "u", 200, status="v2", amount=6, b="new"),
           change(1, "u", 300, status="v1", amount=7)])
    assert stored(conn, pg_schema)[1] == ("v1", 7, "new", False)


@pytest.mark.parametrize("split", [False, True])
def test_equal_commit_times_without_lsn_keep_the_later_update(
        conn: Any, pg_schema: str, split: bool) -> None:
    """Defect 3: ``c v1 ts=1000, u v2 ts=2000, u v3 ts=2000`` (no LSN) stayed at v2."""
    c, u2, u3 = (change(1, "c", None, 1000, status="v1"), change(1, "u", None, 2000, status="v2"),
                 change(1, "u", None, 2000, status="v3"))
    result = apply(conn, pg_schema, *([[c, u2], [u3]] if split else [[c, u2, u3]]))
    assert stored(conn, pg_schema)[1][0] == "v3"
    assert result.ties == 1  # counted whether the tie met in one batch or across two


def test_a_row_stored_before_source_positions_existed_is_ordered_by_its_lsn(
        conn: Any, pg_schema: str) -> None:
    apply(conn, pg_schema, [change(1, "c", 20, status="stored")])
    conn.execute(sql.SQL("update {} set _source_position = null").format(
        sql.Identifier(pg_schema, "orders")))
    conn.commit()
    result = apply(conn, pg_schema, [change(1, "u", 15, status="older")])
    assert (stored(conn, pg_schema)[1][0], result.skipped_stale) == ("stored", 1)
    apply(conn, pg_schema, [change(1, "u", 25, status="newer")])
    assert stored(conn, pg_schema)[1][0] == "newer"


def test_the_stored_position_compares_as_the_sinks_own_key(conn: Any, pg_schema: str) -> None:
    apply(conn, pg_schema, [change(7, "c", 0x0102, status="x")])
    key = conn.execute(sql.SQL("select _source_position from {}").format(
        sql.Identifier(pg_schema, "orders"))).fetchone()[0]
    assert bytes(key) == b"\x01" + (0x0102).to_bytes(8, "big")
