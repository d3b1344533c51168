"""Integration fixtures: real Kafka, schema registry and PostgreSQL (see tests/stackfixtures.py)."""

from tests.stackfixtures import (
    kafka_bootstrap,
    new_group,
    new_topic,
    pg_schema,
    postgres_dsn,
    registry_url,
    services,
)

__all__ = ["kafka_bootstrap", "new_group", "new_topic", "pg_schema", "postgres_dsn",
           "registry_url", "services"]
