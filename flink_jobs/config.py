"""Processor job configuration: one YAML file, every key overridable from the environment.

Precedence: environment (``CDC_JOB__<SECTION>__<KEY>``, e.g. ``CDC_JOB__JOB__PARALLELISM=2``)
over the YAML file over defaults.  Unknown keys are errors naming the key, so a typo stops
the job at start-up instead of silently running with a default.

    kafka:
      bootstrap_servers: 127.0.0.1:9092
      topics: [cdc.public.orders, cdc.public.customers]   # or topic_pattern: '^cdc\\..*'
      group_id: cdc-processor
      properties: {security.protocol: SASL_SSL}          # passed to source and sink
    registry: {url: http://registry:8080/apis/ccompat/v7}
    job:
      parallelism: 2
      checkpoint_interval_ms: 10000
      checkpoint_dir: file:///var/lib/flink/checkpoints
      state_backend: rocksdb
      transactional_id_prefix: cdc-processor
    processing:
      contracts: [schemas/contracts.yaml]
      dedup_window_ms: 60000
    metrics: {topic: cdc.metrics, sums: {public.orders: [total_amount]}}
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_settings import SettingsConfigDict

from cdc_core.connections import KafkaConnection, RegistryConnection, Subscription
from cdc_core.settings import LayeredSettings

_STRICT = ConfigDict(extra="forbid", frozen=True)


# Flink's SQL Kafka connector relocates the Kafka client, its login modules included.
SHADED_KAFKA = "org.apache.flink.kafka.shaded."
_LOGIN_MODULES = {"PLAIN": "org.apache.kafka.common.security.plain.PlainLoginModule",
                  "SCRAM": "org.apache.kafka.common.security.scram.ScramLoginModule"}


class KafkaConfig(KafkaConnection, Subscription):
    """Where the raw Debezium topics are and how to reach the brokers.

    ``properties`` go to Flink's Kafka source and sink (Java clients), translated from the
    keys every component shares (``java_properties``): ``sasl.username`` with
    ``sasl_password``/``sasl_password_file`` become ``sasl.jaas.config`` (the connector's
    relocated login module), ``ssl.ca.location`` a PEM truststore."""

    model_config = _STRICT
    group_id: str = "cdc-processor"
    # Stop at the offsets that are latest when the job starts (tests, backfills).
    bounded: bool = False

    @model_validator(mode="after")
    def _password_has_a_user(self) -> Self:
        given = self.sasl_password is not None or self.sasl_password_file is not None
        if given and "sasl.username" not in self.properties:
            raise ValueError("sasl_password needs properties.sasl.username")
        if given and "sasl.jaas.config" in self.properties:
            raise ValueError("set sasl_password or properties.sasl.jaas.config, not both")
        return self

    def java_properties(self) -> dict[str, str]:
        """``properties`` for Java Kafka clients (see the class docstring)."""
        props = dict(self.properties)
        user, password = props.pop("sasl.username", None), self.password()
        if user is not None and password is not None:
            mechanism = props.get("sasl.mechanism", "PLAIN")
            module = _LOGIN_MODULES["SCRAM" if mechanism.startswith("SCRAM") else "PLAIN"]
            props["sasl.jaas.config"] = (f'{SHADED_KAFKA}{module} required username="{user}" '
                                         f'password="{password.get_secret_value()}";')
        ca = props.pop("ssl.ca.location", None)
        if ca is not None:
            props |= {"ssl.truststore.type": "PEM", "ssl.truststore.location": ca}
        return props


class JobOptions(BaseModel):
    """How Flink runs the job: parallelism, Python mode, checkpoints, state, transactions."""

    model_config = _STRICT
    name: str = "cdc-processor"
    parallelism: int = Field(default=1, ge=1)
    execution_mode: Literal["thread", "process"] = "thread"
    # The Kafka SQL connector and the job's JVM operators (flink_jobs/jvm); None: what the
    # `cdc` command sets for this machine (flink_jobs/jars.py), e.g. flink_jobs/jvm/target.
    connector_jar: Path | None = None
    jvm_jar: Path | None = None
    checkpoint_interval_ms: int = Field(default=10_000, ge=100)
    checkpoint_dir: str | None = None  # URI; None keeps checkpoints in the JobManager (tests)
    state_backend: Literal["hashmap", "rocksdb"] = "hashmap"
    restore_from: str | None = None  # a retained checkpoint or savepoint path
    transactional_id_prefix: str = "cdc-processor"
    transaction_timeout_ms: int = Field(default=900_000, ge=1000)
    flink_conf: dict[str, str] = Field(default_factory=dict)  # any other Flink option
    prometheus_port: str | None = None  # e.g. "9249" or "9249-9259"; None: no reporter


class ProcessingOptions(BaseModel):
    """The per-record stages: topics, contracts, dedup window, watermarks."""

    model_config = _STRICT
    processed_prefix: str = "processed"
    dlq_topic: str = "cdc.dlq"
    contracts: tuple[Path, ...] = ()
    dedup_window_ms: int = Field(default=60_000, ge=1)
    # How long, in event time past its window's end, a window's event_ids are kept: a copy
    # arriving that late (a connector replay after a restart) is still dropped.
    dedup_retention_ms: int = Field(default=600_000, ge=0)
    max_out_of_orderness_ms: int = Field(default=5_000, ge=0)
    # Watermarks are per source partition; one without records for this long (processing
    # time) stops holding the watermark back until its next record. Short: until then a
    # table that changed once holds every window, enrichment deadline and the job's
    # throughput at parallelism > 1 behind it.
    idle_partition_ms: int = Field(default=2_000, ge=1)
    # Periodic watermark emission.  Must be set explicitly: with the Table source bridged to
    # a DataStream, PyFlink 2.2 otherwise emits no watermarks at all (measured).
    watermark_interval_ms: int = Field(default=200, ge=1)


class MetricsOptions(BaseModel):
    """Windowed per-table metrics: op counts and sums of the configured columns."""

    model_config = _STRICT
    topic: str = "cdc.metrics"
    window_ms: int = Field(default=60_000, ge=1)
    sums: dict[str, tuple[str, ...]] = Field(default_factory=dict)  # schema.table -> columns


class JobConfig(LayeredSettings):
    """The whole processor configuration (see module docstring)."""

    model_config = SettingsConfigDict(env_prefix="CDC_JOB__", env_nested_delimiter="__",
                                      extra="forbid", frozen=True)
    kafka: KafkaConfig
    registry: RegistryConnection
    job: JobOptions = JobOptions()
    processing: ProcessingOptions = ProcessingOptions()
    metrics: MetricsOptions = MetricsOptions()



def load(path: Path | None, **overrides: Any) -> JobConfig:
    """Read the YAML file (if any), apply env overrides, validate."""
    return JobConfig.load(path, **overrides)
