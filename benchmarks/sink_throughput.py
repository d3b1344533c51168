"""Sink throughput: N pre-produced changes, timed from sink start to the last row committed.

Workload: three tables, ~25% inserts, 60% updates, 10% deletes, 5% re-inserts, plus 5%
duplicate deliveries, as processed records (the Flink job's output). The engines are the
local stack's real Kafka, registry and PostgreSQL on this machine; the sink runs as its own
process (``cdc sink run``) once per batch size, then as two and three replicas of one
consumer group (tables have two partitions each; the sink assigns them round-robin).
Prints changes/s, rows/s written, batch commit latency p50/p99 (from the sink's histogram)
and the sink's peak RSS, then one JSON line.

    .venv/bin/python benchmarks/sink_throughput.py [--changes N] [--batch-sizes 1000 5000]
        [--history off|on|both]

``--history on`` keeps a change history for every table (``sink.history.default``);
``both`` runs each setting without and then with it, into fresh schemas, and adds the
ratio of the two throughputs (``history_cost_ratio_*``: without / with).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cdc_stack import LocalStack, StackSettings
from cdc_stack.ports import free_port
from tests.integration.kafkaclients import create_topics
from tests.integration.sink.harness import (
    SinkProcess,
    Target,
    wait_converged,
    write_config,
)
from tests.support.cdcgen import Workload, perturb, processed_writers, produce
from tests.support.registry import registry_client


def quantile(text: str, name: str, q: float) -> float:
    """histogram_quantile over the cumulative buckets of ``name`` in a /metrics page."""
    buckets = [(float(le), float(v)) for le, v in re.findall(
        rf'^{name}_bucket{{le="([^"]+)"}} ([0-9.e+]+)$', text, re.MULTILINE) if le != "+Inf"]
    total = float(re.search(rf"^{name}_count ([0-9.e+]+)$", text, re.MULTILINE)[1])  # type: ignore[index]
    rank, prev_le, prev_v = q * total, 0.0, 0.0
    for le, v in buckets:
        if v >= rank:
            return prev_le + (le - prev_le) * ((rank - prev_v) / max(v - prev_v, 1e-9))
        prev_le, prev_v = le, v
    return buckets[-1][0]


def counter(text: str, name: str) -> float:
    return sum(float(v) for v in re.findall(rf"^{name}{{[^}}]*}} ([0-9.e+]+)$", text, re.MULTILINE))


def peak_rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status)[1]) / 1024  # type: ignore[index]


def run_once(stack: LocalStack, registry_url: str, topics: tuple[str, ...], batch: int,
             work: Path, *, replicas: int = 1, history: bool = False) -> dict[str, float]:
    ep = stack.state.endpoints
    schema = f"bench_{batch}_{replicas}" + ("_h" if history else "")
    at = Target(ep.kafka_bootstrap, ep.postgres_dsn, schema,
                f"bench-{batch}-{time.time_ns()}", topics)
    extra = {"history": {"default": True, "target_schema": f"{schema}_history"}} if history else {}
    sinks = []
    for n in range(replicas):  # replicas of one consumer group share the partitions
        port = free_port()
        cfg = write_config(work / f"sink-{batch}-{n}.yaml", at, registry_url,
                           batch_max_rows=batch, batch_max_wait_ms=1000, http_port=port,
                           **extra)
        sinks.append((SinkProcess(cfg, work / f"sink-{batch}-{n}.log"), port))
    started = time.monotonic()
    for sink, _ in sinks:
        sink.start()
    wait_converged(sinks[0][0], at, timeout=3600)
    took = time.monotonic() - started
    pages = [httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
             for _, port in sinks]
    rss = max(peak_rss_mb(sink.proc.pid) for sink, _ in sinks if sink.proc is not None)
    for sink, _ in sinks:
        sink.stop()
    consumed = sum(counter(page, "cdc_sink_records_consumed_total") for page in pages)
    rows = sum(counter(page, "cdc_sink_rows_upserted_total")
               + counter(page, "cdc_sink_rows_soft_deleted_total") for page in pages)
    return {"seconds": took, "changes_per_s": consumed / took, "rows_per_s": rows / took,
            "p50_ms": 1000 * quantile(pages[0], "cdc_sink_batch_duration_seconds", 0.5),
            "p99_ms": 1000 * quantile(pages[0], "cdc_sink_batch_duration_seconds", 0.99),
            "peak_rss_mb": rss, "consumed": consumed}


def _figures(r: dict[str, float], tag: object) -> dict[str, float]:
    return {f"changes_per_s_batch_{tag}": round(r["changes_per_s"]),
            f"rows_per_s_batch_{tag}": round(r["rows_per_s"]),
            f"commit_p50_ms_batch_{tag}": round(r["p50_ms"], 1),
            f"commit_p99_ms_batch_{tag}": round(r["p99_ms"], 1),
            f"peak_rss_mb_batch_{tag}": round(r["peak_rss_mb"])}


HISTORY_MODES = {"off": (False,), "on": (True,), "both": (False, True)}


def run_setting(stack: LocalStack, registry_url: str, topics: tuple[str, ...], work: Path, *,
                batch: int, replicas: int, modes: tuple[bool, ...]) -> dict[str, float]:
    """One batch size and replica count, without and/or with the change history."""
    figures: dict[str, float] = {}
    speed: dict[bool, float] = {}
    tag = str(batch) if replicas == 1 else f"{batch}_x{replicas}"
    for history in modes:
        r = run_once(stack, registry_url, topics, batch, work, replicas=replicas,
                     history=history)
        print(f"batch {batch:>6} x{replicas}{' history' if history else ''}: "
              f"{r['changes_per_s']:>9,.0f} changes/s, "
              f"{r['rows_per_s']:>9,.0f} rows/s, commit p50 {r['p50_ms']:.0f} ms "
              f"p99 {r['p99_ms']:.0f} ms, peak RSS {r['peak_rss_mb']:.0f} MB "
              f"({r['seconds']:.1f}s)", flush=True)
        figures.update(_figures(r, f"{tag}_history" if history else tag))
        speed[history] = r["changes_per_s"]
    if len(speed) == 2:
        figures[f"history_cost_ratio_batch_{tag}"] = round(speed[False] / speed[True], 2)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=1_000_000)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1000, 5000, 20000])
    parser.add_argument("--replicas", type=int, nargs="+", default=[1, 2, 3],
                        help="sink processes in one consumer group (figures per count)")
    parser.add_argument("--history", choices=sorted(HISTORY_MODES), default="off",
                        help="change history for every table: off, on, or both (the ratio)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="cdc-bench-"))
    stack = LocalStack(StackSettings(quick_jit=False, kafka_heap="1g"), work / "stack")
    stack.up()
    try:
        ep = stack.state.endpoints
        registry = registry_client(ep.registry_url)
        writers = processed_writers(registry, "bench")
        # two partitions per table: six in all, two for each of three replicas
        create_topics(ep.kafka_bootstrap, [w.topic for w in writers.values()], partitions=2)
        t0 = time.monotonic()
        events = perturb(Workload(seed=1).events(int(args.changes / 1.05),
                                                 mix=(0.25, 0.60, 0.10)),
                         random.Random(1), dup_rate=0.05, window=1)
        sent = produce(ep.kafka_bootstrap, writers, events)
        print(f"pre-produced {sent} changes in {time.monotonic() - t0:.0f}s")
        topics = tuple(w.topic for w in writers.values())
        figures: dict[str, float] = {"changes": float(sent)}
        for replicas in args.replicas:
            for batch in args.batch_sizes:
                figures.update(run_setting(stack, ep.registry_url, topics, work, batch=batch,
                                           replicas=replicas, modes=HISTORY_MODES[args.history]))
        print(json.dumps(figures))
    finally:
        stack.down()


if __name__ == "__main__":
    main()
