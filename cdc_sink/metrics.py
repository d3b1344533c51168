"""The sink's Prometheus metrics (docs/design.md, "Metrics"), in one registry.

One object holds them so tests and a second sink in the same process get their own
registry instead of colliding in prometheus_client's global one.
"""

from __future__ import annotations

import math
import threading
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from itertools import accumulate

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

_LATENCY_BUCKETS = (0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 20, 30, 60, 120, 300, 600)
_BATCH_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


def le_label(bound: float) -> str:
    """A bucket bound as Prometheus' ``le`` label: Go's float text, as the client writes it
    for its own histograms (``1.0``, ``0.25``, ``+Inf``; exponents past six digits)."""
    value = float(bound)
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    text = repr(value)
    dot = text.find(".")
    if value > 0 and dot > 6:
        mantissa = f"{text[0]}.{text[1:dot]}{text[dot + 1:]}".rstrip("0.")
        return f"{mantissa}e+{dot - 1:02d}"
    return text


class SinkMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.records_consumed = Counter("cdc_sink_records_consumed", "Kafka records consumed",
                                        ["topic"], registry=r)
        self.tombstones = Counter("cdc_sink_tombstones_skipped", "Tombstones skipped",
                                  ["topic"], registry=r)
        self.rows_upserted = Counter("cdc_sink_rows_upserted", "Rows inserted or updated",
                                     ["table"], registry=r)
        self.rows_soft_deleted = Counter("cdc_sink_rows_soft_deleted", "Rows marked deleted",
                                         ["table"], registry=r)
        self.rows_skipped_stale = Counter(
            "cdc_sink_rows_skipped_stale", "Changes not newer than the stored row (no-op)",
            ["table"], registry=r)
        self.history_rows = Counter("cdc_sink_history_rows",
                                    "Changes appended to a history table (replays not)",
                                    ["table"], registry=r)
        self.position_ties = Counter(
            "cdc_sink_position_ties", "Changes of one key that only the Kafka offset ordered "
            "(no source position, equal commit time)", ["table"], registry=r)
        self.batch_duration = Histogram("cdc_sink_batch_duration_seconds",
                                        "Time to commit one batch", buckets=_BATCH_BUCKETS,
                                        registry=r)
        self.batch_changes = Histogram("cdc_sink_batch_changes", "Changes per committed batch",
                                       buckets=(1, 10, 100, 1000, 5000, 20000, 100000),
                                       registry=r)
        self.e2e_latency = BatchHistogram("cdc_end_to_end_latency_seconds",
                                          "Warehouse commit time minus source commit time",
                                          ("table",), _LATENCY_BUCKETS, r)
        self.dlq_records = Counter("cdc_dlq_records", "Records sent to the dead-letter topic",
                                   ["stage", "reason"], registry=r)
        self.schema_changes = Counter("cdc_schema_changes", "Schema changes seen",
                                      ["table", "kind"], registry=r)
        self.quality_violations = Counter("cdc_quality_violations",
                                          "Data-quality expectation violations",
                                          ["table", "expectation", "severity"], registry=r)
        self.table_halted = Gauge("cdc_table_halted", "1 while a table is halted",
                                  ["table", "reason"], registry=r)
        self.partition_halted = Gauge(
            "cdc_sink_partition_halted",
            "1 while a partition is paused: its stored offset is outside the log",
            ["topic", "partition", "reason"], registry=r)
        self.staleness = Gauge("cdc_table_staleness_seconds",
                               "Seconds since the table last received a change",
                               ["table"], registry=r)
        self.freshness_slo = Gauge("cdc_table_freshness_slo_seconds",
                                   "The table's freshness SLO", ["table"], registry=r)
        self.lag_records = Gauge("cdc_consumer_lag_records", "High watermark minus committed",
                                 ["group", "topic", "partition"], registry=r)
        self.lag_seconds = Gauge("cdc_consumer_lag_seconds",
                                 "Age of the oldest unconsumed record",
                                 ["group", "topic", "partition"], registry=r)
        self.commits = Counter("cdc_sink_commits", "Committed batches", registry=r)
        self.retries = Counter("cdc_sink_retries", "Retried infrastructure failures", ["kind"],
                               registry=r)
        self.up = Gauge("cdc_sink_up", "1 while the consume loop runs", registry=r)


class BatchHistogram(Collector):
    """A labelled histogram fed a whole batch of observations at once.

    prometheus_client's ``Histogram`` takes a lock and scans its buckets on every
    ``observe``: per change, that was a visible share of the sink's CPU. Here a batch
    costs one bisect per value and one lock. The exposition is the same: ``_bucket``
    (cumulative, ``le``), ``_sum`` and ``_count`` per label set.
    """

    def __init__(self, name: str, documentation: str, labelnames: Sequence[str],
                 buckets: Sequence[float], registry: CollectorRegistry) -> None:
        self._name, self._doc, self._labelnames = name, documentation, tuple(labelnames)
        self._bounds = [float(b) for b in buckets]  # +Inf is the implied last bucket
        self._les = [le_label(b) for b in self._bounds] + ["+Inf"]
        self._series: dict[tuple[str, ...], tuple[list[int], list[float]]] = {}
        self._lock = threading.Lock()
        registry.register(self)

    def observe_many(self, labels: tuple[str, ...], values: Iterable[float]) -> None:
        counts, total = [0] * len(self._les), 0.0
        for value in values:
            counts[bisect_left(self._bounds, value)] += 1  # first bucket with le >= value
            total += value
        with self._lock:
            held, held_sum = self._series.setdefault(labels, ([0] * len(self._les), [0.0]))
            held[:] = [a + b for a, b in zip(held, counts, strict=True)]
            held_sum[0] += total

    def collect(self) -> Iterator[Metric]:
        family = HistogramMetricFamily(self._name, self._doc, labels=self._labelnames)
        with self._lock:
            series = [(labels, list(counts), total[0])
                      for labels, (counts, total) in self._series.items()]
        for labels, counts, total in series:
            family.add_metric(list(labels), list(zip(self._les, accumulate(counts),
                                                     strict=True)), total)
        yield family
