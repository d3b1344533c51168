"""The decoder's enrichment part: join keys and the appended Avro encoding."""

from __future__ import annotations

import io
from typing import Any

import fastavro

from cdc_core.avro import encode, parse
from cdc_core.contracts import EnrichmentRule
from flink_jobs import enrich

RULE = EnrichmentRule(from_column="customer_id", dimension_table="public.customers",
                      dimension_key="id", fields={"segment": "customer_segment"}, wait_ms=100)


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
