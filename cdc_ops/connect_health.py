"""Kafka Connect connector and task health, from Connect's REST status, as Prometheus gauges.

A Debezium task can fail (an unparsable value on streaming, a lost replication slot) while
the connector itself stays ``RUNNING``: nothing more reaches Kafka, consumer lag reads 0 and
no consumer-side metric moves. Only Connect's per-task status tells, so the lag exporter reads
``GET /connectors?expand=status`` each pass and exports

* ``cdc_connect_task_up{connector,task}``: 1 while the task is ``RUNNING``, else 0;
* ``cdc_connect_connector_up{connector}``: the same for the connector itself (a connector
  with no task at all is not up: it captures nothing);
* ``cdc_connect_task_state{connector,task,state}``: 1 for the task's current state (the
  others are removed), so a dashboard shows ``FAILED`` against ``PAUSED``.

Parsing is pure (``parse_status``); ``ConnectStatusReader`` is the HTTP edge.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from prometheus_client import CollectorRegistry, Counter, Gauge

RUNNING = "RUNNING"


@dataclass(frozen=True)
class TaskStatus:
    connector: str
    task: str
    state: str
    trace: str = ""

    @property
    def up(self) -> bool:
        return self.state == RUNNING


@dataclass(frozen=True)
class ConnectorStatus:
    name: str
    state: str
    tasks: tuple[TaskStatus, ...]

    @property
    def up(self) -> bool:
        return self.state == RUNNING and bool(self.tasks) and all(t.up for t in self.tasks)

    def failed_tasks(self) -> tuple[TaskStatus, ...]:
        return tuple(t for t in self.tasks if not t.up)


def parse_one(name: str, status: Mapping[str, Any]) -> ConnectorStatus:
    """One ``/connectors/<name>/status`` body."""
    tasks = tuple(TaskStatus(name, str(t.get("id", "?")), str(t.get("state", "UNKNOWN")),
                             str(t.get("trace", "")))
                  for t in status.get("tasks", []))
    return ConnectorStatus(name, str(status.get("connector", {}).get("state", "UNKNOWN")), tasks)


def parse_status(body: Mapping[str, Any], only: Iterable[str] = ()) -> list[ConnectorStatus]:
    """The ``/connectors?expand=status`` body; ``only`` (if not empty) names the connectors
    to report; a named connector Connect does not know is reported ``MISSING``."""
    wanted = list(only) or sorted(body)
    found = {n: parse_one(n, v.get("status", {})) for n, v in body.items() if n in wanted}
    return [found.get(n, ConnectorStatus(n, "MISSING", ())) for n in wanted]


def describe_failure(status: ConnectorStatus, about: str = "") -> str:
    """An operator's one-liner: which tasks are down, in which state, and the root cause of
    each trace; ``about`` (the connector's database, say) goes next to its state."""
    down = status.failed_tasks() or (TaskStatus(status.name, "-", status.state),)
    parts = [f"task {t.task} {t.state}: {root_cause(t.trace)}" for t in down]
    state = f"{status.state}; {about}" if about else status.state
    return f"connector {status.name} ({state}): " + "; ".join(parts)


def is_failed(status: ConnectorStatus) -> bool:
    """The connector or one of its tasks is ``FAILED``: it captures nothing until restarted."""
    return "FAILED" in (status.state, *(t.state for t in status.tasks))


def root_cause(trace: str) -> str:
    """The line a person acts on: a Java trace's last ``Caused by:``, else its first line.

    Connect wraps the refusal (``ConnectException: ... An exception occurred``); the
    innermost cause names it (``PSQLException: FATAL: password authentication failed``)."""
    lines = [line.strip() for line in trace.strip().splitlines()]
    causes = [line.removeprefix("Caused by: ") for line in lines
              if line.startswith("Caused by: ")]
    return causes[-1] if causes else (lines[0] if lines else "no trace")


class ConnectStatusReader:
    """Reads every connector's status in one request."""

    def __init__(self, url: str, timeout_s: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self._http = httpx.Client(timeout=timeout_s)

    def read(self, only: Iterable[str] = ()) -> list[ConnectorStatus]:
        response = self._http.get(f"{self.url}/connectors", params={"expand": "status"})
        response.raise_for_status()
        return parse_status(response.json(), only)

    def close(self) -> None:
        self._http.close()


class ConnectMetrics:
    """The gauges above; series of connectors and tasks no longer reported are removed."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.task_up = Gauge("cdc_connect_task_up", "1 while the Connect task is RUNNING",
                             ["connector", "task"], registry=registry)
        self.connector_up = Gauge("cdc_connect_connector_up",
                                  "1 while the connector and all its tasks are RUNNING",
                                  ["connector"], registry=registry)
        self.task_state = Gauge("cdc_connect_task_state", "1 for the task's current state",
                                ["connector", "task", "state"], registry=registry)
        self.errors = Counter("cdc_connect_status_errors", "Failed reads of Connect's status",
                              registry=registry)
        self._tasks: set[tuple[str, str]] = set()
        self._states: set[tuple[str, str, str]] = set()
        self._connectors: set[str] = set()

    def publish(self, statuses: list[ConnectorStatus]) -> None:
        tasks = [t for s in statuses for t in s.tasks]
        for s in statuses:
            self.connector_up.labels(s.name).set(int(s.up))
        for t in tasks:
            self.task_up.labels(t.connector, t.task).set(int(t.up))
            self.task_state.labels(t.connector, t.task, t.state).set(1)
        self._forget(statuses, tasks)

    def _forget(self, statuses: list[ConnectorStatus], tasks: list[TaskStatus]) -> None:
        connectors = {s.name for s in statuses}
        ids = {(t.connector, t.task) for t in tasks}
        states = {(t.connector, t.task, t.state) for t in tasks}
        for name in self._connectors - connectors:
            self.connector_up.remove(name)
        for task in self._tasks - ids:
            self.task_up.remove(*task)
        for state in self._states - states:
            self.task_state.remove(*state)
        self._connectors, self._tasks, self._states = connectors, ids, states
