"""The change history through the running sink (``cdc sink run``) against the reference model.

A seeded workload (inserts, updates, deletes, revivals over three tables, processed and raw
input) with unchanged-TOAST placeholders, delivered with duplicates and local reordering
while the sink is killed with -9 several times: the history tables hold exactly the model's
distinct changes, each once; the as-of state equals the model's state at several instants,
and at "now" the current-state table.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from cdc_core.envelope import parse_envelope
from cdc_core.event_id import event_id
from tests.integration.sink.harness import (
    SinkProcess,
    Target,
    produce_killing,
    wait_converged,
    write_config,
)
from tests.integration.sink.test_sink_evolution import (
    A_V1,
    A_V2,
    A_V3,
    column_types,
    halted,
    rec,
)
from tests.integration.sink.warehouse import assert_matches_model
from tests.stackfixtures import Services, unique
from tests.support.cdcgen import (
    TABLES,
    Event,
    TopicWriter,
    Workload,
    mixed_writers,
    perturb,
    produce_raw,
)
from tests.support.registry import registry_client

PLACEHOLDER = "__debezium_unavailable_value"
# A placeholder goes only where the key's previous change is this many changes back: local
# reordering (perturb) then never delivers it before the change whose value it keeps.
TOAST_DISTANCE = 12


@pytest.fixture
def history_schema(postgres_dsn: str, pg_schema: str) -> Iterator[str]:
    name = f"{pg_schema}_h"
    yield name
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(name)))


def with_placeholders(events: list[Event], rng: random.Random) -> list[Event]:
    """Some customer updates send ``name`` as Debezium's placeholder: an unchanged value, so
    the model (the events themselves) keeps the previous version's name."""
    last: dict[tuple[str, tuple[Any, ...]], tuple[int, Event]] = {}
    sent = []
    for i, ev in enumerate(events):
        key = (ev.spec.table, ev.key_tuple)
        prev = last.get(key)
        last[key] = (i, ev)
        if (ev.spec.table == "customers" and ev.op == "u" and prev is not None
                and prev[1].after is not None and i - prev[0] >= TOAST_DISTANCE
                and rng.random() < 0.5):
            assert ev.after is not None
            ev.after["name"] = prev[1].after["name"]
            sent.append(replace(ev, after={**ev.after, "name": PLACEHOLDER}))
            continue
        sent.append(ev)
    return sent


def eid(ev: Event) -> str:
    return event_id(parse_envelope(ev.key, ev.envelope()))


def model_history(events: list[Event], sent: list[Event]) -> dict[str, dict[str, Any]]:
    """table -> event id -> (op, lsn, name or None, unavailable columns) of every change."""
    out: dict[str, dict[str, Any]] = {}
    for ev, wire in zip(events, sent, strict=True):
        toasted = wire is not ev
        name = None if toasted or ev.after is None else ev.after.get("name")
        out.setdefault(ev.spec.table, {})[eid(ev)] = (
            ev.op, ev.lsn, name if ev.spec.table == "customers" else None,
            ["name"] if toasted else [])
    return out


def stored_history(dsn: str, schema: str, table: str) -> tuple[int, dict[str, Any]]:
    name = "name" if table == "customers" else "null::text"
    query = sql.SQL("select _event_id, _op, _source_lsn, {}, _unavailable_columns "
                    "from {}").format(sql.SQL(name), sql.Identifier(schema, table))
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(query).fetchall()
    return len(rows), {r[0]: (r[1], r[2], r[3], r[4]) for r in rows}


def model_state_at(events: list[Event], ts_ms: int) -> dict[tuple[Any, ...], Any]:
    """customers as of ``ts_ms``: per key (deleted, name) of its newest change by then."""
    newest: dict[tuple[Any, ...], Event] = {}
    for ev in events:  # in source order
        if ev.spec.table == "customers" and ev.ts_ms <= ts_ms:
            newest[ev.key_tuple] = ev
    return {k: (ev.op == "d", None if ev.op == "d" else ev.after and ev.after["name"])
            for k, ev in newest.items()}


def as_of(dsn: str, schema: str, at: datetime | None) -> dict[tuple[Any, ...], Any]:
    query = sql.SQL("select id, _deleted, name from {}(coalesce(%s, now()))").format(
        sql.Identifier(schema, "customers__as_of"))
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(query, (at,)).fetchall()
    return {(r[0],): (r[1], None if r[1] else r[2]) for r in rows}


def current(dsn: str, schema: str) -> dict[tuple[Any, ...], Any]:
    query = sql.SQL("select id, is_deleted, name from {}").format(
        sql.Identifier(schema, "customers"))
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(query).fetchall()
    return {(r[0],): (r[1], None if r[1] else r[2]) for r in rows}


def test_kill_9_restarts_leave_the_history_equal_to_the_models_distinct_changes(
        services: Services, pg_schema: str, history_schema: str, tmp_path: Path) -> None:
    prefix = unique("hist").replace("-", "")
    writers = mixed_writers(services.registry_url, prefix)
    workload, rng = Workload(seed=20), random.Random(20)
    at = Target(services.kafka_bootstrap, services.postgres_dsn, pg_schema, unique("sink"),
                tuple(w.topic for w in writers.values()))
    cfg = write_config(tmp_path / "sink.yaml", at, services.registry_url, batch_max_rows=200,
                       history={"default": True, "target_schema": history_schema})
    events = workload.events(4000)
    sent = with_placeholders(events, rng)
    sink = SinkProcess(cfg, tmp_path / "sink.log").start()
    assert produce_killing(sink, at, writers, perturb(sent, rng), rng) >= 4
    assert sum(w is not e for w, e in zip(sent, events, strict=True)) > 20  # placeholders sent

    dsn = services.postgres_dsn
    assert_matches_model(dsn, pg_schema, workload)
    for spec in TABLES:
        count, stored = stored_history(dsn, history_schema, spec.table)
        expected = model_history(events, sent)[spec.table]
        assert count == len(expected)  # each change once
        assert stored == expected
    for share in (0.25, 0.5, 0.75):
        instant = events[int(len(events) * share)].ts_ms
        moment = datetime.fromtimestamp(instant / 1000, UTC)
        assert as_of(dsn, history_schema, moment) == model_state_at(events, instant)
    assert as_of(dsn, history_schema, None) == current(dsn, pg_schema)


def history_rows(dsn: str, schema: str, table: str, columns: str) -> list[tuple[Any, ...]]:
    query = sql.SQL("select {} from {} order by _source_lsn").format(
        sql.SQL(", ").join(sql.Identifier(c) for c in columns.split()),
        sql.Identifier(schema, table))
    with psycopg.connect(dsn) as conn:
        return conn.execute(query).fetchall()


def test_schema_evolution_adds_history_columns_and_a_breaking_change_halts_both(
        services: Services, pg_schema: str, history_schema: str, tmp_path: Path) -> None:
    registry = registry_client(services.registry_url)
    topic = f"{unique('hevo').replace('-', '')}.public.accounts"
    v1 = TopicWriter.register(registry, topic, A_V1, processed=True)
    dsn, bootstrap = services.postgres_dsn, services.kafka_bootstrap
    at = Target(bootstrap, dsn, pg_schema, unique("sink"), (topic,))
    cfg = write_config(tmp_path / "sink.yaml", at, services.registry_url,
                       history={"tables": {"public.accounts": True},
                                "target_schema": history_schema})
    sink = SinkProcess(cfg, tmp_path / "sink.log").start()
    try:
        produce_raw(bootstrap, [rec(v1, A_V1, 101, id=1, name="a1")])
        wait_converged(sink, at, timeout=60)
        assert "email" not in column_types(dsn, history_schema, "accounts")
        v2 = TopicWriter.register(registry, topic, A_V2, processed=True)
        produce_raw(bootstrap, [rec(v2, A_V2, 200, id=1, name="a1", email="one@example.com"),
                                rec(v1, A_V1, 301, id=1, name="a1 late v1")])
        wait_converged(sink, at, timeout=60)
        assert column_types(dsn, history_schema, "accounts")["email"] == "text"
        registry.set_compatibility(subject_name=f"{topic}-value", level="NONE")
        v3 = TopicWriter.register(registry, topic, A_V3, processed=True)
        produce_raw(bootstrap, [rec(v3, A_V3, 401, id=2, name=7, email=None)])
        wait_converged(sink, at, timeout=60)
    finally:
        assert sink.stop() == 0, sink.tail()
    assert history_rows(dsn, history_schema, "accounts", "id name email _unavailable_columns") \
        == [(1, "a1", None, []), (1, "a1", "one@example.com", []),  # email came with v2
            (1, "a1 late v1", None, ["email"])]
    assert column_types(dsn, history_schema, "accounts")["name"] == "text"
    assert halted(dsn, pg_schema)["accounts"] is not None
