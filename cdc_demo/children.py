"""The pipeline's own services (``cdc sink run``, ``cdc job run``) as child processes.

Each child leads its own process group, so a stop or a SIGKILL reaches everything it
started (the Flink job's JVM included) and nothing outlives the demo or a test.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

CDC = [sys.executable, "-m", "cdc_cli.main"]


def write_yaml(path: Path, data: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@dataclass
class Child:
    """One ``cdc <service> run --config FILE`` process, logging to ``log``."""

    argv: list[str]
    log: Path
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @classmethod
    def cdc(cls, service: str, config: Path, log: Path) -> Child:
        return cls([*CDC, service, "run", "--config", str(config)], log)

    def start(self) -> Child:
        env = {**os.environ, "CDC_LOG_FORMAT": "text"}
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(self.argv, stdout=out, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, env=env,
                                         start_new_session=True)
        return self

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill9(self) -> None:
        """SIGKILL the whole group: the crash the services must survive."""
        self._signal_group(signal.SIGKILL)
        self._wait(30)

    def stop(self, timeout_s: float = 60) -> int | None:
        """SIGTERM (graceful), then SIGKILL after ``timeout_s``; the exit code."""
        if self.proc is None:
            return None
        self._signal_group(signal.SIGTERM)
        try:
            return self.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.kill9()
            return self.proc.returncode

    def tail(self, lines: int = 60) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def _signal_group(self, sig: int) -> None:
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, sig)

    def _wait(self, timeout_s: float) -> None:
        if self.proc is not None:
            self.proc.wait(timeout_s)
