"""Every PostgreSQL type family with hostile values, through a real Debezium connector (the
shipped template) and ``cdc sink`` on the raw topics, compared as ``col::text``.

Each case (``tests/e2e/type_cases.py``) gets four rows in its family's table: captured by the
initial snapshot, inserted while streaming, inserted empty then updated to the value, and
inserted then deleted (soft-deleted in the warehouse). A sentinel row written last per table
marks the end: the topic has one partition, so once the sentinel is in the warehouse every
earlier change of that table was applied or dead-lettered.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from psycopg import sql

from cdc_core import avro_schema
from cdc_demo import connector, source
from cdc_demo.children import Child, write_yaml
from cdc_demo.configs import Endpoints, Names, sink_config
from cdc_demo.pipeline import create_topics, free_port
from tests.e2e.type_cases import (
    CASES,
    DEBEZIUM,
    EXACT,
    NO_COLUMN,
    NO_ROW,
    SETUP_SQL,
    Case,
    carried,
    families,
)
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e
PHASES = {"snapshot": 1, "insert": 2, "update": 3, "delete": 4}
SENTINEL = -1


def _columns(cases: list[Case]) -> dict[str, str]:
    """pg_type -> column name, one column per distinct type of the family."""
    return {t: f"c{i}" for i, t in enumerate(dict.fromkeys(c.pg_type for c in cases))}


def _ddl(family: str, cases: list[Case]) -> sql.Composed:
    cols = [sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(t))
            for t, c in _columns(cases).items()]
    return sql.SQL("create table {} (id int primary key, {})").format(
        sql.Identifier(f"f_{family}"), sql.SQL(", ").join(cols))


def _row_id(index: int, phase: str) -> int:
    return index * 10 + PHASES[phase]


def _write(conn: psycopg.Connection[Any], family: str, cases: list[Case], phase: str) -> None:
    """One row per case for ``phase`` (snapshot and insert write the same)."""
    table, columns = sql.Identifier(f"f_{family}"), _columns(cases)
    for i, case in enumerate(cases):
        col, row = sql.Identifier(columns[case.pg_type]), _row_id(i, phase)
        value = sql.SQL(case.literal)
        if phase == "update":
            conn.execute(sql.SQL("insert into {} (id) values ({})").format(table, row))
            conn.execute(sql.SQL("update {} set {} = {} where id = {}").format(
                table, col, value, row))
            continue
        conn.execute(sql.SQL("insert into {} (id, {}) values ({}, {})").format(
            table, col, row, value))
        if phase == "delete":
            conn.execute(sql.SQL("delete from {} where id = {}").format(table, row))


@dataclass
class TypeRun:
    names: Names
    endpoints: Endpoints
    source_dsn: str
    cases: dict[str, list[Case]]
    sink: Child | None = None

    @property
    def tables(self) -> list[str]:
        return [f"f_{f}" for f in self.cases]

    def topics(self) -> list[str]:
        return [f"{self.names.topic_prefix}.public.{t}" for t in self.tables]

    def params(self) -> connector.SourceParams:
        return connector.SourceParams.from_dsn(
            self.endpoints.postgres_dsn, name=self.names.connector,
            topic_prefix=self.names.topic_prefix, db_name=self.names.source_db)

    def start(self, work: Path) -> None:
        template = connector.load_template()
        template["config"]["table.include.list"] = ",".join(f"public.{t}" for t in self.tables)
        connector.register(self.endpoints.connect_url, connector.connector_spec(
            self.params(), self.endpoints.registry_v2_url, template))
        config = sink_config(self.names, self.endpoints, through_flink=False,
                             http_port=free_port())
        config["kafka"]["topics"] = self.topics()
        config["sink"].pop("contracts_dir")
        self.sink = Child.cdc("sink", write_yaml(work / "sink.yaml", config),
                              work / "sink.log").start()

    def close(self) -> None:
        if self.sink is not None:
            self.sink.stop()
        connector.Connect(self.endpoints.connect_url).delete(self.names.connector)
        slots = self.params().placeholders()
        source.drop_replication(self.source_dsn, slots["slot_name"], slots["publication_name"])
        source.drop_database(self.endpoints.postgres_dsn, self.names.source_db)


@pytest.fixture
def type_run(endpoints: Endpoints) -> Iterator[Callable[[list[Case]], TypeRun]]:
    """Factory: a source database for ``cases``; connector, slot and database go after."""
    made: list[TypeRun] = []

    def make(cases: list[Case]) -> TypeRun:
        run_id = uuid.uuid4().hex[:10]
        names = Names(run_id, source_db=f"types_{run_id}", target_schema=f"dw_{run_id}")
        dsn = source.create_database(endpoints.postgres_dsn, names.source_db)
        made.append(TypeRun(names, endpoints, dsn, families(cases)))
        return made[-1]

    yield make
    for run in made:
        run.close()


def _text(conn: psycopg.Connection[Any], schema: str, table: str, column: str, row: int
          ) -> str | None:
    """``column::text`` of row ``row``; NO_COLUMN / NO_ROW when there is none."""
    present = conn.execute("select 1 from information_schema.columns where table_schema = %s "
                           "and table_name = %s and column_name = %s",
                           (schema, table, column)).fetchone()
    if present is None:
        return NO_COLUMN
    found = conn.execute(sql.SQL("select {}::text from {} where id = %s").format(
        sql.Identifier(column), sql.Identifier(schema, table)), (row,)).fetchone()
    return NO_ROW if found is None else found[0]


def _arrived(conn: psycopg.Connection[Any], schema: str, tables: list[str]) -> bool:
    query = ("select count(*) from information_schema.tables where table_schema = %s "
             "and table_name = any(%s)")
    if conn.execute(query, (schema, tables)).fetchone() != (len(tables),):
        return False
    return all(conn.execute(sql.SQL("select 1 from {} where id = %s").format(
        sql.Identifier(schema, t)), (SENTINEL,)).fetchone() for t in tables)


def _differences(run: TypeRun) -> list[str]:
    """Every (case, phase) whose warehouse text is not the expected one."""
    schema, found = run.names.target_schema, []
    with psycopg.connect(run.source_dsn) as src, \
            psycopg.connect(run.endpoints.postgres_dsn) as dw:
        for family, cases in run.cases.items():
            table, columns = f"f_{family}", _columns(cases)
            for i, case in enumerate(cases):
                for phase in ("snapshot", "insert", "update"):
                    row = _row_id(i, phase)
                    want = case.expected(phase)
                    source_text = _text(src, "public", table, columns[case.pg_type], row)
                    expected = source_text if want == EXACT else want.text  # type: ignore[union-attr]
                    got = _text(dw, schema, table, columns[case.pg_type], row)
                    if got != expected:
                        found.append(f"{case.pg_type:<18} {case.literal:<40} {phase:<8} "
                                     f"source {source_text!r} warehouse {got!r} "
                                     f"expected {expected!r}")
            found += _not_soft_deleted(dw, schema, table, len(cases))
    return found


def _not_soft_deleted(dw: psycopg.Connection[Any], schema: str, table: str, count: int
                      ) -> list[str]:
    rows = [_row_id(i, "delete") for i in range(count)]
    deleted = {r[0] for r in dw.execute(sql.SQL(
        "select id from {} where is_deleted and id = any(%s)").format(
        sql.Identifier(schema, table)), (rows,)).fetchall()}
    return [f"{table} row {r}: not soft-deleted" for r in rows if r not in deleted]


def test_every_type_family_round_trips_as_the_mapping_table_says(
        type_run: Callable[[list[Case]], TypeRun], tmp_path: Path) -> None:
    _assert_round_trips(type_run(CASES), tmp_path)


def _assert_round_trips(run: TypeRun, work: Path) -> None:
    with psycopg.connect(run.source_dsn, autocommit=True) as conn:
        conn.execute(SETUP_SQL)
        for family, cases in run.cases.items():
            conn.execute(_ddl(family, cases))
            _write(conn, family, cases, "snapshot")
    create_topics({"bootstrap.servers": run.endpoints.kafka_bootstrap},
                  [*run.topics(), run.names.dlq_topic])
    run.start(work)
    with psycopg.connect(run.source_dsn, autocommit=True) as conn:
        for family, cases in run.cases.items():
            for phase in ("insert", "update", "delete"):
                _write(conn, family, cases, phase)
        for table in run.tables:
            conn.execute(sql.SQL("insert into {} (id) values (%s)").format(
                sql.Identifier(table)), (SENTINEL,))
    _wait_arrived(run)
    differences = _differences(run) + _schema_differences(run)
    assert differences == [], "\n".join(differences)


def _registered_columns(run: TypeRun, topic: str) -> dict[str, Any]:
    """Column name -> Avro type of the row record in the topic's latest value schema."""
    url = f"{run.endpoints.registry_url}/subjects/{topic}-value/versions/latest"
    answer = httpx.get(url, timeout=10.0).raise_for_status()
    schema = avro_schema.qualify(json.loads(answer.json()["schema"]))
    schema = avro_schema.expand(schema, avro_schema.named_types(schema))
    after = next(f for f in schema["fields"] if f["name"] == "after")
    return {f["name"]: f["type"] for f in avro_schema.non_null(after["type"])["fields"]}


def _schema_differences(run: TypeRun) -> list[str]:
    """Every column whose registered Avro type is not what type_cases.DEBEZIUM says, so
    that the generated type table (docs/types.md) is checked against the real connector."""
    found = []
    for family, cases in run.cases.items():
        registered = _registered_columns(run, f"{run.names.topic_prefix}.public.f_{family}")
        for pg, column in _columns(cases).items():
            got = registered.get(column)
            got = None if got is None else carried(avro_schema.non_null(got))
            if got != DEBEZIUM[pg]:
                found.append(f"{pg:<18} registered {got!r} expected {DEBEZIUM[pg]!r}")
    return found


def _wait_arrived(run: TypeRun) -> None:
    connect = connector.Connect(run.endpoints.connect_url)

    def arrived() -> bool:
        failure = connect.failure(run.names.connector)
        assert failure is None, failure
        assert run.sink is not None and run.sink.alive(), f"sink exited:\n{_tail(run)}"
        with psycopg.connect(run.endpoints.postgres_dsn) as dw:
            return _arrived(dw, run.names.target_schema, run.tables)

    wait_until(arrived, 180, lambda: f"every sentinel row; sink log:\n{_tail(run)}",
               interval_s=1.0)


def _tail(run: TypeRun) -> str:
    return run.sink.tail() if run.sink is not None else ""
