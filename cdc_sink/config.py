"""Sink configuration: one YAML file, every key overridable from the environment.

Precedence: environment (``CDC_SINK__<SECTION>__<KEY>``, e.g. ``CDC_SINK__POSTGRES__DSN``) over
the YAML file over defaults. Unknown keys are errors naming the key; secrets are ``SecretStr``
(never printed), and may also come from files (``*_file`` keys, for mounted secrets).

    kafka:
      bootstrap_servers: 127.0.0.1:9092
      group_id: cdc-sink
      topics: [processed.public.orders]      # or topic_pattern: '^processed\\..*'
      properties: {security.protocol: SASL_SSL, sasl.mechanism: PLAIN, sasl.username: sink}
      sasl_password_file: /run/secrets/kafka-password
    registry: {url: http://registry:8080/apis/ccompat/v7}
    postgres: {dsn: postgresql://sink@warehouse/dw, target_schema: warehouse}
    sink: {batch_max_rows: 5000, batch_max_wait_ms: 1000, dlq_topic: cdc.dlq}
    http: {port: 9108}
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from cdc_core.connections import (
    KafkaConnection,
    RegistryConnection,
    Subscription,
    secret_from_file,
)
from cdc_core.settings import LayeredSettings
from cdc_sink.sqlbuild import MetaNames

InputFormat = Literal["auto", "processed", "debezium"]
_STRICT = ConfigDict(extra="forbid", frozen=True)


class KafkaConfig(KafkaConnection, Subscription):
    model_config = _STRICT
    group_id: str = "cdc-sink"
    # Static group membership (group.instance.id): stable per replica and unique in the
    # group (e.g. a StatefulSet pod name), so a restarted replica gets its partitions back
    # at once. Two live replicas with one id fence each other. Unset: dynamic membership.
    instance_id: str | None = Field(default=None, min_length=1)


class PostgresConfig(BaseModel):
    model_config = _STRICT
    dsn: SecretStr | None = None
    dsn_file: Path | None = None
    target_schema: str = "warehouse"

    @model_validator(mode="after")
    def _has_dsn(self) -> Self:
        if self.dsn is None and self.dsn_file is None:
            raise ValueError("set postgres.dsn or postgres.dsn_file")
        return self

    def conninfo(self) -> str:
        secret = secret_from_file(self.dsn, self.dsn_file)
        assert secret is not None  # guaranteed by _has_dsn
        return secret.get_secret_value()


_META = MetaNames()  # the defaults are docs/design.md's names, defined once in sqlbuild


class MetaColumns(BaseModel):
    model_config = _STRICT
    is_deleted: str = _META.is_deleted
    deleted_at: str = _META.deleted_at
    source_updated_at: str = _META.source_updated_at
    source_lsn: str = _META.source_lsn
    event_id: str = _META.event_id
    loaded_at: str = _META.loaded_at

    def names(self) -> MetaNames:
        return MetaNames(**self.model_dump())


class HistoryOptions(BaseModel):
    """The change history (cdc_sink/history.py, docs/sink.md "History"): off unless turned on
    per table here (``"<schema>.<table>": true``), by the table's contract (``history``), or
    for every table by ``default``; the setting here wins over the contract."""

    model_config = _STRICT
    default: bool = False
    target_schema: str = Field(default="history", min_length=1)
    tables: dict[str, bool] = Field(default_factory=dict)


class SinkOptions(BaseModel):
    model_config = _STRICT
    batch_max_rows: int = Field(default=5000, ge=1)
    batch_max_wait_ms: int = Field(default=1000, ge=1)
    input_format: InputFormat = "auto"
    input_formats: dict[str, InputFormat] = Field(default_factory=dict)  # per topic
    dlq_topic: str = "cdc.dlq"
    meta_columns: MetaColumns = MetaColumns()
    # Warehouse table names (naming.py): <table>, or <schema>_<table>; table_names maps
    # "<schema>.<table>" to a name and wins over both. A second source on one table is
    # refused (table_name_clash), never merged.
    table_naming: Literal["table", "schema_table"] = "table"
    table_names: dict[str, str] = Field(default_factory=dict)
    contracts_dir: Path | None = None
    retry_initial_backoff_s: float = Field(default=0.5, gt=0)
    retry_max_backoff_s: float = Field(default=30.0, gt=0)
    # Give up (exit non-zero, to be restarted) after retrying PostgreSQL this long.
    retry_budget_s: float = Field(default=300.0, gt=0)
    lag_interval_s: float = Field(default=10.0, gt=0)  # how often lag and staleness are measured
    history: HistoryOptions = HistoryOptions()


class LineageConfig(BaseModel):
    """OpenLineage run event per committed batch and table (cdc_sink.lineage); off by default."""

    model_config = _STRICT
    transport: Literal["off", "http", "file", "console"] = "off"
    url: str | None = None  # http: a Marquez-compatible base URL
    endpoint: str = "api/v1/lineage"
    file_path: Path | None = None  # file: one JSON event per line, appended
    namespace: str = "cdc-pipeline"  # the OpenLineage job namespace

    @model_validator(mode="after")
    def _target_given(self) -> Self:
        if self.transport == "http" and self.url is None:
            raise ValueError("lineage.transport http needs lineage.url")
        if self.transport == "file" and self.file_path is None:
            raise ValueError("lineage.transport file needs lineage.file_path")
        return self


class HttpConfig(BaseModel):
    model_config = _STRICT
    host: str = "0.0.0.0"  # noqa: S104 - a container's probes and scrapes come from outside
    port: int = Field(default=9108, ge=0, le=65535)


class SinkConfig(LayeredSettings):
    """The whole sink configuration (see module docstring)."""

    model_config = SettingsConfigDict(env_prefix="CDC_SINK__", env_nested_delimiter="__",
                                      extra="forbid", frozen=True)
    kafka: KafkaConfig
    registry: RegistryConnection
    postgres: PostgresConfig
    sink: SinkOptions = SinkOptions()
    http: HttpConfig = HttpConfig()
    lineage: LineageConfig = LineageConfig()

    @field_validator("sink")
    @classmethod
    def _meta_names_distinct(cls, value: SinkOptions) -> SinkOptions:
        names = list(value.meta_columns.model_dump().values())
        if len(set(names)) != len(names):
            raise ValueError(f"sink.meta_columns must be distinct, got {names}")
        return value

    @model_validator(mode="after")
    def _history_apart(self) -> Self:
        if self.sink.history.target_schema == self.postgres.target_schema:
            raise ValueError("sink.history.target_schema must differ from "
                             "postgres.target_schema (history tables share their names)")
        return self


def load(path: Path | None, **overrides: Any) -> SinkConfig:
    """Read the YAML file (if any), apply env overrides, validate."""
    return SinkConfig.load(path, **overrides)
