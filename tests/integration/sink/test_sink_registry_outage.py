"""A schema registry outage is waited out: no good record is dead-lettered, no restart.

The sink reaches the registry through a proxy the test takes down. A new writer schema
(an additive v2) arrives while it is down: the sink cannot decode those records, retries
with backoff (metric, readiness off), and writes them once the registry is back.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx

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


def test_a_registry_answer_that_never_comes_times_out_and_is_retried(
        services: Services) -> None:
    """confluent-kafka's client waits forever by default; the sink's client times out, and
    the client's own retry then succeeds on a fresh connection."""
    from cdc_sink.app import registry_client as sink_registry_client
    from cdc_sink.config import SinkConfig

    upstream = urlsplit(services.registry_url)
    proxy = TcpProxy(upstream.hostname or "127.0.0.1", upstream.port or 80)
    config = SinkConfig.model_validate({
        "kafka": {"bootstrap_servers": services.kafka_bootstrap, "topics": ["unused.a.b"]},
        "registry": {"url": _through(proxy, services.registry_url), "timeout_s": 1.0},
        "postgres": {"dsn": services.postgres_dsn}})
    client = sink_registry_client(config)
    proxy.mute()
    threading.Timer(1.5, proxy.mute, args=(False,)).start()
    answer: list[object] = []
    worker = threading.Thread(target=lambda: answer.append(client.get_subjects()), daemon=True)
    started = time.monotonic()
    worker.start()
    worker.join(30)
    try:
        assert not worker.is_alive(), "the registry call hung on the lost response"
        assert isinstance(answer[0], list)
        assert time.monotonic() - started >= 1.0  # the first attempt did time out
    finally:
        proxy.close()
