"""Which failures are waited out, and how the retry loop treats them."""

from __future__ import annotations

import httpx
import psycopg
import pytest

from cdc_core.errors import RegistryRefused, RegistryUnavailable, SchemaNotFound
from cdc_sink.errors import RetriesExhausted
from cdc_sink.retry import registry_unavailable, warehouse_unavailable, with_retries


@pytest.mark.parametrize(("exc", "retried"), [
    (RegistryUnavailable("schema registry: HTTP 503"), True),
    (SchemaNotFound("schema registry: HTTP 404"), False),  # a DLQ case, not an outage
    (RegistryRefused("schema registry: HTTP 401", status=401), False),  # fail loudly
    (httpx.ConnectError("refused"), False),  # untranslated: cdc_core.registry maps it
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
    outcomes = iter([RegistryUnavailable("down"), RegistryUnavailable("down"), "schema"])

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
        raise SchemaNotFound("schema registry: HTTP 404")

    with pytest.raises(SchemaNotFound):
        with_retries(missing, on_failure=lambda _: None, initial_s=0.001, max_s=0.001,
                     budget_s=10, retryable=registry_unavailable)

    def down() -> str:
        raise RegistryUnavailable("schema registry: ConnectError: refused")

    with pytest.raises(RetriesExhausted):
        with_retries(down, on_failure=lambda _: None, initial_s=0.001, max_s=0.001,
                     budget_s=0.01, retryable=registry_unavailable)


def test_a_stop_request_ends_the_waiting_with_the_last_failure() -> None:
    calls: list[int] = []

    def work() -> str:
        calls.append(1)
        raise psycopg.OperationalError("password authentication failed")

    with pytest.raises(psycopg.OperationalError, match="password authentication"):
        with_retries(work, on_failure=lambda _: None, initial_s=3600, max_s=3600,
                     budget_s=7200, stopping=lambda: bool(calls))
    assert len(calls) == 1  # stop asked while waiting: no hour-long wait, no second try
