"""The sink service as a process against real Kafka, registry and PostgreSQL."""

from __future__ import annotations

import random
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from tests.integration.sink.harness import (
    SinkProcess,
    Target,
    produce_killing,
    run_to_convergence,
    wait_converged,
    write_config,
)
from tests.integration.sink.warehouse import assert_matches_model, checksum
from tests.stackfixtures import Services, unique
from tests.support.cdcgen import (
    TABLES,
    TopicWriter,
    Workload,
    mixed_writers,
    perturb,
    produce,
)


@pytest.fixture
def prefix() -> str:
    return unique("cdc").replace("-", "")


def _target(services: Services, schema: str, writers: dict[str, TopicWriter],
            group: str | None = None) -> Target:
    return Target(services.kafka_bootstrap, services.postgres_dsn, schema,
                  group or unique("sink"), tuple(w.topic for w in writers.values()))


def test_reference_model_then_replay_with_new_group_is_byte_identical(
        services: Services, pg_schema: str, prefix: str, tmp_path: Path) -> None:
    writers = mixed_writers(services.registry_url, prefix)
    workload = Workload(seed=7)
    produce(services.kafka_bootstrap, writers,
            perturb(workload.events(3000), random.Random(7)))

    run_to_convergence(tmp_path, _target(services, pg_schema, writers), services.registry_url)
    assert_matches_model(services.postgres_dsn, pg_schema, workload)
    before = {s.table: checksum(services.postgres_dsn, pg_schema, s.table) for s in TABLES}

    # Same topics from offset 0 with a new group: every change is an equal-position no-op.
    run_to_convergence(tmp_path, _target(services, pg_schema, writers), services.registry_url)
    after = {s.table: checksum(services.postgres_dsn, pg_schema, s.table) for s in TABLES}
    assert after == before


AUDIT = """
create table {audit} (tbl text, key text, event_id text);
create function {fn}() returns trigger language plpgsql as $$
begin
  insert into {audit} values (TG_TABLE_NAME, row_to_json(new)::jsonb ->> 'id', new._event_id);
  return new;
end $$;
"""


def _install_audit(dsn: str, schema: str) -> None:
    audit, fn = sql.Identifier(schema, "audit"), sql.Identifier(schema, "audit_fn")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql.SQL(AUDIT).format(audit=audit, fn=fn))
        for spec in TABLES:
            conn.execute(sql.SQL("create trigger audit after insert or update on {} for each "
                                 "row execute function {}()").format(
                sql.Identifier(schema, spec.table), fn))


def test_kill_9_at_random_moments_converges_with_no_change_applied_twice(
        services: Services, pg_schema: str, prefix: str, tmp_path: Path) -> None:
    writers = mixed_writers(services.registry_url, prefix)
    workload = Workload(seed=11)
    rng = random.Random(11)
    at = _target(services, pg_schema, writers)
    cfg = write_config(tmp_path / "sink.yaml", at, services.registry_url, batch_max_rows=200)
    # A first clean pass creates the tables; then an audit trigger records every row write.
    produce(services.kafka_bootstrap, writers, workload.events(600))
    sink = SinkProcess(cfg, tmp_path / "sink.log").start()
    wait_converged(sink, at)
    assert sink.stop() == 0
    _install_audit(services.postgres_dsn, pg_schema)

    sink.start()
    assert produce_killing(sink, at, writers, perturb(workload.events(6000), rng), rng) >= 5
    assert_matches_model(services.postgres_dsn, pg_schema, workload)
    with psycopg.connect(services.postgres_dsn) as conn:
        twice = conn.execute(sql.SQL(
            "select tbl, key, event_id, count(*) from {} group by 1, 2, 3 having count(*) > 1"
        ).format(sql.Identifier(pg_schema, "audit"))).fetchall()
        writes = conn.execute(sql.SQL("select count(*) from {}").format(
            sql.Identifier(pg_schema, "audit"))).fetchone()
    assert twice == []
    assert writes is not None and writes[0] > 1000  # the audit really saw the workload
