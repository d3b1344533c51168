"""Each class of PostgreSQL refusal (pgerrors.py), provoked for real, and what the sink does.

transient -> retried; data -> the refusing rows isolated, the rest written; schema -> the
table refused (nothing of it written) and halted alone.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
from psycopg import sql

from cdc_core import evolution
from cdc_sink import pgerrors, sqlbuild
from cdc_sink.decode import RowSchema
from cdc_sink.metrics import SinkMetrics
from cdc_sink.retry import warehouse_unavailable
from cdc_sink.sqlbuild import Column, MetaNames, TableLayout
from cdc_sink.tables import Tables
from cdc_sink.writer import write_table
from tests.integration.sink.test_writer import change

DEPTH = 100_000  # far past PostgreSQL's default max_stack_depth for jsonb input


def docs_layout(schema: str) -> TableLayout:
    return TableLayout(schema, "docs", key=(Column("id", "integer"),),
                       values=(Column("doc", "jsonb"), Column("note", "text")))


@pytest.fixture
def conn(postgres_dsn: str, pg_schema: str) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(postgres_dsn) as c:
        c.execute(sqlbuild.create_table(docs_layout(pg_schema)))
        c.commit()
        yield c


def refusal(work: Callable[[], object]) -> psycopg.Error:
    with pytest.raises(psycopg.Error) as caught:
        work()
    return caught.value


def ids(conn: psycopg.Connection[Any], schema: str, table: str = "docs") -> list[int]:
    query = sql.SQL("select id from {} order by id").format(sql.Identifier(schema, table))
    return [r[0] for r in conn.execute(query).fetchall()]


# -- transient ---------------------------------------------------------------------------
def test_a_terminated_backend_is_transient(postgres_dsn: str) -> None:
    with psycopg.connect(postgres_dsn, autocommit=True) as victim, \
            psycopg.connect(postgres_dsn, autocommit=True) as admin:
        admin.execute("select pg_terminate_backend(%s)", (victim.info.backend_pid,))
        exc = refusal(lambda: victim.execute("select 1"))
    assert exc.sqlstate in ("57P01", None), exc  # None: the socket closed before the message
    assert pgerrors.classify(exc) == "transient" and warehouse_unavailable(exc)


def test_a_lock_not_available_is_transient(conn: psycopg.Connection[Any], pg_schema: str,
                                           postgres_dsn: str) -> None:
    table = sql.Identifier(pg_schema, "docs")
    conn.execute(sql.SQL("lock table {} in access exclusive mode").format(table))
    with psycopg.connect(postgres_dsn) as other:
        other.execute("set lock_timeout = '100ms'")
        exc = refusal(lambda: other.execute(sql.SQL("select * from {}").format(table)))
    conn.rollback()
    assert exc.sqlstate == "55P03" and pgerrors.classify(exc) == "transient"


def test_a_serialization_failure_is_transient(conn: psycopg.Connection[Any], pg_schema: str,
                                              postgres_dsn: str) -> None:
    table = sql.Identifier(pg_schema, "docs")
    count = sql.SQL("select count(*) from {}").format(table)
    insert = sql.SQL("insert into {} (id, is_deleted) values (%s, false)").format(table)
    with psycopg.connect(postgres_dsn) as one, psycopg.connect(postgres_dsn) as two:
        for c in (one, two):
            c.execute("set transaction isolation level serializable")
            c.execute(count)
        one.execute(insert, (1,))
        two.execute(insert, (2,))
        one.commit()
        exc = refusal(two.commit)
    assert exc.sqlstate == "40001" and pgerrors.classify(exc) == "transient"


def test_a_deadlock_is_transient(conn: psycopg.Connection[Any], pg_schema: str,
                                 postgres_dsn: str) -> None:
    table = sql.Identifier(pg_schema, "docs")
    conn.execute(sql.SQL("insert into {} (id, is_deleted) values (1, false), (2, false)"
                         ).format(table))
    conn.commit()
    lock = sql.SQL("select 1 from {} where id = %s for update").format(table)
    both = threading.Barrier(2)
    failures: list[psycopg.Error] = []

    def take(first: int, second: int) -> None:
        with psycopg.connect(postgres_dsn) as c:
            c.execute(lock, (first,))
            both.wait(10)
            try:
                c.execute(lock, (second,))
            except psycopg.Error as exc:
                failures.append(exc)

    threads = [threading.Thread(target=take, args=a) for a in ((1, 2), (2, 1))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    [exc] = failures
    assert exc.sqlstate == "40P01" and pgerrors.classify(exc) == "transient"


# -- data --------------------------------------------------------------------------------
def test_a_too_deep_jsonb_is_isolated_and_the_rest_of_the_batch_written(
        conn: psycopg.Connection[Any], pg_schema: str) -> None:
    deep = "[" * DEPTH + "]" * DEPTH
    batch = [change(i, 100 + i, "c", doc=f'{{"n": {i}}}', note=f"n{i}") for i in range(1, 7)]
    batch[2] = change(3, 103, "c", doc=deep, note="deep")
    result = write_table(conn, docs_layout(pg_schema), batch)
    conn.commit()
    assert [(c.key, reason) for c, reason in result.rejected] == [((3,), "value_rejected_54001")]
    assert ids(conn, pg_schema) == [1, 2, 4, 5, 6]
    assert result.refused is None


def test_a_value_out_of_its_column_is_data(conn: psycopg.Connection[Any],
                                           pg_schema: str) -> None:
    exc = refusal(lambda: conn.execute("select 'not json'::jsonb"))
    conn.rollback()
    assert exc.sqlstate == "22P02" and pgerrors.classify(exc) == "data"
    assert not warehouse_unavailable(exc)


# -- schema ------------------------------------------------------------------------------
def test_a_table_missing_a_recorded_column_is_refused_whole(
        conn: psycopg.Connection[Any], pg_schema: str) -> None:
    conn.execute(sql.SQL("alter table {} drop column note").format(
        sql.Identifier(pg_schema, "docs")))
    conn.commit()
    batch = [change(i, 100 + i, "c", doc="{}", note=f"n{i}") for i in range(1, 5)]
    result = write_table(conn, docs_layout(pg_schema), batch)
    conn.commit()
    assert result.refused is not None and result.refused[0] == "schema_rejected_42703"
    assert (result.inserted, result.rejected) == (0, [])
    assert ids(conn, pg_schema) == []


@pytest.fixture
def tables(postgres_dsn: str, pg_schema: str) -> Iterator[Tables]:
    yield Tables(pg_schema, MetaNames(), SinkMetrics())


def _columns(*typed: tuple[str, str]) -> list[evolution.Column]:
    return [evolution.Column(name, avro, nullable=name != "id", has_default=name != "id")
            for name, avro in typed]


def test_our_ddl_refused_halts_that_table_only(postgres_dsn: str, pg_schema: str,
                                               tables: Tables) -> None:
    def schema(table: str, n_type: str) -> RowSchema:
        return RowSchema(table, f"public.{table}", "processed", ("id",),
                         tuple(_columns(("id", "long"), ("n", n_type))), {})

    with psycopg.connect(postgres_dsn) as c:
        with c.transaction():
            tables.bootstrap(c)
        for table in ("refused", "other"):
            tables.layout_for(schema(table, "int"))
        with c.transaction():
            tables.write_pending(c)
        tables.committed()
        c.execute(sql.SQL("alter table {} alter column n type text").format(
            sql.Identifier(pg_schema, "refused")))  # by hand, behind the sink's back
        c.commit()
        for table in ("refused", "other"):
            tables.layout_for(schema(table, "long"))  # int -> long: widened by our DDL
        with c.transaction():
            tables.write_pending(c)
        tables.committed()
        types: dict[str, str] = dict(c.execute(
            "select table_name, data_type from information_schema.columns "
            "where table_schema = %s and column_name = 'n'", (pg_schema,)).fetchall())
        catalog: dict[str, str | None] = dict(c.execute(sql.SQL(
            "select table_name, halted_reason from {}").format(
            sql.Identifier(pg_schema, "_cdc_schemas"))).fetchall())
    assert types == {"refused": "text", "other": "bigint"}
    assert tables.refusal("refused") == "schema_rejected_42804"
    assert tables.refusal("other") is None and not tables.is_halted("other")
    assert catalog["other"] is None
    assert (catalog["refused"] or "").startswith("refused by PostgreSQL: schema_rejected_42804")
