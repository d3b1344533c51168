"""``cdc history prune``: whole month partitions older than the age are dropped, the rest
kept with their rows; a mistake in the command is one line and exit 2."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from cdc_cli.main import main
from cdc_sink import sqlbuild
from cdc_sink.history import History, HistoryPolicy
from cdc_sink.model import KafkaCoordinates, Position, SinkChange
from cdc_sink.writer import write_table
from tests.integration.sink.harness import Target, write_config
from tests.integration.sink.test_batch_cut_invariance import layout


def at_ms(year: int, month: int, day: int = 15) -> int:
    return int(datetime(year, month, day, tzinfo=UTC).timestamp() * 1000)


def change(n: int, ts_ms: int) -> SinkChange:
    return SinkChange("items", (n,), {"id": n, "a": f"v{n}"}, False, "c", f"e{n}",
                      Position(n, ts_ms), KafkaCoordinates("p.public.items", 0, n))


@pytest.fixture
def history(postgres_dsn: str, pg_schema: str) -> Iterator[History]:
    hist = History(f"{pg_schema}_h", HistoryPolicy(True, {}, {}), f"cdc_sink:{pg_schema}")
    yield hist
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("drop schema if exists {} cascade").format(
            sql.Identifier(hist.schema)))


def partitions(conn: psycopg.Connection[Any], schema: str) -> list[str]:
    rows = conn.execute("select c.relname from pg_inherits i join pg_class c on "
                        "c.oid = i.inhrelid join pg_namespace n on n.oid = c.relnamespace "
                        "where n.nspname = %s and c.relkind = 'r' order by 1", (schema,)).fetchall()
    return [r[0] for r in rows]


def test_prune_drops_whole_months_older_than_the_age_and_keeps_the_rest(
        postgres_dsn: str, pg_schema: str, history: History, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    now = datetime.now(UTC)
    changes = [change(1, at_ms(2025, 1)), change(2, at_ms(2025, 2)),
               change(3, int(now.timestamp() * 1000))]
    current = layout(pg_schema, "items")
    with psycopg.connect(postgres_dsn) as conn:
        conn.execute(sqlbuild.create_table(current))
        history.prepare(conn, current, changes)
        write_table(conn, current, changes)
        assert history.write(conn, current, changes).appended == 3
        conn.commit()
        assert partitions(conn, history.schema) == [
            "items__p202501", "items__p202502", f"items__p{now.year:04d}{now.month:02d}"]
    at = Target("127.0.0.1:9", postgres_dsn, pg_schema, "prune", ("p.public.items",))
    cfg = str(write_config(tmp_path / "sink.yaml", at, "http://127.0.0.1:9",
                           history={"target_schema": history.schema}))

    assert main(["history", "prune", "--older-than", "90d", "--config", cfg, "--dry-run"]) == 0
    assert "would drop 2 partition(s)" in capsys.readouterr().out
    assert main(["history", "prune", "--older-than", "90d", "--config", cfg]) == 0
    assert "dropped 2 partition(s)" in capsys.readouterr().out
    with psycopg.connect(postgres_dsn) as conn:
        assert partitions(conn, history.schema) == [f"items__p{now.year:04d}{now.month:02d}"]
        kept = conn.execute(sql.SQL("select _event_id from {}").format(
            sql.Identifier(history.schema, "items"))).fetchall()
        as_of = conn.execute(sql.SQL("select id from {}(now())").format(
            sql.Identifier(history.schema, "items__as_of"))).fetchall()
    assert kept == [("e3",)] and as_of == [(3,)]


@pytest.mark.parametrize("age", ["90", "90x", "0d"])
def test_a_bad_age_is_one_line_and_exit_2(age: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["history", "prune", "--older-than", age]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"cdc history prune: --older-than: {age!r} is not a positive age such as "
                   "90d or 12h"]
