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
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, TopicPartition
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


def topic_records(client: dict[str, Any], topic: str, timeout_s: float = 60.0) -> int:
    """Committed records in ``topic``, read to the end of every partition (``client``: the
    brokers and any security settings).

    Offsets are no count: a transactional producer's commit markers take offsets too."""
    consumer = Consumer({**client, "group.id": "cdc-demo-measure",
                         "isolation.level": "read_committed", "enable.auto.commit": False,
                         "enable.partition.eof": True})
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
        return _count_to_end(consumer, len(partitions), time.monotonic() + timeout_s)
    finally:
        consumer.close()


def _count_to_end(consumer: Consumer, partitions: int, deadline: float) -> int:
    count, ended = 0, set[int]()
    while len(ended) < partitions:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{partitions - len(ended)} partitions not read to their end")
        msg = consumer.poll(0.5)
        if msg is None:
            continue
        error = msg.error()
        if error is not None and error.code() == KafkaError._PARTITION_EOF:
            ended.add(int(msg.partition() or 0))
        elif error is not None:
            raise RuntimeError(f"reading {msg.topic()}: {error}")
        else:
            count += 1
    return count
