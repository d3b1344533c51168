"""The schema registry at the edge: one adapter for the sink, the job's Python side and tools.

confluent-kafka's ``SchemaRegistryClient`` speaks HTTP to any Confluent-compatible registry
(Apicurio's ``/apis/ccompat/v7`` included).  ``Registry`` builds it from a
``RegistryConnection`` (basic auth, TLS CA, per-request timeout, no hidden retries) and
offers the three calls the project makes.  Its errors are translated once, here, by
``translate``:

==============================================  =========================================
what the client raised                          what the caller sees
==============================================  =========================================
``SchemaRegistryError`` 404 on a schema id      ``SchemaNotFound``: the record is at fault
``SchemaRegistryError`` 404 on a subject        ``latest`` answers None
``SchemaRegistryError`` 408, 429, 5xx           ``RegistryUnavailable``: retry, never DLQ
``SchemaRegistryError`` any other status        ``RegistryRefused`` with the status
transport errors (refused, reset, timeout, TLS) ``RegistryUnavailable``
==============================================  =========================================

Callers retry ``RegistryUnavailable`` (the sink with backoff, the job from its checkpoint)
and never dead-letter a record because the registry was down.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError

from cdc_core.connections import RegistryConnection
from cdc_core.errors import RegistryRefused, RegistryUnavailable, SchemaNotFound

try:  # confluent-kafka speaks through httpx2 where it is installed, httpx otherwise
    import httpx2

    TRANSPORT_ERRORS: tuple[type[Exception], ...] = (httpx.TransportError,
                                                     httpx2.TransportError)
except ImportError:  # pragma: no cover - depends on the installed client
    TRANSPORT_ERRORS = (httpx.TransportError,)

UNAVAILABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


def client_conf(connection: RegistryConnection) -> dict[str, Any]:
    """SchemaRegistryClient settings: one try per request, bounded by ``timeout_s``.

    The client's own retries (with jittered waits) would make one request to a frozen
    registry block for several timeouts with nothing logged; callers retry instead.
    """
    conf: dict[str, Any] = {"url": connection.url, "timeout": connection.timeout_s,
                            "max.retries": 0}
    user_info = connection.user_info()
    if user_info is not None:
        conf["basic.auth.user.info"] = user_info.get_secret_value()
    if connection.ssl_ca_location is not None:
        conf["ssl.ca.location"] = str(connection.ssl_ca_location)
    return conf


def translate(exc: Exception, what: str, *, missing: Callable[[str], Exception] | None = None
              ) -> Exception:
    """The project's error for a registry client failure (the table in the docstring)."""
    if isinstance(exc, TRANSPORT_ERRORS):
        return RegistryUnavailable(f"schema registry: {what}: {type(exc).__name__}: {exc}")
    if isinstance(exc, SchemaRegistryError):
        status = exc.http_status_code
        detail = f"schema registry: {what}: HTTP {status}: {exc.error_message}"
        if status == 404 and missing is not None:
            return missing(detail)
        if status in UNAVAILABLE_STATUSES:
            return RegistryUnavailable(detail)
        return RegistryRefused(detail, status=status)
    return exc


@contextmanager
def translated(what: str, missing: Callable[[str], Exception] | None = None) -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        mapped = translate(exc, what, missing=missing)
        if mapped is exc:
            raise
        raise mapped from exc


class _SubjectMissing(LookupError):
    """Internal: a 404 on a subject, answered as None by ``Registry.latest``."""


class Registry:
    """Fetch by id, latest version of a subject, register — over one client."""

    def __init__(self, connection: RegistryConnection,
                 client: SchemaRegistryClient | None = None) -> None:
        self.client = client if client is not None else SchemaRegistryClient(
            client_conf(connection))
        self.url = connection.url

    def fetch(self, schema_id: int) -> str:
        """Writer schema text by id (the client caches it: one request per id)."""
        with translated(f"fetching schema id {schema_id}", SchemaNotFound):
            text = self.client.get_schema(schema_id).schema_str
        if text is None:
            raise SchemaNotFound(f"schema registry: schema id {schema_id} has no schema text")
        return str(text)

    def latest(self, subject: str) -> str | None:
        """The newest schema text registered under ``subject``; None if there is none."""
        try:
            with translated(f"latest version of {subject}", _SubjectMissing):
                return str(self.client.get_latest_version(subject).schema.schema_str)
        except _SubjectMissing:
            return None

    def register(self, subject: str, schema: str) -> int:
        """Register (or find) ``schema`` under ``subject``; its id."""
        with translated(f"registering a schema under {subject}"):
            return int(self.client.register_schema(subject, Schema(schema, "AVRO")))
