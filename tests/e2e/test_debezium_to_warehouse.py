"""Debezium PostgreSQL → Kafka → sink → warehouse, on real engines, under faults.

After a seeded random workload quiesces, ``cdc verify`` must find the warehouse equal to
the source: live rows column by column, deleted rows present and marked deleted. The
seed is printed so that a failure replays exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from cdc_cli.main import main
from cdc_demo.load import Loader
from cdc_demo.measure import FLINK_DUPLICATES
from cdc_demo.pipeline import Pipeline
from cdc_demo.verify import VerifyReport
from cdc_demo.workload import Workload
from cdc_stack import LocalStack
from tests.e2e.convergence import assert_converged, begin, seeded
from tests.e2e.faults import Background, kill_and_restart_connect, topic_contains
from tests.integration.ops.promstack import Prometheus
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e
UNAVAILABLE = b"__debezium_unavailable_value"


# This file's pipelines converge within 240 s (the cluster tests allow convergence.py's 300).
WAIT_S = 240


def _begin(pipe: Pipeline, workload: Workload) -> Loader:
    return begin(pipe, workload, timeout_s=WAIT_S)


def _assert_converged(pipe: Pipeline, workload: Workload) -> VerifyReport:
    return assert_converged(pipe, workload, timeout_s=WAIT_S)


def test_converges_when_connect_and_sink_are_killed_mid_workload(
        e2e_stack: LocalStack, make_pipeline: Callable[..., Pipeline]) -> None:
    pipe = make_pipeline(through_flink=False)
    workload = seeded()
    loader = _begin(pipe, workload)
    load = Background(lambda: loader.run(changes=7000))
    load.start()
    wait_until(lambda: loader.stats.changes > 1500, 120, "workload progress")
    kill_and_restart_connect(e2e_stack)
    wait_until(lambda: loader.stats.changes > 3500, 120, "workload progress")
    assert pipe.sink is not None
    pipe.sink.kill9()
    pipe.start_sink()
    load.result()
    report = _assert_converged(pipe, workload)
    counts = {t.table: t for t in report.tables}
    assert counts["orders"].warehouse_deleted == len(workload.deleted["orders"]) > 0
    assert counts["order_items"].warehouse_deleted == len(workload.deleted["order_items"])


def test_untouched_toast_values_and_an_added_column_reach_the_warehouse(
        make_pipeline: Callable[..., Pipeline]) -> None:
    pipe = make_pipeline(through_flink=False)
    workload = seeded()
    loader = _begin(pipe, workload)
    loader.run(changes=800)
    with psycopg.connect(pipe.source_dsn, autocommit=True) as conn:
        description = _touch_price_only(conn, product=1)
        conn.execute("alter table customers add column loyalty_tier text null")
        conn.execute("update customers set loyalty_tier = 'gold' where id <= 5")
    loader.run(changes=400)  # more traffic after the DDL, mostly without the new column
    _assert_converged(pipe, workload)
    warehouse = _row(pipe, "products", 1)
    assert warehouse["description"] == description and len(description) > 2000
    assert [_row(pipe, "customers", i)["loyalty_tier"] for i in range(1, 7)] == [
        "gold"] * 5 + [None]
    raw_products = f"{pipe.names.topic_prefix}.public.products"
    assert topic_contains(pipe.endpoints.kafka_bootstrap, raw_products, UNAVAILABLE) > 0
    _operator_verify_catches_drift(pipe)


def _operator_verify_catches_drift(pipe: Pipeline) -> None:
    """``cdc verify`` as an operator runs it: 0 now, 1 once a warehouse value drifts."""
    argv = ["verify", "--source-dsn", pipe.source_dsn, "--warehouse-dsn",
            pipe.endpoints.postgres_dsn, "--warehouse-schema", pipe.names.target_schema]
    assert main(argv) == 0
    pipe.stop_services()  # nothing may repair the drift behind our back
    with psycopg.connect(pipe.endpoints.postgres_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("update {} set title = 'drifted' where id = 2").format(
            sql.Identifier(pipe.names.target_schema, "products")))
    assert main(argv) == 1


def _touch_price_only(conn: psycopg.Connection[Any], product: int) -> str:
    """Update a product three times without touching its TOASTed description."""
    for _ in range(3):
        conn.execute("update products set price = price + 1 where id = %s", (product,))
    row = conn.execute("select description from products where id = %s", (product,)).fetchone()
    assert row is not None
    return str(row[0])


def _row(pipe: Pipeline, table: str, key: int) -> dict[str, Any]:
    query = sql.SQL("select * from {} where id = %s").format(
        sql.Identifier(pipe.names.target_schema, table))
    with psycopg.connect(pipe.endpoints.postgres_dsn) as conn:
        cursor = conn.execute(query, (key,))
        row = cursor.fetchone()
        names = [d.name for d in cursor.description or ()]
    assert row is not None, f"{table} {key} not in the warehouse"
    return dict(zip(names, row, strict=True))


def test_converges_through_flink_when_the_job_is_killed_and_restored_from_checkpoint(
        e2e_stack: LocalStack, make_pipeline: Callable[..., Pipeline], tmp_path: Path) -> None:
    pipe = make_pipeline(through_flink=True)
    workload = seeded()
    loader = _begin(pipe, workload)
    load = Background(lambda: loader.run(changes=5000))
    load.start()
    wait_until(lambda: loader.stats.changes > 1500 and pipe.latest_checkpoint() is not None,
               180, "workload progress and a completed checkpoint")
    assert pipe.job is not None
    pipe.job.kill9()
    restore = pipe.latest_checkpoint()
    pipe.start_job(restore_from=restore)
    load.result()
    _assert_converged(pipe, workload)
    enriched = _count(pipe, "orders", "customer_segment is not null")
    assert 0 < enriched <= _count(pipe, "orders", "true")
    _assert_scraped_as_the_demo_shows_it(e2e_stack, pipe, tmp_path)


def _assert_scraped_as_the_demo_shows_it(stack: LocalStack, pipe: Pipeline,
                                         tmp_path: Path) -> None:
    """``cdc demo up``'s Prometheus: every target of the run is up, the restored job's own
    metrics arrive through Flink's reporter, and Connect's health through the exporter."""
    pipe.start_exporter()
    url = stack.start_prometheus(pipe.scrape_targets())
    prom = Prometheus(tmp_path, int(url.rsplit(":", 1)[1]))
    try:
        for job in ("cdc-sink", "cdc-lag-exporter", "flink"):
            wait_until(lambda job=job: _values(prom, f'up{{job="{job}"}}') == [1.0], 60,
                       f"Prometheus scraping {job}")
        wait_until(lambda: _values(prom, f'{FLINK_DUPLICATES}{{job="flink"}}') != [], 60,
                   "the job's cdc metrics scraped from Flink's reporter")
        up = f'cdc_connect_connector_up{{connector="{pipe.names.connector}"}}'
        wait_until(lambda: _values(prom, up) == [1.0], 60, "Connect's health via the exporter")
    finally:
        stack.stop_prometheus()


def _values(prom: Prometheus, expr: str) -> list[float]:
    return [float(series["value"][1]) for series in prom.query(expr)]


def _count(pipe: Pipeline, table: str, where: str) -> int:
    query = sql.SQL("select count(*) from {} where " + where).format(
        sql.Identifier(pipe.names.target_schema, table))
    with psycopg.connect(pipe.endpoints.postgres_dsn) as conn:
        row = conn.execute(query).fetchone()
    assert row is not None
    return int(row[0])
