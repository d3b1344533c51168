"""Windowed metrics accumulation, emission and late increments."""

from __future__ import annotations

from decimal import Decimal

from flink_jobs.metrics_window import MetricsCodec, add, due, metrics_record
from flink_jobs.records import Counted

MIN = -(2**63)


def test_counts_per_op_and_exact_sums_per_window() -> None:
    windows: dict[int, object] = {}
    assert add(windows, Counted("t", 10, "c", (("amount", "1.10"),)), 60, lambda: MIN) == 59  # type: ignore[arg-type]
    assert add(windows, Counted("t", 20, "u", (("amount", "2.20"),)), 60, lambda: MIN) is None  # type: ignore[arg-type]
    add(windows, Counted("t", 70, "d", ()), 60, lambda: MIN)  # type: ignore[arg-type]
    [(end, acc)] = due(windows, 59)  # type: ignore[arg-type]
    assert end == 60 and acc.counts == {"c": 1, "u": 1, "d": 0, "r": 0}
    assert acc.sums == {"amount": Decimal("3.30")} and not acc.late
    assert list(windows) == [120]


def test_change_after_emission_is_a_late_increment_and_encodes() -> None:
    windows: dict[int, object] = {}
    add(windows, Counted("t", 10, "c", ()), 60, lambda: 500)  # type: ignore[arg-type]
    [(end, acc)] = due(windows, 500)  # type: ignore[arg-type]
    record = metrics_record("t", end, 60, acc, 999)
    assert record["late"] and record["window_start_ms"] == 0 and record["count_c"] == 1
    key, value = MetricsCodec(1, 2).encode(record)
    assert key[:5] == b"\x00\x00\x00\x00\x01" and value[:5] == b"\x00\x00\x00\x00\x02"


def test_the_watermark_is_read_only_when_a_window_opens() -> None:
    reads: list[int] = []

    def watermark() -> int:
        reads.append(1)
        return MIN

    windows: dict[int, object] = {}
    for ts in (10, 20, 30, 70):
        add(windows, Counted("t", ts, "c", ()), 60, watermark)  # type: ignore[arg-type]
    assert len(reads) == 2  # windows ending at 60 and 120
