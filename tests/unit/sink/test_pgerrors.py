"""SQLSTATE classes: what each PostgreSQL refusal means for the sink."""

from __future__ import annotations

import psycopg
import pytest

from cdc_sink import pgerrors


@pytest.mark.parametrize(("state", "expected"), [
    ("08006", "transient"), ("08001", "transient"), ("40001", "transient"),
    ("40P01", "transient"), ("55P03", "transient"), ("57P01", "transient"),
    ("57P02", "transient"), ("57P03", "transient"), ("53300", "transient"),
    ("53100", "transient"), ("57014", "transient"), ("58030", "transient"),
    ("22003", "data"), ("22P02", "data"), ("23502", "data"), ("23505", "data"),
    ("54001", "data"), ("54000", "data"),
    ("42703", "schema"), ("42804", "schema"), ("42701", "schema"), ("42501", "schema"),
    ("0A000", "schema"),
    ("XX000", "fatal"), ("25P02", "fatal"), ("P0001", "fatal"),
])
def test_each_sqlstate_has_one_class(state: str, expected: str) -> None:
    assert pgerrors.of_sqlstate(state) == expected
    exc = psycopg.errors.lookup(state)("refused")
    assert pgerrors.classify(exc) == expected


def test_client_side_connection_errors_are_transient_and_others_fatal() -> None:
    assert pgerrors.classify(psycopg.OperationalError("server closed the connection")) \
        == "transient"
    assert pgerrors.classify(psycopg.InterfaceError("the connection is closed")) == "transient"
    assert pgerrors.classify(psycopg.ProgrammingError("no sqlstate")) == "fatal"
    assert pgerrors.classify(ValueError("not PostgreSQL's")) == "fatal"
