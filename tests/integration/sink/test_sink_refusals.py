"""PostgreSQL's refusals through the running sink: a value refused for good (a jsonb nested
100,000 deep: 54001) goes to the DLQ and the rest of its batch commits; a table PostgreSQL
refuses (a column dropped by hand: 42703) halts alone. The sink never stops or restarts.
With a change history the same holds, one dead letter per record, whether the column is
dropped from the current table or from its history table (then neither is written).
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from tests.integration.kafkaclients import create_topics
from tests.integration.sink.harness import (
    SinkProcess,
    Target,
    dlq_reasons,
    wait_converged,
    write_config,
)
from tests.integration.sink.test_sink_evolution import NAME, Record, rec, rows
from tests.stackfixtures import Services, unique
from tests.support.cdcgen import JSON, TableSpec, TopicWriter, produce_raw
from tests.support.registry import registry_client

DEPTH = 100_000
DOCS = TableSpec("docs", ("id",), ({"name": "id", "type": "long"},
                                   {"name": "doc", "type": ["null", JSON], "default": None}),
                 lambda _rng, key: dict(key))
PEOPLE = TableSpec("people", ("id",), ({"name": "id", "type": "long"}, NAME),
                   lambda _rng, key: dict(key))


@pytest.mark.parametrize("dropped_in", [None, "current", "history"],
                         ids=["no-history", "history-current-refused", "history-refused"])
def test_refused_values_and_tables_are_contained_and_the_sink_goes_on(
        services: Services, pg_schema: str, tmp_path: Path, dropped_in: str | None) -> None:
    registry = registry_client(services.registry_url)
    prefix = unique("ref").replace("-", "")
    topics = (f"{prefix}.public.docs", f"{prefix}.public.people")
    create_topics(services.kafka_bootstrap, list(topics))
    docs = TopicWriter.register(registry, topics[0], DOCS, processed=True)
    people = TopicWriter.register(registry, topics[1], PEOPLE, processed=True)
    dsn = services.postgres_dsn
    at = Target(services.kafka_bootstrap, dsn, pg_schema, unique("sink"), topics)
    hist = f"{pg_schema}_h"
    history = {} if dropped_in is None else {"history": {"default": True,
                                                         "target_schema": hist}}
    sink = SinkProcess(write_config(tmp_path / "sink.yaml", at, services.registry_url,
                                    **history), tmp_path / "sink.log").start()

    def step(records: list[Record]) -> list[tuple[str, int]]:
        delivered = produce_raw(services.kafka_bootstrap, records)
        wait_converged(sink, at, timeout=90)
        return [(d.topic, d.offset) for d in delivered]

    try:
        step([rec(people, PEOPLE, 101, id=1, name="p1")])
        pid = sink.proc.pid if sink.proc else None
        deep = "[" * DEPTH + "]" * DEPTH
        doc_offsets = step([rec(docs, DOCS, 201 + 2 * i, id=i,
                                doc=deep if i == 3 else f'{{"n": {i}}}') for i in range(1, 6)])
        with psycopg.connect(dsn, autocommit=True) as conn:  # by hand, behind the sink's back
            conn.execute(sql.SQL("alter table {} drop column name cascade").format(
                sql.Identifier(hist if dropped_in == "history" else pg_schema, "people")))
        refused = step([rec(people, PEOPLE, 301, id=2, name="p2"),
                        rec(people, PEOPLE, 303, id=1, name="p1 again")])
        later = step([rec(people, PEOPLE, 305, id=3, name="p3"),
                      rec(docs, DOCS, 307, id=6, doc='{"n": 6}')])
        assert sink.alive() and sink.proc is not None and sink.proc.pid == pid, sink.tail()
    finally:
        code = sink.stop()
    assert code == 0, sink.tail()
    assert sorted(rows(dsn, pg_schema, "docs", "doc")) == [1, 2, 4, 5, 6]
    assert rows(dsn, pg_schema, "people", "id") == {1: (1,)}  # nothing after the refusal
    reasons = dlq_reasons(services.kafka_bootstrap, f"dlq-{at.group}")
    assert reasons == {doc_offsets[2]: "value_rejected_54001",
                       refused[0]: "schema_rejected_42703", refused[1]: "schema_rejected_42703",
                       later[0]: "schema_rejected_42703"}, sink.tail()
    assert "HALTED table people" in sink.log.read_text()
    if dropped_in is not None:
        assert sorted(rows(dsn, hist, "docs", "doc")) == [1, 2, 4, 5, 6]
        assert rows(dsn, hist, "people", "id") == {1: (1,)}
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("drop schema {} cascade").format(sql.Identifier(hist)))
