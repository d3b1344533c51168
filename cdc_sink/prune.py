"""``cdc history prune``: retention of the change history, whole month partitions at a time.

A partition is dropped when every change it can hold is older than the cutoff (its upper
bound is at or before ``now - older_than``); a partly younger month is kept whole. Dropping
takes the sink's DDL lock, so no batch creates a partition meanwhile. A change of a pruned
month that arrives later (a replay from Kafka) creates its partition again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import psycopg
from psycopg import sql

from cdc_core.errors import ConfigError

_AGE = re.compile(r"^(\d+)([dh])$")
_UNITS = {"d": "days", "h": "hours"}
# Every partition of a partitioned table in the history schema, with its upper bound
# (historysql.create_partition writes ``FOR VALUES FROM (...) TO ('<timestamptz>')``).
PARTITIONS = sql.SQL(
    "select c.relname, (regexp_match(pg_get_expr(c.relpartbound, c.oid), "
    "'TO \\(''([^'']+)''\\)'))[1]::timestamptz from pg_inherits i "
    "join pg_class c on c.oid = i.inhrelid join pg_class p on p.oid = i.inhparent "
    "join pg_partitioned_table pt on pt.partrelid = p.oid "
    "join pg_namespace n on n.oid = p.relnamespace where n.nspname = %s order by 1")


def parse_age(text: str) -> timedelta:
    """``90d`` or ``12h``; anything else is the user's mistake, said in one line."""
    found = _AGE.match(text.strip())
    if found is None or int(found[1]) == 0:
        raise ConfigError(f"--older-than: {text!r} is not a positive age such as 90d or 12h")
    return timedelta(**{_UNITS[found[2]]: int(found[1])})


@dataclass(frozen=True)
class Pruned:
    dropped: list[str]
    kept: int


def prune(conn: psycopg.Connection[Any], schema: str, lock_key: str, older_than: timedelta,
          now: datetime, *, dry_run: bool = False) -> Pruned:
    """Drop the history partitions in ``schema`` that end at or before ``now - older_than``."""
    cutoff = now - older_than
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(hashtext(%s))", (lock_key,))
        rows = conn.execute(PARTITIONS, (schema,)).fetchall()
        old = [name for name, upper in rows if upper is not None and upper <= cutoff]
        for name in [] if dry_run else old:
            conn.execute(sql.SQL("drop table {}").format(sql.Identifier(schema, name)))
    return Pruned(old, len(rows) - len(old))
