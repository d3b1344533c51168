"""How every component reaches Kafka and the schema registry: one family of models.

The sink, the job and the operations exporter share these models, so a key means the same
thing in each of them (``kafka.sasl_password_file``, ``registry.basic_auth_user_info``,
``registry.ssl_ca_location``).  A component's own model adds only what is its own (a
consumer group, a subscription).  Secrets are ``SecretStr``, from the value or from a
mounted file (``*_file``), resolved in one place: ``secret_from_file``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

STRICT = ConfigDict(extra="forbid", frozen=True)


def secret_from_file(value: SecretStr | None, path: Path | None) -> SecretStr | None:
    """The secret given inline, else the first line of its file, else None."""
    if value is None and path is not None:
        return SecretStr(path.read_text().strip())
    return value


class KafkaConnection(BaseModel):
    """The brokers and the client settings passed through (``properties``: SASL, TLS …)."""

    model_config = STRICT
    bootstrap_servers: str
    properties: dict[str, str] = Field(default_factory=dict)
    sasl_password: SecretStr | None = None
    sasl_password_file: Path | None = None

    def password(self) -> SecretStr | None:
        return secret_from_file(self.sasl_password, self.sasl_password_file)

    def client_config(self) -> dict[str, Any]:
        """librdkafka connection settings: ``properties``, the brokers, the password."""
        conf: dict[str, Any] = {**self.properties, "bootstrap.servers": self.bootstrap_servers}
        password = self.password()
        if password is not None:
            conf["sasl.password"] = password.get_secret_value()
        return conf


class Subscription(BaseModel):
    """Which topics a consumer reads: a list, or one regular expression."""

    model_config = STRICT
    topics: tuple[str, ...] = ()
    topic_pattern: str | None = None

    @model_validator(mode="after")
    def _one_subscription(self) -> Self:
        if bool(self.topics) == bool(self.topic_pattern):
            raise ValueError("set exactly one of topics or topic_pattern")
        if self.topic_pattern:
            try:
                re.compile(self.topic_pattern)
            except re.error as exc:  # not a ValueError: pydantic would let it escape raw
                raise ValueError(f"topic_pattern is not a valid regex: {exc}") from exc
        return self

    def subscription(self) -> list[str]:
        """What librdkafka subscribes to (a pattern starts with ``^``)."""
        pattern = self.topic_pattern
        if pattern is not None:
            return [pattern if pattern.startswith("^") else "^" + pattern]
        return list(self.topics)


class RegistryConnection(BaseModel):
    """A Confluent-compatible schema registry (Apicurio's ``/apis/ccompat/v7`` included)."""

    model_config = STRICT
    url: str
    basic_auth_user_info: SecretStr | None = None  # "user:password"
    basic_auth_user_info_file: Path | None = None
    ssl_ca_location: Path | None = None  # CA bundle that signs an https registry
    # Per request: confluent-kafka's client waits forever without one, so an answer that
    # never comes would stall the caller silently; a timeout is retried by the caller.
    timeout_s: float = Field(default=10.0, gt=0)

    def user_info(self) -> SecretStr | None:
        return secret_from_file(self.basic_auth_user_info, self.basic_auth_user_info_file)
