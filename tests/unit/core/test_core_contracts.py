from decimal import Decimal
from pathlib import Path
from typing import Any

import debezium_samples as ds
import pytest
from pydantic import ValidationError

from cdc_core.contracts import (
    PK_EXPECTATION,
    Expectation,
    TableContract,
    Violation,
    check,
    check_event,
    check_value,
    hard_error,
    load_contracts,
    load_contracts_text,
    should_halt,
)
from cdc_core.envelope import UNAVAILABLE_VALUE, parse_envelope
from cdc_core.errors import ConfigError, ContractViolation
from cdc_core.values import as_decimal

EXAMPLE = (Path(__file__).parent / "fixtures" / "contracts.yaml").read_text()


def orders() -> TableContract:
    return load_contracts_text(EXAMPLE)["public.orders"]


def contract_doc(**overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {"table": "public.orders", "primary_key": ["id"]}
    doc.update(overrides)
    return doc


def expectation(**fields: Any) -> Expectation:
    return Expectation.model_validate({"name": "e", "column": "c", **fields})


def test_example_file_loads() -> None:
    contracts = load_contracts_text(EXAMPLE)
    assert sorted(contracts) == ["public.customers", "public.orders"]
    contract = contracts["public.orders"]
    assert contract.freshness_slo_s == 300
    assert [e.name for e in contract.expectations] == [
        "total_non_negative",
        "status_known",
        "customer_present",
    ]
    assert contract.expectations[0].severity == "hard"
    rule = contract.enrichment[0]
    assert (rule.dimension_table, rule.fields, rule.wait_ms) == (
        "public.customers",
        {"segment": "customer_segment"},
        2000,
    )
    assert contract.enrichment_fields == ["customer_segment"]
    assert contracts["public.customers"].hard_violation_halt_rate == 0.05


def test_models_are_frozen() -> None:
    with pytest.raises(ValidationError):
        orders().table = "x"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        (contract_doc(freshnes_slo_s=10), "public.orders: freshnes_slo_s: unknown key"),
        (
            contract_doc(
                expectations=[{"name": "a", "column": "x", "kind": "not_null", "colour": "red"}]
            ),
            "public.orders: expectations[0].colour: unknown key",
        ),
        (
            contract_doc(
                enrichment=[
                    {
                        "from_column": "a",
                        "dimension_table": "public.c",
                        "dimension_key": "id",
                        "fields": {"s": "seg"},
                        "wiat_ms": 1,
                    }
                ]
            ),
            "public.orders: enrichment[0].wiat_ms: unknown key",
        ),
    ],
)
def test_unknown_key_error_names_the_key(doc: dict[str, Any], expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_contracts([doc])
    assert expected in str(info.value)


@pytest.mark.parametrize(
    ("doc", "fragment"),
    [
        ({"primary_key": ["id"]}, "contract #0: table"),
        (contract_doc(table="orders"), "table"),
        (contract_doc(primary_key=[]), "primary_key"),
        (contract_doc(hard_violation_halt_rate=1.5), "hard_violation_halt_rate"),
        (contract_doc(freshness_slo_s=0), "freshness_slo_s"),
        (
            contract_doc(expectations=[{"name": "a", "column": "x", "kind": "unique"}]),
            "expectations[0].kind",
        ),
        (
            contract_doc(expectations=[{"name": "Bad Name", "column": "x", "kind": "not_null"}]),
            "expectations[0].name",
        ),
        (
            contract_doc(expectations=[{"name": "a", "column": "x", "kind": "range"}]),
            "needs min and/or max",
        ),
        (
            contract_doc(
                expectations=[{"name": "a", "column": "x", "kind": "range", "min": 2, "max": 1}]
            ),
            "above max",
        ),
        (
            contract_doc(expectations=[{"name": "a", "column": "x", "kind": "in_set"}]),
            "non-empty values",
        ),
        (
            contract_doc(expectations=[{"name": "a", "column": "x", "kind": "not_null", "min": 1}]),
            "only apply to range",
        ),
        (
            contract_doc(
                expectations=[
                    {"name": "a", "column": "x", "kind": "range", "min": 1, "values": ["a"]}
                ]
            ),
            "only apply to in_set",
        ),
        (
            contract_doc(
                expectations=[
                    {"name": "a", "column": "x", "kind": "not_null"},
                    {"name": "a", "column": "y", "kind": "not_null"},
                ]
            ),
            "duplicate expectation name",
        ),
        (
            contract_doc(
                enrichment=[
                    {
                        "from_column": "a",
                        "dimension_table": "public.c",
                        "dimension_key": "id",
                        "fields": {"s": "__seg"},
                    }
                ]
            ),
            "output field name",
        ),
        (
            contract_doc(
                enrichment=[
                    {
                        "from_column": "a",
                        "dimension_table": "public.c",
                        "dimension_key": "id",
                        "fields": {},
                    }
                ]
            ),
            "fields",
        ),
    ],
)
def test_invalid_contracts(doc: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ConfigError, match="contracts are invalid") as info:
        load_contracts([doc])
    assert fragment in str(info.value)


def test_duplicate_table_is_an_error() -> None:
    with pytest.raises(ConfigError, match=r"duplicate table contract.*public\.orders"):
        load_contracts([contract_doc(), contract_doc()])


def test_bad_yaml_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_contracts_text("table: [unclosed")


def test_yaml_document_must_be_a_mapping() -> None:
    with pytest.raises(ConfigError, match="contract #0"):
        load_contracts_text("just a string")


def test_empty_text_has_no_contracts() -> None:
    assert load_contracts_text("") == {}


def test_in_set_values_are_text() -> None:
    e = expectation(kind="in_set", values=[1, True, "x"])
    assert e.values == ["1", "true", "x"]
    assert check_value(e, 1) is None
    assert check_value(e, True) is None
    assert check_value(e, 2) is not None


def test_clean_record_has_no_violations() -> None:
    assert check(ds.row(), orders()) == []


def test_violations() -> None:
    record = ds.row(total_amount=Decimal("-0.01"), status="lost", customer_id=None)
    found = check(record, orders())
    assert [(v.expectation, v.column, v.severity) for v in found] == [
        ("total_non_negative", "total_amount", "hard"),
        ("status_known", "status", "hard"),
        ("customer_present", "customer_id", "soft"),
    ]
    assert found[0].value == Decimal("-0.01")
    assert "is below 0" in found[0].message


def test_nulls_only_violate_not_null() -> None:
    record = ds.row(total_amount=None, status=None)
    assert check(record, orders()) == []


def test_null_primary_key_is_a_hard_violation() -> None:
    found = check(ds.row(id=None), orders())
    assert found == [
        Violation(
            PK_EXPECTATION,
            "id",
            "hard",
            None,
            "primary_key_not_null: primary key column id is null",
        )
    ]


def test_deletes_only_check_the_key() -> None:
    record = {"id": 42, "status": "", "customer_id": None, "__deleted": True}
    assert check(record, orders()) == []
    assert check(record, orders(), deleted=False) != []
    event = parse_envelope(ds.KEY, ds.DELETE)
    assert check_event(event, orders()) == []


def test_check_event_on_insert() -> None:
    event = parse_envelope(ds.KEY, ds.envelope("c", None, ds.row(status="lost")))
    assert [v.expectation for v in check_event(event, orders())] == ["status_known"]


def test_unavailable_placeholder_is_not_a_violation() -> None:
    e = expectation(kind="in_set", values=["a"])
    assert check_value(e, UNAVAILABLE_VALUE) is None
    assert check_value(expectation(kind="range", min=0), UNAVAILABLE_VALUE.encode()) is None


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        (Decimal("0.1"), True),  # equal to the bound: float 0.1 must not be "above" it
        (Decimal("0.10"), True),
        (Decimal("0.09"), False),
        (0.1, True),
        (1, True),
        (Decimal("100.00"), True),
        (Decimal("100.01"), False),
        ("55.5", True),  # decimal.handling.mode=string
        ("abc", False),
        (Decimal("NaN"), False),
        (True, False),
        ({"scale": 2, "value": (1000).to_bytes(2, "big")}, True),  # VariableScaleDecimal 10.00
        ({"scale": 0, "value": (-5).to_bytes(1, "big", signed=True)}, False),
    ],
)
def test_range_compares_exactly(value: Any, ok: bool) -> None:
    e = expectation(kind="range", min=0.1, max=100)
    assert (check_value(e, value) is None) is ok


def test_as_decimal() -> None:
    assert as_decimal(3) == Decimal(3)
    assert as_decimal(0.1) == Decimal("0.1")
    assert as_decimal(" 2.50 ") == Decimal("2.50")
    assert as_decimal(b"1") is None
    assert as_decimal(False) is None


def test_hard_error() -> None:
    found = check(ds.row(status="lost", customer_id=None, total_amount=Decimal(-1)), orders())
    err = hard_error(found, "public.orders")
    assert isinstance(err, ContractViolation)
    assert (err.reason, err.stage, err.column) == (
        "contract_total_non_negative",
        "contract",
        "total_amount",
    )
    assert "status_known" in err.message
    assert "customer_present" not in err.message
    assert hard_error([v for v in found if v.severity == "soft"], "public.orders") is None


@pytest.mark.parametrize(
    ("violations", "records", "halt"),
    [(10, 50, False), (5, 100, False), (6, 100, True), (0, 1000, False), (51, 1000, True)],
)
def test_should_halt(violations: int, records: int, halt: bool) -> None:
    assert should_halt(violations, records, orders()) is halt
