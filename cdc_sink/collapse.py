"""Collapse a batch to one change per key: the newest by source position.

Arrival order is never trusted (DESIGN.md): within a batch the change with the greatest
position wins, and an equal position is a duplicate. A newest change may lack values
(Debezium's unavailable-value placeholder for an unchanged TOASTed column): those are
carried from the newest older change of the batch that has them, together with that change's
position, so the upsert can still prefer a stored row that is newer than the carried value.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from functools import cmp_to_key
from typing import Any

from cdc_sink.model import Position, SinkChange

Key = tuple[str, tuple[Any, ...]]


def collapse(changes: Iterable[SinkChange]) -> list[SinkChange]:
    """One change per (table, key), in first-arrival order of the keys."""
    groups: dict[Key, list[SinkChange]] = {}
    for change in changes:
        groups.setdefault((change.table, change.key), []).append(change)
    return [_newest_with_carry(group) for group in groups.values()]


def _newest_with_carry(group: list[SinkChange]) -> SinkChange:
    if len(group) == 1:
        return group[0]
    ordered = _by_position(group)
    newest = ordered[-1]
    if not newest.unavailable or newest.deleted:
        return newest
    return _carry(newest, ordered[:-1])


def _by_position(group: list[SinkChange]) -> list[SinkChange]:
    """Sorted oldest first (stable); later copies of an equal position are dropped."""
    ordered = sorted(group, key=cmp_to_key(_compare))
    return [c for i, c in enumerate(ordered) if i == 0 or _compare(c, ordered[i - 1]) != 0]


def _compare(a: SinkChange, b: SinkChange) -> int:
    if a.position.newer_than(b.position):
        return 1
    return -1 if b.position.newer_than(a.position) else 0


def _carry(newest: SinkChange, older: list[SinkChange]) -> SinkChange:
    """Fill ``newest``'s unavailable columns from the newest older live change having them."""
    columns = dict(newest.columns)
    missing = set(newest.unavailable)
    carried: dict[str, Position] = {}
    for change in reversed(older):
        if change.deleted:
            break  # values from before a delete say nothing about the row after it
        for name in [m for m in missing if m in change.columns and m not in change.unavailable]:
            columns[name] = change.columns[name]
            carried[name] = change.position
            missing.discard(name)
        if not missing:
            break
    return replace(newest, columns=columns, unavailable=frozenset(missing), carried=carried)
