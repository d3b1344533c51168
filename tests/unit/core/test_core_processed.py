import copy
from decimal import Decimal
from typing import Any

import debezium_samples as ds
import pytest

from cdc_core.avro import encode, parse, read_record
from cdc_core.envelope import parse_envelope
from cdc_core.errors import ConfigError, EnvelopeError
from cdc_core.processed import (
    ENRICHMENT_MISSING,
    METADATA_FIELDS,
    ProcessedMeta,
    from_processed,
    meta_typed_by,
    processed_meta,
    processed_schema,
    processed_topic,
    to_processed,
)

ENRICH = [("customer_segment", "string")]


def field_names(schema: dict[str, Any]) -> list[str]:
    return [f["name"] for f in schema["fields"]]


def fields_by_name(schema: dict[str, Any]) -> dict[str, Any]:
    return {f["name"]: f for f in schema["fields"]}


def test_metadata_fields_in_design_order() -> None:
    assert METADATA_FIELDS == [
        ("__op", "string"),
        ("__deleted", "boolean"),
        ("__event_id", "string"),
        ("__source_ts_ms", "long"),
        ("__source_lsn", ["null", "long"]),
        ("__source_txid", ["null", "long"]),
        ("__processed_ts_ms", "long"),
    ]


def test_layout_columns_then_metadata_then_enrichment() -> None:
    schema = processed_schema(ds.VALUE_SCHEMA, "public.orders", enrichment=ENRICH)
    assert field_names(schema) == [
        "id",
        "customer_id",
        "total_amount",
        "status",
        "created_at",
        "meta",
        *(name for name, _ in METADATA_FIELDS),
        "customer_segment",
        ENRICHMENT_MISSING,
    ]
    assert (schema["name"], schema["namespace"]) == ("orders", "cdc.processed.public")
    fields = fields_by_name(schema)
    assert fields["customer_segment"] == {
        "name": "customer_segment",
        "type": ["null", "string"],
        "default": None,
    }
    assert fields[ENRICHMENT_MISSING]["type"] == "boolean"
    assert fields["__source_lsn"]["default"] is None
    parse(schema)


def test_no_enrichment_fields_without_enrichment() -> None:
    schema = processed_schema(ds.VALUE_SCHEMA, "public.orders", namespace="acme")
    assert field_names(schema)[-1] == "__processed_ts_ms"
    assert schema["namespace"] == "acme.public"


def test_column_types_keep_their_annotations() -> None:
    fields = fields_by_name(processed_schema(ds.VALUE_SCHEMA, "public.orders"))
    assert fields["total_amount"]["type"] == ["null", ds.TOTAL_AMOUNT_TYPE]
    assert fields["created_at"]["type"][1]["connect.name"] == "io.debezium.time.ZonedTimestamp"
    assert fields["meta"]["type"][1]["connect.name"] == "io.debezium.data.Json"


def test_non_key_columns_become_nullable_key_columns_stay() -> None:
    fields = fields_by_name(processed_schema(ds.VALUE_SCHEMA, "public.orders", key_fields=["id"]))
    assert fields["id"] == {"name": "id", "type": "int"}
    assert fields["status"] == {"name": "status", "type": ["null", "string"], "default": None}
    assert fields["customer_id"]["type"] == ["null", "int"]


def test_named_types_are_qualified_and_unique() -> None:
    vsd = {
        "type": "record",
        "name": "VariableScaleDecimal",
        "namespace": "io.debezium.data",
        "fields": [{"name": "scale", "type": "int"}, {"name": "value", "type": "bytes"}],
        "connect.name": "io.debezium.data.VariableScaleDecimal",
    }
    mood = {"type": "enum", "name": "orders", "symbols": ["happy", "sad"]}
    rows = [
        *ds.ROW_FIELDS,
        {"name": "ratio", "type": ["null", vsd], "default": None},
        {
            "name": "ratio2",
            "type": ["null", "io.debezium.data.VariableScaleDecimal"],
            "default": None,
        },
        {"name": "mood", "type": mood},
        {"name": "mood2", "type": "orders"},
    ]
    value_schema = ds.value_schema(rows)
    value_schema["namespace"] = "cdc.processed.public"  # so the enum's full name would clash
    schema = processed_schema(value_schema, "public.orders")
    fields = fields_by_name(schema)
    assert fields["mood"]["type"][1]["name"] == "cdc.processed.public.orders"
    assert fields["mood2"]["type"] == ["null", "cdc.processed.public.orders"]
    assert fields["ratio2"]["type"] == ["null", "io.debezium.data.VariableScaleDecimal"]
    assert schema["name"] == "orders_processed"
    parsed = parse(schema)
    record = {
        "id": 1,
        "ratio": {"scale": 1, "value": b"\x05"},
        "mood": "sad",
        "mood2": "happy",
        "__op": "c",
        "__deleted": False,
        "__event_id": "e",
        "__source_ts_ms": 1,
        "__processed_ts_ms": 2,
    }
    assert read_record(parsed, encode(parsed, record))["mood2"] == "happy"


def test_table_names_are_made_avro_safe() -> None:
    schema = processed_schema(ds.VALUE_SCHEMA, "sales-eu.2024 orders")
    assert (schema["name"], schema["namespace"]) == ("_2024_orders", "cdc.processed.sales_eu")


def test_column_clashing_with_metadata_is_a_config_error() -> None:
    rows = [*ds.ROW_FIELDS, {"name": "__op", "type": "string"}]
    with pytest.raises(ConfigError, match="__op"):
        processed_schema(ds.value_schema(rows), "public.orders")


def test_enrichment_clashing_with_column_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="status"):
        processed_schema(ds.VALUE_SCHEMA, "public.orders", enrichment=[("status", "string")])


def test_to_processed_insert_round_trips_through_avro() -> None:
    event = parse_envelope(ds.KEY, ds.INSERT)
    schema = parse(processed_schema(ds.VALUE_SCHEMA, "public.orders", enrichment=ENRICH))
    record = to_processed(event, "eid", 1_732_440_001_000, {"customer_segment": "gold"})
    decoded = read_record(schema, encode(schema, record))
    columns, meta = from_processed(decoded)
    assert columns == {**ds.row(), "customer_segment": "gold"}
    assert columns["total_amount"] == Decimal("1234.50")
    assert meta == ProcessedMeta(
        op="c",
        deleted=False,
        event_id="eid",
        source_ts_ms=1_732_440_000_000,
        source_lsn=24_023_128,
        source_txid=771,
        processed_ts_ms=1_732_440_001_000,
        enrichment_missing=False,
    )


def test_to_processed_delete_with_key_only_before_encodes() -> None:
    event = parse_envelope(ds.KEY, dict(ds.DELETE, before=None))
    schema = parse(processed_schema(ds.VALUE_SCHEMA, "public.orders", key_fields=["id"]))
    record = to_processed(event, "eid", 5)
    columns, meta = from_processed(read_record(schema, encode(schema, record)))
    assert columns == {
        "id": 42,
        "customer_id": None,
        "total_amount": None,
        "status": None,
        "created_at": None,
        "meta": None,
    }
    assert (meta.op, meta.deleted, meta.enrichment_missing) == ("d", True, None)


def test_snapshot_without_txid() -> None:
    record = to_processed(parse_envelope(ds.KEY, ds.SNAPSHOT), "eid", 5)
    assert (record["__op"], record["__source_txid"]) == ("r", None)


@pytest.mark.parametrize(
    ("enrichment", "override", "missing"),
    [
        ({}, None, True),
        ({"customer_segment": "gold"}, None, False),
        ({"customer_segment": None}, True, True),
    ],
)
def test_enrichment_missing_flag(
    enrichment: dict[str, Any], override: bool | None, missing: bool
) -> None:
    event = parse_envelope(ds.KEY, ds.INSERT)
    record = to_processed(event, "e", 1, enrichment, enrichment_missing=override)
    assert record[ENRICHMENT_MISSING] is missing


def test_truncate_cannot_become_a_processed_record() -> None:
    with pytest.raises(EnvelopeError) as info:
        to_processed(parse_envelope(None, ds.TRUNCATE), "e", 1)
    assert info.value.reason == "truncate_not_supported"


def test_to_processed_refuses_reserved_column() -> None:
    event = parse_envelope(ds.KEY, ds.envelope("c", None, ds.row(__deleted=1)))
    with pytest.raises(ConfigError, match="__deleted"):
        to_processed(event, "e", 1)


def valid_processed() -> dict[str, Any]:
    return to_processed(parse_envelope(ds.KEY, ds.INSERT), "e", 1)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("__op", "t"),
        ("__op", None),
        ("__deleted", "false"),
        ("__event_id", 5),
        ("__source_ts_ms", True),
        ("__source_ts_ms", None),
        ("__source_lsn", "1"),
        ("__processed_ts_ms", 1.5),
    ],
)
def test_from_processed_rejects_bad_metadata(name: str, value: Any) -> None:
    record = copy.deepcopy(valid_processed())
    record[name] = value
    with pytest.raises(EnvelopeError, match=name) as info:
        from_processed(record)
    assert info.value.reason == "bad_processed_record"


def test_from_processed_missing_metadata() -> None:
    record = valid_processed()
    del record["__event_id"]
    with pytest.raises(EnvelopeError, match="__event_id"):
        from_processed(record)


@pytest.mark.parametrize("enrichment", [(), ENRICH])
def test_the_processed_schema_types_its_metadata(enrichment: Any) -> None:
    assert meta_typed_by(processed_schema(ds.VALUE_SCHEMA, "public.orders",
                                          enrichment=enrichment))


@pytest.mark.parametrize(
    ("name", "declared"),
    [
        ("__op", ["null", "string"]),
        ("__source_ts_ms", {"type": "long", "logicalType": "timestamp-millis"}),
        ("__deleted", ["null", "boolean"]),
        (ENRICHMENT_MISSING, "string"),
        ("__event_id", None),  # field left out
    ],
)
def test_metadata_declared_otherwise_is_not_typed(name: str, declared: Any) -> None:
    schema = processed_schema(ds.VALUE_SCHEMA, "public.orders", enrichment=ENRICH)
    fields = [f for f in schema["fields"] if f["name"] != name]
    if declared is not None:
        fields.append({"name": name, "type": declared})
    assert not meta_typed_by({**schema, "fields": fields})


def test_typed_metadata_reads_as_the_checked() -> None:
    schema = parse(processed_schema(ds.VALUE_SCHEMA, "public.orders", enrichment=ENRICH))
    record = to_processed(parse_envelope(ds.KEY, ds.UPDATE), "eid", 9, {"customer_segment": "x"})
    decoded = read_record(schema, encode(schema, record))
    assert processed_meta(decoded, typed=True) == processed_meta(decoded)
    assert processed_meta(decoded, typed=True).enrichment_missing is False


def test_typed_metadata_still_checks_the_op_value() -> None:
    record = dict(valid_processed(), __op="t")
    with pytest.raises(EnvelopeError, match="__op") as info:
        processed_meta(record, typed=True)
    assert info.value.reason == "bad_processed_record"


def test_processed_topic() -> None:
    assert processed_topic("public", "orders") == "processed.public.orders"
    assert processed_topic("public", "orders", prefix="p2") == "p2.public.orders"
