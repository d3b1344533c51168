"""Schema evolution against the real registry: additive changes apply, breaking ones halt.

Table A (accounts) evolves: v2 adds a nullable column (applied with ALTER TABLE, old rows
NULL there, a late v1 record keeps the new column), then v3 changes a column's type
(breaking: A halts, its later records are dead-lettered). Table B (events) goes on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from tests.integration.kafkaclients import consume_all
from tests.integration.sink.harness import (
    SinkProcess,
    Target,
    end_offsets,
    wait_converged,
    write_config,
)
from tests.stackfixtures import Services, unique
from tests.support.cdcgen import Delivered, TableSpec, TopicWriter, change_event, produce_raw
from tests.support.registry import registry_client

NAME = {"name": "name", "type": ["null", "string"], "default": None}
A_V1 = TableSpec("accounts", ("id",), ({"name": "id", "type": "long"}, NAME),
                 lambda _rng, key: dict(key))
A_V2 = TableSpec("accounts", ("id",), (*A_V1.fields,
                                       {"name": "email", "type": ["null", "string"],
                                        "default": None}), A_V1.make_row)
A_V3 = TableSpec("accounts", ("id",), (A_V1.fields[0],
                                       {"name": "name", "type": ["null", "long"],
                                        "default": None}, A_V2.fields[2]), A_V1.make_row)
B = TableSpec("events", ("id",), ({"name": "id", "type": "long"},
                                  {"name": "v", "type": ["null", "string"], "default": None}),
              A_V1.make_row)

Record = tuple[str, bytes | None, bytes | None]


def rec(writer: TopicWriter, spec: TableSpec, lsn: int, **row: Any) -> Record:
    key, value = writer.encode(change_event(spec, row, lsn, op="c" if lsn % 2 else "u"))
    return writer.topic, key, value


def rows(dsn: str, schema: str, table: str, columns: str) -> dict[int, tuple[Any, ...]]:
    query = sql.SQL("select id, {} from {} order by id").format(
        sql.SQL(", ").join(sql.Identifier(c) for c in columns.split()),
        sql.Identifier(schema, table))
    with psycopg.connect(dsn) as conn:
        return {r[0]: tuple(r[1:]) for r in conn.execute(query).fetchall()}


def column_types(dsn: str, schema: str, table: str) -> dict[str, str]:
    with psycopg.connect(dsn) as conn:
        found = conn.execute("select column_name, data_type from information_schema.columns "
                             "where table_schema = %s and table_name = %s",
                             (schema, table)).fetchall()
    return dict(found)


def halted(dsn: str, schema: str) -> dict[str, str | None]:
    query = sql.SQL("select table_name, halted_reason from {}").format(
        sql.Identifier(schema, "_cdc_schemas"))
    with psycopg.connect(dsn) as conn:
        return dict(conn.execute(query).fetchall())


def test_additive_change_applies_and_breaking_change_halts_only_its_table(
        services: Services, pg_schema: str, tmp_path: Path) -> None:
    registry = registry_client(services.registry_url)
    prefix = unique("evo").replace("-", "")
    topic_a, topic_b = f"{prefix}.public.accounts", f"{prefix}.public.events"
    a1 = TopicWriter.register(registry, topic_a, A_V1, processed=True)
    b = TopicWriter.register(registry, topic_b, B, processed=True)
    dsn, bootstrap = services.postgres_dsn, services.kafka_bootstrap
    at = Target(bootstrap, dsn, pg_schema, unique("sink"), (topic_a, topic_b))
    sink = SinkProcess(write_config(tmp_path / "sink.yaml", at, services.registry_url),
                       tmp_path / "sink.log").start()

    def step(records: list[Record]) -> list[Delivered]:
        delivered = produce_raw(bootstrap, records)
        wait_converged(sink, at, timeout=60)
        return delivered

    try:
        # v1 everywhere
        step([rec(a1, A_V1, 101 + 2 * i, id=i, name=f"a{i}") for i in range(1, 5)]
             + [rec(b, B, 111 + 2 * i, id=i, v=f"b{i}") for i in range(1, 4)])
        assert "email" not in column_types(dsn, pg_schema, "accounts")

        # v2 of A: a new nullable column, registered as a compatible new version
        a2 = TopicWriter.register(registry, topic_a, A_V2, processed=True)
        assert a2.value.schema_id != a1.value.schema_id
        step([rec(a2, A_V2, 200, id=2, name="a2", email="two@example.com"),
              rec(a2, A_V2, 211, id=5, name="a5", email="five@example.com"),
              rec(b, B, 221, id=4, v="b4")])
        assert column_types(dsn, pg_schema, "accounts")["email"] == "text"
        assert rows(dsn, pg_schema, "accounts", "name email") == {
            1: ("a1", None), 2: ("a2", "two@example.com"), 3: ("a3", None), 4: ("a4", None),
            5: ("a5", "five@example.com")}

        # a late v1 writer (no email field) updates rows: email is kept, not nulled
        step([rec(a1, A_V1, 300, id=2, name="a2 renamed"),
              rec(a1, A_V1, 310, id=5, name="a5 renamed")])
        assert rows(dsn, pg_schema, "accounts", "name email") == {
            1: ("a1", None), 2: ("a2 renamed", "two@example.com"), 3: ("a3", None),
            4: ("a4", None), 5: ("a5 renamed", "five@example.com")}
        before_break = rows(dsn, pg_schema, "accounts", "name email")

        # v3 of A: name string -> long, accepted by the registry only with NONE
        registry.set_compatibility(subject_name=f"{topic_a}-value", level="NONE")
        a3 = TopicWriter.register(registry, topic_a, A_V3, processed=True)
        delivered = step([
            rec(a3, A_V3, 401, id=6, name=12345, email="six@example.com"),
            rec(b, B, 411, id=5, v="b5"),
            rec(a2, A_V2, 420, id=1, name="a1 after halt", email="one@example.com"),
            rec(b, B, 431, id=6, v="b6"),
            rec(b, B, 440, id=1, v="b1 updated"),
        ])
        assert sink.alive(), sink.tail()
    finally:
        code = sink.stop()
    assert code == 0, sink.tail()

    # A is halted: unchanged since the breaking schema, reason stored in the warehouse
    assert rows(dsn, pg_schema, "accounts", "name email") == before_break
    assert column_types(dsn, pg_schema, "accounts")["name"] == "text"
    reasons = halted(dsn, pg_schema)
    assert reasons["events"] is None
    reason = reasons["accounts"]
    assert reason is not None and "name" in reason
    assert "string" in reason and "long" in reason
    assert "HALTED table accounts" in sink.log.read_text()

    # B went on after A halted
    assert rows(dsn, pg_schema, "events", "v") == {
        1: ("b1 updated",), 2: ("b2",), 3: ("b3",), 4: ("b4",), 5: ("b5",), 6: ("b6",)}

    # A's records after the break (new schema and old alike) are dead-lettered
    dlq_topic = f"dlq-{at.group}"
    assert sum(end_offsets(bootstrap, [dlq_topic]).values()) == 2
    dead = consume_all(bootstrap, dlq_topic, unique("reader"), expected=2)
    expected = [delivered[0], delivered[2]]
    assert [(m.key(), m.value()) for m in dead] == [(d.key, d.value) for d in expected]
    for msg, origin in zip(dead, expected, strict=True):
        headers = {k: (v or b"").decode() for k, v in msg.headers() or []}
        assert headers["cdc.error.stage"] == "schema-change"
        assert headers["cdc.error.reason"] == "breaking_schema_change"
        assert "accounts" in headers["cdc.error.message"]
        assert headers["cdc.source.topic"] == topic_a
        assert int(headers["cdc.source.partition"]) == origin.partition
        assert int(headers["cdc.source.offset"]) == origin.offset
