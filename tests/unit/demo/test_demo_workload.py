"""The workload generator: reproducible, valid against the shop schema, and covering the
cases CDC must get right."""

from __future__ import annotations

import random
from collections import Counter
from decimal import Decimal

from cdc_demo.load import Loader, script, script_many
from cdc_demo.workload import STATUSES, Change, Workload


def _play(seed: int, n: int) -> list[tuple[Change, ...]]:
    workload = Workload(seed, customers=20, products=5)
    workload.setup()
    return [workload.next() for _ in range(n)]


def test_the_same_seed_gives_the_same_transactions() -> None:
    seed = random.randrange(10**6)
    assert _play(seed, 300) == _play(seed, 300)


def test_the_mix_has_every_kind_of_change_and_multi_table_transactions() -> None:
    txns = _play(random.randrange(10**6), 2000)
    kinds = Counter((c.table, c.kind) for t in txns for c in t)
    for table in ("orders", "order_items"):
        assert all(kinds[(table, k)] > 0 for k in ("insert", "update", "delete"))
    assert any(len({c.table for c in t}) > 1 for t in txns)


def test_reinserted_orders_leave_the_deleted_model() -> None:
    workload = Workload(random.randrange(10**6), customers=20, products=5)
    workload.setup()
    changes = [c for _ in range(3000) for c in workload.next()]
    orders = [c for c in changes if c.table == "orders" and c.kind != "update"]
    last = {c.key["order_id"]: c.kind for c in orders}
    assert {k for k, kind in last.items() if kind == "delete"} == {
        k[0] for k in workload.deleted["orders"]}
    assert any(kind == "insert" for k, kind in last.items()
               if sum(1 for c in orders if c.key["order_id"] == k) > 2)


def test_product_price_updates_leave_the_description_untouched() -> None:
    txns = _play(random.randrange(10**6), 2000)
    products = [c for t in txns for c in t if c.table == "products"]
    assert any("description" not in c.values for c in products)
    assert all(len(c.values.get("description", "x" * 3000)) > 2500 for c in products)


def test_values_respect_the_contracts() -> None:
    for txn in _play(random.randrange(10**6), 2000):
        for c in txn:
            if c.table == "orders" and "total_amount" in c.values:
                assert Decimal(0) <= c.values["total_amount"] <= Decimal(100_000)
            if c.table == "orders" and "status" in c.values:
                assert c.values["status"] in STATUSES


def test_statements_quote_identifiers_and_order_parameters() -> None:
    update = Change("update", "order_items", {"order_id": 4, "line_no": 2}, {"quantity": 3})
    query, params = script((update,))
    text = query.decode()
    assert text == ('update "order_items" set "quantity" = %s '
                    'where "order_id" = %s and "line_no" = %s')
    assert params == [3, 4, 2]
    insert, args = script((Change("insert", "customers", {"id": 1}, {"attrs": {"a": 1}}),))
    assert insert.decode().startswith('insert into "customers" ("id", "attrs")')
    assert args[0] == 1 and args[1].obj == {"a": 1}


def test_a_transaction_is_one_script_with_its_parameters_in_order() -> None:
    txn = (Change("insert", "customers", {"id": 1}, {"name": "a"}),
           Change("delete", "orders", {"id": 2}, {}),
           Change("update", "orders", {"id": 3}, {"status": "paid"}))
    query, params = script(txn)
    assert query == (b'insert into "customers" ("id", "name") values (%s, %s); '
                     b'delete from "orders" where "id" = %s; '
                     b'update "orders" set "status" = %s where "id" = %s')
    assert params == [1, "a", 2, "paid", 3]


def test_transactions_sharing_a_round_trip_each_commit_on_their_own() -> None:
    first = (Change("delete", "orders", {"id": 2}, {}),)
    second = (Change("update", "orders", {"id": 3}, {"status": "paid"}),
              Change("delete", "customers", {"id": 4}, {}))
    query, params = script_many([first, second])
    assert query == (b'begin; delete from "orders" where "id" = %s; commit; '
                     b'begin; update "orders" set "status" = %s where "id" = %s; '
                     b'delete from "customers" where "id" = %s; commit')
    assert params == [2, "paid", 3, 4]


def test_a_round_trip_carries_about_ten_milliseconds_of_load_within_the_limit() -> None:
    workload = Workload(random.randrange(10**6), customers=20, products=5)
    workload.setup()
    fast = Loader("postgresql://unused", workload, rate=2000)
    group = fast._due(limit=None)
    assert sum(len(t) for t in group) >= 20 > sum(len(t) for t in group[:-1])
    capped = [len(t) for t in fast._due(limit=7)]
    assert sum(capped) >= 7 > sum(capped[:-1])
    assert len(fast._due(limit=1)) == 1
    assert len(Loader("postgresql://unused", workload, rate=50)._due(limit=None)) == 1


def test_toast_text_is_seeded_and_large() -> None:
    first, second = Workload(seed=3), Workload(seed=3)
    text = first._text()
    assert text == second._text() and 2_000 < len(text) < 10_000
    assert all(3 <= len(word) <= 9 for word in text.split(" "))
