"""cdc_sink.historysql / history / prune: the history's SQL, rows and settings, offline."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from cdc_core.contracts import TableContract
from cdc_core.errors import ConfigError
from cdc_sink import app
from cdc_sink import historysql as hsql
from cdc_sink.config import SinkConfig, load
from cdc_sink.history import HistoryPolicy, distinct, history_row
from cdc_sink.model import KafkaCoordinates, Position, SinkChange
from cdc_sink.prune import parse_age
from cdc_sink.sqlbuild import Column, TableLayout
from tests.unit.sink.test_config import base, error_of, write
from tests.unit.sink.test_sqlbuild import EVIL, QUOTED, identifiers, sql_fragments, text

CURRENT = TableLayout("wh", EVIL, (Column("id", "bigint"),),
                      (Column(EVIL, "text"), Column("body", "text")))
H = hsql.HistoryLayout("hist", CURRENT)
NOV_2026 = 1_794_000_000_000  # 2026-11-11 UTC


def change(event_id: str, **kw: object) -> SinkChange:
    values = {"id": 1, EVIL: "v", "body": "b"}
    return SinkChange(EVIL, (1,), kw.pop("columns", values), False, "u",  # type: ignore[arg-type]
                      event_id, Position(7, NOV_2026), KafkaCoordinates("t", 2, 9),
                      kw.pop("unavailable", frozenset()))  # type: ignore[arg-type]


STATEMENTS = {
    "create_table": hsql.create_table(H), "create_view": hsql.create_view(H),
    "create_as_of": hsql.create_as_of(H), "append": hsql.append(H, EVIL),
    "create_staging": hsql.create_staging(H, EVIL), "copy_staging": hsql.copy_staging(H, EVIL),
    "partition": hsql.create_partition(H, (2026, 12)), "index": hsql.create_version_index(H),
    "add_column": hsql.add_column(H, Column(EVIL, "text")), "drop_view": hsql.drop_view(H),
}


@pytest.mark.parametrize("name", sorted(STATEMENTS))
def test_names_only_ever_appear_quoted(name: str) -> None:
    statement = STATEMENTS[name]
    assert EVIL not in sql_fragments(statement)
    assert QUOTED[:-1] in text(statement)  # the name, or a name derived from it, quoted


def test_the_table_is_unique_on_event_id_and_partitioned_by_commit_month() -> None:
    created = text(hsql.create_table(H))
    assert 'primary key ("_event_id", "_source_updated_at")' in created
    assert created.endswith('partition by range ("_source_updated_at")')
    assert ('on conflict ("_event_id", "_source_updated_at") do nothing'
            in text(hsql.append(H, "s")))


def test_month_partitions_are_utc_months_and_december_rolls_over() -> None:
    assert hsql.month_of(NOV_2026) == (2026, 11)
    assert hsql.month_of(1_798_761_599_999) == (2026, 12)  # the last ms of 2026
    part = text(hsql.create_partition(H, (2026, 12)))
    assert "from ('2026-12-01 00:00:00+00') to ('2027-01-01 00:00:00+00')" in part
    assert ("hist", hsql.partition_name(H, (2026, 12))) in identifiers(
        hsql.create_partition(H, (2026, 12)))


def test_derived_names_stay_within_postgres_limit_and_apart() -> None:
    long_a = TableLayout("wh", "x" * 70, (Column("id", "bigint"),), ())
    long_b = TableLayout("wh", "x" * 71, (Column("id", "bigint"),), ())
    a, b = hsql.HistoryLayout("h", long_a), hsql.HistoryLayout("h", long_b)
    assert len(a.derived("versions").encode()) <= 63
    assert a.derived("versions") != b.derived("versions")


def test_a_row_holds_null_and_the_name_of_every_column_it_lacks() -> None:
    toasted = change("e1", columns={"id": 1, EVIL: "v"}, unavailable=frozenset({"body"}))
    row = history_row(H, toasted)
    assert row[:3] == (1, "v", None)
    assert row[3:7] == ("u", False, 7, NOV_2026)
    assert row[9] == ["body"]
    assert row[-3:] == ("t", 2, 9)
    older_writer = history_row(H, change("e2", columns={"id": 1, "body": "b"}))
    assert older_writer[1] is None and older_writer[9] == [EVIL]
    assert history_row(H, change("e3"))[9] == "{}"


def test_a_batch_keeps_the_first_copy_of_each_event() -> None:
    first, again, other = change("a"), change("a"), change("b")
    assert distinct([first, other, again]) == [first, other]


def test_the_setting_wins_over_the_contract_which_wins_over_the_default() -> None:
    policy = HistoryPolicy(False, {"public.a": False, "public.c": True},
                           {"public.a": True, "public.b": True, "public.d": None})
    assert [policy.enabled(f"public.{t}") for t in "abcde"] == [False, True, True, False,
                                                                  False]
    assert HistoryPolicy(True, {}, {"public.x": False}).enabled("public.y")


def test_ages_are_days_or_hours_and_anything_else_is_one_clear_error() -> None:
    assert parse_age("90d") == timedelta(days=90)
    assert parse_age("12h") == timedelta(hours=12)
    for bad in ("90", "0d", "-3d", "1w", "ninety"):
        with pytest.raises(ConfigError, match="--older-than"):
            parse_age(bad)


def config(tmp_path: Path, **history: object) -> SinkConfig:
    data = base()
    data["sink"]["history"] = history
    return load(write(tmp_path, data))


def test_without_any_table_keeping_a_history_the_sink_has_no_history_work(
        tmp_path: Path) -> None:
    off = config(tmp_path)
    assert app.history(off, {}) is None  # the default path: nothing is built
    assert app.history(config(tmp_path, tables={"public.a": False}), {}) is None
    contract = TableContract(table="public.a", primary_key=["id"], history=True)
    built = app.history(off, {"public.a": contract})
    assert built is not None and built.schema == "history"
    assert built.policy.enabled("public.a") and not built.policy.enabled("public.b")


def test_the_history_schema_must_differ_from_the_target_schema(tmp_path: Path) -> None:
    data = base()
    data["postgres"]["target_schema"] = "dw"
    data["sink"]["history"] = {"target_schema": "dw"}
    assert "sink.history.target_schema must differ" in error_of(tmp_path, data)
