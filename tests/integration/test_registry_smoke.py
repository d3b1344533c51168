"""Schema registry smoke tests: Avro through Kafka with confluent-kafka's registry client."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from confluent_kafka import Producer
from confluent_kafka.schema_registry import Schema
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.serialization import MessageField, SerializationContext

from tests.integration.kafkaclients import consume_all
from tests.support.registry import registry_client

V1 = {"type": "record", "name": "Customer", "namespace": "smoke",
      "fields": [{"name": "id", "type": "long"}, {"name": "name", "type": "string"}]}
# Compatible (BACKWARD): a new field with a default.
V2 = {**V1, "fields": [*V1["fields"],
                       {"name": "segment", "type": ["null", "string"], "default": None}]}
# Incompatible: a new field without a default cannot be read from v1 data.
V3_BAD = {**V1, "fields": [*V1["fields"], {"name": "country", "type": "string"}]}


def test_avro_round_trip_through_kafka(kafka_bootstrap: str, registry_url: str,
                                       new_topic: Callable[..., str],
                                       new_group: Callable[[], str]) -> None:
    client = registry_client(registry_url)
    topic = new_topic("avro")
    serialize = AvroSerializer(client, json.dumps(V1))
    producer = Producer({"bootstrap.servers": kafka_bootstrap})
    ctx = SerializationContext(topic, MessageField.VALUE)
    sent = [{"id": i, "name": f"customer {i}"} for i in range(20)]
    for record in sent:
        producer.produce(topic, value=serialize(record, ctx))
    assert producer.flush(30) == 0

    messages = consume_all(kafka_bootstrap, topic, new_group(), expected=20)
    raw = messages[0].value()
    assert raw[0] == 0  # Confluent framing: magic byte, then the 4-byte schema id
    schema_id = int.from_bytes(raw[1:5], "big")
    fetched = client.get_schema(schema_id)
    assert json.loads(fetched.schema_str)["name"] == "Customer"
    deserialize = AvroDeserializer(client)
    assert [deserialize(m.value(), ctx) for m in messages] == sent


def test_compatible_evolution_registers_and_incompatible_is_refused(
        registry_url: str, new_topic: Callable[..., str]) -> None:
    client = registry_client(registry_url)
    subject = f"{new_topic('evo')}-value"
    id1 = client.register_schema(subject, Schema(json.dumps(V1), "AVRO"))
    id2 = client.register_schema(subject, Schema(json.dumps(V2), "AVRO"))
    assert id1 != id2
    assert client.get_latest_version(subject).schema_id == id2

    assert client.test_compatibility(subject, Schema(json.dumps(V3_BAD), "AVRO")) is False
    with pytest.raises(SchemaRegistryError) as refused:
        client.register_schema(subject, Schema(json.dumps(V3_BAD), "AVRO"))
    assert refused.value.http_status_code == 409
    assert client.get_latest_version(subject).schema_id == id2
