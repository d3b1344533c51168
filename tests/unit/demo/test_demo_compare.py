"""The convergence checker's pure core: every kind of divergence is caught and named."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from cdc_demo.compare import SHOWN, Snapshot, canonical, compare

COLUMNS = ("id", "total", "ref", "at")


def _row(i: int, **over: Any) -> dict[str, Any]:
    row = {"id": i, "total": Decimal("10.50"), "ref": uuid.UUID(int=i),
           "at": datetime(2026, 1, 1, tzinfo=UTC)}
    return {**row, **over}


def _dw(i: int, deleted: bool = False, **over: Any) -> dict[str, Any]:
    at = datetime(2026, 1, 2, tzinfo=UTC) if deleted else None
    return {**_row(i, **over), "is_deleted": deleted, "deleted_at": at, "_loaded_at": 1}


def _snap(rows: list[dict[str, Any]], extra: tuple[str, ...] = ()) -> Snapshot:
    return Snapshot("orders", ("id",), COLUMNS + extra, {(r["id"],): r for r in rows})


DW_COLS = ("is_deleted", "deleted_at", "_loaded_at", "customer_segment")


def test_equal_tables_with_soft_deleted_rows_converge() -> None:
    result = compare(_snap([_row(1), _row(2)]),
                     _snap([_dw(1), _dw(2), _dw(3, deleted=True)], DW_COLS), [(3,)])
    assert (result.mismatch_count, result.source_rows) == (0, 2)
    assert (result.warehouse_live, result.warehouse_deleted) == (2, 1)


def test_a_changed_column_is_named_with_both_values() -> None:
    result = compare(_snap([_row(1, total=Decimal("10.51"))]), _snap([_dw(1)], DW_COLS))
    assert result.mismatch_count == 1
    assert "orders(1,).total" in result.mismatches[0]
    assert "10.50" in result.mismatches[0] and "10.51" in result.mismatches[0]


def test_missing_extra_and_wrongly_deleted_rows_are_each_reported() -> None:
    source = _snap([_row(1), _row(2)])
    warehouse = _snap([_dw(2, deleted=True), _dw(3)], DW_COLS)
    problems = "\n".join(compare(source, warehouse).mismatches)
    assert "orders(1,): missing" in problems
    assert "orders(2,): marked deleted, but live" in problems
    assert "orders(3,): live in the warehouse, gone from the source" in problems


def test_expected_deletes_must_be_present_and_need_deleted_at() -> None:
    row = {**_dw(5, deleted=True), "deleted_at": None}
    result = compare(_snap([]), _snap([row], DW_COLS), [(5,), (6,)])
    assert result.mismatch_count == 2
    assert any("(6,): deleted at the source, absent" in m for m in result.mismatches)
    assert any("without deleted_at" in m for m in result.mismatches)


def test_a_source_column_the_warehouse_lacks_is_a_mismatch() -> None:
    source = _snap([_row(1, note="x")], ("note",))
    assert any("column note missing" in m for m in compare(source, _snap([_dw(1)])).mismatches)


def test_uuid_text_and_zones_compare_by_value_but_types_still_matter() -> None:
    plus_one = timezone(timedelta(hours=1))
    assert canonical(uuid.UUID(int=7)) == canonical(str(uuid.UUID(int=7)))
    assert canonical(datetime(2026, 1, 1, 1, tzinfo=plus_one)) == datetime(2026, 1, 1,
                                                                           tzinfo=UTC)
    assert canonical("1") != canonical(1)


def test_the_count_is_exact_when_the_listing_is_capped() -> None:
    result = compare(_snap([_row(i) for i in range(SHOWN + 5)]), _snap([], DW_COLS))
    assert result.mismatch_count == SHOWN + 5
    assert len(result.mismatches) == SHOWN


def test_an_empty_source_table_not_yet_in_the_warehouse_is_converged() -> None:
    absent = Snapshot("orders", ("id",), (), {})
    assert compare(_snap([]), absent).mismatch_count == 0
    assert compare(_snap([_row(1)]), absent).mismatches == ["orders(1,): missing from the "
                                                            "warehouse"]
