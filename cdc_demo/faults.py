"""``cdc demo run --faults``: the failures the pipeline exists to survive, once each, mid-run.

In order, spread over the workload: one poison record planted in a raw topic (it must end
in the DLQ), Kafka Connect killed and restarted (Debezium replays from its last flushed
offset: the duplicates the job drops), a TaskManager killed -9 (on a session cluster; the
embedded job's process otherwise, restored from its last checkpoint), the sink killed -9
and restarted. Each recovery is timed from the fault until the part answers again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from confluent_kafka import Producer

from cdc_core.errors import StackError
from cdc_demo.connector import Connect
from cdc_demo.pipeline import Pipeline
from cdc_stack import LocalStack, readiness
from flink_jobs.cluster import Cluster

POISON = b"\x07not a Confluent-framed Avro record"


@dataclass(frozen=True)
class Recovery:
    """One fault and how long the faulted part took to answer again."""

    fault: str
    seconds: float


def wait_for(condition: Callable[[], bool], what: str, timeout_s: float = 180.0) -> None:
    """Poll until ``condition`` holds; a StackError naming ``what`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise StackError(f"--faults: {what} did not recover within {timeout_s:.0f}s")
        time.sleep(0.5)


def plant_poison(pipe: Pipeline) -> None:
    """One record no decoder can read, in the first raw topic."""
    producer = Producer(pipe.kafka_client())
    producer.produce(pipe.names.raw_topics()[0], key=b"poison", value=POISON)
    if producer.flush(30) != 0:
        raise StackError("--faults: the poison record was not acknowledged")


def restart_connect(stack: LocalStack, pipe: Pipeline) -> None:
    stack.kill_and_restart_connect()
    Connect(pipe.endpoints.connect_url).wait_running(pipe.names.connector, 180)


def kill_taskmanager(stack: LocalStack, pipe: Pipeline) -> None:
    """On a cluster: TaskManager 1, then the job running again; embedded: the job process,
    restarted from its last checkpoint."""
    if pipe.cluster_url is None or pipe.cluster_job_id is None:
        assert pipe.job is not None
        pipe.job.kill9()
        pipe.start_job(restore_from=pipe.latest_checkpoint())
        return
    cluster, job_id = Cluster(pipe.cluster_url), pipe.cluster_job_id
    stack.kill_taskmanager(1)
    wait_for(lambda: cluster.state(job_id) != "RUNNING", "the job's failover", 60)
    stack.start_taskmanager(1)
    wait_for(lambda: cluster.state(job_id) == "RUNNING", "the job")


def kill_sink(pipe: Pipeline) -> None:
    assert pipe.sink is not None
    pipe.sink.kill9()
    pipe.start_sink()
    wait_for(lambda: readiness.http_ok(f"http://127.0.0.1:{pipe.sink_port}/readyz"),
             "the sink")


class FaultRun(threading.Thread):
    """The faults at even intervals over ``duration_s``; ``recoveries`` once joined."""

    def __init__(self, stack: LocalStack, pipe: Pipeline, duration_s: float) -> None:
        super().__init__(daemon=True)
        self.steps: list[tuple[str, Callable[[], None]]] = [
            ("poison record", lambda: plant_poison(pipe)),
            ("kafka connect", lambda: restart_connect(stack, pipe)),
            ("taskmanager" if pipe.cluster_url else "flink job",
             lambda: kill_taskmanager(stack, pipe)),
            ("sink", lambda: kill_sink(pipe))]
        self.interval_s = duration_s / (len(self.steps) + 1)
        self.recoveries: list[Recovery] = []
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            for name, step in self.steps:
                time.sleep(self.interval_s)
                began = time.monotonic()
                step()
                self.recoveries.append(Recovery(name, round(time.monotonic() - began, 1)))
        except BaseException as exc:  # re-raised by the demo's thread
            self.error = exc

    def result(self) -> list[Recovery]:
        self.join()
        if self.error is not None:
            raise self.error
        return self.recoveries
