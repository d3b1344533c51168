"""``cdc dbt sources``: the dbt sources document generated from contracts (pure)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from cdc_cli.main import main
from cdc_core.contracts import load_contracts_text
from cdc_ops.dbt_sources import render, sources_document

REPO = Path(__file__).resolve().parents[3]
CONTRACTS = """
- table: public.orders
  primary_key: [order_id]
  freshness_slo_s: 120
  expectations:
    - {name: status_known, column: status, kind: in_set, values: [new, paid]}
    - {name: total_in_range, column: total, kind: range, min: 0, max: 10}
    - {name: customer_present, column: customer_id, kind: not_null, severity: soft}
- table: public.order_items
  primary_key: [order_id, line_no]
  expectations:
    - {name: quantity_positive, column: quantity, kind: range, min: 1}
"""


def _tables() -> dict[str, dict[str, Any]]:
    doc = sources_document(load_contracts_text(CONTRACTS), "dw")
    (source,) = doc["sources"]
    assert source["schema"] == "dw" and source["loaded_at_field"] == "_loaded_at"
    return {t["name"]: t for t in source["tables"]}


def _tests(table: dict[str, Any], column: str) -> list[dict[str, Any]]:
    (col,) = [c for c in table["columns"] if c["name"] == column]
    return list(col["data_tests"])


def test_freshness_is_the_slo_in_minutes_with_warning_at_half() -> None:
    tables = _tables()
    assert tables["orders"]["freshness"] == {"warn_after": {"count": 1, "period": "minute"},
                                             "error_after": {"count": 2, "period": "minute"}}
    assert "freshness" not in tables["order_items"]


def test_expectations_become_named_tests_on_live_rows() -> None:
    orders = _tables()["orders"]
    live = {"where": "not is_deleted"}
    assert _tests(orders, "status") == [{"accepted_values": {
        "name": "orders_status_known", "config": live, "arguments": {"values": ["new", "paid"]}}}]
    assert _tests(orders, "total") == [{"cdc_in_range": {
        "name": "orders_total_in_range", "config": live,
        "arguments": {"min_value": 0, "max_value": 10}}}]
    assert _tests(orders, "customer_id") == [{"not_null": {
        "name": "orders_customer_present", "config": {**live, "severity": "warn"}}}]


def test_primary_keys_are_unique_and_not_null_on_every_row() -> None:
    tables = _tables()
    assert _tests(tables["orders"], "order_id") == [
        {"not_null": {"name": "orders_order_id_key_not_null"}},
        {"unique": {"name": "orders_primary_key_unique"}}]
    assert tables["order_items"]["data_tests"] == [{"cdc_unique_combination": {
        "name": "order_items_primary_key_unique",
        "arguments": {"columns": ["order_id", "line_no"]}}}]
    assert _tests(tables["order_items"], "quantity") == [{"cdc_in_range": {
        "name": "order_items_quantity_positive", "config": {"where": "not is_deleted"},
        "arguments": {"min_value": 1}}}]


def test_metadata_columns_are_documented() -> None:
    names = [c["name"] for c in _tables()["orders"]["columns"]]
    assert names[-5:] == ["is_deleted", "deleted_at", "_source_updated_at", "_event_id",
                          "_loaded_at"]


def test_the_example_project_holds_the_generated_sources() -> None:
    """deploy/dbt's sources are the shop contracts' output, so they cannot drift."""
    out = REPO / "deploy/dbt/models/staging/_sources.yml"
    contracts = load_contracts_text((REPO / "schemas/contracts/shop.yaml").read_text())
    schema = "{{ env_var('CDC_DBT_SCHEMA', 'warehouse') }}"
    assert out.read_text() == render(sources_document(contracts, schema))
    assert yaml.safe_load(out.read_text())["version"] == 2


def test_command_writes_the_file(tmp_path: Path) -> None:
    (tmp_path / "c").mkdir()
    (tmp_path / "c/orders.yaml").write_text(CONTRACTS)
    out = tmp_path / "sources.yml"
    assert main(["dbt", "sources", "--contracts", str(tmp_path / "c"), "--schema", "dw",
                 "--out", str(out)]) == 0
    assert yaml.safe_load(out.read_text()) == sources_document(load_contracts_text(CONTRACTS),
                                                               "dw")


def test_command_refuses_a_missing_directory(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dbt", "sources", "--contracts", str(tmp_path / "none"), "--schema", "x"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not a directory" in err[0]
