"""The sink's own offsets, stored in the warehouse next to the rows they produced.

``<target_schema>._cdc_offsets`` is written in the same transaction as the rows; on
partition assignment the consumer seeks to what it holds, so Kafka's committed offsets are
only advisory (they feed lag metrics). Offsets never move backwards here: a writer that lost
its partitions in a rebalance but still commits (a zombie) cannot rewind the new owner.

A stored offset outside the partition's current log is never followed silently
(``gap``): before the log start, the records in between were deleted by retention before
the sink wrote them (lost changes); past the end, the topic was recreated or the offsets
came from another cluster, and seeking there would skip every new record up to it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import psycopg
from psycopg import sql

TopicPartition = tuple[str, int]
TABLE = "_cdc_offsets"
BEFORE_LOG_START = "offset_before_log_start"
BEYOND_LOG_END = "offset_beyond_log_end"


def gap(stored: int, log_start: int, log_end: int) -> str | None:
    """Why the stored next offset cannot be resumed from ``[log_start, log_end]``, if so."""
    if stored < log_start:
        return BEFORE_LOG_START
    if stored > log_end:
        return BEYOND_LOG_END
    return None


def create_table(schema: str) -> sql.Composed:
    return sql.SQL(
        "create table if not exists {} (consumer_group text not null, topic text not null, "
        "partition integer not null, next_offset bigint not null, "
        "updated_at timestamptz not null default now(), "
        "primary key (consumer_group, topic, partition))").format(sql.Identifier(schema, TABLE))


def upsert(schema: str) -> sql.Composed:
    return sql.SQL(
        "insert into {t} as o (consumer_group, topic, partition, next_offset) "
        "values (%s, %s, %s, %s) on conflict (consumer_group, topic, partition) do update "
        "set next_offset = greatest(o.next_offset, excluded.next_offset), updated_at = now()"
    ).format(t=sql.Identifier(schema, TABLE))


def write(conn: psycopg.Connection[tuple[object, ...]], schema: str, group: str,
          next_offsets: Mapping[TopicPartition, int]) -> None:
    """Record ``next_offsets`` inside the caller's transaction."""
    rows = [(group, topic, partition, offset) for (topic, partition), offset
            in sorted(next_offsets.items())]
    with conn.cursor() as cur:
        cur.executemany(upsert(schema), rows)


def read(conn: psycopg.Connection[tuple[object, ...]], schema: str, group: str,
         partitions: Iterable[TopicPartition]) -> dict[TopicPartition, int]:
    """Stored next offsets for the given partitions (absent ones are not in the result)."""
    wanted = set(partitions)
    query = sql.SQL("select topic, partition, next_offset from {} where consumer_group = %s"
                    ).format(sql.Identifier(schema, TABLE))
    rows = conn.execute(query, (group,)).fetchall()
    return {(str(t), int(str(p))): int(str(o)) for t, p, o in rows if (t, p) in wanted}
