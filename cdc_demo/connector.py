"""The Debezium PostgreSQL connector: render its config from the template in ``deploy/`` and
manage it through Kafka Connect's REST API.

The template (``deploy/local/connectors/shop-postgres.json``) is the reviewed, versioned
part; only deployment-specific values (``${name}`` placeholders) and the registry
converter settings are filled in here, so what runs is what is in the repository.
Rendering is pure; the ``Connect`` class is the HTTP edge.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from cdc_core.errors import StackError
from cdc_ops.connect_health import describe_failure, is_failed, parse_one
from cdc_stack.connect import converter_config

TEMPLATE = Path(__file__).resolve().parent.parent / "deploy/local/connectors/shop-postgres.json"
_PLACEHOLDER = re.compile(r"\$\{([a-z_]+)\}")


class ConnectorError(StackError, RuntimeError):
    """Connect refused the connector or it did not reach RUNNING."""


@dataclass(frozen=True)
class SourceParams:
    """Deployment-specific values of one connector instance."""

    connector_name: str
    topic_prefix: str
    db_host: str
    db_port: str
    db_user: str
    db_password: str
    db_name: str

    @classmethod
    def from_dsn(cls, dsn: str, *, name: str, topic_prefix: str, db_name: str) -> SourceParams:
        """Connection fields from a ``postgresql://user[:pw]@host:port/db`` URL."""
        url = urlsplit(dsn)
        return cls(name, topic_prefix, url.hostname or "127.0.0.1", str(url.port or 5432),
                   url.username or "postgres", url.password or "", db_name)

    def placeholders(self) -> dict[str, str]:
        """Template values; slot and publication are named after the connector (one each)."""
        safe = re.sub(r"[^a-z0-9_]", "_", self.connector_name.lower())
        return {**self.__dict__, "slot_name": safe, "publication_name": f"{safe}_pub"}


def render(template: Mapping[str, Any], values: Mapping[str, str]) -> dict[str, Any]:
    """Substitute ``${key}`` in every string of ``template``; a missing key is an error."""
    def fill(text: str) -> str:
        return _PLACEHOLDER.sub(lambda m: _lookup(values, m.group(1)), text)

    config = {k: fill(v) if isinstance(v, str) else v for k, v in template["config"].items()}
    return {"name": fill(template["name"]), "config": config}


def _lookup(values: Mapping[str, str], key: str) -> str:
    if key not in values:
        raise KeyError(f"connector template placeholder ${{{key}}} has no value")
    return values[key]


def connector_spec(params: SourceParams, registry_v2_url: str,
                   template: Mapping[str, Any]) -> dict[str, Any]:
    """The full REST body: rendered template plus Avro (Confluent framing) converters."""
    spec = render(template, params.placeholders())
    for side in ("key", "value"):
        spec["config"].update(converter_config(registry_v2_url, side))
    return spec


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    """The connector template as a dict."""
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


class Connect:
    """A thin client of the Kafka Connect REST API."""

    def __init__(self, url: str, timeout_s: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self._http = httpx.Client(timeout=timeout_s)

    def put(self, spec: Mapping[str, Any]) -> None:
        """Create or update (idempotent ``PUT /connectors/<name>/config``); a refusal is one
        line with what Connect's validation found (a database refusing the connector's
        password or certificate lands there: Connect itself then answers only a 500)."""
        name, config = spec["name"], spec["config"]
        response = self._http.put(f"{self.url}/connectors/{name}/config", json=config)
        if response.status_code >= 300:
            found = "; ".join(self._validation_errors(name, config)) or _message(response)
            raise ConnectorError(f"Connect {self.url}: connector {name} "
                                 f"({database(config)}): refused: {found}")

    def _validation_errors(self, name: str, config: Mapping[str, Any]) -> list[str]:
        """``key: error`` for each setting Connect's validation of ``config`` rejects."""
        plugin = str(config.get("connector.class", "")).rsplit(".", 1)[-1]
        try:
            response = self._http.put(f"{self.url}/connector-plugins/{plugin}/config/validate",
                                      json={**config, "name": name})
            configs = response.json().get("configs", []) if response.status_code == 200 else []
        except (httpx.HTTPError, ValueError):
            return []
        values = [c.get("value") or {} for c in configs]
        return [f"{v.get('name')}: {_one_line(e)}" for v in values for e in v.get("errors", [])]

    def state(self, name: str) -> tuple[str, list[str]]:
        """(connector state, task states); ``MISSING`` when Connect does not know it."""
        try:
            response = self._http.get(f"{self.url}/connectors/{name}/status")
        except httpx.HTTPError:
            return "UNREACHABLE", []
        if response.status_code != 200:
            return "MISSING", []
        body = response.json()
        return body["connector"]["state"], [t["state"] for t in body.get("tasks", [])]

    def wait_running(self, name: str, timeout_s: float = 90.0) -> None:
        """Until the connector and all its tasks run; fail fast on FAILED with the root cause
        of its trace (``failure``)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            connector, tasks = self.state(name)
            if "FAILED" in (connector, *tasks):
                raise ConnectorError(self.failure(name) or f"{name} failed")
            if connector == "RUNNING" and tasks and all(t == "RUNNING" for t in tasks):
                return
            time.sleep(0.5)
        raise ConnectorError(f"Connect {self.url}: connector {name} not RUNNING after "
                             f"{timeout_s:.0f}s: {self.state(name)}")

    def failure(self, name: str) -> str | None:
        """Why the connector captures nothing (it or a task is ``FAILED``), else None: one
        line naming Connect, the connector, its database and each trace's root cause.
        Unreachable, starting or rebalancing is not a failure: Connect recovers from those."""
        status = self._get(f"/connectors/{name}/status")
        if status is None or not is_failed(found := parse_one(name, status)):
            return None
        config = self._get(f"/connectors/{name}/config") or {}
        return f"Connect {self.url}: {describe_failure(found, database(config))}"

    def _get(self, path: str) -> dict[str, Any] | None:
        try:
            response = self._http.get(self.url + path)
        except httpx.HTTPError:
            return None
        body = response.json() if response.status_code == 200 else None
        return body if isinstance(body, dict) else None

    def delete(self, name: str) -> None:
        """Remove the connector (missing is fine: deleting is idempotent)."""
        response = self._http.delete(f"{self.url}/connectors/{name}")
        if response.status_code not in (204, 404):
            raise ConnectorError(f"cannot delete {name}: {response.text}")


def database(config: Mapping[str, Any]) -> str:
    """``database host:port/name`` of a Debezium connector's settings."""
    return (f"database {config.get('database.hostname', '?')}:"
            f"{config.get('database.port', '?')}/{config.get('database.dbname', '?')}")


def _message(response: httpx.Response) -> str:
    """Connect's error message (its JSON ``message``), else the body, on one line."""
    try:
        body = response.json()
    except ValueError:
        body = None
    text = body.get("message") if isinstance(body, dict) else None
    return f"HTTP {response.status_code}: {_one_line(str(text or response.text))}"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def register(connect_url: str, spec: Mapping[str, Any], timeout_s: float = 90.0) -> None:
    """Create (or update) the connector and wait until it runs."""
    client = Connect(connect_url)
    client.put(spec)
    client.wait_running(spec["name"], timeout_s)
