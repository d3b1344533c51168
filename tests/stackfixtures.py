"""Session fixtures giving tests the real engines: Kafka, the schema registry, PostgreSQL.

Backend, by ``CDC_TEST_STACK``:
- ``auto`` (default): containers (testcontainers) when a Docker engine answers, else local;
- ``docker``: containers, fail if no engine;
- ``local``: deploy/local processes (cdc_stack), private ports and directories.
Bring your own: set ``CDC_TEST_KAFKA_BOOTSTRAP``, ``CDC_TEST_REGISTRY_URL`` (Confluent-compatible
API) and ``CDC_TEST_POSTGRES_DSN`` to use an already running cluster; nothing is started then.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from confluent_kafka.admin import AdminClient, NewTopic
from psycopg import sql

from cdc_stack import LocalStack, StackSettings, resolve
from cdc_stack.versions import FLINK_KAFKA_CONNECTOR_JAR


@dataclass(frozen=True)
class Services:
    """Endpoints of the engines under test."""

    kafka_bootstrap: str
    registry_url: str
    postgres_dsn: str
    flink_connector_jar: Path
    backend: str


def _docker_answers() -> bool:
    try:
        import docker  # type: ignore[import-untyped]

        return bool(docker.from_env(timeout=3).ping())
    except Exception:
        return False


def _connector_jar(settings: StackSettings) -> Path:
    resolve.resolve(settings.cache_dir, ["flink"])
    return resolve.path_of(settings.cache_dir, "flink") / FLINK_KAFKA_CONNECTOR_JAR


@contextmanager
def _local(run_dir: Path, settings: StackSettings) -> Iterator[Services]:
    stack = LocalStack(settings, run_dir)
    state = stack.up()
    print(f"\nlocal stack ready in {state.total_startup_s}s: {state.startup_s}")
    try:
        ep = state.endpoints
        yield Services(ep.kafka_bootstrap, ep.registry_url, ep.postgres_dsn,
                       _connector_jar(settings), "local")
    finally:
        stack.down()


@contextmanager
def _docker(settings: StackSettings) -> Iterator[Services]:
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.waiting_utils import wait_for_logs
    from testcontainers.kafka import KafkaContainer
    from testcontainers.postgres import PostgresContainer

    with ExitStack() as stack:
        kafka = stack.enter_context(KafkaContainer("apache/kafka:4.1.1").with_kraft())
        pg = stack.enter_context(
            PostgresContainer("postgres:16", driver=None).with_command("-c wal_level=logical"))
        registry = (DockerContainer("apicurio/apicurio-registry:3.3.3")
                    .with_exposed_ports(8080)
                    .with_env("APICURIO_CCOMPAT_LEGACY_ID_MODE_ENABLED", "false")
                    .with_env("APICURIO_CCOMPAT_USE_CANONICAL_HASH", "true")
                    .with_env("APICURIO_RULES_GLOBAL_COMPATIBILITY", "BACKWARD"))
        stack.enter_context(registry)
        wait_for_logs(registry, "started in", timeout=120)
        url = (f"http://{registry.get_container_host_ip()}:"
               f"{registry.get_exposed_port(8080)}/apis/ccompat/v7")
        yield Services(kafka.get_bootstrap_server(), url, pg.get_connection_url(),
                       _connector_jar(settings), "docker")


@pytest.fixture(scope="session")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    """The engines for this test session, started once."""
    settings = StackSettings()
    byo = [os.environ.get(k) for k in
           ("CDC_TEST_KAFKA_BOOTSTRAP", "CDC_TEST_REGISTRY_URL", "CDC_TEST_POSTGRES_DSN")]
    if all(byo):
        kafka, registry, pg = (str(v) for v in byo)
        yield Services(kafka, registry, pg, _connector_jar(settings), "external")
        return
    backend = os.environ.get("CDC_TEST_STACK", "auto")
    if backend not in ("auto", "docker", "local"):
        raise pytest.UsageError(f"CDC_TEST_STACK={backend!r}: expected auto, docker or local")
    if backend == "docker" or (backend == "auto" and _docker_answers()):
        with _docker(settings) as found:
            yield found
    else:
        with _local(tmp_path_factory.mktemp("stack"), settings) as found:
            yield found


@pytest.fixture(scope="session")
def kafka_bootstrap(services: Services) -> str:
    return services.kafka_bootstrap


@pytest.fixture(scope="session")
def registry_url(services: Services) -> str:
    return services.registry_url


@pytest.fixture(scope="session")
def postgres_dsn(services: Services) -> str:
    return services.postgres_dsn


def unique(prefix: str) -> str:
    """A name no other test (or test run) uses."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def new_topic(kafka_bootstrap: str) -> Callable[..., str]:
    """Factory: create a fresh topic with a random name and return the name."""
    admin = AdminClient({"bootstrap.servers": kafka_bootstrap})

    def create(prefix: str = "t", partitions: int = 1) -> str:
        name = unique(prefix)
        futures = admin.create_topics([NewTopic(name, partitions, 1)], operation_timeout=30)
        futures[name].result(timeout=30)
        return name

    return create


@pytest.fixture
def new_group() -> Callable[[], str]:
    """Factory: a random consumer group id."""
    return lambda: unique("group")


@pytest.fixture
def pg_schema(postgres_dsn: str) -> Iterator[str]:
    """A private PostgreSQL schema, dropped after the test."""
    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("create schema {}").format(sql.Identifier(name)))
    yield name
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("drop schema {} cascade").format(sql.Identifier(name)))
