"""The sink's warehouse session: one PostgreSQL connection, its work retried (retry.py).

A failed try counts a retry by kind, makes the service unready with the warehouse's reason
and drops the connection, so the next try connects again: a session PostgreSQL has broken
is never reused.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import psycopg

from cdc_core import pgconnect
from cdc_core.errors import PostgresUnavailable
from cdc_sink.health import Health
from cdc_sink.metrics import SinkMetrics
from cdc_sink.retry import kind_of, with_retries

T = TypeVar("T")


class Warehouse:
    """``run(work)`` on the open connection (or a new one) until it succeeds, the retry
    budget (``retry``: initial_s, max_s, budget_s) is spent, or ``stopping()``."""

    def __init__(self, conninfo: str, retry: dict[str, float], metrics: SinkMetrics,
                 health: Health, stopping: Callable[[], bool]) -> None:
        self._conninfo = conninfo
        self._retry = retry
        self._metrics = metrics
        self._health = health
        self._stopping = stopping
        self._conn: psycopg.Connection[Any] | None = None

    def run(self, work: Callable[[psycopg.Connection[Any]], T]) -> T:
        retry = self._retry
        return with_retries(lambda: work(self._connection()), on_failure=self._failed,
                            initial_s=retry["initial_s"], max_s=retry["max_s"],
                            budget_s=retry["budget_s"], stopping=self._stopping)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _connection(self) -> psycopg.Connection[Any]:
        """The open connection, or a new one; failing to connect (a wrong password, an
        untrusted certificate as much as a server down) is ``PostgresUnavailable``: one
        line naming the warehouse (host:port/database, never the password), retried."""
        if self._conn is None or self._conn.closed:
            self._conn = pgconnect.connect(self._conninfo, what="sink: warehouse",
                                           autocommit=True)
        return self._conn

    def _failed(self, exc: BaseException) -> None:
        self._metrics.retries.labels(kind_of(exc)).inc()
        detail = str(exc) if isinstance(exc, PostgresUnavailable) else kind_of(exc)
        self._health.set_ready(False, f"warehouse: {detail}")
        self.close()
