"""``cdc verify``'s I/O edge: read both sides, hand them to ``compare``.

Works against any two PostgreSQL databases (the demo's, a test's, production's): the
source tables' primary keys come from the catalog, every source column is compared.
Reads take a consistent snapshot per side (``repeatable read``); against a live source
the result is a point-in-time comparison, so wait for quiescence or expect in-flight
changes to show up as differences. Waiting also asks ``health`` (e.g. the connector's
status) on every round: a failed Debezium task never converges, so it ends the wait at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

import psycopg
from psycopg import sql

from cdc_core.pgconnect import connect
from cdc_demo.compare import DEFAULT_META, Key, MetaColumns, Snapshot, TableResult, compare

_COLUMNS = ("select column_name from information_schema.columns "
            "where table_schema = %s and table_name = %s order by ordinal_position")
_PRIMARY_KEY = ("select a.attname from pg_index i join pg_attribute a "
                "on a.attrelid = i.indrelid and a.attnum = any(i.indkey) "
                "where i.indrelid = %s::regclass and i.indisprimary "
                "order by array_position(i.indkey, a.attnum)")


@dataclass(frozen=True)
class Side:
    """One database and schema to read tables from."""

    dsn: str
    schema: str


Health = Callable[[], str | None]  # why changes stop flowing, or None while they flow


@dataclass(frozen=True)
class VerifyReport:
    """Per-table results; converged when no table has a mismatch and nothing upstream
    (``pipeline_failure``: a failed connector task) stops changes from arriving."""

    tables: tuple[TableResult, ...]
    pipeline_failure: str | None = None

    @property
    def converged(self) -> bool:
        return self.pipeline_failure is None and all(t.mismatch_count == 0 for t in self.tables)

    @property
    def mismatches(self) -> int:
        return sum(t.mismatch_count for t in self.tables)


def verify(source: Side, warehouse: Side, tables: Iterable[str],
           expected_deleted: Mapping[str, Iterable[Key]] | None = None,
           meta: MetaColumns = DEFAULT_META) -> VerifyReport:
    """Compare every table in ``tables`` between ``source`` and ``warehouse``."""
    deleted = expected_deleted or {}
    with _reader(source.dsn, "source database") as src, \
            _reader(warehouse.dsn, "warehouse") as dw:
        results = []
        for table in tables:
            left = read_source(src, source.schema, table)
            right = read_warehouse(dw, warehouse.schema, table, left.key_columns)
            results.append(compare(left, right, deleted.get(table, ()), meta))
    return VerifyReport(tuple(results))


def wait_converged(source: Side, warehouse: Side, tables: Iterable[str],
                   expected_deleted: Mapping[str, Iterable[Key]] | None = None, *,
                   timeout_s: float = 180.0, every_s: float = 2.0,
                   health: Health | None = None,
                   on_report: Callable[[VerifyReport], None] | None = None) -> VerifyReport:
    """Verify repeatedly until converged, ``health`` reports a failure, or ``timeout_s``;
    return the last report. ``on_report`` sees every round's report (progress)."""
    names = list(tables)
    deadline = time.monotonic() + timeout_s

    def check() -> VerifyReport:
        report = verify(source, warehouse, names, expected_deleted)
        report = replace(report, pipeline_failure=health()) if health is not None else report
        if on_report is not None:
            on_report(report)
        return report

    report = check()
    while not report.converged and report.pipeline_failure is None \
            and time.monotonic() < deadline:
        time.sleep(every_s)
        report = check()
    return report


def read_source(conn: psycopg.Connection[Any], schema: str, table: str) -> Snapshot:
    """A source table; its primary key from the catalog."""
    qualified = sql.Identifier(schema, table).as_string(conn)
    keys = tuple(r[0] for r in conn.execute(_PRIMARY_KEY, (qualified,)).fetchall())
    return _read(conn, schema, table, keys)


def read_warehouse(conn: psycopg.Connection[Any], schema: str, table: str,
                   keys: tuple[str, ...]) -> Snapshot:
    """A warehouse table keyed like its source; absent table = empty (nothing arrived)."""
    return _read(conn, schema, table, keys)


def _read(conn: psycopg.Connection[Any], schema: str, table: str,
          keys: tuple[str, ...]) -> Snapshot:
    columns = tuple(r[0] for r in conn.execute(_COLUMNS, (schema, table)).fetchall())
    if not columns:
        return Snapshot(table, keys, (), {})
    query = sql.SQL("select * from {}").format(sql.Identifier(schema, table))
    cursor = conn.execute(query)
    names = [d.name for d in cursor.description or ()]
    rows = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
    return Snapshot(table, keys, columns, {tuple(r[k] for k in keys): r for r in rows})


@contextmanager
def _reader(dsn: str, what: str) -> Iterator[psycopg.Connection[Any]]:
    """A read-only, repeatable-read connection: one snapshot for all tables of a side."""
    with connect(dsn, what=what) as conn:
        conn.read_only = True
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        yield conn
