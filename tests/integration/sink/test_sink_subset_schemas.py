"""The sink's rule for a writer schema that lacks a column or carries a narrower type
(``long`` -> ``int``): it is written, never halted — every value of it fits the applied
columns — and the warehouse is never narrowed or loses a column. A missing column keeps its
stored value on an update and is NULL on a new row, exactly as for an older writer schema,
which the sink cannot tell apart from a dropped column. The job's processed subjects are
where such a change is breaking (docs/design.md "Schema evolution")."""

from __future__ import annotations

from pathlib import Path

import psycopg

from tests.integration.kafkaclients import create_topics
from tests.integration.sink.harness import SinkProcess, Target, wait_converged, write_config
from tests.integration.sink.test_sink_evolution import NAME, rec, rows
from tests.stackfixtures import Services, unique
from tests.support.cdcgen import TableSpec, TopicWriter, produce_raw
from tests.support.registry import registry_client

WIDE = TableSpec("subset", ("id",), ({"name": "id", "type": "long"},
                                     {"name": "n", "type": ["null", "long"], "default": None},
                                     NAME), lambda _rng, key: dict(key))
NARROW = TableSpec("subset", ("id",), ({"name": "id", "type": "long"},
                                       {"name": "n", "type": ["null", "int"], "default": None}),
                   WIDE.make_row)


def test_a_dropped_column_and_a_narrowed_type_are_written_and_nothing_is_narrowed(
        services: Services, pg_schema: str, tmp_path: Path) -> None:
    topic = f"{unique('sub').replace('-', '')}.public.subset"
    create_topics(services.kafka_bootstrap, [topic])
    registry = registry_client(services.registry_url)
    wide = TopicWriter.register(registry, topic, WIDE, processed=True)
    at = Target(services.kafka_bootstrap, services.postgres_dsn, pg_schema, unique("sink"),
                (topic,))
    sink = SinkProcess(write_config(tmp_path / "sink.yaml", at, services.registry_url),
                       tmp_path / "sink.log").start()
    try:
        produce_raw(services.kafka_bootstrap, [rec(wide, WIDE, 101, id=1, n=2**40, name="a")])
        wait_converged(sink, at, timeout=90)
        registry.set_compatibility(f"{topic}-value", "NONE")  # the registry would refuse it
        narrow = TopicWriter.register(registry, topic, NARROW, processed=True)
        produce_raw(services.kafka_bootstrap, [rec(narrow, NARROW, 202, id=1, n=5),
                                               rec(narrow, NARROW, 203, id=2, n=7)])
        wait_converged(sink, at, timeout=90)
        assert sink.alive(), sink.tail()
    finally:
        assert sink.stop() == 0, sink.tail()
    assert rows(services.postgres_dsn, pg_schema, "subset", "n name") == {1: (5, "a"),
                                                                         2: (7, None)}
    with psycopg.connect(services.postgres_dsn) as conn:
        types = dict(conn.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = %s and table_name = 'subset'", (pg_schema,)).fetchall())
        halted = conn.execute(f'select halted_reason from "{pg_schema}"._cdc_schemas '
                              "where table_name = 'subset'").fetchone()
    assert types["n"] == "bigint" and types["name"] == "text"
    assert halted == (None,)
