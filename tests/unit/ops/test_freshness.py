"""Freshness verdicts, the printed table and the metrics, from given clocks (no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from prometheus_client import CollectorRegistry

from cdc_core.contracts import load_contracts_text
from cdc_ops.freshness import STALE, Freshness, FreshnessMetrics, any_stale, assess, render

CONTRACTS = load_contracts_text("""
- {table: public.orders, primary_key: [order_id], freshness_slo_s: 120}
- {table: public.customers, primary_key: [id], freshness_slo_s: 300}
- {table: public.products, primary_key: [id], freshness_slo_s: 900}
- {table: public.notes, primary_key: [id]}
""")
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def _rows() -> list[Freshness]:
    last = {"orders": NOW - timedelta(seconds=121), "customers": NOW - timedelta(seconds=30),
            "products": None, "notes": NOW - timedelta(days=3)}
    return assess(CONTRACTS, last, NOW)


def test_status_per_table() -> None:
    status = {row.table: row.status for row in _rows()}
    assert status == {"orders": "STALE", "customers": "FRESH", "products": "STALE",
                      "notes": "-"}


def test_staleness_is_now_minus_last_update_and_never_negative() -> None:
    rows = assess(CONTRACTS, {"orders": NOW + timedelta(seconds=5)}, NOW)
    orders = next(r for r in rows if r.table == "orders")
    assert orders.staleness_s == 0.0
    assert orders.status == "FRESH"


def test_exactly_at_the_slo_is_still_fresh() -> None:
    rows = assess(CONTRACTS, {"orders": NOW - timedelta(seconds=120)}, NOW)
    assert next(r for r in rows if r.table == "orders").status == "FRESH"


def test_any_stale_drives_the_exit_code() -> None:
    assert any_stale(_rows())
    fresh = assess(CONTRACTS, dict.fromkeys(("orders", "customers", "products"), NOW), NOW)
    assert not any_stale(fresh)


def test_render_prints_one_aligned_line_per_contract() -> None:
    lines = render(_rows()).splitlines()
    assert lines[0].split() == ["TABLE", "LAST", "UPDATED", "STALENESS", "SLO", "STATUS"]
    assert lines[1].split() == ["customers", "2026-11-24T11:59:30+00:00", "30s", "300s", "FRESH"]
    assert lines[3].split() == ["orders", "2026-11-24T11:57:59+00:00", "121s", "120s", STALE]
    assert lines[4].split() == ["products", "never", "-", "900s", STALE]
    column = lines[0].index("STALENESS")
    assert [line[column:].split()[0] for line in lines] == [
        "STALENESS", "30s", "259200s", "121s", "-"]


def test_metrics_carry_the_same_figures() -> None:
    registry = CollectorRegistry()
    FreshnessMetrics(registry).publish(_rows())
    value = registry.get_sample_value
    assert value("cdc_table_staleness_seconds", {"table": "orders"}) == 121.0
    assert value("cdc_table_freshness_slo_seconds", {"table": "orders"}) == 120.0
    assert value("cdc_table_stale", {"table": "orders"}) == 1.0
    assert value("cdc_table_stale", {"table": "customers"}) == 0.0
    assert value("cdc_table_stale", {"table": "products"}) == 1.0
    assert value("cdc_table_staleness_seconds", {"table": "products"}) is None
    assert value("cdc_table_freshness_slo_seconds", {"table": "notes"}) is None
