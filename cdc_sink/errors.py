"""Errors of the sink service, in the project's one tree (drawn in ``cdc_core.errors``).

    cdc_core.errors.PipelineError
    ├── CdcError
    │   └── SinkError (stage "sink")    e.g. value_misfit_<why>, value_rejected_<sqlstate>
    └── UnavailableError
        └── SinkServiceError            the service itself cannot go on
            ├── DeadLetterError         a DLQ record was not acknowledged by Kafka
            └── RetriesExhausted        PostgreSQL stayed unreachable past the retry budget
"""

from __future__ import annotations

from cdc_core.errors import SinkError, UnavailableError

__all__ = ["DeadLetterError", "RetriesExhausted", "SinkError", "SinkServiceError"]


class SinkServiceError(UnavailableError):
    """The service cannot continue safely; it exits and its supervisor restarts it."""


class DeadLetterError(SinkServiceError):
    """Kafka did not acknowledge a dead-letter record; offsets must not move past it."""

    def __init__(self, topic: str, detail: str) -> None:
        super().__init__(f"dead-letter record to {topic} not delivered: {detail}")
        self.topic = topic


class RetriesExhausted(SinkServiceError):
    def __init__(self, attempts: int, last: BaseException) -> None:
        super().__init__(f"gave up after {attempts} attempts: {last}")
        self.attempts = attempts
