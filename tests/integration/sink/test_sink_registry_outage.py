"""A schema registry outage is waited out: no good record is dead-lettered, no restart.

The sink reaches the registry through a proxy the test takes down. A new writer schema
(an additive v2) arrives while it is down: the sink cannot decode those records, retries
with backoff (metric, readiness off), and writes them once the registry is back.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from confluent_kafka.schema_registry import Schema

from cdc_sink.health import Health
from cdc_sink.metrics import SinkMetrics
from cdc_stack.ports import free_port
from tests.integration.sink.harness import SinkProcess, Target, wait_converged, write_config
from tests.integration.sink.test_sink_evolution import A_V1, A_V2, rec, rows
from tests.stackfixtures import Services, unique
from tests.support.cdcgen import TopicWriter, produce_raw
from tests.support.registry import registry_client
from tests.support.tcpproxy import TcpProxy
from tests.support.waiting import wait_until


def _through(proxy: TcpProxy, url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"127.0.0.1:{proxy.port}"))


def test_records_needing_the_registry_wait_for_it_and_none_is_dead_lettered(
        services: Services, pg_schema: str, tmp_path: Path) -> None:
    registry = registry_client(services.registry_url)
    upstream = urlsplit(services.registry_url)
    proxy = TcpProxy(upstream.hostname or "127.0.0.1", upstream.port or 80)
    topic = f"{unique('reg').replace('-', '')}.public.accounts"
    v1 = TopicWriter.register(registry, topic, A_V1, processed=True)
    dsn, bootstrap = services.postgres_dsn, services.kafka_bootstrap
    at = Target(bootstrap, dsn, pg_schema, unique("sink"), (topic,))
    port = free_port()
    cfg = write_config(tmp_path / "sink.yaml", at, _through(proxy, services.registry_url),
                       retry_initial_backoff_s=0.2, retry_max_backoff_s=1.0, http_port=port)
    sink = SinkProcess(cfg, tmp_path / "sink.log").start()
    metrics = f"http://127.0.0.1:{port}/metrics"
    try:
        produce_raw(bootstrap, [rec(v1, A_V1, 101, id=1, name="one")])
        wait_converged(sink, at, timeout=60)
        pid = sink.proc.pid if sink.proc else None

        proxy.down()
        v2 = TopicWriter.register(registry, topic, A_V2, processed=True)  # a new schema id
        produce_raw(bootstrap, [rec(v2, A_V2, 201, id=2, name="two", email="2@example.com"),
                                rec(v1, A_V1, 211, id=3, name="three")])
        wait_until(lambda: "schema registry" in httpx.get(f"http://127.0.0.1:{port}/readyz",
                                                          timeout=2).text, 60, "readiness off")
        wait_until(lambda: 'cdc_sink_retries_total{kind="' in httpx.get(metrics,
                                                                        timeout=2).text,
                   60, "a counted retry")
        proxy.up()
        wait_converged(sink, at, timeout=60)
        assert sink.alive() and sink.proc is not None and sink.proc.pid == pid
        text = httpx.get(metrics, timeout=2).text
    finally:
        proxy.close()
        code = sink.stop()
    assert code == 0, sink.tail()
    assert rows(dsn, pg_schema, "accounts", "name email") == {
        1: ("one", None), 2: ("two", "2@example.com"), 3: ("three", None)}
    assert "cdc_dlq_records_total{" not in text, text


def test_a_frozen_registry_times_out_per_try_and_is_retried_logged_and_reported(
        services: Services, caplog: pytest.LogCaptureFixture) -> None:
    """Each request is one try bounded by ``registry.timeout_s`` (confluent-kafka's client
    would try four times, silently); the sink's retries log every failed try and keep
    readiness off with the reason, until the registry answers again."""
    from cdc_core.registry import Registry
    from cdc_sink.app import retrying_fetch
    from cdc_sink.config import SinkConfig

    registry = registry_client(services.registry_url)
    subject = f"{unique('frozen')}-value"
    schema_id = registry.register_schema(subject, Schema(json.dumps(A_V1.key_schema("f")),
                                                         "AVRO"))
    upstream = urlsplit(services.registry_url)
    proxy = TcpProxy(upstream.hostname or "127.0.0.1", upstream.port or 80)
    config = SinkConfig.model_validate({
        "kafka": {"bootstrap_servers": services.kafka_bootstrap, "topics": ["unused.a.b"]},
        "registry": {"url": _through(proxy, services.registry_url), "timeout_s": TIMEOUT_S},
        "postgres": {"dsn": services.postgres_dsn},
        "sink": {"retry_initial_backoff_s": 0.2, "retry_max_backoff_s": 0.5}})
    health, metrics = Health(), SinkMetrics()
    fetch = retrying_fetch(Registry(config.registry), config.sink, metrics, health)
    answer: list[str] = []
    proxy.mute()
    worker = threading.Thread(target=lambda: answer.append(fetch(schema_id)), daemon=True)
    try:
        with caplog.at_level(logging.WARNING, logger="cdc_sink.retry"):
            started = time.time()
            worker.start()
            wait_until(lambda: len(_retries_logged(caplog, schema_id)) >= 2, 30,
                       "two logged retries while the registry is frozen")
            ready, reason = health.readiness()
            assert not ready
            assert reason.startswith("sink: schema registry http"), reason  # its URL
            assert f"fetching schema id {schema_id} failed" in reason
            assert "Timeout" in reason, reason
            proxy.mute(False)
            worker.join(30)
        assert not worker.is_alive(), "the schema request hung on the frozen registry"
        assert json.loads(answer[0]) == A_V1.key_schema("f")
        first = next(r for r in caplog.records if "fetching schema id" in r.getMessage())
        assert "ReadTimeout" in first.getMessage()
        # one try, not the client's four: logged after one timeout (bound kept generous)
        assert first.created - started < 2.5 * TIMEOUT_S
    finally:
        proxy.close()


TIMEOUT_S = 2.0


def _retries_logged(caplog: pytest.LogCaptureFixture, schema_id: int) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if f"fetching schema id {schema_id}: attempt" in r.getMessage()]
