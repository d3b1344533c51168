"""The job's JARs: the config's, else the defaults the command line sets for this machine."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cdc_cli.jars import export_local_job_jars, local_job_jars
from cdc_core.errors import ConfigError
from flink_jobs.config import JobConfig
from flink_jobs.jars import DEFAULT_ENV, connector_jar, jvm_jar


def config(**job: str) -> JobConfig:
    return JobConfig.model_validate({"kafka": {"bootstrap_servers": "x:1", "topics": ["t"]},
                                     "registry": {"url": "http://r"}, "job": job})


def test_the_configured_jars_win_over_the_defaults(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    mine = tmp_path / "mine.jar"
    mine.write_bytes(b"")
    monkeypatch.setenv(DEFAULT_ENV["jvm_jar"], str(tmp_path / "other.jar"))
    monkeypatch.setenv(DEFAULT_ENV["connector_jar"], str(tmp_path / "kafka.jar"))
    assert jvm_jar(config(jvm_jar=str(mine))) == mine
    assert connector_jar(config()) == tmp_path / "kafka.jar"


def test_a_missing_jvm_jar_is_a_configuration_error(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DEFAULT_ENV["jvm_jar"], raising=False)
    with pytest.raises(ConfigError, match=r"job\.jvm_jar is not set"):
        jvm_jar(config())
    monkeypatch.setenv(DEFAULT_ENV["jvm_jar"], str(tmp_path / "absent.jar"))
    with pytest.raises(ConfigError, match="does not exist"):
        jvm_jar(config())


def test_the_command_line_exports_this_machines_jars_without_overriding(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DEFAULT_ENV["jvm_jar"], "/kept.jar")
    monkeypatch.delenv(DEFAULT_ENV["connector_jar"], raising=False)
    export_local_job_jars()
    assert os.environ[DEFAULT_ENV["jvm_jar"]] == "/kept.jar"
    assert local_job_jars()["jvm_jar"].parent.name == "target"
