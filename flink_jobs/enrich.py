"""Lookup-join enrichment: facts get columns of a dimension row kept in keyed state.

Facts (e.g. ``orders``) and the dimension's own change stream (e.g. ``customers``) are both
keyed by the join key (``join_key``), so one task holds a dimension row and every fact
that refers to it.  Rules:

* the dimension row kept is the newest by source position (LSN, then commit time), so a
  replayed or reordered old update never overwrites a newer one; a dimension delete keeps
  the last known values (facts keep referring to the row, the warehouse soft-deletes it);
* a fact whose dimension row is known is emitted at once with its values;
* otherwise it waits, in arrival order, until the row arrives or until
  ``wait_ms`` of event time has passed (``deadline``), then it is emitted with nulls and
  ``__enrichment_missing = true``; a fact with a null lookup column is emitted that way at
  once.  Facts are never dropped.

Encoding: Avro encodes a record as its fields' encodings in order, so the processed value
(columns + metadata, encoded by the decoder) followed by the encoding of the enrichment
fields and ``__enrichment_missing`` *is* the encoding of the full processed record.  That
lets facts travel as bytes and this stage append only what it adds.
Enrichment fields are nullable strings (the dimension's value as text), because the
fact table's processed schema is registered before the dimension's types may be known.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cdc_core.avro import ParsedSchema, encode, parse
from cdc_core.contracts import EnrichmentRule
from cdc_core.envelope import ChangeEvent
from cdc_core.event_id import canonical
from cdc_core.processed import ENRICHMENT_MISSING
from flink_jobs.records import Change, DimUpdate

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


@dataclass
class JoinState:
    """One join key's state: the dimension row and the facts waiting for it."""

    dimension: DimUpdate | None = None
    waiting: list[tuple[int, Change]] = field(default_factory=list)  # (deadline, fact)


def on_fact(state: JoinState, fact: Change, wait_ms: int) -> tuple[list[Change], int | None]:
    """Facts to emit as found (with ``state.dimension``), and a timer to set, if any."""
    if state.dimension is not None:
        return [fact], None
    deadline = fact.ts_ms + wait_ms
    state.waiting.append((deadline, fact))
    return [], deadline


def on_dimension(state: JoinState, update: DimUpdate) -> list[Change]:
    """Store ``update`` if newer; release the waiting facts (emit with the new row)."""
    if state.dimension is not None and not _newer(update, state.dimension):
        return []
    state.dimension = _merge(state.dimension, update)
    released, state.waiting = [fact for _, fact in state.waiting], []
    return released


def on_deadline(state: JoinState, now_ms: int) -> list[Change]:
    """Facts up to the last one whose deadline has passed, in arrival order (a fact is
    never overtaken by a later one): emit them with nulls and the flag."""
    due = [i for i, (deadline, _) in enumerate(state.waiting) if deadline <= now_ms]
    cut = due[-1] + 1 if due else 0
    released, state.waiting = [f for _, f in state.waiting[:cut]], state.waiting[cut:]
    return released


def _newer(new: DimUpdate, old: DimUpdate) -> bool:
    if new.lsn is not None and old.lsn is not None:
        return new.lsn > old.lsn
    return new.ts_ms >= old.ts_ms


def _merge(old: DimUpdate | None, new: DimUpdate) -> DimUpdate:
    """A delete (no values) keeps the last known values."""
    if new.fields or old is None:
        return new
    return new._replace(fields=old.fields)
