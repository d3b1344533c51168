"""cdc_core.source_position: each Debezium connector's ``source`` block -> one ordered tuple.

The blocks follow the connectors' documented change-event examples.
"""

from __future__ import annotations

from typing import Any

import pytest

from cdc_core.envelope import parse_source
from cdc_core.errors import EnvelopeError
from cdc_core.source_position import source_order

BASE = {"version": "3.3.1.Final", "name": "server1", "ts_ms": 1559033904000, "snapshot": "false",
        "db": "inventory", "schema": "dbo", "table": "customers"}


def block(connector: str, **fields: Any) -> dict[str, Any]:
    return {**BASE, "connector": connector, **fields}


def test_postgresql_orders_by_lsn() -> None:
    pg = block("postgresql", txId=555, lsn=24023128, xmin=None,
               sequence='["24023119","24023128"]')
    assert source_order("postgresql", pg) == (24023128,)
    assert parse_source(pg).order == (24023128,)


@pytest.mark.parametrize("connector", ["mysql", "mariadb"])
def test_binlog_connectors_order_by_file_number_position_and_row(connector: str) -> None:
    first = block(connector, server_id=223344, gtid=None, file="mysql-bin.000003", pos=484,
                  row=0, thread=7)
    assert source_order(connector, first) == (3, 484, 0)
    same_event_next_row = {**first, "row": 1}
    next_file = {**first, "file": "mysql-bin.000004", "pos": 4}
    orders = [source_order(connector, b) for b in (first, same_event_next_row, next_file)]
    assert orders == sorted(orders)  # type: ignore[type-var]
    assert len(set(orders)) == 3


def test_sqlserver_orders_by_commit_lsn_change_lsn_and_serial() -> None:
    change = block("sqlserver", change_lsn="00000027:00000758:0003",
                   commit_lsn="00000027:00000758:0005", event_serial_no=1)
    assert source_order("sqlserver", change) == (0x27, 0x758, 5, 0x27, 0x758, 3, 1)
    snapshot = block("sqlserver", change_lsn=None, commit_lsn="00000027:00000700:0001",
                     snapshot="true")
    assert source_order("sqlserver", snapshot) == (0x27, 0x700, 1, 0, 0, 0, 0)
    assert source_order("sqlserver", snapshot) < source_order("sqlserver", change)  # type: ignore[operator]


def test_oracle_orders_by_commit_scn_then_scn_and_strings_are_numbers() -> None:
    change = block("oracle", txId="6.28.807", scn="2122185", commit_scn="2122187", ssn=3)
    assert source_order("oracle", change) == (2122187, 2122185, 3)
    snapshot = block("oracle", scn="2122100", commit_scn=None, snapshot="true")
    assert source_order("oracle", snapshot) == (2122100, 2122100, 0)


def test_mongodb_orders_by_oplog_time_and_ordinal() -> None:
    assert source_order("mongodb", block("mongodb", ts_ms=1558965508000, ord=31)) == (
        1558965508000, 31)


def test_unknown_connectors_have_no_order() -> None:
    assert source_order("db2x", block("db2x", change_lsn="1")) is None
    assert parse_source(block("cassandra")).order is None


@pytest.mark.parametrize(("connector", "fields"), [
    ("mysql", {"file": "binlog", "pos": 4}),
    ("sqlserver", {"commit_lsn": "27:758:5"}),
    ("oracle", {"scn": "21x"}),
    ("postgresql", {"lsn": -1}),
    ("mongodb", {"ord": True}),
])
def test_a_malformed_position_is_refused_not_guessed(connector: str,
                                                     fields: dict[str, Any]) -> None:
    with pytest.raises(EnvelopeError) as err:
        parse_source(block(connector, **fields))
    assert err.value.reason == "bad_source_field"
