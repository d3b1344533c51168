"""The processor job on the embedded mini-cluster against real Kafka and the registry.

One job run (``shared``) serves most assertions: the test feeds it in phases (each phase
waits for the previous one's committed output, so arrival order across topics and the
watermark are under control), then each test checks one behaviour on what came out.
Event times start at BASE_TS; dedup windows are 10 s, metrics windows 60 s, out-of-
orderness 1 s and the enrichment wait 30 s of event time. Watermarks are per partition: a
topic without records for 1 s stops holding them back.
The exactly-once test runs its own job twice: killed mid-stream, then restored from its
last retained checkpoint.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Message, Producer
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient

from cdc_core.avro import encode_framed, parse
from cdc_core.dlq import ALL_HEADERS, HEADER_REASON, HEADER_SOURCE_OFFSET, HEADER_STAGE
from cdc_core.framing import frame
from cdc_core.processed import METADATA_FIELDS
from tests.integration.flink.debezium import (
    BASE_TS,
    CUSTOMERS_COLUMNS,
    ORDERS_COLUMNS,
    RawTable,
    customer,
    envelope_schema,
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
from tests.integration.kafkaclients import create_topics
from tests.stackfixtures import Services, unique
from tests.support.registry import registry_client

T = BASE_TS
CONTRACTS = """
table: public.orders
primary_key: [id]
expectations:
  - {name: total_non_negative, column: total_amount, kind: range, min: 0}
enrichment:
  - from_column: customer_id
    dimension_table: public.customers
    dimension_key: id
    fields: {segment: customer_segment, country: customer_country}
    wait_ms: 30000
---
table: public.customers
primary_key: [id]
"""


@dataclass
class Shared:
    """The shared job run's inputs and everything it wrote."""

    orders: RawTable
    customers: RawTable
    out: dict[str, list[Message]]
    topics: dict[str, str]
    dlq_inputs: dict[str, tuple[bytes | None, bytes, int]]  # reason -> (key, value, offset)
    counters: dict[str, float]
    decoder: OutputDecoder

    def values(self, name: str) -> list[dict[str, Any]]:
        return [self.decoder.value(m) for m in self.out[self.topics[name]]]


def job_config(services: Services, tmp: Path, prefix: str, *, tag: str,
               **job: Any) -> dict[str, Any]:
    contracts = tmp / "contracts.yaml"
    contracts.write_text(CONTRACTS)
    return {
        "kafka": {"bootstrap_servers": services.kafka_bootstrap,
                  "topic_pattern": f"{prefix}\\.public\\..*", "group_id": unique("group")},
        "registry": {"url": services.registry_url},
        "job": {"checkpoint_interval_ms": 1000, "transactional_id_prefix": unique("tx"),
                "transaction_timeout_ms": 120000, "execution_mode": "thread",
                "connector_jar": str(services.flink_connector_jar), **job},
        "processing": {"processed_prefix": f"processed-{tag}", "dlq_topic": f"dlq-{tag}",
                       "contracts": [str(contracts)], "dedup_window_ms": 10000,
                       "max_out_of_orderness_ms": 1000, "idle_partition_ms": 1000},
        "metrics": {"topic": f"metrics-{tag}", "window_ms": 60000,
                    "sums": {"public.orders": ["total_amount"]}},
    }


class Feed:
    """Produces raw changes and remembers their offsets."""

    def __init__(self, bootstrap: str) -> None:
        self._producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 0})
        self.offsets: dict[str, int] = {}

    def send(self, table: RawTable, op: str, row: dict[str, Any], *, lsn: int, ts: int,
             copies: int = 1, headers: dict[str, bytes] | None = None,
             **kwargs: Any) -> None:
        key, value = table.change(op, row, lsn=lsn, ts_ms=T + ts, **kwargs)
        for _ in range(copies):
            self.raw(table.topic, key, value, headers)

    def raw(self, topic: str, key: bytes | None, value: bytes | None,
            headers: dict[str, bytes] | None = None) -> int:
        offset = self.offsets.get(topic, 0)
        self._producer.produce(topic, key=key, value=value, headers=headers)
        self.offsets[topic] = offset + 1
        assert self._producer.flush(30) == 0
        return offset


def feed_bad_records(feed: Feed, orders: RawTable, client: SchemaRegistryClient,
                     prefix: str) -> dict[str, tuple[bytes | None, bytes, int]]:
    """Each invalid input once, each followed by a good order; returns them by reason."""
    good_key, good_value = orders.change("c", order(20), lsn=2000, ts_ms=T + 3000)
    body = good_value[5:]
    missing_after = orders.change("c", order(21), lsn=2001, ts_ms=T + 3001, after=None)[1]
    broken = envelope_schema(prefix, "orders", [c if c["name"] != "status" else
                                                {"name": "status", "type": "int"}
                                                for c in ORDERS_COLUMNS])
    broken_id = client.register_schema(unique("breaking") + "-value",
                                       Schema(json.dumps(broken), "AVRO"))
    breaking = orders.change("c", order(22), lsn=2002, ts_ms=T + 3002)
    breaking_value = encode_framed(broken_id, parse(broken), {
        **_decode_raw(orders, breaking[1]), "after": {**order(22), "status": 7}})
    bad = {
        "not_confluent_framing": (good_key, b"not avro at all"),
        "unknown_schema_id": (good_key, frame(2_000_000_000, body)),
        "corrupt_avro": (good_key, good_value[:-3]),
        "missing_after": (good_key, missing_after),
        "contract_total_non_negative": orders.change(
            "c", order(23, amount="-5.00"), lsn=2003, ts_ms=T + 3003),
        "breaking_schema_change": (breaking[0], breaking_value),
    }
    found = {}
    for i, (reason, (key, value)) in enumerate(bad.items()):
        found[reason] = (key, value, feed.raw(orders.topic, key, value))
        feed.send(orders, "c", order(30 + i, customer_id=None), lsn=3000 + i, ts=3100 + i)
    return found


def _decode_raw(table: RawTable, value: bytes) -> dict[str, Any]:
    from cdc_core.avro import read_record

    assert table.value_encoder is not None
    return read_record(table.value_encoder.parsed, value[5:])


@pytest.fixture(scope="module")
def shared(services: Services, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shared]:
    tmp = tmp_path_factory.mktemp("flinkjob")
    tag, prefix = unique("p"), unique("cdc").replace("-", "")
    client = registry_client(services.registry_url)
    orders = RawTable(prefix, "orders", ORDERS_COLUMNS).register(client)
    customers = RawTable(prefix, "customers", CUSTOMERS_COLUMNS).register(client)
    topics = {"orders": f"processed-{tag}.public.orders",
              "customers": f"processed-{tag}.public.customers",
              "dlq": f"dlq-{tag}", "metrics": f"metrics-{tag}"}
    create_topics(services.kafka_bootstrap, [orders.topic, customers.topic, *topics.values()])
    port = free_port()
    config = write_config(tmp / "job.yaml", job_config(services, tmp, prefix, tag=tag,
                                                       prometheus_port=str(port)))
    feed, reader = Feed(services.kafka_bootstrap), None
    job = JobProcess.start(config, tmp / "job.log")
    try:
        reader = Reader(services.kafka_bootstrap, unique("reader"), list(topics.values()))
        result = run_phases(feed, reader, job, orders=orders, customers=customers,
                            client=client, prefix=prefix, topics=topics)
        result.counters = scrape(port)
        result.decoder = OutputDecoder(services.registry_url)
        yield result
    finally:
        job.kill()
        if reader is not None:
            reader.close()


def run_phases(feed: Feed, reader: Reader, job: JobProcess, *, orders: RawTable,
               customers: RawTable, client: SchemaRegistryClient, prefix: str,
               topics: dict[str, str]) -> Shared:
    def count(name: str) -> Any:
        return lambda seen: len(seen[topics[name]])

    # Phase 1: customer 1; order 10 three changes, each sent twice; order 11 with one
    # event_id header three times (T+2000, T+2500 same window; T+12000 next window).
    feed.send(customers, "c", customer(1, "gold", "DE"), lsn=100, ts=0)
    # Wait for it: read after the orders below, it would be behind their watermark (late).
    reader.until(lambda s: count("customers")(s) >= 1, job)
    for i, status in enumerate(["new", "paid", "shipped"]):
        feed.send(orders, "c" if i == 0 else "u", order(10, status=status), lsn=1010 + i,
                  ts=1000 + 100 * i, copies=2)
    evt = {"event_id": b"evt-11"}
    feed.send(orders, "c", order(11), lsn=1100, ts=2000, headers=evt)
    feed.send(orders, "u", order(11, status="paid"), lsn=1101, ts=2500, headers=evt)
    dlq_inputs = feed_bad_records(feed, orders, client, prefix)
    feed.send(orders, "u", order(11, status="shipped"), lsn=1102, ts=12000, headers=evt)
    reader.until(lambda s: count("orders")(s) >= 3 + 2 + 6 and count("dlq")(s) >= 6
                 and count("customers")(s) >= 1, job)
    # Phase 2: customer 1 becomes platinum, then order 40 (customer 1) must see it;
    # order 41 (customer 2) arrives before customer 2 exists, then customer 2 arrives.
    feed.send(customers, "u", customer(1, "platinum", "DE"), lsn=300, ts=13000)
    reader.until(lambda s: count("customers")(s) >= 2, job)
    feed.send(orders, "c", order(40, customer_id=1), lsn=4000, ts=14000)
    feed.send(orders, "c", order(41, customer_id=2), lsn=4001, ts=14500)
    marker = feed.raw(orders.topic, None, b"marker: order 41 went through")
    reader.until(lambda s: count("dlq")(s) >= 7 and count("orders")(s) >= 12, job)
    assert marker
    feed.send(customers, "c", customer(2, "silver", "FR"), lsn=400, ts=15000)
    reader.until(lambda s: count("orders")(s) >= 13, job)
    # Phase 3: order 42's customer never arrives; a far-future order moves the watermark.
    feed.send(orders, "c", order(42, customer_id=99), lsn=4002, ts=16000)
    feed.send(orders, "c", order(43, customer_id=None), lsn=9000, ts=200_000)
    reader.until(lambda s: count("orders")(s) >= 15 and count("metrics")(s) >= 2, job)
    # Phase 4: order 50 at T+5000 (behind the watermark) twice, then another advance.
    feed.send(orders, "c", order(50, customer_id=None), lsn=5000, ts=5000, copies=2)
    feed.send(orders, "c", order(51, customer_id=None), lsn=9100, ts=400_000)
    seen = reader.until(lambda s: count("orders")(s) >= 17 and count("metrics")(s) >= 4, job)
    return Shared(orders, customers, seen, topics, dlq_inputs, {}, None)  # type: ignore[arg-type]


def test_duplicates_in_one_window_dropped_later_window_passes_order_kept(shared: Shared) -> None:
    values = shared.values("orders")
    order10 = [v["status"] for v in values if v["id"] == 10]
    assert order10 == ["new", "paid", "shipped"]  # each sent twice, order per key kept
    order11 = [(v["status"], v["__event_id"]) for v in values if v["id"] == 11]
    assert order11 == [("new", "evt-11"), ("shipped", "evt-11")]  # T+2500 copy dropped
    assert shared.counters["duplicates_dropped"] == 5.0  # + order 50's late copy
    ids = [v["__event_id"] for v in values if v["id"] != 11]
    assert len(ids) == len(set(ids))


def test_each_invalid_input_reaches_dlq_with_headers_and_original_bytes(shared: Shared) -> None:
    dlq = {m.value(): m for m in shared.out[shared.topics["dlq"]]}
    for reason, (key, value, offset) in shared.dlq_inputs.items():
        msg = dlq[value]
        headers = {k: v.decode() for k, v in msg.headers() or []}
        assert msg.key() == key
        assert headers[HEADER_REASON] == reason
        assert set(headers) == set(ALL_HEADERS)
        assert headers[HEADER_SOURCE_OFFSET] == str(offset)
        assert headers["cdc.source.topic"] == shared.orders.topic
    stages = {m.value(): dict(m.headers() or [])[HEADER_STAGE].decode() for m in dlq.values()}
    assert stages[shared.dlq_inputs["breaking_schema_change"][1]] == "schema-change"
    assert stages[shared.dlq_inputs["contract_total_non_negative"][1]] == "contract"
    around = {v["id"] for v in shared.values("orders")}
    assert {30, 31, 32, 33, 34, 35} <= around  # the good record after each bad one
    assert shared.counters.get("dlq_records{breaking_schema_change}") == 1.0, shared.counters


def test_enrichment_dimension_first_fact_first_update_and_missing(shared: Shared) -> None:
    by_id = {v["id"]: v for v in shared.values("orders") if v["id"] in (10, 40, 41, 42, 30)}

    def enriched(i: int) -> tuple[Any, Any, Any]:
        v = by_id[i]
        return v["customer_segment"], v["customer_country"], v["__enrichment_missing"]

    assert enriched(10) == ("gold", "DE", False)
    assert enriched(40) == ("platinum", "DE", False)  # the dimension update applies
    assert enriched(41) == ("silver", "FR", False)  # fact arrived before its dimension row
    assert enriched(42) == (None, None, True)  # never arrived: nulls + flag after the wait
    assert enriched(30) == (None, None, True)  # null lookup column
    assert shared.counters["enrichment_missing"] == 1.0


def test_late_events_pass_through_and_are_counted_their_copies_dropped(shared: Shared) -> None:
    late = [v for v in shared.values("orders") if v["id"] == 50]
    assert len(late) == 1  # behind the watermark but within the dedup retention
    assert shared.counters["late_events"] == 1.0


def test_windowed_metrics_count_ops_and_sum_amounts(shared: Shared) -> None:
    windows = [v for v in shared.values("metrics")
               if v["table"] == "public.orders" and v["window_start_ms"] == T]
    totals = {op: sum(w[f"count_{op}"] for w in windows) for op in "cudr"}
    # c: 10, 11, 30-35, 40, 41, 42, 50 = 12; u: 10 x2, 11 (T+12000) = 3; copies never count
    assert totals == {"c": 12, "u": 3, "d": 0, "r": 0}
    amount = sum(Decimal(w["sums"]["total_amount"]) for w in windows)
    assert amount == Decimal("150.00")
    assert [w["late"] for w in windows] == [False, True]


def test_output_records_decode_with_registered_schema_and_design_fields(shared: Shared) -> None:
    msg = next(m for m in shared.out[shared.topics["orders"]]
               if shared.decoder.value(m)["id"] == 10)
    schema = shared.decoder.schema(msg)
    names = [f["name"] for f in schema["fields"]]
    columns = [c["name"] for c in ORDERS_COLUMNS]
    meta = [name for name, _ in METADATA_FIELDS]
    assert names == [*columns, *meta, "customer_segment", "customer_country",
                     "__enrichment_missing"]
    subject = f"{shared.topics['orders']}-value"
    registered = shared.decoder.client.get_latest_version(subject).schema.schema_str
    assert json.loads(registered)["fields"] == schema["fields"]
    value, key = shared.decoder.value(msg), shared.decoder.key(msg)
    assert key == {"id": value["id"]}
    assert value["__op"] == "c" and value["__deleted"] is False
    assert value["__source_ts_ms"] == T + 1000 and value["__source_lsn"] == 1010
    customers = shared.values("customers")
    assert [(c["id"], c["segment"]) for c in customers] == [(1, "gold"), (1, "platinum"),
                                                             (2, "silver")]


def test_exactly_once_across_kill_and_restore_from_checkpoint_at_another_parallelism(
        services: Services, tmp_path: Path) -> None:
    """Killed at parallelism 1 (keyed stages chained, no shuffle), restored at 2 (keyed by
    shuffle): the operator uids carry the state across, and nothing is lost or doubled."""
    tag, prefix = unique("eo"), unique("cdc").replace("-", "")
    client = registry_client(services.registry_url)
    orders = RawTable(prefix, "orders", ORDERS_COLUMNS).register(client)
    out = f"processed-{tag}.public.orders"
    create_topics(services.kafka_bootstrap, [orders.topic], partitions=2)
    create_topics(services.kafka_bootstrap, [out])
    checkpoints = tmp_path / "checkpoints"
    config = job_config(services, tmp_path, prefix, tag=tag,
                        checkpoint_dir=checkpoints.as_uri())
    total = 3000
    producer = threading.Thread(target=produce_slowly, args=(services.kafka_bootstrap,
                                                             orders, total))
    producer.start()
    first = JobProcess.start(write_config(tmp_path / "run1.yaml", config), tmp_path / "1.log")
    reader = Reader(services.kafka_bootstrap, unique("reader"), [out])
    try:
        reader.until(lambda s: len(s[out]) > 0, first)
        first.kill()  # mid-stream: the producer is still writing
        assert len(reader.seen[out]) < total
        producer.join(120)
        restore = latest_checkpoint(checkpoints)
        config["job"]["restore_from"] = str(restore)
        config["job"]["parallelism"] = 2
        second = JobProcess.start(write_config(tmp_path / "run2.yaml", config),
                                  tmp_path / "2.log")
        try:
            reader.until(lambda s: len(s[out]) >= total, second, timeout_s=180)
            seen = reader.drain(quiet_s=3)  # a duplicate would be committed by now
        finally:
            second.kill()
    finally:
        first.kill()
        reader.close()
    decoder = OutputDecoder(services.registry_url)
    ids = sorted(decoder.value(m)["id"] for m in seen[out])
    assert ids == list(range(total))


def produce_slowly(bootstrap: str, orders: RawTable, total: int) -> None:
    producer = Producer({"bootstrap.servers": bootstrap})
    for i in range(total):
        key, value = orders.change("c", order(i, customer_id=None), lsn=10_000 + i,
                                   ts_ms=T + i * 10)
        producer.produce(orders.topic, key=key, value=value)
        if i % 100 == 99:
            producer.flush(30)
            threading.Event().wait(0.5)  # pacing the input so the kill lands mid-stream
    producer.flush(30)


def latest_checkpoint(root: Path) -> Path:
    found = sorted(root.glob("*/chk-*/_metadata"), key=lambda p: int(p.parent.name[4:]))
    assert found, f"no completed checkpoint under {root}"
    return found[-1].parent
