"""Kafka Connect and Debezium on the secured stack: the worker and the connector's clients
as user ``connect`` over SASL_SSL, Debezium reading PostgreSQL over TLS (verify-full) as
user ``debezium`` with its password named by file, the Avro converter registering over
HTTPS; the job's user reads the change back; nothing in the worker's log holds a secret."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from confluent_kafka import Consumer
from psycopg import sql

from cdc_stack import LocalStack, StackSettings, connect, security
from tests.stackfixtures import unique


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    settings = StackSettings(secure=True, services=("kafka", "registry", "postgres", "connect"))
    found = LocalStack(settings, Path(tempfile.mkdtemp(prefix="cdc-secure-connect-")))
    found.up()
    try:
        yield found
    finally:
        found.down()


def _source_table(admin_dsn: str, run: str) -> str:
    table = f"items_{run}"
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("create table {} (id int primary key, name text)").format(
            sql.Identifier(table)))
        conn.execute(sql.SQL("grant select on {} to debezium").format(sql.Identifier(table)))
        conn.execute(sql.SQL("create publication {} for table {}").format(
            sql.Identifier(f"pub_{run}"), sql.Identifier(table)))
        conn.execute(sql.SQL("insert into {} values (1, 'first')").format(
            sql.Identifier(table)))
    return table


def _connector(stack: LocalStack, run: str, table: str) -> dict[str, object]:
    ep, secrets = stack.state.endpoints, security.Material(Path(stack.state.endpoints
                                                                 .secrets_dir))
    port = ep.postgres_dsn.split("@127.0.0.1:", 1)[1].split("/", 1)[0]
    return {"name": f"shop-{run}", "config": {
        "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
        "tasks.max": "1", "plugin.name": "pgoutput", "database.hostname": "127.0.0.1",
        "database.port": port, "database.user": "debezium", "database.dbname": "postgres",
        "database.password": f"${{dir:{secrets.directory}:postgres-debezium.password}}",
        "database.sslmode": "verify-full", "database.sslrootcert": str(secrets.ca),
        "topic.prefix": f"shop_{run}", "slot.name": f"slot_{run}",
        "publication.name": f"pub_{run}", "publication.autocreate.mode": "disabled",
        "table.include.list": f"public.{table}", "snapshot.mode": "initial",
        "topic.creation.default.replication.factor": "1",
        "topic.creation.default.partitions": "1",
        **connect.converter_config(ep.registry_v2_url, "key"),
        **connect.converter_config(ep.registry_v2_url, "value")}}


def _first_record(stack: LocalStack, topic: str) -> bytes:
    secrets = security.Material(Path(stack.state.endpoints.secrets_dir))
    consumer = Consumer({**security.librdkafka_config(secrets, "job"),
                         "bootstrap.servers": stack.state.endpoints.kafka_bootstrap,
                         "group.id": unique("cdc-job"), "auto.offset.reset": "earliest"})
    consumer.subscribe([topic])
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            msg = consumer.poll(1)
            if msg is not None and msg.error() is None and msg.value():
                return bytes(msg.value() or b"")
        raise AssertionError(f"no record on {topic}")
    finally:
        consumer.close()


def test_debezium_captures_over_tls_into_sasl_ssl_kafka(stack: LocalStack) -> None:
    ep = stack.state.endpoints
    run = unique("c").replace("-", "")
    table = _source_table(ep.postgres_dsn, run)
    created = httpx.post(f"{ep.connect_url}/connectors", json=_connector(stack, run, table),
                         timeout=60)
    assert created.status_code == 201, created.text
    value = _first_record(stack, f"shop_{run}.public.{table}")
    assert value[0] == 0  # Confluent framing: the converter registered over HTTPS
    log = Path(stack.state.processes["connect"].log_file).read_text(errors="replace")
    secrets = security.Material(Path(ep.secrets_dir))
    for user in security.KAFKA_USERS:
        assert secrets.password(user) not in log
    for user in security.POSTGRES_USERS:
        assert secrets.password(user, "postgres") not in log
