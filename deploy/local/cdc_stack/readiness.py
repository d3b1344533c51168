"""Readiness probes: each asks the real service a real question.

Kafka answers a metadata request naming our broker, the registry answers a GET on its
Confluent-compatible API, PostgreSQL answers ``select 1``, Connect lists its plugins.
"""

from __future__ import annotations

import ssl

import httpx
import psycopg
from confluent_kafka.admin import AdminClient


def kafka(bootstrap: str, brokers: int = 1, client: dict[str, str] | None = None) -> bool:
    """The cluster answers a metadata request listing ``brokers`` brokers (``client``:
    security settings of a secured cluster)."""
    # log_level 0: connection refusals while the broker boots are expected, not news.
    admin = AdminClient({**(client or {}), "bootstrap.servers": bootstrap,
                         "socket.timeout.ms": 2000, "log_level": 0})
    try:
        metadata = admin.list_topics(timeout=2)
    except Exception:
        return False
    return len(metadata.brokers) >= brokers


def http_ok(url: str, ca: str | None = None) -> bool:
    """GET ``url`` answers 200 (``ca``: the CA file an https server's certificate chains to)."""
    try:
        verify = ssl.create_default_context(cafile=ca) if ca else True
        return httpx.get(url, timeout=2, verify=verify).status_code == 200
    except httpx.HTTPError:
        return False


def flink(rest_url: str, taskmanagers: int) -> bool:
    """The JobManager's REST API answers and ``taskmanagers`` TaskManagers have registered."""
    try:
        response = httpx.get(rest_url + "/taskmanagers", timeout=2)
    except httpx.HTTPError:
        return False
    return response.status_code == 200 and len(response.json()["taskmanagers"]) >= taskmanagers


def flink_taskmanager(rest_url: str, resource_id: str, since_ms: int) -> bool:
    """TaskManager ``resource_id`` has sent the JobManager a heartbeat after ``since_ms``
    (epoch ms): a restarted one answers, not the entry its predecessor left behind."""
    try:
        response = httpx.get(f"{rest_url}/taskmanagers/{resource_id}", timeout=2)
    except httpx.HTTPError:
        return False
    return (response.status_code == 200
            and int(response.json().get("timeSinceLastHeartbeat", 0)) > since_ms)


def postgres(dsn: str) -> bool:
    try:
        with psycopg.connect(dsn, connect_timeout=2) as conn:
            row = conn.execute("select 1").fetchone()
    except psycopg.Error:
        return False
    return row == (1,)


def connect(url: str) -> bool:
    """Connect answers and has loaded the Debezium PostgreSQL connector plugin."""
    try:
        response = httpx.get(url + "/connector-plugins", timeout=2)
    except httpx.HTTPError:
        return False
    return response.status_code == 200 and "PostgresConnector" in response.text
