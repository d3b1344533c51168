"""The schema registry client tests and benchmarks use.

confluent-kafka's client waits forever for a response by default; the local registry once
logged a 404 it never delivered, and a test hung for good.  With a per-request timeout the
client retries (``max.retries``) and a stuck request becomes a retry, not a hang.
"""

from __future__ import annotations

from confluent_kafka.schema_registry import SchemaRegistryClient

REQUEST_TIMEOUT_S = 10


def registry_client(url: str) -> SchemaRegistryClient:
    return SchemaRegistryClient({"url": url, "timeout": REQUEST_TIMEOUT_S})
