"""Wire the sink from its configuration: the one place that turns config into clients."""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cdc_core.contracts import TableContract, load_contracts_text
from cdc_core.kafka_problems import ClientProblems
from cdc_core.registry import Registry
from cdc_sink.config import SinkConfig, SinkOptions
from cdc_sink.deadletter import DeadLetters
from cdc_sink.decode import Decoder
from cdc_sink.health import Health, serve
from cdc_sink.history import History, HistoryPolicy
from cdc_sink.metrics import SinkMetrics
from cdc_sink.naming import TableNames
from cdc_sink.quality import QualityGate
from cdc_sink.retry import kind_of, registry_unavailable, with_retries
from cdc_sink.service import LineageHook, SinkParts, SinkService, client_config
from cdc_sink.tables import Tables

log = logging.getLogger(__name__)


# A subscribed topic that does not exist yet (or a new topic matching the pattern) is only
# noticed at the next metadata refresh: librdkafka's default of 5 minutes would leave a table
# unloaded that long after its topic appeared.  Overridable in ``kafka.properties``.
METADATA_REFRESH_MS = 10_000
# A replica joining the group gets partitions only once every member has rejoined, which a
# member notices at its next heartbeat: librdkafka's 3 s default would leave a new replica idle
# (and the group's partitions on fewer replicas) that long.  Overridable likewise.
HEARTBEAT_INTERVAL_MS = 1_000
# Kafka's default range assignor splits each topic on its own, so with single-partition
# topics (common for Debezium) every topic went to the same replica and the others idled;
# round-robin spreads all the subscribed partitions.  Overridable likewise.
ASSIGNMENT_STRATEGY = "roundrobin"
# A replica killed with -9 holds its partitions until the group coordinator stops hearing
# from it for one session timeout, so this bounds how long its partitions sit unconsumed.
# 6 s is the broker's default minimum (group.min.session.timeout.ms); heartbeats still come
# six times per timeout. With kafka.instance_id (static membership) a restart takes its
# partitions back without waiting. Overridable likewise. See docs/sink.md "Recovery".
SESSION_TIMEOUT_MS = 6_000


def consumer_config(config: SinkConfig) -> dict[str, Any]:
    """librdkafka settings: read_committed, no auto-commit, security passed through."""
    k = config.kafka
    k = config.kafka
    conf: dict[str, Any] = {"topic.metadata.refresh.interval.ms": METADATA_REFRESH_MS,
                            "heartbeat.interval.ms": HEARTBEAT_INTERVAL_MS,
                            "session.timeout.ms": SESSION_TIMEOUT_MS,
                            "partition.assignment.strategy": ASSIGNMENT_STRATEGY,
                            **k.client_config(),
                            "group.id": k.group_id, "enable.auto.commit": False,
                            "isolation.level": "read_committed",
                            "auto.offset.reset": "earliest",
                            "max.poll.interval.ms": 600000,
                            "enable.partition.eof": False}
    if k.instance_id is not None:
        conf["group.instance.id"] = k.instance_id
    return conf


def with_problem_reports(consumer: dict[str, Any], health: Health) -> dict[str, Any]:
    """``consumer`` reporting credential, TLS and ACL problems as one line each, and the
    sink not ready while one stands (cdc_core/kafka_problems.py); the DLQ producer and the
    lag probe inherit it (service.client_config)."""
    problems = ClientProblems("sink", consumer,
                              lambda line: health.set_ready(False, line))
    return {**problems.settings(), **consumer}


def subscription(config: SinkConfig) -> list[str]:
    return config.kafka.subscription()


def retrying_fetch(registry: Registry, opts: SinkOptions, metrics: SinkMetrics,
                   health: Health, stopping: Callable[[], bool] = lambda: False
                   ) -> Callable[[int], str]:
    """``Registry.fetch`` that waits out a registry outage like a PostgreSQL one (retry.py),
    until ``stopping()``."""
    def fetch(schema_id: int) -> str:
        what = f"sink: schema registry {registry.url}: fetching schema id {schema_id}"

        def failed(exc: BaseException) -> None:
            metrics.retries.labels(kind_of(exc)).inc()
            health.set_ready(False, f"{what} failed ({kind_of(exc)}: {exc}); retrying")

        return with_retries(lambda: registry.fetch(schema_id), on_failure=failed,
                            initial_s=opts.retry_initial_backoff_s,
                            max_s=opts.retry_max_backoff_s, budget_s=opts.retry_budget_s,
                            retryable=registry_unavailable, what=what, stopping=stopping)
    return fetch


def load_contracts(directory: Path | None) -> dict[str, TableContract]:
    found: dict[str, TableContract] = {}
    for path in sorted(directory.glob("*.y*ml")) if directory else []:
        found.update(load_contracts_text(path.read_text()))
    return found


def lineage_hook(config: SinkConfig) -> LineageHook | None:
    """The OpenLineage emitter when configured (imported only then: it is a large library)."""
    if config.lineage.transport == "off":
        return None
    from cdc_sink.lineage import hook_for

    return hook_for(config)


def history(config: SinkConfig, contracts: dict[str, TableContract]) -> History | None:
    """The change history when any table may keep one; None keeps the default path bare."""
    opts = config.sink.history
    wanted = {name: c.history for name, c in contracts.items()}
    if not opts.default and not any(opts.tables.values()) and not any(wanted.values()):
        return None
    return History(opts.target_schema, HistoryPolicy(opts.default, opts.tables, wanted),
                   f"cdc_sink:{config.postgres.target_schema}")


def build(config: SinkConfig, metrics: SinkMetrics | None = None) -> SinkService:
    """A ready-to-run service (nothing is started yet)."""
    metrics = metrics or SinkMetrics()
    opts = config.sink
    health = Health()
    consumer = with_problem_reports(consumer_config(config), health)
    # The service is built last; the registry retries ask it whether SIGTERM came.
    service: list[SinkService] = []
    decoder = Decoder(retrying_fetch(Registry(config.registry), opts, metrics, health,
                                     lambda: bool(service) and service[0].stopping),
                      lambda topic: opts.input_formats.get(topic, opts.input_format),
                      TableNames(opts.table_naming, opts.table_names))
    contracts = load_contracts(opts.contracts_dir)
    for name, contract in contracts.items():
        if contract.freshness_slo_s is not None:
            metrics.freshness_slo.labels(name.split(".")[-1]).set(contract.freshness_slo_s)
    parts = SinkParts(
        consumer_config=consumer, subscription=subscription(config),
        conninfo=config.postgres.conninfo(), target_schema=config.postgres.target_schema,
        decoder=decoder,
        tables=Tables(config.postgres.target_schema, opts.meta_columns.names(), metrics),
        quality=QualityGate(contracts, metrics),
        dead_letters=DeadLetters(client_config(consumer), opts.dlq_topic, metrics),
        metrics=metrics, health=health, batch_max_rows=opts.batch_max_rows,
        batch_max_wait_s=opts.batch_max_wait_ms / 1000,
        retry_initial_s=opts.retry_initial_backoff_s, retry_max_s=opts.retry_max_backoff_s,
        retry_budget_s=opts.retry_budget_s, lag_interval_s=opts.lag_interval_s,
        lineage=lineage_hook(config), history=history(config, contracts))
    service.append(SinkService(parts))
    return service[0]


def run(config: SinkConfig) -> int:
    """Serve /metrics, /healthz, /readyz and consume until SIGTERM."""
    service = build(config)
    server = serve(config.http.host, config.http.port, service.p.health,
                   service.p.metrics.registry)
    log.info("sink started: group %s, topics %s, http port %d", config.kafka.group_id,
             subscription(config), server.server_address[1])
    service.install_signal_handlers()
    _freeze_startup_objects()
    try:
        service.run()
    finally:
        server.shutdown()
    log.info("sink stopped cleanly")
    return 0


def _freeze_startup_objects() -> None:
    """Keep what start-up created (modules, clients, config) out of every later collection.

    Otherwise every full collection traverses all of it again while batches of changes
    come and go (benchmarks/sink_throughput.py shows the cost). Only reference cycles among
    these long-lived objects stay uncollected.
    """
    gc.collect()
    gc.freeze()
