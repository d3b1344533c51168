"""cdc_sink.batch: when a batch is due, and which offsets its commit stores."""

from __future__ import annotations

import pytest

from cdc_sink import batch as batch_module
from cdc_sink.batch import Batch
from cdc_sink.model import KafkaCoordinates, Position, SinkChange
from cdc_sink.sqlbuild import Column, TableLayout


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(batch_module.time, "monotonic", fake)
    return fake


def layout(table: str) -> TableLayout:
    return TableLayout("dw", table, (Column("id", "bigint"),), ())


def change(table: str, key: int, offset: int) -> SinkChange:
    return SinkChange(table, (key,), {"id": key}, False, "c", f"e{offset}",
                      Position(offset, offset), KafkaCoordinates(f"p.public.{table}", 0, offset))


def handle(b: Batch, table: str, key: int, offset: int, partition: int = 0) -> None:
    """What the service does for a message that became a change."""
    b.note((f"p.public.{table}", partition), offset, 1_700_000_000_000 + offset)
    b.add(change(table, key, offset), layout(table), 1_700_000_000_000 + offset)


def test_new_batch_is_empty_and_never_due(clock: Clock) -> None:
    b = Batch(max_rows=2, max_wait_s=1.0)
    assert b.empty()
    assert not b.due()
    clock.now += 3600
    assert not b.due()
    assert b.size() == 0


def test_due_when_one_table_reaches_the_row_limit(clock: Clock) -> None:
    b = Batch(max_rows=3, max_wait_s=60.0)
    handle(b, "a", 1, 0)
    handle(b, "b", 1, 0)
    handle(b, "a", 2, 1)
    assert b.size() == 3
    assert not b.due()  # 3 changes, but no table holds 3
    handle(b, "a", 3, 2)
    assert b.due()
    assert b.size() == 4


def test_due_by_time_counted_from_the_first_message(clock: Clock) -> None:
    b = Batch(max_rows=1000, max_wait_s=0.5)
    handle(b, "a", 1, 0)
    clock.now += 0.3
    handle(b, "a", 2, 1)  # a later message does not restart the clock
    assert not b.due()
    clock.now += 0.19
    assert not b.due()
    clock.now += 0.01
    assert b.due()


def test_a_message_without_a_change_still_opens_the_batch(clock: Clock) -> None:
    """Tombstones and dead-lettered records must be committed (their offsets) too."""
    b = Batch(max_rows=10, max_wait_s=1.0)
    b.note(("p.public.a", 0), 41, None)
    assert not b.empty()
    assert b.size() == 0
    assert b.next_offsets == {("p.public.a", 0): 42}
    clock.now += 1.0
    assert b.due()


def test_offsets_advance_for_every_noted_message(clock: Clock) -> None:
    b = Batch(max_rows=100, max_wait_s=1.0)
    handle(b, "a", 1, 10)
    b.note(("p.public.a", 0), 11, 5)  # DLQ'd record
    b.note(("p.public.a", 0), 12, 6)  # tombstone
    handle(b, "a", 2, 7, partition=1)
    handle(b, "b", 9, 0)
    assert b.next_offsets == {("p.public.a", 0): 13, ("p.public.a", 1): 8,
                              ("p.public.b", 0): 1}
    assert b.size() == 3
    assert [c.key for c in b.changes["a"]] == [(1,), (2,)]
    assert b.layouts["b"] == layout("b")
    assert b.source_ts_ms == {"a": [1_700_000_000_010, 1_700_000_000_007],
                              "b": [1_700_000_000_000]}


def test_first_timestamp_per_partition_is_kept(clock: Clock) -> None:
    b = Batch(max_rows=100, max_wait_s=1.0)
    b.note(("t", 0), 0, None)
    b.note(("t", 0), 1, 500)
    b.note(("t", 0), 2, 900)
    b.note(("t", 1), 0, 700)
    assert b.first_ts_ms == {("t", 0): 500, ("t", 1): 700}


def test_forget_drops_partitions_no_longer_ours(clock: Clock) -> None:
    b = Batch(max_rows=100, max_wait_s=1.0)
    b.note(("t", 0), 5, 1)
    b.note(("t", 1), 9, 2)
    b.forget({("t", 0)})
    assert b.next_offsets == {("t", 1): 10}
    assert b.first_ts_ms == {("t", 1): 2}
    b.forget({("t", 1)})
    assert b.empty()
