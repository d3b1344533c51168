"""Bounded retries with exponential backoff for infrastructure failures.

PostgreSQL down, a connection reset, a serialization failure or a deadlock is not the
records' fault, and neither is a schema registry that is down, slow or answering 5xx:
the same work is tried again after a growing pause, up to a time budget, and never
skipped (a registry outage must not send good records to the DLQ as "unknown schema").
Anything else propagates at once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from cdc_core.errors import PostgresUnavailable, RegistryUnavailable
from cdc_sink import pgerrors
from cdc_sink.errors import RetriesExhausted

log = logging.getLogger(__name__)
T = TypeVar("T")


def kind_of(exc: BaseException) -> str:
    return type(exc).__name__


def warehouse_unavailable(exc: BaseException) -> bool:
    """A transient PostgreSQL error by its SQLSTATE (pgerrors.py), not by psycopg's class:
    ``54001`` is an ``OperationalError`` too, and retrying it repeats the refusal. A failed
    connect (``PostgresUnavailable``) is retried like a lost connection."""
    return isinstance(exc, PostgresUnavailable) or pgerrors.classify(exc) == "transient"


def registry_unavailable(exc: BaseException) -> bool:
    """Registry trouble, not a missing schema (cdc_core.registry translates the client's
    errors; a 404 is ``SchemaNotFound``, never retried)."""
    return isinstance(exc, RegistryUnavailable)


def with_retries(work: Callable[[], T], *, on_failure: Callable[[BaseException], None],
                 initial_s: float, max_s: float, budget_s: float,
                 retryable: Callable[[BaseException], bool] = warehouse_unavailable,
                 what: str = "warehouse",
                 stopping: Callable[[], bool] = lambda: False) -> T:
    """Run ``work`` until it succeeds; between tries call ``on_failure`` and back off.

    Every failed try is logged, naming ``what`` was being done, the error and the pause.
    Once ``stopping()`` (SIGTERM) the last failure is raised instead of waiting on: a sink
    whose warehouse refuses it (a wrong password, an untrusted certificate) exits within
    its grace period rather than at the end of the retry budget."""
    delay, started, attempts = initial_s, time.monotonic(), 0
    while True:
        attempts += 1
        try:
            return work()
        except Exception as exc:
            if not retryable(exc):
                raise
            if time.monotonic() - started > budget_s:
                raise RetriesExhausted(attempts, exc) from exc
            log.warning("%s: attempt %d failed (%s: %s); retrying in %.1fs", what,
                        attempts, kind_of(exc), exc, delay)
            on_failure(exc)
            if _wait_unless(stopping, delay):
                raise
            delay = min(delay * 2, max_s)


_STOP_POLL_S = 0.1


def _wait_unless(stopping: Callable[[], bool], delay_s: float) -> bool:
    """Sleep ``delay_s``, looking at ``stopping`` meanwhile; True if it said stop."""
    deadline = time.monotonic() + delay_s
    while not stopping():
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        time.sleep(min(left, _STOP_POLL_S))
    return True
