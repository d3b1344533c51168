"""``cdc lag-exporter``: consumer lag of groups the sink does not own, as Prometheus metrics.

The Flink job commits its source group's offsets to Kafka on every checkpoint; the sink
commits its group's offsets after each warehouse commit (advisory). This exporter reads those
committed offsets (of the topics matching ``topic_pattern``) and measures lag with the sink's
``LagProbe``: records = high watermark - committed, seconds = age of the record at the
committed offset. Because it
reads Kafka only, it keeps reporting a group whose consumers are stopped, frozen or crashed —
exactly when the consumers' own /metrics go silent.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from confluent_kafka import Consumer, TopicPartition
from prometheus_client import CollectorRegistry, Counter, Gauge

from cdc_core.kafka_problems import ClientProblems
from cdc_ops.config import ExporterConfig
from cdc_sink.lag import LagProbe

log = logging.getLogger(__name__)
LagKey = tuple[str, str, int]  # group, topic, partition


@dataclass(frozen=True)
class PartitionLag:
    group: str
    topic: str
    partition: int
    records: int
    seconds: float

    def labels(self) -> tuple[str, str, str]:
        return self.group, self.topic, str(self.partition)


class CommittedReader:
    """A group's committed offsets, read with a consumer that carries the group id but never
    subscribes (an OffsetFetch, no group membership). Not the admin API: librdkafka 2.16's
    ListConsumerGroupOffsets crashed the process on a broker whose offsets topic was still
    being created."""

    def __init__(self, client_config: dict[str, Any], group: str, topics: re.Pattern[str]
                 ) -> None:
        self.group, self.topics = group, topics
        self._consumer = Consumer({**client_config, "group.id": group,
                                   "enable.auto.commit": False})

    def partitions(self, timeout_s: float) -> list[TopicPartition]:
        meta = self._consumer.list_topics(timeout=timeout_s).topics
        return [TopicPartition(t, p) for t, m in sorted(meta.items())
                if self.topics.fullmatch(t) for p in sorted(m.partitions)]

    def committed(self, timeout_s: float = 10) -> dict[tuple[str, int], int]:
        """Committed next offsets; partitions the group never committed are left out."""
        found = self._consumer.committed(self.partitions(timeout_s), timeout=timeout_s)
        return {(tp.topic, tp.partition): tp.offset for tp in found if tp.offset >= 0}

    def close(self) -> None:
        self._consumer.close()


def measure(probe: LagProbe, group: str, committed: dict[tuple[str, int], int]
            ) -> list[PartitionLag]:
    """Lag of every partition the group has committed (records, seconds)."""
    out = []
    for (topic, partition), offset in sorted(committed.items()):
        records, seconds = probe.lag(topic, partition, offset)
        out.append(PartitionLag(group, topic, partition, records, seconds))
    return out


class LagMetrics:
    """The sink's lag metric names and labels, so dashboards and rules see one family."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.records = Gauge("cdc_consumer_lag_records", "High watermark minus committed",
                             ["group", "topic", "partition"], registry=registry)
        self.seconds = Gauge("cdc_consumer_lag_seconds", "Age of the oldest unconsumed record",
                             ["group", "topic", "partition"], registry=registry)
        self.errors = Counter("cdc_lag_exporter_errors", "Failed lag measurements",
                              ["group"], registry=registry)
        self.last_pass = Gauge("cdc_lag_exporter_last_pass_timestamp_seconds",
                               "When the last measuring pass ended", registry=registry)
        self._shown: dict[str, set[tuple[str, str, str]]] = {}

    def publish(self, group: str, lags: list[PartitionLag]) -> None:
        """Set one group's gauges and drop its series of partitions no longer committed
        (a group that failed to measure is not published: its last values stay)."""
        now = {lag.labels() for lag in lags}
        for lag in lags:
            self.records.labels(*lag.labels()).set(lag.records)
            self.seconds.labels(*lag.labels()).set(lag.seconds)
        for gone in self._shown.get(group, set()) - now:
            self.records.remove(*gone)
            self.seconds.remove(*gone)
        self._shown[group] = now


class LagExporter:
    """Measures every configured group each ``interval_s`` until ``stop()``."""

    def __init__(self, config: ExporterConfig, registry: CollectorRegistry) -> None:
        self.config = config
        plain = config.kafka.client_config()
        # Credential, TLS and ACL problems: one line each, and the pass they spoil names
        # them as the reason it is not ready (cdc_core/kafka_problems.py).
        self.problem: str | None = None  # why the last pass failed; None: it measured all
        self._security: str | None = None
        client = {**ClientProblems("lag-exporter", plain, self._security_problem).settings(),
                  **plain}
        topics = re.compile(config.topic_pattern)
        self._readers = [CommittedReader(client, g, topics) for g in config.groups]
        self._probe = LagProbe(client)
        self.metrics = LagMetrics(registry)
        self._stop = threading.Event()

    def measure_once(self) -> list[PartitionLag]:
        """One pass over the groups; a failing group is counted and skipped, not fatal."""
        lags: list[PartitionLag] = []
        self.problem = None
        for reader in self._readers:
            group = reader.group
            try:
                found = measure(self._probe, group, reader.committed())
            except Exception as exc:  # a broker hiccup must not kill the exporter
                self.metrics.errors.labels(group).inc()
                self.problem = self._security or (
                    f"lag-exporter: kafka {self.config.kafka.bootstrap_servers}: lag of group "
                    f"{group} not measured: {exc}")
                log.warning("%s", self.problem)
                continue
            self.metrics.publish(group, found)
            lags += found
        self.metrics.last_pass.set_to_current_time()
        log.debug("measured %d partitions", len(lags))
        return lags

    def run(self, also: Callable[[], None] | None = None) -> None:
        """Loop; ``also`` (a callable) runs after each pass — e.g. the freshness check."""
        try:
            while not self._stop.is_set():
                self.measure_once()
                if also is not None:
                    also()
                self._stop.wait(self.config.interval_s)
        finally:
            self._probe.close()
            for reader in self._readers:
                reader.close()

    def stop(self, *_: object) -> None:
        self._stop.set()

    def _security_problem(self, line: str) -> None:
        self._security = line
