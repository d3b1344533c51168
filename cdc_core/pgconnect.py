"""Connecting to PostgreSQL from the commands: a refused connection is one clear error.

psycopg reports an unreachable server, a wrong password or a missing database as an
``OperationalError`` with a multi-line message.  ``connect`` translates it once, where the
library is called, into ``PostgresUnavailable`` naming what was being reached
(``host:port/database``, never the password).  The sink's own connections retry instead
(cdc_sink/retry.py).
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict

from cdc_core.errors import PostgresUnavailable


def endpoint(dsn: str) -> str:
    """``host:port/database`` of ``dsn`` (a URL or key=value form), without credentials."""
    try:
        info = conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        return "(unparsable DSN)"
    host = info.get("host") or "localhost"
    return f"{host}:{info.get('port') or 5432}/{info.get('dbname') or info.get('user') or ''}"


def connect(dsn: str, *, what: str, **options: Any) -> psycopg.Connection[Any]:
    """``psycopg.connect(dsn, **options)``; a failure to connect is ``PostgresUnavailable``."""
    try:
        return psycopg.connect(dsn, **options)
    except (psycopg.OperationalError, psycopg.ProgrammingError) as exc:
        first = " ".join(str(exc).split()) or type(exc).__name__
        raise PostgresUnavailable(f"{what} {endpoint(dsn)}: cannot connect: {first}") from exc
