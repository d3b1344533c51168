"""Configuration plumbing: one line per problem by key path, YAML trouble as one line."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_settings import SettingsConfigDict

from cdc_core.connections import KafkaConnection, RegistryConnection, Subscription
from cdc_core.errors import ConfigError
from cdc_core.settings import LayeredSettings, describe, key_path

STRICT = ConfigDict(extra="forbid", frozen=True)


class Section(BaseModel):
    model_config = STRICT
    batch_max_rows: int = 10
    names: tuple[str, ...] = ()


class Demo(LayeredSettings):
    model_config = SettingsConfigDict(env_prefix="CDC_TESTCFG__", env_nested_delimiter="__",
                                      extra="forbid", frozen=True)
    sink: Section = Section()
    kafka: KafkaConnection


class Consumer(KafkaConnection, Subscription):
    model_config = STRICT


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "cfg.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(("loc", "path"), [
    (("kafka", "topics", 0), "kafka.topics[0]"), (("sink",), "sink"), ((), ""),
    (("a", 1, "b"), "a[1].b"),
])
def test_key_path_reads_like_the_yaml(loc: tuple[int | str, ...], path: str) -> None:
    assert key_path(loc) == path


def test_every_problem_is_one_line_named_by_its_key_path(tmp_path: Path) -> None:
    path = _write(tmp_path, "sink: {batch_max_rowz: 5, names: [a, 3]}\n")
    with pytest.raises(ConfigError) as info:
        Demo.load(path)
    lines = info.value.lines()
    assert f"{path}: sink.batch_max_rowz: unknown key" in lines
    assert f"{path}: kafka: required" in lines
    assert any(line.startswith(f"{path}: sink.names[1]: ") for line in lines)
    assert not any("pydantic" in line or "\n" in line for line in lines)


def test_describe_drops_pydantics_prefix_and_urls() -> None:
    with pytest.raises(ValidationError) as info:
        Consumer(bootstrap_servers="k:9092")
    assert describe(info.value) == ["(top level): set exactly one of topics or topic_pattern"]


@pytest.mark.parametrize(("text", "problem"), [
    ("sink: [unclosed\n", "not readable as YAML: line "),
    ("- a\n- b\n", "(top level): expected a mapping of sections, got list"),
])
def test_a_bad_file_is_one_line(tmp_path: Path, text: str, problem: str) -> None:
    with pytest.raises(ConfigError) as info:
        Demo.load(_write(tmp_path, text))
    (line,) = info.value.lines()
    assert problem in line


def test_a_missing_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        Demo.load(tmp_path / "absent.yaml")
    assert info.value.lines() == [f"{tmp_path / 'absent.yaml'}: no such file"]


def test_the_environment_wins_over_the_file(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CDC_TESTCFG__SINK__BATCH_MAX_ROWS", "7")
    path = _write(tmp_path, "sink: {batch_max_rows: 5}\nkafka: {bootstrap_servers: k:1}\n")
    assert Demo.load(path).sink.batch_max_rows == 7


def test_a_bad_topic_regex_is_a_configuration_problem_not_a_raw_re_error() -> None:
    with pytest.raises(ValidationError) as info:
        Consumer(bootstrap_servers="k:9092", topic_pattern="cdc.(unclosed")
    assert "topic_pattern is not a valid regex" in describe(info.value)[0]


def test_subscription_anchors_a_pattern() -> None:
    assert Consumer(bootstrap_servers="k", topic_pattern="cdc\\..*").subscription() == [
        "^cdc\\..*"]
    assert Consumer(bootstrap_servers="k", topics=("a", "b")).subscription() == ["a", "b"]


def test_secrets_come_from_the_value_or_its_file_and_are_never_printed(tmp_path: Path) -> None:
    secret = tmp_path / "password"
    secret.write_text("hunter2\n")
    kafka = KafkaConnection(bootstrap_servers="k:1", properties={"sasl.username": "sink"},
                            sasl_password_file=secret)
    assert kafka.client_config() == {"sasl.username": "sink", "bootstrap.servers": "k:1",
                                     "sasl.password": "hunter2"}
    registry = RegistryConnection(url="https://r", basic_auth_user_info="u:p")
    assert "u:p" not in repr(registry) and "hunter2" not in repr(kafka.password())
