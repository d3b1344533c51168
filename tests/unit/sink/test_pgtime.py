"""cdc_sink.pgtime: dates and timestamps as PostgreSQL input text, by integer arithmetic."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cdc_sink import pgtime

PY_MIN_DAYS = date.min.toordinal() - date(1970, 1, 1).toordinal()
PY_MAX_DAYS = date.max.toordinal() - date(1970, 1, 1).toordinal()


@given(st.integers(PY_MIN_DAYS, PY_MAX_DAYS))
def test_civil_agrees_with_python_where_python_holds_the_date(days: int) -> None:
    expected = date(1970, 1, 1) + timedelta(days=days)
    assert pgtime.civil(days) == (expected.year, expected.month, expected.day)
    assert pgtime.date_text(days) == expected.isoformat()


@given(st.integers(pgtime.PG_DATE_MIN_DAYS, pgtime.PG_DATE_MAX_DAYS - 1))
def test_consecutive_days_are_consecutive_calendar_days(days: int) -> None:
    y, m, d = pgtime.civil(days)
    ny, nm, nd = pgtime.civil(days + 1)
    assert (ny, nm, nd) == (y, m, d + 1) or (nd == 1 and (nm == m + 1 or (m, nm) == (12, 1)))
    assert ny in (y, y + 1)


@pytest.mark.parametrize(("days", "text"), [
    (-2440588, "4714-11-24 BC"),  # PostgreSQL's first date (Julian day 0)
    (-2440222, "4713-11-24 BC"),
    (-719163, "0001-12-31 BC"),
    (-719162, "0001-01-01"),
    (-719528, "0001-01-01 BC"),  # year 0 is 1 BC, a leap year
    (-719469, "0001-02-29 BC"),
    (0, "1970-01-01"),
    (2932897, "10000-01-01"),
    (2145042905, "5874897-12-31"),  # PostgreSQL's last date
])
def test_date_text_in_postgresql_syntax(days: int, text: str) -> None:
    assert pgtime.date_text(days) == text


@given(st.integers(-62135596800000000, 253402300799999999))
def test_timestamp_text_agrees_with_python_where_python_holds_it(micros: int) -> None:
    expected = datetime(1970, 1, 1) + timedelta(microseconds=micros)
    assert pgtime.timestamp_text(micros) == expected.isoformat(" ", "microseconds")
    assert pgtime.timestamp_text(micros, "+00") == expected.isoformat(" ", "microseconds") + "+00"


@pytest.mark.parametrize(("micros", "zone", "text"), [
    (-210866803200000000, "", "4714-11-24 00:00:00.000000 BC"),
    (-62135596800000001, "+00", "0001-12-31 23:59:59.999999+00 BC"),
    (pgtime.PG_TIMESTAMP_MAX_US, "", "294276-12-31 23:59:59.999999"),
])
def test_timestamp_text_in_postgresql_syntax(micros: int, zone: str, text: str) -> None:
    assert pgtime.timestamp_text(micros, zone) == text


@pytest.mark.parametrize(("iso", "text"), [
    ("0000-01-01T00:00:00.000000Z", "0001-01-01 00:00:00.000000+00 BC"),
    ("-0001-12-31T23:59:59Z", "0002-12-31 23:59:59+00 BC"),
    ("+294276-12-31T23:59:59.999999Z", "294276-12-31 23:59:59.999999+00"),
    ("+10000-01-01T00:00:00+05:30", "10000-01-01 00:00:00+05:30"),
    ("2024-02-29T01:02:03.5-03:25:12", "2024-02-29 01:02:03.5-03:25:12"),
])
def test_iso_timestamp_text(iso: str, text: str) -> None:
    assert pgtime.iso_timestamp_text(iso) == text


@pytest.mark.parametrize("iso", [
    "2023-02-29T00:00:00Z",  # no leap year
    "1900-02-29T00:00:00Z",  # century, no leap year
    "2024-13-01T00:00:00Z", "2024-00-01T00:00:00Z", "2024-01-32T00:00:00Z",
    "2024-01-01T24:00:00Z", "2024-01-01T00:60:00Z", "2024-01-01T00:00:60Z",
    "2024-01-01T00:00:00",  # no offset: not an instant
    "-4714-01-01T00:00:00Z", "+294277-01-01T00:00:00Z",  # outside PostgreSQL's years
    "infinity", "", "2024-01-01T00:00:00Z; drop table x",
    "2024-01-01T00:00:00.1234567890Z",
])
def test_iso_timestamp_text_refuses(iso: str) -> None:
    assert pgtime.iso_timestamp_text(iso) is None
