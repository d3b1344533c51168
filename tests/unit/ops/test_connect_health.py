"""Connect status parsing and the connector/task health gauges (no Connect)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry

from cdc_ops.config import load
from cdc_ops.connect_health import ConnectMetrics, describe_failure, parse_status

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
