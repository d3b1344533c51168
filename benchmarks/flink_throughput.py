"""Throughput of the processor job beside its references, end to end through Kafka.

Raw Debezium events (``tests/support/cdcgen.py``: customers, orders, order_items with
inserts, updates, deletes and re-inserts; 5 % of them sent twice in a row, as a replay
would) are produced to 2-partition topics first, 500,000 by default. Then, at parallelism
1 and 2, three bounded jobs run over them on the embedded mini-cluster, each in its own
process (a fresh JVM) with the same job config (2 s exactly-once checkpoints to files):

* ``processor``: the product job, ``cdc job run --config``;
* ``passthrough``: raw bytes in, bytes out through the processor's own source and
  exactly-once sink, no Python on the record path (``benchmarks/flink_references.py``);
* ``flinksql``: the Flink SQL pipeline a user would write instead: debezium-avro-confluent
  sources with primary keys, Flink's duplicate-change handling, upsert-kafka sinks with
  avro-confluent values, exactly once (``benchmarks/flink_references.py``).

A run is timed from its first output record (broker append time, so JVM start-up and job
submission are left out) to the moment all its output is committed: the read_committed end
(last stable offset) of every output partition is polled while the job runs. The output is
then counted read_committed and checked: the pass-through writes every input record, the
Flink SQL pipeline one record per effective change (the generator's model of upsert
semantics: exact copies, no-op updates and deletes of absent rows write nothing), the
processor each distinct change once (at most every input record). Before the measured runs
a warm-up pass runs each job once over a small separate input, so no measured run pays for
cold caches (JARs, broker, registry).

    .venv/bin/python benchmarks/flink_throughput.py [--events N] [--bootstrap B --registry R]

Without --bootstrap/--registry it starts the local stack (deploy/local) for the run. A job
that fails is reported with its error and the others still run. The last line printed is
one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from confluent_kafka import Consumer, IsolationLevel, KafkaError, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient, OffsetSpec

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cdc_stack import LocalStack, StackSettings
from tests.integration.kafkaclients import create_topics
from tests.support.cdcgen import Event, TopicWriter, Workload, produce
from tests.support.registry import registry_client

ROOT = Path(__file__).resolve().parent.parent
PARTITIONS = 2
DUPLICATE_RATE = 0.05
JOBS = ("processor", "passthrough", "flinksql")
CONTRACTS = """
table: public.orders
primary_key: [id]
expectations:
  - {name: total_non_negative, column: total_amount, kind: range, min: 0}
enrichment:
  - {from_column: customer_id, dimension_table: public.customers, dimension_key: id,
     fields: {segment: customer_segment}, wait_ms: 1000}
"""


@dataclass(frozen=True)
class Input:
    """The produced raw topics and what each job must write from them."""

    topics: list[str]
    events: int  # records produced, copies included
    distinct: int  # distinct changes: what the processor writes after dedup
    upserts: int  # effective changes: what an upsert pipeline writes


def make_input(bootstrap: str, registry: str, prefix: str, events: int, seed: int) -> Input:
    """Produce ``events`` raw records (copies included) to ``<prefix>.public.<table>``."""
    workload, rng, stream = Workload(seed), random.Random(seed), []
    client = registry_client(registry)
    writers = {spec.table: TopicWriter.register(client, f"{prefix}.public.{spec.table}", spec,
                                                processed=False) for spec in workload.specs}
    create_topics(bootstrap, [w.topic for w in writers.values()], partitions=PARTITIONS)
    distinct = []
    while len(stream) < events:
        (event,) = workload.events(1)
        distinct.append(event)
        copies = 2 if rng.random() < DUPLICATE_RATE and len(stream) + 1 < events else 1
        stream += [event] * copies
    produce(bootstrap, writers, stream)
    return Input([w.topic for w in writers.values()], len(stream), len(distinct),
                 upsert_count(distinct))


def upsert_count(events: list[Event]) -> int:
    """Records an upsert sink writes for these distinct changes, in order: one per insert or
    changed row, one tombstone per delete of a present row."""
    rows: dict[tuple[str, tuple[Any, ...]], dict[str, Any] | None] = {}
    written = 0
    for ev in events:
        key = (ev.spec.table, ev.key_tuple)
        before = rows.get(key)
        written += (before is not None) if ev.op == "d" else (before != ev.after)
        rows[key] = None if ev.op == "d" else ev.after
    return written


@dataclass(frozen=True)
class Outcome:
    """One run: seconds from first output to all committed, records written read_committed."""

    seconds: float
    written: int


class JobFailed(Exception):
    """A job exited non-zero; ``error`` is the tail of what it printed."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


def job_config(args: argparse.Namespace, topics: list[str], parallelism: int, work: Path,
               tag: str) -> Path:
    """A bounded processor config over ``topics``, everything named after ``tag``."""
    contracts = work / "contracts.yaml"
    contracts.write_text(CONTRACTS)
    config = {
        "kafka": {"bootstrap_servers": args.bootstrap, "topics": topics,
                  "group_id": f"bench-{tag}", "bounded": True},
        "registry": {"url": args.registry},
        # Checkpoints on disk: JobManager memory storage caps state at 5 MB, which the
        # enrichment state of a 100k-event run exceeds (a failover, not a measurement).
        "job": {"name": f"bench-{tag}", "parallelism": parallelism,
                "checkpoint_interval_ms": 2_000,
                "checkpoint_dir": (work / f"checkpoints-{tag}").as_uri(),
                "transactional_id_prefix": f"bench-{tag}", "execution_mode": "thread"},
        "processing": {"processed_prefix": f"bench-{tag}", "dlq_topic": f"bench-dlq-{tag}",
                       "contracts": [str(contracts)]},
        "metrics": {"topic": f"bench-metrics-{tag}", "sums": {"public.orders": ["total_amount"]}},
    }
    path = work / f"job-{tag}.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def run_job(args: argparse.Namespace, job: str, data: Input, parallelism: int,
            work: Path) -> Outcome:
    """Run one bounded job over ``data``; timed from first output to all committed."""
    tag = f"{int(time.time())}-{uuid.uuid4().hex[:6]}-{job}-p{parallelism}"
    config = job_config(args, data.topics, parallelism, work, tag)
    processed = [f"bench-{tag}{t[t.index('.'):]}" for t in data.topics]
    watched = processed + ([f"bench-metrics-{tag}", f"bench-dlq-{tag}"]
                           if job == "processor" else [])
    create_topics(args.bootstrap, watched, partitions=PARTITIONS,
                  config={"message.timestamp.type": "LogAppendTime"})
    command = ([sys.executable, "-m", "cdc_cli.main", "job", "run", "--config", str(config)]
               if job == "processor" else
               [sys.executable, str(ROOT / "benchmarks" / "flink_references.py"), job,
                "--config", str(config)])
    with watch_commits(args.bootstrap, watched) as committed_at:
        _run(command, args.job_timeout_s)
    return Outcome(committed_at() - first_output_s(args.bootstrap, processed),
                   count_committed(args.bootstrap, processed))


def _run(command: list[str], timeout_s: float) -> None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT,
                              timeout=timeout_s)
    except subprocess.TimeoutExpired as exc:
        raise JobFailed(f"no end after {timeout_s:.0f}s: {command}") from exc
    if done.returncode != 0:
        raise JobFailed(f"exit {done.returncode}:\n{_error_lines(done.stdout + done.stderr)}")


def _error_lines(output: str) -> str:
    """The lines naming exceptions (the root cause last), else the output's tail."""
    lines = output.splitlines()
    named = [ln for ln in lines if "Exception" in ln or "Error" in ln]
    return "\n".join((named or lines)[-25:])


@contextmanager
def watch_commits(bootstrap: str, topics: list[str]) -> Iterator[Any]:
    """Poll the read_committed end offsets of ``topics`` while the body runs; yields a
    function giving the wall-clock time their sum last moved (all output committed)."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    spec = {TopicPartition(t, p): OffsetSpec.latest() for t in topics for p in range(PARTITIONS)}

    def committed() -> int | None:
        """The sum of the partitions' committed ends; None while the broker cannot say
        (a leader not known yet just after the topics were created)."""
        found = admin.list_offsets(spec, isolation_level=IsolationLevel.READ_COMMITTED)
        try:
            return sum(f.result().offset for f in found.values())
        except KafkaException:
            return None

    state: dict[str, Any] = {"total": wait_for(committed, "output offsets"), "at": time.time()}
    stop = threading.Event()

    def poll() -> None:
        while not stop.wait(0.05):
            total = committed()
            if total is not None and total != state["total"]:
                state.update(total=total, at=time.time())

    thread = threading.Thread(target=poll, daemon=True)
    thread.start()
    try:
        yield lambda: state["at"]
    finally:
        stop.set()
        thread.join()
        if wait_for(committed, "output offsets") != state["total"]:  # as the job ended
            state["at"] = time.time()


def wait_for(probe: Callable[[], int | None], what: str, timeout_s: float = 30) -> int:
    """The first answer of ``probe`` that is not None."""
    deadline = time.monotonic() + timeout_s
    while (found := probe()) is None:
        if time.monotonic() > deadline:
            raise JobFailed(f"{what}: no answer in {timeout_s:.0f}s")
        time.sleep(0.2)
    return found


def first_output_s(bootstrap: str, topics: list[str]) -> float:
    """Append time of the earliest output record (processing start, after JVM start-up)."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "bench-probe",
                         "enable.auto.commit": False})
    first = []
    for topic in topics:
        for p in range(PARTITIONS):
            consumer.assign([TopicPartition(topic, p, 0)])
            msg = consumer.poll(3)
            if msg is not None and not msg.error():
                first.append(msg.timestamp()[1] / 1000)
    consumer.close()
    if not first:
        raise JobFailed(f"no output on {topics}")
    return min(first)


def count_committed(bootstrap: str, topics: list[str]) -> int:
    """Records (tombstones included) a read_committed consumer sees on ``topics``."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "bench-probe",
                         "enable.auto.commit": False, "isolation.level": "read_committed",
                         "enable.partition.eof": True})
    parts = [TopicPartition(t, p, 0) for t in topics for p in range(PARTITIONS)]
    consumer.assign(parts)
    total, open_parts = 0, {(tp.topic, tp.partition) for tp in parts}
    while open_parts:
        batch = consumer.consume(10_000, timeout=10)
        if not batch:
            raise JobFailed(f"output not readable to its end: {sorted(open_parts)}")
        for msg in batch:
            if msg.error() is None:
                total += 1
            elif msg.error().code() == KafkaError._PARTITION_EOF:  # the committed end
                open_parts.discard((msg.topic(), msg.partition()))
    consumer.close()
    return total


def count_problem(job: str, written: int, data: Input) -> str | None:
    """Why ``written`` is not what ``job`` must write from ``data``, or None."""
    if job == "passthrough" and written != data.events:
        return f"wrote {written}, expected every input record: {data.events}"
    if job == "flinksql" and written != data.upserts:
        return f"wrote {written}, expected one per effective change: {data.upserts}"
    if job == "processor" and not data.distinct <= written <= data.events:
        return f"wrote {written}, expected {data.distinct} distinct changes (at most all)"
    return None


FIGURE = {"processor": "events_per_s_p{p}", "passthrough": "passthrough_events_per_s_p{p}",
          "flinksql": "flinksql_events_per_s_p{p}"}


def measure(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    started = time.time()
    data = make_input(args.bootstrap, args.registry, f"bench{int(started)}", args.events, 7)
    print(f"produced {data.events} events ({data.distinct} distinct, {data.upserts} effective "
          f"upserts) in {time.time() - started:.1f}s", flush=True)
    figures: dict[str, Any] = {"events": data.events}
    if args.warmup_events:
        warm = make_input(args.bootstrap, args.registry, f"warm{int(started)}",
                          args.warmup_events, 8)
        for job in args.jobs:
            _attempt(args, job, warm, 1, work, figures={}, label="warm-up")
    for p in args.parallelism:
        for job in args.jobs:
            _attempt(args, job, data, p, work, figures=figures)
    figures.update(_ratios(figures, max(args.parallelism)))
    return figures


def _attempt(args: argparse.Namespace, job: str, data: Input, p: int, work: Path, *,
             figures: dict[str, Any], label: str = "measured") -> None:
    """Run one job; its figure, written count and any error go into ``figures``."""
    name = FIGURE[job].format(p=p)
    try:
        outcome = run_job(args, job, data, p, work)
    except JobFailed as failed:
        print(f"{label} {job} p={p} FAILED: {failed.error}", flush=True)
        figures[name], figures.setdefault("errors", {})[name] = None, failed.error
        return
    figures[name] = round(data.events / outcome.seconds)
    figures[f"{job}_written_p{p}"] = outcome.written
    problem = count_problem(job, outcome.written, data)
    if problem:
        figures.setdefault("count_errors", {})[name] = problem
    print(f"{label} {job:<11} p={p}: {outcome.seconds:.1f}s, "
          f"{data.events / outcome.seconds:,.0f} events/s, {outcome.written} records written"
          f"{'; COUNT ' + problem if problem else ''}", flush=True)


def _ratios(figures: dict[str, Any], p: int) -> dict[str, float | None]:
    mine = figures.get(f"events_per_s_p{p}")
    return {f"processor_to_{ref}_p{p}": (round(mine / other, 2) if mine and other else None)
            for ref in ("passthrough", "flinksql")
            for other in [figures.get(FIGURE[ref].format(p=p))]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=500_000)
    parser.add_argument("--warmup-events", type=int, default=20_000,
                        help="input of the warm-up pass (0: no warm-up)")
    parser.add_argument("--bootstrap")
    parser.add_argument("--registry")
    parser.add_argument("--parallelism", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--jobs", nargs="+", choices=JOBS, default=list(JOBS))
    parser.add_argument("--job-timeout-s", type=float, default=3600)
    args = parser.parse_args()
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        if not (args.bootstrap and args.registry):
            local = LocalStack(StackSettings(), Path(tmp) / "stack")
            ep = local.up().endpoints
            stack.callback(local.down)
            args.bootstrap, args.registry = ep.kafka_bootstrap, ep.registry_url
        figures = measure(args, Path(tmp))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
