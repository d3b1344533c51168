"""Consumer lag in records and in seconds, per group, topic and partition.

Records: the partition's high watermark minus the group's committed next offset.
Seconds: how old the oldest unconsumed record is — now minus the timestamp of the record
at the committed offset, read with a separate group-less consumer (assign + seek, one
message); 0 when nothing is unconsumed. Reading the record itself, not estimating from
rates, keeps the figure right after an idle period and after a burst alike.
"""

from __future__ import annotations

import time
from typing import Any

from confluent_kafka import TIMESTAMP_NOT_AVAILABLE, Consumer, TopicPartition


class LagProbe:
    """Measures lag for committed offsets it is given; owns one group-less consumer."""

    def __init__(self, client_config: dict[str, Any]) -> None:
        self._consumer = Consumer({**client_config, "group.id": "cdc-lag-probe",
                                   "enable.auto.commit": False,
                                   "isolation.level": "read_committed",
                                   "enable.partition.eof": False})

    def high_watermark(self, topic: str, partition: int) -> int:
        _low, high = self._consumer.get_watermark_offsets(TopicPartition(topic, partition),
                                                         timeout=5, cached=False)
        return int(high)

    def record_ts_ms(self, topic: str, partition: int, offset: int) -> int | None:
        """Timestamp of the first record at or after ``offset`` (None if none arrives)."""
        self._consumer.assign([TopicPartition(topic, partition, offset)])
        try:
            msg = self._consumer.poll(5)
        finally:
            self._consumer.unassign()
        if msg is None or msg.error():
            return None
        kind, ts = msg.timestamp()
        return None if kind == TIMESTAMP_NOT_AVAILABLE else int(ts)

    def lag(self, topic: str, partition: int, committed: int) -> tuple[int, float]:
        """(records, seconds) behind for a partition whose next offset is ``committed``."""
        high = self.high_watermark(topic, partition)
        records = max(high - committed, 0)
        if records == 0:
            return 0, 0.0
        ts = self.record_ts_ms(topic, partition, committed)
        seconds = max(time.time() - ts / 1000, 0.0) if ts is not None else 0.0
        return records, seconds

    def close(self) -> None:
        self._consumer.close()
