"""Source names -> warehouse identifiers: deterministic, within PostgreSQL's limit, injective.

PostgreSQL truncates identifiers to 63 bytes silently, so two source names sharing a 63-byte
prefix would become one column or one table. A name longer than that is cut at a UTF-8
character boundary and ends in ``_`` + the first 8 hex digits of the SHA-256 of the whole
name (``identifier``): the same name always gives the same identifier, two names give two.

Tables are named by ``sink.table_naming`` (docs/sink.md "Warehouse names"):
``table`` (the default: ``<table>``), ``schema_table`` (``<schema>_<table>``), and an explicit
``sink.table_names`` mapping of ``<schema>.<table>`` to a name, which wins over both. Under
``table`` two source schemas with one table name would meet in one warehouse table: the sink
records each warehouse table's source in its catalog and refuses a second one
(``tables.py``, reason ``table_name_clash``) instead of merging them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from cdc_core.errors import SinkError

MAX_IDENTIFIER_BYTES = 63
_HASH_HEX = 8
TableNaming = Literal["table", "schema_table"]


def identifier(name: str) -> str:
    """``name`` if PostgreSQL keeps it whole, else its truncated form plus a short hash."""
    raw = name.encode()
    if len(raw) <= MAX_IDENTIFIER_BYTES:
        return name
    suffix = "_" + hashlib.sha256(raw).hexdigest()[:_HASH_HEX]
    head = raw[:MAX_IDENTIFIER_BYTES - len(suffix)].decode(errors="ignore")
    return head + suffix


@dataclass(frozen=True)
class TableNames:
    """How a source (schema, table) is named in the warehouse."""

    style: TableNaming = "table"
    mapping: Mapping[str, str] = field(default_factory=dict)

    def table(self, schema: str, table: str) -> str:
        mapped = self.mapping.get(f"{schema}.{table}")
        if mapped is not None:
            return identifier(mapped)
        return identifier(table if self.style == "table" else f"{schema}_{table}")


def column_names(table: str, names: Iterable[str]) -> dict[str, str]:
    """Source column -> warehouse column; a clash (only possible between a long name and one
    that spells out its truncated form) is refused, never merged."""
    mapped: dict[str, str] = {}
    seen: dict[str, str] = {}
    for name in names:
        target = identifier(name)
        if target in seen:
            raise SinkError(f"{table}: columns {seen[target]!r} and {name!r} both map to "
                            f"warehouse column {target!r}", reason="column_name_clash")
        seen[target] = name
        mapped[name] = target
    return mapped
