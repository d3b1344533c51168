"""cdc_sink.collapse: one change per key, as applying them one by one would leave the row."""

from __future__ import annotations

import itertools
from typing import Any

from cdc_sink import collapse as collapsing
from cdc_sink.model import KafkaCoordinates, Position, SinkChange, position_key

_offsets = itertools.count()


def change(key: int, lsn: int | None, *, table: str = "orders", ts_ms: int | None = None,
           deleted: bool = False, unavailable: frozenset[str] = frozenset(),
           **columns: Any) -> SinkChange:
    """A change of ``table`` for ``(key,)`` at ``lsn`` (commit time defaults to the LSN)."""
    return SinkChange(table, (key,), {"id": key, **columns}, deleted, "d" if deleted else "u",
                      f"e-{table}-{key}-{lsn}-{ts_ms}", Position(lsn, ts_ms or lsn or 0),
                      KafkaCoordinates("t", 0, next(_offsets)), unavailable)


def collapse(changes: Any) -> list[SinkChange]:
    return collapsing.collapse(changes).changes


def test_newest_by_position_wins_whatever_the_arrival_order() -> None:
    a, b, c = change(1, 10, v="a"), change(1, 30, v="c"), change(1, 20, v="b")
    for order in itertools.permutations([a, b, c]):
        (out,) = collapse(order)
        assert (out.columns, out.position, out.event_id) == (b.columns, b.position, b.event_id)


def test_commit_time_orders_when_a_position_lacks_an_lsn() -> None:
    old, new = change(1, None, ts_ms=100, v="old"), change(1, None, ts_ms=200, v="new")
    assert collapse([new, old]) == [new]
    assert collapse([old, new])[0].columns == new.columns


def test_equal_positions_are_duplicates_collapsed_to_one() -> None:
    first, again = change(1, 10, v="x"), change(1, 10, v="x")
    out = collapse([first, again, first])
    assert len(out) == 1
    assert out[0].position == Position(10, 10)
    assert out[0].columns == {"id": 1, "v": "x"}


def test_one_change_per_key_in_first_arrival_order_of_keys() -> None:
    changes = [change(2, 5), change(1, 7), change(2, 9), change(3, 1), change(1, 3)]
    out = collapse(changes)
    assert [(c.key, c.position.lsn) for c in out] == [((2,), 9), ((1,), 7), ((3,), 1)]


def test_unavailable_column_is_carried_from_the_newest_older_live_change() -> None:
    oldest = change(1, 10, body="v1", note="n1")
    older = change(1, 20, body="v2", note="n2")
    newest = change(1, 30, unavailable=frozenset({"body"}), note="n3")
    for order in ([oldest, older, newest], [older, oldest, newest]):
        (out,) = collapse(order)
        assert out.columns == {"id": 1, "body": "v2", "note": "n3"}
        assert out.position == Position(30, 30)
        assert out.unavailable == frozenset()
        assert out.carried == {"body": Position(20, 20)}  # the carried value's own position


def test_carry_skips_older_changes_where_the_column_was_unavailable_too() -> None:
    base = change(1, 10, body="v1")
    middle = change(1, 20, unavailable=frozenset({"body"}))
    newest = change(1, 30, unavailable=frozenset({"body"}))
    (out,) = collapse([base, middle, newest])
    assert out.columns["body"] == "v1"
    assert out.carried == {"body": Position(10, 10)}
    assert out.unavailable == frozenset()


def test_no_older_value_leaves_the_column_unavailable() -> None:
    older = change(1, 10, note="n1")
    newest = change(1, 20, unavailable=frozenset({"body"}), note="n2")
    (out,) = collapse([older, newest])
    assert out.unavailable == frozenset({"body"})
    assert "body" not in out.columns
    assert out.carried == {}


def test_a_late_older_change_is_skipped_as_one_batch_per_change_would() -> None:
    older = change(1, 20, body="v2")
    newest = change(1, 30, unavailable=frozenset({"body"}), note="n3")
    (out,) = collapse([newest, older])  # applied one by one, the late one is stale
    assert out.unavailable == frozenset({"body"})
    assert out.carried == {}


def test_a_delete_keeps_the_values_of_the_changes_before_it_in_its_batch() -> None:
    """Defect: a key-only (REPLICA IDENTITY DEFAULT) delete lost the batch's earlier update."""
    created = change(2, 200, status="new", amount=5)
    delete = change(2, 300, deleted=True, status=None, amount=None)
    (out,) = collapse([created, delete])
    assert out.deleted and out.position == Position(300, 300)
    assert out.columns == {"id": 2, "status": "new", "amount": 5}
    assert out.carried == {"id": Position(200, 200), "status": Position(200, 200),
                           "amount": Position(200, 200)}


def test_values_before_a_delete_survive_into_a_revival_lacking_them() -> None:
    live = change(1, 10, body="before delete")
    delete = change(1, 20, deleted=True)
    revived = change(1, 30, unavailable=frozenset({"body"}), note="after")
    (out,) = collapse([live, delete, revived])
    assert out.position == Position(30, 30)
    assert out.columns["body"] == "before delete"
    assert out.carried["body"] == Position(10, 10)


def test_a_first_delete_image_is_only_a_new_rows_fallback() -> None:
    delete = change(1, 20, deleted=True, body="image")
    revived = change(1, 30, unavailable=frozenset({"body"}), note="after")
    (out,) = collapse([delete, revived])
    assert out.columns["body"] == "image"  # what a key never seen is inserted with
    assert "body" in out.unavailable and "body" not in out.carried  # a stored row keeps its own


def test_a_column_an_older_writer_schema_lacks_is_carried_from_the_newer_schema() -> None:
    """Defect: v2 (id, a, b) then v1 (id, a) in one batch nulled b."""
    v2 = change(1, 200, a=6, b="new")
    v1 = change(1, 300, a=7)
    (out,) = collapse([v2, v1])
    assert out.columns == {"id": 1, "a": 7, "b": "new"}
    assert out.carried == {"b": Position(200, 200)}


def test_equal_commit_times_without_source_positions_are_ordered_by_kafka_offset() -> None:
    """Defect: with no LSN and equal ts_ms the second of two different updates was dropped."""
    def at(offset: int, value: str) -> SinkChange:
        return SinkChange("t", (1,), {"id": 1, "v": value}, False, "u", f"e{value}",
                          Position(None, 2000, position_key(None, 2000, offset)),
                          KafkaCoordinates("t", 0, offset))
    folded = collapsing.collapse([at(1, "v1"), at(2, "v2"), at(3, "v3")])
    assert [c.columns["v"] for c in folded.changes] == ["v3"]
    assert folded.ties == 2


def test_keys_of_different_tables_do_not_mix() -> None:
    orders = change(1, 50, table="orders", v="order")
    customers = change(1, 10, table="customers", v="customer")
    toast = change(1, 60, table="customers", unavailable=frozenset({"v"}))
    out = collapse([orders, customers, toast])
    assert len(out) == 2
    by_table = {c.table: c for c in out}
    assert by_table["orders"] is orders  # a key's only change is passed through as is
    assert by_table["customers"].columns["v"] == "customer"  # not "order"
    assert by_table["customers"].carried == {"v": Position(10, 10)}


def test_single_change_is_returned_unchanged() -> None:
    only = change(7, 3, unavailable=frozenset({"body"}))
    assert collapse([only]) == [only]
    assert collapse([]) == []
