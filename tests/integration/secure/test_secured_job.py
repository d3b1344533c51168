"""The job refused by the secured stack: a wrong password, an untrusted certificate (Kafka's
or the registry's) or a missing ACL stops ``cdc job run`` (and ``cdc job submit``) before
Flink starts, with one stderr line naming the job's command, the endpoint and the user, a
non-zero exit, no traceback and no secret in its output; a refusal only Flink meets (the
transactional ids) ends a job without restarts the same way."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic

from tests.integration.secure.conftest import Secured
from tests.stackfixtures import unique


def job_settings(at: Secured, run: str) -> dict[str, Any]:
    """The job's settings for the secured stack (user ``job``, every secret from a file)."""
    return {
        "kafka": {"bootstrap_servers": at.bootstrap,
                  "topic_pattern": f"shop_{run}\\.public\\..*", "group_id": f"cdc-job-{run}",
                  "properties": {"security.protocol": "SASL_SSL",
                                 "sasl.mechanism": "SCRAM-SHA-512", "sasl.username": "job",
                                 "ssl.ca.location": str(at.secrets.ca)},
                  "sasl_password_file": str(at.secrets.password_file("job"))},
        "registry": {"url": at.registry_url, "ssl_ca_location": str(at.secrets.ca)},
        "job": {"transactional_id_prefix": f"cdc-job-{run}"},
        "processing": {"processed_prefix": f"processed_{run}", "dlq_topic": f"cdc_{run}.dlq"},
        "metrics": {"topic": f"cdc_{run}.metrics"},
    }


def _wrong_password(at: Secured, tmp: Path, s: dict[str, Any]) -> str:
    wrong = tmp / "wrong.password"
    wrong.write_text("not-the-password\n")
    s["kafka"]["sasl_password_file"] = str(wrong)
    return f"kafka {at.bootstrap} (user job): authentication failed: "


def _untrusted_kafka(at: Secured, tmp: Path, s: dict[str, Any]) -> str:
    s["kafka"]["properties"]["ssl.ca.location"] = str(at.stranger.ca)
    return f"kafka {at.bootstrap} (user job): TLS failed"


def _missing_topic_acl(at: Secured, tmp: Path, s: dict[str, Any]) -> str:
    topic = f"forbidden_{unique('t')}"
    admin = AdminClient({**at.kafka("admin"), "bootstrap.servers": at.bootstrap})
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(30)
    del s["kafka"]["topic_pattern"]
    s["kafka"]["topics"] = [topic]
    return f"kafka {at.bootstrap} (user job): not authorized to read topic {topic} (missing ACL)"


def _missing_group_acl(at: Secured, tmp: Path, s: dict[str, Any]) -> str:
    s["kafka"]["group_id"] = "not-the-jobs-group"
    return (f"kafka {at.bootstrap} (user job): not authorized to use group "
            "not-the-jobs-group (missing ACL)")


def _untrusted_registry(at: Secured, tmp: Path, s: dict[str, Any]) -> str:
    s["registry"]["ssl_ca_location"] = str(at.stranger.ca)
    return f"schema registry {at.registry_url}: certificate not trusted"


CASES = {"kafka-wrong-password": _wrong_password, "kafka-untrusted-cert": _untrusted_kafka,
         "kafka-missing-topic-acl": _missing_topic_acl,
         "kafka-missing-group-acl": _missing_group_acl,
         "registry-untrusted-cert": _untrusted_registry}


def _cdc_job(command: str, config: Path) -> subprocess.CompletedProcess[str]:
    extra = ["--cluster", "http://127.0.0.1:9"] if command == "submit" else []
    return subprocess.run([sys.executable, "-m", "cdc_cli.main", "job", command, "--config",
                           str(config), *extra], capture_output=True, text=True, check=False,
                          timeout=180, env={**os.environ, "CDC_LOG_FORMAT": "text"})


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_refused_job_run_is_one_line_and_a_non_zero_exit(
        secured: Secured, tmp_path: Path, case: str) -> None:
    settings = job_settings(secured, unique("j").replace("-", ""))
    expected = CASES[case](secured, tmp_path, settings)
    config = tmp_path / "job.yaml"
    config.write_text(yaml.safe_dump(settings))
    done = _cdc_job("run", config)
    _assert_one_line(done, f"cdc job run: {expected}", secured)


def test_a_refused_job_submit_is_one_line_and_a_non_zero_exit(
        secured: Secured, tmp_path: Path) -> None:
    settings = job_settings(secured, unique("j").replace("-", ""))
    expected = _wrong_password(secured, tmp_path, settings)
    config = tmp_path / "job.yaml"
    config.write_text(yaml.safe_dump(settings))
    _assert_one_line(_cdc_job("submit", config), f"cdc job submit: {expected}", secured)


def _assert_one_line(done: subprocess.CompletedProcess[str], expected: str,
                     at: Secured) -> None:
    assert done.returncode == 1, done
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert expected in lines[0], lines
    output = done.stdout + done.stderr
    assert "Traceback" not in output
    for secret in at.passwords():
        assert secret not in output


def test_a_job_refused_inside_flink_is_one_line_and_a_non_zero_exit(
        secured: Secured, tmp_path: Path) -> None:
    """The transactional ids are what the pre-flight check cannot see: Flink's sinks are
    refused when they start, and a restart strategy that gives up ends the run."""
    settings = job_settings(secured, unique("j").replace("-", ""))
    settings["job"] |= {"transactional_id_prefix": "tx-not-granted",
                        "checkpoint_dir": (tmp_path / "checkpoints").as_uri(),
                        "flink_conf": {"restart-strategy.type": "none"}}
    config = tmp_path / "job.yaml"
    config.write_text(yaml.safe_dump(settings))
    _assert_one_line(_cdc_job("run", config),
                     f"cdc job run: kafka {secured.bootstrap} (user job): not authorized to use "
                     "transactional ids tx-not-granted* (missing ACL)", secured)
