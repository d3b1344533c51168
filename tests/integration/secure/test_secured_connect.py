"""Kafka Connect and Debezium on the secured stack: the worker and the connector's clients
as user ``connect`` over SASL_SSL, Debezium reading PostgreSQL over TLS (verify-full) as
user ``debezium`` with its password named by file, the Avro converter registering over
HTTPS; the job's user reads the change back; nothing in the worker's log holds a secret.
Then the whole path secured: the job (as ``job``, its Java clients' JAAS built from the
shared keys) processes the change and the sink (as ``sink``) lands it in the warehouse.
A connector the database refuses (wrong password, untrusted certificate) is one line from
the tooling that registers it, naming Connect, the connector and the database. And
``cdc demo run`` on this stack converges with every component as its own user."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from confluent_kafka import Consumer
from psycopg import sql

from cdc_demo.connector import ConnectorError, register
from cdc_stack import LocalStack, StackSettings, connect, security
from tests.integration.flink.jobrun import JobProcess, write_config
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


def _job_settings(stack: LocalStack, run: str) -> dict[str, object]:
    ep, secrets = stack.state.endpoints, security.Material(Path(stack.state.endpoints
                                                                 .secrets_dir))
    return {
        "kafka": {"bootstrap_servers": ep.kafka_bootstrap,
                  "topic_pattern": f"shop_{run}\\.public\\..*", "group_id": f"cdc-job-{run}",
                  "properties": {"security.protocol": "SASL_SSL",
                                 "sasl.mechanism": "SCRAM-SHA-512", "sasl.username": "job",
                                 "ssl.ca.location": str(secrets.ca)},
                  "sasl_password_file": str(secrets.password_file("job"))},
        "registry": {"url": ep.registry_url, "ssl_ca_location": str(secrets.ca)},
        "job": {"checkpoint_interval_ms": 1000, "transactional_id_prefix": f"cdc-job-{run}",
                "transaction_timeout_ms": 120000, "execution_mode": "thread"},
        "processing": {"processed_prefix": f"processed_{run}", "dlq_topic": f"cdc_{run}.dlq",
                       "dedup_window_ms": 10000, "idle_partition_ms": 1000},
        "metrics": {"topic": f"cdc_{run}.metrics"},
    }


def test_debezium_job_sink_converge_secured_end_to_end(stack: LocalStack,
                                                        tmp_path: Path) -> None:
    from tests.integration.secure.conftest import Secured
    from tests.integration.secure.sinkrun import SecuredSink, sink_settings

    ep = stack.state.endpoints
    secrets = security.Material(Path(ep.secrets_dir))
    run = unique("e").replace("-", "")
    table = _source_table(ep.postgres_dsn, run)
    created = httpx.post(f"{ep.connect_url}/connectors", json=_connector(stack, run, table),
                         timeout=60)
    assert created.status_code == 201, created.text
    job = JobProcess.start(write_config(tmp_path / "job.yaml", _job_settings(stack, run)),
                           tmp_path / "job.log")
    port = int(ep.postgres_dsn.split("@127.0.0.1:", 1)[1].split("/", 1)[0])
    at = Secured(ep.kafka_bootstrap, ep.registry_url, ep.postgres_dsn, port, secrets, secrets)
    schema = f"wh_{run}"
    sink = SecuredSink(sink_settings(at, group=f"cdc-sink-{run}",
                                     topics=[f"processed_{run}.public.{table}"], schema=schema,
                                     dlq=f"cdc_{run}.dlq"), tmp_path / "sink.log").start()
    try:
        rows = _wait_rows(ep.postgres_dsn, schema, table, job, sink)
    finally:
        sink.stop()
        job.kill()
    assert rows == [(1, "first")]
    output = sink.output() + job.log.read_text(errors="replace")
    for secret in at.passwords():
        assert secret not in output


def _wait_rows(dsn: str, schema: str, table: str, job: JobProcess, sink: object
               ) -> list[tuple[object, ...]]:
    query = sql.SQL("select id, name from {}").format(sql.Identifier(schema, table))
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        assert job.proc.poll() is None, job.tail()
        try:
            with psycopg.connect(dsn) as conn:
                found = conn.execute(query).fetchall()
            if found:
                return found
        except psycopg.errors.UndefinedTable:
            pass
        time.sleep(1)
    raise AssertionError(f"no rows in {schema}.{table}\n{job.tail()}\n{sink!r}")


def _wrong_db_password(stack: LocalStack, tmp: Path, config: dict[str, str]) -> str:
    (tmp / "postgres-debezium.password").write_text("not-the-password")
    config["database.password"] = f"${{dir:{tmp}:postgres-debezium.password}}"
    return 'password authentication failed for user "debezium"'


def _untrusted_db_cert(stack: LocalStack, tmp: Path, config: dict[str, str]) -> str:
    config["database.sslrootcert"] = str(security.generate(tmp / "stranger").ca)
    return "SSL error"


REFUSED = {"postgres-wrong-password": _wrong_db_password,
           "postgres-untrusted-cert": _untrusted_db_cert}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_connector_the_database_refuses_is_one_line(stack: LocalStack, tmp_path: Path,
                                                       case: str) -> None:
    ep = stack.state.endpoints
    run = unique("r").replace("-", "")
    spec = _connector(stack, run, _source_table(ep.postgres_dsn, run))
    config: dict[str, str] = spec["config"]  # type: ignore[assignment]
    cause = REFUSED[case](stack, tmp_path, config)
    with pytest.raises(ConnectorError) as refused:
        register(ep.connect_url, spec, timeout_s=60)
    line = str(refused.value)
    port = ep.postgres_dsn.split("@127.0.0.1:", 1)[1].split("/", 1)[0]
    assert line.startswith(f"Connect {ep.connect_url}: connector shop-{run} (database "
                           f"127.0.0.1:{port}/postgres): refused: "), line
    assert cause in line and "\n" not in line
    secrets = security.Material(Path(ep.secrets_dir))
    for user in security.POSTGRES_USERS:
        assert secrets.password(user, "postgres") not in line


def test_the_demo_runs_on_the_secured_stack(stack: LocalStack) -> None:
    done = subprocess.run([sys.executable, "-m", "cdc_cli.main", "demo", "run", "--stack-dir",
                           str(stack.run_dir), "--duration", "10", "--rate", "50"],
                          capture_output=True, text=True, check=False, timeout=600)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "converged            True" in done.stdout, output
    logs = output.split("pipeline started; logs in ", 1)[1].split("\n", 1)[0]
    output += "".join(p.read_text(errors="replace") for p in Path(logs).glob("*.log"))
    secrets = security.Material(Path(stack.state.endpoints.secrets_dir))
    for user in security.KAFKA_USERS:
        assert secrets.password(user) not in output
    for user in security.POSTGRES_USERS:
        assert secrets.password(user, "postgres") not in output
    assert "Traceback" not in output
