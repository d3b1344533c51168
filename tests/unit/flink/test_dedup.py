"""Dedup decisions: first occurrence out at once, copies in the window dropped, late pass."""

from __future__ import annotations

from flink_jobs.dedup import BUCKETS, Verdict, bucket, expire, observe, window_end

MIN = -(2**63)


def test_window_end_is_aligned_and_exclusive() -> None:
    assert window_end(0, 10) == 10
    assert window_end(9, 10) == 10
    assert window_end(10, 10) == 20


def test_first_occurrence_in_a_window_emits_and_sets_its_timer_once() -> None:
    seen: dict[int, set[str]] = {}
    decision = observe(seen, "a", 1005, MIN, 1000)
    assert decision.verdict is Verdict.EMIT and decision.timer == 1999
    second = observe(seen, "b", 1500, MIN, 1000)
    assert second.verdict is Verdict.EMIT and second.timer is None  # window's timer is set
    assert seen == {2000: {"a", "b"}}


def test_copy_in_same_window_is_duplicate_but_later_window_passes() -> None:
    seen: dict[int, set[str]] = {}
    observe(seen, "a", 1005, MIN, 1000)
    assert observe(seen, "a", 1900, MIN, 1000).verdict is Verdict.DUPLICATE
    later = observe(seen, "a", 2100, MIN, 1000)
    assert later.verdict is Verdict.EMIT and later.timer == 2999


def test_event_behind_watermark_is_late_and_leaves_state_alone() -> None:
    seen = {2000: {"a"}}
    decision = observe(seen, "a", 1500, 1600, 1000)
    assert decision.verdict is Verdict.LATE and decision.timer is None
    assert seen == {2000: {"a"}}


def test_expire_forgets_only_ended_windows() -> None:
    assert expire({2000: {"a"}, 3000: {"b"}}, 1999) == {3000: {"b"}}
    assert expire({2000: {"a"}}, 1998) == {2000: {"a"}}


def test_bucket_is_stable_and_in_range() -> None:
    keys = [f"public.orders|{{\"id\":{i}}}" for i in range(2000)]
    buckets = [bucket(k) for k in keys]
    assert buckets == [bucket(k) for k in keys]
    assert all(0 <= int(b) < BUCKETS for b in buckets)
    assert bucket("public.orders|{\"id\":1}") == "748"  # fixed across processes (crc32)
    assert len(set(buckets)) > 1000
