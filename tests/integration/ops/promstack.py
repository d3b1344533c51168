"""A real Prometheus (Debian's ``prometheus`` binary) and steady CDC traffic, for alert tests.

``shortened_rules`` derives the test copy of deploy/prometheus/alerts.yml: the same expressions with
``for:`` in seconds and the lag threshold shortened — refusing to run if the production rule no
longer has the threshold it expects, so the test can never drift from the shipped rule.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import httpx
import yaml
from confluent_kafka import Producer

from tests.support.cdcgen import TopicWriter, Workload
from tests.support.waiting import wait_until

ALERTS = Path(__file__).resolve().parents[3] / "deploy" / "prometheus" / "alerts.yml"
LAG_ALERT, PROD_LAG_THRESHOLD = "CdcConsumerLagHigh", " > 60"


def shortened_rules(for_s: int, lag_threshold_s: int) -> dict[str, Any]:
    """alerts.yml with every ``for:`` = ``for_s`` and the lag threshold = ``lag_threshold_s``."""
    doc = yaml.safe_load(ALERTS.read_text())
    for rule in doc["groups"][0]["rules"]:
        rule["for"] = f"{for_s}s"
        if rule["alert"] == LAG_ALERT:
            assert rule["expr"].endswith(PROD_LAG_THRESHOLD), rule["expr"]
            rule["expr"] = rule["expr"].removesuffix(PROD_LAG_THRESHOLD) + f" > {lag_threshold_s}"
    return dict(doc)


def prometheus_config(rules: Path, targets: dict[str, str]) -> dict[str, Any]:
    """Scrape and evaluate every second; one job per ``{job: host:port}``."""
    return {"global": {"scrape_interval": "1s", "scrape_timeout": "1s",
                       "evaluation_interval": "1s"},
            "rule_files": [str(rules)],
            "scrape_configs": [{"job_name": job, "static_configs": [{"targets": [target]}]}
                               for job, target in targets.items()]}


class Prometheus:
    """One ``prometheus`` server on a private port and data directory."""

    def __init__(self, workdir: Path, port: int) -> None:
        self.workdir, self.port = workdir, port
        self.base = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, config: dict[str, Any]) -> Prometheus:
        cfg = self.workdir / "prometheus.yml"
        cfg.write_text(yaml.safe_dump(config))
        with (self.workdir / "prometheus.log").open("ab") as log:
            self.proc = subprocess.Popen(
                ["prometheus", f"--config.file={cfg}",
                 f"--web.listen-address=127.0.0.1:{self.port}",
                 f"--storage.tsdb.path={self.workdir / 'data'}"],
                stdout=log, stderr=subprocess.STDOUT)
        wait_until(lambda: _ok(f"{self.base}/-/ready"), 60, "prometheus ready")
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(30)

    def alerts(self, name: str, **labels: str) -> list[dict[str, Any]]:
        """Active alerts (pending or firing) named ``name`` whose labels include ``labels``."""
        found = httpx.get(f"{self.base}/api/v1/alerts", timeout=5).json()["data"]["alerts"]
        return [a for a in found if a["labels"].get("alertname") == name
                and all(a["labels"].get(k) == v for k, v in labels.items())]

    def query(self, expr: str) -> list[dict[str, Any]]:
        answer = httpx.get(f"{self.base}/api/v1/query", params={"query": expr}, timeout=5)
        return list(answer.json()["data"]["result"])

    def history(self, expr: str, start: float, end: float) -> list[dict[str, Any]]:
        """query_range at 1 s resolution: each series with its [ts, value] samples."""
        answer = httpx.get(f"{self.base}/api/v1/query_range", timeout=10,
                           params={"query": expr, "start": start, "end": end, "step": "1s"})
        return list(answer.json()["data"]["result"])


def _ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


class Traffic(threading.Thread):
    """Produces a few changes every 100 ms until stopped: the 'while producing' of the test."""

    def __init__(self, bootstrap: str, writers: dict[str, TopicWriter], seed: int) -> None:
        super().__init__(name="traffic", daemon=True)
        self.writers, self.workload = writers, Workload(seed=seed)
        self.producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
        self.halt = threading.Event()
        self.sent = 0

    def run(self) -> None:
        while not self.halt.is_set():
            for ev in self.workload.events(3):
                writer = self.writers[ev.spec.table]
                key, value = writer.encode(ev)
                self.producer.produce(writer.topic, key=key, value=value)
                self.sent += 1
            self.producer.poll(0)
            self.halt.wait(0.1)
        self.producer.flush(30)

    def stop(self) -> None:
        self.halt.set()
        self.join(60)


class CdcProcess:
    """A ``cdc ...`` command as a child process, its output in a log file."""

    def __init__(self, args: list[str], log: Path) -> None:
        self.log = log
        with log.open("ab") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "cdc_cli.main", *args],
                                         stdout=out, stderr=subprocess.STDOUT,
                                         env={**os.environ, "CDC_LOG_FORMAT": "text"})

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(60)
