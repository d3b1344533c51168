"""Wiring of ``cdc lag-exporter``: exporter, optional freshness and Connect health, HTTP
endpoints.

Reuses the sink's HTTP server so /metrics, /healthz and /readyz behave alike: live while the
measuring loop turns, ready once a first pass has completed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from prometheus_client import CollectorRegistry

from cdc_ops.config import ExporterConfig
from cdc_ops.connect_health import (
    ConnectMetrics,
    ConnectStatusReader,
    describe_failure,
    is_failed,
)
from cdc_ops.freshness import FreshnessMetrics, check
from cdc_ops.lag_exporter import LagExporter
from cdc_sink.config import load as load_sink_config
from cdc_sink.health import Health, serve

log = logging.getLogger(__name__)


def freshness_pass(config: ExporterConfig, registry: CollectorRegistry
                   ) -> Callable[[], str | None] | None:
    """A callable refreshing the freshness gauges, when the config names a sink config."""
    if config.freshness_sink_config is None:
        return None
    sink_config = load_sink_config(config.freshness_sink_config)
    metrics = FreshnessMetrics(registry)

    def refresh() -> None:
        try:
            metrics.publish(check(sink_config))
        except Exception as exc:  # a warehouse outage must not stop lag measurement
            log.warning("freshness not measured: %s", exc)

    return refresh


def connect_pass(config: ExporterConfig, registry: CollectorRegistry
                 ) -> Callable[[], str | None] | None:
    """A callable refreshing the Connect health gauges, when the config names Connect; it
    answers the first ``FAILED`` connector or task as a line (the exporter is then not
    ready: a refused connector captures nothing while the lag of its topics reads 0)."""
    if config.connect.url is None:
        return None
    reader, wanted = ConnectStatusReader(config.connect.url), config.connect.connectors
    metrics = ConnectMetrics(registry)

    def refresh() -> str | None:
        try:
            statuses = reader.read(wanted)
        except Exception as exc:  # Connect down must not stop lag measurement
            metrics.errors.inc()
            log.warning("Connect status not read: %s", exc)
            return None
        metrics.publish(statuses)
        return next((f"lag-exporter: Connect {reader.url}: {describe_failure(s)}"
                     for s in statuses if is_failed(s)), None)

    return refresh


def serve_exporter(config: ExporterConfig, install_stop: Callable[[Callable[..., None]], None]
                   ) -> int:
    """Run until stopped; returns the process exit code."""
    registry = CollectorRegistry()
    exporter = LagExporter(config, registry)
    health = Health(stall_after_s=max(120.0, 4 * config.interval_s))
    extras = [p for p in (freshness_pass(config, registry), connect_pass(config, registry))
              if p is not None]

    def after_pass() -> None:
        found = [extra() for extra in extras]
        health.beat()
        problem = exporter.problem or next((p for p in found if p), None)
        health.set_ready(problem is None, problem or "")

    server = serve(config.http.host, config.http.port, health, registry)
    log.info("lag exporter started: groups %s, http port %d", list(config.groups),
             server.server_address[1])
    install_stop(exporter.stop)
    try:
        exporter.run(also=after_pass)
    finally:
        server.shutdown()
    return 0
