"""Running the processor job from tests: config file, child process, outputs, metrics."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from confluent_kafka import Consumer, Message

from cdc_core.avro import AvroDecoder
from tests.support.registry import registry_client

CDC = str(Path(sys.executable).with_name("cdc"))
METRIC_LINE = re.compile(
    r"^flink_taskmanager_job_task_operator_cdc_(?:reason_)?(\w+)\{(.*)\}\s+(\S+)$")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_config(path: Path, config: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(config))
    return path


@dataclass
class JobProcess:
    """A ``cdc job run`` child process in its own process group (so it can be killed)."""

    proc: subprocess.Popen[bytes]
    log: Path

    @classmethod
    def start(cls, config: Path, log: Path) -> JobProcess:
        with log.open("wb") as out:
            proc = subprocess.Popen([CDC, "job", "run", "--config", str(config)],
                                    stdout=out, stderr=subprocess.STDOUT,
                                    start_new_session=True)
        return cls(proc, log)

    def kill(self) -> None:
        """SIGKILL the job's process group (client and the JVM it launched)."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


class Reader:
    """A read_committed consumer kept open across phases, collecting per topic."""

    def __init__(self, bootstrap: str, group: str, topics: list[str]) -> None:
        self._consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                                   "auto.offset.reset": "earliest",
                                   "enable.auto.commit": False,
                                   "isolation.level": "read_committed",
                                   "topic.metadata.refresh.interval.ms": 1000})
        self._consumer.subscribe(topics)
        self.seen: dict[str, list[Message]] = {t: [] for t in topics}

    def until(self, done: Callable[[dict[str, list[Message]]], bool], job: JobProcess | None,
              timeout_s: float = 90) -> dict[str, list[Message]]:
        """Poll until ``done(seen)``; fail with the job's log on timeout or job exit."""
        deadline = time.monotonic() + timeout_s
        while not done(self.seen):
            if time.monotonic() > deadline or (job is not None and job.proc.poll() is not None):
                counts = {t: len(m) for t, m in self.seen.items()}
                raise AssertionError(f"timed out with {counts}\n{job.tail() if job else ''}")
            msg = self._consumer.poll(0.5)
            if msg is not None and not msg.error():
                self.seen[msg.topic()].append(msg)
        return self.seen

    def drain(self, quiet_s: float) -> dict[str, list[Message]]:
        """Keep reading until nothing arrives for ``quiet_s``."""
        last = time.monotonic()
        while time.monotonic() - last < quiet_s:
            msg = self._consumer.poll(0.5)
            if msg is not None and not msg.error():
                self.seen[msg.topic()].append(msg)
                last = time.monotonic()
        return self.seen

    def close(self) -> None:
        self._consumer.close()


class OutputDecoder:
    """Decodes output records with the schemas the job registered."""

    def __init__(self, registry_url: str) -> None:
        self.client = registry_client(registry_url)
        self._avro = AvroDecoder(lambda i: self.client.get_schema(i).schema_str)

    def value(self, msg: Message) -> dict[str, Any]:
        return self._avro.decode(msg.value())[1]

    def key(self, msg: Message) -> dict[str, Any]:
        return self._avro.decode(msg.key())[1]

    def schema(self, msg: Message) -> dict[str, Any]:
        schema_id, _ = self._avro.decode(msg.value())
        return self._avro.schema_of(schema_id)


def scrape(port: int) -> dict[str, float]:
    """Our ``cdc`` counters from the job's Prometheus endpoint, summed over tasks and labels
    except ``reason`` (name or name{reason=...})."""
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    totals: dict[str, float] = {}
    for line in text.splitlines():
        found = METRIC_LINE.match(line)
        if not found:
            continue
        name, labels, value = found.groups()
        reason = re.search(r'reason="([^"]*)"', labels)
        key = f"{name}{{{reason.group(1)}}}" if reason else name
        totals[key] = totals.get(key, 0.0) + float(value)
    return totals
