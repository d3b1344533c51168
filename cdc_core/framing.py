"""Confluent wire format: magic byte 0, 4-byte big-endian schema id, then the Avro body.

Every Kafka record on raw and processed topics uses it, so the registry can tell a
reader which writer schema to use.  A ``None`` value is a Kafka tombstone (sent after a
delete); callers skip tombstones before decoding, so here it is just "not framed".
"""

from __future__ import annotations

import struct

from cdc_core.errors import DecodeError

MAGIC = 0
HEADER = struct.Struct(">BI")
HEADER_SIZE = HEADER.size
MAX_SCHEMA_ID = 2**32 - 1


def frame(schema_id: int, payload: bytes) -> bytes:
    """Prefix ``payload`` with the magic byte and ``schema_id``."""
    if not 0 <= schema_id <= MAX_SCHEMA_ID:
        raise ValueError(f"schema id {schema_id} does not fit in 4 unsigned bytes")
    return HEADER.pack(MAGIC, schema_id) + payload


def unframe(data: bytes | None) -> tuple[int, memoryview]:
    """Split framed bytes into (schema id, body) without copying the body."""
    if data is None:
        raise DecodeError("no value (tombstone?)", reason="not_confluent_framing")
    if len(data) < HEADER_SIZE:
        raise DecodeError(
            f"{len(data)} bytes is shorter than the {HEADER_SIZE}-byte header",
            reason="not_confluent_framing",
            raw=bytes(data),
        )
    magic, schema_id = HEADER.unpack_from(data)
    if magic != MAGIC:
        raise DecodeError(
            f"magic byte {magic} is not {MAGIC}", reason="not_confluent_framing", raw=bytes(data)
        )
    return schema_id, memoryview(data)[HEADER_SIZE:]
