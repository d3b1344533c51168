"""Connector config: the template in deploy/ renders completely and carries the essentials;
the REST client says a refusal or a failed task in one line."""

from __future__ import annotations

import httpx
import pytest

from cdc_demo.connector import (
    Connect,
    ConnectorError,
    SourceParams,
    connector_spec,
    load_template,
    render,
)


def _params() -> SourceParams:
    return SourceParams.from_dsn("postgresql://cdc@127.0.0.1:5544/postgres", name="Shop-1",
                                 topic_prefix="shop1", db_name="shop")


def test_the_dsn_gives_the_connection_fields() -> None:
    p = _params()
    assert (p.db_host, p.db_port, p.db_user, p.db_password, p.db_name) == (
        "127.0.0.1", "5544", "cdc", "", "shop")


def test_the_template_renders_with_converters_and_no_placeholder_left() -> None:
    spec = connector_spec(_params(), "http://reg/apis/registry/v2", load_template())
    config = spec["config"]
    assert spec["name"] == "Shop-1"
    assert not [v for v in config.values() if "${" in str(v)]
    assert config["plugin.name"] == "pgoutput"
    assert config["decimal.handling.mode"] == "precise"
    assert config["slot.name"] == "shop_1"  # slot names allow [a-z0-9_] only
    assert config["publication.name"] == "shop_1_pub"
    assert config["value.converter.apicurio.registry.url"] == "http://reg/apis/registry/v2"
    assert config["key.converter"].endswith("AvroConverter")


def test_a_placeholder_without_a_value_is_an_error() -> None:
    with pytest.raises(KeyError, match="nope"):
        render({"name": "x", "config": {"a": "${nope}"}}, {})


def _connect(routes: dict[tuple[str, str], tuple[int, object]]) -> Connect:
    """A ``Connect`` client whose REST answers are ``routes`` (method, path) -> (status, body)."""
    def answer(request: httpx.Request) -> httpx.Response:
        status, body = routes.get((request.method, request.url.path), (404, {}))
        return httpx.Response(status, json=body)

    client = Connect("http://connect:8083")
    client._http = httpx.Client(transport=httpx.MockTransport(answer))
    return client


CONFIG = {"connector.class": "io.debezium.connector.postgresql.PostgresConnector",
          "database.hostname": "db", "database.port": "5432", "database.dbname": "shop",
          "database.password": "s3cret-value"}


def test_a_refused_connector_is_one_line_with_what_validation_found() -> None:
    validation = {"configs": [{"value": {"name": "database.hostname", "errors": [
        "Error while validating connector config: FATAL: password authentication\n failed"]}},
        {"value": None}]}
    client = _connect({("PUT", "/connectors/shop/config"): (500, {"message": "NPE"}),
                       ("PUT", "/connector-plugins/PostgresConnector/config/validate"):
                           (200, validation)})
    with pytest.raises(ConnectorError) as refused:
        client.put({"name": "shop", "config": CONFIG})
    assert str(refused.value) == (
        "Connect http://connect:8083: connector shop (database db:5432/shop): refused: "
        "database.hostname: Error while validating connector config: FATAL: password "
        "authentication failed")


def test_a_failed_task_is_one_line_with_its_database_and_root_cause() -> None:
    trace = "ConnectException: wrapped\n\tat x\nCaused by: PSQLException: SSL error\n\tat y"
    status = {"connector": {"state": "RUNNING"},
              "tasks": [{"id": 0, "state": "FAILED", "trace": trace}]}
    client = _connect({("GET", "/connectors/shop/status"): (200, status),
                       ("GET", "/connectors/shop/config"): (200, CONFIG)})
    line = ("Connect http://connect:8083: connector shop (RUNNING; database db:5432/shop): "
            "task 0 FAILED: PSQLException: SSL error")
    assert client.failure("shop") == line
    with pytest.raises(ConnectorError, match=r"^Connect .*SSL error$"):
        client.wait_running("shop", timeout_s=5)
