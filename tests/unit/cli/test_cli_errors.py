"""Every command reports an error its user can cause as one line, without a traceback."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from cdc_cli.main import command_name, error_lines
from cdc_core.errors import ConfigError, PipelineError, StackError, UnavailableError
from cdc_sink.errors import SinkServiceError
from cdc_stack.errors import ServiceStartError

CDC = Path(sys.executable).with_name("cdc")


def _cdc(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(CDC), *args], capture_output=True, text=True, timeout=300,
                          check=False)


@pytest.mark.parametrize("command", [["sink", "run"], ["job", "run"], ["lag-exporter"],
                                     ["freshness"]])
def test_a_bad_config_file_is_one_line_naming_the_key(command: list[str],
                                                       tmp_path: Path) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text("no_such_section_x: 1\n")
    done = _cdc(*command, "--config", str(config))
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if "no_such_section_x" in line]
    assert len(lines) == 1 and "no_such_section_x: unknown key" in lines[0]


@pytest.mark.parametrize("command", [["sink", "run"], ["freshness"]])
def test_a_missing_config_file_is_one_line(command: list[str], tmp_path: Path) -> None:
    done = _cdc(*command, "--config", str(tmp_path / "absent.yaml"))
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "absent.yaml: no such file" in done.stderr


def test_dbt_sources_without_contracts_is_one_line(tmp_path: Path) -> None:
    done = _cdc("dbt", "sources", "--contracts", str(tmp_path / "none"), "--schema", "x")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"cdc dbt sources: --contracts {tmp_path / 'none'}: not a directory"]


def test_every_family_derives_from_the_root() -> None:
    for family in (ConfigError, UnavailableError, StackError, SinkServiceError,
                   ServiceStartError):
        assert issubclass(family, PipelineError)
    assert issubclass(ConfigError, ValueError)


def test_error_lines_flatten_all_but_a_stack_log_tail() -> None:
    assert error_lines(SinkServiceError("a\n  b")) == ["a b"]
    assert error_lines(ConfigError("x: required", "y: unknown key", source="f.yaml")) == [
        "f.yaml: x: required", "f.yaml: y: unknown key"]
    assert len(error_lines(ServiceStartError("kafka", "exited", "l1\nl2"))) > 1
    assert command_name(["sink", "run", "--config", "x"]) == "cdc sink run"


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(("command", "what"), [
    (["verify", "--source-dsn", "{dsn}", "--warehouse-dsn", "{dsn}"], "source database"),
    (["demo", "load", "--dsn", "{dsn}", "--changes", "1"], "source database"),
])
def test_an_unreachable_database_is_one_line_without_the_password(command: list[str],
                                                                   what: str) -> None:
    port = _closed_port()
    dsn = f"postgresql://someone:hunter2@127.0.0.1:{port}/shop"
    done = _cdc(*[word.format(dsn=dsn) for word in command])
    assert done.returncode == 1, done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith(f"cdc {command[0]}")
    assert f"{what} 127.0.0.1:{port}/shop: cannot connect" in line
    assert "hunter2" not in done.stderr + done.stdout


def test_a_corrupt_stack_state_file_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "stack.json").write_text("{not json")
    done = _cdc("stack", "status", "--dir", str(tmp_path))
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"cdc stack status: {tmp_path / 'stack.json'}: not a stack state file "
        "(JSONDecodeError: Expecting property name enclosed in double quotes: line 1 "
        "column 2 (char 1))"]


def test_stack_status_without_a_stack_says_so(tmp_path: Path) -> None:
    done = _cdc("stack", "status", "--dir", str(tmp_path / "none"))
    assert done.returncode == 3
    assert "Traceback" not in done.stderr
    assert f"no stack in {tmp_path / 'none'}" in done.stdout + done.stderr


@pytest.mark.parametrize("command", [["job", "status"], ["job", "stop", "--savepoint", "/x"]])
def test_an_unreachable_flink_cluster_is_one_line(command: list[str]) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    done = _cdc(*command, "--cluster", url)
    assert done.returncode == 1, done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith(f"cdc job {command[1]}: Flink cluster at {url} did not answer")


def test_job_submit_without_its_config_is_one_line(tmp_path: Path) -> None:
    done = _cdc("job", "submit", "--config", str(tmp_path / "absent.yaml"))
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"cdc job submit: {tmp_path / 'absent.yaml'}: no such file"]


def test_the_demo_on_a_corrupt_stack_state_file_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "stack.json").write_text("[]")
    done = _cdc("demo", "run", "--stack-dir", str(tmp_path))
    assert done.returncode == 1
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith(f"cdc demo run: {tmp_path / 'stack.json'}: not a stack state file")


def test_stack_down_without_a_stack_says_so(tmp_path: Path) -> None:
    done = _cdc("stack", "down", "--dir", str(tmp_path / "none"))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert f"no stack in {tmp_path / 'none'}" in done.stdout + done.stderr


def test_stack_up_refuses_a_broker_count_it_cannot_run(tmp_path: Path) -> None:
    done = _cdc("stack", "up", "--kafka-brokers", "2", "--dir", str(tmp_path / "s"))
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].startswith(
        "cdc stack up: error: argument --kafka-brokers: invalid choice: 2")
    assert not (tmp_path / "s").exists()
