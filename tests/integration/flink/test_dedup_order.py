"""Dedup does not depend on the order the job fetches its topics in.

The same input is fed to two job runs: three copies of a change in one dedup window in each
of two topics, and a far later change in each. One run reads the customers topic first, so
its far change moves the watermark past the orders' copies before they arrive (late); the
other reads the orders first. Both must write each change once, count the same
duplicates and the same windowed metrics.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.integration.flink.debezium import (
    CUSTOMERS_COLUMNS,
    ORDERS_COLUMNS,
    RawTable,
    customer,
    order,
)
from tests.integration.flink.jobrun import (
    JobProcess,
    OutputDecoder,
    Reader,
    free_port,
    scrape,
    write_config,
)
from tests.integration.flink.test_processor_job import Feed, job_config
from tests.integration.kafkaclients import create_topics
from tests.stackfixtures import Services, unique
from tests.support.registry import registry_client

Outcome = tuple[Counter[tuple[str, int]], Counter[str], float]


def run_in_order(services: Services, tmp: Path, *, customers_first: bool) -> Outcome:
    """Feed the input with one topic fully read before the other; what the job wrote."""
    tag, prefix = unique("ord"), unique("cdc").replace("-", "")
    client = registry_client(services.registry_url)
    tables = {"orders": RawTable(prefix, "orders", ORDERS_COLUMNS).register(client),
              "customers": RawTable(prefix, "customers", CUSTOMERS_COLUMNS).register(client)}
    out = {name: f"processed-{tag}.public.{name}" for name in tables}
    metrics = f"metrics-{tag}"
    create_topics(services.kafka_bootstrap,
                  [t.topic for t in tables.values()] + [*out.values(), metrics])
    port = free_port()
    config = write_config(tmp / f"{tag}.yaml", job_config(
        services, tmp, prefix, tag=tag, prometheus_port=str(port)))
    feed, job = Feed(services.kafka_bootstrap), JobProcess.start(config, tmp / f"{tag}.log")
    avro = OutputDecoder(services.registry_url)
    reader = Reader(services.kafka_bootstrap, unique("reader"), [*out.values(), metrics])
    try:
        for name in (["customers", "orders"] if customers_first else ["orders", "customers"]):
            send_topic(feed, tables[name], name)
            reader.until(at_least(out[name], 2), job)
        # A last change moves the watermark past every window above, closing the metrics.
        feed.send(tables["orders"], "c", order(99, customer_id=None), lsn=9999, ts=300_000)
        seen = reader.until(lambda s: len(s[out["orders"]]) >= 3
                            and sum(metric_counts(s[metrics], avro).values()) >= 4, job)
        counters = scrape(port)
    finally:
        job.kill()
        reader.close()
    return processed(seen, out, avro), metric_counts(seen[metrics], avro), \
        counters["duplicates_dropped"]


def at_least(topic: str, n: int) -> Callable[[dict[str, list[Any]]], bool]:
    return lambda seen: len(seen[topic]) >= n


def send_topic(feed: Feed, table: RawTable, name: str) -> None:
    """Three copies of one change at T+1000..1500, then one change at T+100 s."""
    if name == "customers":
        feed.send(table, "c", customer(1, "gold", "DE"), lsn=100, ts=1000, copies=3)
        feed.send(table, "c", customer(2, "silver", "FR"), lsn=200, ts=100_000)
    else:
        feed.send(table, "c", order(10, customer_id=None), lsn=1000, ts=1500, copies=3)
        feed.send(table, "c", order(11, customer_id=None), lsn=1100, ts=100_500)


def processed(seen: dict[str, list[Any]], out: dict[str, str],
              avro: OutputDecoder) -> Counter[tuple[str, int]]:
    """Records written per (table, id); each event_id at most once."""
    values = [(name, avro.value(msg)) for name, topic in out.items() for msg in seen[topic]]
    event_ids = Counter(v["__event_id"] for _, v in values)
    assert max(event_ids.values()) == 1, event_ids.most_common(2)
    return Counter((name, v["id"]) for name, v in values)


def metric_counts(messages: list[Any], avro: OutputDecoder) -> Counter[str]:
    """Changes counted by the windowed metrics per table, increments added."""
    counts: Counter[str] = Counter()
    for msg in messages:
        value = avro.value(msg)
        counts[value["table"]] += sum(value[f"count_{op}"] for op in "cudr")
    return counts


def test_same_input_gives_the_same_output_whichever_topic_is_read_first(
        services: Services, tmp_path: Path) -> None:
    first = run_in_order(services, tmp_path, customers_first=True)
    second = run_in_order(services, tmp_path, customers_first=False)
    assert first[0] == second[0] == Counter({("customers", 1): 1, ("customers", 2): 1,
                                             ("orders", 10): 1, ("orders", 11): 1,
                                             ("orders", 99): 1})
    assert first[2] == second[2] == 4.0  # two dropped copies in each topic
    # the closed windows: each table's copied change and its far change, once each
    assert first[1] == second[1] == Counter({"public.customers": 2, "public.orders": 2})
