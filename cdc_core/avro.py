"""Avro bodies in Confluent framing: decode with a per-id schema cache, encode for producing.

The registry lookup is I/O, so the caller supplies it as ``fetch_schema(schema_id) ->
schema JSON text`` (for example ``cdc_core.registry.Registry(...).fetch``).  Each id is
fetched, parsed and compiled into a specialised reader (avro_reader.py) once per decoder;
every record of that id reuses them, which is what keeps decoding fast.

A failed lookup becomes ``DecodeError("unknown_schema_id")`` only when the schema really
does not exist: ``cdc_core.registry`` raises ``SchemaNotFound`` for the registry's 404, and
any ``LookupError`` (a ``KeyError`` of an in-memory fetcher) counts too.  Any other
failure (``RegistryUnavailable``: registry down, timeout) propagates unchanged, so the
caller retries or restarts from its checkpoint instead of dead-lettering perfectly good
records.  Pass ``is_unknown`` to change that rule.
"""

from __future__ import annotations

import copy
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import fastavro

from cdc_core.avro_reader import Reader, compile_reader
from cdc_core.errors import DecodeError, SchemaNotFound
from cdc_core.framing import frame, unframe

# fastavro's parsed schema: an opaque value only fastavro reads.
ParsedSchema = Any
SchemaFetcher = Callable[[int], str]


def registry_not_found(exc: Exception) -> bool:
    """Whether a lookup failure means "no such schema" rather than "registry trouble"."""
    return isinstance(exc, SchemaNotFound | LookupError)


def parse(schema: dict[str, Any] | str) -> ParsedSchema:
    """Parse schema JSON (text or dict) once, for repeated ``encode``/``read_record``."""
    as_json = json.loads(schema) if isinstance(schema, str) else schema
    return fastavro.parse_schema(as_json)


def encode(parsed_schema: ParsedSchema, record: dict[str, Any]) -> bytes:
    """Avro binary body of ``record`` (no framing)."""
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, parsed_schema, record)
    return buffer.getvalue()


def encode_framed(schema_id: int, parsed_schema: ParsedSchema, record: dict[str, Any]) -> bytes:
    """Avro body of ``record`` in Confluent framing, ready to produce."""
    return frame(schema_id, encode(parsed_schema, record))


def read_record(parsed_schema: ParsedSchema, body: bytes | memoryview,
                read: Reader | None = None) -> dict[str, Any]:
    """Read exactly one record from ``body``; anything unreadable or left over is corrupt.

    ``read`` is ``compile_reader(parsed_schema)`` when the caller keeps one (faster);
    without it fastavro's generic reader interprets the schema.
    """
    buffer = io.BytesIO(body)
    try:
        record = (read(buffer) if read is not None
                  else fastavro.schemaless_reader(buffer, parsed_schema, None))
    except Exception as exc:  # untrusted bytes: any reader failure means the input is bad
        raise DecodeError(f"cannot read Avro body: {exc!r}", reason="corrupt_avro") from exc
    trailing = len(body) - buffer.tell()
    if trailing:
        raise DecodeError(f"{trailing} trailing bytes after the record", reason="corrupt_avro")
    if not isinstance(record, dict):
        raise DecodeError(
            f"writer schema yields {type(record).__name__}, not a record", reason="corrupt_avro"
        )
    return record


class AvroEncoder:
    """Encodes records with one registered schema, framed and ready to produce."""

    def __init__(self, schema_id: int, schema: dict[str, Any] | str) -> None:
        self.schema_id = schema_id
        self.parsed = parse(schema)

    def encode(self, record: dict[str, Any]) -> bytes:
        return encode_framed(self.schema_id, self.parsed, record)


@dataclass(frozen=True, slots=True)
class _Entry:
    schema: dict[str, Any]
    parsed: ParsedSchema
    read: Reader | None  # compiled once per id; None: fastavro's generic reader


class AvroDecoder:
    """Decodes Confluent-framed Avro records, fetching each writer schema once."""

    def __init__(
        self,
        fetch_schema: SchemaFetcher,
        *,
        is_unknown: Callable[[Exception], bool] = registry_not_found,
    ) -> None:
        self._fetch = fetch_schema
        self._is_unknown = is_unknown
        self._cache: dict[int, _Entry] = {}

    def decode(self, data: bytes | None) -> tuple[int, dict[str, Any]]:
        """(writer schema id, record) of framed ``data``; raises ``DecodeError``."""
        schema_id, body = unframe(data)
        try:
            entry = self._entry(schema_id)
            return schema_id, read_record(entry.parsed, body, entry.read)
        except DecodeError as err:
            err.raw = err.raw if err.raw is not None else bytes(data or b"")
            raise

    def schema_of(self, schema_id: int) -> dict[str, Any]:
        """The writer schema JSON for ``schema_id`` (a copy: the cache stays intact)."""
        return copy.deepcopy(self._entry(schema_id).schema)

    def parsed_schema_of(self, schema_id: int) -> ParsedSchema:
        """fastavro's parsed form of ``schema_id``, e.g. to re-encode with the same schema."""
        return self._entry(schema_id).parsed

    def _entry(self, schema_id: int) -> _Entry:
        entry = self._cache.get(schema_id)
        if entry is None:
            entry = self._cache[schema_id] = self._load(schema_id)
        return entry

    def _load(self, schema_id: int) -> _Entry:
        try:
            text = self._fetch(schema_id)
        except Exception as exc:
            if not self._is_unknown(exc):
                raise
            raise DecodeError(
                f"schema id {schema_id} is not registered: {exc!r}", reason="unknown_schema_id"
            ) from exc
        return _parse_entry(schema_id, text)


def _parse_entry(schema_id: int, text: str) -> _Entry:
    """Parse registry text; a schema that is not valid Avro is as good as unknown."""
    try:
        schema = json.loads(text)
        parsed = fastavro.parse_schema(schema)
        return _Entry(schema=schema, parsed=parsed, read=compile_reader(parsed))
    except Exception as exc:  # fastavro raises several types for invalid schemas
        raise DecodeError(
            f"schema id {schema_id} is not valid Avro: {exc!r}", reason="unknown_schema_id"
        ) from exc
