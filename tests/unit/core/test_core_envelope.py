import copy
from typing import Any

import debezium_samples as ds
import pytest

from cdc_core.envelope import (
    UNAVAILABLE_VALUE,
    normalise_snapshot,
    parse_envelope,
    unavailable_columns,
)
from cdc_core.errors import EnvelopeError


def test_insert() -> None:
    event = parse_envelope(ds.KEY, ds.INSERT)
    assert event.op == "c"
    assert event.key == {"id": 42}
    assert event.before is None
    assert event.row == ds.row()
    assert not event.is_delete
    assert event.ts_ms == 1_732_440_000_250
    src = event.source
    assert (src.connector, src.db, src.schema, src.table) == (
        "postgresql",
        "shop",
        "public",
        "orders",
    )
    assert (src.ts_ms, src.lsn, src.txid, src.snapshot) == (
        1_732_440_000_000,
        24_023_128,
        771,
        "false",
    )
    assert src.qualified_table == "public.orders"


def test_update_row_is_after() -> None:
    event = parse_envelope(ds.KEY, ds.UPDATE)
    assert event.row["status"] == "paid"
    assert event.before is not None
    assert event.before["status"] == "new"


def test_delete_row_is_before() -> None:
    event = parse_envelope(ds.KEY, ds.DELETE)
    assert event.is_delete
    assert event.after is None
    assert event.row["id"] == 42


def test_delete_without_before_uses_key() -> None:
    value = dict(ds.DELETE, before=None)
    event = parse_envelope(ds.KEY, value)
    assert event.before == {"id": 42}
    assert event.row == {"id": 42}


def test_snapshot_read() -> None:
    event = parse_envelope(ds.KEY, ds.SNAPSHOT)
    assert event.op == "r"
    assert event.source.snapshot == "last"
    assert event.source.txid is None


def test_truncate_is_represented_and_marked() -> None:
    event = parse_envelope(None, ds.TRUNCATE)
    assert event.is_truncate
    assert event.key == {}
    assert event.row == {}


@pytest.mark.parametrize(
    ("flag", "expected"),
    [
        (True, "true"),
        (False, "false"),
        ("true", "true"),
        ("LAST", "last"),
        ("incremental", "incremental"),
        (None, None),
    ],
)
def test_snapshot_normalised(flag: Any, expected: str | None) -> None:
    assert normalise_snapshot(flag) == expected
    value = ds.envelope("r", None, ds.row(), snapshot=flag)
    assert parse_envelope(ds.KEY, value).source.snapshot == expected


def broken(path: str, new: Any) -> dict[str, Any]:
    value = copy.deepcopy(ds.UPDATE)
    *parents, leaf = path.split(".")
    target = value
    for name in parents:
        target = target[name]
    if new is KeyError:
        del target[leaf]
    else:
        target[leaf] = new
    return value


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (broken("op", "x"), "bad_op"),
        (broken("op", None), "bad_op"),
        (broken("source", None), "missing_source"),
        (broken("source", "public.orders"), "missing_source"),
        (broken("source.table", KeyError), "missing_source"),
        (broken("source.schema", None), "missing_source"),
        (broken("source.ts_ms", None), "missing_source"),
        (broken("source.ts_ms", "yesterday"), "bad_source_field"),
        (broken("source.ts_ms", True), "bad_source_field"),
        (broken("source.lsn", "0/16B3748"), "bad_source_field"),
        (broken("after", None), "missing_after"),
        (broken("after", [1, 2]), "missing_after"),
        (dict(ds.INSERT, after=None), "missing_after"),
        (dict(ds.SNAPSHOT, after=None), "missing_after"),
    ],
)
def test_envelope_rules(value: dict[str, Any], reason: str) -> None:
    with pytest.raises(EnvelopeError) as info:
        parse_envelope(ds.KEY, value)
    assert info.value.reason == reason
    assert info.value.stage == "validate"


def test_delete_without_before_and_key() -> None:
    with pytest.raises(EnvelopeError) as info:
        parse_envelope(None, dict(ds.DELETE, before=None))
    assert info.value.reason == "missing_before"


@pytest.mark.parametrize("key", [None, {}])
def test_missing_key(key: dict[str, Any] | None) -> None:
    with pytest.raises(EnvelopeError) as info:
        parse_envelope(key, ds.INSERT)
    assert info.value.reason == "missing_key"


def test_null_key_field_is_named() -> None:
    with pytest.raises(EnvelopeError, match="tenant") as info:
        parse_envelope({"id": 42, "tenant": None}, ds.INSERT)
    assert info.value.reason == "missing_key_field"


def test_event_owns_its_dicts() -> None:
    key = dict(ds.KEY)
    value = copy.deepcopy(ds.INSERT)
    event = parse_envelope(key, value)
    key["id"] = 1
    value["after"]["status"] = "changed"
    assert event.key == {"id": 42}
    assert event.row["status"] == "paid"


def test_unavailable_columns() -> None:
    row = ds.row(meta=UNAVAILABLE_VALUE)
    row["blob"] = UNAVAILABLE_VALUE.encode()
    assert unavailable_columns(row) == {"meta", "blob"}
    assert unavailable_columns(ds.row()) == frozenset()
