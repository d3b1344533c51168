"""Synthetic CDC traffic for tests and benchmarks: Debezium envelopes or processed records.

A seeded ``Workload`` plays inserts, updates, deletes and re-inserts over three tables with
realistic types (composite key, decimals, zoned timestamps, JSON), numbering source
positions (LSNs) like a PostgreSQL WAL. ``expected()`` is the reference model: per key, the
change with the greatest position wins — a delete leaves the row marked deleted. Delivery
can then be perturbed (duplicates, local reordering) before producing; the model must not
care.
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from confluent_kafka import Producer
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient

from cdc_core.avro import AvroEncoder
from cdc_core.envelope import parse_envelope
from cdc_core.event_id import event_id
from cdc_core.processed import processed_schema, to_processed
from tests.support.registry import registry_client

DECIMAL_12_2 = {"type": "bytes", "logicalType": "decimal", "precision": 12, "scale": 2,
                "connect.name": "org.apache.kafka.connect.data.Decimal",
                "connect.parameters": {"scale": "2", "connect.decimal.precision": "12"}}
ZONED = {"type": "string", "connect.name": "io.debezium.time.ZonedTimestamp"}
JSON = {"type": "string", "connect.name": "io.debezium.data.Json"}
SOURCE = {"type": "record", "name": "Source", "namespace": "io.debezium.connector.postgresql",
          "fields": [{"name": n, "type": t} for n, t in (
              ("version", "string"), ("connector", "string"), ("name", "string"),
              ("ts_ms", "long"), ("snapshot", ["null", "string"]), ("db", "string"),
              ("schema", "string"), ("table", "string"), ("txId", ["null", "long"]),
              ("lsn", ["null", "long"]))]}


@dataclass(frozen=True)
class TableSpec:
    table: str
    key_fields: tuple[str, ...]
    fields: tuple[dict[str, Any], ...]
    make_row: Callable[[random.Random, dict[str, Any]], dict[str, Any]]

    def key_schema(self, ns: str) -> dict[str, Any]:
        by_name = {f["name"]: f for f in self.fields}
        return {"type": "record", "name": "Key", "namespace": ns,
                "fields": [copy.deepcopy(by_name[k]) for k in self.key_fields]}

    def envelope_schema(self, ns: str) -> dict[str, Any]:
        row = {"type": "record", "name": "Value", "fields": copy.deepcopy(list(self.fields))}
        return {"type": "record", "name": "Envelope", "namespace": ns, "fields": [
            {"name": "before", "type": ["null", row], "default": None},
            {"name": "after", "type": ["null", "Value"], "default": None},
            {"name": "source", "type": SOURCE}, {"name": "op", "type": "string"},
            {"name": "ts_ms", "type": ["null", "long"], "default": None}]}


def _money(rng: random.Random) -> Decimal:
    return Decimal(rng.randrange(0, 10_000_000)) / 100


def _customer(rng: random.Random, key: dict[str, Any]) -> dict[str, Any]:
    return {"id": key["id"], "name": f"customer {rng.randrange(10**6)}",
            "segment": rng.choice(["retail", "smb", "enterprise", None]),
            "balance": _money(rng) if rng.random() < 0.8 else None}


def _order(rng: random.Random, key: dict[str, Any]) -> dict[str, Any]:
    return {"id": key["id"], "customer_id": rng.randrange(1, 500), "total_amount": _money(rng),
            "status": rng.choice(["new", "paid", "shipped", "cancelled"]),
            "created_at": f"2026-11-{rng.randrange(1, 28):02d}T{rng.randrange(24):02d}:00:00Z",
            "meta": json.dumps({"channel": rng.choice(["web", "app"]), "n": rng.random()})}


def _item(rng: random.Random, key: dict[str, Any]) -> dict[str, Any]:
    return {**key, "product": f"sku-{rng.randrange(1000)}", "qty": rng.randrange(1, 20),
            "price": _money(rng)}


CUSTOMERS = TableSpec("customers", ("id",), (
    {"name": "id", "type": "int"}, {"name": "name", "type": ["null", "string"], "default": None},
    {"name": "segment", "type": ["null", "string"], "default": None},
    {"name": "balance", "type": ["null", DECIMAL_12_2], "default": None}), _customer)
ORDERS = TableSpec("orders", ("id",), (
    {"name": "id", "type": "long"}, {"name": "customer_id", "type": ["null", "int"]},
    {"name": "total_amount", "type": ["null", DECIMAL_12_2], "default": None},
    {"name": "status", "type": ["null", "string"], "default": None},
    {"name": "created_at", "type": ["null", ZONED], "default": None},
    {"name": "meta", "type": ["null", JSON], "default": None}), _order)
ORDER_ITEMS = TableSpec("order_items", ("order_id", "line"), (
    {"name": "order_id", "type": "long"}, {"name": "line", "type": "int"},
    {"name": "product", "type": ["null", "string"], "default": None},
    {"name": "qty", "type": ["null", "int"], "default": None},
    {"name": "price", "type": ["null", DECIMAL_12_2], "default": None}), _item)
TABLES = (CUSTOMERS, ORDERS, ORDER_ITEMS)


@dataclass
class Event:
    spec: TableSpec
    key: dict[str, Any]
    op: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    lsn: int
    ts_ms: int

    @property
    def key_tuple(self) -> tuple[Any, ...]:
        return tuple(self.key[k] for k in self.spec.key_fields)

    def envelope(self, source_schema: str = "public") -> dict[str, Any]:
        source = {"version": "3.6.1.Final", "connector": "postgresql", "name": "gen",
                  "ts_ms": self.ts_ms, "snapshot": "false", "db": "shop",
                  "schema": source_schema, "table": self.spec.table, "txId": self.lsn // 10,
                  "lsn": self.lsn}
        return {"before": self.before, "after": self.after, "source": source, "op": self.op,
                "ts_ms": self.ts_ms + 5}


class KeyPool:
    """A set with O(1) add, discard and random choice."""

    def __init__(self) -> None:
        self._items: list[tuple[Any, ...]] = []
        self._index: dict[tuple[Any, ...], int] = {}

    def __len__(self) -> int:
        return len(self._items)

    def add(self, key: tuple[Any, ...]) -> None:
        if key not in self._index:
            self._index[key] = len(self._items)
            self._items.append(key)

    def discard(self, key: tuple[Any, ...]) -> None:
        at = self._index.pop(key, None)
        if at is None:
            return
        last = self._items.pop()
        if at < len(self._items):
            self._items[at] = last
            self._index[last] = at

    def choice(self, rng: random.Random) -> tuple[Any, ...]:
        return self._items[rng.randrange(len(self._items))]


@dataclass
class Workload:
    """Seeded change history over ``specs``; ``expected()`` is the reference model."""

    seed: int
    specs: tuple[TableSpec, ...] = TABLES
    start_ts_ms: int = 1_790_000_000_000
    rng: random.Random = field(init=False)
    rows: dict[tuple[str, tuple[Any, ...]], dict[str, Any] | None] = field(default_factory=dict)
    latest: dict[tuple[str, tuple[Any, ...]], Event] = field(default_factory=dict)
    lsn: int = 1_000
    pools: dict[tuple[str, str], KeyPool] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def events(self, n: int, mix: tuple[float, float, float] = (0.3, 0.55, 0.1)) -> list[Event]:
        """``n`` changes: inserts, updates, deletes by ``mix``, the rest re-inserts."""
        return [self._next(mix) for _ in range(n)]

    def _next(self, mix: tuple[float, float, float]) -> Event:
        spec = self.rng.choice(self.specs)
        live, dead = self._pool(spec.table, "live"), self._pool(spec.table, "dead")
        roll = self.rng.random()
        if roll < mix[0] or not live:
            return self._emit(spec, self._new_key(spec), "c")
        if roll < mix[0] + mix[1]:
            return self._emit(spec, live.choice(self.rng), "u")
        if roll < sum(mix) or not dead:
            return self._emit(spec, live.choice(self.rng), "d")
        return self._emit(spec, dead.choice(self.rng), "c")

    def _pool(self, table: str, kind: str) -> KeyPool:
        return self.pools.setdefault((table, kind), KeyPool())

    def _new_key(self, spec: TableSpec) -> tuple[Any, ...]:
        n = self.counts.get(spec.table, 0) + 1
        self.counts[spec.table] = n
        return (n // 4 + 1, n % 4) if len(spec.key_fields) == 2 else (n,)

    def _emit(self, spec: TableSpec, key: tuple[Any, ...], op: str) -> Event:
        self.lsn += self.rng.randrange(8, 64)
        keyd = dict(zip(spec.key_fields, key, strict=True))
        before = self.rows.get((spec.table, key))
        after = None if op == "d" else spec.make_row(self.rng, keyd)
        if op == "d":
            before = {**{f["name"]: None for f in spec.fields}, **keyd}
        event = Event(spec, keyd, op, before, after, self.lsn, self.start_ts_ms + self.lsn)
        self.rows[(spec.table, key)] = after
        self._pool(spec.table, "dead" if op == "d" else "live").add(key)
        self._pool(spec.table, "live" if op == "d" else "dead").discard(key)
        self.latest[(spec.table, key)] = event
        return event

    def expected(self) -> dict[str, dict[tuple[Any, ...], tuple[bool, dict[str, Any] | None]]]:
        """table → key → (deleted, live row or None)."""
        out: dict[str, dict[tuple[Any, ...], tuple[bool, dict[str, Any] | None]]] = {}
        for (table, key), ev in self.latest.items():
            out.setdefault(table, {})[key] = (ev.op == "d", ev.after)
        return out


def perturb(events: list[Event], rng: random.Random, dup_rate: float = 0.05,
            window: int = 4) -> list[Event]:
    """Duplicate some events and shuffle within small windows (out-of-order delivery)."""
    out: list[Event] = []
    for ev in events:
        out.append(ev)
        if rng.random() < dup_rate:
            out.insert(max(len(out) - rng.randrange(1, 6), 0), ev)
    for start in range(0, len(out), window):
        chunk = out[start:start + window]
        rng.shuffle(chunk)
        out[start:start + window] = chunk
    return out


@dataclass
class TopicWriter:
    """Registers a table's schemas and encodes its events (Confluent framing, fastavro)."""

    topic: str
    key: AvroEncoder
    value: AvroEncoder
    processed: bool

    @classmethod
    def register(cls, registry: SchemaRegistryClient, topic: str, spec: TableSpec,
                 processed: bool) -> TopicWriter:
        ns = topic.replace("-", "_")
        key_schema = spec.key_schema(ns)
        value_schema = spec.envelope_schema(ns)
        if processed:
            value_schema = processed_schema(value_schema, f"public.{spec.table}",
                                            key_fields=spec.key_fields)
        ids = [registry.register_schema(f"{topic}-{part}", Schema(json.dumps(s), "AVRO"))
               for part, s in (("key", key_schema), ("value", value_schema))]
        return cls(topic, AvroEncoder(ids[0], key_schema), AvroEncoder(ids[1], value_schema),
                   processed)

    def encode(self, ev: Event) -> tuple[bytes, bytes]:
        envelope = ev.envelope()
        if not self.processed:
            return self.key.encode(ev.key), self.value.encode(envelope)
        change = parse_envelope(ev.key, envelope)
        record = to_processed(change, event_id(change), ev.ts_ms + 10)
        return self.key.encode(ev.key), self.value.encode(record)


def mixed_writers(registry_url: str, prefix: str) -> dict[str, TopicWriter]:
    """customers and orders as processed records, order_items as raw Debezium envelopes."""
    registry = registry_client(registry_url)
    return {spec.table: TopicWriter.register(
        registry, f"{prefix}.public.{spec.table}", spec, processed=spec.table != "order_items")
        for spec in TABLES}


def processed_writers(registry: SchemaRegistryClient, prefix: str) -> dict[str, TopicWriter]:
    """Processed-record writers for every table of ``TABLES``: topics ``<prefix>.public.<t>``."""
    return {s.table: TopicWriter.register(registry, f"{prefix}.public.{s.table}", s,
                                          processed=True) for s in TABLES}


def produce(bootstrap: str, writers: dict[str, TopicWriter], events: list[Event],
            client: dict[str, str] | None = None) -> int:
    """Produce ``events`` to their tables' topics (``client``: security settings); returns
    how many were sent."""
    producer = Producer({**(client or {}), "bootstrap.servers": bootstrap, "linger.ms": 20,
                         "enable.idempotence": True, "batch.num.messages": 10000})
    for n, ev in enumerate(events, 1):
        writer = writers[ev.spec.table]
        key, value = writer.encode(ev)
        _produce_one(producer, writer.topic, key, value)
        if n % 10000 == 0:
            producer.poll(0)
    if producer.flush(60) != 0:
        raise RuntimeError("producer did not flush")
    return len(events)


def _produce_one(producer: Producer, topic: str, key: bytes, value: bytes) -> None:
    while True:
        try:
            producer.produce(topic, key=key, value=value)
            return
        except BufferError:
            producer.poll(0.5)


def chunks(events: list[Event], size: int) -> Iterator[list[Event]]:
    for start in range(0, len(events), size):
        yield events[start:start + size]


# -- hand-made records (DLQ and schema-evolution tests) -------------------------------------

def change_event(spec: TableSpec, row: dict[str, Any], lsn: int, op: str = "c",
                 start_ts_ms: int = 1_790_000_000_000) -> Event:
    """One change of ``spec`` for ``row`` (which holds the key) at source position ``lsn``."""
    key = {k: row[k] for k in spec.key_fields}
    before = {**{f["name"]: None for f in spec.fields}, **key} if op == "d" else None
    return Event(spec, key, op, before, None if op == "d" else dict(row), lsn,
                 start_ts_ms + lsn)


@dataclass(frozen=True)
class Delivered:
    """Where one produced record landed, with the exact bytes that were sent."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


def produce_raw(bootstrap: str,
                records: list[tuple[str, bytes | None, bytes | None]]) -> list[Delivered]:
    """Produce (topic, key, value) byte records in order; their offsets from delivery reports."""
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True,
                         "linger.ms": 5})
    landed: dict[int, Delivered] = {}
    failures: list[str] = []

    def report(index: int, key: bytes | None, value: bytes | None) -> Callable[..., None]:
        def delivered(err: Any, msg: Any) -> None:
            if err is not None:
                failures.append(str(err))
                return
            landed[index] = Delivered(msg.topic(), msg.partition(), msg.offset(), key, value)
        return delivered

    for index, (topic, key, value) in enumerate(records):
        producer.produce(topic, key=key, value=value, on_delivery=report(index, key, value))
        producer.poll(0)
    if producer.flush(60) != 0 or failures:
        raise RuntimeError(f"records not delivered: {failures or 'flush timed out'}")
    return [landed[i] for i in range(len(records))]
