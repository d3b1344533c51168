"""The one exception tree of ``cdc_core``.

Record-level failures are ``CdcError`` subclasses.  Each carries what the dead-letter
record needs: the pipeline ``stage`` that failed, a machine-readable ``reason`` (the
``cdc.error.reason`` DLQ header, also a metric label) and, once the caller knows it, the
record's location and raw bytes.  That way nothing is dropped without a DLQ record that
says why.  Configuration mistakes are not records and must stop start-up instead, so
they live in a separate branch::

    Exception
    ├── CdcError                 stage            reason
    │   ├── DecodeError          "decode"         not_confluent_framing | unknown_schema_id
    │   │                                         | corrupt_avro
    │   ├── EnvelopeError        "validate"       bad_op | missing_source | bad_source_field
    │   │                                         | missing_after | missing_before
    │   │                                         | missing_key | missing_key_field
    │   │                                         | keyless_table
    │   │                                         | truncate_not_supported
    │   │                                         | bad_processed_record
    │   ├── ContractViolation    "contract"       contract_<expectation name>
    │   ├── SchemaChangeError    "schema-change"  breaking_schema_change
    │   └── SinkError            "sink"           chosen by the sink (e.g. write_failed)
    └── ValueError
        └── ConfigError          (no stage)       bad contracts file, column name clash, ...
"""

from __future__ import annotations

from typing import Any, Literal, Self

STAGES = frozenset({"decode", "validate", "contract", "schema-change", "sink"})

DecodeReason = Literal["not_confluent_framing", "unknown_schema_id", "corrupt_avro"]
EnvelopeReason = Literal[
    "bad_op",
    "missing_source",
    "bad_source_field",
    "missing_after",
    "missing_before",
    "missing_key",
    "missing_key_field",
    "keyless_table",
    "truncate_not_supported",
    "bad_processed_record",
]


def _restore(cls: type[CdcError], args: tuple[Any, ...], state: dict[str, Any]) -> CdcError:
    """Rebuild a pickled error without re-running ``__init__`` (its keywords vary)."""
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


class CdcError(Exception):
    """A record could not go through the pipeline; carries everything for its DLQ record."""

    def __init__(
        self,
        message: str,
        *,
        stage: str,
        reason: str,
        topic: str | None = None,
        partition: int | None = None,
        offset: int | None = None,
        raw: bytes | None = None,
    ) -> None:
        if stage not in STAGES:
            raise ValueError(f"unknown stage {stage!r}; expected one of {sorted(STAGES)}")
        if not reason:
            raise ValueError("reason must be a non-empty code")
        super().__init__(message)
        self.message = message
        self.stage = stage
        self.reason = reason
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.raw = raw

    def at(
        self,
        topic: str | None,
        partition: int | None,
        offset: int | None,
        raw: bytes | None = None,
    ) -> Self:
        """Attach the record's location once the caller knows it (``raise err.at(...)``).

        Pure decoding code never sees Kafka coordinates, so the edge fills them in.
        """
        self.topic, self.partition, self.offset = topic, partition, offset
        if raw is not None:
            self.raw = raw
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        """Keep errors picklable: Flink may ship them between Python workers."""
        return (_restore, (type(self), self.args, dict(self.__dict__)))


class DecodeError(CdcError):
    """The bytes are not a Confluent-framed Avro record we can read."""

    def __init__(self, message: str, *, reason: DecodeReason, **data: Any) -> None:
        super().__init__(message, stage="decode", reason=reason, **data)


class EnvelopeError(CdcError):
    """A decoded record breaks the Debezium envelope (or processed record) rules."""

    def __init__(self, message: str, *, reason: EnvelopeReason, **data: Any) -> None:
        super().__init__(message, stage="validate", reason=reason, **data)


class ContractViolation(CdcError):
    """A hard data-quality expectation failed; the record is quarantined."""

    def __init__(
        self,
        message: str,
        *,
        expectation: str,
        column: str | None = None,
        value: Any = None,
        **data: Any,
    ) -> None:
        super().__init__(message, stage="contract", reason=f"contract_{expectation}", **data)
        self.expectation = expectation
        self.column = column
        self.value = value


class SchemaChangeError(CdcError):
    """A new writer schema cannot be applied without a human decision."""

    def __init__(
        self,
        message: str,
        *,
        table: str,
        column: str,
        old_type: str,
        new_type: str,
        **data: Any,
    ) -> None:
        super().__init__(message, stage="schema-change", reason="breaking_schema_change", **data)
        self.table = table
        self.column = column
        self.old_type = old_type
        self.new_type = new_type


class SinkError(CdcError):
    """The sink could not apply a record; the reason code is the sink's to choose."""

    def __init__(self, message: str, *, reason: str, **data: Any) -> None:
        super().__init__(message, stage="sink", reason=reason, **data)


class ConfigError(ValueError):
    """Configuration is wrong; reported before anything is written, naming the key."""
