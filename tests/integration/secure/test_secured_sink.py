"""The sink against the secured stack: it converges through SASL_SSL into TLS PostgreSQL,
and a wrong password, an untrusted certificate or a missing ACL is one clear line naming the
sink and the endpoint, a not-ready probe, and no secret anywhere in its output."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic
from confluent_kafka.schema_registry import SchemaRegistryClient
from psycopg import sql

from tests.integration.secure.conftest import Secured
from tests.integration.secure.sinkrun import SecuredSink, sink_settings
from tests.integration.sink.warehouse import assert_matches_model
from tests.stackfixtures import unique
from tests.support.cdcgen import Workload, processed_writers, produce


def _names() -> tuple[str, str, str, str]:
    """Topic prefix, group, warehouse schema, DLQ: under the prefixes the ACLs grant."""
    run = unique("s").replace("-", "")
    return f"processed_{run}", f"cdc-sink-{run}", f"wh_{run}", f"cdc_{run}.dlq"


def _registry(at: Secured) -> SchemaRegistryClient:
    return SchemaRegistryClient({"url": at.registry_url, "ssl.ca.location": str(at.secrets.ca),
                                 "timeout": 10})


def _stored(at: Secured, schema: str, group: str) -> dict[tuple[str, int], int]:
    query = sql.SQL("select topic, partition, next_offset from {} where consumer_group = %s"
                    ).format(sql.Identifier(schema, "_cdc_offsets"))
    try:
        with psycopg.connect(at.admin_dsn) as conn:
            return {(t, p): o for t, p, o in conn.execute(query, (group,)).fetchall()}
    except psycopg.errors.UndefinedTable:
        return {}


def _assert_clean(output: str, at: Secured) -> None:
    assert "Traceback" not in output, output
    for secret in at.passwords():
        assert secret not in output


def test_sink_converges_through_sasl_ssl_into_verify_full_postgres(
        secured: Secured, tmp_path: Path) -> None:
    prefix, group, schema, dlq = _names()
    writers = processed_writers(_registry(secured), prefix)
    workload = Workload(seed=25)
    events = workload.events(600)
    produce(secured.bootstrap, writers, events, client=secured.kafka("job"))
    per_topic = Counter(writers[ev.spec.table].topic for ev in events)
    garbage_topic = writers["customers"].topic  # one record no schema decodes: a dead letter
    _produce_garbage(secured, garbage_topic)
    per_topic[garbage_topic] += 1
    sink = SecuredSink(sink_settings(secured, group=group, topics=sorted(per_topic),
                                     schema=schema, dlq=dlq), tmp_path / "sink.log").start()
    try:
        target = {(topic, 0): n for topic, n in per_topic.items()}
        deadline = time.monotonic() + 180
        while _stored(secured, schema, group) != target and time.monotonic() < deadline:
            assert sink.proc is not None and sink.proc.poll() is None, sink.output()
            time.sleep(0.3)
        assert _stored(secured, schema, group) == target, sink.output()
        assert sink.readiness() == (True, "")
        metrics = httpx.get(f"http://127.0.0.1:{sink.settings['http']['port']}/metrics",
                            timeout=5).text
    finally:
        assert sink.stop() == 0
    assert_matches_model(secured.admin_dsn, schema, workload)
    headers = _dead_letter_headers(secured, dlq)
    assert headers["cdc.source.topic"] == garbage_topic
    _assert_clean(sink.output() + metrics + repr(headers), secured)


def _produce_garbage(at: Secured, topic: str) -> None:
    producer = Producer({**at.kafka("job"), "bootstrap.servers": at.bootstrap})
    producer.produce(topic, key=b"\x00\x00\x00\x00\x01", value=b"not avro")
    assert producer.flush(30) == 0


def _dead_letter_headers(at: Secured, dlq: str) -> dict[str, str]:
    consumer = Consumer({**at.kafka("admin"), "bootstrap.servers": at.bootstrap,
                         "group.id": unique("dlq-reader"), "auto.offset.reset": "earliest"})
    consumer.subscribe([dlq])
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            msg = consumer.poll(1)
            if msg is not None and msg.error() is None:
                return {k: (v or b"").decode(errors="replace") for k, v in msg.headers() or []}
        raise AssertionError(f"no dead letter on {dlq}")
    finally:
        consumer.close()


def _wrong_password(at: Secured, tmp: Path, s: dict[str, Any]) -> tuple[str, str]:
    wrong = tmp / "wrong.password"
    wrong.write_text("not-the-password\n")
    s["kafka"]["sasl_password_file"] = str(wrong)
    return "kafka", f"sink: kafka {at.bootstrap} (user sink): authentication failed"


def _untrusted_kafka(at: Secured, tmp: Path, s: dict[str, Any]) -> tuple[str, str]:
    s["kafka"]["properties"]["ssl.ca.location"] = str(at.stranger.ca)
    return "kafka", f"sink: kafka {at.bootstrap} (user sink): TLS failed"


def _missing_acl(at: Secured, tmp: Path, s: dict[str, Any]) -> tuple[str, str]:
    topic = f"forbidden_{unique('t')}"
    admin = AdminClient({**at.kafka("admin"), "bootstrap.servers": at.bootstrap})
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(30)
    s["kafka"]["topics"] = [topic]
    return "kafka", f"sink: kafka {at.bootstrap} (user sink): not authorized (missing ACL)"


def _wrong_pg_password(at: Secured, tmp: Path, s: dict[str, Any]) -> tuple[str, str]:
    wrong = tmp / "wrong.pgpass"
    wrong.write_text("127.0.0.1:*:*:sink:not-the-password\n")
    wrong.chmod(0o600)
    s["postgres"]["dsn"] = at.dsn("sink").replace(str(at.secrets.pgpass("sink")), str(wrong))
    return "postgres", (f"sink: warehouse 127.0.0.1:{at.postgres_port}/postgres: cannot "
                        "connect")


def _untrusted_pg(at: Secured, tmp: Path, s: dict[str, Any]) -> tuple[str, str]:
    s["postgres"]["dsn"] = at.dsn("sink").replace(str(at.secrets.ca), str(at.stranger.ca))
    return "postgres", (f"sink: warehouse 127.0.0.1:{at.postgres_port}/postgres: cannot "
                        "connect: connection failed: connection to server at \"127.0.0.1\", "
                        f"port {at.postgres_port} failed: SSL error")


def _untrusted_registry(at: Secured, tmp: Path, s: dict[str, Any]) -> tuple[str, str]:
    s["registry"]["ssl_ca_location"] = str(at.stranger.ca)
    prefix = s["kafka"]["topics"][0].split(".")[0]
    writers = processed_writers(_registry(at), prefix)
    workload = Workload(seed=3)
    produce(at.bootstrap, writers, workload.events(5), client=at.kafka("job"))
    s["kafka"]["topics"] = sorted(w.topic for w in writers.values())
    return "registry", f"sink: schema registry {at.registry_url}: fetching schema id"


CASES = {"kafka-wrong-password": _wrong_password, "kafka-untrusted-cert": _untrusted_kafka,
         "kafka-missing-acl": _missing_acl, "postgres-wrong-password": _wrong_pg_password,
         "postgres-untrusted-cert": _untrusted_pg, "registry-untrusted-cert": _untrusted_registry}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_refused_connection_is_one_clear_line_and_not_ready(
        secured: Secured, tmp_path: Path, case: str) -> None:
    prefix, group, schema, dlq = _names()
    settings = sink_settings(secured, group=group, topics=[f"{prefix}.public.customers"],
                             schema=schema, dlq=dlq)
    _, expected = CASES[case](secured, tmp_path, settings)
    sink = SecuredSink(settings, tmp_path / "sink.log").start()
    try:
        reason = sink.wait_not_ready_with(expected)
    finally:
        sink.stop()
    output = sink.output()
    lines = [line for line in output.splitlines() if expected in line]
    assert lines, output
    assert "\n" not in reason
    _assert_clean(output + reason, secured)
