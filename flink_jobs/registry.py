"""The schema registry at the edge: confluent-kafka's client behind the small API we need.

Works with any Confluent-compatible registry (Apicurio's ``/apis/ccompat/v7`` included).
Only "subject not found" is answered with None; every other failure propagates, so a
registry outage restarts the job from its checkpoint rather than corrupting output.
"""

from __future__ import annotations

from confluent_kafka.schema_registry import Schema, SchemaRegistryClient

from flink_jobs.config import RegistryConfig


class ConfluentRegistry:
    """``fetch`` / ``latest`` / ``register`` over one ``SchemaRegistryClient``."""

    def __init__(self, config: RegistryConfig) -> None:
        self._client = SchemaRegistryClient({"url": config.url, "timeout": config.timeout_s})

    def fetch(self, schema_id: int) -> str:
        """Writer schema text by id (the AvroDecoder's ``fetch_schema``)."""
        return str(self._client.get_schema(schema_id).schema_str)

    def latest(self, subject: str) -> str | None:
        try:
            return str(self._client.get_latest_version(subject).schema.schema_str)
        except Exception as exc:
            if getattr(exc, "http_status_code", None) == 404:
                return None
            raise

    def register(self, subject: str, schema: str) -> int:
        return int(self._client.register_schema(subject, Schema(schema, "AVRO")))
