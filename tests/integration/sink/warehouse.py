"""Read warehouse tables back and compare them with a reference model."""

from __future__ import annotations

import json
from typing import Any

import psycopg
from psycopg import sql

from cdc_sink import pgvalues, typemap
from tests.support.cdcgen import TABLES, TableSpec, Workload


def table_rows(dsn: str, schema: str, spec: TableSpec) -> dict[tuple[Any, ...], dict[str, Any]]:
    cols = [f["name"] for f in spec.fields]
    query = sql.SQL("select {}, is_deleted, deleted_at, _event_id from {}").format(
        sql.SQL(", ").join(sql.Identifier(c) for c in cols), sql.Identifier(schema, spec.table))
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(query).fetchall()
    out = {}
    for row in rows:
        record = dict(zip([*cols, "is_deleted", "deleted_at", "_event_id"], row, strict=True))
        out[tuple(record[k] for k in spec.key_fields)] = record
    return out


def _normal(value: Any, avro_type: Any) -> Any:
    pg = typemap.pg_type(avro_type)
    converted = pgvalues.to_pg(value, pg) if value is not None else None
    if pg.sql == "jsonb" and converted is not None:
        return json.loads(converted)
    return converted


def mismatches(spec: TableSpec, expected: dict[tuple[Any, ...], tuple[bool, Any]],
               actual: dict[tuple[Any, ...], dict[str, Any]]) -> list[str]:
    """Every difference between the model and the table, as readable lines."""
    problems = [f"{spec.table}{k}: missing" for k in expected if k not in actual]
    problems += [f"{spec.table}{k}: unexpected row" for k in actual if k not in expected]
    for key, (deleted, row) in expected.items():
        got = actual.get(key)
        if got is None:
            continue
        if got["is_deleted"] != deleted or (got["deleted_at"] is not None) != deleted:
            problems.append(f"{spec.table}{key}: deleted={got['is_deleted']}, want {deleted}")
        for f in spec.fields if not deleted and row is not None else ():
            want = _normal(row[f["name"]], f["type"])
            if got[f["name"]] != want:
                problems.append(f"{spec.table}{key}.{f['name']}: {got[f['name']]!r} != {want!r}")
    return problems


def assert_matches_model(dsn: str, schema: str, workload: Workload) -> None:
    """The warehouse tables of ``TABLES`` equal the workload's reference model."""
    expected = workload.expected()
    problems = []
    for spec in TABLES:
        problems += mismatches(spec, expected.get(spec.table, {}), table_rows(dsn, schema, spec))
    assert problems == [], "\n".join(problems[:20])


def checksum(dsn: str, schema: str, table: str) -> str:
    """md5 over every row's full text, in key order: equal only if byte-identical."""
    query = sql.SQL("select md5(string_agg(t::text, '|' order by t::text)) from {} t").format(
        sql.Identifier(schema, table))
    with psycopg.connect(dsn) as conn:
        row = conn.execute(query).fetchone()
    assert row is not None
    return str(row[0])
