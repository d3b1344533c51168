"""Table freshness against each contract's SLO: ``cdc freshness`` and the same as metrics.

Last updated = the newest ``_source_updated_at`` (the source commit time the sink stores on
every row, deletes included) in ``<target_schema>.<table>``; staleness = now - that. It is read
from the warehouse itself, so it is right after a sink restart and while the sink is down —
the sink's own ``cdc_table_staleness_seconds`` only knows tables it has written since it
started. A table with an SLO is STALE when it is older than the SLO or was never loaded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
from prometheus_client import CollectorRegistry, Gauge
from psycopg import sql

from cdc_core.contracts import TableContract
from cdc_core.pgconnect import connect
from cdc_sink.app import load_contracts
from cdc_sink.config import SinkConfig

FRESH, STALE, NO_SLO = "FRESH", "STALE", "-"


def warehouse_table(contract_table: str) -> str:
    """``public.orders`` -> ``orders``: the sink names warehouse tables by source table."""
    return contract_table.rsplit(".", maxsplit=1)[-1]


@dataclass(frozen=True)
class Freshness:
    table: str  # the warehouse table name (as the sink's metric labels it)
    last_updated: datetime | None
    staleness_s: float | None
    slo_s: float | None

    @property
    def status(self) -> str:
        if self.slo_s is None:
            return NO_SLO
        if self.staleness_s is None or self.staleness_s > self.slo_s:
            return STALE
        return FRESH


def assess(contracts: Mapping[str, TableContract], last: Mapping[str, datetime | None],
           now: datetime) -> list[Freshness]:
    """One row per contract, sorted by table; pure (``now`` is given)."""
    rows = []
    for contract in contracts.values():
        table = warehouse_table(contract.table)
        updated = last.get(table)
        staleness = max((now - updated).total_seconds(), 0.0) if updated else None
        rows.append(Freshness(table, updated, staleness, contract.freshness_slo_s))
    return sorted(rows, key=lambda row: row.table)


def any_stale(rows: list[Freshness]) -> bool:
    return any(row.status == STALE for row in rows)


def _cells(row: Freshness) -> tuple[str, ...]:
    updated = row.last_updated.isoformat(timespec="seconds") if row.last_updated else "never"
    staleness = f"{row.staleness_s:.0f}s" if row.staleness_s is not None else "-"
    slo = f"{row.slo_s:.0f}s" if row.slo_s is not None else "-"
    return row.table, updated, staleness, slo, row.status


def render(rows: list[Freshness]) -> str:
    """A fixed-width text table, one line per contract."""
    lines = [("TABLE", "LAST UPDATED", "STALENESS", "SLO", "STATUS"), *map(_cells, rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(5)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip()
                     for line in lines)


def read_last_updated(conninfo: str, schema: str, tables: list[str], column: str
                      ) -> dict[str, datetime | None]:
    """Newest ``column`` per warehouse table; None for an empty or missing table."""
    found: dict[str, datetime | None] = {}
    with connect(conninfo, what="warehouse", autocommit=True) as conn:
        for table in tables:
            found[table] = _newest(conn, schema, table, column)
    return found


def _newest(conn: psycopg.Connection[Any], schema: str, table: str, column: str
            ) -> datetime | None:
    query = sql.SQL("select max({}) from {}").format(sql.Identifier(column),
                                                     sql.Identifier(schema, table))
    try:
        row = conn.execute(query).fetchone()
    except psycopg.errors.UndefinedTable:
        return None
    return row[0] if row else None


def check(config: SinkConfig) -> list[Freshness]:
    """Freshness of every contract of a sink, from that sink's own configuration."""
    contracts = load_contracts(config.sink.contracts_dir)
    tables = [warehouse_table(c.table) for c in contracts.values()]
    last = read_last_updated(config.postgres.conninfo(), config.postgres.target_schema, tables,
                             config.sink.meta_columns.source_updated_at)
    return assess(contracts, last, datetime.now(UTC))


class FreshnessMetrics:
    """The sink's staleness/SLO metric names, plus the stale verdict as a gauge."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.staleness = Gauge("cdc_table_staleness_seconds",
                               "Seconds since the table last received a change",
                               ["table"], registry=registry)
        self.slo = Gauge("cdc_table_freshness_slo_seconds", "The table's freshness SLO",
                         ["table"], registry=registry)
        self.stale = Gauge("cdc_table_stale", "1 while the table is past its freshness SLO",
                           ["table"], registry=registry)

    def publish(self, rows: list[Freshness]) -> None:
        """Never-loaded tables get no staleness series: ``cdc_table_stale`` says it."""
        for row in rows:
            if row.staleness_s is not None:
                self.staleness.labels(row.table).set(row.staleness_s)
            if row.slo_s is not None:
                self.slo.labels(row.table).set(row.slo_s)
            self.stale.labels(row.table).set(1 if row.status == STALE else 0)
