"""PostgreSQL smoke test: psycopg 3 upsert and COPY against the real server."""

from __future__ import annotations

import psycopg
from psycopg import sql


def test_upsert_inserts_then_updates_and_copy_loads(postgres_dsn: str, pg_schema: str) -> None:
    table = sql.Identifier(pg_schema, "items")
    upsert = sql.SQL("insert into {} (id, name) values (%s, %s) "
                     "on conflict (id) do update set name = excluded.name").format(table)
    with psycopg.connect(postgres_dsn) as conn:
        conn.execute(sql.SQL("create table {} (id int primary key, name text)").format(table))
        conn.execute(upsert, (1, "first"))
        conn.execute(upsert, (1, "second"))
        conn.execute(upsert, (2, "other"))
        with conn.cursor().copy(sql.SQL("copy {} (id, name) from stdin").format(table)) as cp:
            for i in range(3, 103):
                cp.write_row((i, f"row {i}"))
        rows = conn.execute(sql.SQL("select id, name from {} order by id limit 3")
                            .format(table)).fetchall()
        count = conn.execute(sql.SQL("select count(*) from {}").format(table)).fetchone()
    assert rows == [(1, "second"), (2, "other"), (3, "row 3")]
    assert count == (102,)


def test_server_has_logical_replication(postgres_dsn: str) -> None:
    with psycopg.connect(postgres_dsn) as conn:
        assert conn.execute("show wal_level").fetchone() == ("logical",)
