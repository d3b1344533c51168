"""Processed schemas per writer schema: derive, classify against the last applied, register.

"Last applied" is the latest version registered under ``processed.<schema>.<table>-value``:
it survives restarts and is shared by every parallel task, unlike anything held in one
task's memory.  A new writer schema is classified (``cdc_core.evolution``) against it;
additive or unchanged ones are registered (idempotent: the same schema gets the same id)
and used; a breaking one is never registered, and every record written with it goes to
the DLQ with reason ``breaking_schema_change``.

The registry is I/O, so it comes in as a ``Registry`` (see ``cdc_core.registry``); each
writer schema id is resolved once per task and cached.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from cdc_core.avro import ParsedSchema, parse
from cdc_core.contracts import EnrichmentRule
from cdc_core.errors import SchemaChangeError
from cdc_core.evolution import Column, breaking_error, classify, columns_of
from cdc_core.processed import RESERVED_NAMES, processed_schema, processed_topic
from flink_jobs.enrich import ENRICHMENT_TYPE, enrichment_fields


class Registry(Protocol):
    """The registry calls the catalog needs (Confluent-compatible API)."""

    def latest(self, subject: str) -> str | None:
        """Latest schema text under ``subject``, or None if the subject does not exist."""

    def register(self, subject: str, schema: str) -> int:
        """Register (or find) ``schema`` under ``subject``; its id."""


@dataclass(frozen=True)
class TableSchemas:
    """How records of one writer schema are written: topic, schema id, encoders."""

    table: str
    topic: str
    value_id: int
    base: ParsedSchema  # columns + metadata: what the decoder encodes
    breaking: SchemaChangeError | None = None


class SchemaCatalog:
    """Resolves writer schemas to processed schemas, registering them once per task."""

    def __init__(self, registry: Registry, prefix: str,
                 rules: dict[str, EnrichmentRule]) -> None:
        self._registry = registry
        self._prefix = prefix
        self._rules = rules
        self._values: dict[tuple[int, str], TableSchemas] = {}
        self._keys: dict[tuple[int, str], int] = {}

    def value(self, writer_id: int, table: str, writer: Callable[[], dict[str, Any]],
              key_fields: list[str]) -> TableSchemas:
        """The processed schemas for records of ``table`` written with ``writer_id``.

        ``writer`` gives the writer schema; it is only called on a cache miss (copying a
        schema per record would cost more than decoding the record).
        """
        found = self._values.get((writer_id, table))
        if found is None:
            found = self._values[(writer_id, table)] = self._resolve(table, writer(), key_fields)
        return found

    def key_id(self, writer_id: int, table: str, key_schema: Callable[[], dict[str, Any]]
               ) -> int:
        """Id of the key schema under ``processed.<schema>.<table>-key``."""
        found = self._keys.get((writer_id, table))
        if found is None:
            subject = f"{self.topic(table)}-key"
            found = self._keys[(writer_id, table)] = self._registry.register(
                subject, json.dumps(key_schema()))
        return found

    def topic(self, table: str) -> str:
        schema, _, name = table.partition(".")
        return processed_topic(schema, name, self._prefix)

    def _resolve(self, table: str, writer: dict[str, Any], key_fields: list[str]) -> TableSchemas:
        rule = self._rules.get(table)
        extra = [(name, ENRICHMENT_TYPE) for name in enrichment_fields(rule)] if rule else []
        full = processed_schema(writer, table, enrichment=extra, key_fields=key_fields)
        topic, subject = self.topic(table), f"{self.topic(table)}-value"
        latest = self._registry.latest(subject)
        if latest is not None:
            change = classify(_columns(json.loads(latest)), _columns(full), [], [])
            if change.kind == "breaking":
                return TableSchemas(table, topic, 0, None, breaking_error(table, change))
        value_id = self._registry.register(subject, json.dumps(full))
        return TableSchemas(table, topic, value_id, parse(base_schema(full, len(extra))))


def base_schema(full: dict[str, Any], n_enrichment: int) -> dict[str, Any]:
    """``full`` without its enrichment fields (and ``__enrichment_missing``)."""
    if not n_enrichment:
        return full
    return {**full, "fields": full["fields"][: -(n_enrichment + 1)]}


def _columns(schema: dict[str, Any]) -> list[Column]:
    """Table columns of a processed schema: metadata and enrichment fields left out."""
    return [c for c in columns_of(schema) if c.name not in RESERVED_NAMES
            and not _is_enrichment(schema, c.name)]


def _is_enrichment(schema: dict[str, Any], name: str) -> bool:
    """Enrichment fields follow ``__processed_ts_ms`` in the processed layout."""
    names = [f["name"] for f in schema.get("fields", [])]
    cut = names.index("__processed_ts_ms") if "__processed_ts_ms" in names else len(names)
    return name in names[cut + 1:]
