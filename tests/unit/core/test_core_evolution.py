import copy
from typing import Any

import debezium_samples as ds
import pytest

from cdc_core.errors import SchemaChangeError
from cdc_core.evolution import (
    PRIMARY_KEY,
    BreakingChange,
    Column,
    breaking_error,
    classify,
    columns_of,
    type_label,
)
from cdc_core.processed import processed_schema

OLD = columns_of(ds.VALUE_SCHEMA)
KEY = ["id"]


def decimal(precision: int, scale: int) -> dict[str, Any]:
    return {
        **ds.TOTAL_AMOUNT_TYPE,
        "precision": precision,
        "scale": scale,
        "connect.parameters": {"scale": str(scale), "connect.decimal.precision": str(precision)},
    }


def with_field(name: str, avro_type: Any, **extra: Any) -> list[Column]:
    """OLD with ``name`` replaced (or appended) by a field of ``avro_type``."""
    rows = [f for f in copy.deepcopy(ds.ROW_FIELDS) if f["name"] != name]
    position = (
        [f["name"] for f in ds.ROW_FIELDS].index(name)
        if any(f["name"] == name for f in ds.ROW_FIELDS)
        else len(rows)
    )
    rows.insert(position, {"name": name, "type": avro_type, **extra})
    return columns_of(ds.value_schema(rows))


def without(name: str) -> list[Column]:
    return columns_of(ds.value_schema([f for f in ds.ROW_FIELDS if f["name"] != name]))


def test_columns_of_envelope() -> None:
    by_name = {c.name: c for c in OLD}
    assert list(by_name) == ["id", "customer_id", "total_amount", "status", "created_at", "meta"]
    assert by_name["id"] == Column("id", "int", nullable=False, has_default=False)
    assert by_name["total_amount"].nullable
    assert by_name["total_amount"].has_default
    assert by_name["total_amount"].avro_type == ["null", ds.TOTAL_AMOUNT_TYPE]


def test_columns_of_flat_record_and_inlined_references() -> None:
    flat = {
        "type": "record",
        "name": "R",
        "namespace": "n",
        "fields": [
            {"name": "a", "type": {"type": "enum", "name": "E", "symbols": ["x"]}},
            {"name": "b", "type": ["null", "E"], "default": None},
        ],
    }
    b = columns_of(flat)[1]
    assert b.avro_type == ["null", {"type": "enum", "name": "n.E", "symbols": ["x"]}]


def test_columns_of_processed_schema() -> None:
    cols = columns_of(processed_schema(ds.VALUE_SCHEMA, "public.orders"))
    assert cols[0].name == "id"
    assert cols[6].name == "__op"


TINY = {"type": "int", "connect.type": "int8"}
SMALL = {"type": "int", "connect.type": "int16"}

CASES: list[tuple[str, list[Column], str, list[str]]] = [
    # (id, new columns, expected kind, expected names in added / widened / breaking)
    ("identical", OLD, "none", []),
    ("doc only", with_field("status", "string", doc="order state"), "none", []),
    (
        "nullable column added",
        with_field("note", ["null", "string"], default=None),
        "additive",
        ["added:note"],
    ),
    ("defaulted column added", with_field("qty", "int", default=1), "additive", ["added:qty"]),
    (
        "nullable without default added",
        with_field("note", ["null", "string"]),
        "additive",
        ["added:note"],
    ),
    ("non-null column added", with_field("qty", "int"), "breaking", ["breaking:qty"]),
    ("int to long", with_field("customer_id", "long"), "additive", ["widened:customer_id"]),
    ("int to int16", with_field("customer_id", SMALL), "breaking", ["breaking:customer_id"]),
    ("int to double", with_field("customer_id", "double"), "breaking", ["breaking:customer_id"]),
    (
        "column made nullable",
        with_field("status", ["null", "string"], default=None),
        "additive",
        ["widened:status"],
    ),
    (
        "nullable int to nullable long",
        with_field("total_amount", ["null", "long"]),
        "breaking",
        ["breaking:total_amount"],
    ),
    (
        "decimal precision up",
        with_field("total_amount", ["null", decimal(14, 2)], default=None),
        "additive",
        ["widened:total_amount"],
    ),
    (
        "decimal precision down",
        with_field("total_amount", ["null", decimal(10, 2)], default=None),
        "breaking",
        ["breaking:total_amount"],
    ),
    (
        "decimal scale change",
        with_field("total_amount", ["null", decimal(12, 3)], default=None),
        "breaking",
        ["breaking:total_amount"],
    ),
    (
        "logical type change",
        with_field(
            "created_at",
            [
                "null",
                {
                    "type": "long",
                    "connect.version": 1,
                    "connect.name": "io.debezium.time.MicroTimestamp",
                },
            ],
            default=None,
        ),
        "breaking",
        ["breaking:created_at"],
    ),
    (
        "connect.name change",
        with_field(
            "meta",
            ["null", {"type": "string", "connect.name": "io.debezium.data.Xml"}],
            default=None,
        ),
        "breaking",
        ["breaking:meta"],
    ),
    ("string to int", with_field("status", "int"), "breaking", ["breaking:status"]),
    ("nullable column removed", without("meta"), "additive", ["removed:meta"]),
    ("non-null column removed", without("status"), "breaking", ["breaking:status"]),
    (
        "column made not null",
        with_field(
            "meta",
            {"type": "string", "connect.version": 1, "connect.name": "io.debezium.data.Json"},
        ),
        "none",
        ["tightened:meta"],
    ),
]


def names(change: Any) -> list[str]:
    return sorted(
        [f"added:{c.name}" for c in change.added]
        + [f"widened:{new.name}" for _, new in change.widened]
        + [f"breaking:{b.column}" for b in change.breaking]
        + [f"removed:{c.name}" for c in change.removed]
        + [f"tightened:{new.name}" for _, new in change.tightened]
    )


@pytest.mark.parametrize(
    ("new", "kind", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_classify(new: list[Column], kind: str, expected: list[str]) -> None:
    change = classify(OLD, new, KEY, KEY)
    assert change.kind == kind
    assert names(change) == sorted(expected)


def test_small_int_chain_widens() -> None:
    tiny = with_field("customer_id", TINY)
    small = with_field("customer_id", SMALL)
    assert classify(tiny, small, KEY, KEY).kind == "additive"
    assert classify(small, OLD, KEY, KEY).kind == "additive"
    assert classify(OLD, tiny, KEY, KEY).breaking[0].why == "type narrowed"


def test_float_to_double_widens_and_back_narrows() -> None:
    floats = with_field("customer_id", "float")
    doubles = with_field("customer_id", "double")
    assert classify(floats, doubles, KEY, KEY).kind == "additive"
    narrowed = classify(doubles, floats, KEY, KEY)
    assert narrowed.breaking == [BreakingChange("customer_id", "double", "float", "type narrowed")]


def test_long_to_int_is_narrowed() -> None:
    longs = with_field("customer_id", "long")
    change = classify(longs, OLD, KEY, KEY)
    assert change.breaking == [BreakingChange("customer_id", "long", "int", "type narrowed")]


def test_type_change_reports_labels() -> None:
    change = classify(OLD, with_field("total_amount", ["null", "string"], default=None), KEY, KEY)
    assert change.breaking == [
        BreakingChange("total_amount", "nullable decimal(12,2)", "nullable string", "type changed")
    ]


def test_primary_key_change() -> None:
    change = classify(OLD, OLD, ["id"], ["id", "customer_id"])
    assert change.kind == "breaking"
    assert change.breaking == [
        BreakingChange(PRIMARY_KEY, "(id)", "(id, customer_id)", "primary key changed")
    ]
    assert classify(OLD, OLD, ["a", "b"], ["b", "a"]).kind == "none"


def test_new_table_is_additive() -> None:
    change = classify([], OLD, [], KEY)
    assert change.kind == "additive"
    assert change.added == OLD


def test_removed_and_added_fields_report_absent() -> None:
    change = classify(OLD, with_field("qty", "int"), KEY, KEY)
    assert change.breaking == [
        BreakingChange("qty", "absent", "int", "new non-null column without default")
    ]
    change = classify(OLD, without("status"), KEY, KEY)
    assert change.breaking == [
        BreakingChange("status", "string", "absent", "column removed without default")
    ]


def test_breaking_error() -> None:
    change = classify(OLD, with_field("status", "int"), KEY, KEY)
    err = breaking_error("public.orders", change)
    assert isinstance(err, SchemaChangeError)
    assert (err.reason, err.stage) == ("breaking_schema_change", "schema-change")
    assert (err.table, err.column, err.old_type, err.new_type) == (
        "public.orders",
        "status",
        "string",
        "int",
    )
    assert "public.orders" in err.message
    assert "status: string -> int (type changed)" in err.message


def test_breaking_error_needs_a_breaking_change() -> None:
    with pytest.raises(ValueError, match="not breaking"):
        breaking_error("public.orders", classify(OLD, OLD, KEY, KEY))


@pytest.mark.parametrize(
    ("avro_type", "label"),
    [
        ("int", "int"),
        (["null", "long"], "nullable long"),
        (["null", ds.TOTAL_AMOUNT_TYPE], "nullable decimal(12,2)"),
        (
            {"type": "string", "connect.name": "io.debezium.time.ZonedTimestamp"},
            "string (io.debezium.time.ZonedTimestamp)",
        ),
        ({"type": "int", "connect.type": "int16"}, "int (int16)"),
        ({"type": "long", "logicalType": "timestamp-micros"}, "long (timestamp-micros)"),
        ({"type": "array", "items": "string"}, "array<string>"),
        ({"type": "map", "values": ["null", "int"]}, "map<nullable int>"),
        ({"type": "enum", "name": "a.Mood", "symbols": ["x"]}, "enum a.Mood"),
        (["int", "string"], "int | string"),
        ({"type": {"type": "string"}}, "string"),
    ],
)
def test_type_label(avro_type: Any, label: str) -> None:
    assert type_label(avro_type) == label
