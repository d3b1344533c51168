"""Configuration plumbing shared by every component: YAML file, then environment on top.

Each component has one frozen pydantic-settings model (``extra="forbid"``, its own env
prefix such as ``CDC_SINK__``) deriving from ``LayeredSettings``; ``load`` reads its YAML
file and validates. The environment wins over the file, so a container can override any key.

``load`` is where pydantic's ``ValidationError`` becomes a ``ConfigError``: one line per
problem, named by its key path (``sink.batch_max_rowz: unknown key``, ``postgres: required``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Self

import yaml
from pydantic import ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from cdc_core.errors import ConfigError

_WHAT = {"extra_forbidden": "unknown key", "missing": "required"}


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
        """Read the YAML file (if any), apply env overrides, validate.

        Raises ``ConfigError`` naming the file and each bad key path.
        """
        source = str(path) if path is not None else None
        data = _read_yaml(path) if path is not None else {}
        try:
            return cls(**{**data, **overrides})
        except ValidationError as exc:
            raise ConfigError(*describe(exc), source=source) from exc


def describe(exc: ValidationError) -> list[str]:
    """One line per problem: ``key.path: what is wrong`` (no pydantic URLs or input dumps)."""
    return [f"{key_path(err['loc']) or '(top level)'}: {_what(err['type'], err['msg'])}"
            for err in exc.errors()]


def key_path(loc: tuple[int | str, ...]) -> str:
    """``("kafka", "topics", 0)`` as ``kafka.topics[0]``."""
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")


def _what(kind: str, message: str) -> str:
    return _WHAT.get(kind) or message.removeprefix("Value error, ")


def _read_yaml(path: Path) -> dict[str, Any]:
    """The file's mapping; a missing, unreadable or non-mapping file is a ``ConfigError``."""
    if not path.is_file():
        raise ConfigError("no such file", source=str(path))
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"not readable as YAML: {_yaml_problem(exc)}", source=str(path)
                          ) from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"(top level): expected a mapping of sections, got "
                          f"{type(data).__name__}", source=str(path))
    return data


def _yaml_problem(exc: BaseException) -> str:
    """``line N: problem`` for a YAML syntax error; the message's first line otherwise."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None)
    if mark is not None and problem:
        return f"line {mark.line + 1}: {problem}"
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
