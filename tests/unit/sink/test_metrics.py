"""cdc_sink.metrics: the batch-fed latency histogram exposes what prometheus_client's does."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry, Histogram, generate_latest

from cdc_sink.metrics import BatchHistogram, SinkMetrics, le_label

BUCKETS = (0.1, 0.25, 1, 5, 600)
# On a bound, between bounds, below the first and above the last bucket.
VALUES = [0.0, 0.1, 0.1000001, 0.2, 0.25, 1.0, 3.3, 5, 599.9, 600, 601, 1e6]


def samples(registry: CollectorRegistry) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in registry.collect() for s in family.samples
            if not s.name.endswith("_created")}


def test_batch_histogram_matches_prometheus_client_histogram() -> None:
    ours, theirs = CollectorRegistry(), CollectorRegistry()
    batch = BatchHistogram("lat_seconds", "doc", ("table",), BUCKETS, ours)
    reference = Histogram("lat_seconds", "doc", ["table"], buckets=BUCKETS, registry=theirs)
    batch.observe_many(("a",), VALUES[:5])
    batch.observe_many(("a",), VALUES[5:])
    batch.observe_many(("b",), [2.0])
    for value in VALUES:
        reference.labels("a").observe(value)
    reference.labels("b").observe(2.0)
    assert samples(ours) == pytest.approx(samples(theirs))
    assert samples(ours)[("lat_seconds_count", (("table", "a"),))] == len(VALUES)


def test_latency_histogram_is_exposed_by_the_sink_metrics() -> None:
    metrics = SinkMetrics()
    metrics.e2e_latency.observe_many(("orders",), [0.3, 4.0])
    text = generate_latest(metrics.registry).decode()
    assert "# TYPE cdc_end_to_end_latency_seconds histogram" in text
    assert 'cdc_end_to_end_latency_seconds_bucket{le="0.5",table="orders"} 1.0' in text
    assert 'cdc_end_to_end_latency_seconds_bucket{le="+Inf",table="orders"} 2.0' in text
    assert 'cdc_end_to_end_latency_seconds_count{table="orders"} 2.0' in text


@pytest.mark.parametrize("bound", [0.005, 0.1, 0.25, 1, 2.5, 10, 600, 1234567.0, 1e9,
                                   float("inf")])
def test_bucket_labels_are_written_as_the_client_writes_its_own(bound: float) -> None:
    from prometheus_client import utils  # the client's helper, compared against in tests only

    assert le_label(bound) == utils.floatToGoString(bound)
