"""Kafka smoke tests: idempotent and transactional producers against the real broker."""

from __future__ import annotations

from collections.abc import Callable

from confluent_kafka import Producer

from tests.integration.kafkaclients import consume_all


def test_idempotent_producer_delivers_each_message_once_in_order(
        kafka_bootstrap: str, new_topic: Callable[..., str], new_group: Callable[[], str]) -> None:
    topic = new_topic("idem")
    producer = Producer({"bootstrap.servers": kafka_bootstrap, "enable.idempotence": True,
                         "acks": "all"})
    for i in range(500):
        producer.produce(topic, key=b"k", value=str(i).encode())
    assert producer.flush(30) == 0

    got = consume_all(kafka_bootstrap, topic, new_group(), expected=500)
    assert [int(m.value()) for m in got] == list(range(500))
    assert consume_all(kafka_bootstrap, topic, new_group(), quiet_s=2, timeout_s=15)[500:] == []


def test_aborted_transaction_is_invisible_to_read_committed(
        kafka_bootstrap: str, new_topic: Callable[..., str], new_group: Callable[[], str]) -> None:
    topic = new_topic("txn")
    producer = Producer({"bootstrap.servers": kafka_bootstrap,
                         "transactional.id": f"smoke-{topic}"})
    producer.init_transactions(30)
    for batch, commit in (("a", True), ("b", False), ("c", True)):
        producer.begin_transaction()
        for i in range(10):
            producer.produce(topic, value=f"{batch}{i}".encode())
        if commit:
            producer.commit_transaction(30)
        else:
            producer.flush(30)
            producer.abort_transaction(30)

    committed = consume_all(kafka_bootstrap, topic, new_group(), quiet_s=3)
    assert sorted(m.value().decode()[0] for m in committed) == ["a"] * 10 + ["c"] * 10
    # The aborted records were really written: read_uncommitted sees them.
    everything = consume_all(kafka_bootstrap, topic, new_group(), isolation="read_uncommitted",
                             quiet_s=3)
    assert sum(1 for m in everything if m.value().startswith(b"b")) == 10
