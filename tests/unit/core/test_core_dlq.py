import pytest

from cdc_core.dlq import (
    ALL_HEADERS,
    DEFAULT_DLQ_TOPIC,
    HEADER_MESSAGE,
    HEADER_REASON,
    HEADER_SOURCE_OFFSET,
    HEADER_SOURCE_PARTITION,
    HEADER_SOURCE_TOPIC,
    HEADER_STAGE,
    HEADER_TS_MS,
    MAX_MESSAGE_CHARS,
    DlqInfo,
    dlq_headers,
    dlq_headers_for,
    read_dlq_headers,
)
from cdc_core.errors import DecodeError, SchemaChangeError


def test_header_names_match_design() -> None:
    assert ALL_HEADERS == (
        "cdc.error.stage",
        "cdc.error.reason",
        "cdc.error.message",
        "cdc.source.topic",
        "cdc.source.partition",
        "cdc.source.offset",
        "cdc.error.ts_ms",
    )
    assert DEFAULT_DLQ_TOPIC == "cdc.dlq"


def test_dlq_headers() -> None:
    headers = dlq_headers(
        "decode",
        "corrupt_avro",
        "bad bytes",
        topic="cdc.public.orders",
        partition=3,
        offset=1017,
        now_ms=1_732_440_000_000,
    )
    assert headers == [
        (HEADER_STAGE, b"decode"),
        (HEADER_REASON, b"corrupt_avro"),
        (HEADER_MESSAGE, b"bad bytes"),
        (HEADER_SOURCE_TOPIC, b"cdc.public.orders"),
        (HEADER_SOURCE_PARTITION, b"3"),
        (HEADER_SOURCE_OFFSET, b"1017"),
        (HEADER_TS_MS, b"1732440000000"),
    ]


def test_long_message_is_truncated_to_1000_chars_utf8() -> None:
    headers = dict(
        dlq_headers("sink", "write_failed", "é" * 5000, topic="t", partition=0, offset=0, now_ms=1)
    )
    text = headers[HEADER_MESSAGE].decode("utf-8")
    assert len(text) == MAX_MESSAGE_CHARS == 1000
    assert text.endswith("\u2026")


def test_unknown_location_is_left_out() -> None:
    headers = dict(
        dlq_headers("validate", "bad_op", "m", topic=None, partition=None, offset=None, now_ms=5)
    )
    assert set(headers) == {HEADER_STAGE, HEADER_REASON, HEADER_MESSAGE, HEADER_TS_MS}


def test_unknown_stage_is_rejected() -> None:
    with pytest.raises(ValueError, match="stage"):
        dlq_headers("load", "x", "m", topic="t", partition=0, offset=0, now_ms=0)


def test_dlq_headers_for_error() -> None:
    err = SchemaChangeError(
        "status: string -> int",
        table="public.orders",
        column="status",
        old_type="string",
        new_type="int",
    )
    headers = dict(dlq_headers_for(err, "processed.public.orders", 0, 9, 77))
    assert headers[HEADER_STAGE] == b"schema-change"
    assert headers[HEADER_REASON] == b"breaking_schema_change"
    assert headers[HEADER_MESSAGE] == b"status: string -> int"
    assert headers[HEADER_SOURCE_OFFSET] == b"9"


def test_dlq_headers_for_falls_back_to_error_location() -> None:
    err = DecodeError("x", reason="unknown_schema_id").at("cdc.public.orders", 2, 40)
    info = read_dlq_headers(dlq_headers_for(err, None, None, None, 77))
    assert info == DlqInfo("decode", "unknown_schema_id", "x", "cdc.public.orders", 2, 40, 77)


def test_read_dlq_headers_tolerates_missing_and_junk() -> None:
    info = read_dlq_headers([(HEADER_SOURCE_OFFSET, b"abc"), (HEADER_TS_MS, None), ("other", b"1")])
    assert info == DlqInfo(None, None, None, None, None, None, None)
    assert read_dlq_headers(None) == info
