"""Warehouse names through the running sink: names past PostgreSQL's 63 bytes stay apart
(tables and columns), and one table name in two source schemas is refused under the
default naming (dead letters with table_name_clash, a log line naming both) or kept apart
under ``schema_table`` — never merged."""

from __future__ import annotations

from pathlib import Path

from cdc_sink.naming import identifier
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
from tests.support.cdcgen import TableSpec, TopicWriter, produce_raw
from tests.support.registry import registry_client

LONG = "l" * 60
WIDE = TableSpec("wide", ("id",), ({"name": "id", "type": "long"},
                                   {"name": LONG + "_first", "type": ["null", "string"],
                                    "default": None},
                                   {"name": LONG + "_second", "type": ["null", "string"],
                                    "default": None}),
                 lambda _rng, key: dict(key))


def _spec(table: str) -> TableSpec:
    return TableSpec(table, ("id",), ({"name": "id", "type": "long"}, NAME),
                     lambda _rng, key: dict(key))


class _Run:
    def __init__(self, services: Services, pg_schema: str, tmp_path: Path,
                 topics: list[str], **sink: object) -> None:
        self.services, self.registry = services, registry_client(services.registry_url)
        create_topics(services.kafka_bootstrap, topics)
        self.at = Target(services.kafka_bootstrap, services.postgres_dsn, pg_schema,
                         unique("sink"), tuple(topics))
        self.sink = SinkProcess(write_config(tmp_path / "sink.yaml", self.at,
                                             services.registry_url, **sink),
                                tmp_path / "sink.log").start()

    def writer(self, topic: str, spec: TableSpec) -> TopicWriter:
        return TopicWriter.register(self.registry, topic, spec, processed=True)

    def step(self, records: list[Record]) -> list[tuple[str, int]]:
        delivered = produce_raw(self.services.kafka_bootstrap, records)
        wait_converged(self.sink, self.at, timeout=90)
        return [(d.topic, d.offset) for d in delivered]

    def stop(self) -> None:
        assert self.sink.alive(), self.sink.tail()
        assert self.sink.stop() == 0, self.sink.tail()


def test_long_names_stay_apart_and_a_second_source_schema_is_refused(
        services: Services, pg_schema: str, tmp_path: Path) -> None:
    prefix = unique("nm").replace("-", "")
    long_a, long_b = f"{LONG}_table_a", f"{LONG}_table_b"
    topics = [f"{prefix}.s_one.same_name", f"{prefix}.s_two.same_name",
              f"{prefix}.public.{long_a}", f"{prefix}.public.{long_b}", f"{prefix}.public.wide"]
    run = _Run(services, pg_schema, tmp_path, topics)
    one, two = (run.writer(t, _spec("same_name")) for t in topics[:2])
    ta, tb = run.writer(topics[2], _spec(long_a)), run.writer(topics[3], _spec(long_b))
    wide = run.writer(topics[4], WIDE)
    try:
        run.step([rec(one, _spec("same_name"), 101, id=1, name="from s_one"),
                  rec(ta, _spec(long_a), 101, id=1, name="a"),
                  rec(tb, _spec(long_b), 101, id=1, name="b"),
                  rec(wide, WIDE, 101, id=1, **{LONG + "_first": "x", LONG + "_second": "y"})])
        refused = run.step([rec(two, _spec("same_name"), 201, id=1, name="from s_two"),
                            rec(two, _spec("same_name"), 203, id=2, name="from s_two")])
        run.step([rec(one, _spec("same_name"), 301, id=3, name="s_one again")])
    finally:
        run.stop()
    dsn = services.postgres_dsn
    assert rows(dsn, pg_schema, "same_name", "name") == {1: ("from s_one",),
                                                         3: ("s_one again",)}
    assert rows(dsn, pg_schema, identifier(long_a), "name") == {1: ("a",)}
    assert rows(dsn, pg_schema, identifier(long_b), "name") == {1: ("b",)}
    assert identifier(long_a) != identifier(long_b)
    columns = f"{identifier(LONG + '_first')} {identifier(LONG + '_second')}"
    assert rows(dsn, pg_schema, "wide", columns) == {1: ("x", "y")}
    reasons = dlq_reasons(services.kafka_bootstrap, f"dlq-{run.at.group}")
    assert reasons == {r: "table_name_clash" for r in refused}
    log = run.sink.log.read_text()
    assert "REFUSED s_two.same_name" in log and "already holds s_one.same_name" in log


def test_schema_table_naming_keeps_two_source_schemas_apart(
        services: Services, pg_schema: str, tmp_path: Path) -> None:
    prefix = unique("nm").replace("-", "")
    topics = [f"{prefix}.s_one.same_name", f"{prefix}.s_two.same_name"]
    run = _Run(services, pg_schema, tmp_path, topics, table_naming="schema_table")
    one, two = (run.writer(t, _spec("same_name")) for t in topics)
    try:
        run.step([rec(one, _spec("same_name"), 101, id=1, name="one"),
                  rec(two, _spec("same_name"), 101, id=1, name="two")])
    finally:
        run.stop()
    dsn = services.postgres_dsn
    assert rows(dsn, pg_schema, "s_one_same_name", "name") == {1: ("one",)}
    assert rows(dsn, pg_schema, "s_two_same_name", "name") == {1: ("two",)}
