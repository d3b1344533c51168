"""Realistic Debezium PostgreSQL schemas and records for ``public.orders`` (topic ``cdc``).

Shaped like what the Debezium 2.x/3.x PostgreSQL connector registers through the Avro
converter: ``before`` defines the row record, ``after`` refers to it by name, the source
block is ``io.debezium.connector.postgresql.Source``.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

TOPIC = "cdc.public.orders"

KEY_SCHEMA: dict[str, Any] = {
    "type": "record",
    "name": "Key",
    "namespace": "cdc.public.orders",
    "fields": [{"name": "id", "type": "int"}],
    "connect.name": "cdc.public.orders.Key",
}

TOTAL_AMOUNT_TYPE: dict[str, Any] = {
    "type": "bytes",
    "scale": 2,
    "precision": 12,
    "connect.version": 1,
    "connect.parameters": {"scale": "2", "connect.decimal.precision": "12"},
    "connect.name": "org.apache.kafka.connect.data.Decimal",
    "logicalType": "decimal",
}

ROW_FIELDS: list[dict[str, Any]] = [
    {"name": "id", "type": "int"},
    {"name": "customer_id", "type": "int"},
    {"name": "total_amount", "type": ["null", TOTAL_AMOUNT_TYPE], "default": None},
    {"name": "status", "type": "string"},
    {
        "name": "created_at",
        "type": [
            "null",
            {
                "type": "string",
                "connect.version": 1,
                "connect.name": "io.debezium.time.ZonedTimestamp",
            },
        ],
        "default": None,
    },
    {
        "name": "meta",
        "type": [
            "null",
            {"type": "string", "connect.version": 1, "connect.name": "io.debezium.data.Json"},
        ],
        "default": None,
    },
]

SOURCE_SCHEMA: dict[str, Any] = {
    "type": "record",
    "name": "Source",
    "namespace": "io.debezium.connector.postgresql",
    "fields": [
        {"name": "version", "type": "string"},
        {"name": "connector", "type": "string"},
        {"name": "name", "type": "string"},
        {"name": "ts_ms", "type": "long"},
        {
            "name": "snapshot",
            "type": [
                {
                    "type": "string",
                    "connect.version": 1,
                    "connect.parameters": {
                        "allowed": "true,first,first_in_data_collection,"
                        "last_in_data_collection,last,false,incremental"
                    },
                    "connect.default": "false",
                    "connect.name": "io.debezium.data.Enum",
                },
                "null",
            ],
            "default": "false",
        },
        {"name": "db", "type": "string"},
        {"name": "sequence", "type": ["null", "string"], "default": None},
        {"name": "ts_us", "type": ["null", "long"], "default": None},
        {"name": "ts_ns", "type": ["null", "long"], "default": None},
        {"name": "schema", "type": "string"},
        {"name": "table", "type": "string"},
        {"name": "txId", "type": ["null", "long"], "default": None},
        {"name": "lsn", "type": ["null", "long"], "default": None},
        {"name": "xmin", "type": ["null", "long"], "default": None},
    ],
    "connect.name": "io.debezium.connector.postgresql.Source",
}


def value_schema(row_fields: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The envelope value schema, optionally with other row fields (evolution tests)."""
    row = {
        "type": "record",
        "name": "Value",
        "fields": copy.deepcopy(ROW_FIELDS if row_fields is None else row_fields),
        "connect.name": "cdc.public.orders.Value",
    }
    return {
        "type": "record",
        "name": "Envelope",
        "namespace": "cdc.public.orders",
        "fields": [
            {"name": "before", "type": ["null", row], "default": None},
            {"name": "after", "type": ["null", "Value"], "default": None},
            {"name": "source", "type": copy.deepcopy(SOURCE_SCHEMA)},
            {
                "name": "transaction",
                "type": [
                    "null",
                    {
                        "type": "record",
                        "name": "block",
                        "namespace": "event",
                        "fields": [
                            {"name": "id", "type": "string"},
                            {"name": "total_order", "type": "long"},
                            {"name": "data_collection_order", "type": "long"},
                        ],
                        "connect.version": 1,
                        "connect.name": "event.block",
                    },
                ],
                "default": None,
            },
            {"name": "op", "type": "string"},
            {"name": "ts_ms", "type": ["null", "long"], "default": None},
            {"name": "ts_us", "type": ["null", "long"], "default": None},
            {"name": "ts_ns", "type": ["null", "long"], "default": None},
        ],
        "connect.version": 2,
        "connect.name": "cdc.public.orders.Envelope",
    }


VALUE_SCHEMA = value_schema()


def source(**overrides: Any) -> dict[str, Any]:
    block: dict[str, Any] = {
        "version": "3.0.0.Final",
        "connector": "postgresql",
        "name": "cdc",
        "ts_ms": 1_732_440_000_000,
        "snapshot": "false",
        "db": "shop",
        "sequence": None,
        "ts_us": None,
        "ts_ns": None,
        "schema": "public",
        "table": "orders",
        "txId": 771,
        "lsn": 24_023_128,
        "xmin": None,
    }
    block.update(overrides)
    return block


def row(**overrides: Any) -> dict[str, Any]:
    image: dict[str, Any] = {
        "id": 42,
        "customer_id": 7,
        "total_amount": Decimal("1234.50"),
        "status": "paid",
        "created_at": "2024-11-24T09:20:00.123456Z",
        "meta": '{"channel": "web"}',
    }
    image.update(overrides)
    return image


def envelope(
    op: str, before: dict[str, Any] | None, after: dict[str, Any] | None, **source_overrides: Any
) -> dict[str, Any]:
    return {
        "before": before,
        "after": after,
        "source": source(**source_overrides),
        "transaction": None,
        "op": op,
        "ts_ms": 1_732_440_000_250,
        "ts_us": None,
        "ts_ns": None,
    }


KEY = {"id": 42}
INSERT = envelope("c", None, row())
UPDATE = envelope("u", row(status="new"), row(), lsn=24_023_256)
# REPLICA IDENTITY DEFAULT: before holds the key; NOT NULL columns get Debezium fallbacks.
DELETE = envelope(
    "d",
    {
        "id": 42,
        "customer_id": 0,
        "total_amount": None,
        "status": "",
        "created_at": None,
        "meta": None,
    },
    None,
    lsn=24_023_384,
)
SNAPSHOT = envelope("r", None, row(), snapshot="last", txId=None)
TRUNCATE = envelope("t", None, None, lsn=24_023_512)
