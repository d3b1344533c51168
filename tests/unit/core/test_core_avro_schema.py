from typing import Any

import debezium_samples as ds
import pytest

from cdc_core.avro_schema import (
    expand,
    fullname,
    is_nullable,
    named_types,
    non_null,
    qualify,
    row_record,
)


def test_fullname() -> None:
    assert fullname("Value", "cdc.public.orders") == "cdc.public.orders.Value"
    assert fullname("a.B", "ignored") == "a.B"
    assert fullname("B", None) == "B"


def test_named_types_of_debezium_envelope() -> None:
    assert sorted(named_types(ds.VALUE_SCHEMA)) == [
        "cdc.public.orders.Envelope",
        "cdc.public.orders.Value",
        "event.block",
        "io.debezium.connector.postgresql.Source",
    ]


def test_qualify_makes_references_full() -> None:
    q = qualify(ds.VALUE_SCHEMA)
    fields = {f["name"]: f for f in q["fields"]}
    assert fields["after"]["type"] == ["null", "cdc.public.orders.Value"]
    assert fields["before"]["type"][1]["name"] == "cdc.public.orders.Value"
    assert "namespace" not in fields["before"]["type"][1]


def test_qualify_keeps_null_namespace() -> None:
    schema = {
        "type": "record",
        "name": "R",
        "fields": [{"name": "e", "type": {"type": "enum", "name": "E", "symbols": ["a"]}}],
    }
    q = qualify(schema)
    assert q["namespace"] == ""
    assert q["fields"][0]["type"]["namespace"] == ""


def test_row_record_follows_a_reference_in_after() -> None:
    schema = ds.value_schema()
    before, after = schema["fields"][0], schema["fields"][1]
    before["type"], after["type"] = ["null", "Value"], before["type"]  # defined in after
    assert [f["name"] for f in row_record(schema)["fields"]][:2] == ["id", "customer_id"]


def test_row_record_of_plain_record_is_itself() -> None:
    assert row_record(ds.KEY_SCHEMA)["fields"] == ds.KEY_SCHEMA["fields"]


def test_row_record_inlines_types_defined_outside_it() -> None:
    money = {"type": "fixed", "name": "Money", "size": 8}
    schema = {
        "type": "record",
        "name": "Envelope",
        "namespace": "n",
        "fields": [
            {"name": "first", "type": money},
            {
                "name": "before",
                "type": [
                    "null",
                    {"type": "record", "name": "Value", "fields": [{"name": "m", "type": "Money"}]},
                ],
            },
        ],
    }
    assert row_record(schema)["fields"][0]["type"] == {
        "type": "fixed",
        "name": "n.Money",
        "size": 8,
    }


def test_row_record_needs_a_row() -> None:
    schema = {"type": "record", "name": "E", "fields": [{"name": "after", "type": "null"}]}
    with pytest.raises(ValueError, match="no row record"):
        row_record(schema)


def test_expand_leaves_recursive_references() -> None:
    node = {
        "type": "record",
        "name": "n.Node",
        "fields": [{"name": "next", "type": ["null", "n.Node"]}],
    }
    names = named_types(node)
    assert expand("n.Node", names) == node


@pytest.mark.parametrize(
    ("avro_type", "nullable", "rest"),
    [
        ("int", False, "int"),
        (["null", "int"], True, "int"),
        (["int", "null"], True, "int"),
        ({"type": "null"}, True, []),
        (["null", "int", "string"], True, ["int", "string"]),
    ],
)
def test_nullability(avro_type: Any, nullable: bool, rest: Any) -> None:
    assert is_nullable(avro_type) is nullable
    assert non_null(avro_type) == rest
