"""The set-based upsert against real PostgreSQL: guard, soft deletes, TOAST, rejects."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from psycopg import sql

from cdc_sink import sqlbuild
from cdc_sink.collapse import collapse
from cdc_sink.model import KafkaCoordinates, Position, SinkChange
from cdc_sink.sqlbuild import Column, TableLayout
from cdc_sink.writer import write_table

EVIL = '"; drop table x; --'


def layout(schema: str) -> TableLayout:
    return TableLayout(schema, "items", key=(Column("id", "integer"),),
                       values=(Column("name", "text"), Column("amount", "numeric(6,2)"),
                               Column(EVIL, "text")))


def change(key: int, lsn: int, op: str = "u", unavailable: frozenset[str] = frozenset(),
           **cols: Any) -> SinkChange:
    columns = {"id": key, **{EVIL if k == "evil" else k: v for k, v in cols.items()}}
    return SinkChange("items", (key,), columns, op == "d", op, f"e{key}-{lsn}",
                      Position(lsn, 1_700_000_000_000 + lsn), KafkaCoordinates("t", 0, lsn),
                      unavailable)


@pytest.fixture
def conn(postgres_dsn: str, pg_schema: str) -> Any:
    with psycopg.connect(postgres_dsn) as c:
        c.execute(sqlbuild.create_table(layout(pg_schema)))
        c.commit()
        yield c


def rows(conn: Any, schema: str) -> dict[int, tuple[Any, ...]]:
    q = sql.SQL("select id, name, amount, {}, is_deleted, deleted_at is not null, _source_lsn "
                "from {}").format(sql.Identifier(EVIL), sql.Identifier(schema, "items"))
    return {r[0]: r[1:] for r in conn.execute(q).fetchall()}


def apply(conn: Any, schema: str, changes: list[SinkChange]) -> Any:
    result = write_table(conn, layout(schema), collapse(changes).changes)
    conn.commit()
    return result


def test_ordering_guard_soft_delete_and_revival(conn: Any, pg_schema: str) -> None:
    r = apply(conn, pg_schema, [change(1, 10, "c", name="a", amount=Decimal("1.50"), evil="x"),
                                change(2, 11, "d"),  # delete of a key never seen
                                change(3, 12, "c", name="c", amount=None, evil=None)])
    assert (r.inserted, r.updated, r.deleted, r.skipped_stale) == (3, 0, 1, 0)
    r = apply(conn, pg_schema, [change(1, 9, name="stale", amount=None, evil=None),  # older
                                change(1, 10, "c", name="dup", amount=None, evil=None),  # equal
                                change(3, 20, "d", name=None, amount=None, evil=None)])
    assert (r.updated, r.skipped_stale, r.deleted) == (1, 1, 1)
    got = rows(conn, pg_schema)
    assert got[1] == ("a", Decimal("1.50"), "x", False, False, 10)
    assert got[2] == (None, None, None, True, True, 11)
    assert got[3] == ("c", None, None, True, True, 20)  # soft delete keeps last known values
    apply(conn, pg_schema, [change(3, 30, "c", name="back", amount=Decimal("2"), evil="y")])
    assert rows(conn, pg_schema)[3] == ("back", Decimal("2.00"), "y", False, False, 30)


def test_unavailable_value_never_overwrites_and_is_carried_within_batch(
        conn: Any, pg_schema: str) -> None:
    toast = frozenset({EVIL})
    apply(conn, pg_schema, [change(1, 10, "c", name="a", amount=None, evil="big text")])
    apply(conn, pg_schema, [change(1, 11, name="b", amount=None, unavailable=toast)])
    assert rows(conn, pg_schema)[1][:3] == ("b", None, "big text")
    # In one batch: a full image then an update with the placeholder -> carried value wins.
    apply(conn, pg_schema, [change(1, 12, name="c", amount=None, evil="newer text"),
                            change(1, 13, name="d", amount=None, unavailable=toast)])
    assert rows(conn, pg_schema)[1][:3] == ("d", None, "newer text")


def test_carried_value_older_than_stored_row_is_not_used(conn: Any, pg_schema: str) -> None:
    apply(conn, pg_schema, [change(1, 20, "c", name="stored", amount=None, evil="stored text")])
    # Out of order: lsn 15 (older than stored) carries into lsn 25 (newer).
    apply(conn, pg_schema, [change(1, 15, name="old", amount=None, evil="old text"),
                            change(1, 25, name="new", amount=None, unavailable=frozenset({EVIL}))])
    assert rows(conn, pg_schema)[1][:3] == ("new", None, "stored text")


def test_refused_value_is_isolated_and_the_rest_written(conn: Any, pg_schema: str) -> None:
    batch = [change(i, 100 + i, "c", name=f"n{i}", amount=Decimal("1.00"), evil=None)
             for i in range(1, 9)]
    batch[4] = change(5, 105, "c", name="n5", amount=Decimal("123456.00"), evil=None)
    r = apply(conn, pg_schema, batch)
    assert [c.key for c, _ in r.rejected] == [(5,)]
    assert r.rejected[0][1] == "value_rejected_22003"  # numeric_value_out_of_range
    assert sorted(rows(conn, pg_schema)) == [1, 2, 3, 4, 6, 7, 8]
    # The halves share one staging table: none saw rows another attempt left in it.
    assert (r.inserted, r.updated, r.skipped_stale) == (7, 0, 0)


def test_the_staging_table_is_reused_and_empty_for_every_table_and_batch(
        conn: Any, pg_schema: str) -> None:
    twin = TableLayout(pg_schema, "items_twin", layout(pg_schema).key, layout(pg_schema).values)
    conn.execute(sqlbuild.create_table(twin))
    assert sqlbuild.staging_name(twin) != sqlbuild.staging_name(layout(pg_schema))
    staged = sql.SQL("select count(*) from {}").format(
        sql.Identifier(sqlbuild.staging_name(layout(pg_schema))))
    first = write_table(conn, layout(pg_schema), [change(1, 10, "c", name="a", amount=None)])
    second = write_table(conn, twin, [change(2, 11, "c", name="b", amount=None)])
    again = write_table(conn, layout(pg_schema), [change(4, 13, "c", name="d", amount=None)])
    assert conn.execute(staged).fetchone() == (1,)  # only this write's row, in the same tx
    conn.commit()
    assert conn.execute(staged).fetchone() == (0,)  # emptied by the commit, kept for reuse
    third = write_table(conn, layout(pg_schema), [change(3, 12, "c", name="c", amount=None)])
    conn.commit()
    results = (first, second, again, third)
    assert [(r.inserted, r.skipped_stale) for r in results] == [(1, 0)] * 4
    assert sorted(rows(conn, pg_schema)) == [1, 3, 4]


@pytest.mark.parametrize("ts_ms", [1_700_000_000_001, 1_790_000_000_999, 4_102_444_799_999,
                                   253_402_300_799_999, -1_500])
def test_source_commit_time_is_stored_to_the_millisecond(
        conn: Any, pg_schema: str, ts_ms: int) -> None:
    c = change(1, 10, "c", name="a", amount=None)
    c.position = Position(10, ts_ms)
    apply(conn, pg_schema, [c])
    stored = conn.execute(sql.SQL("select _source_updated_at from {}").format(
        sql.Identifier(pg_schema, "items"))).fetchone()[0]
    assert stored == datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ts_ms)


def test_evil_column_name_is_just_a_column(conn: Any, pg_schema: str) -> None:
    cols = conn.execute("select column_name from information_schema.columns "
                        "where table_schema = %s and table_name = 'items'", (pg_schema,))
    assert EVIL in {r[0] for r in cols.fetchall()}


def test_a_batch_probes_the_key_instead_of_reading_the_whole_table(
        conn: Any, pg_schema: str) -> None:
    """Cost per batch must follow the batch, not the table: the update joins the staged rows
    through the primary key (PostgreSQL's own choice here was to hash all 100k rows)."""
    table = sql.Identifier(pg_schema, "items")
    conn.execute(sql.SQL("insert into {} (id, name, is_deleted, _source_lsn) "
                         "select n, 'x', false, 1 from generate_series(1, 100000) n").format(table))
    conn.execute(sql.SQL("analyze {}").format(table))
    conn.commit()
    batch = [change(n, 10, name="y", amount=None) for n in range(1, 8001)]
    staging = sqlbuild.staging_name(layout(pg_schema))
    with conn.transaction():  # as the sink's batch transaction: explain what write_table ran
        result = write_table(conn, layout(pg_schema), batch)
        staged = conn.execute(sql.SQL("select count(*) from {}").format(
            sql.Identifier(staging))).fetchone()
        plan = "\n".join(r[0] for r in conn.execute(
            sql.SQL("explain ") + sqlbuild.update_existing(layout(pg_schema), staging)))
    assert staged == (8000,)
    assert result.updated == 8000
    assert "items_pkey" in plan and "Hash" not in plan and "Merge" not in plan, plan
