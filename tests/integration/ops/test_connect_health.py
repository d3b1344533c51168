"""A real Debezium task fails on streaming; ``cdc lag-exporter`` and ``cdc verify`` say so.

The value is a ``timetz`` with a seconds offset (``01:02:03-03:25:12``): PostgreSQL stores
it, Debezium's PostgreSQL task fails converting it while the connector's REST status stays
``RUNNING``, so nothing downstream moves. Connect comes from ``CDC_TEST_CONNECT_URL`` (with
the PostgreSQL and registry of ``CDC_TEST_POSTGRES_DSN`` / ``CDC_TEST_REGISTRY_URL``), else
from a local stack with Connect started for this module.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from cdc_cli.main import main
from cdc_demo import connector, source
from cdc_demo.pipeline import free_port
from cdc_stack import LocalStack, StackSettings
from tests.integration.ops.promstack import CdcProcess
from tests.support.waiting import wait_until

BAD_TIMETZ = "01:02:03-03:25:12"


@dataclass(frozen=True)
class ConnectSide:
    connect_url: str
    registry_v2_url: str
    postgres_dsn: str
    kafka_bootstrap: str


@pytest.fixture(scope="module")
def connect_side(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConnectSide]:
    url = os.environ.get("CDC_TEST_CONNECT_URL")
    if url:
        registry = os.environ["CDC_TEST_REGISTRY_URL"]
        yield ConnectSide(url, registry.replace("/apis/ccompat/v7", "/apis/registry/v2"),
                          os.environ["CDC_TEST_POSTGRES_DSN"],
                          os.environ["CDC_TEST_KAFKA_BOOTSTRAP"])
        return
    stack = LocalStack(StackSettings(services=("kafka", "registry", "postgres", "connect")),
                       tmp_path_factory.mktemp("connect-stack"))
    ep = stack.up().endpoints
    try:
        yield ConnectSide(ep.connect_url, ep.registry_v2_url, ep.postgres_dsn,
                          ep.kafka_bootstrap)
    finally:
        stack.down()


@dataclass(frozen=True)
class Source:
    dsn: str
    connector: str


@pytest.fixture
def captured(connect_side: ConnectSide) -> Iterator[Source]:
    """A source database with one table, captured by its own running connector."""
    run = uuid.uuid4().hex[:10]
    db, name = f"health_{run}", f"health-{run}"
    dsn = source.create_database(connect_side.postgres_dsn, db)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("create table t (id int primary key, tz timetz)")
    params = connector.SourceParams.from_dsn(connect_side.postgres_dsn, name=name,
                                             topic_prefix=f"health_{run}", db_name=db)
    template = connector.load_template()
    template["config"]["table.include.list"] = "public.t"
    connector.register(connect_side.connect_url,
                       connector.connector_spec(params, connect_side.registry_v2_url, template))
    yield Source(dsn, name)
    connector.Connect(connect_side.connect_url).delete(name)
    slots = params.placeholders()
    source.drop_replication(dsn, slots["slot_name"], slots["publication_name"])
    source.drop_database(connect_side.postgres_dsn, db)


def _samples(port: int, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    return {tuple(sorted(s.labels.items())): s.value for f in text_string_to_metric_families(text)
            for s in f.samples if s.name == name}


def _task_up(port: int, connector_name: str) -> float | None:
    key = (("connector", connector_name), ("task", "0"))
    try:
        return _samples(port, "cdc_connect_task_up").get(key)
    except httpx.HTTPError:
        return None


def _exporter(tmp_path: Path, side: ConnectSide, connector_name: str, port: int) -> CdcProcess:
    config = tmp_path / "exporter.yaml"
    config.write_text(yaml.safe_dump({
        "kafka": {"bootstrap_servers": side.kafka_bootstrap}, "groups": ["health-unused"],
        "interval_s": 1, "topic_pattern": "health_.*",
        "connect": {"url": side.connect_url, "connectors": [connector_name]},
        "http": {"host": "127.0.0.1", "port": port}}))
    return CdcProcess(["lag-exporter", "--config", str(config)], tmp_path / "exporter.log")


def test_a_task_failing_on_streaming_drops_its_metric_and_verify_reports_it(
        connect_side: ConnectSide, captured: Source, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    port = free_port()
    exporter = _exporter(tmp_path, connect_side, captured.connector, port)
    try:
        wait_until(lambda: _task_up(port, captured.connector) == 1, 60, "task up = 1")
        with psycopg.connect(captured.dsn, autocommit=True) as conn:
            conn.execute("insert into t values (1, %s)", (BAD_TIMETZ,))
        wait_until(lambda: _task_up(port, captured.connector) == 0, 120,
                   lambda: f"task up = 0; exporter log:\n{exporter.log.read_text()[-2000:]}")
        states = _samples(port, "cdc_connect_task_state")
        assert states[(("connector", captured.connector), ("state", "FAILED"),
                       ("task", "0"))] == 1
    finally:
        assert exporter.stop() == 0
    # the finding the alert exists for: the connector itself still says RUNNING
    assert connector.Connect(connect_side.connect_url).state(captured.connector) == (
        "RUNNING", ["FAILED"])
    _verify_reports_the_failed_task(connect_side, captured, capsys)


def _verify_reports_the_failed_task(side: ConnectSide, captured: Source,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    """With a long ``--wait``, verify returns at once instead of waiting for convergence."""
    capsys.readouterr()
    argv = ["verify", "--source-dsn", captured.dsn, "--warehouse-dsn", side.postgres_dsn,
            "--warehouse-schema", "absent_schema", "--tables", "t", "--wait", "600",
            "--connect-url", side.connect_url, "--connector", captured.connector]
    assert main(argv) == 1
    out = capsys.readouterr().out
    failure = next(line for line in out.splitlines() if line.startswith("PIPELINE FAILURE: "))
    assert failure.startswith(f"PIPELINE FAILURE: Connect {side.connect_url}: connector "
                              f"{captured.connector} (RUNNING; database ")
    assert ": task 0 FAILED: " in failure and "DateTimeParseException" in failure
    assert "DIVERGED" in out
