"""Dates and timestamps as PostgreSQL input text, over PostgreSQL's whole range.

Python's ``datetime`` holds years 1 to 9999; PostgreSQL holds 4714-11-24 BC to 5874897 AD
(dates) and to 294276 AD (timestamps), plus ``infinity``/``-infinity``.  Values outside
Python's range are written here as text in PostgreSQL's own input syntax (``4713-11-24 BC``,
``10000-01-01 00:00:00.000000``), from integer arithmetic only, and PostgreSQL parses them
on COPY: exact for every value PostgreSQL can store.

Calendar: proleptic Gregorian with astronomical year numbering (year 0 is 1 BC), as
PostgreSQL, Debezium (``java.time``) and ISO 8601 count; PostgreSQL writes year ``y <= 0``
as ``1 - y`` BC.
"""

from __future__ import annotations

import re

DAY_US = 86_400_000_000
# PostgreSQL's range, as days and microseconds since 1970-01-01 (bounds included).
PG_DATE_MIN_DAYS = -2440588  # 4714-11-24 BC (Julian day 0)
PG_DATE_MAX_DAYS = 2145042905  # 5874897-12-31
PG_TIMESTAMP_MIN_US = PG_DATE_MIN_DAYS * DAY_US
PG_TIMESTAMP_MAX_US = 9224318016000000000 - 1  # 294276-12-31 23:59:59.999999

# ZonedTimestamp text (java.time's ISO format): a sign and more than four digits beyond
# year 9999, ``0000`` for 1 BC, ``-0001`` for 2 BC; up to nine fraction digits; ``Z`` or
# an offset.
_ISO_TIMESTAMP = re.compile(
    r"([+-]?)(\d{4,})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(\.\d{1,9})?"
    r"(Z|[+-]\d\d(?::?\d\d){0,2})"
)
_PG_MIN_YEAR, _PG_MAX_YEAR = -4713, 294276  # PostgreSQL checks the exact bounds itself
_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def civil(days: int) -> tuple[int, int, int]:
    """(astronomical year, month, day) of ``days`` since 1970-01-01 (H. Hinnant's
    ``civil_from_days``: exact for any integer, no floating point, no table)."""
    z = days + 719468  # days since 0000-03-01, the start of a 400-year era
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153  # month counted from March
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9
    return yoe + era * 400 + (month <= 2), month, day


def _year_era(year: int) -> tuple[int, str]:
    return (year, "") if year > 0 else (1 - year, " BC")


def date_text(days: int) -> str:
    """``days`` since 1970-01-01 as PostgreSQL date input, e.g. ``4713-11-24 BC``."""
    year, month, day = civil(days)
    shown, era = _year_era(year)
    return f"{shown:04d}-{month:02d}-{day:02d}{era}"


def timestamp_text(micros: int, zone: str = "") -> str:
    """``micros`` since 1970-01-01 00:00 as PostgreSQL timestamp input; ``zone`` (e.g.
    ``+00``) makes it a timestamptz instant."""
    days, of_day = divmod(micros, DAY_US)
    year, month, day = civil(days)
    seconds, fraction = divmod(of_day, 1_000_000)
    hours, rest = divmod(seconds, 3600)
    shown, era = _year_era(year)
    return (f"{shown:04d}-{month:02d}-{day:02d} {hours:02d}:{rest // 60:02d}:{rest % 60:02d}"
            f".{fraction:06d}{zone}{era}")


def iso_timestamp_text(iso: str) -> str | None:
    """An ISO-8601 instant (Debezium's ZonedTimestamp) as PostgreSQL timestamptz input, or
    None when it is not one (malformed, no offset, no such calendar day)."""
    match = _ISO_TIMESTAMP.fullmatch(iso)
    if match is None:
        return None
    sign, year_digits, month, day, hh, mm, ss, fraction, zone = match.groups()
    year = -int(year_digits) if sign == "-" else int(year_digits)
    in_range = _PG_MIN_YEAR <= year <= _PG_MAX_YEAR and _valid_day(year, int(month), int(day))
    if not in_range or int(hh) > 23 or int(mm) > 59 or int(ss) > 59:
        return None
    shown, era = _year_era(year)
    offset = "+00" if zone == "Z" else zone
    return f"{shown:04d}-{month}-{day} {hh}:{mm}:{ss}{fraction or ''}{offset}{era}"


def _valid_day(year: int, month: int, day: int) -> bool:
    if not 1 <= month <= 12:
        return False
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    return 1 <= day <= _DAYS_IN_MONTH[month - 1] + (month == 2 and leap)
