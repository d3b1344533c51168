"""The demo on the secured stack (``cdc stack up --secure --connect``): every component as
its own user, every secret named by a file the stack wrote (``<run dir>/secrets``).

The sink, the job and the lag exporter get the keys docs/security.md describes
(``SASL_SSL``, ``sasl.username``, ``sasl_password_file``, ``ssl.ca.location``, the
registry's CA, a verify-full warehouse DSN with a ``passfile``); the connector reads the
source as ``debezium`` over verify-full TLS with its password named by file
(``${dir:…}``) from a publication created here, since that user owns no table; the demo's
own clients (topics, DLQ count, poison record) are ``admin``. The names a run derives
(``shop_``, ``processed_``, ``cdc_``, ``cdc-sink-``, ``cdc-job-``) are those the users'
ACLs grant. Without secrets (``secrets_dir`` empty) every function gives the plain form.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cdc_core.kafka_problems import QUIET_LOG_LEVEL
from cdc_stack import postgres
from cdc_stack.security import MECHANISM, Material, librdkafka_config


def material(secrets_dir: str) -> Material | None:
    return Material(Path(secrets_dir)) if secrets_dir else None


def kafka_section(secrets_dir: str, user: str, section: dict[str, Any]) -> dict[str, Any]:
    """A component's ``kafka`` section, logging in as ``user`` when the stack is secured."""
    found = material(secrets_dir)
    if found is None:
        return section
    properties = {**section.get("properties", {}), "security.protocol": "SASL_SSL",
                  "sasl.mechanism": MECHANISM, "sasl.username": user,
                  "ssl.ca.location": str(found.ca)}
    return {**section, "properties": properties,
            "sasl_password_file": str(found.password_file(user))}


def registry_section(secrets_dir: str, url: str) -> dict[str, Any]:
    found = material(secrets_dir)
    return {"url": url} if found is None else {"url": url, "ssl_ca_location": str(found.ca)}


def warehouse_dsn(secrets_dir: str, admin_dsn: str, user: str) -> str:
    """The warehouse DSN for ``user`` (TLS, its passfile); the stack's own DSN if plain."""
    found = material(secrets_dir)
    if found is None:
        return admin_dsn
    url = urlsplit(admin_dsn)
    return postgres.dsn(url.port or 5432, url.path.lstrip("/"), secured=found, user=user)


def client(secrets_dir: str, bootstrap: str) -> dict[str, Any]:
    """librdkafka settings of the demo's own clients (``admin`` when secured)."""
    found = material(secrets_dir)
    if found is None:
        return {"bootstrap.servers": bootstrap}
    # librdkafka's informational lines about the TLS session are no part of the demo's
    # output; its errors reach the demo as exceptions.
    return {**librdkafka_config(found, "admin"), "bootstrap.servers": bootstrap,
            "log_level": QUIET_LOG_LEVEL}


def connector_settings(secrets_dir: str) -> dict[str, str]:
    """Debezium as ``debezium`` over verify-full TLS, its password named by file."""
    found = material(secrets_dir)
    if found is None:
        return {}
    return {"database.user": "debezium",
            "database.password": f"${{dir:{found.directory}:postgres-debezium.password}}",
            "database.sslmode": "verify-full", "database.sslrootcert": str(found.ca),
            "publication.autocreate.mode": "disabled"}
