"""The values that travel between the job's stages.

They are plain named tuples of primitives: Flink pickles them between operators that are
not chained (after every ``key_by``), so they must be small, picklable and importable on
every worker.  The processed value is already Avro-encoded when it leaves the decoder, so
later stages move bytes, not dicts; enrichment appends its fields' encoding (see
``flink_jobs.enrich``).
"""

from __future__ import annotations

from typing import NamedTuple


class RawRecord(NamedTuple):
    """One Kafka record of a raw Debezium topic, as the source hands it over."""

    key: bytes | None
    value: bytes | None
    topic: str
    partition: int
    offset: int
    headers: dict[str, bytes]


class Change(NamedTuple):
    """A validated change on its way to ``processed.<schema>.<table>``."""

    table: str  # schema.table
    pk: str  # routing key: dedup.bucket of table + canonical primary key (per-row order)
    event_id: str
    ts_ms: int  # source commit time: the event time
    op: str
    topic: str  # the processed topic
    key: bytes  # framed processed key
    value: bytes  # framed processed value; without the enrichment suffix if ``join`` is set
    join: str | None  # enrichment lookup key (see enrich.join_key); None: nothing to look up
    sums: tuple[tuple[str, str], ...]  # configured metric columns as (column, decimal text)


class DimUpdate(NamedTuple):
    """A dimension row's latest values, for the enrichment state of its key."""

    join: str
    ts_ms: int
    lsn: int | None
    fields: dict[str, str | None]  # dimension column -> value as text

    @property
    def pk(self) -> str:
        """Unbucketed routing key through the dedup stage (which forwards dimension updates as
        is); the decoder buckets it like a Change's."""
        return self.join


class Counted(NamedTuple):
    """What the windowed metrics need of an emitted change."""

    table: str
    ts_ms: int
    op: str
    sums: tuple[tuple[str, str], ...]


class OutRecord(NamedTuple):
    """A record for the Kafka sink: topic, key, value, headers (DLQ metadata)."""

    topic: str
    key: bytes | None
    value: bytes | None
    headers: dict[str, bytes]
