"""``cdc freshness`` against a real warehouse: the table it prints and its exit code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psycopg
import yaml
from psycopg import sql


def _run(config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cdc_cli.main", "freshness", "--config",
                           str(config)], capture_output=True, text=True, timeout=120,
                          check=False)


def test_freshness_reports_each_contract_and_fails_when_one_is_stale(
        postgres_dsn: str, pg_schema: str, tmp_path: Path) -> None:
    contracts = tmp_path / "contracts"
    contracts.mkdir()
    (contracts / "c.yaml").write_text(
        "- {table: public.orders, primary_key: [id], freshness_slo_s: 600}\n"
        "- {table: public.customers, primary_key: [id], freshness_slo_s: 60}\n"
        "- {table: public.products, primary_key: [id], freshness_slo_s: 60}\n")
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        for table, age in (("orders", "5 minutes"), ("customers", "2 hours")):
            ident = sql.Identifier(pg_schema, table)
            conn.execute(sql.SQL("create table {} (id int primary key, "
                                 "_source_updated_at timestamptz)").format(ident))
            conn.execute(sql.SQL("insert into {} values (1, now() - interval '1 day'), "
                                 "(2, now() - %s::interval)").format(ident), (age,))
    config = tmp_path / "sink.yaml"
    config.write_text(yaml.safe_dump({
        "kafka": {"bootstrap_servers": "unused:9092", "topics": ["t"]},
        "registry": {"url": "http://unused"},
        "postgres": {"dsn": postgres_dsn, "target_schema": pg_schema},
        "sink": {"contracts_dir": str(contracts)}}))

    done = _run(config)
    assert done.returncode == 1, done.stderr
    rows = {line.split()[0]: line.split() for line in done.stdout.splitlines()[1:]}
    assert rows["orders"][-1] == "FRESH" and rows["orders"][-2] == "600s"
    assert 299 <= int(rows["orders"][2].removesuffix("s")) < 600
    assert rows["customers"][-1] == "STALE"
    assert rows["products"][1:] == ["never", "-", "60s", "STALE"]

    (contracts / "c.yaml").write_text(
        "- {table: public.orders, primary_key: [id], freshness_slo_s: 600}\n")
    fresh = _run(config)
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr
    assert [line.split()[-1] for line in fresh.stdout.splitlines()[1:]] == ["FRESH"]
