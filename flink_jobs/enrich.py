"""Lookup-join enrichment, the decoder's part: join keys, dimension updates, encodings.

The join itself (dimension row kept in keyed state, facts waiting up to ``wait_ms`` of
event time, then nulls and ``__enrichment_missing = true``) is the JVM stage
``cdc.flink.state.EnrichFunction``.  Facts (e.g. ``orders``) and the dimension's own change
stream (e.g. ``customers``) are both keyed by the join key (``join_key``).  A fact with a
null lookup column gets its null suffix here, at once (``suffix``).

Encoding: Avro encodes a record as its fields' encodings in order, so the processed value
(columns + metadata, encoded by the decoder) followed by the encoding of the enrichment
fields and ``__enrichment_missing`` *is* the encoding of the full processed record.  That
lets facts travel as bytes and the enrichment stage append only what it adds (the JVM stage
writes the same bytes; both are tested against Avro's own decoding).
Enrichment fields are nullable strings (the dimension's value as text), because the
fact table's processed schema is registered before the dimension's types may be known.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from cdc_core.avro import ParsedSchema, encode, parse
from cdc_core.contracts import EnrichmentRule
from cdc_core.envelope import ChangeEvent
from cdc_core.event_id import canonical
from cdc_core.processed import ENRICHMENT_MISSING
from flink_jobs.records import DimUpdate

ENRICHMENT_TYPE: list[str] = ["null", "string"]


def enrichment_fields(rule: EnrichmentRule) -> list[str]:
    """Output field names of ``rule``, in order."""
    return list(rule.fields.values())


def suffix_schema(rule: EnrichmentRule) -> ParsedSchema:
    """The record of the enrichment fields + ``__enrichment_missing`` (the appended part)."""
    fields: list[dict[str, Any]] = [{"name": n, "type": ENRICHMENT_TYPE, "default": None}
                                    for n in enrichment_fields(rule)]
    fields.append({"name": ENRICHMENT_MISSING, "type": "boolean", "default": False})
    return parse({"type": "record", "name": "Enrichment", "fields": fields})


def suffix(schema: ParsedSchema, rule: EnrichmentRule,
           dimension: Mapping[str, str | None] | None) -> bytes:
    """Encoded enrichment fields from ``dimension`` (None: not found → nulls + flag)."""
    row = dimension or {}
    record: dict[str, Any] = {out: row.get(col) for col, out in rule.fields.items()}
    record[ENRICHMENT_MISSING] = dimension is None
    return encode(schema, record)


_COMPACT_JSON = json.JSONEncoder(separators=(",", ":"))  # one encoder, not one per call


def join_key(dimension_table: str, value: Any) -> str | None:
    """Key both sides are partitioned by; None when the lookup value is null."""
    if value is None:
        return None
    return f"{dimension_table}|{_COMPACT_JSON.encode(canonical(value))}"


def as_text(value: Any) -> str | None:
    """A dimension value as the text the enrichment field carries."""
    if value is None or isinstance(value, str):
        return value
    found = canonical(value)
    return found if isinstance(found, str) else json.dumps(found)


def dim_update(event: ChangeEvent, rule: EnrichmentRule) -> DimUpdate | None:
    """The dimension state update a change of the dimension table makes (None: nothing)."""
    key = event.row.get(rule.dimension_key, event.key.get(rule.dimension_key))
    join = join_key(rule.dimension_table, key)
    if join is None:
        return None
    values = {} if event.is_delete else {c: as_text(event.row.get(c)) for c in rule.fields}
    return DimUpdate(join, event.source.ts_ms, event.source.lsn, values)
