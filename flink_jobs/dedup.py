"""event_id deduplication in tumbling event-time windows, emitting first occurrences at once.

Keyed by a bucket of the row's routing key (table + primary key; ``bucket``): every copy
of a change has the same row, so it meets its earlier copies, and each row's changes stay
in order through the job.  Buckets rather than rows because each new key costs calls into
Flink (a state read, a timer, a timer firing); with a few thousand buckets those are paid
once per bucket and window, and the state read is served from the function's cache.

State per bucket is a dict ``window end -> event_ids``.  For each change:

* behind the watermark (``ts < watermark``): passed through untouched and counted as
  late; its window may already be cleared, and dropping it could lose data, while the
  sink's ordering guard makes a second copy harmless;
* first occurrence in its window: emitted immediately, remembered until the window ends;
* a later copy in the same window: dropped and counted.

An event-time timer at each window end (one per bucket and window) forgets that window's
ids (``expire``), so state holds at most one window (plus out-of-orderness) of ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from zlib import crc32

BUCKETS = 4096


class Verdict(Enum):
    EMIT = "emit"
    DUPLICATE = "duplicate"
    LATE = "late"


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    timer: int | None = None  # event-time timer to register (the window end)


def window_end(ts_ms: int, size_ms: int) -> int:
    """Exclusive end of the tumbling window (aligned to the epoch) holding ``ts_ms``."""
    return ts_ms - ts_ms % size_ms + size_ms


def bucket(routing_key: str, buckets: int = BUCKETS) -> str:
    """The dedup key of a row: stable across processes and restarts (not ``hash()``)."""
    return str(crc32(routing_key.encode()) % buckets)


def observe(seen: dict[int, set[str]], event_id: str, ts_ms: int, watermark: int,
            size_ms: int) -> Decision:
    """Decide on one change and record it in ``seen`` (mutated).

    The decision carries a timer only when the change opens its window in ``seen``.
    """
    if ts_ms < watermark:
        return Decision(Verdict.LATE)
    end = window_end(ts_ms, size_ms)
    ids = seen.get(end)
    if ids is None:
        seen[end] = {event_id}
        return Decision(Verdict.EMIT, timer=end - 1)
    if event_id in ids:
        return Decision(Verdict.DUPLICATE)
    ids.add(event_id)
    return Decision(Verdict.EMIT)


def expire(seen: dict[int, set[str]], timer_ts: int) -> dict[int, set[str]]:
    """``seen`` without the windows that ended by ``timer_ts`` (inclusive end - 1)."""
    return {end: ids for end, ids in seen.items() if end - 1 > timer_ts}
