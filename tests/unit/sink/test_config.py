"""cdc_sink.config: one YAML file, strict keys, env overrides, secrets kept secret."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import SecretStr, ValidationError

from cdc_core.errors import ConfigError
from cdc_sink.config import SinkConfig, load

SECRETS = ("hunter2-kafka", "s3cret-dsn", "registry-user:registry-pw")


def base() -> dict[str, Any]:
    return {"kafka": {"bootstrap_servers": "127.0.0.1:9092", "topics": ["processed.public.a"],
                      "sasl_password": SECRETS[0]},
            "registry": {"url": "http://127.0.0.1:8080/apis/ccompat/v7",
                         "basic_auth_user_info": SECRETS[2]},
            "postgres": {"dsn": f"postgresql://sink:{SECRETS[1]}@127.0.0.1/dw"},
            "sink": {"batch_max_rows": 100, "batch_max_wait_ms": 50}}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No CDC_SINK__ variable of the calling shell may leak into these tests."""
    for name in [n for n in os.environ if n.upper().startswith("CDC_SINK__")]:
        monkeypatch.delenv(name)


def write(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "sink.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def error_of(tmp_path: Path, data: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as caught:
        load(write(tmp_path, data))
    return str(caught.value)


def test_a_valid_file_loads_with_defaults(tmp_path: Path) -> None:
    config = load(write(tmp_path, base()))
    assert config.sink.batch_max_rows == 100
    assert config.sink.dlq_topic == "cdc.dlq"
    assert config.postgres.target_schema == "warehouse"
    assert config.kafka.topics == ("processed.public.a",)
    assert config.postgres.conninfo() == f"postgresql://sink:{SECRETS[1]}@127.0.0.1/dw"


@pytest.mark.parametrize(("section", "key"), [
    (None, "kafkaa"), ("sink", "batch_max_rowz"), ("kafka", "bootstrap"),
    ("postgres", "password"), ("http", "listen")])
def test_unknown_keys_are_rejected_naming_the_key(tmp_path: Path, section: str | None,
                                                  key: str) -> None:
    data = base()
    if section is not None:
        data.setdefault(section, {})
    (data if section is None else data[section])[key] = 1
    message = error_of(tmp_path, data)
    where = key if section is None else f"{section}.{key}"
    assert message == f"{where}: unknown key"


def test_unknown_nested_meta_column_key_is_named(tmp_path: Path) -> None:
    data = base()
    data["sink"]["meta_columns"] = {"is_deletd": "gone"}
    assert "sink.meta_columns.is_deletd" in error_of(tmp_path, data)


def test_bad_values_name_the_key(tmp_path: Path) -> None:
    data = base()
    data["sink"]["batch_max_rows"] = 0
    assert "sink.batch_max_rows" in error_of(tmp_path, data)
    data = base()
    data["sink"]["input_format"] = "csv"
    assert "sink.input_format" in error_of(tmp_path, data)


def test_env_override_wins_over_yaml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CDC_SINK__SINK__BATCH_MAX_ROWS", "7")
    monkeypatch.setenv("CDC_SINK__POSTGRES__TARGET_SCHEMA", "from_env")
    config = load(write(tmp_path, base()))
    assert config.sink.batch_max_rows == 7
    assert config.postgres.target_schema == "from_env"
    # the rest of the section still comes from the file
    assert config.sink.batch_max_wait_ms == 50
    assert config.postgres.conninfo().endswith("@127.0.0.1/dw")


def test_env_values_are_validated_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CDC_SINK__SINK__BATCH_MAX_ROWS", "lots")
    assert "sink.batch_max_rows" in error_of(tmp_path, base())


def test_unknown_env_key_is_rejected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CDC_SINK__SINK__BATCH_MAX_ROWZ", "7")
    assert "sink.batch_max_rowz" in error_of(tmp_path, base())


def test_secrets_are_secretstr_and_never_in_repr(tmp_path: Path) -> None:
    config = load(write(tmp_path, base()))
    assert isinstance(config.kafka.sasl_password, SecretStr)
    assert isinstance(config.postgres.dsn, SecretStr)
    assert isinstance(config.registry.basic_auth_user_info, SecretStr)
    for shown in (repr(config), str(config), repr(config.postgres), str(config.kafka),
                  repr(config.model_dump())):
        for secret in SECRETS:
            assert secret not in shown
    assert config.kafka.password() == SecretStr(SECRETS[0])


def test_secrets_from_files(tmp_path: Path) -> None:
    (tmp_path / "pw").write_text("from-file-pw\n")
    (tmp_path / "dsn").write_text("postgresql://sink:file-dsn@h/dw\n")
    data = base()
    del data["kafka"]["sasl_password"]
    data["kafka"]["sasl_password_file"] = str(tmp_path / "pw")
    data["postgres"] = {"dsn_file": str(tmp_path / "dsn")}
    config = load(write(tmp_path, data))
    password = config.kafka.password()
    assert password is not None and password.get_secret_value() == "from-file-pw"
    assert config.postgres.conninfo() == "postgresql://sink:file-dsn@h/dw"
    assert "file-dsn" not in repr(config) and "from-file-pw" not in repr(config)


def test_dsn_is_required(tmp_path: Path) -> None:
    data = base()
    data["postgres"] = {"target_schema": "dw"}
    assert "postgres.dsn" in error_of(tmp_path, data)


def test_topics_and_topic_pattern_are_exclusive(tmp_path: Path) -> None:
    both = base()
    both["kafka"]["topic_pattern"] = r"^processed\..*"
    assert "kafka: set exactly one of topics or topic_pattern" in error_of(tmp_path, both)
    neither = base()
    del neither["kafka"]["topics"]
    assert "kafka: set exactly one of topics or topic_pattern" in error_of(tmp_path, neither)
    pattern_only = base()
    del pattern_only["kafka"]["topics"]
    pattern_only["kafka"]["topic_pattern"] = r"^processed\..*"
    assert load(write(tmp_path, pattern_only)).kafka.topic_pattern == r"^processed\..*"


def test_invalid_topic_pattern_is_rejected(tmp_path: Path) -> None:
    data = base()
    del data["kafka"]["topics"]
    data["kafka"]["topic_pattern"] = "processed.(unclosed"
    message = error_of(tmp_path, data)  # a ConfigError, not a raw re.error
    assert "kafka: topic_pattern is not a valid regex" in message


def test_meta_column_names_must_be_distinct(tmp_path: Path) -> None:
    data = base()
    data["sink"]["meta_columns"] = {"is_deleted": "_meta", "event_id": "_meta"}
    message = error_of(tmp_path, data)
    assert "sink.meta_columns must be distinct" in message
    data["sink"]["meta_columns"] = {"is_deleted": "gone", "event_id": "eid"}
    names = load(write(tmp_path, data)).sink.meta_columns.names()
    assert names.is_deleted == "gone" and names.event_id == "eid"


def test_config_is_frozen(tmp_path: Path) -> None:
    config = load(write(tmp_path, base()))
    with pytest.raises(ValidationError):
        config.sink.batch_max_rows = 1  # type: ignore[misc]


def test_sinkconfig_without_a_file_reads_the_environment(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CDC_SINK__KAFKA__BOOTSTRAP_SERVERS", "k:1")
    monkeypatch.setenv("CDC_SINK__KAFKA__TOPIC_PATTERN", "^p\\..*")
    monkeypatch.setenv("CDC_SINK__REGISTRY__URL", "http://r")
    monkeypatch.setenv("CDC_SINK__POSTGRES__DSN", "postgresql://x")
    config = load(None)
    assert isinstance(config, SinkConfig)
    assert config.kafka.bootstrap_servers == "k:1"
    assert config.postgres.conninfo() == "postgresql://x"


def test_consumer_notices_new_topics_within_seconds_unless_overridden(tmp_path: Path) -> None:
    from cdc_sink.app import consumer_config

    assert consumer_config(load(write(tmp_path, base())))[
        "topic.metadata.refresh.interval.ms"] == 10_000
    data = base()
    data["kafka"]["properties"] = {"topic.metadata.refresh.interval.ms": "60000"}
    assert consumer_config(load(write(tmp_path, data)))[
        "topic.metadata.refresh.interval.ms"] == "60000"


def test_registry_requests_are_bounded_by_default(tmp_path: Path) -> None:
    assert load(write(tmp_path, base())).registry.timeout_s == 10.0
    data = base()
    data["registry"]["timeout_s"] = 0
    assert "timeout_s" in error_of(tmp_path, data)
