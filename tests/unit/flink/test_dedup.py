"""Dedup decisions: first occurrence out at once, copies in the window dropped, late pass."""

from __future__ import annotations

from flink_jobs.dedup import Verdict, expire, observe, window_end

MIN = -(2**63)


def test_window_end_is_aligned_and_exclusive() -> None:
    assert window_end(0, 10) == 10
    assert window_end(9, 10) == 10
    assert window_end(10, 10) == 20


def test_first_occurrence_emits_and_sets_timer_at_window_end() -> None:
    seen: dict[str, int] = {}
    decision = observe(seen, "a", 1005, MIN, 1000)
    assert decision.verdict is Verdict.EMIT and decision.timer == 1999
    assert seen == {"a": 2000}


def test_copy_in_same_window_is_duplicate_but_later_window_passes() -> None:
    seen: dict[str, int] = {}
    observe(seen, "a", 1005, MIN, 1000)
    assert observe(seen, "a", 1900, MIN, 1000).verdict is Verdict.DUPLICATE
    assert observe(seen, "a", 2100, MIN, 1000).verdict is Verdict.EMIT


def test_event_behind_watermark_is_late_and_leaves_state_alone() -> None:
    seen = {"a": 2000}
    decision = observe(seen, "a", 1500, 1600, 1000)
    assert decision.verdict is Verdict.LATE and decision.timer is None
    assert seen == {"a": 2000}


def test_expire_forgets_only_ended_windows() -> None:
    assert expire({"a": 2000, "b": 3000}, 1999) == {"b": 3000}
    assert expire({"a": 2000}, 1998) == {"a": 2000}
