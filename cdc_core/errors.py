"""The project's one exception tree: every error it raises on purpose derives from
``PipelineError``, so a command catches the root once and says what went wrong in a line.

The four families answer "what happens next":

* a **record error** (``CdcError``) means one record cannot go through.  It carries what
  the dead-letter record needs: the pipeline ``stage``, a machine-readable ``reason`` (the
  ``cdc.error.reason`` header, also a metric label) and, once the caller knows them, the
  record's location and raw bytes.  The record goes to the DLQ; the pipeline goes on.
* a **configuration error** (``ConfigError``) stops start-up before anything is written.
  It lists one problem per line, each named by its key path (``sink.batch_max_rowz:
  unknown key``).  Commands exit 2.
* **unavailable infrastructure** (``UnavailableError``): Kafka, the registry or PostgreSQL
  did not answer within the retry budget.  No record is at fault, so nothing is
  dead-lettered; the process stops and resumes from its offsets.
* a **local stack error** (``StackError``) comes from the development tools (``cdc stack``,
  ``cdc demo``), never from the product.

::

    Exception
    └── PipelineError
        ├── CdcError                 stage            reason          → DLQ
        │   ├── DecodeError          "decode"         not_confluent_framing | unknown_schema_id
        │   │   │                                     | corrupt_avro
        │   │   └── SchemaNotFound                    unknown_schema_id (the registry said 404)
        │   ├── EnvelopeError        "validate"       bad_op | missing_source | bad_source_field
        │   │                                         | missing_after | missing_before
        │   │                                         | missing_key | missing_key_field
        │   │                                         | keyless_table
        │   │                                         | truncate_not_supported
        │   │                                         | bad_processed_record
        │   ├── ContractViolation    "contract"       contract_<expectation name>
        │   ├── SchemaChangeError    "schema-change"  breaking_schema_change
        │   └── SinkError            "sink"           chosen by the sink (e.g. write_failed)
        ├── ConfigError (also a ValueError)           bad key, contracts file, name clash …
        ├── UnavailableError                          → stop, resume from offsets
        │   ├── RegistryUnavailable                   unreachable, timeout, 408/429/5xx
        │   ├── PostgresUnavailable                   a command could not connect
        │   ├── flink_jobs.cluster.ClusterUnavailable a session cluster's REST API is silent
        │   └── cdc_sink.errors.SinkServiceError
        │       ├── DeadLetterError                   Kafka did not acknowledge a DLQ record
        │       └── RetriesExhausted                  PostgreSQL stayed unreachable
        ├── RegistryRefused                           the registry said no (409, 422 …):
        │                                             → stop, say what it answered
        ├── KafkaRefused                              Kafka refused the user, its
        │                                             certificate or an ACL (a pre-flight
        │                                             check): → stop, say which
        ├── flink_jobs.cluster.ClusterRefused         the cluster said no (submit, stop …)
        └── StackError                                → development tools only
            ├── cdc_stack.errors.ResolveError         a JAR or binary could not be had
            ├── cdc_stack.errors.ServiceStartError    an engine did not become ready
            └── cdc_demo.connector.ConnectorError     Kafka Connect refused a connector
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


def _restore(cls: type[PipelineError], args: tuple[Any, ...], state: dict[str, Any]
             ) -> PipelineError:
    """Rebuild a pickled error without re-running ``__init__`` (its keywords vary)."""
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


class PipelineError(Exception):
    """Root of every error the project raises on purpose (see the module docstring)."""


class CdcError(PipelineError):
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


class SchemaNotFound(DecodeError):
    """The registry has no schema with the record's id: the record cannot be read."""

    def __init__(self, message: str, **data: Any) -> None:
        super().__init__(message, reason="unknown_schema_id", **data)


class ConfigError(PipelineError, ValueError):
    """Configuration is wrong; reported before anything is written, one problem per line.

    Each problem names its key path (``postgres.dsn: required``); ``source`` is the file or
    option the configuration came from, when one is known.
    """

    def __init__(self, *problems: str, source: str | None = None) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems
        self.source = source

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore, (type(self), self.args, dict(self.__dict__)))

    def lines(self) -> list[str]:
        """One line per problem, each prefixed with the source when it is known."""
        prefix = f"{self.source}: " if self.source else ""
        return [f"{prefix}{problem}" for problem in self.problems or ("invalid",)]


class UnavailableError(PipelineError):
    """An engine (Kafka, the registry, PostgreSQL) did not answer; no record is at fault."""


class RegistryRefused(PipelineError):
    """The registry answered a request with a refusal that retrying does not change (a 409
    for an incompatible schema, a 422 for an invalid one, a 401 for bad credentials)."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class KafkaRefused(PipelineError):
    """Kafka refused a client before it started: a wrong password, an untrusted certificate,
    a missing ACL. Retrying does not change it; the message names the brokers and the user."""


class StackError(PipelineError):
    """A development tool (the local stack, the demo) could not do what it was asked."""


class RegistryUnavailable(UnavailableError):
    """The schema registry did not answer usefully (unreachable, timeout, 408/429/5xx)."""


class PostgresUnavailable(UnavailableError):
    """A command could not connect to a PostgreSQL database (source or warehouse)."""
