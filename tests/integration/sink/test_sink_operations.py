"""The sink as operators see it: probes, every DESIGN.md metric, graceful SIGTERM."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
from confluent_kafka.schema_registry import SchemaRegistryClient

from cdc_stack.ports import free_port
from tests.integration.sink.harness import SinkProcess, Target, wait_converged, write_config
from tests.stackfixtures import Services, unique
from tests.support.cdcgen import TABLES, TopicWriter, Workload, produce

METRICS = ("cdc_sink_records_consumed_total", "cdc_sink_rows_upserted_total",
           "cdc_sink_rows_soft_deleted_total", "cdc_sink_rows_skipped_stale_total",
           "cdc_sink_batch_duration_seconds_bucket", "cdc_end_to_end_latency_seconds_bucket",
           "cdc_dlq_records", "cdc_schema_changes_total", "cdc_quality_violations",
           "cdc_table_staleness_seconds", "cdc_consumer_lag_records",
           "cdc_consumer_lag_seconds", "cdc_sink_up")


def _wait_for(url: str, predicate: object, timeout: float = 30) -> httpx.Response:
    deadline = time.monotonic() + timeout
    last: httpx.Response | None = None
    while time.monotonic() < deadline:
        try:
            last = httpx.get(url, timeout=2)
            if callable(predicate) and predicate(last):
                return last
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{url}: condition not met; last {last and last.text[:500]}")


def test_probes_metrics_and_graceful_shutdown(services: Services, pg_schema: str,
                                              tmp_path: Path) -> None:
    registry = SchemaRegistryClient({"url": services.registry_url})
    prefix = unique("ops").replace("-", "")
    writers = {s.table: TopicWriter.register(registry, f"{prefix}.public.{s.table}", s,
                                             processed=True) for s in TABLES}
    at = Target(services.kafka_bootstrap, services.postgres_dsn, pg_schema, unique("sink"),
                tuple(w.topic for w in writers.values()))
    port = free_port()
    cfg = write_config(tmp_path / "sink.yaml", at, services.registry_url, lag_interval_s=0.5)
    cfg.write_text(cfg.read_text().replace("port: 0", f"port: {port}"))
    produce(services.kafka_bootstrap, writers, Workload(seed=3).events(500))
    sink = SinkProcess(cfg, tmp_path / "sink.log").start()
    base = f"http://127.0.0.1:{port}"
    try:
        assert _wait_for(f"{base}/healthz", lambda r: r.status_code == 200).json() == {
            "live": True}
        _wait_for(f"{base}/readyz", lambda r: r.status_code == 200)
        wait_converged(sink, at)
        text = _wait_for(f"{base}/metrics",
                         lambda r: "cdc_consumer_lag_seconds{" in r.text).text
        missing = [m for m in METRICS if m not in text]
        assert missing == [], missing
        assert f'cdc_sink_records_consumed_total{{topic="{prefix}.public.orders"}}' in text
        assert httpx.get(f"{base}/nope", timeout=2).status_code == 404
    finally:
        code = sink.stop()
    assert code == 0, sink.tail()
    assert "sink stopped cleanly" in sink.log.read_text()
