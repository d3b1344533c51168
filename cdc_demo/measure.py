"""The figures of the demo report and the benchmark, read from the real services.

- end-to-end latency per row: ``_loaded_at - _source_updated_at`` in the warehouse (the
  source commit time Debezium reports vs. the sink's commit), for rows loaded since the run
  began — the last version of each row, so a row updated ten times counts once;
- consumer lag: the sink's own ``cdc_consumer_lag_seconds`` gauge, sampled while running;
- duplicates dropped: the Flink job's dedup counter, plus the sink's equal-or-older no-ops;
- DLQ records: the records in the run's dead-letter topic.
Parsing and statistics are pure; fetching is at the bottom.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import httpx
from confluent_kafka import Consumer, TopicPartition
from prometheus_client.parser import text_string_to_metric_families
from psycopg import sql

from cdc_core.pgconnect import connect

FLINK_DUPLICATES = "flink_taskmanager_job_task_operator_cdc_duplicates_dropped"


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100) of unsorted ``values``; NaN when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def metric_values(text: str, name: str) -> list[float]:
    """Every sample of metric family ``name`` (counters: the ``_total`` samples)."""
    wanted = {name, f"{name}_total"}
    return [s.value for family in text_string_to_metric_families(text)
            for s in family.samples if s.name in wanted]


@dataclass
class LagSampler:
    """Keeps the maximum of the sink's lag-in-seconds gauge over repeated samples."""

    metrics_url: str
    max_lag_s: float = 0.0
    last_s: float | None = None  # the highest partition's lag in the latest sample

    def sample(self) -> float | None:
        lags = metric_values(fetch_metrics(self.metrics_url), "cdc_consumer_lag_seconds")
        self.max_lag_s = max([self.max_lag_s, *lags])
        self.last_s = max(lags, default=None)
        return self.last_s


def fetch_metrics(url: str) -> str:
    """A Prometheus text exposition; empty when the endpoint does not answer (yet)."""
    try:
        return httpx.get(url, timeout=5).text
    except httpx.HTTPError:
        return ""


def counter_sum(url: str, name: str) -> float:
    return sum(metric_values(fetch_metrics(url), name))


def latencies(dsn: str, schema: str, tables: Iterable[str], since: datetime) -> list[float]:
    """Seconds from source commit to warehouse commit, per row loaded since ``since``."""
    out: list[float] = []
    with connect(dsn, what="warehouse") as conn:
        for table in tables:
            query = sql.SQL("select extract(epoch from _loaded_at - _source_updated_at)::float8"
                            " from {} where _loaded_at >= %s").format(
                sql.Identifier(schema, table))
            out += [float(r[0]) for r in conn.execute(query, (since,)).fetchall()]
    return out


def topic_records(bootstrap: str, topic: str) -> int:
    """Records in ``topic`` (high minus low watermark over its partitions)."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "cdc-demo-measure"})
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        marks = [consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
                 for p in partitions]
    finally:
        consumer.close()
    return sum(high - low for low, high in marks)
