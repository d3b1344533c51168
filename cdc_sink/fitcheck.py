"""Does a converted value fit its warehouse column?  Checks decided once per column.

``checker`` picks, per column, the check for values already passed through
``pgvalues.to_pg`` (None when every value of the Avro type fits); ``misfit`` says why one
value does not.  A misfit is dead-lettered at decode time with that reason, before it can
fail a whole COPY.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation, localcontext
from typing import Any

from cdc_sink.pgvalues import is_infinity, to_pg
from cdc_sink.typemap import (
    LONG_MAX,
    LONG_MIN,
    PG_BIT_MAX,
    PG_NUMERIC_MAX_PRECISION,
    PgText,
    PgType,
    Unfit,
    is_unavailable,
)

_REAL_MAX = 3.4028234663852886e38
_ISO_INTERVAL = re.compile(
    r"-?P(?!$)(-?\d+Y)?(-?\d+M)?(-?\d+W)?(-?\d+D)?"
    r"(T(?=-?\d)(-?\d+H)?(-?\d+M)?(-?\d+(\.\d+)?S)?)?"
)

Check = Callable[[Any, PgType], str | None]


# Checks left to PostgreSQL on the hot path: it validates jsonb itself on COPY, and a value
# it refuses is isolated by the writer and dead-lettered (reason value_rejected_<sqlstate>).
_LEFT_TO_POSTGRES = frozenset({"json", "json_any"})


def checker(pg: PgType) -> Check | None:
    """The check for values already passed through ``to_pg``, or None when every value of the
    column's Avro type fits. Decided once per column, used per value."""
    check = _CHECK.get(pg.conv, _no_check)
    if check is _no_check or pg.conv in _LEFT_TO_POSTGRES or pg.sql in _ALWAYS_FITS:
        return None
    return check


def misfit(value: Any, pg: PgType) -> str | None:
    """None if the value (decoded or already converted) fits the column, else a reason code.

    ``unavailable_value`` flags the TOAST placeholder: it must never reach a column.
    """
    if value is None:
        return None if pg.nullable else "null_in_not_null"
    if is_unavailable(value):
        return "unavailable_value"
    converted = to_pg(value, pg)
    if isinstance(converted, Unfit):
        return converted.reason
    return _CHECK.get(pg.conv, _no_check)(converted, pg)


def _no_check(_value: Any, _pg: PgType) -> str | None:
    return None


# Avro int/long/double/boolean/bytes values always fit these (an Avro int is 32-bit).
_ALWAYS_FITS = frozenset({"boolean", "integer", "bigint", "double precision", "bytea"})


def _of(*types: type) -> Check:
    def check(value: Any, _pg: PgType) -> str | None:
        ok = isinstance(value, types) and not (isinstance(value, bool) and bool not in types)
        return None if ok else "type_mismatch"
    return check


def _int_range(low: int, high: int) -> Check:
    def check(value: Any, _pg: PgType) -> str | None:
        if not isinstance(value, int) or isinstance(value, bool):
            return "type_mismatch"
        return None if low <= value <= high else "int_out_of_range"
    return check


def _check_real(value: Any, _pg: PgType) -> str | None:
    if not isinstance(value, float | int) or isinstance(value, bool):
        return "type_mismatch"
    return "real_out_of_range" if _REAL_MAX < abs(value) < float("inf") else None


def _check_text(value: Any, _pg: PgType) -> str | None:
    if not isinstance(value, str):
        return "type_mismatch"
    return "nul_in_text" if "\x00" in value else None


def _check_numeric(value: Any, pg: PgType) -> str | None:
    if not isinstance(value, Decimal):
        return "type_mismatch"
    if value.is_nan():  # numeric(p,s) and numeric both store NaN
        return None
    if pg.precision is None:
        return None
    if value.is_infinite():  # only an unconstrained numeric stores +-Infinity
        return "numeric_overflow"
    return _numeric_fit(value, pg.precision, pg.scale or 0)


def _numeric_fit(value: Decimal, precision: int, scale: int) -> str | None:
    """PostgreSQL rounds to ``scale`` then needs at most ``precision - scale`` int digits."""
    if -value.as_tuple().exponent <= scale:  # type: ignore[operator]  # finite here
        # The common case, no rounding needed: count the integer digits directly.
        return "numeric_overflow" if value and value.adjusted() >= precision - scale else None
    with localcontext() as ctx:
        ctx.prec = 2 * PG_NUMERIC_MAX_PRECISION + abs(scale)
        try:
            rounded = value.quantize(Decimal(1).scaleb(-scale))
        except InvalidOperation:
            return "numeric_overflow"
    if rounded != value:
        return "numeric_scale"  # PostgreSQL would round silently
    digits = rounded.adjusted() + 1 if rounded else 0
    return "numeric_overflow" if digits > precision - scale else None


def _check_date(value: Any, _pg: PgType) -> str | None:
    ok = type(value) is date or type(value) is PgText or is_infinity(value)
    return None if ok else "type_mismatch"


def _check_time(value: Any, _pg: PgType) -> str | None:
    ok = value == "24:00:00" or (isinstance(value, time) and value.tzinfo is None)
    return None if ok else "type_mismatch"


def _check_timetz(value: Any, _pg: PgType) -> str | None:
    return None if isinstance(value, time) and value.tzinfo is not None else "type_mismatch"


def _check_timestamp(value: Any, pg: PgType) -> str | None:
    if type(value) is PgText or is_infinity(value):  # PgText: made for this column
        return None
    if not isinstance(value, datetime):
        return "type_mismatch"
    aware = value.tzinfo is not None
    return None if aware == (pg.sql == "timestamptz") else "type_mismatch"


def _check_interval(value: Any, _pg: PgType) -> str | None:
    if isinstance(value, timedelta):
        return None
    ok = isinstance(value, str) and _ISO_INTERVAL.fullmatch(value) is not None
    return None if ok else "bad_interval"


def _check_bits(value: Any, pg: PgType) -> str | None:
    if not isinstance(value, str) or value.strip("01"):
        return "bad_bits"
    return "bit_length_overflow" if len(value) > (pg.length or PG_BIT_MAX) else None


def _check_json(value: Any, _pg: PgType) -> str | None:
    if not isinstance(value, str):
        return "type_mismatch"
    try:
        document = json.loads(value)
    except ValueError:
        return "bad_json"
    return "nul_in_text" if _has_nul(document) else None  # jsonb rejects \u0000


def _has_nul(document: Any) -> bool:
    if isinstance(document, str):
        return "\x00" in document
    if isinstance(document, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in document.items())
    if isinstance(document, list):
        return any(_has_nul(v) for v in document)
    return False


def _check_array(value: Any, pg: PgType) -> str | None:
    assert pg.item is not None
    if not isinstance(value, list):
        return "type_mismatch"
    item = replace(pg.item, nullable=True)  # array elements may be null
    return next((r for r in (misfit(v, item) for v in value) if r), None)


_CHECK: dict[str, Check] = {
    "bool": _of(bool),
    "int2": _int_range(-(2**15), 2**15 - 1),
    "int4": _int_range(-(2**31), 2**31 - 1),
    "int8": _int_range(LONG_MIN, LONG_MAX),
    "float4": _check_real,
    "float8": _of(float, int),
    "text": _check_text,
    "xml": _check_text,
    "bytea": _of(bytes),
    "decimal": _check_numeric,
    "varnumeric": _check_numeric,
    "date": _check_date,
    "time_ms": _check_time,
    "time_us": _check_time,
    "time_ns": _check_time,
    "timetz": _check_timetz,
    "ts_ms": _check_timestamp,
    "ts_us": _check_timestamp,
    "ts_ns": _check_timestamp,
    "tstz_ms": _check_timestamp,
    "tstz_us": _check_timestamp,
    "tstz_ns": _check_timestamp,
    "tstz_iso": _check_timestamp,
    "interval_us": _check_interval,
    "interval_iso": _check_interval,
    "avro_duration": _check_interval,
    "uuid": _of(uuid.UUID),
    "bits": _check_bits,
    "varbits": _check_bits,
    "json": _check_json,
    "json_any": _check_json,
    "array": _check_array,
}

