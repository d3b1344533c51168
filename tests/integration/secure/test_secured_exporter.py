"""The lag exporter against the secured stack: it measures as user ``exporter`` (describe
only), and a wrong password or an untrusted certificate makes its pass fail with one line
naming the exporter and the brokers, and no secret in its log."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from cdc_ops.config import ExporterConfig
from cdc_ops.lag_exporter import LagExporter
from tests.integration.secure.conftest import Secured


def _config(at: Secured, *, password_file: Path, ca: Path) -> ExporterConfig:
    return ExporterConfig(
        kafka={"bootstrap_servers": at.bootstrap, "sasl_password_file": password_file,
               "properties": {"security.protocol": "SASL_SSL",
                              "sasl.mechanism": "SCRAM-SHA-512",
                              "sasl.username": "exporter", "ssl.ca.location": str(ca)}},
        groups=("cdc-sink-none",), interval_s=1)


def _one_pass(config: ExporterConfig) -> str | None:
    exporter = LagExporter(config, CollectorRegistry())
    try:
        exporter.measure_once()
    finally:
        exporter.stop()
        exporter.run()  # stopped: closes its clients
    return exporter.problem


def test_the_exporter_measures_with_its_own_user(secured: Secured) -> None:
    assert _one_pass(_config(secured, password_file=secured.secrets.password_file("exporter"),
                             ca=secured.secrets.ca)) is None


@pytest.mark.parametrize("case", ["wrong-password", "untrusted-cert"])
def test_a_refused_connection_fails_the_pass_with_one_line(
        secured: Secured, tmp_path: Path, case: str, caplog: pytest.LogCaptureFixture) -> None:
    wrong = tmp_path / "wrong.password"
    wrong.write_text("not-the-password\n")
    config = _config(secured, ca=secured.stranger.ca if case == "untrusted-cert"
                     else secured.secrets.ca,
                     password_file=wrong if case == "wrong-password"
                     else secured.secrets.password_file("exporter"))
    problem = _one_pass(config)
    assert problem is not None
    assert problem.startswith(f"lag-exporter: kafka {secured.bootstrap}"), problem
    assert "\n" not in problem
    for secret in secured.passwords():
        assert secret not in caplog.text
