"""cdc_sink.collapse: one change per key, newest by source position, TOAST carry-forward."""

from __future__ import annotations

import itertools
from typing import Any

from cdc_sink.collapse import collapse
from cdc_sink.model import KafkaCoordinates, Position, SinkChange

_offsets = itertools.count()


def change(key: int, lsn: int | None, *, table: str = "orders", ts_ms: int | None = None,
           deleted: bool = False, unavailable: frozenset[str] = frozenset(),
           **columns: Any) -> SinkChange:
    """A change of ``table`` for ``(key,)`` at ``lsn`` (commit time defaults to the LSN)."""
    return SinkChange(table, (key,), {"id": key, **columns}, deleted, "d" if deleted else "u",
                      f"e-{table}-{key}-{lsn}-{ts_ms}", Position(lsn, ts_ms or lsn or 0),
                      KafkaCoordinates("t", 0, next(_offsets)), unavailable)


def test_newest_by_position_wins_whatever_the_arrival_order() -> None:
    a, b, c = change(1, 10, v="a"), change(1, 30, v="c"), change(1, 20, v="b")
    for order in itertools.permutations([a, b, c]):
        assert collapse(order) == [b]


def test_commit_time_orders_when_a_position_lacks_an_lsn() -> None:
    old, new = change(1, None, ts_ms=100, v="old"), change(1, None, ts_ms=200, v="new")
    assert collapse([new, old]) == [new]
    assert collapse([old, new]) == [new]


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
    for order in itertools.permutations([oldest, older, newest]):
        (out,) = collapse(order)
        assert out.columns == {"id": 1, "body": "v2", "note": "n3"}
        assert out.position == Position(30, 30)
        assert out.unavailable == frozenset()
        assert out.carried == {"body": Position(20, 20)}  # the carried value's own position


def test_carry_skips_older_changes_where_the_column_was_unavailable_too() -> None:
    base = change(1, 10, body="v1")
    middle = change(1, 20, unavailable=frozenset({"body"}))
    newest = change(1, 30, unavailable=frozenset({"body"}))
    (out,) = collapse([newest, base, middle])
    assert out.columns["body"] == "v1"
    assert out.carried == {"body": Position(10, 10)}
    assert out.unavailable == frozenset()


def test_no_older_value_leaves_the_column_unavailable() -> None:
    older = change(1, 10, note="n1")
    newest = change(1, 20, unavailable=frozenset({"body"}), note="n2")
    (out,) = collapse([newest, older])
    assert out.unavailable == frozenset({"body"})
    assert "body" not in out.columns
    assert out.carried == {}


def test_values_are_not_carried_across_a_delete() -> None:
    live = change(1, 10, body="before delete")
    delete = change(1, 20, deleted=True)
    revived = change(1, 30, unavailable=frozenset({"body"}), note="after")
    for order in itertools.permutations([live, delete, revived]):
        (out,) = collapse(order)
        assert out.position == Position(30, 30)
        assert "body" not in out.columns
        assert out.unavailable == frozenset({"body"})
        assert out.carried == {}


def test_a_newest_delete_is_taken_as_is() -> None:
    live = change(1, 10, body="x")
    delete = change(1, 20, deleted=True, unavailable=frozenset({"body"}))
    (out,) = collapse([delete, live])
    assert out is delete


def test_keys_of_different_tables_do_not_mix() -> None:
    orders = change(1, 50, table="orders", v="order")
    customers = change(1, 10, table="customers", v="customer")
    toast = change(1, 60, table="customers", unavailable=frozenset({"v"}))
    out = collapse([orders, customers, toast])
    assert len(out) == 2
    by_table = {c.table: c for c in out}
    assert by_table["orders"] is orders
    assert by_table["customers"].columns["v"] == "customer"  # not "order"
    assert by_table["customers"].carried == {"v": Position(10, 10)}


def test_single_change_is_returned_unchanged() -> None:
    only = change(7, 3, unavailable=frozenset({"body"}))
    assert collapse([only]) == [only]
    assert collapse([]) == []
