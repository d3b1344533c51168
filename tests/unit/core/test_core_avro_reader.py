"""Compiled readers return what fastavro's schemaless_reader returns, and fail where it does."""

import io
import json
import random
import subprocess
import sys
from typing import Any

import debezium_samples as ds
import fastavro
import pytest
from fastavro.utils import generate_many

from cdc_core import avro_reader
from cdc_core.avro import AvroDecoder, encode, encode_framed, parse
from cdc_core.avro_reader import compile_reader
from cdc_core.errors import DecodeError

DECIMAL = {"type": "bytes", "logicalType": "decimal", "precision": 12, "scale": 2}
EVERY_TYPE = {
    "type": "record", "name": "Every", "namespace": "test",
    "fields": [
        {"name": "n", "type": "null"},
        {"name": "flag", "type": "boolean"},
        {"name": "i", "type": "int"},
        {"name": "l", "type": "long"},
        {"name": "f", "type": "float"},
        {"name": "d", "type": "double"},
        {"name": "b", "type": "bytes"},
        {"name": "s", "type": "string"},
        {"name": "maybe", "type": ["null", "string"]},
        {"name": "either", "type": ["long", "string", "null"]},
        {"name": "amount", "type": ["null", DECIMAL]},
        {"name": "fixed_amount", "type": {"type": "fixed", "name": "Amount", "size": 8,
                                          "logicalType": "decimal", "precision": 18,
                                          "scale": 4}},
        {"name": "day", "type": {"type": "int", "logicalType": "date"}},
        {"name": "at_ms", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "at_us", "type": {"type": "long", "logicalType": "timestamp-micros"}},
        {"name": "time_ms", "type": {"type": "int", "logicalType": "time-millis"}},
        {"name": "uid", "type": {"type": "string", "logicalType": "uuid"}},
        {"name": "unknown_logical", "type": {"type": "string", "logicalType": "nope"}},
        {"name": "mood", "type": {"type": "enum", "name": "Mood", "symbols": ["SAD", "OK"]}},
        {"name": "mood_again", "type": "Mood"},
        {"name": "hash", "type": {"type": "fixed", "name": "Hash", "size": 4}},
        {"name": "tags", "type": {"type": "array", "items": "string"}},
        {"name": "scores", "type": {"type": "map", "values": ["null", "long"]}},
        {"name": "inner", "type": {"type": "record", "name": "Inner", "fields": [
            {"name": "x", "type": "int"}, {"name": "hashes", "type": {
                "type": "array", "items": "Hash"}}]}},
        {"name": "inners", "type": {"type": "array", "items": "Inner"}},
        {"name": "maybe_inner", "type": ["null", "Inner"]},
    ],
}
RECURSIVE = {"type": "record", "name": "Node", "fields": [
    {"name": "value", "type": "int"}, {"name": "next", "type": ["null", "Node"]}]}


def outcome(read: Any, body: bytes) -> tuple[str, Any, int]:
    """What reading ``body`` gives: the value and the bytes consumed, or the failure."""
    buffer = io.BytesIO(body)
    try:
        return "ok", read(buffer), buffer.tell()
    except Exception:
        return "error", None, 0


def generic(parsed: Any) -> Any:
    return lambda fo: fastavro.schemaless_reader(fo, parsed, None)


@pytest.mark.parametrize("schema", [EVERY_TYPE, ds.VALUE_SCHEMA, ds.KEY_SCHEMA])
def test_random_records_read_as_fastavro_reads_them(schema: dict[str, Any]) -> None:
    parsed = parse(schema)
    compiled = compile_reader(parsed)
    assert compiled is not None
    for record in generate_many(parsed, 300):
        body = encode(parsed, record)
        expected = outcome(generic(parsed), body)
        assert outcome(compiled, body) == expected
        assert expected[0] == "error" or expected[2] == len(body)


def test_decimals_dates_and_nulls_come_back_typed() -> None:
    parsed = parse(ds.VALUE_SCHEMA)
    read = compile_reader(parsed)
    assert read is not None
    for record in (ds.INSERT, ds.UPDATE, ds.DELETE, ds.SNAPSHOT):
        assert read(io.BytesIO(encode(parsed, record))) == record


def test_every_truncation_fails_as_fastavro_fails() -> None:
    parsed = parse(EVERY_TYPE)
    compiled = compile_reader(parsed)
    [record] = generate_many(parsed, 1)
    record.update(at_ms=0, at_us=0, day=0, time_ms=0)  # in range for the converters
    body = encode(parsed, record)
    assert outcome(compiled, body)[0] == "ok"
    for cut in range(len(body)):
        assert outcome(compiled, body[:cut])[0] == "error", cut
        assert outcome(generic(parsed), body[:cut])[0] == "error", cut


@pytest.mark.parametrize("zigzag", [4, 10, 1])  # union index 2, 5 and -1
def test_union_index_outside_the_union_is_refused(zigzag: int) -> None:
    parsed = parse({"type": "record", "name": "R", "fields": [
        {"name": "maybe", "type": ["null", "long"]}]})
    body = bytes([zigzag, 0x02])
    assert outcome(compile_reader(parsed), body)[0] == "error"
    if zigzag == 1:  # fastavro reads index -1 as the last branch
        assert outcome(generic(parsed), body) == ("ok", {"maybe": 1}, 2)


def test_random_bytes_fail_or_agree_with_fastavro() -> None:
    """Corrupt input: both readers fail, or both read the same value (Avro has no
    checksum); the only allowed difference is a negative union/enum index, refused here."""
    parsed = parse(EVERY_TYPE)
    compiled = compile_reader(parsed)
    rng = random.Random(7)
    [record] = generate_many(parsed, 1)
    record.update(at_ms=0, at_us=0, day=0, time_ms=0)
    body = bytearray(encode(parsed, record))
    agreed = 0
    for _ in range(500):
        corrupt = bytearray(body)
        corrupt[rng.randrange(len(body))] = rng.randrange(256)
        ours, theirs = outcome(compiled, bytes(corrupt)), outcome(generic(parsed), bytes(corrupt))
        if ours[0] == "ok" or theirs[0] == "error":
            assert ours == theirs
            agreed += 1
    assert agreed > 400


def test_recursive_schema_falls_back_to_fastavro() -> None:
    assert compile_reader(parse(RECURSIVE)) is None
    parsed = parse(RECURSIVE)
    record = {"value": 1, "next": {"value": 2, "next": None}}
    decoder = AvroDecoder(lambda _id: json.dumps(RECURSIVE))
    assert decoder.decode(encode_framed(3, parsed, record)) == (3, record)


def test_decoder_still_refuses_trailing_bytes_with_the_compiled_reader() -> None:
    parsed = parse(ds.KEY_SCHEMA)
    decoder = AvroDecoder(lambda _id: json.dumps(ds.KEY_SCHEMA))
    with pytest.raises(DecodeError) as err:
        decoder.decode(encode_framed(1, parsed, {"id": 5}) + b"\x00")
    assert err.value.reason == "corrupt_avro"


def test_array_and_map_blocks_with_byte_sizes() -> None:
    """Writers may prefix a block with a negative count and its size in bytes."""
    parsed = parse({"type": "record", "name": "R", "fields": [
        {"name": "xs", "type": {"type": "array", "items": "long"}},
        {"name": "m", "type": {"type": "map", "values": "int"}}]})
    # xs: block of -3 items (zig-zag 5), 3 bytes (6), items 1 2 3; block of 1 item: 4; end
    # m: block of -1 entry (1), 3 bytes (6), "k" (len 1 = 2, b"k"), 7 (14); end
    body = bytes([5, 6, 2, 4, 6, 2, 8, 0, 1, 6, 2, ord("k"), 14, 0])
    expected = ("ok", {"xs": [1, 2, 3, 4], "m": {"k": 7}}, len(body))
    assert outcome(generic(parsed), body) == expected
    assert outcome(compile_reader(parsed), body) == expected


def test_nothing_is_compiled_without_fastavros_c_extension(monkeypatch: Any) -> None:
    """fastavro's pure Python readers take other arguments: its generic reader is kept."""
    monkeypatch.setattr(avro_reader, "_COMPILED_FASTAVRO", False)
    assert compile_reader(parse(ds.KEY_SCHEMA)) is None
    decoder = AvroDecoder(lambda _id: json.dumps(ds.KEY_SCHEMA))
    assert decoder.decode(encode_framed(1, parse(ds.KEY_SCHEMA), {"id": 5})) == (1, {"id": 5})


@pytest.mark.parametrize("remove", ["_read", "LOGICAL_READERS"])
def test_without_fastavros_private_readers_the_public_reader_decodes(remove: str) -> None:
    """A fastavro release that renames its private C readers must not break the import:
    nothing is compiled and decoding goes through the public ``schemaless_reader``."""
    script = f"""
import json
import fastavro.read
delattr(fastavro.read, {remove!r})
from cdc_core import avro, avro_reader
schema = {{"type": "record", "name": "r", "fields": [{{"name": "a", "type": "long"}}]}}
parsed = avro.parse(schema)
assert avro_reader.compile_reader(parsed) is None
decoder = avro.AvroDecoder(lambda i: json.dumps(schema))
assert decoder.decode(avro.encode_framed(1, parsed, {{"a": 7}})) == (1, {{"a": 7}})
print("ok")
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=False, timeout=60)
    assert done.stdout.strip() == "ok", done.stderr
