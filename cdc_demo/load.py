"""Play a ``Workload`` against the source database at a steady, bounded rate.

``script`` (pure) turns a transaction into parameterised SQL with quoted identifiers;
``Loader`` is the I/O edge: one connection, one database transaction per workload
transaction, paced so that row changes per second average ``rate`` (the loader sleeps while it is
ahead of schedule; the steady rate is what latency measurements need).

The loader shares the machine with the pipeline it measures, so it is kept cheap: a
transaction is sent as one multi-statement ``begin … commit`` block, bound client-side,
with each statement shape rendered once, and the transactions due within one
``ROUND_TRIP_S`` share a round trip as one script of such blocks (each still commits on
its own), so the loader's CPU per row change stays small next to the pipeline's.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from cdc_core.pgconnect import connect
from cdc_demo.workload import Change, Transaction, Workload

# Transactions due within this many seconds are sent in one round trip.
ROUND_TRIP_S = 0.01


def script(txn: Transaction) -> tuple[bytes, list[Any]]:
    """A whole transaction as one multi-statement script and its parameters."""
    parts, params = [], []
    for change in txn:
        parts.append(_statement(change.kind, change.table, tuple(change.key),
                                tuple(change.values)))
        params += _params(change)
    return b"; ".join(parts), params


def script_many(txns: list[Transaction]) -> tuple[bytes, list[Any]]:
    """Several transactions as one script, each in its own ``begin … commit`` block."""
    parts, params = [], []
    for txn in txns:
        query, txn_params = script(txn)
        parts.append(b"begin; " + query + b"; commit")
        params += txn_params
    return b"; ".join(parts), params


@functools.lru_cache(maxsize=512)
def _statement(kind: str, table_name: str, key: tuple[str, ...], columns: tuple[str, ...]
               ) -> bytes:
    """The SQL of one statement shape, identifiers quoted (few shapes: rendered once each)."""
    table = sql.Identifier(table_name)
    where = sql.SQL(" and ").join(sql.SQL("{} = %s").format(sql.Identifier(k)) for k in key)
    if kind == "delete":
        query = sql.SQL("delete from {} where {}").format(table, where)
    elif kind == "update":
        sets = sql.SQL(", ").join(sql.SQL("{} = %s").format(sql.Identifier(c)) for c in columns)
        query = sql.SQL("update {} set {} where {}").format(table, sets, where)
    else:
        names = sql.SQL(", ").join(sql.Identifier(c) for c in [*key, *columns])
        marks = sql.SQL(", ").join(sql.Placeholder() * (len(key) + len(columns)))
        query = sql.SQL("insert into {} ({}) values ({})").format(table, names, marks)
    return query.as_bytes(None)


def _params(change: Change) -> list[Any]:
    """The statement's parameters, in placeholder order."""
    keys = list(change.key.values())
    values = [_param(v) for v in change.values.values()]
    if change.kind == "delete":
        return keys
    return values + keys if change.kind == "update" else [*keys, *values]


def _param(value: Any) -> Any:
    return Jsonb(value) if isinstance(value, dict) else value


@dataclass
class LoadStats:
    """What a load run did."""

    transactions: int = 0
    changes: int = 0
    elapsed_s: float = 0.0

    @property
    def rate(self) -> float:
        return self.changes / self.elapsed_s if self.elapsed_s else 0.0


class Loader:
    """Executes workload transactions on the source, paced to ``rate`` row changes/s."""

    def __init__(self, dsn: str, workload: Workload, rate: float) -> None:
        self.dsn, self.workload, self.rate = dsn, workload, rate
        self.stats = LoadStats()
        self.stop = threading.Event()

    def setup(self) -> None:
        """Insert the initial customers and products."""
        with connect(self.dsn, what="source database", autocommit=True) as conn:
            for txn in self.workload.setup():
                _apply(conn, [txn])

    def run(self, *, duration_s: float | None = None, changes: int | None = None,
            on_commit: Callable[[Transaction], None] | None = None) -> LoadStats:
        """Run until ``duration_s`` passed, ``changes`` were made, or ``stop`` is set."""
        began = time.monotonic()
        with connect(self.dsn, what="source database", autocommit=True) as conn:
            while not self._done(began, duration_s, changes):
                group = self._due(changes)
                _apply(conn, group)
                for txn in group:
                    self._count(txn, began)
                    if on_commit:
                        on_commit(txn)
                self._pace(began)
        return self.stats

    def _due(self, limit: int | None) -> list[Transaction]:
        """The next transactions: at least one, about ``ROUND_TRIP_S`` worth at ``rate``,
        and none more once the run's ``limit`` of changes is reached."""
        budget = max(int(self.rate * ROUND_TRIP_S), 1)
        if limit is not None:
            budget = min(budget, limit - self.stats.changes)
        group = [self.workload.next()]
        size = len(group[0])
        while size < budget:
            group.append(self.workload.next())
            size += len(group[-1])
        return group

    def _done(self, began: float, duration_s: float | None, changes: int | None) -> bool:
        over_time = duration_s is not None and time.monotonic() - began >= duration_s
        over_count = changes is not None and self.stats.changes >= changes
        return self.stop.is_set() or over_time or over_count

    def _count(self, txn: Transaction, began: float) -> None:
        self.stats.transactions += 1
        self.stats.changes += len(txn)
        self.stats.elapsed_s = time.monotonic() - began

    def _pace(self, began: float) -> None:
        """Sleep while ahead of the schedule ``changes / rate``."""
        ahead = self.stats.changes / self.rate - (time.monotonic() - began)
        if ahead > 0:
            time.sleep(ahead)


def _apply(conn: psycopg.Connection[Any], txns: list[Transaction]) -> None:
    """Transactions in one round trip: one script of ``begin … commit`` blocks, bound
    client-side, so each transaction commits on its own (all or nothing)."""
    query, params = script_many(txns)
    with psycopg.ClientCursor(conn) as cur:
        cur.execute(query, params)
