"""E2E fixtures: one local stack with Kafka Connect + Debezium for the whole session.

Each test builds its own ``Pipeline`` (own source database, connector, slot, topics,
warehouse schema, consumer group), so tests share engines but no state. The stack is
started from ``deploy/local`` (no Docker needed); ``CDC_E2E_STACK_DIR`` re-uses a stack
already started with ``cdc stack up --connect --dir DIR`` (nothing is started or stopped).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from cdc_demo.configs import Endpoints, Names
from cdc_demo.pipeline import Pipeline
from cdc_stack import LocalStack, StackSettings


@pytest.fixture(scope="session")
def e2e_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """Kafka, registry, PostgreSQL and Kafka Connect, started once per session."""
    reuse = os.environ.get("CDC_E2E_STACK_DIR")
    if reuse:
        yield LocalStack.load(Path(reuse))
        return
    settings = StackSettings(services=("kafka", "registry", "postgres", "connect"))
    with running(LocalStack(settings, tmp_path_factory.mktemp("e2e-stack"))) as stack:
        yield stack


@contextmanager
def running(stack: LocalStack) -> Iterator[LocalStack]:
    """``stack`` up for the block, then down with its files."""
    state = stack.up()
    print(f"\nstack in {state.run_dir} ready in {state.total_startup_s}s: {state.startup_s}")
    try:
        yield stack
    finally:
        stack.down()


@pytest.fixture(scope="session")
def endpoints(e2e_stack: LocalStack) -> Endpoints:
    return endpoints_of(e2e_stack)


def endpoints_of(stack: LocalStack) -> Endpoints:
    """The pipeline's view of a stack's endpoints."""
    ep = stack.state.endpoints
    return Endpoints(ep.kafka_bootstrap, ep.registry_url, ep.registry_v2_url, ep.connect_url,
                     ep.postgres_dsn)


@pytest.fixture
def make_pipeline(endpoints: Endpoints, tmp_path: Path) -> Iterator[Callable[..., Pipeline]]:
    """Factory of pipelines with random names; each one is closed after the test."""
    with pipelines(endpoints, tmp_path) as make:
        yield make


@contextmanager
def pipelines(endpoints: Endpoints, tmp_path: Path) -> Iterator[Callable[..., Pipeline]]:
    """A factory of pipelines on ``endpoints``, each closed when the block ends."""
    made: list[Pipeline] = []

    def make(*, through_flink: bool, **options: int) -> Pipeline:
        run_id = uuid.uuid4().hex[:10]
        names = Names(run_id, source_db=f"shop_{run_id}", target_schema=f"dw_{run_id}")
        made.append(Pipeline(names, endpoints, tmp_path / run_id, through_flink, **options))
        return made[-1]

    try:
        yield make
    finally:
        for pipeline in made:
            pipeline.close(drop_source=True)
