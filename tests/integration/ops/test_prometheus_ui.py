"""The operator's view in a real browser: the stack's Prometheus (``LocalStack.start_prometheus``,
as ``cdc demo up`` starts it) loads deploy/prometheus/alerts.yml and scrapes a running sink.

The subset of the pipeline: a real ``cdc sink run`` consuming generated processed records from
Kafka into PostgreSQL (no Debezium or Flink: they add nothing to what is checked here), so the
sink's ``cdc_consumer_lag_seconds`` is being scraped. Headless Chromium loads the alerts page,
which must list every rule of alerts.yml, and a graph query of the lag metric, which must show
the sink's series; screenshots are written to the test's tmp_path. ``cdc stack down`` then stops
Prometheus with the rest of the stack.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from cdc_cli.main import main
from cdc_stack import LocalStack, StackSettings, prometheus
from cdc_stack.ports import free_port
from cdc_stack.processes import is_running
from tests.integration.ops.browser import dump_dom, screenshot
from tests.integration.ops.promstack import Prometheus, Traffic
from tests.integration.sink.harness import SinkProcess, Target, write_config
from tests.stackfixtures import Services, unique
from tests.support.cdcgen import processed_writers
from tests.support.registry import registry_client
from tests.support.waiting import wait_until

LAG = "cdc_consumer_lag_seconds"


def _rule_names() -> list[str]:
    doc = yaml.safe_load(prometheus.ALERTS.read_text())
    return [rule["alert"] for group in doc["groups"] for rule in group["rules"]]


def test_alerts_page_and_lag_graph_in_chromium(services: Services, pg_schema: str,
                                                tmp_path: Path) -> None:
    writers = processed_writers(registry_client(services.registry_url),
                                unique("ui").replace("-", ""))
    at = Target(services.kafka_bootstrap, services.postgres_dsn, pg_schema, unique("sink"),
                tuple(w.topic for w in writers.values()))
    sink_port = free_port()
    sink = SinkProcess(write_config(tmp_path / "sink.yaml", at, services.registry_url,
                                    lag_interval_s=1, http_port=sink_port), tmp_path / "sink.log")
    traffic = Traffic(services.kafka_bootstrap, writers, seed=23)
    stack = LocalStack(StackSettings(services=()), tmp_path / "stack")
    stack.run_dir.mkdir()
    try:
        traffic.start()
        sink.start()
        url = stack.start_prometheus({"cdc-sink": [f"127.0.0.1:{sink_port}"]})
        prom = Prometheus(tmp_path, int(url.rsplit(":", 1)[1]))
        own = f'{LAG}{{job="cdc-sink",group="{at.group}"}}'
        wait_until(lambda: prom.query(own) != [], 120, lambda: f"{own} scraped\n{sink.tail()}")
        _check_pages(prometheus.ui_base(url), at.group, tmp_path)
    finally:
        traffic.stop()
        sink.stop()
        record = stack.state.processes.get("prometheus")
        assert main(["stack", "down", "--dir", str(stack.run_dir)]) == 0
    assert record is not None and not is_running(record), "cdc stack down stops Prometheus"


def _check_pages(ui: str, group: str, tmp_path: Path) -> None:
    alerts = dump_dom(f"{ui}/alerts", tmp_path / "chromium")
    (tmp_path / "alerts.html").write_text(alerts)
    screenshot(f"{ui}/alerts", tmp_path / "alerts.png", tmp_path / "chromium")
    missing = [name for name in _rule_names() if name not in alerts]
    assert not missing, f"alerts page lacks {missing}; see {tmp_path / 'alerts.html'}"

    graph = dump_dom(prometheus.graph_url(ui, LAG, table=True), tmp_path / "chromium")
    (tmp_path / "graph.html").write_text(graph)
    screenshot(prometheus.graph_url(ui, f"max by (group) ({LAG})", range_input="1m"),
               tmp_path / "graph.png", tmp_path / "chromium")
    assert f'{LAG}{{' in graph and f'group="{group}"' in graph, \
        f"the lag query shows no series of group {group}; see {tmp_path / 'graph.html'}"
