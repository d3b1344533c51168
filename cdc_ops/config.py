"""Configuration of ``cdc lag-exporter``: one YAML file, every key overridable from the env.

Precedence like the sink's: environment (``CDC_LAG_EXPORTER__<SECTION>__<KEY>``, e.g.
``CDC_LAG_EXPORTER__KAFKA__BOOTSTRAP_SERVERS``) over the file over defaults; unknown keys are
errors naming the key; the SASL password comes from env or a mounted file, never logged.

    kafka:
      bootstrap_servers: kafka:9092
      properties: {security.protocol: SASL_SSL, sasl.mechanism: PLAIN, sasl.username: ops}
      sasl_password_file: /run/secrets/kafka-password
    groups: [cdc-processor, cdc-sink]      # Flink's source group and the sink's group
    interval_s: 15
    topic_pattern: '(cdc|processed)\\..*'  # default: every topic not starting with _
    freshness_sink_config: /etc/cdc/sink.yaml   # optional: also export table freshness
    connect: {url: http://connect:8083}         # optional: also export connector/task health
    http: {port: 9109}
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import SettingsConfigDict

from cdc_core.connections import KafkaConnection
from cdc_core.settings import LayeredSettings
from cdc_sink.config import HttpConfig

_STRICT = ConfigDict(extra="forbid", frozen=True)
DEFAULT_PORT = 9109


class ConnectConfig(BaseModel):
    """Kafka Connect's REST API (no ``url``: health not exported); ``connectors`` empty =
    every connector Connect runs."""

    model_config = _STRICT
    url: str | None = None
    connectors: tuple[str, ...] = ()


class ExporterConfig(LayeredSettings):
    """The whole lag-exporter configuration (see module docstring)."""

    model_config = SettingsConfigDict(env_prefix="CDC_LAG_EXPORTER__", env_nested_delimiter="__",
                                      extra="forbid", frozen=True)
    kafka: KafkaConnection
    groups: tuple[str, ...] = Field(min_length=1)
    interval_s: float = Field(default=15.0, gt=0)
    topic_pattern: str = r"[^_].*"  # topics whose committed offsets are read (not internal)
    freshness_sink_config: Path | None = None
    connect: ConnectConfig = ConnectConfig()
    http: HttpConfig = HttpConfig(port=DEFAULT_PORT)



def load(path: Path | None, **overrides: Any) -> ExporterConfig:
    """Read the YAML file (if any), apply env overrides, validate."""
    return ExporterConfig.load(path, **overrides)
