import datetime as dt
import subprocess
import sys
import uuid
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import debezium_samples as ds
import pytest

from cdc_core.envelope import ChangeEvent, parse_envelope, parse_source
from cdc_core.event_id import canonical, canonical_key, event_id, header_event_id

UPDATE = parse_envelope(ds.KEY, ds.UPDATE)


def test_same_change_same_id() -> None:
    again = parse_envelope({"id": 42}, ds.UPDATE)
    assert event_id(UPDATE) == event_id(again)
    assert len(event_id(UPDATE)) == 32
    int(event_id(UPDATE), 16)


@pytest.mark.parametrize(
    "other",
    [
        replace(UPDATE, op="c"),
        replace(UPDATE, key={"id": 43}),
        replace(UPDATE, source=replace(UPDATE.source, lsn=UPDATE.source.lsn + 1)),
        replace(UPDATE, source=replace(UPDATE.source, table="orders_archive")),
        replace(UPDATE, source=replace(UPDATE.source, db="shop_eu")),
        replace(UPDATE, source=replace(UPDATE.source, connector="mysql")),
    ],
)
def test_different_change_different_id(other: ChangeEvent) -> None:
    assert event_id(other) != event_id(UPDATE)


def test_row_content_does_not_matter_when_lsn_known() -> None:
    assert event_id(replace(UPDATE, after=ds.row(status="x"))) == event_id(UPDATE)


def test_key_field_order_is_irrelevant() -> None:
    a = replace(UPDATE, key={"tenant": "eu", "id": 42})
    b = replace(UPDATE, key={"id": 42, "tenant": "eu"})
    assert event_id(a) == event_id(b)


def test_fallback_without_lsn_uses_ts_txid_and_row() -> None:
    no_lsn = replace(UPDATE, source=replace(UPDATE.source, lsn=None, order=None))
    assert event_id(no_lsn) == event_id(replace(no_lsn))
    assert event_id(no_lsn) != event_id(UPDATE)
    # two updates of one row in one transaction: same ts_ms and txid, different images
    assert event_id(no_lsn) != event_id(replace(no_lsn, after=ds.row(status="shipped")))
    assert event_id(no_lsn) != event_id(replace(no_lsn, source=replace(no_lsn.source, txid=772)))


def test_header_wins() -> None:
    assert event_id(UPDATE, "src-123") == "src-123"
    assert event_id(UPDATE, "") == event_id(UPDATE)
    assert event_id(UPDATE, "  ") == event_id(UPDATE)


def test_header_event_id() -> None:
    assert header_event_id([("traceparent", b"x"), ("event_id", b"abc")]) == "abc"
    assert header_event_id([("event_id", "abc")]) == "abc"
    assert header_event_id([("event_id", None)]) is None
    assert header_event_id(None) is None


def test_canonical_values() -> None:
    key = {
        "amount": Decimal("12.50"),
        "blob": b"\x00\xff",
        "at": dt.datetime(2024, 11, 24, 9, 0, tzinfo=dt.UTC),
        "day": dt.date(2024, 11, 24),
        "uid": uuid.UUID(int=1),
        "n": 1,
        "flag": True,
        "ratio": 0.5,
    }
    assert canonical_key(key) == [
        ["amount", "12.50"],
        ["at", "2024-11-24T09:00:00+00:00"],
        ["blob", "00ff"],
        ["day", "2024-11-24"],
        ["flag", True],
        ["n", 1],
        ["ratio", "0.5"],
        ["uid", "00000000-0000-0000-0000-000000000001"],
    ]
    assert canonical({"b": [1, b"\x01"], "a": None}) == {"a": None, "b": [1, "01"]}


def test_uncanonicalisable_value_is_refused() -> None:
    with pytest.raises(TypeError, match="object"):
        canonical(object())


def test_deterministic_across_processes() -> None:
    """Python's hash() is salted per process; the id must not depend on it."""
    here = Path(__file__).parent
    code = (
        "import debezium_samples as ds;"
        "from cdc_core.envelope import parse_envelope;"
        "from cdc_core.event_id import event_id;"
        "print(event_id(parse_envelope(ds.KEY, ds.UPDATE)))"
    )
    ids = {
        subprocess.run(
            [sys.executable, "-c", code],
            check=True,
            capture_output=True,
            text=True,
            cwd=here,
            env={"PYTHONHASHSEED": seed},
        ).stdout.strip()
        for seed in ("1", "2")
    }
    assert ids == {event_id(UPDATE)}


def test_other_connectors_use_their_source_position_not_the_row_image() -> None:
    mysql = parse_source({"connector": "mysql", "db": "inventory", "schema": "inventory",
                          "table": "orders", "ts_ms": 1732440000000, "file": "mysql-bin.000003",
                          "pos": 154, "row": 0})
    event = replace(UPDATE, source=mysql)
    # the same image at another binlog position is another change (x=1 -> 2 -> 1 -> 2)
    later = replace(event, source=replace(mysql, order=(3, 154, 1)))
    assert event_id(event) != event_id(later)
    assert event_id(event) == event_id(replace(event, after=ds.row(status="other")))
