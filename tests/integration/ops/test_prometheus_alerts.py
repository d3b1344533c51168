"""The lag alert through a real Prometheus: pending, then firing while the sink is frozen,
resolved after it resumes.

Why the lag exporter: SIGSTOP freezes the whole sink, its /metrics included, so the sink cannot
report its own lag; ``cdc lag-exporter`` reads the sink group's committed offsets from Kafka
and keeps measuring. The rule takes ``max by (group, topic, partition)`` over both jobs.
Timing is never asserted: every wait is a bounded poll, and the pending-before-firing order is
read afterwards from Prometheus' own ``ALERTS`` series.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Any

import httpx
import yaml

from cdc_stack.ports import free_port
from tests.integration.ops.promstack import (
    CdcProcess,
    Prometheus,
    Traffic,
    prometheus_config,
    shortened_rules,
)
from tests.integration.sink.harness import SinkProcess, Target, write_config
from tests.stackfixtures import Services, unique
from tests.support.cdcgen import TABLES, processed_writers
from tests.support.registry import registry_client
from tests.support.waiting import wait_until

FOR_S, LAG_THRESHOLD_S = 3, 4


def _exporter_config(path: Path, bootstrap: str, group: str, port: int) -> Path:
    path.write_text(yaml.safe_dump({"kafka": {"bootstrap_servers": bootstrap},
                                    "groups": [group], "interval_s": 1,
                                    "http": {"host": "127.0.0.1", "port": port}}))
    return path


def _exporter_state(port: int, exporter: CdcProcess) -> str:
    """What the exporter shows, for a failure message."""
    try:
        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    except httpx.HTTPError as exc:
        metrics = repr(exc)
    return f"{metrics[-2000:]}\n{exporter.log.read_text()[-2000:]}"


def _first(series: list[dict[str, Any]], state: str) -> float:
    """Earliest sample time of the ALERTS series in ``state`` (inf if never)."""
    times = [float(ts) for s in series if s["metric"]["alertstate"] == state
             for ts, _value in s["values"]]
    return min(times, default=float("inf"))


def test_lag_alert_pending_firing_then_resolved(services: Services, pg_schema: str,
                                                tmp_path: Path) -> None:
    registry = registry_client(services.registry_url)
    prefix = unique("alert").replace("-", "")
    writers = processed_writers(registry, prefix)
    at = Target(services.kafka_bootstrap, services.postgres_dsn, pg_schema, unique("sink"),
                tuple(w.topic for w in writers.values()))
    sink_port, exporter_port = free_port(), free_port()
    cfg = write_config(tmp_path / "sink.yaml", at, services.registry_url, lag_interval_s=1,
                       http_port=sink_port)
    rules = tmp_path / "alerts.yml"
    rules.write_text(yaml.safe_dump(shortened_rules(FOR_S, LAG_THRESHOLD_S)))
    traffic = Traffic(services.kafka_bootstrap, writers, seed=11)
    sink = SinkProcess(cfg, tmp_path / "sink.log")
    exporter = CdcProcess(["lag-exporter", "--config", str(_exporter_config(
        tmp_path / "exporter.yaml", services.kafka_bootstrap, at.group, exporter_port))],
        tmp_path / "exporter.log")
    prom = Prometheus(tmp_path, free_port())
    try:
        traffic.start()
        sink.start()
        prom.start(prometheus_config(rules, {"cdc-sink": f"127.0.0.1:{sink_port}",
                                             "cdc-lag-exporter": f"127.0.0.1:{exporter_port}"}))
        own = f'cdc_consumer_lag_seconds{{job="cdc-lag-exporter",group="{at.group}"}}'
        wait_until(lambda: len(prom.query(own)) == len(TABLES), 120,
                   lambda: f"exporter lag series: {_exporter_state(exporter_port, exporter)}")
        wait_until(lambda: prom.query('up{job="cdc-sink"} == 1') != [], 60, "sink scraped")
        caught_up = f"max({own}) < {LAG_THRESHOLD_S / 2}"
        wait_until(lambda: prom.query(caught_up) != [] and
                   prom.alerts("CdcConsumerLagHigh", group=at.group) == [], 120,
                   "the running sink to keep up (no lag alert) before the pause")

        paused_at = time.time()
        assert sink.proc is not None
        sink.proc.send_signal(signal.SIGSTOP)
        wait_until(lambda: any(a["state"] == "firing" for a in
                               prom.alerts("CdcConsumerLagHigh", group=at.group)),
                   120, "lag alert firing")
        sink.proc.send_signal(signal.SIGCONT)
        resumed_at = time.time()
        wait_until(lambda: prom.alerts("CdcConsumerLagHigh", group=at.group) == [], 120,
                   "lag alert resolved")

        lag = prom.history(f'ALERTS{{alertname="CdcConsumerLagHigh",group="{at.group}"}}',
                           paused_at - 30, time.time())
        # query_range samples on a 1 s grid: a state shows at the first grid point after it
        assert paused_at <= _first(lag, "pending") < _first(lag, "firing") <= resumed_at + 1
        down = prom.history('ALERTS{alertname="CdcSinkDown",job="cdc-sink"}',
                            paused_at, time.time())
        assert _first(down, "firing") <= resumed_at + 1, "a frozen sink is also a down sink"
        assert sink.alive(), sink.tail()
    finally:
        traffic.stop()
        prom.stop()
        exporter_code = exporter.stop()
        if sink.proc is not None:
            sink.proc.send_signal(signal.SIGCONT)
            sink.stop()
    assert exporter_code == 0, exporter.log.read_text()[-3000:]
    assert traffic.sent > 0
