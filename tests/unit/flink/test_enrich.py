"""Enrichment state machine and the appended Avro encoding."""

from __future__ import annotations

import io
from typing import Any

import fastavro

from cdc_core.avro import encode, parse
from cdc_core.contracts import EnrichmentRule
from flink_jobs import enrich
from flink_jobs.records import Change, DimUpdate

RULE = EnrichmentRule(from_column="customer_id", dimension_table="public.customers",
                      dimension_key="id", fields={"segment": "customer_segment"}, wait_ms=100)


def fact(n: int, ts: int = 1000) -> Change:
    return Change("public.orders", f"pk{n}", f"e{n}", ts, "c", "t", b"k", b"v", "j", ())


def dim(segment: str, lsn: int) -> DimUpdate:
    return DimUpdate("j", lsn, lsn, {"segment": segment})


def test_fact_with_known_dimension_is_emitted_at_once() -> None:
    state = enrich.JoinState(dimension=dim("gold", 1))
    assert enrich.on_fact(state, fact(1), 100) == ([fact(1)], None)


def test_fact_before_dimension_waits_then_is_released_in_order() -> None:
    state = enrich.JoinState()
    assert enrich.on_fact(state, fact(1), 100) == ([], 1100)
    enrich.on_fact(state, fact(2), 100)
    assert enrich.on_dimension(state, dim("gold", 1)) == [fact(1), fact(2)]
    assert state.waiting == []


def test_deadline_releases_only_due_facts() -> None:
    state = enrich.JoinState()
    enrich.on_fact(state, fact(1, ts=1000), 100)
    enrich.on_fact(state, fact(2, ts=2000), 100)
    assert enrich.on_deadline(state, 1100) == [fact(1)]
    assert [f for _, f in state.waiting] == [fact(2, ts=2000)]


def test_deadline_never_lets_a_fact_overtake_an_earlier_one() -> None:
    state = enrich.JoinState()
    enrich.on_fact(state, fact(1, ts=5000), 100)
    enrich.on_fact(state, fact(2, ts=1000), 100)
    assert enrich.on_deadline(state, 1100) == [fact(1, ts=5000), fact(2, ts=1000)]


def test_older_dimension_update_never_overwrites_newer_and_delete_keeps_values() -> None:
    state = enrich.JoinState()
    enrich.on_dimension(state, dim("platinum", 5))
    enrich.on_dimension(state, dim("gold", 3))
    assert state.dimension is not None and state.dimension.fields == {"segment": "platinum"}
    enrich.on_dimension(state, DimUpdate("j", 6, 6, {}))
    assert state.dimension.fields == {"segment": "platinum"} and state.dimension.lsn == 6


def test_join_key_is_none_for_null_and_canonical_otherwise() -> None:
    assert enrich.join_key("public.customers", None) is None
    assert enrich.join_key("public.customers", 7) == "public.customers|7"


def test_base_encoding_plus_suffix_is_the_full_record() -> None:
    base = {"type": "record", "name": "R", "fields": [{"name": "id", "type": "int"}]}
    full: dict[str, Any] = {**base, "fields": [*base["fields"],
                            {"name": "customer_segment", "type": ["null", "string"]},
                            {"name": "__enrichment_missing", "type": "boolean"}]}
    schema = enrich.suffix_schema(RULE)
    data = encode(parse(base), {"id": 3}) + enrich.suffix(schema, RULE, {"segment": "gold"})
    decoded = fastavro.schemaless_reader(io.BytesIO(data), parse(full), None)
    assert decoded == {"id": 3, "customer_segment": "gold", "__enrichment_missing": False}
    missing = encode(parse(base), {"id": 3}) + enrich.suffix(schema, RULE, None)
    decoded = fastavro.schemaless_reader(io.BytesIO(missing), parse(full), None)
    assert decoded == {"id": 3, "customer_segment": None, "__enrichment_missing": True}
