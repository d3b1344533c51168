"""cdc_sink.sqlbuild: every statement built from names quotes them as identifiers."""

from __future__ import annotations

import pytest
from psycopg import sql

from cdc_sink import sqlbuild
from cdc_sink.sqlbuild import Column, MetaNames, TableLayout

EVIL = '"; drop table x; --'
QUOTED = '"""; drop table x; --"'  # PostgreSQL's quoting of EVIL: inner quote doubled
LITERAL = "'\"; drop table x; --'"  # EVIL as a string literal (update's column-name checks)


def layout(meta: MetaNames | None = None) -> TableLayout:
    return TableLayout(EVIL, EVIL, (Column("id", "bigint"),),
                       (Column(EVIL, "text"), Column("amount", "numeric(12,2)")),
                       meta or MetaNames())


def text(statement: sql.Composable) -> str:
    return statement.as_string(None)


def parts(statement: sql.Composable) -> list[sql.Composable]:
    """The pieces of a Composed (psycopg 3 keeps them in ``_obj``; no public accessor)."""
    return list(statement._obj) if isinstance(statement, sql.Composed) else []


def identifiers(statement: sql.Composable) -> list[tuple[str, ...]]:
    """Every Identifier inside a composed statement, as its name parts."""
    if isinstance(statement, sql.Identifier):
        return [tuple(statement._obj)]
    return [i for part in parts(statement) for i in identifiers(part)]


def sql_fragments(statement: sql.Composable) -> str:
    """The raw SQL text pieces only: what would be executed verbatim."""
    if isinstance(statement, sql.SQL):
        return statement.as_string(None)
    return "".join(sql_fragments(p) for p in parts(statement))


STATEMENTS = {
    "create_table": sqlbuild.create_table,
    "add_column": lambda lay: sqlbuild.add_column(lay, Column(EVIL, "text")),
    "alter_column_type": lambda lay: sqlbuild.alter_column_type(lay, Column(EVIL, "bigint")),
    "create_staging": lambda lay: sqlbuild.create_staging(lay, EVIL),
    "copy_staging": lambda lay: sqlbuild.copy_staging(lay, EVIL),
    "clear_staging": lambda _lay: sqlbuild.clear_staging(EVIL),
    "insert_new": lambda lay: sqlbuild.insert_new(lay, EVIL),
    "update_existing": lambda lay: sqlbuild.update_existing(lay, EVIL),
}


@pytest.mark.parametrize("name", sorted(STATEMENTS))
def test_hostile_names_only_ever_appear_quoted(name: str) -> None:
    statement = STATEMENTS[name](layout())
    rendered = text(statement)
    assert QUOTED in rendered
    # Remove every correctly quoted occurrence: no bare fragment of the name may remain.
    assert "drop table" not in rendered.replace(QUOTED, "<ident>").replace(LITERAL, "<lit>")
    assert EVIL not in sql_fragments(statement)
    assert "drop table" not in sql_fragments(statement)
    assert any(EVIL in parts for parts in identifiers(statement))


def test_schema_and_table_are_one_qualified_identifier() -> None:
    lay = layout()
    assert lay.ident == sql.Identifier(EVIL, EVIL)
    assert text(sqlbuild.add_column(lay, Column("c", "text"))).startswith(
        f"alter table {QUOTED}.{QUOTED} add column if not exists \"c\" text")


def test_create_table_has_key_columns_and_configured_meta_columns() -> None:
    meta = MetaNames(is_deleted="del", deleted_at="del_at", source_updated_at="src_ts",
                     source_lsn="src_lsn", event_id="eid", loaded_at="loaded")
    rendered = text(sqlbuild.create_table(layout(meta)))
    assert rendered.startswith(f"create table if not exists {QUOTED}.{QUOTED} (\"id\" bigint, "
                               f"{QUOTED} text, \"amount\" numeric(12,2), ")
    for name in meta.all():
        assert f'"{name}"' in rendered
    assert '"del" boolean not null default false' in rendered
    assert '"loaded" timestamptz not null default now()' in rendered
    assert rendered.endswith('primary key ("id"))')


def test_update_guards_on_position_and_uses_the_column_name_as_a_literal() -> None:
    rendered = text(sqlbuild.update_existing(layout(), "stage"))
    # The column name is compared with the unavailable/carried arrays as a quoted literal.
    assert f"{LITERAL} = any(s.__unavailable)" in rendered
    assert 'from "stage" s where "t"."id" = "s"."id"' in rendered
    assert '"s"."id"' in rendered and "s.__lsn" in rendered
    assert "and s.__pos > coalesce(\"t\".\"_source_position\"" in rendered
    assert "returning s.__deleted as applied_deleted, " in rendered
    assert rendered.endswith("as applied_tie")


def test_applied_rows_are_counted_by_the_server() -> None:
    rendered = text(sqlbuild.counted(sqlbuild.insert_new(layout(), "stage")))
    assert rendered.startswith("with applied as (insert into ")
    assert rendered.endswith("returning \"is_deleted\" as applied_deleted, false as applied_tie) "
                             "select count(*), count(*) filter (where applied_deleted), "
                             "count(*) filter (where applied_tie) from applied")


def test_copy_lists_staging_metadata_after_the_columns() -> None:
    rendered = text(sqlbuild.copy_staging(layout(), "stage"))
    names = ", ".join(f'"{n}"' for n in sqlbuild.STAGING_META)
    assert rendered == f'copy "stage" ("id", {QUOTED}, "amount", {names}) from stdin'


def test_staging_name_is_per_table_and_column_set() -> None:
    lay = layout()
    assert sqlbuild.staging_name(lay) == sqlbuild.staging_name(layout())
    other_table = TableLayout(lay.schema, "other", lay.key, lay.values)
    more_columns = TableLayout(lay.schema, lay.table, lay.key, (*lay.values, Column("x", "int")))
    names = {sqlbuild.staging_name(x) for x in (lay, other_table, more_columns)}
    assert len(names) == 3
    assert all(len(n) < 64 and n.startswith("_cdc_stage_") for n in names)


def test_meta_names_all_in_design_order() -> None:
    assert MetaNames().all() == ("is_deleted", "deleted_at", "_source_updated_at",
                                 "_source_lsn", "_event_id", "_loaded_at", "_source_position")
