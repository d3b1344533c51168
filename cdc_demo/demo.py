"""``cdc demo run`` and ``cdc demo up``: the whole pipeline on the embedded local default.

``run``: start the stack (Kafka, registry, PostgreSQL, Connect + Debezium), the source
database, the connector, the Flink job on PyFlink's mini-cluster and the sink; play the
seeded workload for ``duration_s``; wait until the warehouse equals the source; print the
report; stop everything it started. ``up`` starts the same and keeps it running (with a
gentle workload) until Ctrl-C, with the lag exporter and a Prometheus that loads the project's
alert rules and scrapes the run, printing where Prometheus, metrics, logs and databases are.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import tempfile
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from cdc_core.errors import StackError
from cdc_demo import measure
from cdc_demo.configs import Endpoints, Names
from cdc_demo.faults import FaultRun
from cdc_demo.load import Loader
from cdc_demo.pipeline import DEFAULT_CHECKPOINT_MS, Pipeline
from cdc_demo.progress import ProgressLine, RateMeter, Tick, converged_rows
from cdc_demo.report import RunFigures, render
from cdc_demo.source import TABLES
from cdc_demo.verify import VerifyReport
from cdc_demo.workload import Workload
from cdc_stack import LocalStack, StackSettings, prometheus
from cdc_stack.stack import STATE_FILE, ServiceName

SERVICES: tuple[ServiceName, ...] = ("kafka", "registry", "postgres", "connect")


@dataclass(frozen=True)
class DemoOptions:
    """What ``cdc demo run|up`` was asked for."""

    duration_s: float = 60.0
    rate: float = 200.0
    seed: int = 42
    through_flink: bool = True
    checkpoint_interval_ms: int = DEFAULT_CHECKPOINT_MS
    stack_dir: Path | None = None  # re-use a running `cdc stack up --connect` there
    work_dir: Path | None = None
    cluster: bool = False  # the job on a Flink session cluster (2 TaskManagers), parallelism 2
    faults: bool = False  # mid-run: poison record, Connect, TaskManager and sink killed once


@contextlib.contextmanager
def local_stack(stack_dir: Path | None, cluster: bool = False
                ) -> Iterator[tuple[LocalStack, bool]]:
    """A running stack and whether it is ours (started here, stopped on exit)."""
    if stack_dir is not None and (stack_dir / STATE_FILE).exists():
        stack = LocalStack.load(stack_dir)
        if cluster and not stack.state.endpoints.flink_rest_url:
            raise StackError(f"{stack_dir}: the stack has no Flink cluster "
                             "(cdc stack up --connect --flink-cluster)")
        yield stack, False
        return
    services = (*SERVICES, "flink") if cluster else SERVICES
    stack = LocalStack(StackSettings(services=services), stack_dir)
    state = stack.up()
    print(f"stack ready in {state.total_startup_s}s ({state.run_dir})", flush=True)
    try:
        yield stack, True
    finally:
        stack.down()


def endpoints_of(stack: LocalStack) -> Endpoints:
    ep = stack.state.endpoints
    return Endpoints(ep.kafka_bootstrap, ep.registry_url, ep.registry_v2_url, ep.connect_url,
                     ep.postgres_dsn, ep.secrets_dir)


def new_pipeline(stack: LocalStack, own: bool, opts: DemoOptions) -> Pipeline:
    """Fixed, friendly names (``shop``, ``warehouse``) on our own stack; unique ones on a
    shared stack, so a second demo never collides with the first."""
    run_id = uuid.uuid4().hex[:8]
    names = Names(run_id) if own else Names(run_id, f"shop_{run_id}", f"warehouse_{run_id}")
    work = opts.work_dir or Path(tempfile.mkdtemp(prefix="cdc-demo-"))
    pipe = Pipeline(names, endpoints_of(stack), work, opts.through_flink,
                    checkpoint_interval_ms=opts.checkpoint_interval_ms)
    if opts.cluster:
        on_cluster(pipe, stack)
    return pipe


def on_cluster(pipe: Pipeline, stack: LocalStack) -> None:
    """The job on the stack's session cluster, one subtask per TaskManager; its metrics are
    the TaskManagers' reporters."""
    ports = stack.state.flink_taskmanager_ports
    pipe.cluster_url = stack.state.endpoints.flink_rest_url
    pipe.job_parallelism = pipe.partitions = len(ports)
    pipe.job_metrics_ports = [metrics for _rpc, _data, metrics in ports.values()]


def start(pipe: Pipeline, opts: DemoOptions) -> Loader:
    """Source with its initial rows, then connector, job and sink."""
    pipe.prepare_source()
    loader = Loader(pipe.source_dsn, Workload(opts.seed), opts.rate)
    loader.setup()
    pipe.start_connector()
    if pipe.through_flink:
        pipe.start_job()
    pipe.start_sink()
    print(f"pipeline started; logs in {pipe.work_dir / 'logs'}", flush=True)
    return loader


def warm_up(pipe: Pipeline) -> None:
    """Wait until the initial snapshot is in the warehouse: latency figures then measure the
    running pipeline, not the start-up of the Flink mini-cluster."""
    report = pipe.wait_converged(timeout_s=300)
    if report.pipeline_failure is not None:
        raise RuntimeError(f"the initial snapshot did not arrive: {report.pipeline_failure}")
    if not report.converged:
        raise RuntimeError(f"the initial snapshot did not arrive: {report.mismatches} "
                           f"mismatches; see {pipe.work_dir / 'logs'}")
    print("initial snapshot in the warehouse; starting the workload", flush=True)


def run(opts: DemoOptions) -> int:
    """The demo: workload, convergence, report. Exit code 0 only if converged."""
    with local_stack(opts.stack_dir, opts.cluster) as (stack, own):
        pipe = new_pipeline(stack, own, opts)
        try:
            report, figures = _play(stack, pipe, opts)
        finally:
            pipe.close(drop_source=not own)
    print(render(report, figures), flush=True)
    return 0 if report.converged else 1


def _play(stack: LocalStack, pipe: Pipeline, opts: DemoOptions
          ) -> tuple[VerifyReport, RunFigures]:
    loader = start(pipe, opts)
    warm_up(pipe)
    began = datetime.now(UTC)
    lag = measure.LagSampler(f"http://127.0.0.1:{pipe.sink_port}/metrics")
    worker = threading.Thread(target=loader.run, kwargs={"duration_s": opts.duration_s})
    worker.start()
    faults = FaultRun(stack, pipe, opts.duration_s) if opts.faults else None
    if faults is not None:
        faults.start()
    print(f"workload: {opts.rate:.0f} changes/s for {opts.duration_s:.0f}s", flush=True)
    line = ProgressLine(sys.stdout)
    _watch_workload(pipe, loader, worker, lag, line)
    line.end()
    recoveries = faults.result() if faults is not None else []
    print(f"workload done ({loader.stats.changes} changes); waiting for convergence",
          flush=True)
    report = pipe.wait_converged(loader.workload.deleted, timeout_s=300, on_report=lambda r:
                                 line.show(Tick("converging", None, lag.sample(),
                                                converged_rows(r))))
    line.end()
    lag.sample()
    figures = _figures(pipe, loader, lag.max_lag_s, began)
    return report, replace(figures, recoveries=tuple((r.fault, r.seconds) for r in recoveries))


def _watch_workload(pipe: Pipeline, loader: Loader, worker: threading.Thread,
                    lag: measure.LagSampler, line: ProgressLine) -> None:
    """Progress every 2 s while the workload runs; the warehouse is compared every 10 s
    (a comparison reads every table of both sides)."""
    meter, converged, ticks = RateMeter(), None, 0
    while worker.is_alive():
        if ticks % 5 == 0:
            converged = converged_rows(pipe.compare_now())
        line.show(Tick("workload", meter.rate(loader.stats.changes), lag.sample(), converged))
        ticks += 1
        worker.join(2.0)


def _figures(pipe: Pipeline, loader: Loader, max_lag_s: float, began: datetime) -> RunFigures:
    ep, names = pipe.endpoints, pipe.names
    stale = measure.counter_sum(f"http://127.0.0.1:{pipe.sink_port}/metrics",
                                "cdc_sink_rows_skipped_stale")
    deduped = sum(measure.counter_sum(url, measure.FLINK_DUPLICATES)
                  for url in pipe.job_metrics_urls()) if pipe.through_flink else 0.0
    return RunFigures(
        changes=loader.stats.changes, load_seconds=loader.stats.elapsed_s,
        latencies_s=tuple(measure.latencies(ep.postgres_dsn, names.target_schema, TABLES,
                                            began)),
        max_lag_s=max_lag_s, duplicates_dropped=int(stale + deduped),
        dlq_records=measure.topic_records(pipe.kafka_client(), names.dlq_topic),
        through_flink=pipe.through_flink)


def up(opts: DemoOptions) -> int:
    """Start everything and keep it running, with the workload, until SIGINT/SIGTERM."""
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda _s, _f: stop.set())
    with local_stack(opts.stack_dir, opts.cluster) as (stack, own):
        pipe = new_pipeline(stack, own, opts)
        try:
            loader = start(pipe, opts)
            loader.stop = stop
            pipe.start_exporter()
            _print_where(stack, pipe, stack.start_prometheus(pipe.scrape_targets()))
            loader.run()
        finally:
            if not own:  # our own stack's `down` stops it with the engines
                stack.stop_prometheus()
            pipe.close(drop_source=not own)
    return 0


def _print_where(stack: LocalStack, pipe: Pipeline, prometheus_url: str) -> None:
    ep, names = stack.state.endpoints, pipe.names
    views = "".join(f"    {label:<24}{url}\n"
                    for label, url in prometheus.links(prometheus.ui_base(prometheus_url)))
    print(f"""
running until Ctrl-C (or `cdc stack down --dir {stack.run_dir}`)
  prometheus        {prometheus_url}  (alert rules of deploy/prometheus/alerts.yml)
{views.rstrip()}
  sink metrics      http://127.0.0.1:{pipe.sink_port}/metrics  (/healthz, /readyz)
  flink metrics     {"  ".join(pipe.job_metrics_urls())}
  lag exporter      http://127.0.0.1:{pipe.exporter_port}/metrics  (lag, Connect health)
  logs              {pipe.work_dir / 'logs'}  and  {stack.run_dir}/logs
  source database   {pipe.source_dsn}
  warehouse         {ep.postgres_dsn}  schema {names.target_schema}
  kafka / connect   {ep.kafka_bootstrap} / {ep.connect_url}  (connector {names.connector})
  verify            cdc verify --source-dsn {pipe.source_dsn} --warehouse-dsn \\
                      {ep.postgres_dsn} --warehouse-schema {names.target_schema}
""", flush=True)

