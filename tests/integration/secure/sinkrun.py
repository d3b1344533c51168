"""The sink as a process against the secured stack, configured as a deployment would be."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

from cdc_stack.ports import free_port
from tests.integration.secure.conftest import Secured


def sink_settings(at: Secured, *, group: str, topics: list[str], schema: str,
                  dlq: str) -> dict[str, Any]:
    """The sink's settings for the secured stack: every secret from a file."""
    secrets = at.secrets
    return {
        "kafka": {"bootstrap_servers": at.bootstrap, "group_id": group, "topics": topics,
                  "properties": {"security.protocol": "SASL_SSL",
                                 "sasl.mechanism": "SCRAM-SHA-512", "sasl.username": "sink",
                                 "ssl.ca.location": str(secrets.ca)},
                  "sasl_password_file": str(secrets.password_file("sink"))},
        "registry": {"url": at.registry_url, "ssl_ca_location": str(secrets.ca)},
        "postgres": {"dsn": at.dsn("sink"), "target_schema": schema},
        "sink": {"batch_max_rows": 500, "batch_max_wait_ms": 200, "dlq_topic": dlq},
        "http": {"host": "127.0.0.1", "port": free_port()},
    }


@dataclass
class SecuredSink:
    """One ``cdc sink run`` child with its settings file and log."""

    settings: dict[str, Any]
    log: Path
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> SecuredSink:
        config = self.log.with_suffix(".yaml")
        config.write_text(yaml.safe_dump(self.settings))
        env = {**os.environ, "CDC_LOG_FORMAT": "text"}
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "cdc_cli.main", "sink", "run", "--config", str(config)],
                stdout=out, stderr=subprocess.STDOUT, env=env)
        return self

    def readiness(self) -> tuple[bool, str] | None:
        url = f"http://127.0.0.1:{self.settings['http']['port']}/readyz"
        try:
            body = httpx.get(url, timeout=2).json()
        except httpx.HTTPError:
            return None
        return bool(body["ready"]), str(body["reason"])

    def wait_not_ready_with(self, text: str, timeout_s: float = 120) -> str:
        """Until /readyz is not ready with a reason holding ``text``; that reason."""
        deadline = time.monotonic() + timeout_s
        seen: tuple[bool, str] | None = None
        while time.monotonic() < deadline:
            assert self.proc is not None and self.proc.poll() is None, self.output()
            seen = self.readiness()
            if seen is not None and not seen[0] and text in seen[1]:
                return seen[1]
            time.sleep(0.3)
        raise AssertionError(f"readiness never said {text!r}; last {seen}\n{self.output()}")

    def stop(self) -> int:
        """SIGTERM and its exit code: also while it retries a refused connection."""
        assert self.proc is not None
        self.proc.terminate()
        return self.proc.wait(60)

    def output(self) -> str:
        return self.log.read_text(errors="replace")
