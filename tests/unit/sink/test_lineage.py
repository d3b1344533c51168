"""OpenLineage events of a committed batch, sent over HTTP to a local receiver and to a file."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from openlineage.client.serde import Serde

from cdc_sink.config import SinkConfig
from cdc_sink.lineage import Naming, batch_events, hook_for, naming_for

NAMING = Naming("cdc-pipeline", "cdc-sink", "kafka://kafka:9092", "postgres://warehouse:5432",
                "dw.warehouse")
BATCH = {"orders": (frozenset({"processed.public.orders"}), 42),
         "customers": (frozenset({"processed.public.customers", "legacy.customers"}), 3)}


def _config(**lineage: Any) -> SinkConfig:
    return SinkConfig(kafka={"bootstrap_servers": "kafka:9092,kafka2:9092", "topics": ["t"]},
                      registry={"url": "http://registry"},
                      postgres={"dsn": "postgresql://sink:pw@warehouse:6543/dw",
                                "target_schema": "warehouse"},
                      lineage=lineage)


def test_one_complete_event_per_table_with_topics_in_and_rows_out() -> None:
    events = [json.loads(Serde.to_json(e)) for e in
              batch_events(NAMING, BATCH, datetime(2026, 11, 24, tzinfo=UTC))]
    assert [e["job"]["name"] for e in events] == ["cdc-sink.customers", "cdc-sink.orders"]
    customers, orders = events
    assert {e["eventType"] for e in events} == {"COMPLETE"}
    assert [i["name"] for i in customers["inputs"]] == ["legacy.customers",
                                                       "processed.public.customers"]
    assert orders["inputs"] == [{"namespace": "kafka://kafka:9092", "name":
                                 "processed.public.orders", "facets": {}, "inputFacets": {}}]
    out = orders["outputs"][0]
    assert (out["namespace"], out["name"]) == ("postgres://warehouse:5432", "dw.warehouse.orders")
    assert out["outputFacets"]["outputStatistics"]["rowCount"] == 42
    assert customers["run"]["runId"] != orders["run"]["runId"]


def test_dataset_names_come_from_the_sink_configuration() -> None:
    naming = naming_for(_config())
    assert naming == Naming("cdc-pipeline", "cdc-sink", "kafka://kafka:9092",
                            "postgres://warehouse:6543", "dw.warehouse")


def test_lineage_is_off_by_default() -> None:
    assert hook_for(_config()) is None


def test_bad_lineage_settings_are_rejected_naming_the_key() -> None:
    with pytest.raises(ValueError, match=r"lineage\.url"):
        _config(transport="http")
    with pytest.raises(ValueError, match=r"lineage\.file_path"):
        _config(transport="file")


class _Receiver(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[str, dict[str, Any]]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.path, json.loads(body)))
        self.send_response(201)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[tuple[str, dict[str, Any]]]]]:
    """A Marquez-like HTTP endpoint on a free loopback port."""
    _Receiver.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _Receiver.received
    server.shutdown()


def test_http_transport_posts_each_event_to_the_lineage_endpoint(
        receiver: tuple[str, list[tuple[str, dict[str, Any]]]]) -> None:
    url, received = receiver
    hook = hook_for(_config(transport="http", url=url))
    assert hook is not None
    hook(BATCH)
    assert [path for path, _ in received] == ["/api/v1/lineage"] * 2
    rows = {e["job"]["name"]: e["outputs"][0]["outputFacets"]["outputStatistics"]["rowCount"]
            for _, e in received}
    assert rows == {"cdc-sink.customers": 3, "cdc-sink.orders": 42}


def test_file_transport_appends_json_lines(tmp_path: Path) -> None:
    path = tmp_path / "lineage.jsonl"
    hook = hook_for(_config(transport="file", file_path=str(path)))
    assert hook is not None
    hook(BATCH)
    hook({"orders": BATCH["orders"]})
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [e["job"]["name"] for e in lines] == ["cdc-sink.customers", "cdc-sink.orders",
                                                 "cdc-sink.orders"]
