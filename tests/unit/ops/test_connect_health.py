"""Connect status parsing and the connector/task health gauges (no Connect)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import pytest
from prometheus_client import CollectorRegistry

from cdc_ops import serve
from cdc_ops.config import load
from cdc_ops.connect_health import (
    ConnectMetrics,
    ConnectorStatus,
    describe_failure,
    parse_status,
)

TRACE = "org.apache.kafka.connect.errors.ConnectException: An exception occurred\n\tat x"


def _status(connector: str, *tasks: str, trace: str = "") -> dict[str, Any]:
    return {"status": {"name": "x", "connector": {"state": connector, "worker_id": "w"},
                       "tasks": [{"id": i, "state": s, "worker_id": "w", "trace": trace}
                                 for i, s in enumerate(tasks)]}}


def test_a_failed_task_under_a_running_connector_is_down() -> None:
    [status] = parse_status({"shop": _status("RUNNING", "FAILED", trace=TRACE)})
    assert status.state == "RUNNING" and not status.up
    assert [(t.task, t.state, t.up) for t in status.tasks] == [("0", "FAILED", False)]
    assert describe_failure(status) == (
        "connector shop (RUNNING): task 0 FAILED: org.apache.kafka.connect.errors."
        "ConnectException: An exception occurred")


def test_a_connector_without_tasks_or_unknown_to_connect_is_down() -> None:
    body = {"a": _status("RUNNING"), "b": _status("RUNNING", "RUNNING")}
    found = {s.name: s for s in parse_status(body, only=["a", "b", "gone"])}
    assert (found["a"].up, found["b"].up, found["gone"].state) == (False, True, "MISSING")
    assert describe_failure(found["gone"]) == "connector gone (MISSING): task - MISSING: no trace"


def test_gauges_follow_states_and_forget_removed_connectors() -> None:
    registry = CollectorRegistry()
    metrics = ConnectMetrics(registry)
    metrics.publish(parse_status({"a": _status("RUNNING", "RUNNING", "RUNNING"),
                                  "b": _status("RUNNING", "RUNNING")}))
    metrics.publish(parse_status({"a": _status("RUNNING", "RUNNING", "FAILED")}))
    value = registry.get_sample_value
    assert value("cdc_connect_task_up", {"connector": "a", "task": "0"}) == 1
    assert value("cdc_connect_task_up", {"connector": "a", "task": "1"}) == 0
    assert value("cdc_connect_connector_up", {"connector": "a"}) == 0
    assert value("cdc_connect_task_state", {"connector": "a", "task": "1", "state": "FAILED"}) == 1
    assert value("cdc_connect_task_state",
                 {"connector": "a", "task": "1", "state": "RUNNING"}) is None
    assert value("cdc_connect_task_up", {"connector": "b", "task": "0"}) is None
    assert value("cdc_connect_connector_up", {"connector": "b"}) is None


def test_connect_is_optional_in_the_exporter_config(tmp_path: Path) -> None:
    path = tmp_path / "exporter.yaml"
    path.write_text("kafka: {bootstrap_servers: 'k:9092'}\ngroups: [g]\n")
    assert load(path).connect.url is None
    path.write_text(path.read_text() + "connect: {url: 'http://c:8083', connectors: [shop]}\n")
    connect = load(path).connect
    assert (connect.url, connect.connectors) == ("http://c:8083", ("shop",))


def test_a_failed_task_is_said_by_the_root_cause_of_its_trace() -> None:
    trace = ("org.apache.kafka.connect.errors.ConnectException: An exception occurred\n"
             "\tat io.debezium.Task.start(Task.java:1)\n"
             "Caused by: org.postgresql.util.PSQLException: FATAL: password authentication "
             "failed for user \"debezium\"\n\tat org.postgresql.Conn(Conn.java:2)\n")
    [status] = parse_status({"shop": _status("RUNNING", "FAILED", trace=trace)})
    assert describe_failure(status, "database 127.0.0.1:5432/postgres") == (
        "connector shop (RUNNING; database 127.0.0.1:5432/postgres): task 0 FAILED: "
        "org.postgresql.util.PSQLException: FATAL: password authentication failed for user "
        "\"debezium\"")


class _Reader:
    """Connect's status as ``ConnectStatusReader`` reads it, from ``body``."""

    body: ClassVar[dict[str, Any]] = {}

    def __init__(self, url: str) -> None:
        self.url = url

    def read(self, only: tuple[str, ...] = ()) -> list[ConnectorStatus]:
        return parse_status(self.body, only)


def test_a_failed_task_makes_the_exporter_not_ready_with_its_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "exporter.yaml"
    path.write_text("kafka: {bootstrap_servers: 'k:9092'}\ngroups: [g]\n"
                    "connect: {url: 'http://c:8083'}\n")
    monkeypatch.setattr(serve, "ConnectStatusReader", _Reader)
    refresh = serve.connect_pass(load(path), CollectorRegistry())
    assert refresh is not None
    _Reader.body = {"shop": _status("RUNNING", "RUNNING")}
    assert refresh() is None
    _Reader.body = {"shop": _status("RUNNING", "FAILED", trace=TRACE)}
    assert refresh() == ("lag-exporter: Connect http://c:8083: connector shop (RUNNING): "
                         "task 0 FAILED: org.apache.kafka.connect.errors.ConnectException: "
                         "An exception occurred")
