"""Warehouse identifiers: within 63 bytes, deterministic, never two source names on one."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cdc_core.errors import SinkError
from cdc_sink.naming import MAX_IDENTIFIER_BYTES, TableNames, column_names, identifier

LONG = "a" * 70


def test_a_short_name_is_kept_as_is() -> None:
    assert identifier("order_items") == "order_items"
    assert identifier("x" * 63) == "x" * 63


def test_names_sharing_a_63_byte_prefix_get_distinct_identifiers() -> None:
    first, second = identifier(LONG + "_first"), identifier(LONG + "_second")
    assert first != second
    assert len(first.encode()) == len(second.encode()) == MAX_IDENTIFIER_BYTES
    assert first.startswith("a" * 54)


def test_a_multibyte_name_is_cut_at_a_character_boundary() -> None:
    name = "é" * 40  # 80 bytes
    out = identifier(name)
    assert len(out.encode()) <= MAX_IDENTIFIER_BYTES
    assert out.encode().decode() == out and out.startswith("é")


@settings(max_examples=300, derandomize=True)
@given(st.lists(st.text(min_size=1, max_size=90), min_size=2, max_size=6, unique=True))
def test_identifiers_are_injective_and_fit(names: list[str]) -> None:
    out = [identifier(n) for n in names]
    assert all(len(o.encode()) <= MAX_IDENTIFIER_BYTES for o in out)
    long_ones = [o for n, o in zip(names, out, strict=True) if len(n.encode()) > 63]
    assert len(set(long_ones)) == len(long_ones)
    assert [identifier(n) for n in names] == out  # deterministic


def test_table_naming_styles_and_the_explicit_mapping() -> None:
    assert TableNames().table("s_one", "orders") == "orders"
    assert TableNames("schema_table").table("s_one", "orders") == "s_one_orders"
    mapped = TableNames("table", {"s_two.orders": "orders_two"})
    assert mapped.table("s_two", "orders") == "orders_two"
    assert mapped.table("s_one", "orders") == "orders"
    assert TableNames("schema_table").table("s", LONG) == identifier("s_" + LONG)


def test_column_names_map_long_names_apart() -> None:
    names = column_names("t", [LONG + "_x", LONG + "_y", "id"])
    assert names["id"] == "id"
    assert len(set(names.values())) == 3


def test_a_column_spelling_out_another_ones_identifier_is_refused() -> None:
    long_name = LONG + "_x"
    with pytest.raises(SinkError) as caught:
        column_names("t", [long_name, identifier(long_name)])
    assert caught.value.reason == "column_name_clash"
