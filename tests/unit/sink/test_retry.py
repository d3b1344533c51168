"""Which failures are waited out, and how the retry loop treats them."""

from __future__ import annotations

import httpx
import httpx2
import psycopg
import pytest
from confluent_kafka.schema_registry.error import SchemaRegistryError

from cdc_sink.errors import RetriesExhausted
from cdc_sink.retry import registry_unavailable, warehouse_unavailable, with_retries


@pytest.mark.parametrize(("exc", "retried"), [
    (httpx.ConnectError("refused"), True),
    (httpx.ReadTimeout("slow"), True),
    (httpx.RemoteProtocolError("reset"), True),
    (httpx2.RemoteProtocolError("server disconnected"), True),  # what the client raises
    (httpx2.ConnectError("refused"), True),
    (SchemaRegistryError(503, 50301, "unavailable"), True),
    (SchemaRegistryError(429, 42901, "throttled"), True),
    (SchemaRegistryError(404, 40403, "schema not found"), False),  # a DLQ case, not an outage
    (SchemaRegistryError(401, 40101, "unauthorized"), False),  # configuration: fail loudly
    (ValueError("bug"), False),
])
def test_registry_outages_are_retried_and_missing_schemas_are_not(exc: Exception,
                                                                  retried: bool) -> None:
    assert registry_unavailable(exc) is retried


def test_warehouse_failures_keep_their_classification() -> None:
    assert warehouse_unavailable(psycopg.OperationalError("down"))
    assert not warehouse_unavailable(httpx.ConnectError("refused"))


def test_a_retryable_failure_is_tried_again_until_it_succeeds() -> None:
    failures: list[BaseException] = []
    outcomes = iter([httpx.ConnectError("refused"), httpx.ConnectError("refused"), "schema"])

    def work() -> str:
        outcome = next(outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    assert with_retries(work, on_failure=failures.append, initial_s=0.001, max_s=0.002,
                        budget_s=10, retryable=registry_unavailable) == "schema"
    assert len(failures) == 2


def test_other_failures_propagate_at_once_and_the_budget_is_bounded() -> None:
    def missing() -> str:
        raise SchemaRegistryError(404, 40403, "schema not found")

    with pytest.raises(SchemaRegistryError):
        with_retries(missing, on_failure=lambda _: None, initial_s=0.001, max_s=0.001,
                     budget_s=10, retryable=registry_unavailable)

    def down() -> str:
        raise httpx.ConnectError("refused")

    with pytest.raises(RetriesExhausted):
        with_retries(down, on_failure=lambda _: None, initial_s=0.001, max_s=0.001,
                     budget_s=0.01, retryable=registry_unavailable)
