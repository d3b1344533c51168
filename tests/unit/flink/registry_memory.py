"""An in-memory registry and raw tables for the decode stage's unit tests."""

from __future__ import annotations

import json
from typing import Any

from cdc_core.avro import AvroEncoder
from tests.integration.flink.debezium import RawTable, envelope_schema, key_schema

CONTRACTS = """
table: public.orders
primary_key: [id]
expectations:
  - {name: total_non_negative, column: total_amount, kind: range, min: 0}
enrichment:
  - {from_column: customer_id, dimension_table: public.customers, dimension_key: id,
     fields: {segment: customer_segment}}
"""


class MemoryRegistry:
    """Subjects and ids in memory, ids shared by equal schema text (like contentId)."""

    def __init__(self) -> None:
        self.by_id: dict[int, str] = {}
        self.subjects: dict[str, list[str]] = {}
        self.fetches = 0

    def add(self, schema: dict[str, Any]) -> int:
        text = json.dumps(schema)
        for schema_id, known in self.by_id.items():
            if known == text:
                return schema_id
        self.by_id[len(self.by_id) + 1] = text
        return len(self.by_id)

    def fetch(self, schema_id: int) -> str:
        self.fetches += 1
        if schema_id not in self.by_id:
            raise KeyError(schema_id)
        return self.by_id[schema_id]

    def latest(self, subject: str) -> str | None:
        versions = self.subjects.get(subject)
        return versions[-1] if versions else None

    def register(self, subject: str, schema: str) -> int:
        self.subjects.setdefault(subject, []).append(schema)
        return self.add(json.loads(schema))


def table(registry: MemoryRegistry, name: str, columns: list[dict[str, Any]]) -> RawTable:
    raw = RawTable("cdc", name, columns)
    k, v = key_schema("cdc", name, columns, ["id"]), envelope_schema("cdc", name, columns)
    raw.key_encoder, raw.value_encoder = AvroEncoder(registry.add(k), k), AvroEncoder(
        registry.add(v), v)
    return raw
