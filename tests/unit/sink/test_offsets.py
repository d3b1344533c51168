"""Stored offsets checked against the partition's log before the sink resumes."""

from __future__ import annotations

from cdc_sink.offsets import BEFORE_LOG_START, BEYOND_LOG_END, gap


def test_an_offset_inside_the_log_resumes() -> None:
    assert gap(5, 0, 10) is None
    assert gap(10, 0, 10) is None  # caught up: the next record is the next one written
    assert gap(3, 3, 3) is None  # caught up on a log emptied by retention after the write


def test_records_deleted_before_they_were_written_are_a_gap() -> None:
    assert gap(2, 3, 10) == BEFORE_LOG_START


def test_an_offset_past_the_end_is_a_recreated_topic() -> None:
    assert gap(11, 0, 10) == BEYOND_LOG_END
