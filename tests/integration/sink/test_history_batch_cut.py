"""The change history against the real PostgreSQL writer, as properties.

The sequences of test_batch_cut_invariance.py (inserts, updates, deletes with every
before-image, revivals, unavailable values, duplicates, out-of-order arrival, two writer
schemas, changes without a source position), written with their history in the batch's
transaction, whole, one per batch and split anywhere:
- the history holds exactly the distinct changes, whatever the cuts, each once, every value
  the change carried and NULL plus its name in ``_unavailable_columns`` for the others;
- replaying the whole sequence again appends nothing;
- the history's as-of state at "now" agrees with the current-state table.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from psycopg import sql

from cdc_sink import sqlbuild
from cdc_sink.collapse import collapse
from cdc_sink.history import History, HistoryPolicy
from cdc_sink.writer import write_table
from tests.integration.sink.test_batch_cut_invariance import (
    Spec,
    histories,
    layout,
    to_change,
)

TABLES = ("one_batch", "per_change", "split")
HISTORY_COLUMNS = ("id", "a", "b", "body", "_op", "_deleted", "_unavailable_columns",
                   "_source_position", "_source_lsn", "_source_updated_at", "_event_id",
                   "_kafka_topic", "_kafka_partition", "_kafka_offset")


def history_of(schema: str) -> History:
    return History(f"{schema}_h", HistoryPolicy(True, {}, {}), f"cdc_sink:{schema}")


def apply_batches(conn: psycopg.Connection[Any], history: History, schema: str, table: str,
                  specs: list[Spec], *, cuts: list[int]) -> int:
    """Rows appended to the history."""
    total = 0
    changes = [to_change(s, offset, table) for offset, s in enumerate(specs)]
    current = layout(schema, table)
    for start, end in itertools.pairwise([0, *cuts, len(changes)]):
        if start < end:
            part = changes[start:end]
            history.begin()
            history.prepare(conn, current, part)
            write_table(conn, current, collapse(part).changes)
            appended = history.write(conn, current, part)
            assert appended.rejected == []
            conn.commit()
            history.committed()
            total += appended.appended
    return total


def history_rows(conn: psycopg.Connection[Any], schema: str, table: str) -> list[Any]:
    query = sql.SQL("select {} from {} order by _event_id").format(
        sql.SQL(", ").join(map(sql.Identifier, HISTORY_COLUMNS)), sql.Identifier(schema, table))
    return conn.execute(query).fetchall()


def expected_rows(specs: list[Spec], table: str) -> list[tuple[Any, ...]]:
    """One row per distinct change (its first arrival), as the history must hold it."""
    firsts: dict[str, tuple[Any, ...]] = {}
    for offset, s in enumerate(specs):
        c = to_change(s, offset, table)
        if c.event_id in firsts:
            continue
        values = [None if n in c.unavailable else c.columns.get(n) for n in ("a", "b", "body")]
        missing = sorted(c.unavailable) + [n for n in ("a", "b", "body")
                                           if n not in c.columns and n not in c.unavailable]
        firsts[c.event_id] = (s.key, *values, c.op, c.deleted, missing, c.position.key,
                              c.position.lsn, c.position.ts_ms, c.event_id, c.origin.topic,
                              c.origin.partition, c.origin.offset)
    return [firsts[e] for e in sorted(firsts)]


def comparable(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """A stored row with its commit time as epoch ms, its position as bytes."""
    *head, pos, lsn, ts, eid, topic, partition, offset = row
    return (*head, bytes(pos), lsn, round(ts.timestamp() * 1000), eid, topic, partition,
            offset)


def as_of_now(conn: psycopg.Connection[Any], schema: str, table: str) -> dict[int, Any]:
    query = sql.SQL("select id, a, b, body, _deleted from {}(now()) order by id").format(
        sql.Identifier(schema, f"{table}__as_of"))
    return {r[0]: r[1:] for r in conn.execute(query).fetchall()}


def current_rows(conn: psycopg.Connection[Any], schema: str, table: str) -> dict[int, Any]:
    query = sql.SQL("select id, a, b, body, is_deleted from {} order by id").format(
        sql.Identifier(schema, table))
    return {r[0]: r[1:] for r in conn.execute(query).fetchall()}


@pytest.fixture
def conn(postgres_dsn: str, pg_schema: str) -> Any:
    with psycopg.connect(postgres_dsn) as c:
        yield c


@pytest.fixture
def hist(conn: psycopg.Connection[Any], pg_schema: str) -> Iterator[History]:
    """The current and the history tables, created (as the sink does) before any data."""
    history = history_of(pg_schema)
    history.begin()
    for table in TABLES:
        conn.execute(sqlbuild.create_table(layout(pg_schema, table)))
        history.prepare(conn, layout(pg_schema, table), [])
    conn.commit()
    history.committed()
    yield history
    conn.rollback()
    conn.execute(sql.SQL("drop schema {} cascade").format(sql.Identifier(history.schema)))
    conn.commit()


@settings(max_examples=120, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=histories())
def test_the_history_holds_each_distinct_change_once_wherever_batches_are_cut(
        conn: psycopg.Connection[Any], pg_schema: str, hist: History,
        history: tuple[list[Spec], list[int]]) -> None:
    specs, cuts = history
    names = [sql.Identifier(s, t) for t in TABLES for s in (pg_schema, hist.schema)]
    conn.execute(sql.SQL("truncate {}").format(sql.SQL(", ").join(names)))
    conn.commit()
    apply_batches(conn, hist, pg_schema, "one_batch", specs, cuts=[])
    apply_batches(conn, hist, pg_schema, "per_change", specs, cuts=list(range(1, len(specs))))
    apply_batches(conn, hist, pg_schema, "split", specs, cuts=cuts)
    for table in TABLES:
        stored = [comparable(r) for r in history_rows(conn, hist.schema, table)]
        assert stored == expected_rows(specs, table)
    assert apply_batches(conn, hist, pg_schema, "split", specs, cuts=[]) == 0  # a replay
    assert len(history_rows(conn, hist.schema, "split")) == len(expected_rows(specs, "split"))


def test_the_history_as_of_now_agrees_with_the_current_table(
        conn: psycopg.Connection[Any], pg_schema: str, hist: History) -> None:
    """Arrival in position order (the sink's current state then holds every value the
    history does): inserts, placeholders, deletes with key-only images, revivals."""
    v = "full"
    specs = [Spec(1, "c", 1, 0, "a1", "b1", "body1", False, False, v),
             Spec(2, "c", 2, 0, "a2", None, "body2", False, False, v),
             Spec(1, "u", 3, 1, "a1'", "b1'", None, False, True, v),  # body unavailable
             Spec(2, "d", 4, 1, None, None, None, False, False, "key"),
             Spec(3, "c", 5, 1, "a3", "b3", "body3", True, False, v),  # older writer: no b
             Spec(2, "c", 6, 2, "a2'", "b2'", "body2'", False, False, v),  # revival
             Spec(3, "d", 7, 2, None, None, None, False, False, "key"),
             Spec(1, "u", 8, 3, "a1''", None, None, True, True, v)]  # no b, body unavailable
    apply_batches(conn, hist, pg_schema, "split", specs, cuts=[2, 3, 5])
    current = current_rows(conn, pg_schema, "split")
    assert as_of_now(conn, hist.schema, "split") == current
    assert current[1] == ("a1''", "b1'", "body1", False)
