"""The dead-letter producer: the original key and value bytes plus the headers of docs/design.md.

Delivery is confirmed before the offsets that skip the record are committed (``flush`` is
step 1 of the checkpoint), so a failure never loses a record; a crash between the two may
write a DLQ record twice, which is the safe direction.
"""

from __future__ import annotations

import time
from typing import Any

from confluent_kafka import KafkaError, Message, Producer

from cdc_core.dlq import dlq_headers_for
from cdc_core.errors import CdcError
from cdc_sink.errors import DeadLetterError
from cdc_sink.metrics import SinkMetrics
from cdc_sink.model import RawMessage


class DeadLetters:
    def __init__(self, producer_config: dict[str, Any], topic: str, metrics: SinkMetrics) -> None:
        self.topic = topic
        self._metrics = metrics
        self._producer = Producer({**producer_config, "enable.idempotence": True,
                                   "acks": "all"})
        self._failures: list[str] = []

    def send(self, raw: RawMessage, error: CdcError) -> None:
        """Queue one DLQ record; counted by stage and reason."""
        headers: list[tuple[str, str | bytes | None]] = []
        headers += dlq_headers_for(error, topic=raw.topic, partition=raw.partition,
                                  offset=raw.offset, now_ms=int(time.time() * 1000))
        self._producer.produce(self.topic, key=raw.key, value=raw.value, headers=headers,
                               on_delivery=self._delivered)
        self._producer.poll(0)
        self._metrics.dlq_records.labels(error.stage, error.reason).inc()

    def _delivered(self, err: KafkaError | None, _msg: Message) -> None:
        if err is not None:
            self._failures.append(str(err))

    def flush(self, timeout_s: float = 30.0) -> None:
        """Wait until every queued record is acknowledged, or raise."""
        remaining = self._producer.flush(timeout_s)
        if remaining or self._failures:
            detail = self._failures[0] if self._failures else f"{remaining} still queued"
            self._failures.clear()
            raise DeadLetterError(self.topic, detail)
