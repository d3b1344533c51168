"""Broker loss. On a three-node Kafka (replication factor 3, min.insync.replicas 2) the node
leading the most partitions is killed -9 mid-workload while Debezium, the job's
transactional producers and the sink are all connected; once it is back in sync another
node is killed. On a single broker, the broker is killed -9 and restarted mid-workload and
every component recovers by itself. After the seeded workload quiesces the warehouse
equals the source."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from confluent_kafka.admin import AdminClient

from cdc_demo.pipeline import Pipeline
from cdc_stack import LocalStack, StackSettings
from tests.e2e.conftest import endpoints_of, pipelines, running
from tests.e2e.convergence import assert_converged, begin, seeded
from tests.e2e.faults import Background
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def three_brokers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    settings = StackSettings(services=("kafka", "registry", "postgres", "connect"),
                             kafka_brokers=3)
    with running(LocalStack(settings, tmp_path_factory.mktemp("three-brokers"))) as stack:
        yield stack


@pytest.fixture(scope="module")
def one_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """A stack of its own: the broker the shared stack's users rely on stays up."""
    settings = StackSettings(services=("kafka", "registry", "postgres", "connect"))
    with running(LocalStack(settings, tmp_path_factory.mktemp("one-broker"))) as stack:
        yield stack


@pytest.fixture
def make_pipeline_3(three_brokers: LocalStack, tmp_path: Path
                    ) -> Iterator[Callable[..., Pipeline]]:
    with pipelines(endpoints_of(three_brokers), tmp_path) as make:
        yield make


@pytest.fixture
def make_pipeline_1(one_broker: LocalStack, tmp_path: Path
                    ) -> Iterator[Callable[..., Pipeline]]:
    with pipelines(endpoints_of(one_broker), tmp_path) as make:
        yield make


def leaders(bootstrap: str) -> Counter[int]:
    """Partitions led per broker id, over every topic (internal ones included)."""
    metadata = AdminClient({"bootstrap.servers": bootstrap}).list_topics(timeout=10)
    return Counter(p.leader for t in metadata.topics.values() for p in t.partitions.values()
                   if p.leader >= 0)


def fully_in_sync(bootstrap: str, brokers: int) -> bool:
    """Every partition has all its replicas in sync (a restarted node has caught up)."""
    metadata = AdminClient({"bootstrap.servers": bootstrap}).list_topics(timeout=10)
    return len(metadata.brokers) == brokers and all(
        len(p.isrs) == len(p.replicas) for t in metadata.topics.values()
        for p in t.partitions.values())


def test_converges_when_the_leading_broker_and_then_another_are_killed_mid_workload(
        three_brokers: LocalStack, make_pipeline_3: Callable[..., Pipeline]) -> None:
    pipe, workload = make_pipeline_3(through_flink=True), seeded()
    pipe.partitions = 3
    bootstrap = three_brokers.state.endpoints.kafka_bootstrap
    loader = begin(pipe, workload)
    load = Background(lambda: loader.run(changes=5000))
    load.start()
    wait_until(lambda: loader.stats.changes > 1000 and pipe.latest_checkpoint() is not None,
               180, "workload progress and a completed checkpoint")
    first = leaders(bootstrap).most_common(1)[0][0]
    three_brokers.kill_broker(first)
    print(f"killed broker {first} at {loader.stats.changes} changes")
    wait_until(lambda: loader.stats.changes > 2500, 180, "workload progress")
    three_brokers.start_broker(first)
    wait_until(lambda: fully_in_sync(bootstrap, 3), 180, f"broker {first} back in sync")
    second = next(b for b, _ in leaders(bootstrap).most_common() if b != first)
    three_brokers.kill_broker(second)
    print(f"killed broker {second} at {loader.stats.changes} changes")
    load.result()
    assert_converged(pipe, workload)
    assert pipe.job is not None and pipe.job.alive() and pipe.sink is not None and (
        pipe.sink.alive())


def test_every_component_recovers_by_itself_when_the_only_broker_restarts_mid_workload(
        one_broker: LocalStack, make_pipeline_1: Callable[..., Pipeline]) -> None:
    pipe, workload = make_pipeline_1(through_flink=True), seeded()
    loader = begin(pipe, workload)
    load = Background(lambda: loader.run(changes=4000))
    load.start()
    wait_until(lambda: loader.stats.changes > 1200 and pipe.latest_checkpoint() is not None,
               180, "workload progress and a completed checkpoint")
    one_broker.kill_broker(1)
    print(f"killed the broker at {loader.stats.changes} changes")
    one_broker.start_broker(1)
    load.result()
    assert_converged(pipe, workload)
    assert pipe.job is not None and pipe.job.alive() and pipe.sink is not None and (
        pipe.sink.alive())
