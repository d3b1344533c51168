"""The demo's figures read from Kafka count records, not offsets."""

from __future__ import annotations

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

from cdc_demo.measure import topic_records
from tests.stackfixtures import Services, unique


def test_a_transactional_topic_counts_its_committed_records_only(services: Services) -> None:
    topic = unique("measure-dlq")
    admin = AdminClient({"bootstrap.servers": services.kafka_bootstrap})
    admin.create_topics([NewTopic(topic, num_partitions=2, replication_factor=1)])[topic].result()
    producer = Producer({"bootstrap.servers": services.kafka_bootstrap,
                         "transactional.id": unique("measure-tx")})
    producer.init_transactions()
    for commit in (True, False, True):
        producer.begin_transaction()
        producer.produce(topic, b"poison", partition=0)
        if commit:
            producer.commit_transaction()
        else:
            producer.abort_transaction()
    # two committed and one aborted record, each followed by its transaction marker
    assert topic_records({"bootstrap.servers": services.kafka_bootstrap}, topic) == 2
