"""Collapse a batch to one change per key: what applying its changes one by one would leave.

The result must not depend on where batches are cut (docs/design.md "Ordering guard"):
applying a key's changes in one batch leaves exactly the warehouse row that applying them
one per batch does. So a key's changes are folded in arrival order with the guard's own
rule — a change applies only if its position is newer than the newest applied so far (an
equal position is a duplicate) — and per column the fold remembers which change last
*knew* the column's value:

- a live change (create, update, snapshot read) knows every column it has a value for; a
  column it lacks (Debezium's unavailable-value placeholder, or a column its older writer
  schema does not have) keeps what the earlier changes left;
- a delete knows nothing: a soft delete keeps the row's last known values, whatever its
  before-image holds (PostgreSQL logs only the key for REPLICA IDENTITY DEFAULT). Its image
  is only what a key the warehouse never saw is inserted with.

A value known by an older change than the newest is *carried* with that change's position,
so the upsert applies it only where it is newer than the stored row — as the older change
would have been, had it been written on its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from cdc_sink.model import Position, SinkChange

Key = tuple[str, tuple[Any, ...]]


@dataclass
class Collapsed:
    """One change per (table, key), in first-arrival order of the keys; ``ties`` counts
    changes that only the Kafka offset ordered (no source position, equal commit time)."""

    changes: list[SinkChange]
    ties: int = 0


def collapse(changes: Iterable[SinkChange]) -> Collapsed:
    groups: dict[Key, list[SinkChange]] = {}
    for change in changes:
        groups.setdefault((change.table, change.key), []).append(change)
    result = Collapsed([])
    for group in groups.values():
        if len(group) == 1:
            result.changes.append(group[0])
            continue
        row = _Row.first(group[0])
        for change in group[1:]:
            result.ties += row.apply(change)
        result.changes.append(row.change())
    return result


@dataclass
class _Row:
    """The fold's state: the newest applied change, and per column its staged value and the
    position of the change that knew it (absent: the stored value stays)."""

    newest: SinkChange
    values: dict[str, Any]
    known: dict[str, Position] = field(default_factory=dict)
    unknown: set[str] = field(default_factory=set)

    @classmethod
    def first(cls, change: SinkChange) -> _Row:
        row = cls(change, dict(change.columns), unknown=set(change.unavailable))
        if not change.deleted:
            row.known = {name: change.position for name in change.columns}
        return row

    def apply(self, change: SinkChange) -> int:
        """Fold in ``change`` if it is newer; 1 when only the Kafka offset decided."""
        if not change.position.newer_than(self.newest.position):
            return 0
        tie = int(change.position.tied_with(self.newest.position))
        self.newest = change
        self.unknown |= change.unavailable
        if not change.deleted:
            self.values.update(change.columns)
            self.known.update((name, change.position) for name in change.columns)
        return tie

    def change(self) -> SinkChange:
        newest = self.newest
        carried = {n: p for n, p in self.known.items() if p is not newest.position}
        unavailable = (self.unknown | set(self.values)) - set(self.known)
        return SinkChange(newest.table, newest.key, self.values, newest.deleted, newest.op,
                          newest.event_id, newest.position, newest.origin,
                          frozenset(unavailable), carried)
