"""cdc_core against the golden decode vectors the job's JVM decode is tested with too."""

from __future__ import annotations

from typing import Any

import pytest

from tests.golden import vectors

DOCUMENT = vectors.load()
BY_NAME = {v["name"]: v for v in DOCUMENT["vectors"]}


def test_the_vector_file_is_what_cdc_core_decides_today() -> None:
    """Regenerate with ``python -m tests.golden.vectors`` and review the diff."""
    assert vectors.render(vectors.build()) == vectors.PATH.read_text()


@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_each_vector_outcome(name: str) -> None:
    spec: dict[str, Any] = {k: v for k, v in BY_NAME[name].items() if k != "expect"}
    assert vectors.outcome(spec) == BY_NAME[name]["expect"]


def test_the_vectors_cover_the_event_id_rules_and_every_dlq_reason() -> None:
    expects = [v["expect"] for v in DOCUMENT["vectors"]]
    reasons = {e["dlq"]["reason"] for e in expects if "dlq" in e}
    assert reasons >= {"not_confluent_framing", "unknown_schema_id", "corrupt_avro", "bad_op",
                       "missing_after", "missing_before", "missing_key", "missing_key_field",
                       "missing_source", "bad_source_field", "truncate_not_supported",
                       "breaking_schema_change", "contract_total_non_negative"}
    assert {"composite_key_unicode", "header_event_id_wins", "mysql_binlog_pos",
            "sqlserver_lsns", "unknown_connector_ts_txid",
            "typed_values_in_key_and_image"} <= set(BY_NAME)
    assert BY_NAME["header_event_id_wins"]["expect"]["event_id"] == "src-42"
