"""event_id deduplication in tumbling event-time windows, emitting first occurrences at once.

State per routing key (table + primary key: every copy of a change has the same key, and
keying by row keeps each row's changes in order through the job) is a dict
``event_id -> window end``.  For each change:

* behind the watermark (``ts < watermark``): passed through untouched and counted as
  late; its window may already be cleared, and dropping it could lose data, while the
  sink's ordering guard makes a second copy harmless;
* first occurrence in its window: emitted immediately, remembered until the window ends;
* a later copy in the same window: dropped and counted.

An event-time timer at each window end forgets that window's ids (``expire``), so state
holds at most one window (plus out-of-orderness) of ids per key.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


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


def observe(seen: dict[str, int], event_id: str, ts_ms: int, watermark: int,
            size_ms: int) -> Decision:
    """Decide on one change and record it in ``seen`` (mutated)."""
    if ts_ms < watermark:
        return Decision(Verdict.LATE)
    end = window_end(ts_ms, size_ms)
    if seen.get(event_id) == end:
        return Decision(Verdict.DUPLICATE)
    seen[event_id] = end
    return Decision(Verdict.EMIT, timer=end - 1)


def expire(seen: dict[str, int], timer_ts: int) -> dict[str, int]:
    """``seen`` without the ids of windows that ended by ``timer_ts`` (inclusive end - 1)."""
    return {eid: end for eid, end in seen.items() if end - 1 > timer_ts}
