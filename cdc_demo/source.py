"""The source database: create it, apply the example DDL, clean up replication state.

One PostgreSQL cluster serves both sides locally: the source is its own database (``shop``
by default) and the warehouse a schema in the cluster's default database, so Debezium's
publication and slot only ever see the source tables. Against real systems these are two
different servers; nothing here assumes otherwise.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

from cdc_core.pgconnect import connect

DDL = Path(__file__).resolve().parent.parent / "schemas/source/shop.sql"
TABLES = ("customers", "products", "orders", "order_items")


def with_database(dsn: str, dbname: str) -> str:
    """The same server URL pointed at another database."""
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path=f"/{dbname}"))


def create_database(admin_dsn: str, dbname: str) -> str:
    """Create ``dbname`` unless it exists; return its DSN."""
    with connect(admin_dsn, what="source server", autocommit=True) as conn:
        found = conn.execute("select 1 from pg_database where datname = %s", (dbname,))
        if found.fetchone() is None:
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(dbname)))
    return with_database(admin_dsn, dbname)


def apply_ddl(dsn: str, ddl: Path = DDL) -> None:
    """Run the example schema script (idempotent)."""
    with connect(dsn, what="source database", autocommit=True) as conn:
        conn.execute(ddl.read_text().encode())


def drop_replication(dsn: str, slot: str, publication: str, wait_s: float = 30.0) -> None:
    """Drop the connector's slot and publication: a forgotten slot pins WAL forever.
    The slot stays active until the stopped connector's session ends, so wait for that."""
    deadline = time.monotonic() + wait_s
    with connect(dsn, what="source database", autocommit=True) as conn:
        while _slot_active(conn, slot) and time.monotonic() < deadline:
            time.sleep(0.5)
        conn.execute("select pg_drop_replication_slot(slot_name) from pg_replication_slots "
                     "where slot_name = %s and not active", (slot,))
        conn.execute(sql.SQL("drop publication if exists {}").format(sql.Identifier(publication)))


def publish_to(dsn: str, user: str, publication: str) -> None:
    """The source tables readable by ``user`` and in ``publication`` (made unless it exists):
    a connector user that owns no table cannot create it."""
    tables = sql.SQL(", ").join(sql.Identifier("public", t) for t in TABLES)
    with connect(dsn, what="source database", autocommit=True) as conn:
        conn.execute(sql.SQL("grant select on {} to {}").format(tables, sql.Identifier(user)))
        if conn.execute("select 1 from pg_publication where pubname = %s",
                        (publication,)).fetchone() is None:
            conn.execute(sql.SQL("create publication {} for table {}").format(
                sql.Identifier(publication), tables))


def _slot_active(conn: psycopg.Connection[Any], slot: str) -> bool:
    row = conn.execute("select active from pg_replication_slots where slot_name = %s",
                       (slot,)).fetchone()
    return bool(row and row[0])


def drop_database(admin_dsn: str, dbname: str) -> None:
    """Drop the source database (force: the connector may still hold a session)."""
    with connect(admin_dsn, what="source server", autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(
            sql.Identifier(dbname)))
