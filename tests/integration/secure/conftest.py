"""A secured local stack of its own (``cdc stack up --secure``: Kafka SASL_SSL with ACLs,
PostgreSQL TLS + SCRAM, the registry over HTTPS), started once for this folder's tests."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from cdc_stack import LocalStack, StackSettings, postgres, security


@dataclass(frozen=True)
class Secured:
    """The secured stack's endpoints and secrets."""

    bootstrap: str
    registry_url: str
    admin_dsn: str  # the superuser's, over TLS (verify-full), password from its passfile
    postgres_port: int
    secrets: security.Material
    stranger: security.Material  # another CA's material: a certificate nobody here trusts

    def kafka(self, user: str) -> dict[str, str]:
        """librdkafka settings for ``user``, password included (for test clients)."""
        return security.librdkafka_config(self.secrets, user)

    def dsn(self, user: str) -> str:
        return postgres.dsn(self.postgres_port, secured=self.secrets, user=user)

    def passwords(self) -> list[str]:
        """Every secret of the stack: none may appear in any output."""
        found = [self.secrets.password(u) for u in security.KAFKA_USERS]
        found += [self.secrets.password(u, "postgres") for u in security.POSTGRES_USERS]
        return [*found, self.secrets.store_password]


@pytest.fixture(scope="package")
def secured() -> Iterator[Secured]:
    settings = StackSettings(secure=True, services=("kafka", "registry", "postgres"))
    run_dir = Path(tempfile.mkdtemp(prefix="cdc-secure-"))
    stack = LocalStack(settings, run_dir)
    state = stack.up()
    try:
        ep = state.endpoints
        port = int(ep.postgres_dsn.split("@127.0.0.1:", 1)[1].split("/", 1)[0])
        yield Secured(ep.kafka_bootstrap, ep.registry_url, ep.postgres_dsn, port,
                      security.Material(Path(ep.secrets_dir)),
                      security.generate(run_dir / "stranger"))
    finally:
        stack.down()
