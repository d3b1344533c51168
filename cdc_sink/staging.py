"""One collapsed change as a row of the staging table's COPY (sqlbuild.py's layout)."""

from __future__ import annotations

from typing import Any

from cdc_sink.model import SinkChange
from cdc_sink.sqlbuild import TableLayout

# An empty array as COPY text: psycopg dumps a Python list through its (pure Python)
# array dumper, a large share of the sink's time if every row carried one.
EMPTY_ARRAY = "{}"


def staging_row(layout: TableLayout, change: SinkChange) -> tuple[Any, ...]:
    """Key, values (a new row's values; None where nothing is known), then the metadata.

    ``__unavailable`` lists the columns whose stored value an update keeps: the change's
    unavailable ones and those its writer schema lacks.
    """
    columns = change.columns
    values = [columns.get(c.name) for c in layout.values]
    absent = [c.name for c in layout.values
              if c.name not in columns and c.name not in change.unavailable]
    keep = sorted(change.unavailable) + absent
    head = (*change.key, *values, change.deleted, change.position.lsn,
            change.position.ts_ms, change.event_id, change.position.key, keep or EMPTY_ARRAY)
    if not change.carried:  # the common case: COPY's text for an empty array, not a list
        return (*head, EMPTY_ARRAY, EMPTY_ARRAY)
    carried = list(change.carried.items())
    return (*head, [name for name, _ in carried], [p.key for _, p in carried])
