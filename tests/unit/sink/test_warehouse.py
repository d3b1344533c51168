"""The warehouse session: a failed try drops the connection and says why the sink waits."""

from __future__ import annotations

from typing import Any

import pytest

from cdc_core import pgconnect
from cdc_core.errors import PostgresUnavailable
from cdc_sink.health import Health
from cdc_sink.metrics import SinkMetrics
from cdc_sink.warehouse import Warehouse

RETRY = {"initial_s": 0.0, "max_s": 0.0, "budget_s": 10.0}


class FakeConnection:
    def __init__(self) -> None:
        self.closed = False

    def close(self) -> None:
        self.closed = True


def test_a_failed_try_reconnects_counts_a_retry_and_reports_unready(
        monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[FakeConnection] = []

    def connect(*_: Any, **__: Any) -> FakeConnection:
        opened.append(FakeConnection())
        return opened[-1]

    monkeypatch.setattr(pgconnect, "connect", connect)
    metrics, health = SinkMetrics(), Health()

    def work(conn: Any) -> str:
        if len(opened) == 1:
            raise PostgresUnavailable("sink: warehouse db:5432/dw: refused")
        return "done"

    db = Warehouse("dbname=dw", RETRY, metrics, health, lambda: False)
    assert db.run(work) == "done"
    assert len(opened) == 2 and opened[0].closed and not opened[1].closed
    assert health.readiness() == (False, "warehouse: sink: warehouse db:5432/dw: refused")
    assert metrics.registry.get_sample_value(
        "cdc_sink_retries_total", {"kind": "PostgresUnavailable"}) == 1
    db.close()
    assert opened[1].closed
