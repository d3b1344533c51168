"""Decoded Avro values -> what psycopg 3 writes with COPY, per warehouse column type.

``to_pg`` turns a fastavro ``schemaless_reader`` value into the Python value psycopg adapts
for the column ``typemap.pg_type`` chose (see typemap's docstring for why each type maps as
it does).  A value the column cannot hold comes back as a ``typemap.Unfit``, never raised,
so the decoder can dead-letter the record instead of failing the batch.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from cdc_sink import pgtime
from cdc_sink.typemap import LONG_MAX, LONG_MIN, JsonText, PgText, PgType, Unfit, is_unavailable

# Debezium's infinities.  Timestamps: pgjdbc's PGStatement.DATE_POSITIVE/NEGATIVE_INFINITY
# read as epoch units (or Long.MIN/MAX).  Dates (epoch days, Debezium 2.x/3.x): streamed
# values are the LocalDates -5877611-06-21 (infinity) and -5877611-06-22 (-infinity);
# snapshot values come from pgjdbc's infinite java.sql.Date through an int cast, which
# depends on the JVM's zone by a day, hence the one-day windows.  All lie outside
# PostgreSQL's range, so none is a real date.
_TS_INFINITY = 9223372036825200000
_TS_NEG_INFINITY = -9223372036832400000
_DATE_INFINITY = (-2147472692, -622191235, -622191234, -622191233, 2**31 - 1)
_DATE_NEG_INFINITY = (-2147472691, -625821273, -625821272, -625821271, -(2**31))
_PY_DATE_MIN_DAYS = -719162  # 0001-01-01, datetime.date's first day
_PY_DATE_MAX_DAYS = 2932896  # 9999-12-31, its last
_PY_MIN_US = _PY_DATE_MIN_DAYS * pgtime.DAY_US
_PY_MAX_US = (_PY_DATE_MAX_DAYS + 1) * pgtime.DAY_US - 1
_ORDINAL_1970 = 719163  # date(1970, 1, 1).toordinal()
_DAY_US = pgtime.DAY_US
_EPOCH = datetime(1970, 1, 1)  # naive: the epoch of `timestamp` (local date-time) values
_EPOCH_UTC = datetime(1970, 1, 1, tzinfo=UTC)
_INFINITIES = frozenset({"infinity", "-infinity"})

Convert = Callable[[Any, PgType], Any]


class _Unfit(Exception):
    """Internal signal: raised inside converters, returned as an ``Unfit`` by ``to_pg``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def to_pg(value: Any, pg: PgType) -> Any:
    """A decoded Avro value as psycopg should receive it for COPY into ``pg``.

    ``None`` and the TOAST placeholder pass through untouched (callers must keep the
    stored value for the latter); a value the column cannot hold becomes an ``Unfit``.
    """
    if value is None or isinstance(value, Unfit) or is_unavailable(value):
        return value
    return convert(_CONVERT.get(pg.conv, _same), value, pg)


def converter(pg: PgType) -> Convert | None:
    """The conversion ``convert`` applies for ``pg``, or None when decoded values already
    are what psycopg wants: looked up once per column, not per value (the hot path)."""
    conv = _CONVERT.get(pg.conv, _same)
    return None if conv is _same else conv


def convert(conv: Convert, value: Any, pg: PgType) -> Any:
    """``conv(value, pg)`` for a value that is neither None nor a placeholder; a value the
    column cannot hold becomes an ``Unfit``."""
    try:
        return conv(value, pg)
    except _Unfit as unfit:
        return Unfit(unfit.reason, value)
    except (TypeError, AttributeError):
        return Unfit("type_mismatch", value)
    except (ValueError, OverflowError, ArithmeticError, KeyError):
        return Unfit(_FAILURE.get(pg.conv, "type_mismatch"), value)


def _same(value: Any, _pg: PgType) -> Any:
    return value


def _decimal_value(value: Any, pg: PgType) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bytes):
        unscaled = int.from_bytes(value, "big", signed=True)
        return Decimal(f"{unscaled}E{-(pg.scale or 0)}")  # exact: no context rounding
    raise TypeError(type(value).__name__)


def _varnumeric(value: Any, _pg: PgType) -> Decimal:
    if isinstance(value, Decimal):
        return value
    unscaled = int.from_bytes(value["value"], "big", signed=True)
    return Decimal(f"{unscaled}E{-int(value['scale'])}")


def is_infinity(value: Any) -> bool:
    return isinstance(value, str) and value in _INFINITIES


def _date(value: Any, _pg: PgType) -> date | str:
    if type(value) is date or type(value) is PgText or is_infinity(value):
        return value  # type: ignore[no-any-return]
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(type(value).__name__)
    if _PY_DATE_MIN_DAYS <= value <= _PY_DATE_MAX_DAYS:  # the common case: datetime holds it
        return date.fromordinal(value + _ORDINAL_1970)
    if value in _DATE_INFINITY or value in _DATE_NEG_INFINITY:
        return "infinity" if value in _DATE_INFINITY else "-infinity"
    if not pgtime.PG_DATE_MIN_DAYS <= value <= pgtime.PG_DATE_MAX_DAYS:
        raise _Unfit("date_out_of_range")
    return PgText(pgtime.date_text(value))  # BC, or after 9999: PostgreSQL parses the text


_TO_MICROS: dict[str, Callable[[int], int]] = {
    "ms": lambda v: v * 1000,
    "us": lambda v: v,
    "ns": lambda v: v // 1000,  # PostgreSQL keeps microseconds
}


def _epoch_int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(type(value).__name__)
    return value


def _time(value: Any, pg: PgType) -> time | str:
    if isinstance(value, time) or value == "24:00:00":
        return value  # type: ignore[no-any-return]
    micros = _TO_MICROS[pg.conv[-2:]](_epoch_int(value))
    if micros == _DAY_US:
        return "24:00:00"
    if not 0 <= micros < _DAY_US:
        raise _Unfit("time_out_of_range")
    return (datetime.min + timedelta(microseconds=micros)).time()


def _infinity(raw: int, micros: int) -> str | None:
    """Only Debezium's exact sentinels: any other value beyond PostgreSQL's range is not
    a timestamp PostgreSQL had (e.g. a year-294276 value overflowed in Debezium)."""
    if raw in (LONG_MAX, _TS_INFINITY) or micros == _TS_INFINITY:
        return "infinity"
    if raw in (LONG_MIN, _TS_NEG_INFINITY) or micros == _TS_NEG_INFINITY:
        return "-infinity"
    return None


def _timestamp(value: Any, pg: PgType) -> datetime | str:
    if isinstance(value, datetime) or type(value) is PgText or is_infinity(value):
        return value  # type: ignore[no-any-return]
    raw = _epoch_int(value)
    micros = _TO_MICROS[pg.conv[-2:]](raw)
    infinite = _infinity(raw, micros)  # first: a nanosecond sentinel is a real µs value
    if infinite is not None:
        return infinite
    zoned = pg.conv.startswith("tstz")
    if _PY_MIN_US <= micros <= _PY_MAX_US:  # the common case: datetime holds it
        return (_EPOCH_UTC if zoned else _EPOCH) + timedelta(microseconds=micros)
    if not pgtime.PG_TIMESTAMP_MIN_US <= micros <= pgtime.PG_TIMESTAMP_MAX_US:
        raise _Unfit("timestamp_out_of_range")
    return PgText(pgtime.timestamp_text(micros, "+00" if zoned else ""))


def _zoned_timestamp(value: Any, _pg: PgType) -> datetime | str:
    if isinstance(value, datetime) or type(value) is PgText or is_infinity(value):
        return value  # type: ignore[no-any-return]
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:  # BC, year 0 or after 9999: PostgreSQL parses the rewritten text
        text = pgtime.iso_timestamp_text(value)
        if text is None:
            raise _Unfit("bad_timestamp") from None
        return PgText(text)
    if parsed.tzinfo is None:
        raise _Unfit("timestamp_without_offset")
    return parsed


def _zoned_time(value: Any, _pg: PgType) -> time:
    parsed = value if isinstance(value, time) else time.fromisoformat(value)
    if parsed.tzinfo is None:
        raise _Unfit("time_without_offset")
    return parsed


def _interval_us(value: Any, _pg: PgType) -> timedelta:
    if isinstance(value, timedelta):
        return value
    return timedelta(microseconds=_epoch_int(value))


def _avro_duration(value: Any, _pg: PgType) -> str:
    if isinstance(value, str):
        return value
    months, days, millis = (int.from_bytes(value[i:i + 4], "little") for i in (0, 4, 8))
    return f"P{months}M{days}DT{Decimal(millis).scaleb(-3)}S"


def _uuid(value: Any, _pg: PgType) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(value)


def _bit_string(value: Any, pg: PgType) -> str:
    """Debezium's Bits: ``BitSet.toByteArray()`` of the bit string read with its last bit
    as bit 0, i.e. the string's binary number in little-endian bytes, sized by content.
    Leading zero bits are not sent: ``bit(n)`` gets them back by padding to ``n``; a
    ``varbit`` value's own leading zeros are gone at the source."""
    if isinstance(value, str):
        return value
    number = int.from_bytes(value, "little")
    bits = format(number, "b") if number else ""
    if pg.length is not None and len(bits) > pg.length:
        raise _Unfit("bit_length_overflow")
    return bits.zfill(pg.length or 0) if pg.conv == "bits" else bits


def _json_default(value: Any) -> Any:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, date | time):  # datetime is a date
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _json_any(value: Any, _pg: PgType) -> JsonText:
    if isinstance(value, JsonText):
        return value
    return JsonText(json.dumps(value, default=_json_default, allow_nan=False))


def _json(value: Any, pg: PgType) -> str:
    return value if isinstance(value, str) else _json_any(value, pg)


def _array_value(value: Any, pg: PgType) -> list[Any]:
    assert pg.item is not None
    items = [to_pg(v, pg.item) for v in value]
    unfit = next((i for i in items if isinstance(i, Unfit)), None)
    if unfit is not None:
        raise _Unfit(unfit.reason)
    if any(isinstance(i, str) for i in items) and any(
            i is not None and not isinstance(i, str) for i in items):
        return [_element_text(i) for i in items]
    return items


def _element_text(item: Any) -> PgText | None:
    """An array element as plain PostgreSQL input text: psycopg dumps a list only when its
    elements share one type, and an array may mix values Python holds (``2020-01-01``) with
    ones only PostgreSQL's text holds (``infinity``, ``4713-11-24 BC``)."""
    if item is None:
        return None
    if isinstance(item, datetime):
        return PgText(item.isoformat(sep=" "))
    return PgText(item if isinstance(item, str) else item.isoformat())


_CONVERT: dict[str, Convert] = {
    "decimal": _decimal_value,
    "varnumeric": _varnumeric,
    "date": _date,
    "time_ms": _time,
    "time_us": _time,
    "time_ns": _time,
    "timetz": _zoned_time,
    "ts_ms": _timestamp,
    "ts_us": _timestamp,
    "ts_ns": _timestamp,
    "tstz_ms": _timestamp,
    "tstz_us": _timestamp,
    "tstz_ns": _timestamp,
    "tstz_iso": _zoned_timestamp,
    "interval_us": _interval_us,
    "avro_duration": _avro_duration,
    "uuid": _uuid,
    "bits": _bit_string,
    "varbits": _bit_string,
    "json": _json,
    "json_any": _json_any,
    "array": _array_value,
}

# Reason codes for conversions that fail with an ordinary exception.
_FAILURE: dict[str, str] = {
    "date": "date_out_of_range",
    "ts_ms": "timestamp_out_of_range",
    "ts_us": "timestamp_out_of_range",
    "ts_ns": "timestamp_out_of_range",
    "tstz_ms": "timestamp_out_of_range",
    "tstz_us": "timestamp_out_of_range",
    "tstz_ns": "timestamp_out_of_range",
    "tstz_iso": "bad_timestamp",
    "timetz": "bad_time",
    "uuid": "bad_uuid",
    "json_any": "bad_json",
    "json": "bad_json",
    "interval_us": "interval_out_of_range",
    "varnumeric": "bad_numeric",
    "decimal": "bad_numeric",
}

