"""Prometheus (Debian's ``prometheus`` binary) as a local process of the stack.

It loads the project's alert rules (deploy/prometheus/alerts.yml) unchanged and scrapes the
targets it is given, so the rules a deployment ships are the ones evaluated on one machine.
Its data lives in the run directory; it binds 127.0.0.1 like every other local engine.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import yaml

from cdc_stack.errors import ResolveError
from cdc_stack.processes import ProcessRecord, spawn

ALERTS = Path(__file__).resolve().parents[2] / "prometheus" / "alerts.yml"
SCRAPE_INTERVAL = "5s"

# The operator's first questions, as ready-made graph queries (label, PromQL).
LINKS: tuple[tuple[str, str], ...] = (
    ("lag seconds per group", "max by (group) (cdc_consumer_lag_seconds)"),
    ("end-to-end latency p99", "histogram_quantile(0.99, sum by (le, table) "
                               "(rate(cdc_end_to_end_latency_seconds_bucket[5m])))"),
    ("DLQ records / s", "sum by (stage, reason) (rate(cdc_dlq_records_total[5m]))"),
)


def scrape_config(targets: dict[str, list[str]], rules: Path = ALERTS,
                  interval: str = SCRAPE_INTERVAL) -> dict[str, Any]:
    """One scrape job per ``{job: [host:port, ...]}``, plus Prometheus itself, and the rules."""
    jobs = [{"job_name": job, "static_configs": [{"targets": hosts}]}
            for job, hosts in targets.items() if hosts]
    return {"global": {"scrape_interval": interval, "evaluation_interval": interval},
            "rule_files": [str(rules)], "scrape_configs": jobs}


def start(run_dir: Path, port: int, targets: dict[str, list[str]],
          name: str = "prometheus") -> ProcessRecord:
    """Write the config into ``run_dir/<name>`` and launch the server there."""
    binary = shutil.which("prometheus")
    if binary is None:
        raise ResolveError("prometheus", "not on PATH (Debian: apt-get install prometheus; "
                                         "make deps installs it)")
    work = run_dir / name
    work.mkdir(parents=True, exist_ok=True)
    own = {**targets, "prometheus": [f"127.0.0.1:{port}"]}
    config = work / "prometheus.yml"
    config.write_text(yaml.safe_dump(scrape_config(own), sort_keys=False))
    argv = [binary, f"--config.file={config}", f"--web.listen-address=127.0.0.1:{port}",
            f"--storage.tsdb.path={work / 'data'}"]
    return spawn(name, argv, run_dir / "logs" / f"{name}.log", cwd=work)


def ui_base(base: str) -> str:
    """Where the web pages are: Debian's build serves only the classic UI, under /classic."""
    try:
        modern = httpx.get(f"{base}/graph", timeout=5).status_code == 200
    except httpx.HTTPError:
        modern = False
    return base if modern else f"{base}/classic"


def graph_url(base: str, expr: str, table: bool = False, range_input: str = "1h") -> str:
    """The graph page (``base`` from ``ui_base``) showing ``expr`` over ``range_input``;
    ``table``: its console tab, the values as a table."""
    tab = 1 if table else 0
    return f"{base}/graph?g0.expr={quote(expr)}&g0.tab={tab}&g0.range_input={range_input}"


def links(base: str) -> list[tuple[str, str]]:
    """Label and URL of each ready-made view, the alerts page last."""
    return [*((label, graph_url(base, expr)) for label, expr in LINKS),
            ("alerts", f"{base}/alerts")]
