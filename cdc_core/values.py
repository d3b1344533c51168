"""Reading column values the way Debezium encodes them, for comparisons.

The same number can arrive as a Decimal (decimal bytes), an int, a float, a string
(``decimal.handling.mode=string``) or a VariableScaleDecimal record (NUMERIC without a
declared scale); checks must treat them alike and exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any


def as_decimal(value: Any) -> Decimal | None:
    """Exact numeric form of a column value, or None if it is not a number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal | int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))  # the shortest repr, so 0.1 stays 0.1
    if isinstance(value, str):
        return _parse_decimal(value)
    if isinstance(value, Mapping) and isinstance(value.get("value"), bytes):
        unscaled = int.from_bytes(value["value"], "big", signed=True)
        return Decimal(unscaled).scaleb(-int(value.get("scale") or 0))
    return None


def as_text(value: Any) -> str:
    """Text form for set membership; booleans as YAML/JSON spell them."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _parse_decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text.strip())
    except InvalidOperation:
        return None
