"""Golden decode vectors: Debezium records with their writer schemas → what the decode does.

The vectors are kept once, in ``decode_vectors.json`` beside this module, and read by two
implementations of one contract: ``cdc_core`` (Python: the sink's raw-envelope input; see
``tests/unit/core/test_golden_vectors.py``) and the job's JVM decode
(``flink_jobs/jvm``, JUnit).  Each vector is a raw Kafka record (framed key and value bytes
as hex, headers, location) with the registry's writer schemas by id, an optional table
contract and an optional last applied processed schema, and one expected outcome:

* ``{"skipped": "tombstone"}``;
* ``{"dlq": {"stage", "reason", "headers": {name: value}}}``: the DLQ headers, the message
  (prose, free to differ between implementations) given as ``null``;
* the processed change: ``event_id``, ``table``, ``op``, ``ts_ms``, the processed schema,
  the processed record's fields in canonical form (``cdc_core.event_id.canonical``) and its
  Avro body as hex, the key's fields and the soft contract violations.

``python -m tests.golden.vectors`` rewrites the JSON from ``cdc_core``'s current behaviour;
a change that alters any outcome shows in its diff.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from cdc_core.avro import AvroDecoder, encode, encode_framed, parse
from cdc_core.contracts import check_event, hard_error, load_contracts
from cdc_core.dlq import HEADER_MESSAGE, dlq_headers_for
from cdc_core.envelope import parse_envelope
from cdc_core.errors import CdcError
from cdc_core.event_id import canonical, event_id, header_event_id
from cdc_core.evolution import Column, breaking_error, classify, columns_of
from cdc_core.framing import frame
from cdc_core.processed import RESERVED_NAMES, processed_schema, to_processed
from tests.unit.core import debezium_samples as ds

PATH = Path(__file__).with_name("decode_vectors.json")
NOW_MS = 1_733_000_000_000  # the processing time every vector is decoded at
KEY_ID, VALUE_ID = 11, 12
LOCATION = {"topic": "cdc.public.orders", "partition": 1, "offset": 4711}

ORDERS_CONTRACT = {
    "table": "public.orders", "primary_key": ["id"],
    "expectations": [
        {"name": "total_non_negative", "column": "total_amount", "kind": "range", "min": 0},
        {"name": "status_known", "column": "status", "kind": "in_set",
         "values": ["new", "paid", "shipped", "cancelled"]},
        {"name": "customer_positive", "column": "customer_id", "kind": "range", "min": 1,
         "max": 1000000, "severity": "soft"},
        {"name": "meta_present", "column": "meta", "kind": "not_null"},
    ],
}


def envelope_schema(row_fields: list[dict[str, Any]], source: dict[str, Any] | None = None,
                    *, nullable_source: bool = False) -> dict[str, Any]:
    """A Debezium envelope schema around ``row_fields`` (and another source block)."""
    schema = ds.value_schema(row_fields)
    if source is not None:
        schema["fields"][2]["type"] = source
    if nullable_source:
        schema["fields"][2] = {"name": "source", "type": ["null", schema["fields"][2]["type"]],
                               "default": None}
    return schema


def key_schema(fields: list[dict[str, Any]]) -> dict[str, Any]:
    return {**ds.KEY_SCHEMA, "fields": fields}


def source_schema(name: str, extra: list[dict[str, Any]]) -> dict[str, Any]:
    """The PostgreSQL source block with ``extra`` fields, under another connector's name."""
    block = copy.deepcopy(ds.SOURCE_SCHEMA)
    block["namespace"] = f"io.debezium.connector.{name}"
    block["connect.name"] = f"io.debezium.connector.{name}.Source"
    block["fields"] += extra
    return block


def opt(avro_type: Any) -> dict[str, Any]:
    return {"type": ["null", avro_type], "default": None}


MYSQL_SOURCE = source_schema("mysql", [{"name": "file", **opt("string")},
                                       {"name": "pos", **opt("long")},
                                       {"name": "row", **opt("int")},
                                       {"name": "server_id", **opt("long")}])
SQLSERVER_SOURCE = source_schema("sqlserver", [{"name": "commit_lsn", **opt("string")},
                                               {"name": "change_lsn", **opt("string")},
                                               {"name": "event_serial_no", **opt("long")}])
DECIMAL = {"type": "bytes", "logicalType": "decimal", "precision": 30, "scale": 6,
           "connect.name": "org.apache.kafka.connect.data.Decimal"}
VARIABLE_DECIMAL = {"type": "record", "name": "VariableScaleDecimal",
                    "namespace": "io.debezium.data",
                    "fields": [{"name": "scale", "type": "int"},
                               {"name": "value", "type": "bytes"}],
                    "connect.name": "io.debezium.data.VariableScaleDecimal"}
TYPED_ROW = [
    {"name": "id", "type": "int"},
    {"name": "label", "type": "string"},
    {"name": "amount", **opt(DECIMAL)},
    {"name": "ratio", **opt("double")},
    {"name": "weight", **opt("float")},
    {"name": "blob", **opt("bytes")},
    {"name": "at", **opt({"type": "long", "logicalType": "timestamp-micros"})},
    {"name": "at_ms", **opt({"type": "long", "logicalType": "timestamp-millis"})},
    {"name": "local_at", **opt({"type": "long", "logicalType": "local-timestamp-micros"})},
    {"name": "day", **opt({"type": "int", "logicalType": "date"})},
    {"name": "clock", **opt({"type": "int", "logicalType": "time-millis"})},
    {"name": "clock_us", **opt({"type": "long", "logicalType": "time-micros"})},
    {"name": "uid", **opt({"type": "string", "logicalType": "uuid"})},
    {"name": "varnum", **opt(VARIABLE_DECIMAL)},
    {"name": "mood", **opt({"type": "enum", "name": "Mood", "namespace": "shop",
                            "symbols": ["happy", "sad"]})},
    {"name": "tags", **opt({"type": "array", "items": "string"})},
    {"name": "attrs", **opt({"type": "map", "values": ["null", "long"]})},
    {"name": "code", **opt({"type": "fixed", "name": "Code", "namespace": "shop", "size": 2})},
    {"name": "flag", **opt("boolean")},
]
TYPED_VALUES: dict[str, Any] = {
    "id": 5, "label": "Zürich \u2013 東京 \u2013 😀 \"quoted\" \\ \n\t\u0001",
    "amount": Decimal("-0.000100"),
    "ratio": 0.1, "weight": 0.1, "blob": b"\x00\xff\x10", "at": 1_732_440_000_123_456,
    "at_ms": 1_732_440_000_123, "local_at": 1_732_440_000_000_000, "day": 20_051,
    "clock": 45_296_789, "clock_us": 45_296_000_001, "uid": "0E984725-C51C-4BF4-9960-E1C80E27ABA0",
    "varnum": {"scale": 3, "value": b"\x30\x39"}, "mood": "sad", "tags": ["a", "é"],
    "attrs": {"z": 1, "a": None, "ü": -5}, "code": b"ab", "flag": False,
}
FLOATS = [1e-05, 1e16, 123.0, -0.0, 12345678.9, 1.5e-07, 2.5e+300]


def build() -> list[dict[str, Any]]:
    """Every vector with its expected outcome, as cdc_core decides it today."""
    return [dict(spec, expect=outcome(spec)) for spec in specs()]


def specs() -> list[dict[str, Any]]:
    return [*_changes(), *_positions(), *_typed(), *_dlq_cases(), *_contract_cases(),
            *_schema_changes()]


def vector(name: str, key: bytes | None, value: bytes | None,
           schemas: dict[int, dict[str, Any]], **extra: Any) -> dict[str, Any]:
    """One vector's input: framed bytes as hex, schemas by id, headers as text."""
    return {"name": name, **LOCATION, "headers": extra.pop("headers", []),
            "key": None if key is None else key.hex(),
            "value": None if value is None else value.hex(),
            "schemas": {str(i): s for i, s in schemas.items()},
            "contract": extra.pop("contract", None),
            "latest_processed": extra.pop("latest_processed", None), **extra}


def record(name: str, key: dict[str, Any] | None, value: dict[str, Any] | None, *,
           key_fields: list[dict[str, Any]] | None = None,
           value_schema: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    """A vector whose key and value are encoded with the given (or the orders) schemas."""
    kschema = key_schema(key_fields) if key_fields is not None else ds.KEY_SCHEMA
    vschema = value_schema or ds.VALUE_SCHEMA
    framed_key = None if key is None else encode_framed(KEY_ID, parse(kschema), key)
    framed_value = None if value is None else encode_framed(VALUE_ID, parse(vschema), value)
    return vector(name, framed_key, framed_value, {KEY_ID: kschema, VALUE_ID: vschema}, **extra)


def _changes() -> list[dict[str, Any]]:
    composite = [{"name": "region", "type": "string"}, {"name": "id", "type": "int"}]
    return [
        record("insert", ds.KEY, ds.INSERT),
        record("update", ds.KEY, ds.UPDATE),
        record("delete_with_before", ds.KEY, ds.envelope("d", ds.row(), None, lsn=24_023_300)),
        record("delete_key_stands_in_for_before", ds.KEY, ds.envelope("d", None, None)),
        record("snapshot_read", ds.KEY, ds.envelope("r", None, ds.row(), snapshot="last")),
        record("composite_key_unicode", {"region": "Zürich-東京-😀", "id": 42}, ds.INSERT,
               key_fields=composite),
        record("header_event_id_wins", ds.KEY, ds.INSERT,
               headers=[["traceparent", "00-x"], ["event_id", "  src-42 \t"]]),
        record("blank_header_event_id_ignored", ds.KEY, ds.INSERT, headers=[["event_id", "  "]]),
        record("toast_placeholder_passes", ds.KEY, ds.envelope(
            "u", None, ds.row(meta="__debezium_unavailable_value")), contract=ORDERS_CONTRACT),
        record("null_decimal_and_unicode_status", ds.KEY, ds.envelope(
            "c", None, ds.row(total_amount=None, status="bezahlt \u2013 ok ✓"))),
    ]


def _positions() -> list[dict[str, Any]]:
    mysql = envelope_schema(ds.ROW_FIELDS, MYSQL_SOURCE)
    sqlserver = envelope_schema(ds.ROW_FIELDS, SQLSERVER_SOURCE)
    unknown = envelope_schema(ds.ROW_FIELDS, source_schema("db2", []))
    return [
        record("mysql_binlog_pos", ds.KEY, _with_source(
            ds.INSERT, connector="mysql", lsn=None, file="mysql-bin.000042", pos=154, row=2,
            server_id=1), value_schema=mysql),
        record("mysql_binlog_pos_no_row", ds.KEY, _with_source(
            ds.INSERT, connector="mysql", lsn=None, file="mysql-bin.000042", pos=154, row=None,
            server_id=1), value_schema=mysql),
        record("sqlserver_lsns", ds.KEY, _with_source(
            ds.UPDATE, connector="sqlserver", lsn=None, commit_lsn="0000002a:00000758:0003",
            change_lsn="0000002A:00000759:0001", event_serial_no=2), value_schema=sqlserver),
        record("unknown_connector_ts_txid", ds.KEY, _with_source(
            ds.UPDATE, connector="db2", lsn=None), value_schema=unknown),
        record("postgres_without_lsn_ts_txid", ds.KEY, _with_source(ds.UPDATE, lsn=None)),
    ]


def _with_source(value: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {**value, "source": {**value["source"], **fields}}


def _typed() -> list[dict[str, Any]]:
    """Every Avro type and logical type in key, row image (ts_txid) and processed record."""
    typed = envelope_schema(TYPED_ROW, source_schema("db2", []))
    key_fields = [{"name": "id", "type": "int"}, {"name": "label", "type": "string"},
                  {"name": "amount", "type": DECIMAL},
                  {"name": "at", "type": {"type": "long", "logicalType": "timestamp-micros"}},
                  {"name": "day", "type": {"type": "int", "logicalType": "date"}},
                  {"name": "ratio", "type": "double"}]
    key = {k: TYPED_VALUES[k] for k in ("id", "label", "amount", "at", "day", "ratio")}
    found = [
        record("typed_values_in_key_and_image", key, _typed_envelope(TYPED_VALUES),
               key_fields=key_fields, value_schema=typed),
        record("typed_nulls", {**key, "at": 0, "amount": Decimal("0E-6")},
               _typed_envelope({**{f["name"]: None for f in TYPED_ROW}, "id": 6, "label": ""}),
               key_fields=key_fields, value_schema=typed),
    ]
    for i, number in enumerate(FLOATS):
        values = {**TYPED_VALUES, "ratio": number, "weight": None}
        found.append(record(f"float_repr_{i}", {**key, "ratio": number}, _typed_envelope(values),
                            key_fields=key_fields, value_schema=typed))
    return found


def _typed_envelope(values: dict[str, Any]) -> dict[str, Any]:
    base = ds.envelope("u", None, values, connector="db2", lsn=None)
    return {**base, "source": {**base["source"], "schema": "public", "table": "typed"}}


def _dlq_cases() -> list[dict[str, Any]]:
    good = record("x", ds.KEY, ds.INSERT)
    key, value = bytes.fromhex(good["key"]), bytes.fromhex(good["value"])
    schemas = {KEY_ID: ds.KEY_SCHEMA, VALUE_ID: ds.VALUE_SCHEMA}
    nullable_key = key_schema([{"name": "id", **opt("int")}])
    sourceless = envelope_schema(ds.ROW_FIELDS, nullable_source=True)
    mysql = envelope_schema(ds.ROW_FIELDS, MYSQL_SOURCE)
    return [
        vector("tombstone", key, None, schemas),
        vector("value_too_short", key, b"\x00\x00", schemas),
        vector("value_bad_magic", key, b"\x01" + value[1:], schemas),
        vector("key_not_framed", b"xx", value, schemas),
        vector("unknown_value_schema_id", key, frame(999, value[5:]), schemas),
        vector("truncated_value", key, value[:-3], schemas),
        vector("trailing_bytes", key, value + b"\x00", schemas),
        vector("invalid_utf8_in_string", key, _patched_status(value), schemas),
        record("bad_op", ds.KEY, ds.envelope("x", None, ds.row())),
        record("missing_after", ds.KEY, ds.envelope("c", None, None)),
        record("missing_before_no_key", None, ds.envelope("d", None, None)),
        record("missing_key", None, ds.INSERT),
        record("missing_key_field", {"id": None}, ds.INSERT, key_fields=nullable_key["fields"]),
        record("missing_source", ds.KEY, {**ds.INSERT, "source": None}, value_schema=sourceless),
        record("bad_source_field_binlog_file", ds.KEY, _with_source(
            ds.INSERT, connector="mysql", lsn=None, file="binlog", pos=1, row=0, server_id=1),
            value_schema=mysql),
        record("truncate_not_supported", None, ds.envelope("t", None, None)),
    ]


def _patched_status(value: bytes) -> bytes:
    """The insert with its status string's bytes replaced by invalid UTF-8 (same length)."""
    at = value.index(b"paid")
    return value[:at] + b"\xff\xfe\xfd\xfc" + value[at + 4:]


def _contract_cases() -> list[dict[str, Any]]:
    c = ORDERS_CONTRACT
    return [
        record("contract_pass_soft_violation", ds.KEY, ds.envelope(
            "c", None, ds.row(customer_id=0)), contract=c),
        record("contract_range_hard", ds.KEY, ds.envelope(
            "c", None, ds.row(total_amount=Decimal("-0.01"))), contract=c),
        record("contract_in_set_hard", ds.KEY, ds.envelope("u", None, ds.row(status="lost")),
               contract=c),
        record("contract_not_null_hard", ds.KEY, ds.envelope("c", None, ds.row(meta=None)),
               contract=c),
        record("contract_delete_checks_key_only", ds.KEY, ds.envelope(
            "d", ds.row(status="lost", meta=None), None), contract=c),
        record("contract_two_hard_first_named", ds.KEY, ds.envelope(
            "c", None, ds.row(total_amount=Decimal("-1"), status="lost")), contract=c),
    ]


def _schema_changes() -> list[dict[str, Any]]:
    latest = processed_schema(ds.VALUE_SCHEMA, "public.orders", key_fields=["id"])
    added = [*ds.ROW_FIELDS, {"name": "note", **opt("string")}]
    retyped = [f if f["name"] != "status" else {"name": "status", "type": "int"}
               for f in ds.ROW_FIELDS]
    required = [*ds.ROW_FIELDS, {"name": "priority", "type": "int"}]
    return [
        record("schema_unchanged", ds.KEY, ds.INSERT, latest_processed=latest),
        record("schema_additive_nullable_column", ds.KEY, ds.envelope(
            "c", None, {**ds.row(), "note": "hi"}), value_schema=ds.value_schema(added),
            latest_processed=latest),
        record("schema_breaking_type_change", ds.KEY, ds.envelope(
            "c", None, {**ds.row(), "status": 3}), value_schema=ds.value_schema(retyped),
            latest_processed=latest),
        record("schema_new_required_column_is_nullable_when_processed", ds.KEY, ds.envelope(
            "c", None, {**ds.row(), "priority": 3}), value_schema=ds.value_schema(required),
            latest_processed=latest),
    ]


def outcome(spec: dict[str, Any]) -> dict[str, Any]:
    """What cdc_core makes of one vector's record."""
    if spec["value"] is None:
        return {"skipped": "tombstone"}
    try:
        return _change(spec)
    except CdcError as err:
        headers = dlq_headers_for(err, spec["topic"], spec["partition"], spec["offset"], NOW_MS)
        return {"dlq": {"stage": err.stage, "reason": err.reason, "headers": {
            name: None if name == HEADER_MESSAGE else raw.decode() for name, raw in headers}}}


def _change(spec: dict[str, Any]) -> dict[str, Any]:
    decoder = AvroDecoder(_fetcher(spec["schemas"]))
    raw_key = None if spec["key"] is None else bytes.fromhex(spec["key"])
    key = decoder.decode(raw_key)[1] if raw_key is not None else None
    value_id, value = decoder.decode(bytes.fromhex(spec["value"]))
    event = parse_envelope(key, value)
    table = event.source.qualified_table
    schema = processed_schema(decoder.schema_of(value_id), table, key_fields=sorted(event.key))
    _check_schema_change(spec.get("latest_processed"), schema, table)
    soft = _soft_violations(spec.get("contract"), event, table)
    eid = event_id(event, header_event_id(
        (name, text.encode()) for name, text in spec["headers"]))
    processed = to_processed(event, eid, NOW_MS)
    return {"event_id": eid, "table": table, "op": event.op, "ts_ms": event.source.ts_ms,
            "key_fields": sorted(event.key), "soft_violations": soft,
            "processed_schema": schema, "processed": canonical(processed),
            "processed_body": encode(parse(schema), processed).hex()}


def _fetcher(schemas: dict[str, Any]) -> Callable[[int], str]:
    return lambda schema_id: json.dumps(schemas[str(schema_id)])


def _check_schema_change(latest: dict[str, Any] | None, schema: dict[str, Any],
                         table: str) -> None:
    if latest is None:
        return
    change = classify(_columns(latest), _columns(schema), [], [])
    if change.kind == "breaking":
        raise breaking_error(table, change)


def _columns(schema: dict[str, Any]) -> list[Column]:
    return [c for c in columns_of(schema) if c.name not in RESERVED_NAMES]


def _soft_violations(contract: dict[str, Any] | None, event: Any, table: str) -> list[str]:
    if contract is None:
        return []
    violations = check_event(event, load_contracts([contract])[contract["table"]])
    error = hard_error(violations, table)
    if error is not None:
        raise error
    return [v.expectation for v in violations]


def write(path: Path = PATH) -> None:
    path.write_text(render(build()))


def render(vectors: list[dict[str, Any]]) -> str:
    """The file: every schema once under its digest, vectors referring to them by digest."""
    schemas: dict[str, Any] = {}
    for vec in vectors:
        vec["schemas"] = {i: _intern(schemas, s) for i, s in vec["schemas"].items()}
        for holder, name in ((vec, "latest_processed"), (vec["expect"], "processed_schema")):
            if holder.get(name) is not None:
                holder[name] = _intern(schemas, holder[name])
    document = {"now_ms": NOW_MS, "schemas": schemas, "vectors": vectors}
    return json.dumps(document, indent=1, ensure_ascii=False) + "\n"


def load(path: Path = PATH) -> dict[str, Any]:
    """The file with every schema reference replaced by the schema."""
    document: dict[str, Any] = json.loads(path.read_text())
    schemas = document["schemas"]
    for vec in document["vectors"]:
        vec["schemas"] = {i: schemas[d] for i, d in vec["schemas"].items()}
        for holder, name in ((vec, "latest_processed"), (vec["expect"], "processed_schema")):
            if holder.get(name) is not None:
                holder[name] = schemas[holder[name]]
    return document


def _intern(schemas: dict[str, Any], schema: dict[str, Any]) -> str:
    text = json.dumps(schema, sort_keys=True)
    digest = hashlib.sha256(text.encode()).hexdigest()[:12]
    schemas[digest] = schema
    return digest


if __name__ == "__main__":
    write()
