import json
from decimal import Decimal

import debezium_samples as ds
import pytest

from cdc_core.avro import AvroDecoder, AvroEncoder, encode, encode_framed, parse, read_record
from cdc_core.errors import DecodeError, RegistryUnavailable, SchemaNotFound
from cdc_core.framing import frame

VALUE_PARSED = parse(ds.VALUE_SCHEMA)


class FakeRegistry:
    """Counts lookups; the real one is an HTTP client supplied by the caller."""

    def __init__(self, schemas: dict[int, dict[str, object]]) -> None:
        self.schemas = schemas
        self.calls: list[int] = []

    def __call__(self, schema_id: int) -> str:
        self.calls.append(schema_id)
        return json.dumps(self.schemas[schema_id])


def test_decodes_debezium_envelope_with_decimal_bytes() -> None:
    decoder = AvroDecoder(FakeRegistry({11: ds.VALUE_SCHEMA}))
    schema_id, record = decoder.decode(encode_framed(11, VALUE_PARSED, ds.UPDATE))
    assert schema_id == 11
    assert record == ds.UPDATE
    assert record["after"]["total_amount"] == Decimal("1234.50")
    assert isinstance(record["after"]["total_amount"], Decimal)


def test_decimal_bytes_on_the_wire_are_unscaled_twos_complement() -> None:
    schema = {
        "type": "record",
        "name": "R",
        "fields": [{"name": "amount", "type": ds.TOTAL_AMOUNT_TYPE}],
    }
    body = b"\x04" + (-12345).to_bytes(2, "big", signed=True)  # length 2 (zigzag 4), -123.45
    assert read_record(parse(schema), body) == {"amount": Decimal("-123.45")}


def test_schema_fetched_once_per_id() -> None:
    registry = FakeRegistry({1: ds.VALUE_SCHEMA, 2: ds.KEY_SCHEMA})
    decoder = AvroDecoder(registry)
    for _ in range(3):
        decoder.decode(encode_framed(1, VALUE_PARSED, ds.INSERT))
        decoder.decode(encode_framed(2, parse(ds.KEY_SCHEMA), ds.KEY))
    assert registry.calls == [1, 2]
    assert decoder.schema_of(1) == ds.VALUE_SCHEMA
    assert registry.calls == [1, 2]


def test_schema_of_returns_a_copy() -> None:
    decoder = AvroDecoder(FakeRegistry({1: ds.KEY_SCHEMA}))
    decoder.schema_of(1)["fields"].clear()
    assert decoder.schema_of(1) == ds.KEY_SCHEMA


@pytest.mark.parametrize("missing", [KeyError(5), LookupError("gone"),
                                     SchemaNotFound("schema registry: HTTP 404")])
def test_unknown_schema_id(missing: Exception) -> None:
    def fetch(schema_id: int) -> str:
        raise missing

    data = frame(5, b"\x02")
    with pytest.raises(DecodeError) as info:
        AvroDecoder(fetch).decode(data)
    assert info.value.reason == "unknown_schema_id"
    assert info.value.raw == data


def test_registry_outage_propagates_instead_of_dead_lettering() -> None:
    def fetch(schema_id: int) -> str:
        raise RegistryUnavailable("schema registry: HTTP 503")

    with pytest.raises(RegistryUnavailable):
        AvroDecoder(fetch).decode(frame(5, b"\x02"))


def test_custom_unknown_rule() -> None:
    def fetch(schema_id: int) -> str:
        raise ConnectionError("refused")

    decoder = AvroDecoder(fetch, is_unknown=lambda exc: True)
    with pytest.raises(DecodeError, match="not registered"):
        decoder.decode(frame(5, b"\x02"))


def test_invalid_schema_text_counts_as_unknown() -> None:
    decoder = AvroDecoder(lambda schema_id: '{"type": "record", "name": "R"')
    with pytest.raises(DecodeError) as info:
        decoder.decode(frame(1, b""))
    assert info.value.reason == "unknown_schema_id"


@pytest.mark.parametrize(
    "body",
    [
        b"",  # truncated: no fields at all
        b"\x02\x03",  # before is branch 1 (a row) but the row is cut short
        b"\x08",  # union branch 4 does not exist
    ],
)
def test_corrupt_avro(body: bytes) -> None:
    decoder = AvroDecoder(FakeRegistry({1: ds.VALUE_SCHEMA}))
    with pytest.raises(DecodeError) as info:
        decoder.decode(frame(1, body))
    assert info.value.reason == "corrupt_avro"
    assert info.value.raw == frame(1, body)


def test_trailing_garbage_is_corrupt() -> None:
    decoder = AvroDecoder(FakeRegistry({1: ds.KEY_SCHEMA}))
    data = encode_framed(1, parse(ds.KEY_SCHEMA), ds.KEY) + b"\x00"
    with pytest.raises(DecodeError, match="1 trailing bytes") as info:
        decoder.decode(data)
    assert info.value.reason == "corrupt_avro"


def test_non_record_schema_is_rejected() -> None:
    decoder = AvroDecoder(lambda schema_id: '"string"')
    with pytest.raises(DecodeError, match="not a record"):
        decoder.decode(frame(1, b"\x02a"))


def test_tombstone_is_not_framed() -> None:
    with pytest.raises(DecodeError) as info:
        AvroDecoder(FakeRegistry({})).decode(None)
    assert info.value.reason == "not_confluent_framing"


def test_encoder_round_trip() -> None:
    encoder = AvroEncoder(9, ds.KEY_SCHEMA)
    data = encoder.encode(ds.KEY)
    assert data == frame(9, encode(parse(ds.KEY_SCHEMA), ds.KEY))
    assert AvroDecoder(FakeRegistry({9: ds.KEY_SCHEMA})).decode(data) == (9, ds.KEY)


def test_parse_accepts_text() -> None:
    text = json.dumps(ds.KEY_SCHEMA)
    assert encode(parse(text), ds.KEY) == encode(parse(ds.KEY_SCHEMA), ds.KEY)
