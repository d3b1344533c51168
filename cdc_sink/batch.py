"""The in-flight batch: changes per table, the offsets they advance, when to commit.

Every consumed message advances its partition's next offset here, whether it became a
change, went to the DLQ or was a tombstone: the commit that stores the offsets is the
commit that made each of those outcomes durable.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from cdc_sink.model import SinkChange
from cdc_sink.sqlbuild import TableLayout

TopicPartition = tuple[str, int]


@dataclass
class Batch:
    max_rows: int
    max_wait_s: float
    changes: dict[str, list[SinkChange]] = field(default_factory=dict)
    layouts: dict[str, TableLayout] = field(default_factory=dict)
    next_offsets: dict[TopicPartition, int] = field(default_factory=dict)
    first_ts_ms: dict[TopicPartition, int] = field(default_factory=dict)  # for lag seconds
    source_ts_ms: dict[str, list[int]] = field(default_factory=dict)  # by table
    opened: float | None = None

    def note(self, tp: TopicPartition, offset: int, timestamp_ms: int | None) -> None:
        """A message of ``tp`` at ``offset`` was handled."""
        if self.opened is None:
            self.opened = time.monotonic()
        self.next_offsets[tp] = offset + 1
        if timestamp_ms is not None:
            self.first_ts_ms.setdefault(tp, timestamp_ms)

    def add(self, change: SinkChange, layout: TableLayout, source_ts_ms: int) -> None:
        self.changes.setdefault(change.table, []).append(change)
        self.layouts[change.table] = layout
        self.source_ts_ms.setdefault(change.table, []).append(source_ts_ms)

    def size(self) -> int:
        return sum(len(c) for c in self.changes.values())

    def due(self) -> bool:
        """A table reached the row limit, or the oldest message waited long enough."""
        if self.opened is None:
            return False
        if any(len(c) >= self.max_rows for c in self.changes.values()):
            return True
        return time.monotonic() - self.opened >= self.max_wait_s

    def empty(self) -> bool:
        return not self.next_offsets

    def forget(self, partitions: set[TopicPartition]) -> None:
        """Drop offsets of partitions no longer ours (after an abandoned batch)."""
        for tp in partitions:
            self.next_offsets.pop(tp, None)
            self.first_ts_ms.pop(tp, None)
