"""Job configuration validation and the Kafka table DDL built from it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from cdc_core.errors import ConfigError
from flink_jobs.cli import local_warnings
from flink_jobs.config import JobConfig, load
from flink_jobs.processor import runtime_options
from flink_jobs.tables import (
    ENRICHED_TABLE,
    OUTPUT_TABLES,
    dlq_sink_ddl,
    output_pattern,
    sink_ddl,
    source_ddl,
)

BASE = {"kafka": {"bootstrap_servers": "b:9092", "topics": ["cdc.public.orders"]},
        "registry": {"url": "http://r"}}


def test_yaml_and_env_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "job.yaml"
    path.write_text("kafka: {bootstrap_servers: 'b:9092', topic_pattern: '^cdc[.].*'}\n"
                    "registry: {url: 'http://r'}\njob: {parallelism: 1}\n")
    monkeypatch.setenv("CDC_JOB__JOB__PARALLELISM", "2")
    config = load(path)
    assert config.job.parallelism == 2 and config.kafka.topic_pattern == "^cdc[.].*"


def test_unknown_key_and_double_subscription_are_errors() -> None:
    with pytest.raises(ValidationError, match="checkpoint_intervl"):
        JobConfig(**{**BASE, "job": {"checkpoint_intervl": 5}})
    with pytest.raises(ValidationError, match="exactly one"):
        JobConfig(kafka={"bootstrap_servers": "b", "topics": ["a"], "topic_pattern": "x"},
                  registry={"url": "u"})


def test_local_runs_are_warned_about_parallel_thread_mode_and_memory_checkpoints() -> None:
    def warnings(bounded: bool = True, **job: object) -> list[str]:
        kafka = {**BASE["kafka"], "bounded": bounded}
        return local_warnings(JobConfig(**{**BASE, "kafka": kafka, "job": job}))

    assert warnings(parallelism=1) == [] and warnings(parallelism=2, execution_mode="process") == []
    assert "one Python interpreter" in warnings(parallelism=2)[0]
    assert "job.checkpoint_dir is not set" in warnings(bounded=False)[0]
    assert warnings(bounded=False, checkpoint_dir="file:///var/lib/flink/checkpoints") == []


def test_source_reads_committed_bytes_with_metadata() -> None:
    ddl = source_ddl(JobConfig(**{**BASE, "kafka": {**BASE["kafka"], "bounded": True,
                                                    "properties": {"sasl.mechanism": "PLAIN"}}}))
    for part in ("'properties.isolation.level' = 'read_committed'", "'key.format' = 'raw'",
                 "`headers` MAP<STRING, BYTES> METADATA", "'topic' = 'cdc.public.orders'",
                 "'scan.bounded.mode' = 'latest-offset'",
                 "'properties.sasl.mechanism' = 'PLAIN'"):
        assert part in ddl


def test_sink_is_exactly_once_and_pattern_covers_every_output() -> None:
    config = JobConfig(**BASE, job={"transactional_id_prefix": "tx-1"})
    ddl = sink_ddl(config)
    assert "'sink.delivery-guarantee' = 'exactly-once'" in ddl
    assert "'sink.transactional-id-prefix' = 'tx-1'" in ddl
    assert "headers" not in ddl  # processed and metrics records carry none
    pattern = re.compile(output_pattern(config))
    for topic in ("processed.public.orders", "cdc.metrics"):
        assert pattern.match(topic)
    assert not pattern.match("cdc.public.orders")
    assert not pattern.match("cdc.dlq")


def test_each_output_sink_table_has_its_own_transactional_ids() -> None:
    config = JobConfig(**BASE, job={"transactional_id_prefix": "tx-1"})
    prefixes = {table: re.search(r"'sink.transactional-id-prefix' = '([^']+)'",
                                 sink_ddl(config, table))
                for table in OUTPUT_TABLES}
    found = {table: m.group(1) for table, m in prefixes.items() if m}
    assert found == {"cdc_out": "tx-1", "cdc_out_enriched": "tx-1-enriched",
                     "cdc_out_metrics": "tx-1-metrics"}
    assert f"CREATE TABLE {ENRICHED_TABLE} " in sink_ddl(config, ENRICHED_TABLE)


def test_dlq_sink_is_exactly_once_with_headers_and_its_own_transactions() -> None:
    config = JobConfig(**BASE, job={"transactional_id_prefix": "tx-1"})
    ddl = dlq_sink_ddl(config)
    for part in ("'sink.delivery-guarantee' = 'exactly-once'",
                 "'sink.transactional-id-prefix' = 'tx-1-dlq'",
                 "`headers` MAP<STRING, BYTES> METADATA",
                 "'topic-pattern' = '^cdc\\.dlq$'"):
        assert part in ddl


def test_runtime_options_carry_checkpointing_and_restore() -> None:
    config = JobConfig(**BASE, job={"state_backend": "rocksdb", "restore_from": "/c/chk-3",
                                    "checkpoint_interval_ms": 500, "connector_jar": "/x.jar",
                                    "jvm_jar": __file__})
    options = runtime_options(config)
    conf = dict(options.conf)
    assert conf["state.backend.type"] == "rocksdb"
    assert conf["execution.state-recovery.path"] == "/c/chk-3"
    assert conf["execution.checkpointing.mode"] == "EXACTLY_ONCE"
    assert options.checkpoint_interval_ms == 500
    assert options.jars == (Path("/x.jar"), Path(__file__))


@pytest.mark.parametrize(("kafka", "problem"), [
    ("{bootstrap_servers: k:1, topics: [t], sasl_password: x}",
     r"kafka: sasl_password needs properties.sasl.username"),
    ("{bootstrap_servers: k:1, topic_pattern: 'cdc.(x'}",  # not a raw re.error
     r"kafka: topic_pattern is not a valid regex"),
])
def test_kafka_settings_the_job_cannot_use_stop_it_with_one_line(
        tmp_path: Path, kafka: str, problem: str) -> None:
    path = tmp_path / "job.yaml"
    path.write_text(f"kafka: {kafka}\nregistry: {{url: http://r}}\n")
    with pytest.raises(ConfigError, match=problem):
        load(path)


def test_shared_credential_keys_become_the_java_clients_jaas_and_truststore(
        tmp_path: Path) -> None:
    secret = tmp_path / "kafka.password"
    secret.write_text("pw-from-file\n")
    path = tmp_path / "job.yaml"
    path.write_text("kafka: {bootstrap_servers: 'k:1', topics: [t], sasl_password_file: "
                    f"{secret}, properties: {{security.protocol: SASL_SSL, sasl.mechanism: "
                    "SCRAM-SHA-512, sasl.username: job, ssl.ca.location: /ca.crt}}\n"
                    "registry: {url: 'https://r'}\n")
    props = load(path).kafka.java_properties()
    assert props["sasl.jaas.config"] == (
        "org.apache.flink.kafka.shaded.org.apache.kafka.common.security.scram.ScramLoginModule"
        ' required username="job" password="pw-from-file";')
    assert props["ssl.truststore.location"] == "/ca.crt"
    assert "sasl.username" not in props and "ssl.ca.location" not in props
