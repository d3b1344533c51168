"""The registry adapter: every client failure is translated once, by one table."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest
from confluent_kafka.schema_registry.error import SchemaRegistryError
from pydantic import SecretStr

from cdc_core.connections import RegistryConnection
from cdc_core.errors import (
    PipelineError,
    RegistryRefused,
    RegistryUnavailable,
    SchemaNotFound,
)
from cdc_core.registry import Registry, client_conf, translate


def _transport_errors(module: Any) -> list[type[Exception]]:
    return [cls for _, cls in inspect.getmembers(module, inspect.isclass)
            if issubclass(cls, module.TransportError)]


@pytest.mark.parametrize("cls", _transport_errors(httpx) + _transport_errors(httpx2))
def test_every_transport_error_of_both_http_libraries_is_unavailability(
        cls: type[Exception]) -> None:
    mapped = translate(cls("boom"), "fetching schema id 1")
    assert isinstance(mapped, RegistryUnavailable)
    assert "fetching schema id 1" in str(mapped)


@pytest.mark.parametrize(("status", "family"), [
    (408, RegistryUnavailable), (429, RegistryUnavailable), (500, RegistryUnavailable),
    (502, RegistryUnavailable), (503, RegistryUnavailable), (504, RegistryUnavailable),
    (401, RegistryRefused), (403, RegistryRefused), (409, RegistryRefused),
    (422, RegistryRefused), (404, RegistryRefused),  # 404 without a "missing" meaning
])
def test_http_statuses_map_to_one_family_each(status: int, family: type[Exception]) -> None:
    mapped = translate(SchemaRegistryError(status, status * 100, "said no"), "registering")
    assert type(mapped) is family
    assert f"HTTP {status}" in str(mapped)


def test_a_404_means_what_the_call_says_it_means() -> None:
    mapped = translate(SchemaRegistryError(404, 40403, "gone"), "fetching schema id 7",
                       missing=SchemaNotFound)
    assert isinstance(mapped, SchemaNotFound)
    assert mapped.reason == "unknown_schema_id"


def test_errors_that_are_not_the_clients_pass_through_untouched() -> None:
    bug = KeyError("bug")
    assert translate(bug, "anything") is bug


def test_every_translated_error_is_in_the_tree() -> None:
    for mapped in (RegistryUnavailable("x"), RegistryRefused("x"), SchemaNotFound("x")):
        assert isinstance(mapped, PipelineError)


class FakeClient:
    """Raises what confluent-kafka's client raises for each call."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def get_schema(self, schema_id: int) -> Any:
        raise self.error

    def get_latest_version(self, subject: str) -> Any:
        raise self.error

    def register_schema(self, subject: str, schema: Any) -> int:
        raise self.error


def _registry(error: Exception) -> Registry:
    return Registry(RegistryConnection(url="http://registry"), client=FakeClient(error))  # type: ignore[arg-type]


def test_fetch_of_an_unknown_id_is_a_record_error() -> None:
    with pytest.raises(SchemaNotFound, match="schema id 5"):
        _registry(SchemaRegistryError(404, 40403, "no such schema")).fetch(5)


def test_latest_of_an_unknown_subject_is_none() -> None:
    assert _registry(SchemaRegistryError(404, 40401, "no such subject")).latest("s") is None


def test_register_refused_names_the_subject_and_status() -> None:
    with pytest.raises(RegistryRefused, match=r"orders-value.*HTTP 409") as info:
        _registry(SchemaRegistryError(409, 409, "incompatible")).register("orders-value", "{}")
    assert info.value.status == 409


def test_an_unreachable_registry_is_unavailable_for_every_call() -> None:
    registry = _registry(httpx2.ConnectError("refused"))
    for call in (lambda: registry.fetch(1), lambda: registry.latest("s"),
                 lambda: registry.register("s", "{}")):
        with pytest.raises(RegistryUnavailable):
            call()


def test_client_settings_carry_auth_tls_and_no_hidden_retries(tmp_path: Path) -> None:
    secret = tmp_path / "user-info"
    secret.write_text("sink:s3cret\n")
    conf = client_conf(RegistryConnection(url="https://r", basic_auth_user_info_file=secret,
                                          ssl_ca_location=tmp_path / "ca.pem", timeout_s=3))
    assert conf == {"url": "https://r", "timeout": 3, "max.retries": 0,
                    "basic.auth.user.info": "sink:s3cret",
                    "ssl.ca.location": str(tmp_path / "ca.pem")}
    inline = client_conf(RegistryConnection(url="https://r",
                                            basic_auth_user_info=SecretStr("a:b")))
    assert inline["basic.auth.user.info"] == "a:b"
