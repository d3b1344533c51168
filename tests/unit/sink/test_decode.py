"""cdc_sink.decode: Kafka bytes to SinkChange, with every failure a CdcError for the DLQ."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from cdc_core.avro import AvroEncoder
from cdc_core.envelope import UNAVAILABLE_VALUE, parse_envelope
from cdc_core.errors import CdcError, DecodeError, EnvelopeError, SinkError
from cdc_core.event_id import event_id
from cdc_core.framing import frame
from cdc_core.processed import processed_schema, to_processed
from cdc_sink.decode import Decoder, split_topic
from cdc_sink.model import KafkaCoordinates, Position, RawMessage

DECIMAL = {"type": "bytes", "logicalType": "decimal", "precision": 12, "scale": 2,
           "connect.name": "org.apache.kafka.connect.data.Decimal"}
FIELDS = [{"name": "id", "type": "long"},
          {"name": "body", "type": ["null", "string"], "default": None},
          {"name": "total", "type": ["null", DECIMAL], "default": None}]
SOURCE = {"type": "record", "name": "Source", "namespace": "io.debezium.connector.postgresql",
          "fields": [{"name": n, "type": t} for n, t in (
              ("connector", "string"), ("db", "string"), ("schema", "string"),
              ("table", "string"), ("ts_ms", "long"), ("snapshot", ["null", "string"]),
              ("txId", ["null", "long"]), ("lsn", ["null", "long"]))]}
KEY = {"type": "record", "name": "Key", "namespace": "t", "fields": [FIELDS[0]]}
NULLABLE_KEY = {"type": "record", "name": "Key", "namespace": "t",
                "fields": [{"name": "id", "type": ["null", "long"], "default": None}]}
ENVELOPE = {"type": "record", "name": "Envelope", "namespace": "t", "fields": [
    {"name": "before", "type": ["null", {"type": "record", "name": "Value", "fields": FIELDS}],
     "default": None},
    {"name": "after", "type": ["null", "Value"], "default": None},
    {"name": "source", "type": SOURCE}, {"name": "op", "type": "string"},
    {"name": "ts_ms", "type": ["null", "long"], "default": None}]}
PROCESSED = processed_schema(ENVELOPE, "public.orders", key_fields=["id"])
# The same record with ``__source_ts_ms`` declared nullable: its metadata types are not
# guaranteed by the schema, so the decoder checks them per record.
LOOSE = {**PROCESSED, "fields": [
    {**f, "type": ["null", "long"], "default": None} if f["name"] == "__source_ts_ms" else f
    for f in PROCESSED["fields"]]}
SCHEMAS = {1: KEY, 2: PROCESSED, 3: ENVELOPE, 4: NULLABLE_KEY, 5: LOOSE}
PROCESSED_TOPIC, DEBEZIUM_TOPIC = "processed.public.orders", "dbz.public.orders"


def fetch(schema_id: int) -> str:
    return json.dumps(SCHEMAS[schema_id])  # KeyError for an unknown id, like a 404


def decoder(fmt: str = "auto") -> Decoder:
    return Decoder(fetch, lambda _topic: fmt)


def envelope(op: str = "u", lsn: int | None = 5000, **after: Any) -> dict[str, Any]:
    row = {"id": 7, "body": "text", "total": Decimal("12.50"), **after}
    source = {"connector": "postgresql", "db": "shop", "schema": "public", "table": "orders",
              "ts_ms": 1_790_000_000_000, "snapshot": "false", "txId": 77, "lsn": lsn}
    before = {"id": row["id"], "body": None, "total": None} if op == "d" else None
    return {"before": before, "after": None if op == "d" else row, "source": source,
            "op": op, "ts_ms": 1_790_000_000_005}


def processed(op: str = "u", **after: Any) -> dict[str, Any]:
    event = parse_envelope({"id": 7}, envelope(op, **after))
    return to_processed(event, event_id(event), 1_790_000_000_010)


def message(value: bytes | None, *, topic: str = PROCESSED_TOPIC, key: bytes | None = None,
            offset: int = 42) -> RawMessage:
    key = key if key is not None else AvroEncoder(1, KEY).encode({"id": 7})
    return RawMessage(topic, 3, offset, key, value)


def processed_bytes(**after: Any) -> bytes:
    return AvroEncoder(2, PROCESSED).encode(processed(**after))


def debezium_bytes(op: str = "u", **after: Any) -> bytes:
    return AvroEncoder(3, ENVELOPE).encode(envelope(op, **after))


def failure(raw: RawMessage, fmt: str = "auto") -> CdcError:
    with pytest.raises(CdcError) as caught:
        decoder(fmt).decode(raw)
    return caught.value


def test_processed_record_is_detected_and_decoded() -> None:
    decoded = decoder().decode(message(processed_bytes()))
    assert decoded is not None
    assert decoded.schema.format == "processed"
    assert (decoded.schema.table, decoded.schema.source_table) == ("orders", "public.orders")
    assert decoded.schema.key_fields == ("id",)
    assert [c.name for c in decoded.schema.columns] == ["id", "body", "total"]
    change = decoded.change
    assert change.key == (7,)
    assert change.columns == {"id": 7, "body": "text", "total": Decimal("12.50")}
    assert (change.deleted, change.op) == (False, "u")
    assert change.position == Position(5000, 1_790_000_000_000)
    assert change.origin == KafkaCoordinates(PROCESSED_TOPIC, 3, 42)
    assert change.unavailable == frozenset()
    assert decoded.source_ts_ms == 1_790_000_000_000


def test_metadata_types_are_checked_once_per_schema_when_it_guarantees_them() -> None:
    typed = decoder().decode(message(processed_bytes()))
    loose = decoder().decode(message(AvroEncoder(5, LOOSE).encode(processed())))
    assert typed is not None and loose is not None
    assert (typed.schema.meta_typed, loose.schema.meta_typed) == (True, False)
    assert typed.change == loose.change


def test_metadata_the_schema_does_not_guarantee_is_checked_per_record() -> None:
    error = failure(message(AvroEncoder(5, LOOSE).encode({**processed(), "__source_ts_ms": None})))
    assert isinstance(error, EnvelopeError)
    assert (error.stage, error.reason) == ("validate", "bad_processed_record")
    assert "__source_ts_ms" in error.message


def test_debezium_envelope_is_detected_and_decoded() -> None:
    decoded = decoder().decode(message(debezium_bytes(), topic=DEBEZIUM_TOPIC))
    assert decoded is not None
    assert decoded.schema.format == "debezium"
    assert decoded.change.columns == {"id": 7, "body": "text", "total": Decimal("12.50")}
    assert decoded.change.position == Position(5000, 1_790_000_000_000)
    assert len(decoded.change.event_id) == 32


def test_both_formats_give_the_same_event_id() -> None:
    a = decoder().decode(message(processed_bytes()))
    b = decoder().decode(message(debezium_bytes(), topic=DEBEZIUM_TOPIC))
    assert a is not None and b is not None
    assert a.change.event_id == b.change.event_id


def test_debezium_delete_is_a_deleted_change() -> None:
    decoded = decoder().decode(message(debezium_bytes("d"), topic=DEBEZIUM_TOPIC))
    assert decoded is not None
    assert decoded.change.deleted and decoded.change.op == "d"
    assert decoded.change.key == (7,)


@pytest.mark.parametrize(("configured", "value"), [
    ("debezium", "processed"), ("processed", "debezium")])
def test_format_mismatch_with_configuration_is_an_error(configured: str, value: str) -> None:
    body = processed_bytes() if value == "processed" else debezium_bytes()
    error = failure(message(body), fmt=configured)
    assert isinstance(error, EnvelopeError)
    assert error.stage == "validate"
    assert error.reason == "bad_processed_record"
    assert configured in error.message


def test_configured_format_that_matches_is_accepted() -> None:
    assert decoder("processed").decode(message(processed_bytes())) is not None
    assert decoder("debezium").decode(message(debezium_bytes())) is not None


def test_tombstone_is_none() -> None:
    assert decoder().decode(message(None)) is None


@pytest.mark.parametrize("value", [b"plain text, not avro", b"", b"\x00\x00", b"\x01" * 10])
def test_not_framed_value_is_a_decode_error(value: bytes) -> None:
    error = failure(message(value))
    assert isinstance(error, DecodeError)
    assert (error.stage, error.reason) == ("decode", "not_confluent_framing")


def test_not_framed_key_is_a_decode_error() -> None:
    error = failure(message(processed_bytes(), key=b"7"))
    assert (error.stage, error.reason) == ("decode", "not_confluent_framing")


def test_unknown_schema_id() -> None:
    error = failure(message(frame(987654, b"\x02")))
    assert isinstance(error, DecodeError)
    assert (error.stage, error.reason) == ("decode", "unknown_schema_id")
    assert "987654" in error.message


def test_corrupt_avro_body() -> None:
    error = failure(message(frame(2, b"\xff\xfe\xfd garbage")))
    assert (error.stage, error.reason) == ("decode", "corrupt_avro")


def test_registry_trouble_is_not_a_record_error() -> None:
    def down(_schema_id: int) -> str:
        raise ConnectionError("registry unreachable")

    with pytest.raises(ConnectionError):
        Decoder(down, lambda _t: "auto").decode(message(processed_bytes()))


@pytest.mark.parametrize("fmt", ["processed", "debezium"])
def test_key_without_its_primary_key_value(fmt: str) -> None:
    body = processed_bytes() if fmt == "processed" else debezium_bytes()
    key = AvroEncoder(4, NULLABLE_KEY).encode({"id": None})
    error = failure(message(body, key=key))
    assert isinstance(error, EnvelopeError)
    assert (error.stage, error.reason) == ("validate", "missing_key_field")


@pytest.mark.parametrize("fmt", ["processed", "debezium"])
def test_toast_placeholder_makes_the_column_unavailable(fmt: str) -> None:
    body = (processed_bytes(body=UNAVAILABLE_VALUE) if fmt == "processed"
            else debezium_bytes(body=UNAVAILABLE_VALUE))
    decoded = decoder().decode(message(body))
    assert decoded is not None
    assert decoded.change.unavailable == frozenset({"body"})
    assert "body" not in decoded.change.columns
    assert decoded.change.columns["total"] == Decimal("12.50")


@pytest.mark.parametrize("fmt", ["processed", "debezium"])
def test_nul_in_text_is_a_sink_error(fmt: str) -> None:
    body = (processed_bytes(body="bad\x00byte") if fmt == "processed"
            else debezium_bytes(body="bad\x00byte"))
    error = failure(message(body))
    assert isinstance(error, SinkError)
    assert (error.stage, error.reason) == ("sink", "value_misfit_nul_in_text")
    assert "orders.body" in error.message


def test_topic_must_name_schema_and_table() -> None:
    assert split_topic("processed.public.orders") == ("public", "orders")
    assert split_topic("a.b.public.orders") == ("public", "orders")
    error = failure(message(processed_bytes(), topic="orders"))
    assert (error.stage, error.reason) == ("sink", "unroutable_topic")


def test_row_schema_is_cached_per_topic_and_id_pair() -> None:
    d = decoder()
    first = d.decode(message(processed_bytes(), offset=1))
    second = d.decode(message(processed_bytes(), offset=2))
    assert first is not None and second is not None
    assert first.schema is second.schema


def test_without_a_source_position_the_kafka_offset_orders_equal_commit_times() -> None:
    def at(offset: int) -> Position:
        value = AvroEncoder(3, ENVELOPE).encode(envelope(lsn=None))
        decoded = decoder().decode(message(value, topic=DEBEZIUM_TOPIC, offset=offset))
        assert decoded is not None
        return decoded.change.position

    first, second = at(42), at(43)
    assert (first.lsn, first.ts_ms) == (None, 1_790_000_000_000)
    assert second.newer_than(first) and not first.newer_than(second)
    assert second.tied_with(first)


def test_the_processed_records_lsn_orders_it_as_the_raw_envelopes_does() -> None:
    raw = decoder().decode(message(debezium_bytes(), topic=DEBEZIUM_TOPIC, offset=1))
    flat = decoder().decode(message(processed_bytes(), offset=2))
    assert raw is not None and flat is not None
    assert raw.change.position.key == flat.change.position.key  # offsets play no part


@pytest.mark.parametrize("fmt", ["processed", "debezium"])
@pytest.mark.parametrize("op", ["c", "r"])
def test_a_real_value_equal_to_the_placeholder_is_stored_outside_updates(fmt: str,
                                                                          op: str) -> None:
    body = (processed_bytes(op=op, body=UNAVAILABLE_VALUE) if fmt == "processed"
            else debezium_bytes(op=op, body=UNAVAILABLE_VALUE))
    decoded = decoder().decode(message(body))
    assert decoded is not None
    assert decoded.change.unavailable == frozenset()
    assert decoded.change.columns["body"] == UNAVAILABLE_VALUE


@pytest.mark.parametrize("fmt", ["processed", "debezium"])
def test_a_record_without_a_key_names_the_keyless_table(fmt: str,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    body = processed_bytes() if fmt == "processed" else debezium_bytes()
    topic = f"{fmt}.public.keyless_{fmt}"
    with caplog.at_level("WARNING", logger="cdc_sink.decode"):
        first = failure(RawMessage(topic, 0, 1, None, body))
        failure(RawMessage(topic, 0, 2, None, body))
    assert isinstance(first, EnvelopeError)
    assert (first.stage, first.reason) == ("validate", "keyless_table")
    assert "message.key.columns" in first.message and "REPLICA IDENTITY FULL" in first.message
    warnings = [r.getMessage() for r in caplog.records if topic in r.getMessage()]
    assert len(warnings) == 1 and "primary key" in warnings[0]  # once per topic
