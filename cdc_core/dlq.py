"""Dead-letter header contract (docs/design.md, "Dead-letter topic").

A DLQ record is the original key and value bytes, unchanged, plus these headers, so an
operator (or a replay tool) can see where it came from and why it failed.  Values are
UTF-8 text; numbers in decimal.  A location the producer does not know is left out
rather than sent empty, so readers never parse an empty number.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from cdc_core.errors import STAGES, CdcError

DEFAULT_DLQ_TOPIC = "cdc.dlq"
HEADER_STAGE = "cdc.error.stage"
HEADER_REASON = "cdc.error.reason"
HEADER_MESSAGE = "cdc.error.message"
HEADER_SOURCE_TOPIC = "cdc.source.topic"
HEADER_SOURCE_PARTITION = "cdc.source.partition"
HEADER_SOURCE_OFFSET = "cdc.source.offset"
HEADER_TS_MS = "cdc.error.ts_ms"
ALL_HEADERS = (
    HEADER_STAGE,
    HEADER_REASON,
    HEADER_MESSAGE,
    HEADER_SOURCE_TOPIC,
    HEADER_SOURCE_PARTITION,
    HEADER_SOURCE_OFFSET,
    HEADER_TS_MS,
)
MAX_MESSAGE_CHARS = 1000
Headers = list[tuple[str, bytes]]


@dataclass(frozen=True, slots=True)
class DlqInfo:
    """The headers of a DLQ record read back, e.g. by a replay or inspection tool."""

    stage: str | None
    reason: str | None
    message: str | None
    topic: str | None
    partition: int | None
    offset: int | None
    ts_ms: int | None


def dlq_headers(
    stage: str,
    reason: str,
    message: str,
    *,
    topic: str | None,
    partition: int | None,
    offset: int | None,
    now_ms: int,
) -> Headers:
    """The seven DLQ headers (minus unknown locations), in the order of docs/design.md.

    The location is keyword-only: partition and offset are both ints and easy to swap.
    """
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}; expected one of {sorted(STAGES)}")
    values = (stage, reason, truncate(message), topic, partition, offset, now_ms)
    return [
        (name, str(value).encode("utf-8"))
        for name, value in zip(ALL_HEADERS, values, strict=True)
        if value is not None
    ]


def dlq_headers_for(
    error: CdcError,
    topic: str | None,
    partition: int | None,
    offset: int | None,
    now_ms: int,
) -> Headers:
    """Headers for ``error``; a location given here (not None) wins over the error's own."""
    return dlq_headers(
        error.stage,
        error.reason,
        error.message,
        topic=topic if topic is not None else error.topic,
        partition=partition if partition is not None else error.partition,
        offset=offset if offset is not None else error.offset,
        now_ms=now_ms,
    )


def truncate(message: str) -> str:
    """At most ``MAX_MESSAGE_CHARS`` characters, marking the cut with an ellipsis."""
    if len(message) <= MAX_MESSAGE_CHARS:
        return message
    return message[: MAX_MESSAGE_CHARS - 1] + "\u2026"


def read_dlq_headers(headers: Iterable[tuple[str, bytes | None]] | None) -> DlqInfo:
    """Parse DLQ headers back; missing or unparsable ones come back as None."""
    text = {name: raw.decode("utf-8", "replace") for name, raw in headers or () if raw}
    return DlqInfo(
        stage=text.get(HEADER_STAGE),
        reason=text.get(HEADER_REASON),
        message=text.get(HEADER_MESSAGE),
        topic=text.get(HEADER_SOURCE_TOPIC),
        partition=_int(text.get(HEADER_SOURCE_PARTITION)),
        offset=_int(text.get(HEADER_SOURCE_OFFSET)),
        ts_ms=_int(text.get(HEADER_TS_MS)),
    )


def _int(text: str | None) -> int | None:
    return int(text) if text is not None and text.lstrip("-").isdigit() else None
