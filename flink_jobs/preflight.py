"""Before the job starts: Kafka lets the job's user do what the job does, and the registry
answers over TLS.

Inside Flink a refusal is retried: the Kafka source and sinks restart the job on a wrong
password or a missing ACL (forever, under Flink's default restart strategy), saying so only
in Flink's own log. So ``cdc job run`` and ``cdc job submit`` check first, with the job's
own settings through librdkafka (``cdc_core/kafka_access.py``), and stop with one line:

    kafka 127.0.0.1:9093 (user job): authentication failed: SASL authentication error: ...
    kafka 127.0.0.1:9093 (user job): TLS failed (is ssl.ca.location the CA ...?): ...
    kafka 127.0.0.1:9093 (user job): not authorized to read topic shop.public.x (missing ACL)
    schema registry https://registry:8443/apis/ccompat/v7: certificate not trusted ...: ...

``job_failure`` does the same for a job that failed in Flink with a Kafka refusal as a cause.
"""

from __future__ import annotations

import re
from typing import Any

from cdc_core.errors import KafkaRefused, RegistryRefused, RegistryUnavailable
from cdc_core.kafka_access import Access, check
from cdc_core.kafka_problems import endpoint
from cdc_core.registry import Registry
from flink_jobs.config import JobConfig, KafkaConfig

# The connection settings librdkafka and the Java clients share (KafkaConfig's keys).
_SHARED_KEYS = frozenset({"bootstrap.servers", "security.protocol", "sasl.mechanism",
                          "sasl.username", "sasl.password", "ssl.ca.location"})
# Kafka's exceptions (the connector relocates them) that retrying does not change.
_REFUSALS = {"SaslAuthenticationException": "authentication failed",
             "SslAuthenticationException": "TLS failed (is ssl.ca.location the CA of the "
                                           "brokers' certificates?)",
             "TopicAuthorizationException": "not authorized (missing ACL)",
             "GroupAuthorizationException": "not authorized (missing ACL)",
             "TransactionalIdAuthorizationException": "not authorized (missing ACL)",
             "ClusterAuthorizationException": "not authorized (missing ACL)"}
_UNTRUSTED = "CERTIFICATE_VERIFY_FAILED"


def check_job(config: JobConfig) -> None:
    """Raise ``KafkaRefused`` or a registry error if the job would be refused."""
    client = librdkafka_config(config.kafka)
    if client is not None:
        check(client, job_access(config))
    check_registry(config)


def librdkafka_config(kafka: KafkaConfig) -> dict[str, Any] | None:
    """The job's connection settings as librdkafka takes them; None when they are given the
    Java way only (``properties.sasl.jaas.config``: no user librdkafka could log in as)."""
    conf = kafka.client_config()
    if "sasl.jaas.config" in conf:
        return None
    return {key: value for key, value in conf.items() if key in _SHARED_KEYS}


def job_access(config: JobConfig) -> Access:
    """The raw topics it reads, the DLQ and metrics topics it writes, its group."""
    kafka = config.kafka
    return Access(read=kafka.topics, read_pattern=kafka.topic_pattern,
                  write=(config.processing.dlq_topic, config.metrics.topic),
                  groups=(kafka.group_id,))


def check_registry(config: JobConfig) -> None:
    """One request to the registry; its refusal or silence said with the registry's URL."""
    url = config.registry.url
    try:
        Registry(config.registry).latest(f"{config.metrics.topic}-value")
    except RegistryUnavailable as exc:
        hint = ("certificate not trusted (is registry.ssl_ca_location the CA of its "
                "certificate?): " if _UNTRUSTED in str(exc) else "")
        raise RegistryUnavailable(f"schema registry {url}: {hint}{_detail(exc)}") from exc
    except RegistryRefused as exc:
        raise RegistryRefused(f"schema registry {url}: {_detail(exc)}",
                              status=exc.status) from exc


def _detail(exc: Exception) -> str:
    return re.sub(r"^schema registry: ", "", " ".join(str(exc).split()))


def job_failure(config: JobConfig, exc: BaseException) -> KafkaRefused | None:
    """A ``KafkaRefused`` line for a Flink job failure caused by a Kafka refusal, else None.

    ``exc`` is py4j's error for the failed job: its Java exception's cause chain is walked
    for Kafka's authentication and authorization exceptions."""
    cause = getattr(exc, "java_exception", None)
    while cause is not None:
        name = str(cause.getClass().getName()).rsplit(".", 1)[-1]
        if name in _REFUSALS:
            kafka = config.kafka
            where = endpoint({**kafka.properties, "bootstrap.servers": kafka.bootstrap_servers})
            return KafkaRefused(f"{where}: {_refusal(name, config)}: "
                                + " ".join(str(cause.getMessage() or "").split()))
        cause = cause.getCause()
    return None


def _refusal(name: str, config: JobConfig) -> str:
    """What was refused: the transactional ids are named, the pre-flight check cannot see
    them (Kafka describes no transactional id the job has not used yet)."""
    if name == "TransactionalIdAuthorizationException":
        return (f"not authorized to use transactional ids {config.job.transactional_id_prefix}*"
                " (missing ACL)")
    return _REFUSALS[name]
