"""``cdc verify`` and ``cdc freshness`` against the secured PostgreSQL: they connect with
verify-full and a passfile, and a wrong password or an untrusted certificate is one line on
stderr naming the command and the database endpoint, a non-zero exit and no secret."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.integration.secure.conftest import Secured
from tests.integration.secure.sinkrun import sink_settings
from tests.stackfixtures import unique


def _cdc(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cdc_cli.main", *args], capture_output=True,
                          text=True, check=False, timeout=120)


def _bad_dsn(at: Secured, tmp: Path, case: str) -> str:
    if case == "untrusted-cert":
        return at.dsn("sink").replace(str(at.secrets.ca), str(at.stranger.ca))
    wrong = tmp / "wrong.pgpass"
    wrong.write_text("127.0.0.1:*:*:sink:not-the-password\n")
    wrong.chmod(0o600)
    return at.dsn("sink").replace(str(at.secrets.pgpass("sink")), str(wrong))


def _freshness_config(at: Secured, tmp: Path, dsn: str) -> Path:
    settings = sink_settings(at, group=unique("cdc-sink"), topics=["processed_x.public.t"],
                             schema="warehouse", dlq="cdc.dlq")
    settings["postgres"]["dsn"] = dsn
    path = tmp / "sink.yaml"
    path.write_text(yaml.safe_dump(settings))
    return path


def _assert_one_clear_line(done: subprocess.CompletedProcess[str], command: str,
                           at: Secured) -> None:
    assert done.returncode != 0, done
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"cdc {command}: "), lines
    assert f"127.0.0.1:{at.postgres_port}/postgres" in lines[0], lines
    output = done.stdout + done.stderr
    assert "Traceback" not in output
    for secret in at.passwords():
        assert secret not in output


def test_freshness_reads_the_secured_warehouse(secured: Secured, tmp_path: Path) -> None:
    done = _cdc("freshness", "--config", str(_freshness_config(secured, tmp_path,
                                                                 secured.dsn("sink"))))
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("case", ["wrong-password", "untrusted-cert"])
def test_verify_refused_is_one_line(secured: Secured, tmp_path: Path, case: str) -> None:
    bad = _bad_dsn(secured, tmp_path, case)
    done = _cdc("verify", "--source-dsn", bad, "--warehouse-dsn", bad, "--tables", "t")
    _assert_one_clear_line(done, "verify", secured)


@pytest.mark.parametrize("case", ["wrong-password", "untrusted-cert"])
def test_freshness_refused_is_one_line(secured: Secured, tmp_path: Path, case: str) -> None:
    config = _freshness_config(secured, tmp_path, _bad_dsn(secured, tmp_path, case))
    _assert_one_clear_line(_cdc("freshness", "--config", str(config)), "freshness", secured)
