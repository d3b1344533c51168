"""Credential, TLS and ACL errors of a Kafka client: one line, said once, handed on."""

from __future__ import annotations

import logging

import pytest
from confluent_kafka import KafkaError

from cdc_core.kafka_problems import ClientProblems


def _config() -> dict[str, str]:
    return {"bootstrap.servers": "127.0.0.1:9093", "sasl.username": "sink",
            "sasl.password": "s3cret-value"}


def test_an_authentication_failure_is_one_line_naming_component_brokers_and_user(
        caplog: pytest.LogCaptureFixture) -> None:
    seen: list[str] = []
    problems = ClientProblems("sink", _config(), seen.append)
    for suppressed in (1, 4):
        problems(KafkaError(KafkaError._AUTHENTICATION,
                            "SASL authentication error: invalid credentials (after 301ms in "
                            f"state AUTH_REQ, {suppressed} identical error(s) suppressed)"))
    line = ("sink: kafka 127.0.0.1:9093 (user sink): authentication failed: SASL "
            "authentication error: invalid credentials")
    assert seen == [line, line]
    assert [r.getMessage() for r in caplog.records] == [line]  # once while it repeats
    assert "s3cret-value" not in caplog.text


def test_other_errors_are_warnings_and_do_not_touch_readiness(
        caplog: pytest.LogCaptureFixture) -> None:
    seen: list[str] = []
    problems = ClientProblems("lag-exporter", _config(), seen.append)
    problems(KafkaError(KafkaError._TRANSPORT, "broker down"))
    assert seen == []
    assert caplog.records[0].levelno == logging.WARNING
    assert problems.line(KafkaError(KafkaError.TOPIC_AUTHORIZATION_FAILED, "t")) == (
        "lag-exporter: kafka 127.0.0.1:9093 (user sink): not authorized (missing ACL): t")


def test_user_properties_win_over_the_quiet_log_level() -> None:
    problems = ClientProblems("sink", _config())
    merged = {**problems.settings(), "log_level": 6}
    assert merged["log_level"] == 6 and merged["error_cb"] is problems
