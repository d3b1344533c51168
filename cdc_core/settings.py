"""Configuration plumbing shared by every component: YAML file, then environment on top.

Each component has one frozen pydantic-settings model (``extra="forbid"``, its own env
prefix such as ``CDC_SINK__``) deriving from ``LayeredSettings``; ``load`` reads its YAML
file and validates. The environment wins over the file, so a container can override any key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Self

from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, YamlConfigSettingsSource


class LayeredSettings(BaseSettings):
    """Sources, strongest first: environment variables, then the file's values."""

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings],
                                   init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource,
                                   dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource,
                                   ) -> tuple[PydanticBaseSettingsSource, ...]:
        return env_settings, init_settings

    @classmethod
    def load(cls, path: Path | None, **overrides: Any) -> Self:
        """Read the YAML file (if any), apply env overrides, validate."""
        data: dict[str, Any] = {}
        if path is not None:
            data = YamlConfigSettingsSource(cls, yaml_file=path)()
        return cls(**{**data, **overrides})
