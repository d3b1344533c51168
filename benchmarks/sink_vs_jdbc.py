"""`cdc sink` against the Debezium JDBC sink connector, side by side on the same topics.

One local stack (Kafka, the registry, PostgreSQL) and a Kafka Connect worker with the
Debezium JDBC sink plugin (resolved by ``cdc stack resolve --all``). The workload is
pre-produced once: N changes over three tables of two partitions each (30% creates, 60%
updates, 10% deletes, 5% duplicate deliveries), Avro through the registry, both as raw
Debezium envelopes and as processed records (the Flink job's output). Then, interleaved,
round after round:

- the JDBC sink (``tasks.max=2``, ``batch.size=5000`` with the consumer fetching as much,
  upsert, ``delete.enabled``, the reduction buffer) on the raw topics, its worker's JVM
  warmed by one full run that is not counted;
- ``cdc sink`` (batch 5000) with one and two replicas of one consumer group, on the raw and
  on the processed topics.

Each run starts from offset 0 in a fresh consumer group and a fresh target, and is timed
until every partition's end offset is committed to Kafka; its CPU (user + system, from
/proc) is the sink's own: the sink processes, or the Connect worker's JVM. The end state is
checked against the workload's model: the live rows and a value column per table (the JDBC
sink hard-deletes, `cdc sink` soft-deletes). Prints one line per run, then one JSON line:
changes/s, CPU µs per change, PostgreSQL CPU µs per change and peak RSS per setting (the
best of the rounds for throughput, with the CPU of that run), and the ratios.

    .venv/bin/python benchmarks/sink_vs_jdbc.py [--changes 1000000] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
from confluent_kafka import Consumer, TopicPartition
from psycopg import sql

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cdc_stack import LocalStack, StackSettings, connect, processes, resolve
from cdc_stack.connect import converter_config
from cdc_stack.jdk import find_java
from cdc_stack.ports import free_port
from tests.integration.kafkaclients import create_topics
from tests.integration.sink.harness import SinkProcess, Target, end_offsets, write_config
from tests.support.cdcgen import TABLES, TopicWriter, Workload, perturb, produce
from tests.support.registry import registry_client

BATCH = 5000
MIX = (0.30, 0.60, 0.10)
CLOCK = os.sysconf("SC_CLK_TCK")
# One value column per table, compared with the model besides the live keys.
CHECKED = {"customers": "name", "orders": "status", "order_items": "qty"}


@dataclass(frozen=True)
class Run:
    """What one timed run measured."""

    name: str
    seconds: float
    changes: int
    cpu_s: float
    pg_cpu_s: float
    peak_rss_mb: float
    startup_cpu_s: float = 0.0  # of cpu_s: the sink processes' start until /healthz answers

    @property
    def per_s(self) -> float:
        return self.changes / self.seconds

    def figures(self) -> dict[str, float]:
        out = {"changes_per_s": round(self.per_s),
               "cpu_us_per_change": round(1e6 * self.cpu_s / self.changes, 2),
               "pg_cpu_us_per_change": round(1e6 * self.pg_cpu_s / self.changes, 2),
               "peak_rss_mb": round(self.peak_rss_mb), "seconds": round(self.seconds, 2)}
        if self.name.startswith("sink"):  # the JDBC sink runs on a worker started before
            out["startup_cpu_s"] = round(self.startup_cpu_s, 2)
        return out


# -- /proc -----------------------------------------------------------------------------------

def _stat(pid: int) -> list[str]:
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2:].split()  # fields from 3 on; the name may hold spaces


def cpu_s(pid: int, *, reaped: bool = False) -> float:
    """User + system CPU seconds of ``pid`` (with its exited children's when ``reaped``)."""
    fields = _stat(pid)
    ticks = int(fields[11]) + int(fields[12])  # utime, stime
    if reaped:
        ticks += int(fields[13]) + int(fields[14])  # cutime, cstime
    return ticks / CLOCK


def tree_cpu_s(root: int) -> float:
    """CPU of ``root``, of its exited children and of its live children (PostgreSQL's
    postmaster and its backends)."""
    total = cpu_s(root, reaped=True)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int(_stat(int(entry.name))[1]) == root:
                    total += cpu_s(int(entry.name))
            except (OSError, ValueError, IndexError):
                continue  # exited meanwhile: its CPU is in the parent's cutime now
    return total


def peak_rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status)[1]) / 1024  # type: ignore[index]


# -- Kafka -------------------------------------------------------------------------------------

def wait_committed(bootstrap: str, group: str, target: dict[tuple[str, int], int],
                   alive: Callable[[], bool], timeout: float = 3600) -> None:
    """Until ``group`` has committed every partition's end offset."""
    reader = Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                       "enable.auto.commit": False})
    wanted = [TopicPartition(t, p) for t, p in target]
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            done = reader.committed(wanted, timeout=10)
            if all(tp.offset >= target[(tp.topic, tp.partition)] for tp in done):
                return
            if not alive():
                raise RuntimeError(f"the sink of group {group} stopped before the end")
            time.sleep(0.1)
    finally:
        reader.close()
    raise RuntimeError(f"group {group} did not reach the end offsets in {timeout:.0f}s")


# -- end state -------------------------------------------------------------------------------

Rows = dict[str, set[tuple[Any, ...]]]


def expected_rows(workload: Workload) -> Rows:
    """Per table, (key..., checked value) of every live row of the model."""
    out: Rows = {}
    for table, rows in workload.expected().items():
        column = CHECKED[table]
        out[table] = {(*key, row[column]) for key, (deleted, row) in rows.items()
                      if not deleted and row is not None}
    return out


def table_rows(dsn: str, schema: str, relation: str, table: str,
               live_only: str | None) -> set[tuple[Any, ...]]:
    """(key..., checked value) of the rows of ``relation``, which holds ``table``."""
    spec = next(s for s in TABLES if s.table == table)
    cols = sql.SQL(", ").join(sql.Identifier(c) for c in (*spec.key_fields, CHECKED[table]))
    where = sql.SQL("") if live_only is None else sql.SQL(" where not {}").format(
        sql.Identifier(live_only))
    query = sql.SQL("select {} from {}{}").format(cols, sql.Identifier(schema, relation), where)
    with psycopg.connect(dsn) as conn:
        return {tuple(r) for r in conn.execute(query).fetchall()}


def check(name: str, expected: Rows, found: Callable[[str], set[tuple[Any, ...]]]) -> None:
    for table, rows in expected.items():
        got = found(table)
        if got != rows:
            raise RuntimeError(f"{name}: {table} holds {len(got)} live rows, the model "
                               f"{len(rows)}; {len(got ^ rows)} differ")


# -- the two sinks -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Worker:
    """The benchmark's own Connect worker: the JDBC sink plugin is not one every worker loads."""

    record: processes.ProcessRecord
    url: str


def start_worker(stack: LocalStack, cache: Path) -> Worker:
    port = free_port()
    record = connect.start(find_java(17), cache, stack.run_dir, port=port,
                           bootstrap=stack.state.endpoints.kafka_bootstrap,
                           jvm_opts=["-Xms1g", "-Xmx1g", "-XX:+UseSerialGC"],
                           extra_plugins=("jdbc-sink",))
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            if "JdbcSinkConnector" in httpx.get(f"{url}/connector-plugins", timeout=5).text:
                return Worker(record, url)
        except httpx.HTTPError:
            pass
        if not processes.is_running(record):
            break
        time.sleep(0.5)
    processes.stop(record)
    raise RuntimeError(f"Kafka Connect did not offer the JDBC sink:\n"
                       f"{processes.log_tail(record.log_file)}")


class Bench:
    def __init__(self, stack: LocalStack, worker: Worker, work: Path, expected: Rows, *,
                 raw: tuple[str, ...], processed: tuple[str, ...]) -> None:
        self.stack, self.worker, self.work, self.expected = stack, worker, work, expected
        self.ep = stack.state.endpoints
        self.inputs = {"raw": raw, "processed": processed}
        self.targets = {t: o for t, o in end_offsets(self.ep.kafka_bootstrap,
                                                     (*raw, *processed)).items()}
        self.http = httpx.Client(timeout=60)
        self.n = 0

    def changes(self, topics: tuple[str, ...]) -> int:
        return sum(o for (t, _), o in self.targets.items() if t in topics)

    def _pg_cpu(self) -> float:
        return tree_cpu_s(self.stack.state.processes["postgres"].pid)

    def jdbc(self) -> Run:
        self.n += 1
        name = f"jdbc-{self.n}"
        topics = self.inputs["raw"]
        self._drop_jdbc_tables(topics)
        worker = self.worker.record.pid
        target = {tp: o for tp, o in self.targets.items() if tp[0] in topics}
        cpu0, pg0, started = cpu_s(worker), self._pg_cpu(), time.monotonic()
        response = self.http.put(f"{self.worker.url}/connectors/{name}/config",
                                 json=self._jdbc_config(topics))
        response.raise_for_status()
        wait_committed(self.ep.kafka_bootstrap, f"connect-{name}", target,
                       lambda: self._jdbc_alive(name))
        took = time.monotonic() - started
        cpu, pg = cpu_s(worker) - cpu0, self._pg_cpu() - pg0
        self.http.delete(f"{self.worker.url}/connectors/{name}").raise_for_status()
        check(name, self.expected, lambda t: table_rows(
            self.ep.postgres_dsn, "public", _jdbc_table(topics, t), t, None))
        return Run(name, took, self.changes(topics), cpu, pg, peak_rss_mb(worker))

    def _jdbc_config(self, topics: tuple[str, ...]) -> dict[str, str]:
        dsn = psycopg.conninfo.conninfo_to_dict(self.ep.postgres_dsn)
        return {
            "connector.class": "io.debezium.connector.jdbc.JdbcSinkConnector",
            "tasks.max": "2", "topics": ",".join(topics),
            "connection.url": f"jdbc:postgresql://{dsn['host']}:{dsn['port']}/{dsn['dbname']}",
            "connection.username": str(dsn.get("user", "")),
            "connection.password": str(dsn.get("password", "")),
            "insert.mode": "upsert", "delete.enabled": "true",
            "primary.key.mode": "record_key", "schema.evolution": "basic",
            "batch.size": str(BATCH), "use.reduction.buffer": "true",
            # the connector's batch is at most what one poll returns: fetch as much
            "consumer.override.max.poll.records": str(BATCH),
            "consumer.override.auto.offset.reset": "earliest",
            **converter_config(self.ep.registry_v2_url, "key"),
            **converter_config(self.ep.registry_v2_url, "value"),
        }

    def _jdbc_alive(self, name: str) -> bool:
        response = self.http.get(f"{self.worker.url}/connectors/{name}/status")
        if response.status_code != 200:
            return True  # not started yet
        body = response.json()
        states = [body["connector"]["state"], *(t["state"] for t in body.get("tasks", []))]
        if "FAILED" in states:
            traces = [t.get("trace", "") for t in body.get("tasks", [])]
            print("\n".join(traces)[:3000], file=sys.stderr)
            return False
        return True

    def _drop_jdbc_tables(self, topics: tuple[str, ...]) -> None:
        with psycopg.connect(self.ep.postgres_dsn, autocommit=True) as conn:
            for spec in TABLES:
                conn.execute(sql.SQL("drop table if exists {}").format(
                    sql.Identifier("public", _jdbc_table(topics, spec.table))))

    def sink(self, kind: str, replicas: int) -> Run:
        self.n += 1
        topics = self.inputs[kind]
        at = Target(self.ep.kafka_bootstrap, self.ep.postgres_dsn, f"bench_{kind}_{self.n}",
                    f"bench-{kind}-{self.n}-{time.time_ns()}", topics)
        ports = [free_port() for _ in range(replicas)]
        sinks = [SinkProcess(write_config(
            self.work / f"{at.group}-{i}.yaml", at, self.ep.registry_url, batch_max_rows=BATCH,
            batch_max_wait_ms=1000, http_port=port), self.work / f"{at.group}-{i}.log")
            for i, port in enumerate(ports)]
        target = {tp: o for tp, o in self.targets.items() if tp[0] in topics}
        pg0, started = self._pg_cpu(), time.monotonic()
        for s in sinks:
            s.start()
        startup = sum(self._started_cpu(s, port) for s, port in zip(sinks, ports, strict=True))
        wait_committed(at.bootstrap, at.group, target, lambda: all(s.alive() for s in sinks))
        took = time.monotonic() - started
        pids = [s.proc.pid for s in sinks if s.proc is not None]
        cpu, rss, pg = sum(cpu_s(p) for p in pids), max(map(peak_rss_mb, pids)), \
            self._pg_cpu() - pg0
        for s in sinks:
            s.stop()
        check(at.group, self.expected, lambda t: table_rows(
            self.ep.postgres_dsn, at.schema, t, t, "is_deleted"))
        return Run(f"sink_{kind}_x{replicas}", took, self.changes(topics), cpu, pg, rss,
                   startup)

    def _started_cpu(self, sink: SinkProcess, port: int) -> float:
        """The CPU a sink spent until its /healthz answers (imports, connections)."""
        assert sink.proc is not None
        while sink.alive():
            try:
                self.http.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                return cpu_s(sink.proc.pid)
            except httpx.HTTPError:
                time.sleep(0.02)
        raise RuntimeError(f"a sink stopped while starting:\n{sink.tail()}")


def _jdbc_table(topics: tuple[str, ...], table: str) -> str:
    """The JDBC sink's table for a topic: the topic name, dots as underscores."""
    topic = next(t for t in topics if t.endswith(f".{table}"))
    return topic.replace(".", "_")


# -- main --------------------------------------------------------------------------------------

def produce_inputs(stack: LocalStack, changes: int) -> tuple[Workload, tuple[str, ...],
                                                             tuple[str, ...]]:
    ep = stack.state.endpoints
    registry = registry_client(ep.registry_url)
    writers = {kind: {s.table: TopicWriter.register(
        registry, f"{prefix}.public.{s.table}", s, processed=kind == "processed")
        for s in TABLES} for kind, prefix in (("raw", "braw"), ("processed", "bproc"))}
    for ws in writers.values():
        create_topics(ep.kafka_bootstrap, [w.topic for w in ws.values()], partitions=2)
    workload = Workload(seed=1)
    events = perturb(workload.events(round(changes / 1.05), mix=MIX), random.Random(1),
                     dup_rate=0.05, window=1)
    for ws in writers.values():
        produce(ep.kafka_bootstrap, ws, events)
    return (workload, tuple(w.topic for w in writers["raw"].values()),
            tuple(w.topic for w in writers["processed"].values()))


def summary(runs: list[Run]) -> dict[str, Any]:
    best: dict[str, Run] = {}
    for run in runs:
        key = "jdbc" if run.name.startswith("jdbc") else run.name
        if key not in best or run.per_s > best[key].per_s:
            best[key] = run
    out: dict[str, Any] = {k: r.figures() for k, r in best.items()}
    jdbc, raw1 = best.get("jdbc"), best.get("sink_raw_x1")
    if jdbc and raw1:
        out["ratio_sink_raw_x1_vs_jdbc_changes_per_s"] = round(raw1.per_s / jdbc.per_s, 2)
        out["ratio_sink_raw_x1_vs_jdbc_cpu_per_change"] = round(
            (raw1.cpu_s / raw1.changes) / (jdbc.cpu_s / jdbc.changes), 2)
    for n in (1, 2):
        raw, proc = best.get(f"sink_raw_x{n}"), best.get(f"sink_processed_x{n}")
        if raw and proc:
            out[f"ratio_processed_vs_raw_x{n}_changes_per_s"] = round(proc.per_s / raw.per_s, 2)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds of all runs")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="cdc-bench-jdbc-"))
    settings = StackSettings(quick_jit=False, kafka_heap="1g")
    resolve.resolve(settings.cache_dir, ("connect", "connect-plugins", "converter", "jdbc-sink"))
    stack = LocalStack(settings, work / "stack")
    stack.up()
    worker = None
    try:
        worker = start_worker(stack, settings.cache_dir)
        t0 = time.monotonic()
        workload, raw, processed = produce_inputs(stack, args.changes)
        bench = Bench(stack, worker, work, expected_rows(workload), raw=raw,
                      processed=processed)
        print(f"pre-produced {bench.changes(raw)} changes twice in {time.monotonic() - t0:.0f}s",
              flush=True)
        warm = bench.jdbc()
        print(f"JVM warm-up (not counted): {warm.per_s:,.0f} changes/s", flush=True)
        runs: list[Run] = []
        plan: list[Callable[[], Run]] = [bench.jdbc, lambda: bench.sink("raw", 1),
                                         lambda: bench.sink("processed", 1),
                                         lambda: bench.sink("raw", 2),
                                         lambda: bench.sink("processed", 2)]
        for _ in range(args.rounds):
            for step in plan:
                run = step()
                runs.append(run)
                f = run.figures()
                print(f"{run.name:<20} {f['changes_per_s']:>8,} changes/s  "
                      f"{f['cpu_us_per_change']:>6} µs CPU/change  PostgreSQL "
                      f"{f['pg_cpu_us_per_change']} µs/change  start-up CPU "
                      f"{f.get('startup_cpu_s', '-')} s  peak RSS {f['peak_rss_mb']} MB "
                      f"({f['seconds']} s)", flush=True)
        print(json.dumps({"changes": bench.changes(raw), "rounds": args.rounds,
                          **summary(runs)}))
    finally:
        if worker is not None:
            processes.stop(worker.record)
        stack.down()


if __name__ == "__main__":
    main()
