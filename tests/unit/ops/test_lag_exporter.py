"""The lag exporter's measuring and publishing, with a stand-in probe (no Kafka)."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from cdc_ops.config import load
from cdc_ops.lag_exporter import LagMetrics, PartitionLag, measure


class FakeProbe:
    """Lag is high watermark - committed; seconds is what the 'record' says."""

    def __init__(self, high: dict[tuple[str, int], int]) -> None:
        self.high = high

    def lag(self, topic: str, partition: int, committed: int) -> tuple[int, float]:
        records = self.high[(topic, partition)] - committed
        return records, 2.5 * records


def test_measure_reports_every_committed_partition_in_order() -> None:
    probe = FakeProbe({("a", 0): 10, ("a", 1): 5, ("b", 0): 7})
    lags = measure(probe, "cdc-processor", {("b", 0): 7, ("a", 1): 1, ("a", 0): 4})  # type: ignore[arg-type]
    assert lags == [PartitionLag("cdc-processor", "a", 0, 6, 15.0),
                    PartitionLag("cdc-processor", "a", 1, 4, 10.0),
                    PartitionLag("cdc-processor", "b", 0, 0, 0.0)]


def test_publish_uses_the_sink_metric_names_and_drops_vanished_partitions() -> None:
    registry = CollectorRegistry()
    metrics = LagMetrics(registry)
    metrics.publish("g", [PartitionLag("g", "t", 0, 3, 9.0), PartitionLag("g", "t", 1, 1, 1.0)])
    metrics.publish("h", [PartitionLag("h", "u", 0, 5, 7.0)])
    metrics.publish("g", [PartitionLag("g", "t", 1, 0, 0.0)])
    value = registry.get_sample_value
    assert value("cdc_consumer_lag_seconds", {"group": "g", "topic": "t", "partition": "1"}) == 0
    assert value("cdc_consumer_lag_records", {"group": "g", "topic": "t", "partition": "0"}) is None
    assert value("cdc_consumer_lag_records", {"group": "h", "topic": "u", "partition": "0"}) == 5
    assert b"cdc_consumer_lag_seconds{" in generate_latest(registry)


def test_config_from_file_with_env_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                            ) -> None:
    path = tmp_path / "exporter.yaml"
    path.write_text("kafka: {bootstrap_servers: 'k:9092'}\ngroups: [cdc-processor]\n")
    monkeypatch.setenv("CDC_LAG_EXPORTER__KAFKA__BOOTSTRAP_SERVERS", "other:9092")
    monkeypatch.setenv("CDC_LAG_EXPORTER__INTERVAL_S", "2")
    config = load(path)
    assert config.kafka.client_config() == {"bootstrap.servers": "other:9092"}
    assert (config.groups, config.interval_s, config.http.port) == (("cdc-processor",), 2.0, 9109)


def test_config_rejects_unknown_keys_and_missing_groups(tmp_path: Path) -> None:
    path = tmp_path / "exporter.yaml"
    path.write_text("kafka: {bootstrap_servers: 'k:9092'}\ngroups: [g]\nintervall_s: 3\n")
    with pytest.raises(ValueError, match="intervall_s"):
        load(path)
    path.write_text("kafka: {bootstrap_servers: 'k:9092'}\ngroups: []\n")
    with pytest.raises(ValueError, match="groups"):
        load(path)


def test_sasl_password_comes_from_a_mounted_file(tmp_path: Path) -> None:
    secret = tmp_path / "pw"
    secret.write_text("s3cret\n")
    path = tmp_path / "exporter.yaml"
    path.write_text(f"kafka: {{bootstrap_servers: 'k:9092', sasl_password_file: '{secret}'}}\n"
                    "groups: [g]\n")
    config = load(path)
    assert config.kafka.client_config()["sasl.password"] == "s3cret"
    assert "s3cret" not in repr(config)
