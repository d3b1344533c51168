"""A seeded OLTP workload over the shop domain, as data: no database in here.

``Workload.next()`` returns one source transaction — a tuple of row ``Change``s spanning
tables (an order with its items, a delete of an order and its items, ...). The same seed
gives the same sequence, so a failing test replays exactly. The mix covers what CDC must
get right: inserts, updates, deletes, re-inserts of deleted keys, and product price
updates that leave the TOASTed description untouched (Debezium then sends a placeholder).

``deleted`` is the model of which keys the source no longer has: the convergence checker
demands exactly those rows be present in the warehouse marked deleted.
"""

from __future__ import annotations

import itertools
import random
import string
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

BASE_TIME = datetime(2026, 1, 1, tzinfo=UTC)
STATUSES = ("new", "paid", "shipped", "delivered", "cancelled")
SEGMENTS = ("retail", "smb", "enterprise")
COUNTRIES = ("DE", "FR", "NL", "PL", "ES", "IT", "US")
Key = tuple[Any, ...]


@dataclass(frozen=True)
class Change:
    """One row change: an insert (all columns), an update (changed columns) or a delete."""

    kind: Literal["insert", "update", "delete"]
    table: str
    key: dict[str, Any]
    values: dict[str, Any] = field(default_factory=dict)


Transaction = tuple[Change, ...]


@dataclass
class _Order:
    customer_id: int
    lines: dict[int, tuple[int, Decimal]]  # line_no -> (quantity, unit_price)

    def total(self) -> Decimal:
        return sum((q * p for q, p in self.lines.values()), Decimal("0.00"))


class Workload:
    """The generator; state is only what is needed to produce valid, realistic changes."""

    def __init__(self, seed: int, *, customers: int = 200, products: int = 50) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - test data, reproducible by seed
        self.n_customers, self.n_products = customers, products
        self.step = 0
        self.next_customer = customers + 1
        self.next_order = 1
        self.orders: dict[int, _Order] = {}
        self.deleted_orders: list[int] = []
        self.prices: dict[int, Decimal] = {}
        self.deleted: dict[str, set[Key]] = {"orders": set(), "order_items": set()}

    # -- set-up -----------------------------------------------------------------------------
    def setup(self, batch: int = 100) -> list[Transaction]:
        """The initial customers and products, in transactions of ``batch`` rows."""
        rows = [self._customer(i) for i in range(1, self.n_customers + 1)]
        rows += [self._product(i) for i in range(1, self.n_products + 1)]
        return [tuple(rows[i:i + batch]) for i in range(0, len(rows), batch)]

    # -- the mix ----------------------------------------------------------------------------
    def next(self) -> Transaction:
        """The next transaction, chosen by weight among those currently possible."""
        self.step += 1
        kinds: list[tuple[Callable[[], Transaction], int]] = [
            (self._new_order, 34), (self._advance_order, 24), (self._change_quantity, 10),
            (self._update_customer, 8), (self._reprice_product, 10),
            (self._rewrite_description, 2), (self._delete_order, 8), (self._reinsert, 4)]
        while True:
            make = self.rng.choices([k for k, _ in kinds], [w for _, w in kinds])[0]
            txn = make()
            if txn:
                return txn

    def _new_order(self) -> Transaction:
        first: Transaction = ()
        customer = self.rng.randrange(1, self.next_customer)
        if self.rng.random() < 0.1:
            customer, first = self.next_customer, (self._customer(self.next_customer),)
            self.next_customer += 1
        order_id, self.next_order = self.next_order, self.next_order + 1
        return first + self._place(order_id, customer)

    def _place(self, order_id: int, customer: int) -> Transaction:
        lines = {n: (self.rng.randrange(1, 6), self._price_of(self._product_id()))
                 for n in range(1, self.rng.randrange(2, 5))}
        order = self.orders[order_id] = _Order(customer, lines)
        for n in lines:
            self.deleted["order_items"].discard((order_id, n))
        self.deleted["orders"].discard((order_id,))
        head = Change("insert", "orders", {"order_id": order_id}, self._order_row(order))
        return (head, *(self._item(order_id, n, q, p) for n, (q, p) in lines.items()))

    def _advance_order(self) -> Transaction:
        if not self.orders:
            return ()
        order_id = self.rng.choice(list(self.orders)) if len(self.orders) < 64 else (
            self._recent_order())
        values = {"status": self.rng.choice(STATUSES[1:]), "updated_at": self._now()}
        if self.rng.random() < 0.3:
            values["shipping"] = {"carrier": self.rng.choice(["dhl", "ups", "postnl"]),
                                  "tracking": uuid.UUID(int=self.rng.getrandbits(128)).hex}
        return (Change("update", "orders", {"order_id": order_id}, values),)

    def _change_quantity(self) -> Transaction:
        if not self.orders:
            return ()
        order_id = self._recent_order()
        order = self.orders[order_id]
        line = self.rng.choice(list(order.lines))
        quantity = self.rng.randrange(1, 6)
        order.lines[line] = (quantity, order.lines[line][1])
        return (Change("update", "order_items", {"order_id": order_id, "line_no": line},
                       {"quantity": quantity}),
                Change("update", "orders", {"order_id": order_id},
                       {"total_amount": order.total(), "updated_at": self._now()}))

    def _update_customer(self) -> Transaction:
        cid = self.rng.randrange(1, self.next_customer)
        values: dict[str, Any] = {"segment": self.rng.choice(SEGMENTS),
                                  "email": f"c{cid}.{self.step}@example.com",
                                  "updated_at": self._now()}
        return (Change("update", "customers", {"id": cid}, values),)

    def _reprice_product(self) -> Transaction:
        """Price only: the TOASTed description is left untouched."""
        pid = self._product_id()
        self.prices[pid] = self._money(1, 500)
        return (Change("update", "products", {"id": pid},
                       {"price": self.prices[pid], "updated_at": self._now()}),)

    def _rewrite_description(self) -> Transaction:
        pid = self._product_id()
        return (Change("update", "products", {"id": pid},
                       {"description": self._text(), "updated_at": self._now()}),)

    def _delete_order(self) -> Transaction:
        if len(self.orders) < 10:
            return ()
        order_id = self._recent_order()
        order = self.orders.pop(order_id)
        self.deleted_orders.append(order_id)
        self.deleted["orders"].add((order_id,))
        items = [Change("delete", "order_items", {"order_id": order_id, "line_no": n})
                 for n in order.lines]
        self.deleted["order_items"].update((order_id, n) for n in order.lines)
        return (*items, Change("delete", "orders", {"order_id": order_id}))

    def _reinsert(self) -> Transaction:
        """A deleted order id comes back (the warehouse row must be revived)."""
        if not self.deleted_orders:
            return ()
        order_id = self.deleted_orders.pop(self.rng.randrange(len(self.deleted_orders)))
        return self._place(order_id, self.rng.randrange(1, self.next_customer))

    # -- rows -------------------------------------------------------------------------------
    def _customer(self, cid: int) -> Change:
        birth = date(1950, 1, 1) + timedelta(days=self.rng.randrange(20_000))
        return Change("insert", "customers", {"id": cid}, {
            "external_id": uuid.UUID(int=self.rng.getrandbits(128), version=4),
            "email": f"c{cid}@example.com", "full_name": f"Customer {cid}",
            "segment": self.rng.choice(SEGMENTS), "country": self.rng.choice(COUNTRIES),
            "birth_date": birth if self.rng.random() < 0.8 else None,
            "created_at": self._now(), "updated_at": self._now()})

    def _product(self, pid: int) -> Change:
        self.prices[pid] = self._money(1, 500)
        return Change("insert", "products", {"id": pid}, {
            "sku": f"SKU-{pid:06d}", "title": f"Product {pid}", "price": self.prices[pid],
            "attributes": {"color": self.rng.choice(["red", "blue", "black"]),
                           "weight_g": self.rng.randrange(50, 5000)},
            "description": self._text(), "updated_at": self._now()})

    def _order_row(self, order: _Order) -> dict[str, Any]:
        return {"customer_id": order.customer_id, "status": "new",
                "total_amount": order.total(), "currency": "EUR",
                "order_date": (BASE_TIME + timedelta(seconds=self.step)).date(),
                "shipping": None, "created_at": self._now(), "updated_at": self._now()}

    def _item(self, order_id: int, line: int, quantity: int, price: Decimal) -> Change:
        return Change("insert", "order_items", {"order_id": order_id, "line_no": line},
                      {"product_id": self._product_id(), "quantity": quantity,
                       "unit_price": price})

    # -- values -----------------------------------------------------------------------------
    def _recent_order(self) -> int:
        """Mostly recent orders, as in a real shop (and cheap: no list of all ids)."""
        for _ in range(20):
            candidate = self.next_order - 1 - int(self.rng.expovariate(1 / 50))
            if candidate in self.orders:
                return candidate
        return next(iter(self.orders))

    def _product_id(self) -> int:
        return self.rng.randrange(1, self.n_products + 1)

    def _price_of(self, pid: int) -> Decimal:
        return self.prices.get(pid) or self._money(1, 500)

    def _money(self, low: int, high: int) -> Decimal:
        return Decimal(self.rng.randrange(low * 100, high * 100)) / 100

    def _now(self) -> datetime:
        return BASE_TIME + timedelta(milliseconds=37 * self.step)

    def _text(self) -> str:
        """4-6 kB of words: with STORAGE EXTERNAL always stored out of line (TOAST)."""
        lengths = [self.rng.randrange(3, 10) for _ in range(self.rng.randrange(600, 900))]
        letters = "".join(self.rng.choices(string.ascii_lowercase, k=sum(lengths)))
        cuts = list(itertools.accumulate(lengths, initial=0))
        return " ".join(letters[a:b] for a, b in itertools.pairwise(cuts))
