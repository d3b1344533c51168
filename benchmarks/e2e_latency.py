"""End-to-end latency: source commit → warehouse row, through Debezium, Flink and the sink.

A steady seeded workload (default 2,000 row changes/s for 60 s, multi-table transactions)
is played against the source PostgreSQL while the whole pipeline runs with the default
configuration (Flink checkpoint interval 2 s, exactly-once). Once the warehouse equals the
source, the latency of every row loaded during the run is ``_loaded_at - _source_updated_at``
(sink commit minus source commit, the last change of each row). Prints p50/p95/p99, the
rate the source reached and the rate the pipeline sustained (changes / time until the last
row landed), the CPU cores each process used from the workload's start until convergence
(``cpu_cores``: Kafka, the registry, PostgreSQL (source and warehouse databases share one
server here), Kafka Connect, the job, the sink, each with its child processes, and the
load generator, which is this process), then one JSON line.

Target: p99 <= checkpoint interval + 2 s. Exactly-once output commits a Kafka transaction
per checkpoint, so records wait on average half an interval, at worst a whole one, before
the sink may read them: the interval is the floor of latency. A shorter interval lowers
latency and costs more checkpoints (CPU, transaction markers); see docs/demo.md.

The loader's session uses ``synchronous_commit=off``: the source's fsync rate is not under
test, and commit timestamps (what latency is measured from) are unaffected.

    PYTHONPATH=. .venv/bin/python benchmarks/e2e_latency.py [--rate 2000] [--duration 60]
        [--checkpoint-interval-ms 2000] [--stack-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from psycopg import sql

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cdc_demo import measure
from cdc_demo.demo import DemoOptions, local_stack, new_pipeline, warm_up
from cdc_demo.load import Loader
from cdc_demo.pipeline import Pipeline
from cdc_demo.source import TABLES
from cdc_demo.workload import Workload
from cdc_stack import LocalStack


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=2000.0)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--checkpoint-interval-ms", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--stack-dir", type=Path, help="re-use a `cdc stack up --connect`")
    return parser.parse_args()


def last_loaded(pipe: Pipeline) -> datetime:
    """When the last row of the run reached the warehouse."""
    parts = [sql.SQL("select max(_loaded_at) from {}").format(
        sql.Identifier(pipe.names.target_schema, t)) for t in TABLES]
    query = sql.SQL("select max(m) from ({}) x(m)").format(sql.SQL(" union all ").join(parts))
    with psycopg.connect(pipe.endpoints.postgres_dsn) as conn:
        row = conn.execute(query).fetchone()
    assert row is not None and isinstance(row[0], datetime)
    return row[0]


def _stat(pid: int) -> list[str]:
    """Fields of /proc/<pid>/stat after the command name (field 3 on); [] if it is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return []


def tree_cpu_s(root: int) -> float:
    """CPU seconds of ``root`` and its live descendants, and of the children it reaped."""
    parents = {int(p): int(f[1]) for p in os.listdir("/proc") if p.isdigit()
               for f in [_stat(int(p))] if f}
    tree, grew = {root}, True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree, grew = tree | more, bool(more)
    ticks = sum(int(f[11]) + int(f[12]) for pid in tree for f in [_stat(pid)] if f)
    reaped = _stat(root)
    ticks += int(reaped[13]) + int(reaped[14]) if reaped else 0
    return ticks / os.sysconf("SC_CLK_TCK")


def pipeline_pids(stack: LocalStack, pipe: Pipeline) -> dict[str, int]:
    """The processes whose CPU the run reports; the loader is this process alone."""
    pids = {name: rec.pid for name, rec in stack.state.processes.items()}
    for name, child in (("job", pipe.job), ("sink", pipe.sink)):
        if child is not None and child.proc is not None:
            pids[name] = child.proc.pid
    return pids


class CpuMeter:
    """Cores each named process tree used between construction and ``cores()``."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids, self.began = pids, time.monotonic()
        self.start = {name: tree_cpu_s(pid) for name, pid in pids.items()}
        self.loader = time.process_time()

    def cores(self) -> dict[str, float]:
        elapsed = time.monotonic() - self.began
        used = {name: tree_cpu_s(pid) - self.start[name] for name, pid in self.pids.items()}
        used["loader"] = time.process_time() - self.loader
        return {name: round(cpu / elapsed, 2) for name, cpu in used.items()}


def measure_run(pipe: Pipeline, args: argparse.Namespace,
                stack: LocalStack) -> dict[str, object]:
    pipe.prepare_source()
    loader = Loader(pipe.source_dsn + "?options=-c%20synchronous_commit%3Doff",
                    Workload(args.seed, customers=2000, products=200), args.rate)
    loader.setup()
    pipe.start_connector()
    pipe.start_job()
    pipe.start_sink()
    warm_up(pipe)
    began = datetime.now(UTC)
    cpu = CpuMeter(pipeline_pids(stack, pipe))
    lag = measure.LagSampler(f"http://127.0.0.1:{pipe.sink_port}/metrics")
    worker = threading.Thread(target=loader.run, kwargs={"duration_s": args.duration})
    worker.start()
    while worker.is_alive():
        lag.sample()
        worker.join(2.0)
    report = pipe.wait_converged(loader.workload.deleted, timeout_s=600)
    cores = cpu.cores()
    landed_s = (last_loaded(pipe) - began).total_seconds()
    lat = measure.latencies(pipe.endpoints.postgres_dsn, pipe.names.target_schema, TABLES,
                            began)
    return {
        "converged": report.converged, "changes": loader.stats.changes,
        "source_rate": round(loader.stats.rate, 1),
        "pipeline_rate": round(loader.stats.changes / landed_s, 1),
        "rows_measured": len(lat),
        **{f"p{q}_s": round(measure.percentile(lat, q), 3) for q in (50, 95, 99)},
        "max_consumer_lag_s": round(lag.max_lag_s, 2),
        "checkpoint_interval_ms": args.checkpoint_interval_ms,
        "target_p99_s": args.checkpoint_interval_ms / 1000 + 2,
        "cpu_cores": cores,
    }


def main() -> int:
    args = parse()
    opts = DemoOptions(rate=args.rate, duration_s=args.duration, seed=args.seed,
                       checkpoint_interval_ms=args.checkpoint_interval_ms,
                       stack_dir=args.stack_dir.resolve() if args.stack_dir else None)
    with local_stack(opts.stack_dir) as (stack, own):
        pipe = new_pipeline(stack, own, opts)
        try:
            result = measure_run(pipe, args, stack)
        finally:
            pipe.close(drop_source=not own)
    for key, value in result.items():
        print(f"{key:<24} {value}")
    print(json.dumps(result))
    return 0 if result["converged"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
