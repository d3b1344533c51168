"""Connector config: the template in deploy/ renders completely and carries the essentials."""

from __future__ import annotations

import pytest

from cdc_demo.connector import SourceParams, connector_spec, load_template, render


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
