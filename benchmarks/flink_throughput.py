"""Throughput of the processor job vs a pass-through job, end to end through Kafka.

500,000 raw Debezium events (orders 60 %, customers 20 %, products 20 %; 5 % exact
duplicates; orders enriched from customers) are produced to 2-partition topics first.
Then each job runs bounded on the embedded mini-cluster at parallelism 1 and 2, and is
timed from its first output record (broker append time, so JVM start-up is left out) to
the moment the bounded job has finished, i.e. its last transaction is committed.  The
pass-through job (bytes in → one Python map → bytes out, same source topics, same
exactly-once sink) shows what the Python stages cost.  The decode-only job
(``flink_jobs.decode_only``: the same wiring with the processor's full per-record decode
in that one map, reading a packed copy of the same changes) bounds what any job that
decodes each record in Python can reach here: ``decode_only_events_per_s_pN``.

    .venv/bin/python benchmarks/flink_throughput.py [--events N] [--bootstrap B --registry R]

Without --bootstrap/--registry it starts the local stack (deploy/local) for the run.
The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import yaml
from confluent_kafka import Consumer, Producer, TopicPartition

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cdc_stack import LocalStack, StackSettings
from flink_jobs.decode_only import pack
from flink_jobs.processor import default_connector_jar
from tests.integration.flink.debezium import (
    BASE_TS,
    CUSTOMERS_COLUMNS,
    ORDERS_COLUMNS,
    PRODUCTS_COLUMNS,
    RawTable,
    customer,
    order,
)
from tests.integration.kafkaclients import create_topics
from tests.support.registry import registry_client

ROOT = Path(__file__).resolve().parent.parent
PARTITIONS = 2
CONTRACTS = """
table: public.orders
primary_key: [id]
expectations:
  - {name: total_non_negative, column: total_amount, kind: range, min: 0}
enrichment:
  - {from_column: customer_id, dimension_table: public.customers, dimension_key: id,
     fields: {segment: customer_segment, country: customer_country}, wait_ms: 1000}
"""


def packed_topic(prefix: str) -> str:
    """Where ``produce`` writes the packed copy of every change (for the decode-only job)."""
    return f"{prefix}.packed"


def produce(bootstrap: str, registry: str, prefix: str, events: int) -> list[str]:
    """Write the raw events, and each once more to ``packed_topic(prefix)``; the raw topic
    names."""
    client = registry_client(registry)
    tables = [RawTable(prefix, name, cols).register(client) for name, cols in
              (("orders", ORDERS_COLUMNS), ("customers", CUSTOMERS_COLUMNS),
               ("products", PRODUCTS_COLUMNS))]
    packed = packed_topic(prefix)
    create_topics(bootstrap, [t.topic for t in tables] + [packed], partitions=PARTITIONS)
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 20,
                         "batch.num.messages": 10000, "queue.buffering.max.messages": 1000000})
    rng, sent, i = random.Random(7), 0, 0
    while sent < events:
        table = tables[0 if rng.random() < 0.6 else rng.choice((1, 2))]
        key, value = _change(table, i, rng)
        copies = 2 if rng.random() < 0.05 and sent + 1 < events else 1
        for _ in range(copies):
            producer.produce(table.topic, key=key, value=value)
            producer.produce(packed, key=key, value=pack(table.topic, key, value))
        sent, i = sent + copies, i + 1
        if i % 50_000 == 0:
            producer.poll(0)
    producer.flush(120)
    return [t.topic for t in tables]


def _change(table: RawTable, i: int, rng: random.Random) -> tuple[bytes, bytes]:
    ts = BASE_TS + i * 2
    if table.table == "orders":
        row = order(i % 100_000, customer_id=rng.randrange(1, 5000),
                    amount=f"{rng.randrange(100, 100_000) / 100:.2f}")
    elif table.table == "customers":
        row = customer(i % 5000, rng.choice(["gold", "silver"]), rng.choice(["DE", "FR"]))
    else:
        row = {"id": i % 20_000, "title": f"product {i}", "price": order(0)["total_amount"]}
    return table.change("c" if i < 200_000 else "u", row, lsn=1_000_000 + i, ts_ms=ts)


def run_processor(args: argparse.Namespace, topics: list[str], parallelism: int,
                  work: Path) -> tuple[float, int]:
    tag = f"{int(time.time() * 1000)}-p{parallelism}"
    path = _job_config(args, topics, parallelism, work, tag)
    out = [f"bench-{tag}.public.{t.rsplit('.', 1)[1]}" for t in topics]
    _create(args.bootstrap, out)
    end = _timed([sys.executable, "-m", "cdc_cli.main", "job", "run", "--config", str(path)])
    return end - _first_output_s(args.bootstrap, out), _count(args.bootstrap, out)


def run_decode_only(args: argparse.Namespace, packed: str, parallelism: int,
                    work: Path) -> tuple[float, int]:
    tag = f"{int(time.time() * 1000)}-d{parallelism}"
    path = _job_config(args, [packed], parallelism, work, tag)
    out = f"bench-decode-{tag}"
    _create(args.bootstrap, [out])
    end = _timed([sys.executable, "-m", "flink_jobs.decode_only", "--config", str(path),
                  "--sink-topic", out])
    return end - _first_output_s(args.bootstrap, [out]), _count(args.bootstrap, [out])


def _job_config(args: argparse.Namespace, topics: list[str], parallelism: int, work: Path,
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
        "job": {"parallelism": parallelism, "checkpoint_interval_ms": 2_000,
                "checkpoint_dir": (work / f"checkpoints-{tag}").as_uri(),
                "transactional_id_prefix": f"bench-{tag}", "execution_mode": "thread"},
        "processing": {"processed_prefix": f"bench-{tag}", "dlq_topic": f"bench-dlq-{tag}",
                       "contracts": [str(contracts)]},
        "metrics": {"topic": f"bench-metrics-{tag}", "sums": {"public.orders": ["total_amount"]}},
    }
    path = work / f"job-{tag}.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def run_passthrough(args: argparse.Namespace, topics: list[str], parallelism: int
                    ) -> tuple[float, int]:
    tag = f"{int(time.time() * 1000)}-pt{parallelism}"
    out = f"bench-pass-{tag}"
    _create(args.bootstrap, [out])
    jar = default_connector_jar()
    end = _timed([sys.executable, "-m", "flink_jobs.passthrough", "--bootstrap", args.bootstrap,
                  "--source-topic", *topics, "--sink-topic", out, "--group-id", f"g-{tag}",
                  "--connector-jar", str(jar), "--parallelism", str(parallelism),
                  "--transactional-id-prefix", f"bench-{tag}", "--bounded",
                  "--checkpoint-interval-ms", "2000"])
    return end - _first_output_s(args.bootstrap, [out]), _count(args.bootstrap, [out])


def _timed(cmd: list[str]) -> float:
    """Run a bounded job to completion; the wall-clock time it finished."""
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"job failed: {done.stdout[-2000:]}{done.stderr[-4000:]}")
    return time.time()


def _create(bootstrap: str, topics: list[str]) -> None:
    """Output topics stamp records at append, so the first one marks processing start."""
    create_topics(bootstrap, topics, partitions=PARTITIONS,
                  config={"message.timestamp.type": "LogAppendTime"})


def _first_output_s(bootstrap: str, topics: list[str]) -> float:
    """Create time of the earliest output record (processing start, after JVM start-up)."""
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
    return min(first)


def _count(bootstrap: str, topics: list[str]) -> int:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "bench-probe"})
    total = 0
    for topic in topics:
        for p in range(PARTITIONS):
            low, high = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
            total += high - low
    consumer.close()
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=500_000)
    parser.add_argument("--bootstrap")
    parser.add_argument("--registry")
    parser.add_argument("--parallelism", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        if not (args.bootstrap and args.registry):
            local = LocalStack(StackSettings(), Path(tmp) / "stack")
            ep = local.up().endpoints
            stack.callback(local.down)
            args.bootstrap, args.registry = ep.kafka_bootstrap, ep.registry_url
        figures = measure(args, Path(tmp))
    print(json.dumps(figures))


def measure(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    started = time.time()
    prefix = f"bench{int(started)}"
    topics = produce(args.bootstrap, args.registry, prefix, args.events)
    print(f"produced {args.events} events in {time.time() - started:.1f}s", flush=True)
    figures: dict[str, Any] = {"events": args.events}
    for p in args.parallelism:
        seconds, written = run_processor(args, topics, p, work)
        figures[f"events_per_s_p{p}"] = round(args.events / seconds)
        print(f"processor   p={p}: {seconds:.1f}s, {args.events / seconds:,.0f} events/s "
              f"({written} output offsets incl. transaction markers)", flush=True)
        seconds, written = run_passthrough(args, topics, p)
        figures[f"passthrough_events_per_s_p{p}"] = round(args.events / seconds)
        print(f"passthrough p={p}: {seconds:.1f}s, {args.events / seconds:,.0f} events/s",
              flush=True)
        figures[f"python_cost_ratio_p{p}"] = round(
            figures[f"passthrough_events_per_s_p{p}"] / figures[f"events_per_s_p{p}"], 2)
        seconds, written = run_decode_only(args, packed_topic(prefix), p, work)
        figures[f"decode_only_events_per_s_p{p}"] = round(args.events / seconds)
        print(f"decode-only p={p}: {seconds:.1f}s, {args.events / seconds:,.0f} events/s",
              flush=True)
    return figures


if __name__ == "__main__":
    main()
