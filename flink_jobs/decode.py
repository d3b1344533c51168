"""Raw Debezium record → validated ``Change`` (or a DLQ record): the job's decode stage.

Steps, each failure a ``CdcError`` that becomes a DLQ record with the original bytes and
the headers of docs/design.md (bad data never fails the job):
Confluent framing and writer schema by id (``cdc_core.avro``, one registry fetch per id
per task) → Debezium envelope rules (``cdc_core.envelope``) → schema-change
classification against the last applied processed schema (``flink_jobs.catalog``) → the
table's hard contract expectations (``cdc_core.contracts``) → event_id and the processed
record, encoded once here.  Tombstones (null values) are skipped and counted.

Registry *outages* are not record errors: they propagate, so Flink restarts from the last
checkpoint instead of dead-lettering good records.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from zlib import crc32

from cdc_core.avro import AvroDecoder, encode
from cdc_core.contracts import EnrichmentRule, TableContract, check_event, hard_error
from cdc_core.dlq import dlq_headers_for
from cdc_core.envelope import ChangeEvent, parse_envelope
from cdc_core.errors import CdcError
from cdc_core.event_id import canonical_key, event_id, header_event_id
from cdc_core.framing import HEADER_SIZE, frame
from cdc_core.processed import to_processed
from cdc_core.values import as_decimal
from flink_jobs.catalog import SchemaCatalog, TableSchemas
from flink_jobs.enrich import dim_update, join_key, suffix, suffix_schema
from flink_jobs.records import Change, DimUpdate, OutRecord, RawRecord

BUCKETS = 4096


def bucket(routing_key: str, buckets: int = BUCKETS) -> str:
    """The dedup key of a row: stable across processes and restarts (not ``hash()``).

    Every copy of a change has the same row, so it meets its earlier copies, and each row's
    changes stay in order through the job; buckets rather than rows bound the number of
    keys (and so of dedup timers).
    """
    return str(crc32(routing_key.encode()) % buckets)


def sum_values(row: Mapping[str, Any], columns: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """The configured sum columns of a row, as exact decimal text (nulls left out)."""
    found = ((c, as_decimal(row.get(c))) for c in columns)
    return tuple((c, str(v)) for c, v in found if v is not None and v.is_finite())


@dataclass(slots=True)  # per record: not frozen (a frozen __init__ is 4x slower)
class Decoded:
    """What one raw record yields; exactly one of change / dlq / skipped is set."""

    change: Change | None = None
    dims: tuple[DimUpdate, ...] = ()
    dlq: OutRecord | None = None
    reason: str | None = None  # DLQ reason or skip reason (metric label)
    soft_violations: tuple[str, ...] = ()


@dataclass(frozen=True)
class DecodeSettings:
    """Static inputs of the decode stage (all picklable: shipped to every worker)."""

    dlq_topic: str
    contracts: dict[str, TableContract] = field(default_factory=dict)
    sums: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def rules(self) -> dict[str, EnrichmentRule]:
        """Enrichment rule per fact table (one per table, checked at start-up)."""
        return {t: c.enrichment[0] for t, c in self.contracts.items() if c.enrichment}

    def dimension_rules(self) -> dict[str, list[EnrichmentRule]]:
        """Per dimension table, one rule per lookup column with every field any fact uses.

        One update per dimension row and lookup column keeps a single, newest row in state
        even when several fact tables read different columns of it.
        """
        merged: dict[tuple[str, str], EnrichmentRule] = {}
        for rule in self.rules().values():
            key = (rule.dimension_table, rule.dimension_key)
            old = merged.get(key)
            fields = {**(old.fields if old else {}), **rule.fields}
            merged[key] = rule.model_copy(update={"fields": fields})
        found: dict[str, list[EnrichmentRule]] = {}
        for (table, _), rule in merged.items():
            found.setdefault(table, []).append(rule)
        return found


class RecordDecoder:
    """Decodes raw records; holds the per-task caches (schemas, processed schema ids)."""

    def __init__(self, settings: DecodeSettings, fetch_schema: Callable[[int], str],
                 catalog: SchemaCatalog) -> None:
        self._settings = settings
        self._avro = AvroDecoder(fetch_schema)
        self._catalog = catalog
        self._rules = settings.rules()
        self._dim_rules = settings.dimension_rules()
        self._suffixes = {t: suffix_schema(r) for t, r in self._rules.items()}

    def decode(self, raw: RawRecord, now_ms: int) -> Decoded:
        """The outcome for one raw record; never raises a ``CdcError``."""
        if raw.value is None:
            return Decoded(reason="tombstone")
        try:
            return self._decode(raw, now_ms)
        except CdcError as err:
            return Decoded(dlq=dlq_record(err, raw, self._settings.dlq_topic, now_ms),
                           reason=err.reason)

    def _decode(self, raw: RawRecord, now_ms: int) -> Decoded:
        key_id, key = self._avro.decode(raw.key) if raw.key is not None else (None, None)
        value_id, value = self._avro.decode(raw.value)
        event = parse_envelope(key, value)
        table = event.source.qualified_table
        schemas = self._catalog.value(value_id, table, lambda: self._avro.schema_of(value_id),
                                      sorted(event.key))
        if schemas.breaking is not None:
            raise schemas.breaking
        soft = self._check_contract(event, table)
        eid = event_id(event, header_event_id(raw.headers.items()))
        change = self._change(raw, event, eid=eid, schemas=schemas, key_id=key_id,
                              now_ms=now_ms)
        return Decoded(change=change, dims=self._dims(event, table), soft_violations=soft)

    def _check_contract(self, event: ChangeEvent, table: str) -> tuple[str, ...]:
        """Raise on a hard violation; the names of soft ones (counted, not quarantined)."""
        contract = self._settings.contracts.get(table)
        if contract is None:
            return ()
        violations = check_event(event, contract)
        error = hard_error(violations, table)
        if error is not None:
            raise error
        return tuple(v.expectation for v in violations)

    def _change(self, raw: RawRecord, event: ChangeEvent, *, eid: str, schemas: TableSchemas,
                key_id: int | None, now_ms: int) -> Change:
        record = to_processed(event, eid, now_ms)
        value = frame(schemas.value_id, encode(schemas.base, record))
        join, value = self._join(schemas.table, record, value)
        return Change(
            table=schemas.table, pk=bucket(f"{schemas.table}|{canonical_key(event.key)}"),
            event_id=eid, ts_ms=event.source.ts_ms, op=event.op, topic=schemas.topic,
            key=self._key(raw, key_id, schemas.table), value=value, join=join,
            sums=sum_values(record, self._settings.sums.get(schemas.table, ())))

    def _join(self, table: str, record: Mapping[str, Any], value: bytes) -> tuple[str | None,
                                                                                  bytes]:
        """The lookup key; a fact that cannot be looked up gets its null suffix now."""
        rule = self._rules.get(table)
        if rule is None:
            return None, value
        join = join_key(rule.dimension_table, record.get(rule.from_column))
        if join is None:
            return None, value + suffix(self._suffixes[table], rule, None)
        return join, value

    def _key(self, raw: RawRecord, key_id: int | None, table: str) -> bytes:
        """The raw key's Avro body, framed with the processed key subject's id."""
        assert raw.key is not None and key_id is not None  # parse_envelope checked the key
        processed_id = self._catalog.key_id(key_id, table, lambda: self._avro.schema_of(key_id))
        return frame(processed_id, raw.key[HEADER_SIZE:])

    def _dims(self, event: ChangeEvent, table: str) -> tuple[DimUpdate, ...]:
        found = (dim_update(event, rule) for rule in self._dim_rules.get(table, ()))
        return tuple(update for update in found if update is not None)


def dlq_record(err: CdcError, raw: RawRecord, topic: str, now_ms: int) -> OutRecord:
    """The DLQ record: original key and value bytes plus the headers of docs/design.md."""
    headers = dlq_headers_for(err, raw.topic, raw.partition, raw.offset, now_ms)
    return OutRecord(topic, raw.key, raw.value, dict(headers))
