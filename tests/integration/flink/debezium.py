"""Realistic Debezium PostgreSQL envelopes for job tests and the benchmark.

Schemas are shaped like what the Debezium PostgreSQL connector registers through the
Avro converter (key record of the primary key; envelope with ``before`` defining the row
record, ``after`` referring to it by name, the ``io.debezium.connector.postgresql.Source``
block, ``op``, ``ts_ms``), registered under TopicNameStrategy subjects, and records are
framed the Confluent way (magic byte, schema id, Avro body).
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from confluent_kafka.schema_registry import Schema, SchemaRegistryClient

from cdc_core.avro import AvroEncoder

CONNECTOR = "postgresql"
DB = "shop"
BASE_TS = 1_767_225_600_000  # 2026-01-01T00:00:00Z, aligned to minutes and 10 s windows

DECIMAL_12_2: dict[str, Any] = {
    "type": "bytes", "scale": 2, "precision": 12, "connect.version": 1,
    "connect.parameters": {"scale": "2", "connect.decimal.precision": "12"},
    "connect.name": "org.apache.kafka.connect.data.Decimal", "logicalType": "decimal",
}
ORDERS_COLUMNS: list[dict[str, Any]] = [
    {"name": "id", "type": "int"},
    {"name": "customer_id", "type": ["null", "int"], "default": None},
    {"name": "total_amount", "type": ["null", DECIMAL_12_2], "default": None},
    {"name": "status", "type": "string"},
]
CUSTOMERS_COLUMNS: list[dict[str, Any]] = [
    {"name": "id", "type": "int"},
    {"name": "name", "type": "string"},
    {"name": "segment", "type": ["null", "string"], "default": None},
    {"name": "country", "type": ["null", "string"], "default": None},
]
PRODUCTS_COLUMNS: list[dict[str, Any]] = [
    {"name": "id", "type": "int"},
    {"name": "title", "type": "string"},
    {"name": "price", "type": ["null", DECIMAL_12_2], "default": None},
]

SOURCE_SCHEMA: dict[str, Any] = {
    "type": "record", "name": "Source", "namespace": "io.debezium.connector.postgresql",
    "connect.name": "io.debezium.connector.postgresql.Source",
    "fields": [
        {"name": "version", "type": "string"},
        {"name": "connector", "type": "string"},
        {"name": "name", "type": "string"},
        {"name": "ts_ms", "type": "long"},
        {"name": "snapshot", "type": [{"type": "string", "connect.version": 1,
                                       "connect.default": "false",
                                       "connect.name": "io.debezium.data.Enum"}, "null"],
         "default": "false"},
        {"name": "db", "type": "string"},
        {"name": "sequence", "type": ["null", "string"], "default": None},
        {"name": "schema", "type": "string"},
        {"name": "table", "type": "string"},
        {"name": "txId", "type": ["null", "long"], "default": None},
        {"name": "lsn", "type": ["null", "long"], "default": None},
        {"name": "xmin", "type": ["null", "long"], "default": None},
    ],
}


def key_schema(prefix: str, table: str, columns: list[dict[str, Any]],
               key: list[str]) -> dict[str, Any]:
    fields = [copy.deepcopy(c) for c in columns if c["name"] in key]
    return {"type": "record", "name": "Key", "namespace": f"{prefix}.public.{table}",
            "fields": fields, "connect.name": f"{prefix}.public.{table}.Key"}


def envelope_schema(prefix: str, table: str, columns: list[dict[str, Any]]) -> dict[str, Any]:
    ns = f"{prefix}.public.{table}"
    row = {"type": "record", "name": "Value", "fields": copy.deepcopy(columns),
           "connect.name": f"{ns}.Value"}
    return {
        "type": "record", "name": "Envelope", "namespace": ns, "connect.version": 2,
        "connect.name": f"{ns}.Envelope",
        "fields": [
            {"name": "before", "type": ["null", row], "default": None},
            {"name": "after", "type": ["null", "Value"], "default": None},
            {"name": "source", "type": copy.deepcopy(SOURCE_SCHEMA)},
            {"name": "op", "type": "string"},
            {"name": "ts_ms", "type": ["null", "long"], "default": None},
        ],
    }


@dataclass
class RawTable:
    """One source table's raw topic: registers its schemas and encodes its changes."""

    prefix: str  # Debezium topic.prefix
    table: str
    columns: list[dict[str, Any]]
    key: list[str] = field(default_factory=lambda: ["id"])
    key_encoder: AvroEncoder | None = None
    value_encoder: AvroEncoder | None = None

    @property
    def topic(self) -> str:
        return f"{self.prefix}.public.{self.table}"

    def register(self, client: SchemaRegistryClient) -> RawTable:
        k = key_schema(self.prefix, self.table, self.columns, self.key)
        v = envelope_schema(self.prefix, self.table, self.columns)
        kid = client.register_schema(f"{self.topic}-key", Schema(json.dumps(k), "AVRO"))
        vid = client.register_schema(f"{self.topic}-value", Schema(json.dumps(v), "AVRO"))
        self.key_encoder, self.value_encoder = AvroEncoder(kid, k), AvroEncoder(vid, v)
        return self

    def change(self, op: str, row: dict[str, Any], *, lsn: int, ts_ms: int,
               before: dict[str, Any] | None = None, txid: int = 1000,
               after: dict[str, Any] | str | None = "row") -> tuple[bytes, bytes]:
        """(key, value) of one change; ``after`` defaults to ``row`` except for deletes."""
        assert self.key_encoder is not None and self.value_encoder is not None
        image = (None if op == "d" else row) if after == "row" else after
        value = {"before": before if op != "d" else row, "after": image,
                 "source": source(self.table, ts_ms=ts_ms, lsn=lsn, txid=txid,
                                  prefix=self.prefix),
                 "op": op, "ts_ms": ts_ms + 5}
        key = {k: row[k] for k in self.key}
        return self.key_encoder.encode(key), self.value_encoder.encode(value)


def source(table: str, *, ts_ms: int, lsn: int, txid: int, prefix: str) -> dict[str, Any]:
    return {"version": "3.6.1.Final", "connector": CONNECTOR, "name": prefix, "ts_ms": ts_ms,
            "snapshot": "false", "db": DB, "sequence": None, "schema": "public",
            "table": table, "txId": txid, "lsn": lsn, "xmin": None}


def order(i: int, customer_id: int | None = 1, amount: str = "10.00",
          status: str = "new") -> dict[str, Any]:
    return {"id": i, "customer_id": customer_id, "total_amount": Decimal(amount),
            "status": status}


def customer(i: int, segment: str | None, country: str | None) -> dict[str, Any]:
    return {"id": i, "name": f"customer {i}", "segment": segment, "country": country}
