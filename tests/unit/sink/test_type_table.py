"""docs/types.md holds exactly the type table that tests/e2e/type_cases.py renders, and the
mapping covers every type the e2e cases use."""

from __future__ import annotations

from cdc_sink.typemap import pg_type
from tests.e2e import type_table
from tests.e2e.type_cases import CASES, DEBEZIUM


def test_docs_types_md_is_the_table_type_cases_renders() -> None:
    current = type_table.DOC.read_text(encoding="utf-8")
    assert current == type_table.regenerated(current), (
        "docs/types.md differs from tests/e2e/type_cases.py; regenerate it with "
        "`.venv/bin/python -m tests.e2e.type_table`")


def test_every_case_type_has_what_debezium_carries() -> None:
    assert {c.pg_type for c in CASES} == set(DEBEZIUM)


def test_every_carried_type_has_a_warehouse_column_type() -> None:
    assert all(pg_type(s).sql for s in DEBEZIUM.values() if s is not None)


def test_connect_view_names_base_type_semantic_name_and_parameters() -> None:
    assert type_table.connect_type(DEBEZIUM["date"]) == "int32 io.debezium.time.Date"
    assert type_table.connect_type(DEBEZIUM["bit(8)"]) == "bytes io.debezium.data.Bits (length=8)"
    assert type_table.connect_type(DEBEZIUM["date[]"]) == "array<int32 io.debezium.time.Date>"
    assert type_table.connect_type(None) == "left out of the record"
