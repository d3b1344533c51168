"""What a PostgreSQL refusal means for the sink, decided once from its SQLSTATE.

psycopg's exception classes do not follow the answer the sink needs: ``54001 stack depth
limit exceeded`` (a jsonb value nested too deep) is an ``OperationalError`` like a lost
connection, yet retrying it only repeats the refusal. So every error raised where the sink
calls PostgreSQL is put in one of four classes by its SQLSTATE:

- ``transient``: the server or the moment, not the rows (connection classes 08, 40001
  serialization failure, 40P01 deadlock, 53 insufficient resources, 55P03 lock not
  available, 57P01-57P03 shutdown/starting up, 57014 cancelled, 58 system I/O; and any
  connection failure without a SQLSTATE). The whole transaction is retried with backoff.
- ``data``: a value (22 data exception, 23 integrity constraint violation, 54 program limit
  exceeded). The refusing rows are isolated to the DLQ, the rest of the batch commits.
- ``schema``: a table (42 syntax error or access rule violation, 0A feature not supported),
  e.g. our DDL refused because the warehouse table was changed by hand. That table halts;
  the other tables go on.
- ``fatal``: anything else (a bug, an internal error). It propagates and the sink exits.
"""

from __future__ import annotations

from typing import Literal

import psycopg

ErrorClass = Literal["transient", "data", "schema", "fatal"]

_TRANSIENT_CLASSES = ("08", "53", "58")
_TRANSIENT_STATES = frozenset({"40001", "40P01", "40003", "55P03", "57P01", "57P02",
                               "57P03", "57014"})
_DATA_CLASSES = ("22", "23", "54")
_SCHEMA_CLASSES = ("42", "0A")


def classify(exc: BaseException) -> ErrorClass:
    """The class of ``exc``; an exception that is not PostgreSQL's is ``fatal``."""
    if not isinstance(exc, psycopg.Error):
        return "fatal"
    state = exc.sqlstate
    if state is None:  # raised by the client: the connection broke or is closed
        transient = isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError)
        return "transient" if transient else "fatal"
    return of_sqlstate(state)


def of_sqlstate(state: str) -> ErrorClass:
    if state in _TRANSIENT_STATES or state.startswith(_TRANSIENT_CLASSES):
        return "transient"
    if state.startswith(_DATA_CLASSES):
        return "data"
    if state.startswith(_SCHEMA_CLASSES):
        return "schema"
    return "fatal"


def reason(prefix: str, exc: psycopg.Error) -> str:
    """A DLQ reason naming the SQLSTATE, e.g. ``value_rejected_54001``."""
    return f"{prefix}_{exc.sqlstate or 'unknown'}"
